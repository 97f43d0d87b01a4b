"""Meshed reference geometries for the physics validation tests.

Every builder returns meshes of simple axisymmetric (r, z) layouts whose field has a
closed-form or well-established approximate solution. Lengths are in metres. Builders
cache their results by argument, because several tests solve the same mesh. The tests
must treat the returned meshes as read-only.

The tests reach the builders through the ``geometry`` fixture.
"""

from __future__ import annotations

import os

# One BLAS thread, because OpenBLAS threads that spin on busy cores slowed one scipy splu
# solve of 13 600 unknowns from 1.7 s to 34 s (2-core machine shared with other jobs).
# The setting must come before numpy is first imported. A value set by the caller wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import dataclasses  # noqa: E402
import functools  # noqa: E402
import types  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from femstack.geometries.mesher import RegionMesh, mesh_layout  # noqa: E402
from femstack.geometries.shapes import Layout, Material, Rect  # noqa: E402
from femstack.solvers.eddy_current import WindingCircuit  # noqa: E402

#: Conductivity of annealed copper at 20 °C in S/m.
COPPER_CONDUCTIVITY = 5.8e7

AIR = Material()
COPPER = Material(conductivity=COPPER_CONDUCTIVITY)


def effective_mesh_size(region_mesh: RegionMesh, region: str) -> float:
    """Return the mesh size sqrt(area / triangles) of one region, measured rather than gmsh's target."""
    mesh = region_mesh.mesh
    elements = region_mesh.elements(region)
    a, b, c = (mesh.p[:, mesh.t[i, elements]] for i in range(3))
    area = 0.5 * np.abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])).sum()
    return float(np.sqrt(area / len(elements)))


# Electrostatics --------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def build_coax(
    inner_radius: float,
    outer_radius: float,
    length: float,
    mesh_size: float,
    tube: tuple[float, float] | None = None,
) -> RegionMesh:
    """Mesh a coaxial capacitor of axial length ``length`` with zero-flux ends.

    Regions: ``inner`` (the solid conductor r < inner_radius), ``outer`` (a 0.5 mm wall
    outside outer_radius), ``gap`` (the insulator between them), and ``tube`` (a
    conducting cylinder wall r in [tube[0], tube[1]]) when ``tube`` is given. The
    domain ends at z = 0 and z = length, where the solver's natural condition is zero
    normal flux, so the field is exactly radial and the 2-D model has the infinite-line
    solution.
    """
    wall = 0.5e-3
    shapes = [
        Rect("inner", 0.0, inner_radius, 0.0, length, "copper", COPPER, priority=1),
        Rect("outer", outer_radius, outer_radius + wall, 0.0, length, "copper", COPPER, priority=1),
    ]
    if tube is not None:
        shapes.append(Rect("tube", tube[0], tube[1], 0.0, length, "copper", COPPER, priority=1))
    layout = Layout(
        tuple(shapes),
        (0.0, outer_radius + wall, 0.0, length),
        background="gap",
        background_mesh_size=mesh_size,
    )
    return mesh_layout(layout)


@functools.lru_cache(maxsize=None)
def build_parallel_plates(
    radius: float,
    gap: float,
    thickness: float,
    domain_size: float,
    plate_mesh_size: float,
    edge_mesh_size: float,
    air_mesh_size: float,
) -> RegionMesh:
    """Mesh two coaxial circular plates of ``radius`` and ``thickness``, ``gap`` apart.

    Regions: ``top`` and ``bottom`` (the plates), ``between`` (the air between them),
    ``edge`` (air around the plate rims, where the field is singular and the mesh is
    finest) and ``air``. The plates are centred at z = 0 in the domain
    [0, domain_size] × [−domain_size, domain_size].
    """
    half = gap / 2.0
    rim = 2.0 * gap  # the refined edge box reaches this far past each rim
    shapes = (
        Rect("top", 0.0, radius, half, half + thickness, "copper", COPPER, priority=3,
             mesh_size=plate_mesh_size),
        Rect("bottom", 0.0, radius, -half - thickness, -half, "copper", COPPER, priority=3,
             mesh_size=plate_mesh_size),
        Rect("between", 0.0, radius, -half, half, "air", AIR, priority=1,
             mesh_size=plate_mesh_size),
        Rect("edge", radius - rim, radius + rim, -half - thickness - rim, half + thickness + rim,
             "air", AIR, priority=2, mesh_size=edge_mesh_size),
    )
    layout = Layout(
        shapes, (0.0, domain_size, -domain_size, domain_size), background_mesh_size=air_mesh_size
    )
    return mesh_layout(layout)


