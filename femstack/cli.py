"""Command-line interface: a thin layer over :mod:`femstack.pipeline`.

    femstack compare [DESIGN] [--patterns PPSS,PSPS] [--jobs N] [--out DIR] [-v]
    femstack run DESIGN [--pattern PSPS] [--out DIR] [-v]
    femstack plot RESULTS_DIR [--out DIR] [--no-fields] [-v]
    femstack report RESULTS_DIR [--out FILE] [--no-fields] [-v]
    femstack sweep [DESIGN] [--f-min 10kHz] [--f-max 10MHz] [--points 50] [--check N] [--out DIR]
    femstack search [DESIGN] [--converter flyback] [--size-factor 2] [--out DIR] [-v]

``compare`` and ``run`` take ``--converter`` to pick the terminal-swing preset of the
common-mode rows.

With no DESIGN, ``compare`` runs the bundled reference design. The table goes to stdout.
Stage progress, wall times and errors go to stderr.

Exit codes:

- 0: success.
- 1: meshing, a solve or writing the results failed.
- 2: invalid input (design file, pattern, ``--out`` folder, or a usage error that typer reports).
- 130: interrupted with Ctrl-C (SIGINT).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import typer

from femstack.errors import DesignError, DesignProblem, FemstackError, GeometryError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=(
        "Finite-element analysis of planar transformer winding stacks: capacitances, leakage "
        "and magnetizing inductance, AC resistance and losses for each layer arrangement."
    ),
)

logger = logging.getLogger(__name__)


def _print_version(value: bool) -> None:
    if value:
        from femstack import __version__

        typer.echo(f"femstack {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the femstack version and exit."
    ),
) -> None:
    """Finite-element analysis of planar transformer winding stacks."""

#: Exit code for invalid input, the code that typer (through click) also uses for usage errors.
EXIT_INVALID_INPUT = 2
#: Exit code when meshing, a solve or writing the results fails.
EXIT_FAILURE = 1
#: Exit code after SIGINT, 128 + 2 as shells report it.
EXIT_INTERRUPTED = 130


class InputError(Exception):
    """Invalid command-line input that the CLI itself detects, such as a missing design file."""


def _configure_logging(verbose: int) -> None:
    if verbose == 0:
        level = logging.WARNING
    elif verbose == 1:
        level = logging.INFO
    else:
        level = logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # scikit-fem logs every basis it builds at INFO; show that only with -vvv.
    logging.getLogger("skfem").setLevel(logging.DEBUG if verbose >= 3 else logging.WARNING)


def _progress(message: str) -> None:
    typer.echo(f"[femstack] {message}", err=True)


def _load(design_path: Optional[Path]):
    """Load the design file, or the bundled reference design when `design_path` is None."""
    from femstack.design.loader import load_design, reference_design_path

    path = design_path or reference_design_path()
    if design_path is not None:
        if not path.exists():
            raise InputError(f"design file '{path}' not found")
        if path.is_dir():
            raise InputError(f"design file '{path}' is a folder, expected a TOML file")
    _progress(f"design: {path}")
    try:
        return load_design(path)
    except UnicodeDecodeError as error:
        raise InputError(f"design file '{path}' is not UTF-8 text: {error.reason} at byte {error.start}") from None
    except OSError as error:
        raise InputError(f"cannot read design file '{path}': {error.strerror or error}") from None


def _check_pattern(design, pattern: str, option: str):
    """Validate one pattern against the design, naming `option` instead of the design field."""
    try:
        design.with_pattern(pattern)
    except DesignError as error:
        # with_pattern reports the pattern as the design's arrangement.patterns[0], but here
        # the value comes from a command-line option. Fit problems keep their winding field.
        # with_pattern reports a turn-count mismatch against the winding's turns. From the
        # command line the pattern is what the user should change, so the error names the
        # option and the layer count of each winding in the design's first pattern.
        first = design.arrangement.patterns[0]
        needed = ", ".join(f"{w.symbol} on {first.count(w.symbol)}" for w in design.windings)
        problems = []
        for problem in error.problems:
            if problem.field.startswith("arrangement.patterns"):
                problems.append(DesignProblem(option, problem.value, problem.allowed, problem.reason))
            else:
                detail = problem.allowed.replace(" (arrangement.patterns[0])", "")
                problems.append(
                    DesignProblem(
                        option,
                        pattern,
                        f"{detail}; expected the layer counts of the design ({needed}, as in '{first}')",
                        problem.reason,
                    )
                )
        raise DesignError.from_problems(problems) from None


def _parse_patterns(design, text: str) -> list[str]:
    """Split and validate the value of ``--patterns`` before any meshing."""
    patterns = [item.strip() for item in text.split(",")]
    if any(not item for item in patterns):
        raise DesignError(
            "--patterns", text, "expected comma-separated patterns such as 'PPSS,PSPS' with no empty entry"
        )
    seen: set[str] = set()
    for pattern in patterns:
        if pattern in seen:
            raise DesignError("--patterns", text, f"pattern '{pattern}' is listed twice")
        seen.add(pattern)
    for pattern in patterns:
        _check_pattern(design, pattern, "--patterns")
    return patterns


def _check_out(out: Optional[Path]) -> None:
    """Create the ``--out`` folder now, so a bad path fails before the long solves."""
    if out is None:
        return
    if out.exists() and not out.is_dir():
        raise InputError(f"--out '{out}' is an existing file, expected a folder (it is created if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"--out '{out}' cannot be created: {error.strerror or error}") from None


def _report_timings(comparison) -> None:
    """Print the wall time of each arrangement and of its stages, from the pipeline's timings."""
    for result in comparison.results:
        stages = ", ".join(f"{name.replace('_', ' ')} {seconds:.2f} s" for name, seconds in result.timings.items())
        _progress(f"{result.pattern}: wall time {sum(result.timings.values()):.2f} s ({stages})")


