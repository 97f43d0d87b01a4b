"""Field plots, charts, ``femstack plot`` and ``femstack report`` on a finished run.

The run is the reference design on a coarse mesh (size_factor 4) at 100 kHz and 1 MHz,
all three patterns, solved once per module and written with `femstack.outputs`. Pictures
are rendered offscreen (VTK's EGL window without a display) and checked by their pixel
statistics: a blank or single-colour picture fails.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from femstack import outputs
from femstack.cli import app
from femstack.design.loader import load_design_text, reference_design_path
from femstack.pipeline import compare
from femstack.viz import charts
from femstack.viz import fields as field_plots
from femstack.viz.fields import use_offscreen_if_headless
from femstack.viz.mmf import MU_0, mmf_curves
from femstack.viz.results import ResultsError, load_results, read_fields, spaced_frequency

use_offscreen_if_headless()

REFERENCE_FREQUENCIES = 'frequencies = ["100 kHz", "500 kHz", "1 MHz"]'


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory) -> Path:
    text = reference_design_path().read_text(encoding="utf-8")
    assert REFERENCE_FREQUENCIES in text, "the reference design changed its frequency line"
    text = text.replace(REFERENCE_FREQUENCIES, 'frequencies = ["100 kHz", "1 MHz"]') + "\n[mesh]\nsize_factor = 4.0\n"
    comparison = compare(load_design_text(text))
    out = tmp_path_factory.mktemp("viz") / "results"
    outputs.write_all(comparison, out)
    return out


@pytest.fixture(scope="module")
def run(results_dir):
    return load_results(results_dir)


@pytest.fixture(scope="module")
def field_sets(run):
    return [run.fields(p) for p in run.patterns]


def read_png(path: Path) -> np.ndarray:
    import matplotlib.image

    return matplotlib.image.imread(str(path))[..., :3]


def assert_not_blank(path: Path, min_colours: int = 20, min_ink: float = 0.01) -> None:
    """Fail when the picture is missing, single-coloured or nearly all background."""
    assert path.is_file(), f"{path} was not written"
    image = read_png(path)
    flat = (image.reshape(-1, 3) * 255).astype(np.uint8)
    colours = len(np.unique(flat, axis=0))
    assert colours >= min_colours, f"{path.name} has only {colours} distinct colours"
    background = np.median(flat, axis=0)
    differs = np.any(np.abs(flat.astype(int) - background.astype(int)) > 30, axis=1).mean()
    assert differs > min_ink, f"{path.name}: only {differs:.1%} of the pixels differ from the background"
    assert image.std() > 0.05, f"{path.name}: pixel standard deviation {image.std():.3f}"


# Field plots -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["plot_regions", "plot_potential", "plot_electric_field", "plot_flux_density", "plot_current_density"],
)
def test_field_plot_not_blank(name, field_sets, tmp_path):
    path = tmp_path / f"{name}.png"
    getattr(field_plots, name)(field_sets[1], filename=path)
    assert_not_blank(path, min_ink=0.02)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a temporary file was left"


@pytest.mark.parametrize("quantity", field_plots.QUANTITIES)
def test_side_by_side_not_blank(quantity, field_sets, tmp_path):
    path = tmp_path / f"{quantity}.png"
    field_plots.plot_side_by_side(field_sets, quantity, filename=path)
    assert_not_blank(path)
    width = read_png(path).shape[1]
    assert width >= 3 * 500, "three arrangements side by side"


def test_flux_plot_at_named_frequency(field_sets, tmp_path):
    path = tmp_path / "b.png"
    field_plots.plot_flux_density(field_sets[0], "100kHz", filename=path)
    assert_not_blank(path)


def test_flux_plot_unknown_frequency(field_sets, tmp_path):
    with pytest.raises(ResultsError, match="available: 100kHz, 1MHz"):
        field_plots.plot_flux_density(field_sets[0], "7MHz", filename=tmp_path / "b.png")


def test_side_by_side_unknown_quantity(field_sets):
    with pytest.raises(ValueError, match="choose one of potential"):
        field_plots.plot_side_by_side(field_sets, "temperature")


def test_plot_filename_must_be_png(field_sets, tmp_path):
    with pytest.raises(ValueError, match="must end in .png"):
        field_plots.plot_regions(field_sets[0], filename=tmp_path / "regions.jpg")


def test_plot_returns_plotter_without_filename(field_sets):
    plotter = field_plots.plot_potential(field_sets[0], off_screen=True)
    image = plotter.screenshot(return_img=True)
    plotter.close()
    assert image.std() > 5.0


def test_render_failure_leaves_no_file(field_sets, tmp_path, monkeypatch):
    import pyvista

    def fail(self, *args, **kwargs):
        raise RuntimeError("no OpenGL context")

    monkeypatch.setattr(pyvista.Plotter, "screenshot", fail)
    with pytest.raises(field_plots.RenderError, match="regions.png.*no OpenGL context"):
        field_plots.plot_regions(field_sets[0], filename=tmp_path / "regions.png")
    assert list(tmp_path.iterdir()) == []


def test_log_colour_bars_use_one_format(field_sets):
    plotter = field_plots.plot_flux_density(field_sets[0], off_screen=True)
    bar = plotter.scalar_bars["B peak (T)"]
    assert bar.GetLabelFormat() == "%.1e"
    assert bar.GetVerticalTitleSeparation() > 0, "the title would touch the top tick label"
    plotter.close()


def test_side_by_side_bar_title_above_labels(field_sets):
    plotter = field_plots.plot_side_by_side(field_sets, "electric_field", off_screen=True)
    titles = [bar.GetTitle() for bar in plotter.scalar_bars.values()]
    assert titles == ["E magnitude (V/m)\n"], "the newline lifts the title off the tick labels"
    plotter.close()


def test_regions_plot_shows_windings(field_sets, tmp_path):
    path = tmp_path / "regions.png"
    field_plots.plot_regions(field_sets[1], filename=path)
    flat = (read_png(path).reshape(-1, 3) * 255).astype(int)
    for name, colour in zip(("P", "S"), field_plots.WINDING_COLOURS):
        rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        pixels = int((np.abs(flat - rgb).max(axis=1) <= 8).sum())
        # The legend's swatch alone has a few hundred pixels, and the stretched turns add thousands.
        assert pixels > 3000, f"winding {name} covers only {pixels} pixels of its colour"


def test_regions_legend_in_own_view(field_sets):
    plotter = field_plots.plot_regions(field_sets[0], off_screen=True)
    legend_view = plotter.renderers[plotter.renderers.loc_to_index((0, 1))]
    assert legend_view.legend is not None
    assert not [a for a in legend_view.actors.values() if hasattr(a, "GetMapper") and a.GetMapper() is not None]
    plotter.close()


@pytest.mark.parametrize("tag,text", [("1MHz", "1 MHz"), ("500kHz", "500 kHz"), ("50Hz", "50 Hz"), ("1.5MHz", "1.5 MHz")])
def test_spaced_frequency(tag, text):
    assert spaced_frequency(tag) == text


def test_chart_titles_space_the_unit(run, field_sets):
    assert charts.plot_layer_loss(run).axes[0].get_title() == "Copper loss per layer at 1 MHz, design currents"
    figure = charts.plot_mmf(list(zip(field_sets, run.records)))
    assert [axes.get_title() for axes in figure.axes] == [f"{p} at 1 MHz" for p in run.patterns]


# Physics of the plotted fields ---------------------------------------------------------


def test_flux_function_zero_on_axis(field_sets):
    grid = field_sets[1].grid
    on_axis = np.asarray(grid.points[:, 0]) == 0.0
    assert on_axis.sum() > 10
    assert np.all(np.asarray(grid.point_data["rA_re_Wb_1MHz"])[on_axis] == 0.0)


def test_flux_function_gives_radial_field(field_sets):
    """B_r = -(1/r) ∂(r·A_φ)/∂z, so the flux lines drawn are those of B, in the window."""
    fs = field_sets[0]
    grid = fs.grid
    window = grid.extract_cells(fs.cells_of("dielectric"))
    derivative = window.compute_derivative(scalars="rA_re_Wb_1MHz").point_data_to_cell_data()
    # compute_derivative returns the gradient per point; averaged to cells it is ∇(rA).
    d_dz = np.asarray(derivative.cell_data["gradient"])[:, 1]
    r = np.asarray(window.cell_centers().points)[:, 0]
    br_from_flux = -d_dz / r
    br = np.asarray(window.cell_data["Br_re_T_1MHz"])
    strong = np.abs(br) > 0.2 * np.abs(br).max()
    assert strong.sum() > 20
    error = np.linalg.norm(br_from_flux[strong] - br[strong]) / np.linalg.norm(br[strong])
    assert error < 0.15, f"relative difference {error:.3f} between -(1/r) d(rA)/dz and B_r"


@pytest.mark.parametrize("pattern,peak", [("PPSS", 8.0), ("PSPS", 4.0), ("PSSP", 4.0)])
def test_mmf_matches_ampere_turns(run, pattern, peak):
    """The field's MMF peaks at the ampere-turns of the layers below (1 A × 4 turns per P layer)."""
    curves = mmf_curves(run.fields(pattern), run.record(pattern), "100kHz", samples=200)
    assert np.max(np.abs(curves.mmf_fem)) == pytest.approx(peak, rel=0.03)
    assert np.max(np.abs(curves.mmf_1d)) == pytest.approx(peak, rel=1e-3)
    # Compare in the insulation between layers, where F is flat: inside a 70 µm layer F
    # rises by 4 A, so a sampling offset of a few µm would dominate the difference.
    in_gap = np.ones_like(curves.z_fem, dtype=bool)
    for z0, z1, _ in curves.layers.values():
        in_gap &= (curves.z_fem < z0 - 20e-6) | (curves.z_fem > z1 + 20e-6)
    one_d = np.interp(curves.z_fem, curves.z_1d, curves.mmf_1d)
    assert np.max(np.abs(curves.mmf_fem - one_d)[in_gap]) < 0.05 * peak
    assert MU_0 == pytest.approx(1.25663706e-6)


