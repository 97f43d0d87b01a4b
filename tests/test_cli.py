"""The ``femstack`` command line, run as a user runs it, on a coarse copy of the reference design.

Most tests call the typer app in-process with `typer.testing.CliRunner`, which keeps stdout
and stderr apart. Two tests start the installed ``femstack`` script in a subprocess, because
only a real process shows what reaches the terminal: the absence of a traceback, and the
handling of a real SIGINT.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from femstack import cli
from femstack.design.loader import reference_design_path
from femstack.errors import SolverError

PATTERNS = ("PPSS", "PSPS", "PSSP")
REFERENCE_FREQUENCIES = 'frequencies = ["100 kHz", "500 kHz", "1 MHz"]'

#: Display name and unit of the rows the table must contain at 500 kHz, for the windings P and S.
REQUIRED_ROWS = {
    "interwinding capacitance": "pF",
    "effective common-mode capacitance": "pF",
    "leakage inductance at 500 kHz": "nH",
    "magnetizing inductance at 500 kHz": "uH",
    "AC resistance Rac of P at 500 kHz": "mOhm",
    "AC resistance Rac of S at 500 kHz": "mOhm",
    "Rac/Rdc of P at 500 kHz": "-",
    "Rac/Rdc of S at 500 kHz": "-",
}


#: The femstack script next to the Python that runs the tests.
FEMSTACK_SCRIPT = Path(sys.executable).with_name("femstack")


def significant_digits(text: str) -> int:
    """Count the significant digits of a printed number such as ``-0.01234`` or ``1.234e+04``."""
    mantissa = text.lstrip("-").split("e")[0]
    return len(mantissa.replace(".", "").lstrip("0"))


def write_small_design(folder: Path, *, replace: dict[str, str] | None = None) -> Path:
    """Write the reference design with a coarse mesh and one frequency (500 kHz) to `folder`.

    `replace` maps exact text of the reference file to its replacement, for invalid variants.
    """
    text = reference_design_path().read_text(encoding="utf-8")
    assert REFERENCE_FREQUENCIES in text, "the reference design changed its frequency line"
    text = text.replace(REFERENCE_FREQUENCIES, 'frequencies = ["500 kHz"]')
    for old, new in (replace or {}).items():
        assert old in text, f"text to replace not found in the reference design: {old!r}"
        text = text.replace(old, new)
    text += "\n[mesh]\nsize_factor = 4.0\n"
    path = folder / "small.toml"
    path.write_text(text, encoding="utf-8")
    return path


def invoke(*args) -> Result:
    """Run the femstack app in-process with `args`, at a terminal width of 200 columns."""
    return CliRunner().invoke(cli.app, [str(arg) for arg in args], env={"COLUMNS": "200"})


def parse_table(stdout: str) -> tuple[list[str], dict[str, list[str]]]:
    """Split the printed table into its column names and rows ``name -> [unit, values...]``.

    Names contain single spaces, and columns are separated by two or more spaces.
    """
    lines = stdout.splitlines()
    header_index = next(i for i, line in enumerate(lines) if line.startswith("quantity"))
    columns = re.split(r"\s{2,}", lines[header_index].strip())
    rows = {}
    for line in lines[header_index + 1 :]:
        if not line.strip():
            continue
        cells = re.split(r"\s{2,}", line.strip())
        assert len(cells) == len(columns), f"row has {len(cells)} cells, header has {len(columns)}: {line!r}"
        rows[cells[0]] = cells[1:]
    return columns, rows


def error_lines(stderr: str) -> list[str]:
    """Return the stderr lines that are not progress lines."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("[femstack]")]


@pytest.fixture(scope="module")
def small_design(tmp_path_factory) -> Path:
    return write_small_design(tmp_path_factory.mktemp("design"))


@pytest.fixture(scope="module")
def compared(small_design, tmp_path_factory):
    """Output of ``femstack compare small.toml --out DIR`` over all three patterns."""
    out = tmp_path_factory.mktemp("compare") / "results"
    result = invoke("compare", small_design, "--out", out)
    return result, out


# Successful runs ---------------------------------------------------------------------------


def test_compare_exits_zero(compared):
    result, _ = compared
    assert result.exception is None, result.output
    assert result.exit_code == 0, result.output


def test_compare_table_has_column_per_pattern(compared):
    result, _ = compared
    columns, _ = parse_table(result.stdout)
    assert columns == ["quantity", "unit", *PATTERNS]


