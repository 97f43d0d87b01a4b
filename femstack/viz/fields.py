"""Field plots of one or several arrangements with PyVista.

Every function takes :class:`~femstack.viz.results.FieldSet` objects (read from the
pipeline's VTU files) and returns a ``pyvista.Plotter``. With ``filename`` the plot is
rendered offscreen and saved as a PNG file. Without it, the caller shows the plotter:
``plotter.show()`` opens a desktop window, and in Jupyter
``plotter.show(jupyter_backend="static")`` gives an image, or ``"trame"`` an interactive
view when trame is installed.

Coordinates: r (radial) is horizontal and z (axial) vertical, both in mm; the view is
cropped to the core and what it encloses. Units: potential in V, |E| in V/m, |B| in T,
|J| in A/mm². Flux lines are contours of r·A_φ, which is constant along a field line of
B in an axisymmetric field (contours of A_φ alone are not).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from femstack.viz.results import FieldSet, ResultsError, spaced_frequency

logger = logging.getLogger(__name__)

#: Colour of each region kind in :func:`plot_regions`, by region-name prefix.
REGION_COLOURS = {
    "core": "#7f7f7f",
    "gap": "#ffd24d",
    "dielectric": "#9bd18b",
    "air": "#a9cbea",
}
#: Colours of the windings' turns, in order of first appearance.
WINDING_COLOURS = ("#d62728", "#1f77b4", "#ff7f0e", "#9467bd", "#8c564b")

#: Quantities that :func:`plot_side_by_side` accepts.
QUANTITIES = ("potential", "electric_field", "flux_density", "current_density")


class RenderError(RuntimeError):
    """A plot could not be rendered or saved."""


def use_offscreen_if_headless() -> None:
    """Select VTK's EGL render window when no X display is set (Linux only).

    The VTK wheels from PyPI (9.4 and newer) try X first and fall back to EGL with a
    "bad X server connection" warning. Choosing EGL up front avoids the warning. EGL
    needs Mesa's libEGL (Debian packages libegl1 and libegl-mesa0). A value the user
    has set in ``VTK_DEFAULT_OPENGL_WINDOW`` is kept.
    """
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def _pyvista():
    use_offscreen_if_headless()
    import pyvista

    return pyvista


def _in_mm(fields: FieldSet, extent: tuple[float, float, float, float] | None = None):
    """Return the grid cropped to ``extent`` (default: the core) and scaled to mm."""
    r0, r1, z0, z1 = extent if extent is not None else fields.core_window()
    grid = fields.grid.clip_box([r0, r1, z0, z1, -1.0, 1.0], invert=False, crinkle=True)
    return grid.scale(1e3, inplace=False)


def _add_outlines(plotter, grid, region_names: list[str], colour: str = "#d0d0d0") -> None:
    """Draw the outlines of the core parts and of the turns on a grid in mm."""
    region = np.asarray(grid.cell_data["region"])
    for prefix in ("core", "turn/"):
        indices = [i for i, name in enumerate(region_names) if name.startswith(prefix)]
        for index in indices:
            cells = np.flatnonzero(region == index)
            if cells.size == 0:
                continue
            edges = grid.extract_cells(cells).extract_feature_edges(
                boundary_edges=True, feature_edges=False, manifold_edges=False, non_manifold_edges=False
            )
            plotter.add_mesh(edges, color=colour, line_width=1.0)


def _frequency_array(fields: FieldSet, prefix: str, frequency: str | None) -> str:
    """Return the name of array ``<prefix><tag>``; the highest frequency when ``frequency`` is None."""
    names = [n for n in fields.grid.array_names if n.startswith(prefix)]
    tags = [n[len(prefix):] for n in names]
    if not tags:
        raise ResultsError(f"{fields.pattern}_fields.vtu has no array {prefix}<frequency>")
    if frequency is None:
        return names[-1]
    if frequency not in tags:
        raise ResultsError(f"frequency {frequency!r} is not in {fields.pattern}_fields.vtu; available: {', '.join(tags)}")
    return prefix + frequency


def _plotter(shape=(1, 1), window_size=(1000, 620), off_screen: bool | None = None, **layout):
    pyvista = _pyvista()
    return pyvista.Plotter(shape=shape, window_size=list(window_size), off_screen=off_screen, border=False, **layout)


def _view_rz(plotter, true_bounds=None) -> None:
    """Look at the (r, z) plane with r to the right and z up.

    ``true_bounds`` (mm) labels the axes of a view whose actors were scaled with
    ``set_scale``, because the axes would otherwise show the scaled coordinates.
    """
    plotter.view_xy()
    plotter.enable_parallel_projection()
    extra = {"axes_ranges": list(true_bounds)} if true_bounds is not None else {}
    plotter.show_bounds(
        xtitle="r (mm)", ytitle="z (mm)", show_zaxis=False, show_zlabels=False, location="outer", font_size=10,
        fmt="%.1f", **extra,
    )


def _finish(plotter, filename: str | os.PathLike | None):
    """Save a PNG when ``filename`` is given (atomically), and return the plotter."""
    _separate_bar_titles(plotter)
    if filename is None:
        return plotter
    path = Path(filename)
    if path.suffix.lower() != ".png":
        raise ValueError(f"filename '{path}' must end in .png")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    try:
        plotter.screenshot(str(tmp))
        os.replace(tmp, path)
    except Exception as error:
        tmp.unlink(missing_ok=True)
        raise RenderError(f"rendering '{path}' failed: {error}") from None
    finally:
        plotter.close()
    logger.info("wrote %s", path)
    return plotter


def _bar(title: str, log_scale: bool = False, **extra) -> dict:
    """Return the options of a vertical colour bar right of the plot.

    Log-scale bars label their ticks in one exponent format (``4.8e-04``), because ``%g``
    mixes plain and exponent notation along one bar.
    """
    return {"title": title, "vertical": True, "position_x": 0.86, "position_y": 0.12, "height": 0.66,
            "title_font_size": 14, "label_font_size": 12, "fmt": "%.1e" if log_scale else "%.3g", **extra}


def _bar_options(title: str, bar: bool | None, log_scale: bool = False) -> dict:
    """Keyword arguments of add_mesh: a vertical bar (None), a bottom bar (True) or none (False)."""
    if bar is None:
        return {"scalar_bar_args": _bar(title, log_scale)}
    return {"show_scalar_bar": bar, "scalar_bar_args": _bottom_bar(title, log_scale)}


def _bottom_bar(title: str, log_scale: bool = False) -> dict:
    """Return the options of a horizontal colour bar under the plot, for views side by side.

    VTK (seen with 9.7) draws the title of a horizontal bar on the line of its tick
    labels. The trailing newline makes the title two lines high, which lifts its text
    above the labels.
    """
    return _bar(title + "\n", log_scale, vertical=False, position_x=0.15, position_y=0.01, width=0.7, height=0.12)


def _separate_bar_titles(plotter, pixels: int = 12) -> None:
    """Leave ``pixels`` between a vertical bar's title and its top tick label, which otherwise overlap."""
    for bar in plotter.scalar_bars.values():
        bar.SetVerticalTitleSeparation(pixels)


