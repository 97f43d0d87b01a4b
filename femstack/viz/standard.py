"""The standard set of pictures of a finished run, as written by ``femstack plot``."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from femstack.viz.results import RunResults, load_results

logger = logging.getLogger(__name__)


def _save_figure(figure, path: Path) -> Path:
    """Save a matplotlib figure as PNG under a temporary name and rename it when complete."""
    tmp = path.with_name(f".{path.stem}.tmp.png")
    try:
        figure.savefig(tmp, format="png", metadata={"Software": None})
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    logger.info("wrote %s", path)
    return path


def write_standard_plots(results_dir: str | Path, out_dir: str | Path | None = None, *,
                         fields: bool = True) -> list[Path]:
    """Write the standard pictures of the run in ``results_dir`` as PNG files.

    Parameters
    ----------
    results_dir
        Folder written by ``femstack compare --out``.
    out_dir
        Folder for the pictures; default ``<results_dir>/plots``. Created if missing;
        files of the same names are replaced.
    fields
        Also draw the PyVista field pictures, which need the VTU files and an OpenGL
        context (EGL or X). With False, only ``results.json`` and ``summary.csv`` are
        required. The MMF chart is then drawn when every arrangement's ``_fields.vtu``
        and ``_regions.json`` are present, and left out with a logged warning otherwise.

    Returns
    -------
    list of Path
        Paths of the files written: charts first (``rac_rdc.png``, ``leakage.png``,
        ``mmf.png``, ``layer_loss.png``, ``common_mode.png``,
        ``<pattern>_capacitance_network.png``), then per arrangement the field
        pictures (``<pattern>_regions.png``, ``_potential.png``, ``_electric_field.png``,
        ``_flux_density.png``, ``_current_density.png``), then the side-by-side views
        (``compare_flux_density.png``, ``compare_electric_field.png``).
    """
    from femstack.viz import charts

    run = load_results(results_dir, need_fields=fields)
    out = Path(out_dir) if out_dir is not None else run.folder / "plots"
    out.mkdir(parents=True, exist_ok=True)
    field_sets = [run.fields(p) for p in run.patterns] if fields or _has_field_files(run) else None

    paths = [
        _save_figure(charts.plot_resistance_factor(run), out / "rac_rdc.png"),
        _save_figure(charts.plot_leakage(run), out / "leakage.png"),
    ]
    if field_sets is not None:
        paths.append(_save_figure(charts.plot_mmf(list(zip(field_sets, run.records))), out / "mmf.png"))
    else:
        logger.warning("skipped mmf.png: the MMF chart needs every arrangement's _fields.vtu and _regions.json")
    paths += [
        _save_figure(charts.plot_layer_loss(run), out / "layer_loss.png"),
        _save_figure(charts.plot_common_mode(run), out / "common_mode.png"),
    ]
    for record in run.records:
        figure = charts.plot_capacitance_network(record)
        paths.append(_save_figure(figure, out / f"{record['pattern']}_capacitance_network.png"))
    if fields:
        paths.extend(_write_field_plots(run, field_sets, out))
    return paths


def _has_field_files(run: RunResults) -> bool:
    """Return True when every arrangement has its ``_fields.vtu`` and ``_regions.json``."""
    return all(
        (run.folder / f"{pattern}{suffix}").is_file()
        for pattern in run.patterns
        for suffix in ("_fields.vtu", "_regions.json")
    )


def _write_field_plots(run: RunResults, field_sets, out: Path) -> list[Path]:
    from femstack.viz import fields as plots

    paths = []
    for field_set in field_sets:
        pattern = field_set.pattern
        for name, function in (
            ("regions", plots.plot_regions),
            ("potential", plots.plot_potential),
            ("electric_field", plots.plot_electric_field),
            ("flux_density", plots.plot_flux_density),
            ("current_density", plots.plot_current_density),
        ):
            path = out / f"{pattern}_{name}.png"
            function(field_set, filename=path)
            paths.append(path)
    for quantity in ("flux_density", "electric_field"):
        path = out / f"compare_{quantity}.png"
        plots.plot_side_by_side(field_sets, quantity, filename=path)
        paths.append(path)
    return paths
