"""Cost and accuracy of the reduced-order sweep against full solves.

For each arrangement of the reference design: 50 log-spaced frequencies from 10 kHz to
10 MHz by the reduced-order model, then full solves at 10 of them picked at random
(seed 0). Full solves and sweeps alternate over the repetitions, so a busy machine
slows both alike. Reports the sweep's cost in full-solve equivalents (sweep wall time /
median wall time of one full solve), the numbers of factorizations and
back-substitutions, the stated error estimate and the largest relative error measured
at the checked frequencies.

With ``--baseline REV`` the reduced_order module of git revision REV is loaded from
the repository and swept in the same loop, alternating with the current one, so both
are measured against the same full solves.

    python benchmarks/sweep.py --repeat 3 --baseline main
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from femstack.design.loader import load_design, reference_design_path
from femstack.geometries.axisymmetric import build_axisymmetric_model
from femstack.geometries.mesher import mesh_layout
from femstack.pipeline import _eddy_problem
from femstack.solvers import reduced_order


def load_revision(revision: str):
    """Import femstack/solvers/reduced_order.py as it is at git ``revision``."""
    root = Path(__file__).resolve().parents[1]
    source = subprocess.run(
        ["git", "show", f"{revision}:femstack/solvers/reduced_order.py"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "reduced_order_baseline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("reduced_order_baseline", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="sweeps (and full solves) per arrangement")
    parser.add_argument("--points", type=int, default=50, help="number of sweep frequencies")
    parser.add_argument("--baseline", help="git revision whose reduced-order sweep is measured alongside")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    versions = {"current": reduced_order}
    if args.baseline:
        versions = {args.baseline: load_revision(args.baseline), "current": reduced_order}
    design = load_design(reference_design_path())
    frequencies = np.geomspace(10e3, 10e6, args.points)
    currents = [design.excitation.currents[w.name] for w in design.windings]
    print(
        "| pattern | version | full solve median (s) | sweep median (s) [min–max] | cost in full solves "
        "| factorizations | back-substitutions | stated error estimate | max error at 10 checked points |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for pattern in design.arrangement.patterns:
        model = build_axisymmetric_model(design, pattern)
        problem = _eddy_problem(design, model, mesh_layout(model.layout), design.mesh.element_order)
        full = []
        swept = {name: [] for name in versions}
        results = {}
        for _ in range(args.repeat):
            start = time.perf_counter()
            problem.solve(1e6)
            full.append(time.perf_counter() - start)
            for name, module in versions.items():
                start = time.perf_counter()
                results[name] = module.sweep(problem, frequencies, currents)
                swept[name].append(time.perf_counter() - start)
        rng = np.random.default_rng(0)
        checked = np.sort(rng.choice(frequencies, size=10, replace=False))
        for name, module in versions.items():
            result = results[name]
            errors = [row["relative_error"] for row in module.verify(problem, result, checked, currents)]
            # A baseline from before the count existed made 3 back-substitutions per point.
            back = getattr(result, "back_substitutions", 3 * result.full_solves)
            times = swept[name]
            print(
                f"| {pattern} | {name} | {statistics.median(full):.2f} | {statistics.median(times):.2f} "
                f"[{min(times):.2f}–{max(times):.2f}] | {statistics.median(times) / statistics.median(full):.1f} "
                f"| {result.full_solves} | {back} | {result.error_estimate:.1e} | {max(errors):.1e} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