class _Saver:
    """Write each finished arrangement into ``--out`` before the next one starts."""

    def __init__(self, out: Optional[Path]) -> None:
        self.out = out
        self.paths: list[Path] = []
        self.finished: list[str] = []

    def __call__(self, result) -> None:
        from femstack.outputs import write_arrangement

        if self.out is not None:
            start = time.perf_counter()
            self.paths.extend(write_arrangement(result, self.out))
            result.timings["output"] = time.perf_counter() - start
        self.finished.append(result.pattern)


def _run_and_save(design, patterns, out: Optional[Path], jobs: int = 0):
    """Run the arrangements; on failure, say which finished ones were saved."""
    from femstack.pipeline import compare as run_compare

    saver = _Saver(out)
    try:
        comparison = run_compare(design, patterns, progress=_progress, on_result=saver, workers=jobs or None)
    except OSError as error:
        typer.echo(f"error: writing the results to '{out}' failed: {error}", err=True)
        raise typer.Exit(code=EXIT_FAILURE) from None
    except (FemstackError, KeyboardInterrupt):
        if saver.finished and out is not None:
            noun = "arrangement" if len(saver.finished) == 1 else "arrangements"
            _progress(f"saved the finished {noun} {', '.join(saver.finished)} in {out}")
        raise
    return comparison, saver.paths


def _finish(comparison, saved: list[Path], out: Optional[Path], started: float) -> None:
    from femstack.outputs import write_tables
    from femstack.report import format_table

    typer.echo(format_table(comparison))
    _report_timings(comparison)
    if out is not None:
        try:
            paths = write_tables(comparison, out) + saved
        except OSError as error:
            typer.echo(f"error: writing the results to '{out}' failed: {error}", err=True)
            raise typer.Exit(code=EXIT_FAILURE) from None
        _progress(f"wrote {len(paths)} files to {out}")
    _progress(f"total wall time {time.perf_counter() - started:.1f} s")


def _run_guarded(action: Callable[[], None]) -> None:
    """Run `action`, turning expected errors into a one-line ``error: ...`` and an exit code."""
    try:
        action()
    except (InputError, DesignError, GeometryError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=EXIT_INVALID_INPUT) from None
    except FemstackError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=EXIT_FAILURE) from None
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        raise typer.Exit(code=EXIT_INTERRUPTED) from None


