r"""MMF across the winding window, from the finite-element field and from the 1-D model.

In the axisymmetric model the layers are stacked along z and the leakage field crosses
the window radially. Ampère's law on a loop that runs radially across the window at
height z, from the centre leg (r_c) to the outer leg (r_w), and closes through the core
(where H is taken as zero) gives

.. math:: F(z) = \int_{r_c}^{r_w} H_r(r, z)\,dr = \int_{z_0}^{z}\int J_\varphi\,dr\,dz',

the ampere-turns enclosed below z. The field value uses B_r/µ0 (the window contains no
magnetic material). The 1-D estimate (:func:`femstack.post.analytic.mmf_profile`) uses
each layer's current, ∫J_φ dr dz over its turns, spread evenly over the layer thickness.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from femstack.post.analytic import mmf_profile
from femstack.viz.results import FieldSet, ResultsError

MU_0 = 4e-7 * np.pi

_TURN = re.compile(r"turn/(?P<winding>[^/]+)/(?P<layer>[^/]+)/(?P<index>\d+)$")


@dataclasses.dataclass
class MmfCurves:
    """MMF across the window at the instant the current phasors are real.

    Attributes
    ----------
    z_fem, mmf_fem
        Heights in m and the finite-element MMF in A.
    z_1d, mmf_1d
        Vertices of the piecewise-linear 1-D estimate, heights in m, MMF in A.
    layers
        Layer name → (z_bottom, z_top in m, layer current in A).
    """

    z_fem: np.ndarray
    mmf_fem: np.ndarray
    z_1d: np.ndarray
    mmf_1d: np.ndarray
    layers: dict[str, tuple[float, float, float]]


def _window_heights(fields: FieldSet, r_centre: float, r_window: float, z_low: float, z_high: float):
    """Return the z of the core faces just below and above the turns, in the window's radial span."""
    core = fields.grid.extract_cells(fields.cells_of("core"))
    centres = np.asarray(core.cell_centers().points)
    inside = (centres[:, 0] > r_centre) & (centres[:, 0] < r_window)
    points_below = centres[inside & (centres[:, 1] < z_low)]
    points_above = centres[inside & (centres[:, 1] > z_high)]
    if len(points_below) == 0 or len(points_above) == 0:
        raise ResultsError(f"{fields.pattern}_fields.vtu: no core found below and above the turns in the window")
    # Cell centres sit inside the core, so take the nearest core face from the core's points.
    core_points = np.asarray(core.points)
    in_span = (core_points[:, 0] > r_centre) & (core_points[:, 0] < r_window)
    below = core_points[in_span & (core_points[:, 1] <= z_low)][:, 1]
    above = core_points[in_span & (core_points[:, 1] >= z_high)][:, 1]
    return float(below.max()), float(above.min())


def layer_currents(fields: FieldSet, frequency_tag: str) -> dict[str, tuple[float, float, float]]:
    """Return layer name → (z_bottom, z_top in m, Re ∫J_φ dr dz in A) from the VTU fields."""
    magnitude = f"J_abs_A_per_m2_{frequency_tag}"
    phase = f"J_phase_deg_{frequency_tag}"
    if phase not in fields.grid.cell_data:
        raise ResultsError(
            f"{fields.pattern}_fields.vtu has no '{phase}' array; it was written by an older femstack, "
            "run 'femstack compare --out' again"
        )
    sizes = fields.grid.compute_cell_sizes(length=False, volume=False)
    area = np.asarray(sizes.cell_data["Area"])
    current = np.asarray(fields.grid.cell_data[magnitude]) * np.cos(np.radians(fields.grid.cell_data[phase]))
    layers: dict[str, list] = {}
    for index, name in enumerate(fields.region_names):
        found = _TURN.match(name)
        if found is None:
            continue
        cells = np.flatnonzero(np.asarray(fields.grid.cell_data["region"]) == index)
        r0, r1, z0, z1 = fields.bounds_of(name)
        entry = layers.setdefault(found["layer"], [z0, z1, 0.0])
        entry[0], entry[1] = min(entry[0], z0), max(entry[1], z1)
        entry[2] += float(np.sum(current[cells] * area[cells]))
    if not layers:
        raise ResultsError(f"{fields.pattern}_fields.vtu has no turn regions named turn/<winding>/<layer>/<n>")
    return {name: tuple(values) for name, values in sorted(layers.items(), key=lambda item: item[1][0])}


def mmf_curves(fields: FieldSet, record: dict, frequency_tag: str, samples: int = 400) -> MmfCurves:
    """Compute the finite-element and the 1-D MMF across the window of one arrangement.

    ``record`` is the arrangement's entry of ``results.json`` (for the window radii).
    """
    import pyvista

    core = record["core_equivalent"]
    r_centre, r_window = core["r_centre_leg_m"], core["r_window_m"]
    layers = layer_currents(fields, frequency_tag)
    z_low = min(z0 for z0, _, _ in layers.values())
    z_high = max(z1 for _, z1, _ in layers.values())
    z_bottom, z_top = _window_heights(fields, r_centre, r_window, z_low, z_high)

    # Sample B_r on a grid of horizontal lines across the window and integrate over r.
    radial = np.linspace(r_centre, r_window, samples)
    heights = np.linspace(z_bottom, z_top, samples)[1:-1]
    rr, zz = np.meshgrid(radial, heights)
    points = pyvista.PolyData(np.column_stack([rr.ravel(), zz.ravel(), np.zeros(rr.size)]))
    probed = points.sample(fields.grid)
    br = np.asarray(probed.point_data[f"Br_re_T_{frequency_tag}"]).reshape(rr.shape)
    mmf_fem = np.trapezoid(br / MU_0, radial, axis=1)

    # 1-D estimate from the layer currents and their positions.
    ordered = list(layers.values())
    thickness = [z1 - z0 for z0, z1, _ in ordered]
    gaps = [ordered[i + 1][0] - ordered[i][1] for i in range(len(ordered) - 1)]
    profile = mmf_profile(
        [(h, current) for h, (_, _, current) in zip(thickness, ordered)],
        gaps,
        gap_before=ordered[0][0] - z_bottom,
        gap_after=z_top - ordered[-1][1],
    )
    return MmfCurves(heights, mmf_fem, profile.position + z_bottom, profile.mmf, layers)
