"""Command-line interface: a thin layer over :mod:`femstack.pipeline`.

    femstack compare [DESIGN] [--patterns PPSS,PSPS] [--out DIR]
    femstack run DESIGN [--pattern PSPS] [--out DIR]

With no DESIGN, ``compare`` runs the bundled reference design.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from femstack.errors import FemstackError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Finite-element analysis of planar transformer winding stacks.",
)

logger = logging.getLogger(__name__)


def _configure_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _progress(message: str) -> None:
    typer.echo(f"[femstack] {message}", err=True)


def _load(design_path: Optional[Path]):
    from femstack.design.loader import load_design, reference_design_path

    path = design_path or reference_design_path()
    if design_path is not None and not path.is_file():
        raise FemstackError(f"design file not found: {path}")
    _progress(f"design: {path}")
    return load_design(path)


def _print_table(comparison) -> None:
    from femstack.report import format_table

    typer.echo(format_table(comparison))


def _finish(comparison, out: Optional[Path], started: float) -> None:
    _print_table(comparison)
    if out is not None:
        from femstack.outputs import write_all

        paths = write_all(comparison, out)
        _progress(f"wrote {len(paths)} files to {out}")
    _progress(f"total wall time {time.perf_counter() - started:.1f} s")


def _run_guarded(action) -> None:
    try:
        action()
    except FemstackError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None


@app.command()
def compare(
    design: Optional[Path] = typer.Argument(None, help="Design file (TOML). Default: the bundled reference design."),
    patterns: Optional[str] = typer.Option(
        None, "--patterns", "-p", help="Comma-separated layer patterns, e.g. PPSS,PSPS. Default: the design's list."
    ),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for results.json, summary.csv and VTU fields."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="Log stage details (-v) or debug output (-vv)."),
) -> None:
    """Run every arrangement of a design and print one side-by-side table."""
    _configure_logging(verbose)

    def action():
        from femstack.pipeline import compare as run_compare

        started = time.perf_counter()
        loaded = _load(design)
        chosen = [p.strip() for p in patterns.split(",")] if patterns else None
        if chosen is not None:
            for p in chosen:
                loaded.with_pattern(p)  # validates each pattern before any meshing
        comparison = run_compare(loaded, chosen, progress=_progress)
        _finish(comparison, out, started)

    _run_guarded(action)


@app.command()
def run(
    design: Path = typer.Argument(..., help="Design file (TOML)."),
    pattern: Optional[str] = typer.Option(None, "--pattern", "-p", help="Layer pattern. Default: the design's first."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for results.json, summary.csv and VTU fields."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="Log stage details (-v) or debug output (-vv)."),
) -> None:
    """Run one arrangement of a design."""
    _configure_logging(verbose)

    def action():
        from femstack.pipeline import compare as run_compare

        started = time.perf_counter()
        loaded = _load(design)
        chosen = pattern or loaded.arrangement.pattern
        loaded.with_pattern(chosen)
        comparison = run_compare(loaded, [chosen], progress=_progress)
        _finish(comparison, out, started)

    _run_guarded(action)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
