"""Cost and accuracy of the reduced-order sweep against full solves.

For each arrangement of the reference design: 50 log-spaced frequencies from 10 kHz to
10 MHz by the reduced-order model, then full solves at 10 of them picked at random
(seed 0). Full solves and sweeps alternate over the repetitions, so a busy machine
slows both alike. Reports the sweep's cost in full-solve equivalents (sweep wall time /
median wall time of one full solve), the number of factorizations, the stated error
estimate and the largest relative error measured at the checked frequencies.

    python benchmarks/sweep.py --repeat 3
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

import numpy as np

from femstack.design.loader import load_design, reference_design_path
from femstack.geometries.axisymmetric import build_axisymmetric_model
from femstack.geometries.mesher import mesh_layout
from femstack.pipeline import _eddy_problem
from femstack.solvers.reduced_order import sweep, verify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--points", type=int, default=50)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    design = load_design(reference_design_path())
    frequencies = np.geomspace(10e3, 10e6, args.points)
    currents = [design.excitation.currents[w.name] for w in design.windings]
    print("| pattern | full solve median (s) | sweep median (s) | cost in full solves | factorizations "
          "| stated error estimate | max error at 10 checked points |")
    print("|---|---|---|---|---|---|---|")
    for pattern in design.arrangement.patterns:
        model = build_axisymmetric_model(design, pattern)
        problem = _eddy_problem(design, model, mesh_layout(model.layout), design.mesh.element_order)
        full, swept = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            problem.solve(1e6)
            full.append(time.perf_counter() - start)
            start = time.perf_counter()
            result = sweep(problem, frequencies, currents)
            swept.append(time.perf_counter() - start)
        rng = np.random.default_rng(0)
        checked = np.sort(rng.choice(frequencies, size=10, replace=False))
        errors = [row["relative_error"] for row in verify(problem, result, checked, currents)]
        print(
            f"| {pattern} | {statistics.median(full):.2f} | {statistics.median(swept):.2f} "
            f"| {statistics.median(swept) / statistics.median(full):.1f} | {result.full_solves} "
            f"| {result.error_estimate:.1e} | {max(errors):.1e} |"
        )


if __name__ == "__main__":
    main()