@functools.lru_cache(maxsize=None)
def build_disk(radius: float, thickness: float, domain_size: float) -> RegionMesh:
    """Mesh one thin conducting disk centred at z = 0 in the box [0, L] × [−L, L], L = domain_size.

    Regions: ``disk``, ``edge`` (refined air around the rim, element size = thickness)
    and ``air``.
    """
    rim = 0.05 * radius
    shapes = (
        Rect("disk", 0.0, radius, -thickness / 2.0, thickness / 2.0, "copper", COPPER,
             priority=2, mesh_size=radius / 20.0),
        Rect("edge", radius - rim, radius + rim, -rim, rim, "air", AIR, priority=1,
             mesh_size=thickness),
    )
    layout = Layout(
        shapes, (0.0, domain_size, -domain_size, domain_size), background_mesh_size=domain_size / 10.0
    )
    return mesh_layout(layout)


@dataclasses.dataclass(frozen=True)
class ConductorArrangement:
    """A meshed set of conductors with a dielectric slab, for the capacitance matrix checks."""

    region_mesh: RegionMesh
    permittivity: dict[str, float]
    conductors: dict[str, list[str]]


@functools.lru_cache(maxsize=None)
def build_random_conductors(seed: int) -> ConductorArrangement:
    """Mesh three rectangular conductors at random places over a dielectric slab.

    The 20 mm × 20 mm domain is cut into a 3 × 3 grid of cells. Three distinct cells
    each get one conductor of random size and position inside the cell, so conductors
    never touch. A slab with a random εr in [2, 6] crosses the domain at a random height.
    """
    rng = np.random.default_rng(seed)
    size = 20e-3
    cell = size / 3.0
    margin = 0.5e-3
    shapes = []
    for index, flat in enumerate(rng.choice(9, size=3, replace=False)):
        row, column = divmod(int(flat), 3)
        width, height = rng.uniform(1e-3, cell - 2.0 * margin, size=2)
        r0 = column * cell + margin + rng.uniform(0.0, cell - 2.0 * margin - width)
        z0 = row * cell + margin + rng.uniform(0.0, cell - 2.0 * margin - height)
        shapes.append(
            Rect(f"conductor{index}", r0, r0 + width, z0, z0 + height, "copper", COPPER, priority=2)
        )
    slab_bottom = rng.uniform(0.0, size - 4e-3)
    slab = Material(relative_permittivity=float(rng.uniform(2.0, 6.0)))
    shapes.append(
        Rect("slab", 0.0, size, slab_bottom, slab_bottom + 3e-3, "dielectric", slab, priority=1)
    )
    layout = Layout(tuple(shapes), (0.0, size, 0.0, size), background_mesh_size=1e-3)
    return ConductorArrangement(
        mesh_layout(layout),
        {"air": 1.0, "slab": slab.relative_permittivity},
        {s.name: [s.name] for s in shapes if s.kind == "copper"},
    )


@functools.lru_cache(maxsize=None)
def build_shielded_conductors() -> ConductorArrangement:
    """Mesh two conductors inside a closed conducting can, and one conductor outside it.

    The can is a cylinder with both lids: its wall region ``shield`` and the axis
    enclose the air region ``cavity``, which contains ``inner0`` and ``inner1``. The
    conductor ``outside`` sits next to the can in the surrounding ``air``.
    """
    shapes = (
        Rect("shield", 0.0, 8e-3, 2e-3, 14e-3, "copper", COPPER, priority=1),
        Rect("cavity", 0.0, 7e-3, 3e-3, 13e-3, "air", AIR, priority=2),
        Rect("inner0", 1e-3, 3e-3, 4e-3, 7e-3, "copper", COPPER, priority=3),
        Rect("inner1", 4e-3, 6e-3, 9e-3, 12e-3, "copper", COPPER, priority=3),
        Rect("outside", 11e-3, 14e-3, 6e-3, 10e-3, "copper", COPPER, priority=1),
    )
    layout = Layout(shapes, (0.0, 18e-3, 0.0, 16e-3), background_mesh_size=1e-3)
    names = ["inner0", "inner1", "shield", "outside"]
    return ConductorArrangement(
        mesh_layout(layout), {"air": 1.0, "cavity": 1.0}, {n: [n] for n in names}
    )