def _add_potential(plotter, fields: FieldSet, clim=None, extent=None, bar=None) -> None:
    grid = _in_mm(fields, extent)
    plotter.add_mesh(grid, scalars="potential_V", cmap="viridis", clim=clim, **_bar_options("potential (V)", bar))
    _add_outlines(plotter, grid, fields.region_names)
    levels = np.linspace(0.05, 0.95, 10)
    lines = grid.cell_data_to_point_data().contour(isosurfaces=levels, scalars="potential_V")
    if lines.n_points:
        plotter.add_mesh(lines, color="white", line_width=1.5)


def plot_potential(fields: FieldSet, *, filename=None, off_screen=None, window_size=(1000, 620)):
    """Plot the common-mode potential (V) with equipotential lines every 0.1 V.

    The excitation is 1 V on the switching terminal, 0 V on the quiet ones.
    """
    plotter = _plotter(window_size=window_size, off_screen=_offscreen(filename, off_screen))
    _add_potential(plotter, fields)
    plotter.add_title(f"{fields.pattern}: potential, 1 V on the switching node", font_size=10)
    _view_rz(plotter)
    return _finish(plotter, filename)


def _add_electric_field(plotter, fields: FieldSet, clim=None, extent=None, bar=None) -> None:
    grid = _in_mm(fields, extent)
    values = np.asarray(grid.cell_data["E_abs_V_per_m"])
    clim = clim or _log_limits(values)
    plotter.add_mesh(grid, scalars="E_abs_V_per_m", cmap="inferno", log_scale=True, clim=clim,
                     **_bar_options("E magnitude (V/m)", bar, log_scale=True))
    _add_outlines(plotter, grid, fields.region_names)
    lines = grid.contour(isosurfaces=np.linspace(0.05, 0.95, 10), scalars="potential_V")
    if lines.n_points:
        plotter.add_mesh(lines, color="cyan", line_width=1.0)