def _with_converter(design, converter: Optional[str]):
    """Return the design with ``terminals.converter`` set from ``--converter``."""
    if converter is None:
        return design
    from femstack.design.model import CONVERTER_PRESETS, Design, validate_model

    if converter not in CONVERTER_PRESETS:
        raise DesignError("--converter", converter, f"expected one of {', '.join(CONVERTER_PRESETS)}")
    data = design.model_dump()
    data["terminals"]["converter"] = converter
    if converter != "custom":
        data["terminals"]["swings"] = {}
    try:
        return validate_model(Design, data)
    except DesignError as error:
        problems = [
            DesignProblem("--converter", problem.value, problem.allowed, problem.reason)
            if problem.field == "terminals.converter"
            else problem
            for problem in error.problems
        ]
        raise DesignError.from_problems(problems) from None


_CONVERTER_HELP = (
    "Converter preset for the common-mode rows: custom, flyback, forward, half-bridge-llc, "
    "full-bridge or dual-active-bridge (see femstack.post.converters). A preset other than "
    "custom sets every terminal swing, so the design's terminals.quiet and terminals.swings are "
    "not used. Default: the converter key of the design's terminals table, custom if unset."
)

_DESIGN_HELP = "Design file (TOML), in the format documented in femstack.design.loader."
_OUT_HELP = (
    "Folder for results.json, summary.csv, and per arrangement <pattern>_results.json, "
    "<pattern>_fields.vtu and <pattern>_regions.json. Created if missing. Existing files of "
    "the same names are replaced."
)
_VERBOSE_HELP = "Repeat to log more to stderr: -v stage details, -vv debug output, -vvv scikit-fem too."


@app.command()
def compare(
    design: Optional[Path] = typer.Argument(
        None, help=_DESIGN_HELP + " Default: the bundled reference design.", show_default=False
    ),
    patterns: Optional[str] = typer.Option(
        None,
        "--patterns",
        "-p",
        help="Comma-separated layer patterns to run, one winding symbol per layer from layer 1, "
        "e.g. PPSS,PSPS. Default: the patterns listed in the design.",
        show_default=False,
    ),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help=_OUT_HELP, show_default=False),
    jobs: int = typer.Option(
        0,
        "--jobs",
        "-j",
        help="Worker processes that run arrangements side by side; 0 (default) uses one per "
        "arrangement, at most one per CPU core; 1 runs them one after another.",
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help=_VERBOSE_HELP, show_default=False),
    converter: Optional[str] = typer.Option(None, "--converter", "-c", help=_CONVERTER_HELP, show_default=False),
) -> None:
    """Run every arrangement of a design and print one side-by-side table."""
    _configure_logging(verbose)

    def action() -> None:
        started = time.perf_counter()
        if jobs < 0:
            raise DesignError("--jobs", jobs, "expected 0 (automatic) or a number of processes >= 1")
        _check_out(out)
        loaded = _with_converter(_load(design), converter)
        chosen = _parse_patterns(loaded, patterns) if patterns is not None else None
        comparison, saved = _run_and_save(loaded, chosen, out, jobs)
        _finish(comparison, saved, out, started)

    _run_guarded(action)


@app.command()
def run(
    design: Path = typer.Argument(..., help=_DESIGN_HELP, show_default=False),
    pattern: Optional[str] = typer.Option(
        None,
        "--pattern",
        "-p",
        help="Layer pattern to run, one winding symbol per layer from layer 1, e.g. PSPS. "
        "Default: the first pattern listed in the design.",
        show_default=False,
    ),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help=_OUT_HELP, show_default=False),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help=_VERBOSE_HELP, show_default=False),
    converter: Optional[str] = typer.Option(None, "--converter", "-c", help=_CONVERTER_HELP, show_default=False),
) -> None:
    """Run one arrangement of a design and print its table."""
    _configure_logging(verbose)

    def action() -> None:
        started = time.perf_counter()
        _check_out(out)
        loaded = _with_converter(_load(design), converter)
        chosen = loaded.arrangement.pattern
        if pattern is not None:
            chosen = pattern.strip()
            _check_pattern(loaded, chosen, "--pattern")
        comparison, saved = _run_and_save(loaded, [chosen], out)
        _finish(comparison, saved, out, started)

    _run_guarded(action)


_RESULTS_HELP = "Results folder written by 'femstack compare --out' or 'femstack run --out'."
_FIELDS_HELP = (
    "Draw the PyVista field pictures (needs an OpenGL context: EGL or an X display). "
    "--no-fields needs only results.json and summary.csv."
)


