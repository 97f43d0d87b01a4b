"""Meshed reference geometries with closed-form or 1-D solutions, in (r, z) axisymmetric form.

Lengths are in metres. ``scale`` multiplies every element size (1 = the validation
default, 2 = the coarser meshes the unit tests use). Builders of rectangles go through
the pipeline's own layout and gmsh mesher. Spheres and the round wire need circles,
which the rectangle layout cannot draw, so :func:`_mesh_circles` meshes them with gmsh
directly and wraps the result in a :class:`RegionMesh` whose layout lists the regions by
their bounding boxes (the solvers read only the region names and the axisymmetric flag).
"""

from __future__ import annotations

import dataclasses
import functools
import logging

import numpy as np
from skfem import MeshTri

from femstack.errors import MeshError
from femstack.geometries.mesher import _GMSH_LOCK, RegionMesh, mesh_layout
from femstack.geometries.shapes import Layout, Material, Rect
from femstack.solvers.eddy_current import WindingCircuit

logger = logging.getLogger(__name__)

#: Conductivity of annealed copper at 20 °C in S/m (100 % IACS, 58.0 MS/m).
COPPER_CONDUCTIVITY = 5.8e7

AIR = Material()
COPPER = Material(conductivity=COPPER_CONDUCTIVITY)


# Electrostatics --------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def coax(inner_radius: float, outer_radius: float, length: float, mesh_size: float) -> RegionMesh:
    """Mesh a coaxial capacitor of axial length ``length`` with zero-flux ends.

    Regions ``inner`` (r < inner_radius), ``gap`` and ``outer`` (a 0.5 mm wall). With
    zero normal flux at both ends the field is radial, as on an infinite line.
    """
    wall = 0.5e-3
    shapes = (
        Rect("inner", 0.0, inner_radius, 0.0, length, "copper", COPPER, priority=1),
        Rect("outer", outer_radius, outer_radius + wall, 0.0, length, "copper", COPPER, priority=1),
    )
    layout = Layout(shapes, (0.0, outer_radius + wall, 0.0, length), background="gap",
                    background_mesh_size=mesh_size)
    return mesh_layout(layout)


@functools.lru_cache(maxsize=None)
def parallel_plates(radius: float, gap: float, thickness: float, scale: float = 1.0) -> RegionMesh:
    """Mesh two coaxial circular plates ``gap`` apart, centred at z = 0, in a box 10·radius wide.

    Regions ``top`` and ``bottom`` (plates), ``between``, ``edge`` (air around the rims,
    meshed finest because the field is singular there) and ``air``.
    """
    half, rim, domain = gap / 2.0, 2.0 * gap, 10.0 * radius
    plate_size, edge_size = scale * gap / 2.0, scale * max(thickness, gap / 20.0)
    shapes = (
        Rect("top", 0.0, radius, half, half + thickness, "copper", COPPER, priority=3, mesh_size=plate_size),
        Rect("bottom", 0.0, radius, -half - thickness, -half, "copper", COPPER, priority=3,
             mesh_size=plate_size),
        Rect("between", 0.0, radius, -half, half, "air", AIR, priority=1, mesh_size=plate_size),
        Rect("edge", radius - rim, radius + rim, -half - thickness - rim, half + thickness + rim,
             "air", AIR, priority=2, mesh_size=edge_size),
    )
    layout = Layout(shapes, (0.0, domain, -domain, domain), background_mesh_size=scale * domain / 10.0)
    return mesh_layout(layout)