def plot_electric_field(fields: FieldSet, *, filename=None, off_screen=None, window_size=(1000, 620)):
    """Plot |E| in V/m (log colour scale) with the equipotential lines, 1 V excitation."""
    plotter = _plotter(window_size=window_size, off_screen=_offscreen(filename, off_screen))
    _add_electric_field(plotter, fields)
    plotter.add_title(f"{fields.pattern}: E magnitude and equipotentials, 1 V on the switching node", font_size=10)
    _view_rz(plotter)
    return _finish(plotter, filename)


def _add_flux_density(plotter, fields: FieldSet, frequency, clim=None, extent=None, lines=24, bar=None) -> str:
    b_name = _frequency_array(fields, "B_abs_T_", frequency)
    tag = b_name[len("B_abs_T_"):]
    grid = _in_mm(fields, extent)
    values = np.asarray(grid.cell_data[b_name])
    clim = clim or _log_limits(values)
    plotter.add_mesh(grid, scalars=b_name, cmap="plasma", log_scale=True, clim=clim,
                     **_bar_options("B peak (T)", bar, log_scale=True))
    _add_outlines(plotter, grid, fields.region_names, colour="#808080")
    flux = np.asarray(grid.point_data[f"rA_re_Wb_{tag}"])
    levels = _symmetric_levels(flux, lines)
    contours = grid.contour(isosurfaces=levels, scalars=f"rA_re_Wb_{tag}")
    if contours.n_points:
        plotter.add_mesh(contours, color="white", line_width=1.2)
    return tag


def plot_flux_density(fields: FieldSet, frequency: str | None = None, *, filename=None, off_screen=None,
                      window_size=(1000, 620)):
    """Plot peak |B| in T (log colour scale) with flux lines, contours of Re(r·A_φ).

    ``frequency`` is a tag as in the VTU array names (``"1MHz"``); default the highest.
    The flux lines show the field at the instant the design's current phasors are real.
    """
    plotter = _plotter(window_size=window_size, off_screen=_offscreen(filename, off_screen))
    tag = _add_flux_density(plotter, fields, frequency)
    plotter.add_title(f"{fields.pattern}: B peak and flux lines at {spaced_frequency(tag)}", font_size=10)
    _view_rz(plotter)
    return _finish(plotter, filename)


def _winding_extent(fields: FieldSet, margin: float = 0.3e-3) -> tuple[float, float, float, float]:
    r0, r1, z0, z1 = fields.bounds_of("turn/")
    return r0 - margin, r1 + margin, z0 - margin, z1 + margin


def plot_current_density(fields: FieldSet, frequency: str | None = None, *, filename=None, off_screen=None,
                         window_size=(1000, 760), z_stretch: float = 3.0):
    """Plot peak |J| in A/mm² (top) and the phase of J in degrees (bottom) in the turns.

    The phase is the angle of the J_φ phasor, in the time reference of the design's
    current phasors. With the reference design's currents (P at 0°, S at 180°), the
    primary's turns are near 0° and the secondary's near ±180° where eddy currents are
    weak. z is drawn stretched by ``z_stretch`` so that thin layers are visible; the
    axis labels show the true z.
    """
    j_name = _frequency_array(fields, "J_abs_A_per_m2_", frequency)
    tag = j_name[len("J_abs_A_per_m2_"):]
    turns = fields.grid.extract_cells(fields.cells_of("turn/")).scale(1e3, inplace=False)
    turns.cell_data["J_abs_A_per_mm2"] = np.asarray(turns.cell_data[j_name]) * 1e-6
    plotter = _plotter(shape=(2, 1), window_size=window_size, off_screen=_offscreen(filename, off_screen))
    plotter.subplot(0, 0)
    plotter.add_mesh(turns, scalars="J_abs_A_per_mm2", cmap="turbo", scalar_bar_args=_bar("J peak (A/mm²)"))
    plotter.add_title(
        f"{fields.pattern}: current density at {spaced_frequency(tag)} (z stretched x{z_stretch:g})", font_size=10
    )
    plotter.set_scale(yscale=z_stretch)
    _view_rz(plotter, turns.bounds)
    plotter.subplot(1, 0)
    plotter.add_mesh(turns.copy(), scalars=f"J_phase_deg_{tag}", cmap="twilight_shifted", clim=[-180, 180],
                     scalar_bar_args=_bar("phase of J (deg)"))
    plotter.set_scale(yscale=z_stretch)
    _view_rz(plotter, turns.bounds)
    return _finish(plotter, filename)