def _run_viz_guarded(action: Callable[[], None]) -> None:
    """Run a plotting action: a bad results folder exits with 2, a failed rendering with 1."""
    from femstack.viz.fields import RenderError
    from femstack.viz.results import ResultsError

    def checked() -> None:
        try:
            action()
        except ResultsError as error:
            raise InputError(str(error)) from None

    try:
        _run_guarded(checked)
    except RenderError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=EXIT_FAILURE) from None
    except OSError as error:
        typer.echo(f"error: writing the pictures failed: {error}", err=True)
        raise typer.Exit(code=EXIT_FAILURE) from None


@app.command()
def plot(
    results: Path = typer.Argument(..., help=_RESULTS_HELP, show_default=False),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Folder for the PNG files. Default: RESULTS_DIR/plots. Created if missing.",
        show_default=False,
    ),
    fields: bool = typer.Option(True, "--fields/--no-fields", help=_FIELDS_HELP),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help=_VERBOSE_HELP, show_default=False),
) -> None:
    """Write the standard pictures of a finished run: charts and field plots as PNG files."""
    _configure_logging(verbose)

    def action() -> None:
        from femstack.viz.standard import write_standard_plots

        _check_out(out)
        paths = write_standard_plots(results, out, fields=fields)
        _progress(f"wrote {len(paths)} pictures to {paths[0].parent}")

    _run_viz_guarded(action)


@app.command()
def report(
    results: Path = typer.Argument(..., help=_RESULTS_HELP, show_default=False),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="HTML file to write. Default: RESULTS_DIR/report.html. Replaced if it exists.",
        show_default=False,
    ),
    fields: bool = typer.Option(True, "--fields/--no-fields", help=_FIELDS_HELP),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help=_VERBOSE_HELP, show_default=False),
) -> None:
    """Write one self-contained HTML page of a finished run (tables, pictures, design, mesh)."""
    _configure_logging(verbose)

    def action() -> None:
        from femstack.viz.html import write_report

        if out is not None and out.is_dir():
            raise InputError(f"--out '{out}' is a folder, expected the path of an HTML file")
        path = write_report(results, out, fields=fields)
        _progress(f"wrote {path}")

    _run_viz_guarded(action)


@app.command()
def search(
    design: Optional[Path] = typer.Argument(
        None, help=_DESIGN_HELP + " Default: the bundled reference design.", show_default=False
    ),
    patterns: Optional[str] = typer.Option(
        None,
        "--patterns",
        "-p",
        help="Comma-separated layer patterns to search. Default: every distinct ordering of the "
        "layers of the design's first pattern.",
        show_default=False,
    ),
    converter: Optional[str] = typer.Option(None, "--converter", "-c", help=_CONVERTER_HELP, show_default=False),
    frequency: Optional[str] = typer.Option(
        None,
        "--frequency",
        "-f",
        help="Frequency of the leakage inductance, such as '1 MHz'. Default: the design's highest.",
        show_default=False,
    ),
    size_factor: float = typer.Option(
        2.0, "--size-factor", help="Mesh size factor for the search; 2 doubles every element size.", min=0.1, max=10.0
    ),
    top: int = typer.Option(10, "--top", help="Number of best cases to print, besides the Pareto-optimal ones.", min=1),
    out: Optional[Path] = typer.Option(
        None,
        "--out",
        "-o",
        help="Folder for search.json and search.csv, created if missing. search.json is saved after "
        "every pattern and reused when the search is repeated with the same design and options. It "
        "holds one search: a run with another design, converter, frequency or size factor logs a "
        "warning naming both and replaces it, so use one folder per converter to keep each.",
        show_default=False,
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help=_VERBOSE_HELP, show_default=False),
) -> None:
    """Rank arrangements and winding orientations on common-mode capacitance against leakage.

    The orientation column gives, per winding, order=21 (the series order of the winding's
    own layers counted from layer 1: here its 2nd layer first), starts=io (where the path
    enters each layer in series order: i at the innermost turn, o at the outermost) and
    dot=end (the converter's dot on the end terminal). A field is left out where it cannot
    change the turn potentials.
    """
    _configure_logging(verbose)

    def action() -> None:
        from femstack.design.units import parse_frequency
        from femstack.report import format_search
        from femstack.study.search import search as run_search

        started = time.perf_counter()
        _check_out(out)
        loaded = _with_converter(_load(design), converter)
        chosen = _parse_patterns(loaded, patterns) if patterns is not None else None
        f = parse_frequency(frequency, "--frequency") if frequency is not None else None
        try:
            result = run_search(loaded, chosen, frequency=f, size_factor=size_factor, out=out, progress=_progress)
        except OSError as error:
            typer.echo(f"error: writing the search results to '{out}' failed: {error}", err=True)
            raise typer.Exit(code=EXIT_FAILURE) from None
        typer.echo(format_search(loaded, result, top))
        _progress(f"total wall time {time.perf_counter() - started:.1f} s")

    _run_guarded(action)