# Eddy currents ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FoilWindow:
    """Foil layers stacked in z inside a closed high-permeability frame.

    Every foil spans the whole window width r_inner..r_outer, so the leakage field
    between the layers is radial and depends on z only (Dowell's 1-D model).
    ``windings`` contains the primary ``P`` and the secondary ``S``, each with its foils in
    series from the bottom up.
    """

    region_mesh: RegionMesh
    permeability: dict[str, complex]
    conductivity: dict[str, float]
    windings: list[WindingCircuit]
    sequence: str
    r_inner: float
    r_outer: float
    foil_thickness: float
    foil_spacing: float


@functools.lru_cache(maxsize=None)
def build_foil_window(
    sequence: str,
    copper_mesh_size: float,
    *,
    core_permeability: complex = 1e5,
    core_conductivity: float = 0.0,
) -> FoilWindow:
    """Mesh foils of 0.1 mm copper, 0.05 mm apart, in the order ``sequence`` (e.g. ``"PPSS"``).

    The window spans r = 50..52 mm. The frame, 1 mm thick on all four sides, has
    ``core_permeability``. The field then departs from the planar 1-D model only through
    its 1/r variation, 4 % across the 2 mm window.
    """
    r_inner, width = 50e-3, 2e-3
    r_outer = r_inner + width
    thickness, spacing, frame = 0.1e-3, 0.05e-3, 1e-3

    shapes, turns = [], {"P": [], "S": []}
    z = 0.0
    for index, winding in enumerate(sequence):
        name = f"foil{index}/{winding}"
        shapes.append(
            Rect(name, r_inner, r_outer, z, z + thickness, "copper", COPPER, priority=2,
                 mesh_size=copper_mesh_size, winding=winding, layer=index)
        )
        turns[winding].append(name)
        z += thickness + spacing
    top = z - spacing

    core = Material(relative_permeability=core_permeability, conductivity=core_conductivity)
    frame_size = 1e-3
    shapes += [
        Rect("core/inner", r_inner - frame, r_inner, -frame, top + frame, "core", core, priority=1,
             mesh_size=frame_size),
        Rect("core/outer", r_outer, r_outer + frame, -frame, top + frame, "core", core, priority=1,
             mesh_size=frame_size),
        Rect("core/bottom", r_inner, r_outer, -frame, 0.0, "core", core, priority=1,
             mesh_size=frame_size),
        Rect("core/top", r_inner, r_outer, top, top + frame, "core", core, priority=1,
             mesh_size=frame_size),
    ]
    layout = Layout(
        tuple(shapes), (0.0, r_outer + 5e-3, -5e-3, top + 5e-3), background_mesh_size=5e-3
    )
    region_mesh = mesh_layout(layout)
    core_names = [s.name for s in shapes if s.kind == "core"]
    conductivity = {name: COPPER_CONDUCTIVITY for w in turns.values() for name in w}
    if core_conductivity > 0.0:
        conductivity.update({name: core_conductivity for name in core_names})
    windings = [
        WindingCircuit(w, tuple(((name,),) for name in turns[w])) for w in "PS" if turns[w]
    ]
    return FoilWindow(
        region_mesh,
        {name: core_permeability for name in core_names},
        conductivity,
        windings,
        sequence,
        r_inner,
        r_outer,
        thickness,
        spacing,
    )


@dataclasses.dataclass(frozen=True)
class PotCore:
    """A pot-core-like axisymmetric core with a centre-leg air gap and rectangular turns.

    ``effective_area`` is the centre-leg area πR1². ``effective_length`` is the mean
    magnetic path: both legs from yoke mid-plane to yoke mid-plane, plus both yokes from
    the centre-leg mid-radius to the outer-leg mid-radius. ``window_height`` is the
    height G in McLyman's fringing factor.
    """

    region_mesh: RegionMesh
    permeability: dict[str, complex]
    conductivity: dict[str, float]
    windings: list[WindingCircuit]
    gap: float
    effective_area: float
    effective_length: float
    window_height: float