def _region_kind(name: str, windings: list[str]) -> int:
    if name.startswith("turn/"):
        return len(REGION_COLOURS) + windings.index(name.split("/")[1])
    for index, prefix in enumerate(REGION_COLOURS):
        if name.startswith(prefix):
            return index
    return list(REGION_COLOURS).index("air")


def plot_regions(fields: FieldSet, *, filename=None, off_screen=None, window_size=(1000, 900), show_edges=True,
                 z_stretch: float = 3.0):
    """Plot the mesh with its regions coloured by kind (core, gap, dielectric, air, each winding).

    The top view shows the core and what it encloses, with a box around the windings.
    The bottom view zooms into that box, without mesh edges, and draws z stretched by
    ``z_stretch``, because copper layers some tens of µm thick are too thin to see at
    the scale of the core.
    The axis labels of both views show the true r and z. The legend has its own column
    so that it covers no part of either view.
    """
    pyvista = _pyvista()
    windings = sorted({n.split("/")[1] for n in fields.region_names if n.startswith("turn/")})
    kinds = np.array([_region_kind(n, windings) for n in fields.region_names])
    colours = list(REGION_COLOURS.values()) + list(WINDING_COLOURS[: len(windings)])
    labels = list(REGION_COLOURS) + [f"winding {w}" for w in windings]
    from matplotlib.colors import ListedColormap

    colour_map = ListedColormap(colours)
    zoom = _winding_extent(fields)
    plotter = _plotter(shape=(2, 2), window_size=window_size, off_screen=_offscreen(filename, off_screen),
                       col_weights=[4, 1], groups=[(np.s_[:], 1)])

    # Top: the whole cross-section inside the core, with the zoomed box outlined.
    plotter.subplot(0, 0)
    whole = _in_mm(fields)
    whole.cell_data["kind"] = kinds[np.asarray(whole.cell_data["region"])]
    plotter.add_mesh(whole, scalars="kind", cmap=colour_map, clim=[-0.5, len(colours) - 0.5], n_colors=len(colours),
                     show_edges=show_edges, edge_color="#505050", line_width=0.1, show_scalar_bar=False,
                     lighting=False)
    r0, r1, z0, z1 = (value * 1e3 for value in zoom)
    box = pyvista.MultipleLines(points=[[r0, z0, 0.01], [r1, z0, 0.01], [r1, z1, 0.01], [r0, z1, 0.01], [r0, z0, 0.01]])
    plotter.add_mesh(box, color="black", line_width=2.0)
    plotter.add_title(f"{fields.pattern}: regions and mesh ({fields.grid.n_cells:,} triangles in all)", font_size=10)
    _view_rz(plotter)

    # Bottom: the windings and what surrounds them, z stretched.
    plotter.subplot(1, 0)
    detail = fields.grid.clip_box([*zoom, -1.0, 1.0], invert=False, crinkle=False).scale(1e3, inplace=False)
    detail.cell_data["kind"] = kinds[np.asarray(detail.cell_data["region"])]
    # No mesh edges here, because on the fine mesh of the turns they hide the turns' colours.
    plotter.add_mesh(detail, scalars="kind", cmap=colour_map, clim=[-0.5, len(colours) - 0.5], n_colors=len(colours),
                     show_scalar_bar=False, lighting=False)
    plotter.add_title(f"windings, the boxed area above (z stretched x{z_stretch:g})", font_size=10)
    plotter.set_scale(yscale=z_stretch)
    _view_rz(plotter, detail.bounds)

    # Right: the legend alone, spanning both rows.
    plotter.subplot(0, 1)
    legend = plotter.add_legend([[label, colour] for label, colour in zip(labels, colours)], bcolor="#f4f4f4",
                                loc=None, face="rectangle")
    legend.SetPosition(0.05, 0.35)
    legend.SetPosition2(0.85, 0.3)
    return _finish(plotter, filename)


