r"""Axisymmetric layout of a planar E core and its PCB winding stack.

The E core (with a plate or a second E) becomes a pot-core-like body of revolution about
the centre-leg axis. The mapping keeps what sets the fields in the window:

- centre leg: a disc of the same area, :math:`r_1 = \sqrt{A_c/\pi}`,
  :math:`A_c` = centre-leg width × depth;
- window: the catalogue window width, :math:`r_2 = r_1 + b_w`, and window height;
- outer legs: an annulus of the same total area,
  :math:`r_3 = \sqrt{r_2^2 + A_o/\pi}`, :math:`A_o` = 2 × outer-leg width × depth;
- back and plate: the catalogue thicknesses along z.

Each turn is a ring of the trace's cross-section at its radius, so its length is 2πr
rather than the real track length, and the whole turn sits in the window. The E core's
open sides, where a real PCB leaves the core, are not modelled. These are the limits of
any 2-D axisymmetric model of an E core (see e.g. Ouyang & Andersen, "Overview of planar
magnetic technology", IEEE Trans. Power Electron. 29(9), 2014).

The radial path through the back and the plate of a body of revolution is shorter and
wider than in the E core. The equivalent core's ferrite reluctance Σl/(µA) is therefore
lower than the catalogue's: for E32 + PLT32, 190 m⁻¹ against 270 m⁻¹. When the catalogue's
effective parameters are known, the ferrite permeability is scaled by the ratio of the
two core factors, so the ungapped core has the catalogue's reluctance. The scale is
reported as ``CoreGeometry.permeability_scale``. The window field hardly depends on µ.

Air gaps: the intentional gap sits in the centre leg, the residual gap between mated
halves on every leg. A gap thinner than :data:`MIN_GAP_LAYER` is modelled as a layer of
that thickness, cut from the top of the leg, whose permeability gives the same
reluctance as the real gap plus the ferrite it replaces,
:math:`\mu_{eq} = t / ((t-g)/\mu_r + g)`, so µm gaps need no µm elements. Thicker gaps
are meshed as real air, with fringing.

Coordinates: r from the axis, z from the bottom of the window (top face of the E core's
back); SI metres.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from femstack.design.model import Design, Winding
from femstack.errors import GeometryError
from femstack.geometries.shapes import Layout, Material, Rect

logger = logging.getLogger(__name__)

MU_0 = 4e-7 * np.pi  # H/m; the 2019 SI value differs by 1e-10, far below mesh error

#: Gaps thinner than this (m) are modelled as an equivalent-permeability layer.
MIN_GAP_LAYER = 100e-6

# Priorities decide which shape owns an overlap.
PRIORITY_BOARD, PRIORITY_FILL, PRIORITY_CORE, PRIORITY_GAP, PRIORITY_COPPER = 1, 2, 3, 4, 5


@dataclasses.dataclass(frozen=True)
class TurnInfo:
    """One turn of a winding, in the winding's series order.

    ``position`` counts turns from the winding's start terminal (0-based); turns of
    layers in parallel share a position. ``layer`` is 0-based from the bottom of the
    stack; ``index`` is 0-based from the centre leg.
    """

    region: str
    winding: str
    layer: int
    index: int
    position: int
    group: int
    r_inner: float
    r_outer: float


@dataclasses.dataclass(frozen=True)
class CoreGeometry:
    """Radii and heights of the axisymmetric equivalent core, in metres."""

    r_centre: float
    r_window: float
    r_outer: float
    window_height: float
    bottom_thickness: float
    top_thickness: float
    centre_gap: float
    outer_gap: float
    permeability_scale: float = 1.0

    def effective_parameters(self) -> dict[str, float]:
        r"""Return the equivalent core's effective length le (m), area Ae (m²), volume Ve (m³).

        From the core factors :math:`C_1 = \sum l/A` and :math:`C_2 = \sum l/A^2`:
        :math:`l_e = C_1^2/C_2`, :math:`A_e = C_1/C_2` (IEC 60205:2016). The legs run from
        mid-back to mid-plate. The back and the plate are radial paths between the leg
        faces r1 and r2, where the area 2πrt grows with r:
        :math:`\int dr/(2\pi r t)` = ln(r2/r1)/(2πt) and
        :math:`\int dr/(2\pi r t)^2` = (1/r1 − 1/r2)/(4π²t²).

        NOTE: corners are not corrected for, so le and Ae are estimates; the finite-element
        inductance of the ungapped equivalent core is the reference.
        """
        leg_length = self.window_height + 0.5 * (self.bottom_thickness + self.top_thickness)
        a_centre = np.pi * self.r_centre**2
        a_outer = np.pi * (self.r_outer**2 - self.r_window**2)
        c1 = leg_length / a_centre + leg_length / a_outer
        c2 = leg_length / a_centre**2 + leg_length / a_outer**2
        r1, r2 = self.r_centre, self.r_window
        for t in (self.bottom_thickness, self.top_thickness):
            c1 += np.log(r2 / r1) / (2.0 * np.pi * t)
            c2 += (1.0 / r1 - 1.0 / r2) / (4.0 * np.pi**2 * t**2)
        le, ae = c1**2 / c2, c1 / c2
        return {"le": float(le), "ae": float(ae), "ve": float(le * ae), "c1": float(c1)}


@dataclasses.dataclass(frozen=True)
class AxisymmetricModel:
    """A layout plus what the solvers and post-processors need to read it."""

    layout: Layout
    core: CoreGeometry
    pattern: str
    turns: dict[str, tuple[TurnInfo, ...]]  # winding name → turns in series order
    core_regions: tuple[str, ...]
    conducting_gap_regions: tuple[str, ...]  # thin gap layers that belong to the core conductor
    shields: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # shield name → ring regions

    def series_positions(self) -> dict[str, tuple[str, int, int]]:
        """Return turn region → (winding, series position, number of positions of that winding).

        Turns of layers in parallel share a position, so the number of positions is the
        winding's turn count.
        """
        positions = {}
        for winding, turns in self.turns.items():
            count = len({t.position for t in turns})
            for t in turns:
                positions[t.region] = (winding, t.position, count)
        return positions


def build_axisymmetric_model(design: Design, pattern: str | None = None) -> AxisymmetricModel:
    """Build the axisymmetric layout of ``design`` for one layer pattern.

    Parameters
    ----------
    design
        Validated design.
    pattern
        Layer pattern such as ``"PSPS"``; default: the design's first pattern.
    """
    pattern = pattern or design.arrangement.pattern
    core = design.core
    stack = design.stackup
    if len(pattern) != stack.n_layers:
        raise GeometryError(
            f"pattern {pattern!r} has {len(pattern)} letters but the stack-up has "
            f"{stack.n_layers} layers"
        )

    geometry = _core_geometry(design)
    r1, r2, r3 = geometry.r_centre, geometry.r_window, geometry.r_outer
    wh = geometry.window_height
    material = core.material
    # A body of revolution has a shorter, wider radial path through back and plate than
    # the E core, so its ferrite reluctance is lower. Scaling µ restores the catalogue's
    # Σl/(µA) and with it the magnetizing inductance. Gaps keep their reluctance.
    if core.effective is not None:
        catalogue_c1 = core.effective.le / core.effective.ae
        scale_mu = geometry.effective_parameters()["c1"] / catalogue_c1
        geometry = dataclasses.replace(geometry, permeability_scale=scale_mu)
    mu_core = geometry.permeability_scale * complex(
        material.relative_permeability, -material.relative_permeability_loss
    )

    # Element sizes: copper from the skin depth at the highest frequency, dielectrics
    # from their thickness, the core from its smallest dimension.
    f_max = max(design.excitation.frequencies)
    conductivity = max(w.conductivity for w in design.windings)
    delta = np.sqrt(2.0 / (2.0 * np.pi * f_max * MU_0 * conductivity))  # skin depth
    mesh = design.mesh
    scale = mesh.size_factor
    copper_size = scale * min(
        mesh.copper_size_per_skin_depth * delta, min(stack.copper_thickness) / mesh.copper_layers
    )
    core_size = scale * (
        mesh.core_size or min(r1, r3 - r2, geometry.bottom_thickness, geometry.top_thickness) / 3.0
    )

    core_material = Material(
        relative_permittivity=material.relative_permittivity,
        relative_permeability=mu_core,
        conductivity=material.conductivity,
    )
    shapes = _core_shapes(design, geometry, core_material, core_size)
    core_regions = tuple(s.name for s in shapes if s.kind == "core")
    gap_shapes, conducting_gaps = _gap_shapes(design, geometry, mu_core, core_material, scale)
    shapes += gap_shapes

    # PCB: centred in the window height; copper of each layer centred in the window width.
    stack_height = sum(stack.copper_thickness) + sum(stack.dielectric_thickness)
    z = 0.5 * (wh - stack_height)
    board_margin = 0.5 * stack.clearance
    board_r0, board_r1 = r1 + board_margin, r2 - board_margin
    layer_z = []
    for i, t_cu in enumerate(stack.copper_thickness):
        layer_z.append((z, z + t_cu))
        z += t_cu
        if i < stack.n_layers - 1:
            t_d = stack.dielectric_thickness[i]
            shapes.append(
                Rect(
                    f"dielectric/L{i + 1}-L{i + 2}",
                    board_r0,
                    board_r1,
                    z,
                    z + t_d,
                    "dielectric",
                    Material(relative_permittivity=stack.dielectric_permittivity[i]),
                    priority=PRIORITY_BOARD,
                    mesh_size=scale * t_d / mesh.dielectric_layers,
                )
            )
            z += t_d

    # Resin between the tracks of inner layers; outer layers have air between tracks.
    for i in range(1, stack.n_layers - 1):
        eps_fill = 0.5 * (stack.dielectric_permittivity[i - 1] + stack.dielectric_permittivity[i])
        z0, z1 = layer_z[i]
        shapes.append(
            Rect(
                f"dielectric/L{i + 1}",
                board_r0,
                board_r1,
                z0,
                z1,
                "dielectric",
                Material(relative_permittivity=eps_fill),
                priority=PRIORITY_FILL,
                mesh_size=copper_size,
            )
        )

    turns = _turn_shapes(design, pattern, layer_z, r1, r2, copper_size)
    shapes += [s for s, _ in turns]
    shield_shapes = _shield_shapes(design, pattern, layer_z, r1, r2, copper_size)
    shapes += shield_shapes
    shields = {
        shield.name: tuple(s.name for s in shield_shapes if s.name.startswith(f"shield/{shield.name}/"))
        for shield in design.shields
    }
    by_winding: dict[str, list[TurnInfo]] = {w.name: [] for w in design.windings}
    for _, info in turns:
        by_winding[info.winding].append(info)
    ordered = {
        name: tuple(sorted(infos, key=lambda t: (t.position, t.layer))) for name, infos in by_winding.items()
    }

    # Domain: the core's extent times the domain factor, centred on the window.
    extent = max(r3, wh + geometry.bottom_thickness + geometry.top_thickness)
    half = mesh.domain_factor * extent
    domain = (0.0, mesh.domain_factor * r3, 0.5 * wh - half, 0.5 * wh + half)
    layout = Layout(
        tuple(shapes),
        domain,
        background="air",
        background_material=Material(),
        background_mesh_size=max(core_size * 4.0, scale * extent / 10.0),
        axisymmetric=True,
    )
    logger.info(
        "layout %s: r1 = %.3f mm, r2 = %.3f mm, r3 = %.3f mm, window %.3f mm high, "
        "%d turns, copper element size %.1f µm (skin depth %.1f µm at %.3g Hz)",
        pattern,
        r1 * 1e3,
        r2 * 1e3,
        r3 * 1e3,
        wh * 1e3,
        sum(len(t) for t in ordered.values()),
        copper_size * 1e6,
        delta * 1e6,
        f_max,
    )
    return AxisymmetricModel(layout, geometry, pattern, ordered, core_regions, conducting_gaps, shields)


def _core_geometry(design: Design) -> CoreGeometry:
    core = design.core
    e = core.e_half
    r1 = np.sqrt(e.centre_leg_width * e.depth / np.pi)
    r2 = r1 + core.window_width
    outer_area = 2.0 * core.outer_leg_width * e.depth
    r3 = np.sqrt(r2**2 + outer_area / np.pi)
    bottom = e.height - e.leg_height
    top = core.plate.thickness if core.combination == "E+PLT" else bottom
    return CoreGeometry(
        r_centre=float(r1),
        r_window=float(r2),
        r_outer=float(r3),
        window_height=core.window_height,
        bottom_thickness=bottom,
        top_thickness=top,
        centre_gap=core.air_gap + core.residual_gap,
        outer_gap=core.residual_gap,
    )


def _core_shapes(design: Design, g: CoreGeometry, material: Material, size: float) -> list[Rect]:
    """Back, legs and plate (or second E) as separate named regions of one core."""
    wh = g.window_height
    top_name = "core/plate" if design.core.combination == "E+PLT" else "core/E2/back"

    def core_rect(name, r0, r1, z0, z1):
        return Rect(name, r0, r1, z0, z1, "core", material, priority=PRIORITY_CORE, mesh_size=size)

    return [
        core_rect("core/E/back", 0.0, g.r_outer, -g.bottom_thickness, 0.0),
        core_rect("core/E/centre_leg", 0.0, g.r_centre, 0.0, wh),
        core_rect("core/E/outer_leg", g.r_window, g.r_outer, 0.0, wh),
        core_rect(top_name, 0.0, g.r_outer, wh, wh + g.top_thickness),
    ]


def _gap_shapes(
    design: Design, g: CoreGeometry, mu_core: complex, core_material: Material, scale: float
) -> tuple[list[Rect], tuple[str, ...]]:
    """Gap layers on the legs at the mating plane, and which of them conduct with the core."""
    wh = g.window_height
    mating_z = wh if design.core.combination == "E+PLT" else 0.5 * wh
    shapes, conducting = [], []
    for name, gap, r0, r1 in (
        ("gap/centre_leg", g.centre_gap, 0.0, g.r_centre),
        ("gap/outer_leg", g.outer_gap, g.r_window, g.r_outer),
    ):
        if gap <= 0.0:
            continue
        if gap >= wh:
            raise GeometryError(f"{name}: a gap of {gap * 1e3:.3f} mm does not fit the window height {wh * 1e3:.3f} mm")
        thickness = max(gap, MIN_GAP_LAYER)
        if thickness > gap:
            # Equivalent layer: same reluctance as the gap plus the ferrite it replaces.
            mu_eq = thickness / ((thickness - gap) / mu_core + gap)
            material = dataclasses.replace(core_material, relative_permeability=mu_eq)
            conducting.append(name)
            size = scale * thickness
        else:
            material = Material(relative_permittivity=1.0)
            size = scale * gap / 3.0
        z0 = mating_z - thickness if design.core.combination == "E+PLT" else mating_z - 0.5 * thickness
        shapes.append(Rect(name, r0, r1, z0, z0 + thickness, "gap", material, priority=PRIORITY_GAP, mesh_size=size))
    return shapes, tuple(conducting)


def winding_layer_groups(design: Design, winding: Winding, pattern: str) -> list[list[int]]:
    """Return the winding's layers (0-based) in series order, grouped by parallel connection."""
    layers = [i for i, letter in enumerate(pattern) if letter == winding.symbol]
    if winding.series_order is not None:
        layers = [layers[k - 1] for k in winding.series_order]
    k = winding.parallel_layers
    return [layers[i : i + k] for i in range(0, len(layers), k)]


