"""The arrangement and orientation search: ranking, progress file, CLI.

Runs on the reference design with a coarse mesh (size factor 4) and one frequency.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from femstack import cli
from femstack.design.loader import load_design, reference_design_path
from femstack.design.variants import insert_shields, orientations
from femstack.errors import DesignError, SolverError
from femstack.study import search as search_module
from femstack.study.search import RESULTS_FILE, TABLE_FILE, search

PATTERNS = ["PPSS", "PSSP"]


@pytest.fixture(scope="module")
def reference():
    return load_design(reference_design_path())


@pytest.fixture(scope="module")
def searched(reference, tmp_path_factory):
    out = tmp_path_factory.mktemp("search")
    result = search(reference, PATTERNS, converter="flyback", frequency=500e3, size_factor=4.0, out=out)
    return result, out


def test_search_ranks_by_cm_capacitance(searched):
    result, _ = searched
    values = [abs(case.common_mode) for case in result.cases]
    assert values == sorted(values)


def test_search_interleaving_trade_off(searched):
    result, _ = searched
    by_pattern = {p: [c for c in result.cases if c.pattern == p] for p in PATTERNS}
    # Interleaving lowers leakage and raises CM coupling (README: PPSS 767 nH, PSSP 137 nH).
    assert by_pattern["PSSP"][0].leakage < by_pattern["PPSS"][0].leakage / 3
    assert min(abs(c.common_mode) for c in by_pattern["PSSP"]) > max(abs(c.common_mode) for c in by_pattern["PPSS"])


def test_search_pareto_marks_best_of_each(searched):
    result, _ = searched
    pareto = result.pareto_cases()
    assert {case.pattern for case in pareto} == set(PATTERNS)
    for pattern in PATTERNS:
        best = min((c for c in result.cases if c.pattern == pattern), key=lambda c: abs(c.common_mode))
        assert best.pareto, pattern


def test_search_drops_equivalent_orientations(searched, reference):
    result, _ = searched
    for pattern in PATTERNS:
        found = sum(1 for c in result.cases if c.pattern == pattern)
        enumerated = sum(1 for _ in orientations(reference, pattern))
        # Reversing the order of S's two one-turn layers and its dot together gives
        # the same turn potentials, so half of the enumerated cases are duplicates.
        assert found == enumerated // 2, pattern


def test_search_writes_files(searched):
    _, out = searched
    names = {path.name for path in out.iterdir()}
    assert names == {RESULTS_FILE, TABLE_FILE}
    record = json.loads((out / RESULTS_FILE).read_text())
    assert sorted(record["patterns"]) == PATTERNS
    assert record["converter"] == "flyback"


def test_search_resumes_from_progress(searched, reference, monkeypatch):
    result, out = searched

    def fail(*args, **kwargs):
        raise AssertionError("a finished pattern was solved again")

    monkeypatch.setattr("femstack.pipeline.run_arrangement", fail)
    again = search(reference, PATTERNS, converter="flyback", frequency=500e3, size_factor=4.0, out=out)
    assert [c.common_mode for c in again.cases] == [c.common_mode for c in result.cases]
    assert [c.pareto for c in again.cases] == [c.pareto for c in result.cases]


def test_search_failure_keeps_finished_patterns(reference, tmp_path, monkeypatch):
    from femstack import pipeline

    real = pipeline.run_arrangement

    def fail_on_second(design, pattern=None, **kwargs):
        if pattern == "PSSP":
            raise SolverError("simulated solver failure")
        return real(design, pattern, **kwargs)

    monkeypatch.setattr("femstack.pipeline.run_arrangement", fail_on_second)
    with pytest.raises(SolverError):
        search(reference, PATTERNS, frequency=500e3, size_factor=4.0, out=tmp_path)
    record = json.loads((tmp_path / RESULTS_FILE).read_text())
    assert list(record["patterns"]) == ["PPSS"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_search_rejects_bad_pattern(reference):
    with pytest.raises(DesignError, match="PPPS|expected"):
        search(reference, ["PPPS"], size_factor=4.0)


def test_progress_of_other_design_ignored(searched, reference, tmp_path):
    _, out = searched
    (tmp_path / RESULTS_FILE).write_text((out / RESULTS_FILE).read_text())
    key = search_module._search_key(reference)
    assert search_module._load_progress(tmp_path / RESULTS_FILE, key + "x") == {}


# Shield insertion -----------------------------------------------------------------------------


def test_insert_shields_keeps_winding_distance(reference):
    design, pattern = insert_shields(reference, "PSSP", {"name": "shield", "connection": "P.end"})
    assert pattern == "PXSSXP"
    stack = design.stackup
    assert stack.n_layers == 6
    # Layers 1-2 were 0.2 mm apart; now 82.5 µm + 35 µm + 82.5 µm.
    assert np.isclose(stack.dielectric_thickness[0] + stack.copper_thickness[1] + stack.dielectric_thickness[1], 0.2e-3)
    assert np.isclose(stack.height, reference.stackup.height)


def test_insert_shields_empty_variant(reference):
    design, pattern = insert_shields(reference, "PPSS", {"name": "shield"}, present=False)
    assert pattern == "PP-SS"
    assert design.shields[0].connection == "floating"


def test_insert_double_shield_order(reference):
    design, pattern = insert_shields(
        reference,
        "PSSP",
        {"name": "primary_shield", "connection": "P.end"},
        secondary_shield={"name": "secondary_shield", "symbol": "Y", "connection": "S.start"},
    )
    # Each shield pair sits with the primary's shield on the primary side.
    assert pattern == "PXYSSYXP"
    assert np.isclose(design.stackup.height, reference.stackup.height)
    assert np.isclose(design.stackup.dielectric_thickness[0], (0.2e-3 - 2 * 35e-6) / 3)


def test_insert_shields_rejects_thin_dielectric(reference):
    with pytest.raises(DesignError, match="dielectric_thickness"):
        insert_shields(reference, "PSSP", {"name": "shield"}, copper_thickness=0.19e-3)


# Command line ---------------------------------------------------------------------------------


def small_design(folder):
    text = reference_design_path().read_text()
    text = text.replace('frequencies = ["100 kHz", "500 kHz", "1 MHz"]', 'frequencies = ["500 kHz"]')
    text += "\n[mesh]\nsize_factor = 4.0\n"
    path = folder / "small.toml"
    path.write_text(text)
    return path


def invoke(*args):
    return CliRunner().invoke(cli.app, [str(a) for a in args], env={"COLUMNS": "200"})


def test_cli_search_prints_ranking(tmp_path):
    result = invoke("search", small_design(tmp_path), "--patterns", "PPSS", "--size-factor", "4", "--top", "3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "ranked by |C_cm|" in lines[0]
    assert lines[1].split()[:3] == ["rank", "pattern", "orientation"]
    assert "*" in result.stdout
    assert "i innermost turn (spiral outward)" in result.stdout


def test_cli_compare_with_converter(tmp_path):
    result = invoke("compare", small_design(tmp_path), "--patterns", "PSSP", "--converter", "flyback")
    assert result.exit_code == 0, result.output
    assert "converter flyback" in result.stdout
    assert "CM margin to CISPR 32 B, quasi-peak" in result.stdout
    assert "common-mode charge per switching edge" in result.stdout


def test_cli_rejects_unknown_converter(tmp_path):
    result = invoke("compare", small_design(tmp_path), "--converter", "buck")
    assert result.exit_code == 2
    assert "--converter" in result.stderr
    assert "flyback" in result.stderr


SHIELDED_DESIGN = """
name = "shielded test"
[core]
e_half = "E32/6/20"
plate = "PLT32/20/3.2"
material = "N87"
[stackup]
copper_thickness = ["70 um", "35 um", "70 um", "70 um"]
dielectric_thickness = ["0.2 mm", "0.3 mm", "0.2 mm"]
dielectric_permittivity = [4.4, 4.4, 4.4]
clearance = "0.4 mm"
[[windings]]
name = "P"
turns = 4
turns_per_layer = 4
trace_width = "1.2 mm"
spacing = "0.4 mm"
[[windings]]
name = "S"
turns = 2
turns_per_layer = 1
trace_width = "5 mm"
[[shields]]
name = "screen"
connection = "P.end"
[arrangement]
patterns = ["PXSS", "P-SS"]
[excitation]
frequencies = ["500 kHz"]
currents = { P = "1 A", S = "2 A" }
[terminals]
switching = "P.start"
quiet = ["P.end"]
converter = "flyback"
[mesh]
size_factor = 4.0
"""


def test_cli_compare_shielded_design(tmp_path):
    design = tmp_path / "shielded.toml"
    design.write_text(SHIELDED_DESIGN)
    out = tmp_path / "out"
    result = invoke("compare", design, "--out", out)
    assert result.exit_code == 0, result.output
    assert "shield loss at 500 kHz" in result.stdout
    rows = {line.split("  ")[0]: line.split() for line in result.stdout.splitlines()}
    core_row = rows["capacitance of shield 'screen' to the core"]
    # P-SS has no shield copper: its cell is the dash, not nan.
    assert core_row[-1] == "—"
    assert float(core_row[-2]) > 0
    assert "nan" not in result.stdout
    assert "— : the arrangement has no such quantity" in result.stdout
    assert "preset swings per V_sw, terminals.quiet not used" in result.stdout
    names = {path.name for path in out.iterdir()}
    assert "PXSS_fields.vtu" in names
    assert "P-SS_results.json" in names
    record = json.loads((out / "PXSS_results.json").read_text())
    assert record["common_mode"]["converter"] == "flyback"
    assert record["frequencies"][0]["shield_loss_W"] > 0
    assert record["capacitance"]["turn_names"][-1] == "shield/screen"


def test_search_warns_before_replacing_other_converter(searched, reference, tmp_path, caplog):
    _, out = searched
    (tmp_path / RESULTS_FILE).write_text((out / RESULTS_FILE).read_text())
    # The settings of the searched fixture, with another converter.
    other = {"design": reference.name, "converter": "full-bridge", "frequency_Hz": 500e3, "size_factor": 4.0}
    with caplog.at_level("WARNING", logger="femstack.study.search"):
        done = search_module._load_progress(tmp_path / RESULTS_FILE, "another key", other)
    assert done == {}
    messages = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert len(messages) == 1
    assert "converter 'flyback'" in messages[0]
    assert "converter 'full-bridge'" in messages[0]
    assert "another --out" in messages[0]
    # Only the converter differs, so the message names no other setting.
    assert "size factor" not in messages[0]


@pytest.mark.parametrize("command", ["compare", "run", "search"])
def test_cli_converter_help_text(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.replace("│", " ").split())
    # Rich markup once swallowed a "[terminals]" in this text and left a double space.
    assert "the converter key of the design's terminals table" in text
    assert "terminals.quiet and terminals.swings are not used" in text


def test_cli_search_help_explains_orientation():
    text = " ".join(invoke("search", "--help").stdout.replace("│", " ").split())
    assert "i at the innermost turn, o at the outermost" in text
    assert "use one folder per converter" in text


def test_cli_search_warns_on_converter_change(tmp_path, caplog):
    # The warning goes through logging, whose stderr handler the CLI sets up once per
    # process, so the test reads the log records instead of CliRunner's stderr.
    design = small_design(tmp_path)
    out = tmp_path / "out"
    options = ["--patterns", "PPSS", "--size-factor", "4", "--out", out]
    with caplog.at_level("WARNING", logger="femstack.study.search"):
        first = invoke("search", design, *options, "--converter", "flyback")
        assert first.exit_code == 0, first.output
        assert caplog.records == []
        second = invoke("search", design, *options, "--converter", "forward")
    assert second.exit_code == 0, second.output
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert "converter 'flyback'" in messages[0]
    assert "converter 'forward'" in messages[0]
    assert json.loads((out / RESULTS_FILE).read_text())["converter"] == "forward"