def plot_side_by_side(field_sets: Sequence[FieldSet], quantity: str = "flux_density", frequency: str | None = None,
                      *, filename=None, off_screen=None, window_size=None):
    """Plot one quantity for several arrangements in a row, on one colour scale.

    ``quantity`` is one of :data:`QUANTITIES`. The colour limits span all arrangements,
    so equal colours mean equal values.
    """
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity {quantity!r} is not known; choose one of {', '.join(QUANTITIES)}")
    if not field_sets:
        raise ValueError("field_sets is empty; pass at least one arrangement's FieldSet")
    count = len(field_sets)
    size = window_size or (560 * count, 560)
    plotter = _plotter(shape=(1, count), window_size=size, off_screen=_offscreen(filename, off_screen))
    if quantity == "potential":
        clim, name = [0.0, 1.0], None
    elif quantity == "electric_field":
        name = "E_abs_V_per_m"
    elif quantity == "flux_density":
        name = _frequency_array(field_sets[0], "B_abs_T_", frequency)
    else:
        name = _frequency_array(field_sets[0], "J_abs_A_per_m2_", frequency)
    if name is not None:
        extents = [_winding_extent(f) if quantity == "current_density" else None for f in field_sets]
        values = np.concatenate([np.asarray(_in_mm(f, e).cell_data[name]) for f, e in zip(field_sets, extents)])
        clim = _log_limits(values) if quantity != "current_density" else [0.0, float(values.max()) * 1e-6]
    for column, fields in enumerate(field_sets):
        plotter.subplot(0, column)
        bar = column == count - 1
        if quantity == "potential":
            _add_potential(plotter, fields, clim, bar=bar)
        elif quantity == "electric_field":
            _add_electric_field(plotter, fields, clim, bar=bar)
        elif quantity == "flux_density":
            _add_flux_density(plotter, fields, frequency, clim, bar=bar)
        else:
            turns = fields.grid.extract_cells(fields.cells_of("turn/")).scale(1e3, inplace=False)
            turns.cell_data["J_abs_A_per_mm2"] = np.asarray(turns.cell_data[name]) * 1e-6
            plotter.add_mesh(turns, scalars="J_abs_A_per_mm2", cmap="turbo", clim=clim, show_scalar_bar=bar,
                             scalar_bar_args=_bottom_bar("J peak (A/mm²)"))
        plotter.add_title(fields.pattern, font_size=10)
        _view_rz(plotter)
        # The default camera fills the narrow view, which leaves no room for the z title.
        plotter.camera.zoom(0.85)
    plotter.link_views()
    return _finish(plotter, filename)


def _offscreen(filename, off_screen: bool | None) -> bool | None:
    """Render offscreen when saving to a file, unless the caller says otherwise."""
    if off_screen is not None:
        return off_screen
    return True if filename is not None else None


def _log_limits(values: np.ndarray, decades: float = 4.0) -> list[float]:
    """Return colour limits for a log scale: the maximum and at most ``decades`` below it.

    The lower limit is the 1st percentile of the positive values unless that lies further
    down, as |E| does inside a conductor (zero up to round-off).
    """
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        return [1e-12, 1.0]
    high = float(positive.max())
    low = max(float(np.percentile(positive, 1.0)), high * 10.0**-decades)
    return [low, high] if high > low else [high / 10.0, high]


def _symmetric_levels(flux: np.ndarray, count: int) -> np.ndarray:
    """Return ``count`` contour levels evenly spaced over the range of ``flux``, ends excluded."""
    low, high = float(np.nanmin(flux)), float(np.nanmax(flux))
    if high <= low:
        return np.array([low])
    return np.linspace(low, high, count + 2)[1:-1]

