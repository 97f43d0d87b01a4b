"""Sparse direct solvers on the reference design's two systems, side by side.

Builds the PSPS arrangement of the reference design, then factorizes and solves

- the electrostatic free-free block (real symmetric positive definite), all conductors
  as right-hand sides;
- the bordered eddy-current system at 500 kHz (complex), one right-hand side per
  winding;

with SuperLU in every column ordering, symmetric mode on and off, UMFPACK (kvxopt)
with a new symbolic analysis and with one reused from another frequency, and PARDISO
(pypardiso, real-equivalent form for the complex system). Candidates run in turn
inside each repetition, so a busy machine slows them alike. Prints a Markdown table:
median, min and max of factorization and solve times, the relative residual, and the
largest relative difference of the solution from SuperLU's default.

    python benchmarks/solvers.py --repeat 5
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

import numpy as np

from femstack.design.loader import load_design, reference_design_path
from femstack.pipeline import _eddy_problem
from femstack.geometries.axisymmetric import build_axisymmetric_model
from femstack.geometries.mesher import mesh_layout
from femstack.solvers import linear
from femstack.solvers.electrostatic import maxwell_capacitance

logger = logging.getLogger("solvers")

NATURAL_LIMIT = 20_000  # NATURAL ordering fills in too much above this size to be worth timing


def build_systems():
    """Return {name: (matrix, rhs, reused-pattern matrix)} of the reference PSPS design."""
    design = load_design(reference_design_path())
    model = build_axisymmetric_model(design, "PSPS")
    rm = mesh_layout(model.layout)
    problem = _eddy_problem(design, model, rm, design.mesh.element_order)
    eddy_matrix, eddy_rhs = problem._system(2 * np.pi * 500e3)
    eddy_other, _ = problem._system(2 * np.pi * 100e3)

    # The electrostatic block, captured from the factorization that the electrostatic solver requests.
    captured = {}
    original = linear.LinearSolver.factorize

    def capture(self, matrix):
        captured["matrix"] = matrix.tocsc()
        return original(self, matrix)

    linear.LinearSolver.factorize = capture
    try:
        import femstack.pipeline as pipeline

        pipeline._electrostatics(design, model, rm, design.mesh.element_order)
    finally:
        linear.LinearSolver.factorize = original
    es_matrix = captured["matrix"]
    rng = np.random.default_rng(0)
    es_rhs = rng.standard_normal((es_matrix.shape[0], 49))
    return {
        "electrostatic": (es_matrix, es_rhs, None),
        "eddy current 500 kHz": (eddy_matrix, eddy_rhs, eddy_other),
    }


def candidates(n: int):
    """(label, factorize function) pairs for a system of size n."""
    out = []
    for ordering in linear.SUPERLU_ORDERINGS:
        if ordering == "NATURAL" and n > NATURAL_LIMIT:
            continue
        for symmetric in (True, False):
            label = f"superlu {ordering} symmetric={'on' if symmetric else 'off'}"
            out.append((label, lambda A, o=ordering, s=symmetric: linear.Factorization(A, "superlu", ordering=o, symmetric_mode=s)))
    if linear.solver_available("umfpack"):
        out.append(("umfpack (kvxopt)", lambda A: linear.Factorization(A, "umfpack")))
    if linear.solver_available("pardiso"):
        out.append(("pardiso (pypardiso)", lambda A: linear.Factorization(A, "pardiso")))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("skfem").setLevel(logging.WARNING)

    systems = build_systems()
    lines = []
    for name, (A, b, other) in systems.items():
        reference = linear.Factorization(A).solve(b)
        cands = candidates(A.shape[0])
        if other is not None and linear.solver_available("umfpack"):
            symbolic = linear.Factorization(other, "umfpack").symbolic
            cands.append(
                ("umfpack, symbolic reused from 100 kHz", lambda M, s=symbolic: linear.Factorization(M, "umfpack", symbolic=s))
            )
        factor_times = {label: [] for label, _ in cands}
        solve_times = {label: [] for label, _ in cands}
        quality = {}
        for _ in range(args.repeat):
            for label, factorize in cands:
                start = time.perf_counter()
                lu = factorize(A)
                factor_times[label].append(time.perf_counter() - start)
                start = time.perf_counter()
                x = lu.solve(b)
                solve_times[label].append(time.perf_counter() - start)
                residual = np.linalg.norm(A @ x - b) / np.linalg.norm(b)
                difference = np.abs(x - reference).max() / np.abs(reference).max()
                quality[label] = (residual, difference)
                logger.info("%s, %s: %.3f s + %.3f s", name, label, factor_times[label][-1], solve_times[label][-1])
        lines += [
            "",
            f"{name}: {A.shape[0]} unknowns, {A.nnz} nonzeros, {b.shape[1]} right-hand sides, {args.repeat} repetitions",
            "",
            "| solver | factorization median (min–max), s | solve median, s | relative residual | max difference from default |",
            "|---|---|---|---|---|",
        ]
        for label, _ in cands:
            f, s = factor_times[label], solve_times[label]
            lines.append(
                f"| {label} | {statistics.median(f):.3f} ({min(f):.3f}–{max(f):.3f}) | {statistics.median(s):.3f} "
                f"| {quality[label][0]:.1e} | {quality[label][1]:.1e} |"
            )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