def _turn_shapes(design, pattern, layer_z, r1, r2, size):
    """Copper rings of every layer, with their series positions.

    By default the series path spirals inward on the first group of layers (from the
    outermost turn to a via at the innermost), outward on the next, and so on, as a
    two-layer PCB spiral does. ``Winding.layer_starts`` sets the entry end of each group
    instead.
    """
    out = []
    for winding in design.windings:
        groups = winding_layer_groups(design, winding, pattern)
        n = winding.turns_per_layer
        width = n * winding.trace_width + (n - 1) * winding.spacing
        r_start = 0.5 * (r1 + r2) - 0.5 * width
        copper = Material(conductivity=winding.conductivity)
        for g_index, group in enumerate(groups):
            if winding.layer_starts is None:
                inward = g_index % 2 == 0
            else:
                inward = winding.layer_starts[g_index] == "outer"
            for layer in group:
                z0, z1 = layer_z[layer]
                for j in range(n):
                    ra = r_start + j * (winding.trace_width + winding.spacing)
                    step = (n - 1 - j) if inward else j
                    info = TurnInfo(
                        region=f"turn/{winding.name}/L{layer + 1}/{j + 1}",
                        winding=winding.name,
                        layer=layer,
                        index=j,
                        position=g_index * n + step,
                        group=g_index,
                        r_inner=ra,
                        r_outer=ra + winding.trace_width,
                    )
                    rect = Rect(
                        info.region,
                        ra,
                        ra + winding.trace_width,
                        z0,
                        z1,
                        "copper",
                        copper,
                        priority=PRIORITY_COPPER,
                        mesh_size=size,
                        winding=winding.name,
                        layer=layer,
                        turn=j,
                    )
                    out.append((rect, info))
    return out


def _shield_shapes(design, pattern, layer_z, r1, r2, size) -> list[Rect]:
    """Copper rings of the shield layers, centred in the window.

    A comb gets zero conductivity: its fingers cut the circumferential current paths,
    so the axisymmetric eddy-current model leaves it out. The electrostatic model
    treats every shield ring as a conductor regardless of its conductivity.
    """
    clearance = design.stackup.clearance
    shapes = []
    for shield in design.shields:
        width = shield.width if shield.width is not None else (r2 - r1) - 2.0 * clearance
        ra = 0.5 * (r1 + r2) - 0.5 * width
        conductivity = shield.conductivity if shield.kind == "full" else 0.0
        for layer, letter in enumerate(pattern):
            if letter != shield.symbol:
                continue
            z0, z1 = layer_z[layer]
            shapes.append(
                Rect(
                    f"shield/{shield.name}/L{layer + 1}",
                    ra,
                    ra + width,
                    z0,
                    z1,
                    "copper",
                    Material(conductivity=conductivity),
                    priority=PRIORITY_COPPER,
                    mesh_size=size,
                    layer=layer,
                )
            )
    return shapes