def test_compare_table_title_names_design(compared):
    result, _ = compared
    first_line = result.stdout.splitlines()[0]
    assert first_line == "E32 planar reference: 3 arrangements (PPSS, PSPS, PSSP)"


def test_compare_table_has_required_rows(compared):
    result, _ = compared
    _, rows = parse_table(result.stdout)
    for name, unit in REQUIRED_ROWS.items():
        assert name in rows, f"row {name!r} missing, rows: {list(rows)}"
        assert rows[name][0] == unit, f"{name}: unit {rows[name][0]!r}, expected {unit!r}"


def test_compare_table_values_have_four_digits(compared):
    result, _ = compared
    _, rows = parse_table(result.stdout)
    for name in REQUIRED_ROWS:
        for value in rows[name][1:]:
            float(value)
            assert significant_digits(value) == 4, f"{name}: {value!r} does not show 4 significant digits"


def test_compare_table_matches_summary_csv(compared):
    result, out = compared
    _, rows = parse_table(result.stdout)
    summary = pd.read_csv(out / "summary.csv", index_col="quantity")
    keys = {
        "interwinding capacitance": "C_interwinding_pF",
        "effective common-mode capacitance": "C_cm_effective_pF",
        "leakage inductance at 500 kHz": "L_leak_500kHz_nH",
        "magnetizing inductance at 500 kHz": "L_mag_500kHz_uH",
        "AC resistance Rac of P at 500 kHz": "Rac_P_500kHz_mOhm",
        "Rac/Rdc of S at 500 kHz": "Rac/Rdc_S_500kHz",
    }
    for name, key in keys.items():
        for pattern, printed in zip(PATTERNS, rows[name][1:]):
            exact = summary.loc[key, pattern]
            # Four significant digits: the rounding error is at most 5e-4 relative.
            assert float(printed) == pytest.approx(exact, rel=5e-4), f"{name}, {pattern}"


def test_compare_prints_wall_time_per_arrangement(compared):
    result, _ = compared
    for pattern in PATTERNS:
        timing = re.search(rf"^\[femstack\] {pattern}: wall time (\d+\.\d+) s \(", result.stderr, re.MULTILINE)
        assert timing is not None, f"no wall time for {pattern} in stderr:\n{result.stderr}"
        assert float(timing.group(1)) > 0.0
    assert "total wall time" in result.stderr


def test_compare_keeps_progress_off_stdout(compared):
    result, _ = compared
    assert "[femstack]" not in result.stdout
    assert "[femstack] PPSS: meshing" in result.stderr


def test_compare_out_writes_all_files(compared):
    result, out = compared
    expected = {"results.json", "summary.csv"}
    for pattern in PATTERNS:
        expected |= {f"{pattern}_results.json", f"{pattern}_fields.vtu", f"{pattern}_regions.json"}
    assert {path.name for path in out.iterdir()} == expected
    assert f"wrote {len(expected)} files to {out}" in result.stderr


def test_compare_out_files_readable_by_others(compared):
    # The temporary files are created like a plain open() creates them, so the umask applies.
    _, out = compared
    umask = os.umask(0)
    os.umask(umask)
    for path in out.iterdir():
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path.name


def test_compare_single_pattern(small_design):
    result = invoke("compare", small_design, "--patterns", "PSPS")
    assert result.exit_code == 0, result.output
    columns, rows = parse_table(result.stdout)
    assert columns == ["quantity", "unit", "PSPS"]
    assert "leakage inductance at 500 kHz" in rows
    assert "PPSS" not in result.stderr


def test_pattern_with_wrong_layer_counts_names_option(small_design):
    result = invoke("compare", small_design, "--patterns", "PPSS,PSPP")
    assert result.exit_code == 2, result.output
    errors = error_lines(result.stderr)
    problems = [line for line in errors if "PSPP" in line]
    assert problems, errors
    for line in problems:
        assert "--patterns" in line
        assert "windings[" not in line
        assert "P on 2, S on 2" in line


def test_compare_without_design_runs_reference(small_design, monkeypatch):
    # The bundled reference runs on the fine mesh at three frequencies, too slow for this
    # test, so the bundled path points at the small design instead.
    monkeypatch.setattr("femstack.design.loader.reference_design_path", lambda: small_design)
    result = invoke("compare", "--patterns", "PPSS")
    assert result.exit_code == 0, result.output
    assert f"[femstack] design: {small_design}" in result.stderr
    columns, _ = parse_table(result.stdout)
    assert columns == ["quantity", "unit", "PPSS"]