@functools.lru_cache(maxsize=None)
def build_pot_core(
    gap: float,
    *,
    core_permeability: complex = 2000.0,
    core_conductivity: float = 0.0,
    two_windings: bool = False,
    mesh_size: float = 1e-3,
) -> PotCore:
    """Mesh a core with centre leg r < 5 mm, window 5..9 mm × 10 mm high, and 10 turns.

    The outer leg (9..10.3 mm) has the centre-leg area, and so have the 2.5 mm yokes at
    r = 5 mm. Further out the yoke area grows with r. The air gap of length ``gap`` cuts
    the centre leg at mid-height and is meshed as air with elements of gap/4.
    The turns fill the window in two columns of five, 0.2 mm clear of each other and of
    the core. With ``two_windings`` the inner column is winding ``P`` and the outer
    column winding ``S``; otherwise all ten turns form winding ``W`` in series.
    """
    r_centre, r_window = 5e-3, 9e-3
    r_outer = float(np.hypot(r_window, r_centre))  # outer-leg area = centre-leg area
    yoke = r_centre / 2.0  # yoke area 2πR1·yoke at r = R1 = centre-leg area
    height = 10e-3
    clearance = 0.2e-3

    core = Material(relative_permeability=core_permeability, conductivity=core_conductivity)
    shapes = [
        Rect("core", 0.0, r_outer, -height / 2 - yoke, height / 2 + yoke, "core", core,
             priority=1, mesh_size=mesh_size),
        Rect("window", r_centre, r_window, -height / 2, height / 2, "air", AIR, priority=2,
             mesh_size=mesh_size),
        Rect("gap", 0.0, r_centre, -gap / 2, gap / 2, "gap", AIR, priority=2,
             mesh_size=gap / 4.0),
    ]
    rows, column_width = 5, (r_window - r_centre) / 2
    pitch = height / rows
    columns: list[list[str]] = [[], []]
    for column in range(2):
        for row in range(rows):
            name = f"turn/{column}/{row}"
            shapes.append(
                Rect(name,
                     r_centre + column * column_width + clearance,
                     r_centre + (column + 1) * column_width - clearance,
                     -height / 2 + row * pitch + clearance,
                     -height / 2 + (row + 1) * pitch - clearance,
                     "copper", COPPER, priority=3, mesh_size=mesh_size)
            )
            columns[column].append(name)
    extent = 3.0 * r_outer
    layout = Layout(tuple(shapes), (0.0, extent, -extent, extent), background_mesh_size=5e-3)

    if two_windings:
        windings = [
            WindingCircuit(name, tuple(((turn,),) for turn in turns))
            for name, turns in zip("PS", columns)
        ]
    else:
        windings = [WindingCircuit("W", tuple(((turn,),) for turn in columns[0] + columns[1]))]
    conductivity = {turn: COPPER_CONDUCTIVITY for turns in columns for turn in turns}
    if core_conductivity > 0.0:
        conductivity["core"] = core_conductivity
    path = 2.0 * (height + yoke) + 2.0 * ((r_window + r_outer) / 2.0 - r_centre / 2.0)
    return PotCore(
        mesh_layout(layout),
        {"core": core_permeability},
        conductivity,
        windings,
        gap,
        np.pi * r_centre**2,
        path,
        height,
    )


@functools.lru_cache(maxsize=None)
def build_ring(side: float, mean_radius: float, mesh_size: float) -> RegionMesh:
    """Mesh one solid copper ring of square cross-section ``side`` × ``side`` in open air.

    The ring, region ``ring``, is centred at r = mean_radius, z = 0 in a 0.1 m box.
    """
    ring = Rect(
        "ring", mean_radius - side / 2, mean_radius + side / 2, -side / 2, side / 2, "copper",
        COPPER, mesh_size=mesh_size,
    )
    layout = Layout((ring,), (0.0, 0.1, -0.1, 0.1), background_mesh_size=10e-3)
    return mesh_layout(layout)


@pytest.fixture(scope="session")
def geometry() -> types.SimpleNamespace:
    """Return the cached geometry builders of this module, by short name."""
    return types.SimpleNamespace(
        coax=build_coax,
        parallel_plates=build_parallel_plates,
        disk=build_disk,
        random_conductors=build_random_conductors,
        shielded_conductors=build_shielded_conductors,
        foil_window=build_foil_window,
        pot_core=build_pot_core,
        ring=build_ring,
        effective_mesh_size=effective_mesh_size,
        copper_conductivity=COPPER_CONDUCTIVITY,
    )