@app.command()
def sweep(
    design: Optional[Path] = typer.Argument(
        None, help=_DESIGN_HELP + " Default: the bundled reference design.", show_default=False
    ),
    patterns: Optional[str] = typer.Option(
        None, "--patterns", "-p", help="Comma-separated layer patterns. Default: the patterns listed in the design.",
        show_default=False,
    ),
    f_min: str = typer.Option("10 kHz", "--f-min", help="Lowest frequency, with a unit, such as '10 kHz'."),
    f_max: str = typer.Option("10 MHz", "--f-max", help="Highest frequency, with a unit, such as '10 MHz'."),
    points: int = typer.Option(50, "--points", help="Number of log-spaced frequencies."),
    tolerance: float = typer.Option(
        1e-4, "--tolerance", help="Target relative error of the reduced-order model (estimated)."
    ),
    max_solves: int = typer.Option(5, "--max-solves", help="Maximum number of full solves per arrangement."),
    check: int = typer.Option(
        0, "--check", help="Number of random sweep frequencies to verify with full solves (errors go to the JSON)."
    ),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Folder for <pattern>_sweep.csv and <pattern>_sweep.json. Created if missing.",
        show_default=False,
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help=_VERBOSE_HELP, show_default=False),
) -> None:
    """Sweep impedance, leakage and AC resistance over a band with a reduced-order model."""
    _configure_logging(verbose)

    def action() -> None:
        from femstack.design.units import parse_frequency
        from femstack.frequency_sweep import parse_band, sweep as run_sweep, write_sweep

        started = time.perf_counter()
        if tolerance <= 0 or tolerance != tolerance:
            raise DesignError("--tolerance", tolerance, "expected a positive number such as 1e-4")
        if max_solves < 1:
            raise DesignError("--max-solves", max_solves, "expected an integer >= 1")
        if check < 0:
            raise DesignError("--check", check, "expected an integer >= 0")
        band = parse_band(parse_frequency(f_min, "--f-min"), parse_frequency(f_max, "--f-max"), points)
        _check_out(out)
        loaded = _load(design)
        chosen = _parse_patterns(loaded, patterns) if patterns is not None else None
        written: list[Path] = []

        def save(result) -> None:
            s = result.sweep
            _progress(
                f"{result.pattern}: {len(s.frequencies)} frequencies from {s.full_solves} full solves in "
                f"{s.seconds:.2f} s, estimated relative error {s.error_estimate:.1e}"
            )
            for row in result.checks:
                _progress(
                    f"{result.pattern}: check at {row['frequency_Hz']:.4g} Hz, relative error "
                    f"{row['relative_error']:.1e}"
                )
            if out is not None:
                written.extend(write_sweep(result, out))

        try:
            results = run_sweep(
                loaded, band, chosen, tolerance=tolerance, max_expansions=max_solves, check=check,
                progress=_progress, on_result=save,
            )
        except OSError as error:
            typer.echo(f"error: writing the results to '{out}' failed: {error}", err=True)
            raise typer.Exit(code=EXIT_FAILURE) from None
        for result in results:
            s = result.sweep
            typer.echo(f"{result.pattern}: f_Hz, L_leak_nH, " + ", ".join(f"Rac_{w}_mOhm" for w in result.windings))
            for i in np.unique(np.linspace(0, len(s.frequencies) - 1, min(len(s.frequencies), 6)).astype(int)):
                values = ", ".join(f"{s.ac_resistance[w][i] * 1e3:.4g}" for w in result.windings)
                typer.echo(f"  {s.frequencies[i]:.4g}, {s.leakage_inductance[i] * 1e9:.4g}, {values}")
        if out is not None:
            _progress(f"wrote {len(written)} files to {out}")
        _progress(f"total wall time {time.perf_counter() - started:.1f} s")

    _run_guarded(action)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