def test_run_uses_first_design_pattern(small_design):
    result = invoke("run", small_design)
    assert result.exit_code == 0, result.output
    columns, rows = parse_table(result.stdout)
    assert columns == ["quantity", "unit", "PPSS"]
    for name in REQUIRED_ROWS:
        assert name in rows, name


def test_run_pattern_with_out(small_design, tmp_path):
    result = invoke("run", small_design, "--pattern", "PSSP", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    columns, _ = parse_table(result.stdout)
    assert columns == ["quantity", "unit", "PSSP"]
    names = {path.name for path in (tmp_path / "run").iterdir()}
    assert names == {"results.json", "summary.csv", "PSSP_results.json", "PSSP_fields.vtu", "PSSP_regions.json"}
    assert "[femstack] PSSP: wall time" in result.stderr


# Invalid input -------------------------------------------------------------------------------

# Each case lists the command-line arguments, the text replacements for the design file (or
# None), and the fragments that the single error line must contain. In the arguments, {design}
# is the small design written for the test and {tmp} is the test's folder.
BAD_INPUT = {
    "missing design file": (["compare", "{tmp}/missing.toml"], None, ["design file", "missing.toml", "not found"]),
    "design is a folder": (["compare", "{tmp}"], None, ["design file", "is a folder"]),
    "run missing design": (["run", "{tmp}/missing.toml"], None, ["missing.toml", "not found"]),
    "pattern too short": (["compare", "{design}", "--patterns", "PSP"], None, ["--patterns", "'PSP'", "4"]),
    "pattern too long": (["run", "{design}", "--pattern", "PSPSP"], None, ["--pattern", "'PSPSP'", "4"]),
    "pattern unknown letter": (["compare", "{design}", "--patterns", "PSPS,PSPX"], None, ["--patterns", "'PSPX'", "X"]),
    "pattern lower case": (["run", "{design}", "--pattern", "psps"], None, ["--pattern", "'psps'"]),
    "pattern empty entry": (["compare", "{design}", "--patterns", "PSPS,"], None, ["--patterns", "'PSPS,'", "empty"]),
    "pattern listed twice": (["compare", "{design}", "--patterns", "PSPS,PSPS"], None, ["--patterns", "'PSPS'", "twice"]),
    "trace width not a length": (
        ["compare", "{design}"],
        {'trace_width = "1.2 mm"': 'trace_width = "abc"'},
        ["windings[0].trace_width", "'abc'"],
    ),
    "winding does not fit": (
        ["compare", "{design}"],
        {'trace_width = "1.2 mm"': 'trace_width = "3 mm"'},
        ["windings[0].trace_width", "'3 mm'", "too wide"],
    ),
    "design pattern unknown letter": (
        ["compare", "{design}"],
        {'patterns = ["PPSS", "PSPS", "PSSP"]': 'patterns = ["PPSS", "PSXS"]'},
        ["arrangement.patterns[1]", "'PSXS'"],
    ),
    "misspelt key": (
        ["compare", "{design}"],
        {'residual_gap = "5 um"': 'residual_gp = "5 um"'},
        ["core.residual_gp", "unknown key", "residual_gap"],
    ),
    "invalid toml syntax": (["compare", "{design}"], {'name = "E32 planar reference"': "name = "}, ["invalid TOML", "line"]),
    "out is a file": (["compare", "{design}", "--out", "{design}"], None, ["--out", "small.toml", "existing file"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUT), ids=list(BAD_INPUT))
def test_bad_input_exits_2_with_one_line(case, tmp_path):
    arguments, replace, fragments = BAD_INPUT[case]
    design = write_small_design(tmp_path, replace=replace)
    args = [arg.format(design=design, tmp=tmp_path) for arg in arguments]

    started = time.perf_counter()
    result = invoke(*args)
    elapsed = time.perf_counter() - started

    assert result.exit_code == 2, result.output
    # Any exception other than the exit itself would be a crash that the CLI missed.
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    errors = error_lines(result.stderr)
    assert len(errors) == 1, f"expected one error line, stderr:\n{result.stderr}"
    assert errors[0].startswith("error: "), errors[0]
    for fragment in fragments:
        assert fragment in errors[0], f"{fragment!r} not in {errors[0]!r}"
    assert result.stdout == "", "no table may be printed after an error"
    assert "Traceback" not in result.output
    # Input is checked before meshing: a rejected case does no solve.
    assert "meshing" not in result.stderr
    assert elapsed < 5.0


def test_several_problems_listed_one_per_line(tmp_path):
    design = write_small_design(
        tmp_path, replace={'trace_width = "1.2 mm"': 'trace_width = "abc"', "turns = 8": 'turns = "eight"'}
    )
    result = invoke("compare", design)
    assert result.exit_code == 2, result.output
    errors = error_lines(result.stderr)
    assert errors[0] == "error: the design has 2 problems:"
    assert len(errors) == 3, result.stderr
    assert any("windings[0].turns" in line and "'eight'" in line for line in errors[1:]), errors
    assert any("windings[0].trace_width" in line and "'abc'" in line for line in errors[1:]), errors
    assert "Traceback" not in result.output


def test_unreadable_design_exits_2(tmp_path):
    design = tmp_path / "latin1.toml"
    design.write_bytes('name = "Kern \xfc"\n'.encode("latin-1"))
    result = invoke("compare", design)
    assert result.exit_code == 2, result.output
    errors = error_lines(result.stderr)
    assert len(errors) == 1, result.stderr
    assert "latin1.toml" in errors[0]
    assert "UTF-8" in errors[0]


def test_bad_input_console_has_no_traceback(tmp_path):
    design = write_small_design(tmp_path, replace={'trace_width = "1.2 mm"': 'trace_width = "abc"'})
    completed = subprocess.run(
        [str(FEMSTACK_SCRIPT), "compare", str(design)], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 2, completed.stderr
    assert completed.stdout == ""
    assert error_lines(completed.stderr) == [
        "error: windings[0].trace_width: invalid value 'abc': expected a length such as '0.2 mm' or "
        "'8 mil': a number followed by a unit"
    ]
    assert "Traceback" not in completed.stderr
    assert "╭" not in completed.stderr, "typer printed a rich traceback panel"


# Failures and interruption ------------------------------------------------------------------


def test_solver_error_exits_1(small_design, monkeypatch):
    def fail(*args, **kwargs):
        raise SolverError("eddy-current solve at 500 kHz did not converge")

    monkeypatch.setattr("femstack.pipeline.compare", fail)
    result = invoke("compare", small_design)
    assert result.exit_code == 1, result.output
    assert error_lines(result.stderr) == ["error: eddy-current solve at 500 kHz did not converge"]


def test_uncreatable_out_exits_2_before_solving(small_design, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the output folder's parent should be\n")
    out = blocker / "results"
    result = invoke("run", small_design, "--pattern", "PSPS", "--out", out)
    assert result.exit_code == 2, result.output
    errors = error_lines(result.stderr)
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: --out '{out}' cannot be created"), errors[0]
    # The folder is checked before meshing, so no table was computed.
    assert result.stdout == ""
    assert "meshing" not in result.stderr


def test_failed_write_exits_1(small_design, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("femstack.outputs.write_tables", fail)
    out = tmp_path / "results"
    result = invoke("run", small_design, "--pattern", "PSPS", "--out", out)
    assert result.exit_code == 1, result.output
    errors = error_lines(result.stderr)
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: writing the results to '{out}' failed"), errors[0]
    # The table was computed before the write failed, so it is still printed.
    assert parse_table(result.stdout)[0] == ["quantity", "unit", "PSPS"]


def test_keyboard_interrupt_exits_130(small_design, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("femstack.pipeline.compare", interrupt)
    result = invoke("compare", small_design)
    assert result.exit_code == 130, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert error_lines(result.stderr) == ["error: interrupted"]


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="needs POSIX signals")
def test_sigint_during_solve_exits_130(small_design, tmp_path):
    out = tmp_path / "out"
    process = subprocess.Popen(
        [str(FEMSTACK_SCRIPT), "compare", str(small_design), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    try:
        for line in process.stderr:
            seen.append(line)
            # PPSS is being solved, and PSPS and PSSP are still to come.
            if line.startswith("[femstack] PPSS: electrostatics"):
                break
        process.send_signal(signal.SIGINT)
        stdout, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = "".join(seen) + rest

    assert process.returncode == 130, stderr
    assert error_lines(stderr) == ["error: interrupted"]
    assert "Traceback" not in stderr
    assert stdout == ""
    assert not out.exists() or not any(out.iterdir())


# Help text ----------------------------------------------------------------------------------


def help_text(*args) -> str:
    """Return the help output with the panel borders removed and whitespace collapsed."""
    result = invoke(*args, "--help")
    assert result.exit_code == 0, result.output
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.stdout).split())


def test_help_lists_commands():
    text = help_text()
    assert "Finite-element analysis of planar transformer winding stacks" in text
    assert "compare Run every arrangement of a design and print one side-by-side table." in text
    assert "run Run one arrangement of a design and print its table." in text


def test_compare_help_describes_options():
    text = help_text("compare")
    assert "Default: the bundled reference design." in text
    assert "--patterns -p <str> Comma-separated layer patterns to run" in text
    assert "Default: the patterns listed in the design." in text
    assert "--out -o <path> Folder for results.json, summary.csv" in text
    assert "<pattern>_fields.vtu" in text
    assert "--verbose -v" in text
    assert "to stderr" in text


def test_run_help_describes_options():
    text = help_text("run")
    assert "--pattern -p <str> Layer pattern to run" in text
    assert "Default: the first pattern listed in the design." in text
    assert "--out -o <path> Folder for results.json" in text


def test_no_arguments_shows_help():
    result = invoke()
    assert "compare" in result.output
    assert "run" in result.output


def test_failure_keeps_finished_arrangements(small_design, tmp_path, monkeypatch):
    import femstack.pipeline

    real = femstack.pipeline.run_arrangement

    def fail_on_psps(design, pattern=None, **kwargs):
        if pattern == "PSPS":
            raise SolverError("eddy-current system at 500 kHz is singular")
        return real(design, pattern, **kwargs)

    monkeypatch.setattr(femstack.pipeline, "run_arrangement", fail_on_psps)
    out = tmp_path / "study"
    result = invoke("compare", small_design, "--patterns", "PPSS,PSPS,PSSP", "--out", out, "--jobs", "1")
    assert result.exit_code == 1, result.output
    assert error_lines(result.stderr) == ["error: eddy-current system at 500 kHz is singular"]
    # PPSS finished before PSPS failed: its record and fields are on disk.
    names = {path.name for path in out.iterdir()}
    assert names == {"PPSS_results.json", "PPSS_fields.vtu", "PPSS_regions.json"}
    record = json.loads((out / "PPSS_results.json").read_text())
    assert record["pattern"] == "PPSS"
    assert "saved the finished arrangement PPSS in" in result.stderr


def test_parallel_failure_keeps_other_arrangements(small_design, tmp_path, monkeypatch):
    import femstack.pipeline

    real = femstack.pipeline.run_arrangement

    def fail_on_psps(design, pattern=None, **kwargs):
        if pattern == "PSPS":
            raise SolverError("eddy-current system at 500 kHz is singular")
        return real(design, pattern, **kwargs)

    # Forked workers inherit the patched function.
    monkeypatch.setattr(femstack.pipeline, "run_arrangement", fail_on_psps)
    out = tmp_path / "study"
    result = invoke("compare", small_design, "--patterns", "PPSS,PSPS,PSSP", "--out", out, "--jobs", "2")
    assert result.exit_code == 1, result.output
    assert error_lines(result.stderr) == ["error: eddy-current system at 500 kHz is singular"]
    # Both arrangements that did not fail ran to the end and are on disk.
    names = {path.name for path in out.iterdir()}
    expected = {f"{p}_{kind}" for p in ("PPSS", "PSSP") for kind in ("results.json", "fields.vtu", "regions.json")}
    assert names == expected
    assert "saved the finished arrangements" in result.stderr


def test_parallel_matches_serial(small_design):
    from femstack.design.loader import load_design
    from femstack.pipeline import compare

    design = load_design(small_design)
    serial = compare(design, ["PPSS", "PSPS"], workers=1).table()
    parallel = compare(design, ["PPSS", "PSPS"], workers=2).table()
    assert list(parallel.columns) == ["PPSS", "PSPS"]
    assert np.allclose(parallel.to_numpy(), serial.to_numpy(), rtol=1e-12, atol=0.0, equal_nan=True)


@pytest.mark.parametrize("value", ["-1", "two"])
def test_jobs_rejects_bad_value(small_design, value):
    result = invoke("compare", small_design, "--jobs", value)
    assert result.exit_code == 2, result.output
    assert "--jobs" in result.output
    assert "Traceback" not in result.output