def _mesh_circles(regions: dict[str, tuple[float, float, float, float]], build, size_fields) -> RegionMesh:
    """Mesh an OCC model made by ``build(occ)`` → {region name: [surface tags]}.

    ``regions`` gives each region's bounding box (r0, r1, z0, z1), the first being the
    domain. ``size_fields(gmsh, pieces)`` sets the element sizes.
    """
    import gmsh

    with _GMSH_LOCK:
        gmsh.initialize(interruptible=False)
        try:
            gmsh.option.setNumber("General.Terminal", 0)
            gmsh.option.setNumber("General.NumThreads", 1)
            gmsh.model.add("validation")
            pieces = build(gmsh.model.occ)
            gmsh.model.occ.synchronize()
            size_fields(gmsh, pieces)
            gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
            gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
            gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
            gmsh.model.mesh.generate(2)
            node_tags, coords, _ = gmsh.model.mesh.getNodes()
            xyz = coords.reshape(-1, 3)
            names = list(pieces)
            triangles, element_region = [], []
            for index, name in enumerate(names):
                for surface in pieces[name]:
                    _, _, element_nodes = gmsh.model.mesh.getElements(2, surface)
                    tri = element_nodes[0].reshape(-1, 3)
                    triangles.append(tri)
                    element_region.append(np.full(len(tri), index))
        except Exception as error:  # gmsh raises bare Exception with its own message
            raise MeshError(f"gmsh failed to mesh the validation geometry {list(regions)}: {error}") from error
        finally:
            gmsh.finalize()

    tags = np.vstack(triangles)
    used = np.unique(tags)
    position = np.empty(int(node_tags.max()) + 1, dtype=int)
    position[node_tags.astype(int)] = np.arange(len(node_tags))
    p = np.ascontiguousarray(xyz[position[used], :2].T)
    p[0] = np.maximum(p[0], 0.0)  # OCC may leave −1e-18 on the axis
    t = np.ascontiguousarray(np.searchsorted(used, tags).T)
    a, b, c = (p[:, t[i]] for i in range(3))
    flip = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) < 0
    t[[1, 2]] = np.where(flip, t[[2, 1]], t[[1, 2]])

    domain_name, domain = next(iter(regions.items()))
    shapes = tuple(Rect(name, *box, "copper", COPPER) for name, box in list(regions.items())[1:])
    layout = Layout(shapes, domain, background=domain_name)
    order = layout.region_names()
    remap = np.array([order.index(n) for n in names])
    return RegionMesh(MeshTri(p, t), layout, order, remap[np.concatenate(element_region)])


def _region_by_centroid(occ, surfaces, classify) -> dict[str, list[int]]:
    pieces: dict[str, list[int]] = {}
    for _, tag in surfaces:
        r, z, _ = occ.getCenterOfMass(2, tag)
        pieces.setdefault(classify(r, z), []).append(tag)
    return pieces


@functools.lru_cache(maxsize=None)
def concentric_spheres(inner_radius: float, outer_radius: float, mesh_size: float) -> RegionMesh:
    """Mesh two concentric spheres as half-disks in the (r, z) half-plane r ≥ 0.

    Regions ``inner`` (solid sphere ρ < a), ``gap`` (a < ρ < b) and ``outer`` (a shell
    b < ρ < 1.2·b). The triangles are straight-sided, so the spheres become polygons.
    """
    a, b = inner_radius, outer_radius
    c = 1.2 * b

    def build(occ):
        disks = [occ.addDisk(0, 0, 0, radius, radius) for radius in (a, b, c)]
        cutter = occ.addRectangle(-2 * c, -2 * c, 0, 2 * c, 4 * c)
        half, _ = occ.cut([(2, disks[2])], [(2, cutter)], removeTool=False)
        inner, _ = occ.cut([(2, disks[0])], [(2, cutter)], removeTool=False)
        middle, _ = occ.cut([(2, disks[1])], [(2, cutter)])
        out, _ = occ.fragment(half, inner + middle)
        occ.synchronize()

        # Centroids of thin half-annuli fall inside the inner radius, so each piece is
        # named by its outer radius, the top of its bounding box.
        pieces: dict[str, list[int]] = {}
        for _, tag in out:
            top = occ.getBoundingBox(2, tag)[4]
            if top < 0.5 * (a + b):
                name = "inner"
            elif top < 0.5 * (b + c):
                name = "gap"
            else:
                name = "outer"
            pieces.setdefault(name, []).append(tag)
        return pieces

    def sizes(gmsh, pieces):
        gmsh.option.setNumber("Mesh.MeshSizeMax", mesh_size)
        gmsh.option.setNumber("Mesh.MeshSizeMin", 0.0)

    regions = {"gap": (0.0, c, -c, c), "inner": (0.0, a, -a, a), "outer": (0.0, c, -c, c)}
    return _mesh_circles(regions, build, sizes)