def test_layer_currents_balance(run):
    curves = mmf_curves(run.fields("PSPS"), run.record("PSPS"), "1MHz", samples=50)
    currents = [c for _, _, c in curves.layers.values()]
    assert currents == pytest.approx([4.0, -4.0, 4.0, -4.0], rel=0.01)


# Charts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["plot_resistance_factor", "plot_leakage", "plot_layer_loss", "plot_common_mode"]
)
def test_chart_not_blank(name, run, tmp_path):
    path = tmp_path / f"{name}.png"
    getattr(charts, name)(run).savefig(path)
    assert_not_blank(path)


def test_capacitance_network_not_blank(run, tmp_path):
    path = tmp_path / "network.png"
    charts.plot_capacitance_network(run.record("PSPS")).savefig(path)
    assert_not_blank(path, min_colours=10)


def test_mmf_chart_not_blank(run, field_sets, tmp_path):
    path = tmp_path / "mmf.png"
    charts.plot_mmf(list(zip(field_sets, run.records))).savefig(path)
    assert_not_blank(path, min_colours=10)


def test_layer_losses_sum_to_copper_loss(run):
    record = run.record("PPSS")
    losses = charts.layer_losses(record)
    assert list(losses) == ["L1", "L2", "L3", "L4"]
    total = sum(record["frequencies"][-1]["copper_loss_W"].values())
    assert sum(losses.values()) == pytest.approx(total, rel=1e-9)


