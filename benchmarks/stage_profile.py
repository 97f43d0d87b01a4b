"""Per-stage wall time of the reference `compare`, measured from outside the pipeline.

Wraps the functions that do each stage's work with timers and runs
``femstack.compare`` plus the result writers on the reference design. Time spent in a
wrapped function that calls another wrapped function goes to the inner one, so the
stages add up to the total without double counting. What no wrapper covers (building
the bordered matrix, small glue code) is reported as ``other``.

Because it needs no timing code inside femstack, the same script measures an older
checkout as well, which is how the before/after table in docs/benchmarks.md was made::

    python benchmarks/stage_profile.py --repeat 3                  # this checkout
    PYTHONPATH=/path/to/old/checkout python benchmarks/stage_profile.py --repeat 3

Prints one JSON object: stage → list of seconds (summed over the arrangements), one
entry per repetition, plus ``total`` and ``peak_rss_mib`` of this process. With
``--clock cpu`` the seconds are CPU time of this process (``time.process_time``), which
a busy machine inflates far less than wall time. The solvers run single-threaded, so
on an idle machine the two nearly agree.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import resource
import tempfile
import time
from pathlib import Path

import femstack
import femstack.outputs as outputs
import femstack.pipeline as pipeline
import femstack.solvers.eddy_current as eddy
import femstack.solvers.electrostatic as electrostatic
import femstack.solvers.linear as linear
from femstack.design.loader import load_design, reference_design_path

_stack: list[str] = []
_totals: dict[str, float] = {}
_clock = time.perf_counter


def _timed(stage: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start = _clock()
        _stack.append(stage)
        try:
            return function(*args, **kwargs)
        finally:
            _stack.pop()
            elapsed = _clock() - start
            _totals[stage] = _totals.get(stage, 0.0) + elapsed
            if _stack:  # the outer stage did not do this work itself
                _totals[_stack[-1]] = _totals.get(_stack[-1], 0.0) - elapsed

    return wrapper


def _patch(owner, name: str, stage: str) -> None:
    if hasattr(owner, name):
        setattr(owner, name, _timed(stage, getattr(owner, name)))


def install_timers() -> None:
    """Wrap the stage functions of whichever femstack version is imported."""
    _patch(pipeline, "build_axisymmetric_model", "geometry")
    _patch(pipeline, "mesh_layout", "meshing")
    _patch(electrostatic, "asm", "assembly")
    _patch(eddy.EddyCurrentProblem, "_assemble", "assembly")
    _patch(linear.Factorization, "__init__", "factorization")
    _patch(linear.Factorization, "solve", "solves")
    _patch(pipeline, "_electrostatics", "post_processing")
    _patch(pipeline, "_frequency_result", "post_processing")
    _patch(outputs, "write_arrangement", "output")
    _patch(outputs, "write_tables", "output")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    global _clock
    _clock = time.process_time if args.clock == "cpu" else time.perf_counter
    install_timers()
    design = load_design(reference_design_path())
    runs: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        _totals.clear()
        start = _clock()
        with tempfile.TemporaryDirectory() as folder:
            # One process, so that every stage's timer runs here.
            serial = {"workers": 1} if "workers" in inspect.signature(pipeline.compare).parameters else {}
            comparison = pipeline.compare(design, **serial)
            for result in comparison.results:
                outputs.write_arrangement(result, Path(folder))
            outputs.write_tables(comparison, Path(folder))
        total = _clock() - start
        _totals["other"] = total - sum(_totals.values())
        _totals["total"] = total
        for stage, seconds in _totals.items():
            runs.setdefault(stage, []).append(round(seconds, 3))
    runs["peak_rss_mib"] = [round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)]
    runs["femstack"] = [femstack.__file__]
    print(json.dumps(runs))


if __name__ == "__main__":
    main()