@functools.lru_cache(maxsize=None)
def round_wire_ring(wire_radius: float, ring_radius: float, wire_mesh_size: float, skin_mesh_size: float) -> RegionMesh:
    """Mesh a thin ring of round wire (a torus) in open air.

    The wire, region ``wire``, has radius ``wire_radius`` and its centre at
    r = ring_radius, z = 0. Elements are ``skin_mesh_size`` within one skin-mesh band of
    the wire surface and ``wire_mesh_size`` at its centre. The air box reaches 4·ring_radius.
    """
    a, big = wire_radius, 4.0 * ring_radius

    def build(occ):
        wire = occ.addDisk(ring_radius, 0, 0, a, a)
        box = occ.addRectangle(0, -big, 0, big, 2 * big)
        out, _ = occ.fragment([(2, box)], [(2, wire)])
        occ.synchronize()
        return _region_by_centroid(
            occ, out, lambda r, z: "wire" if np.hypot(r - ring_radius, z) < a else "air"
        )

    def sizes(gmsh, pieces):
        field = gmsh.model.mesh.field
        curves = [abs(c[1]) for c in gmsh.model.getBoundary([(2, s) for s in pieces["wire"]], oriented=False)]
        distance = field.add("Distance")
        field.setNumbers(distance, "CurvesList", curves)
        field.setNumber(distance, "Sampling", 200)
        band = field.add("Threshold")
        field.setNumber(band, "InField", distance)
        field.setNumber(band, "SizeMin", skin_mesh_size)
        field.setNumber(band, "SizeMax", big / 10.0)
        field.setNumber(band, "DistMin", 3.0 * skin_mesh_size)
        field.setNumber(band, "DistMax", big / 10.0 / 0.25)
        inside = field.add("Constant")
        field.setNumbers(inside, "SurfacesList", pieces["wire"])
        field.setNumber(inside, "VIn", wire_mesh_size)
        field.setNumber(inside, "VOut", big)
        minimum = field.add("Min")
        field.setNumbers(minimum, "FieldsList", [band, inside])
        field.setAsBackgroundMesh(minimum)
        gmsh.option.setNumber("Mesh.MeshSizeMax", big / 10.0)

    regions = {"air": (0.0, big, -big, big), "wire": (ring_radius - a, ring_radius + a, -a, a)}
    return _mesh_circles(regions, build, sizes)


# Eddy currents ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class MagneticModel:
    """A meshed eddy-current model with its materials and winding circuits."""

    region_mesh: RegionMesh
    permeability: dict[str, complex]
    conductivity: dict[str, float]
    windings: list[WindingCircuit]


@dataclasses.dataclass(frozen=True)
class FoilWindow(MagneticModel):
    """Full-width foils stacked in z inside a closed high-permeability frame (Dowell's 1-D window)."""

    sequence: str = ""
    r_inner: float = 0.0
    r_outer: float = 0.0
    foil_thickness: float = 0.0
    foil_spacing: float = 0.0


@functools.lru_cache(maxsize=None)
def foil_window(sequence: str, copper_mesh_size: float, core_permeability: complex = 1e5) -> FoilWindow:
    """Mesh 0.1 mm copper foils, 0.05 mm apart, in the order ``sequence`` (``"PPSS"``, say).

    The window spans r = 50..52 mm inside a 1 mm frame of ``core_permeability``. Every
    foil spans the whole window width, so the field is radial and depends on z only,
    apart from its 1/r variation (4 % across the window). Each winding's foils are in
    series from the bottom up.
    """
    r_inner, width, thickness, spacing, frame = 50e-3, 2e-3, 0.1e-3, 0.05e-3, 1e-3
    r_outer = r_inner + width
    shapes, turns = [], {"P": [], "S": []}
    z = 0.0
    for index, winding in enumerate(sequence):
        name = f"foil{index}/{winding}"
        shapes.append(Rect(name, r_inner, r_outer, z, z + thickness, "copper", COPPER, priority=2,
                           mesh_size=copper_mesh_size, winding=winding, layer=index))
        turns[winding].append(name)
        z += thickness + spacing
    top = z - spacing
    core = Material(relative_permeability=core_permeability)
    shapes += [
        Rect("core/inner", r_inner - frame, r_inner, -frame, top + frame, "core", core, priority=1, mesh_size=frame),
        Rect("core/outer", r_outer, r_outer + frame, -frame, top + frame, "core", core, priority=1, mesh_size=frame),
        Rect("core/bottom", r_inner, r_outer, -frame, 0.0, "core", core, priority=1, mesh_size=frame),
        Rect("core/top", r_inner, r_outer, top, top + frame, "core", core, priority=1, mesh_size=frame),
    ]
    layout = Layout(tuple(shapes), (0.0, r_outer + 5e-3, -5e-3, top + 5e-3), background_mesh_size=5e-3)
    windings = [WindingCircuit(w, tuple(((name,),) for name in turns[w])) for w in "PS" if turns[w]]
    return FoilWindow(
        mesh_layout(layout),
        {s.name: core_permeability for s in shapes if s.kind == "core"},
        {name: COPPER_CONDUCTIVITY for w in turns.values() for name in w},
        windings,
        sequence,
        r_inner,
        r_outer,
        thickness,
        spacing,
    )