# Results folder --------------------------------------------------------------------------


def test_vtu_region_names_in_field_data(results_dir):
    import meshio
    import pyvista

    names = list(pyvista.read(results_dir / "PSPS_fields.vtu").field_data.keys())
    assert "region 0 = core/E/back" in names
    assert any(re.fullmatch(r"region \d+ = turn/P/L1/1", n) for n in names)
    mesh = meshio.read(results_dir / "PSPS_fields.vtu")
    assert len(mesh.cells[0].data) > 0


def test_missing_folder_named(tmp_path):
    with pytest.raises(ResultsError, match=re.escape(str(tmp_path / "nothing"))):
        load_results(tmp_path / "nothing")


def test_incomplete_folder_names_missing_files(results_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(results_dir, copy)
    (copy / "PSPS_fields.vtu").unlink()
    (copy / "summary.csv").unlink()
    with pytest.raises(ResultsError, match="missing summary.csv, PSPS_fields.vtu"):
        load_results(copy)


def test_damaged_vtu_reported(results_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(results_dir, copy)
    (copy / "PSPS_fields.vtu").write_text("<VTKFile>", encoding="ascii")
    with pytest.raises(ResultsError, match="PSPS_fields.vtu"):
        read_fields(copy, "PSPS")


# Command line ----------------------------------------------------------------------------


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_plot_command_writes_pictures(results_dir, tmp_path):
    out = tmp_path / "plots"
    result = invoke("plot", results_dir, "--out", out)
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    expected = {"rac_rdc.png", "leakage.png", "mmf.png", "layer_loss.png", "common_mode.png",
                "compare_flux_density.png", "compare_electric_field.png"}
    for pattern in ("PPSS", "PSPS", "PSSP"):
        expected |= {f"{pattern}_{n}.png" for n in ("capacitance_network", "regions", "potential",
                                                    "electric_field", "flux_density", "current_density")}
    assert names == expected
    for path in out.iterdir():
        assert_not_blank(path, min_colours=10)


def test_plot_command_missing_folder_exits_2(tmp_path):
    result = invoke("plot", tmp_path / "absent")
    assert result.exit_code == 2
    assert f"error: results folder '{tmp_path / 'absent'}' not found" in result.output
    assert "Traceback" not in result.output


def test_plot_command_incomplete_folder_exits_2(results_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(results_dir, copy)
    (copy / "PSSP_regions.json").unlink()
    result = invoke("plot", copy)
    assert result.exit_code == 2
    assert "missing PSSP_regions.json" in result.output


def field_free_copy(results_dir: Path, copy: Path) -> Path:
    """Copy a results folder without its VTU and region files."""
    shutil.copytree(results_dir, copy, ignore=shutil.ignore_patterns("*_fields.vtu", "*_regions.json"))
    return copy


CHART_NAMES = {"rac_rdc.png", "leakage.png", "layer_loss.png", "common_mode.png"} | {
    f"{pattern}_capacitance_network.png" for pattern in ("PPSS", "PSPS", "PSSP")
}


def test_plot_no_fields_without_vtu_files(results_dir, tmp_path, caplog):
    copy = field_free_copy(results_dir, tmp_path / "copy")
    out = tmp_path / "plots"
    result = invoke("plot", copy, "--no-fields", "--out", out)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == CHART_NAMES
    assert "skipped mmf.png" in caplog.text


def test_plot_no_fields_keeps_mmf_chart(results_dir, tmp_path):
    out = tmp_path / "plots"
    result = invoke("plot", results_dir, "--no-fields", "--out", out)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == CHART_NAMES | {"mmf.png"}


def test_report_no_fields_without_vtu_files(results_dir, tmp_path):
    copy = field_free_copy(results_dir, tmp_path / "copy")
    path = tmp_path / "report.html"
    result = invoke("report", copy, "--no-fields", "--out", path)
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8").count("data:image/png;base64,") == len(CHART_NAMES)


def test_plot_command_old_results_exits_2(results_dir, tmp_path):
    import json

    copy = tmp_path / "copy"
    shutil.copytree(results_dir, copy)
    records = json.loads((copy / "results.json").read_text(encoding="utf-8"))
    for record in records:
        for entry in record["frequencies"]:
            del entry["turn_loss_W"]
    (copy / "results.json").write_text(json.dumps(records), encoding="utf-8")
    result = invoke("plot", copy, "--no-fields", "--out", tmp_path / "plots")
    assert result.exit_code == 2
    assert "have no per-turn losses" in result.output
    assert "run 'femstack compare --out' again" in result.output


def test_plot_command_render_failure_exits_1(results_dir, tmp_path, monkeypatch):
    import pyvista

    def fail(self, *args, **kwargs):
        raise RuntimeError("no OpenGL context")

    monkeypatch.setattr(pyvista.Plotter, "screenshot", fail)
    result = invoke("plot", results_dir, "--out", tmp_path / "plots")
    assert result.exit_code == 1
    assert "no OpenGL context" in result.output
    assert "Traceback" not in result.output
    assert not [p for p in (tmp_path / "plots").iterdir() if "tmp" in p.name]


@pytest.fixture(scope="module")
def report_path(results_dir, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    result = invoke("report", results_dir, "--out", path)
    assert result.exit_code == 0, result.output
    return path


def test_report_is_self_contained(report_path):
    text = report_path.read_text(encoding="utf-8")
    assert not re.search(r"(https?|ftp|wss?)://", text), "the report contains a network address"
    assert not re.search(r"<(script|link|iframe|object)\b", text)
    sources = re.findall(r'src="([^"]*)"', text)
    assert len(sources) >= 20
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r"url\(", text), "the style sheet loads nothing"


def test_report_has_tables_and_version(report_path):
    from femstack import __version__

    text = report_path.read_text(encoding="utf-8")
    assert '<table id="summary">' in text
    assert '<table id="model">' in text
    assert "leakage inductance at 1 MHz" in text
    assert f"femstack {__version__}" in text
    assert "E32/6/20" in text, "the design is included"


def test_report_states_terminal_swings(report_path):
    text = report_path.read_text(encoding="utf-8")
    found = re.search(r'<p id="common-mode">.*?</ul>', text, re.S)
    assert found, "no common-mode paragraph"
    paragraph = found.group(0)
    assert "converter custom" in paragraph
    assert "P.start +1, P.end +0, S.start +0, S.end +0" in paragraph
    assert "ns edges" in paragraph, "the waveform is stated"


def test_report_swings_of_preset(run):
    import copy as copying

    from femstack.viz.html import describe_common_mode
    from femstack.viz.results import RunResults

    records = copying.deepcopy(run.records)
    for record in records:
        record["common_mode"]["converter"] = "flyback"
        record["common_mode"]["swings_per_V_sw"] = {"P.start": 1.0, "P.end": 0.0, "S.start": 0.0, "S.end": -0.25}
    text = describe_common_mode(RunResults(run.folder, records))
    assert "converter flyback" in text
    assert "S.end -0.25" in text
    assert "terminals.quiet and terminals.swings are not used" in text
    assert text.count("<li>") == 1, "arrangements with the same swings share one line"


def test_report_mesh_counts_are_integers(report_path, run):
    text = report_path.read_text(encoding="utf-8")
    table = re.search(r'<table id="model">.*?</table>', text, re.S).group(0)
    triangles = re.search(r"<td>triangles</td>(.*?)</tr>", table).group(1)
    expected = [f"{r['mesh']['triangles']:,}" for r in run.records]
    assert re.findall(r'<td class="num">([^<]*)</td>', triangles) == expected
    order = re.search(r"<td>element order</td>(.*?)</tr>", table).group(1)
    assert set(re.findall(r'<td class="num">([^<]*)</td>', order)) == {"2"}


def test_report_design_lists_all_patterns(report_path):
    import html as markup
    import json

    text = report_path.read_text(encoding="utf-8")
    dump = markup.unescape(re.search(r"<pre>(.*?)</pre>", text, re.S).group(1))
    design = json.loads(dump)
    assert design["arrangement"]["patterns"] == ["PPSS", "PSPS", "PSSP"]
    assert "999999" not in dump, "floats are printed with their binary round-off"


def test_report_out_folder_exits_2(results_dir, tmp_path):
    result = invoke("report", results_dir, "--out", tmp_path)
    assert result.exit_code == 2
    assert "is a folder" in result.output


# The report in a browser -----------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
    # Every host name resolves to nothing, so no request can leave the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def chromium_screenshot(page: Path, workdir: Path, size=(1200, 2400)) -> tuple[Path, set[str]]:
    """Load ``page`` from a file:// URL, return the screenshot and the URLs in the network log."""
    import json
    import subprocess

    profile = workdir / "profile"
    profile.mkdir()
    shot = workdir / "shot.png"
    log = workdir / "netlog.json"
    command = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--log-net-log={log}",
               f"--window-size={size[0]},{size[1]}", f"--screenshot={shot}", page.resolve().as_uri()]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-2000:]
    events = json.loads(log.read_text(encoding="utf-8"))["events"]
    urls = {str(e.get("params", {}).get("url")) for e in events if "url" in e.get("params", {})}
    return shot, urls


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs Debian's chromium)")
def test_report_in_headless_chromium(report_path, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "empty.html").write_text("<!DOCTYPE html><title>empty</title>", encoding="utf-8")
    _, baseline = chromium_screenshot(tmp_path / "empty" / "empty.html", tmp_path / "empty")
    (tmp_path / "report").mkdir()
    shot, urls = chromium_screenshot(report_path, tmp_path / "report")

    # Chromium's own background requests (update checks, account lookups) appear for an
    # empty page too; the report must add none.
    added = {u for u in urls - baseline if not u.startswith(("file://", "data:"))}
    own = {u for u in urls if re.match(r"https?://(update\.googleapis|accounts\.google|clients\d\.google)", u)}
    assert added - own == set(), f"the report page requested {sorted(added - own)}"

    image = read_png(shot)
    height, width = image.shape[:2]
    assert (height, width) == (2400, 1200)
    # The summary table: many dark text pixels in its band, on the light page.
    table_band = image[150:900, :700]
    dark = (table_band.mean(axis=2) < 0.4).mean()
    assert dark > 0.02, f"the table band has {dark:.1%} dark pixels"
    # The pictures: coloured (non-grey) pixels below the table, from the charts.
    lower = image[1000:, :]
    saturation = lower.max(axis=2) - lower.min(axis=2)
    assert (saturation > 0.3).mean() > 0.003, "no coloured picture below the table"


def test_report_table_marks_missing_quantity():
    # A shield row exists only for the pattern whose layers carry the shield. The other
    # column is NaN in the summary frame and must read as the missing mark, not "nan".
    import pandas as pd

    from femstack.report import MISSING
    from femstack.viz.html import _summary_table

    class Run:
        def summary(self):
            return pd.DataFrame(
                {"PPXSS": [8.2, 24.9], "PP-SS": [float("nan"), 24.9]},
                index=["C_shield_X_core_pF", "C_ps_pF"],
            )

    table = _summary_table(Run())
    assert "nan" not in table
    assert MISSING in table