@dataclasses.dataclass(frozen=True)
class PotCore(MagneticModel):
    """An axisymmetric core with a centre-leg gap and ten turns in winding ``W``.

    ``effective_area`` is the centre-leg area πR1², ``effective_length`` the mean magnetic
    path through both legs and both yokes, ``window_height`` McLyman's G.
    """

    gap: float = 0.0
    effective_area: float = 0.0
    effective_length: float = 0.0
    window_height: float = 0.0


@functools.lru_cache(maxsize=None)
def pot_core(
    gap: float,
    core_permeability: float = 2000.0,
    scale: float = 1.0,
    height: float = 10e-3,
    gap_at_yoke: bool = False,
) -> PotCore:
    """Mesh a core with centre leg r < 5 mm, a 4 mm × ``height`` window and ten turns in it.

    With ``gap_at_yoke`` the gap sits at the top of the centre leg, against the yoke, as
    in an E core mated with a plate; otherwise it cuts the leg at mid-height.

    The outer leg and the yokes at r = 5 mm have the centre-leg area. The gap of length
    ``gap`` cuts the centre leg at mid-height and is meshed with elements of gap/4·scale.
    """
    r_centre, r_window = 5e-3, 9e-3
    r_outer = float(np.hypot(r_window, r_centre))
    yoke, clearance = r_centre / 2.0, min(0.2e-3, height / 20.0)
    size = scale * 1e-3
    core = Material(relative_permeability=core_permeability)
    gap_z = height / 2 - gap / 2 if gap_at_yoke else 0.0
    shapes = [
        Rect("core", 0.0, r_outer, -height / 2 - yoke, height / 2 + yoke, "core", core, priority=1, mesh_size=size),
        Rect("window", r_centre, r_window, -height / 2, height / 2, "air", AIR, priority=2, mesh_size=size),
        Rect("gap", 0.0, r_centre, gap_z - gap / 2, gap_z + gap / 2, "gap", AIR, priority=2,
             mesh_size=scale * gap / 4.0),
    ]
    rows, column_width = 5, (r_window - r_centre) / 2
    pitch = height / rows
    names = []
    for column in range(2):
        for row in range(rows):
            name = f"turn/{column}/{row}"
            shapes.append(Rect(
                name,
                r_centre + column * column_width + clearance,
                r_centre + (column + 1) * column_width - clearance,
                -height / 2 + row * pitch + clearance,
                -height / 2 + (row + 1) * pitch - clearance,
                "copper", COPPER, priority=3, mesh_size=size,
            ))
            names.append(name)
    extent = 3.0 * r_outer
    layout = Layout(tuple(shapes), (0.0, extent, -extent, extent), background_mesh_size=scale * 5e-3)
    path = 2.0 * (height + yoke) + 2.0 * ((r_window + r_outer) / 2.0 - r_centre / 2.0)
    return PotCore(
        mesh_layout(layout),
        {"core": core_permeability},
        {name: COPPER_CONDUCTIVITY for name in names},
        [WindingCircuit("W", tuple(((name,),) for name in names))],
        gap,
        np.pi * r_centre**2,
        path,
        height,
    )
