"""Time and peak memory against the number of unknowns, with fitted log-log slopes.

Runs the PSPS arrangement of the reference design at one frequency (1 MHz) for a
series of mesh size factors, each in a fresh process so that its peak resident memory
is its own. Fits time ∝ n^p and memory ∝ n^q by least squares in log-log scale over
the runs with n ≥ 100,000 unknowns. Below that, fixed costs such as the ~150 MiB of
imported libraries dominate. Plots both and extrapolates the number of eddy-current
unknowns whose run would need 8 GiB.

    python benchmarks/scaling.py --size-factors 2 1 0.7 0.5 0.35 0.25 0.18 0.15 --plot docs/scaling.png

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

LIMIT_GIB = 8.0
FIT_FROM = 100_000


def child(size_factor: float) -> None:
    """Run one size factor and print a JSON record (called in a fresh process)."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    from femstack.design.loader import load_design, reference_design_path
    from femstack.pipeline import run_arrangement

    design = load_design(reference_design_path())
    mesh = design.mesh.model_copy(update={"size_factor": size_factor})
    excitation = design.excitation.model_copy(update={"frequencies": (1e6,)})
    design = design.model_copy(update={"mesh": mesh, "excitation": excitation})
    start = time.perf_counter()
    result = run_arrangement(design, "PSPS")
    total = time.perf_counter() - start
    record = {
        "size_factor": size_factor,
        "triangles": int(result.region_mesh.n_elements),
        "eddy_unknowns": int(result.eddy[0].problem.system_parts()[0].shape[0]),
        "electrostatic_dofs": int(result.electrostatic.basis.N),
        "timings": result.timings,
        "total_s": total,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(record))


def fit(n: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Return (slope, intercept) of log y = slope log n + intercept."""
    slope, intercept = np.polyfit(np.log(n), np.log(y), 1)
    return float(slope), float(intercept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-factors", type=float, nargs="+", default=[4, 2, 1.4, 1, 0.7, 0.5, 0.35])
    parser.add_argument("--plot", type=Path, default=Path("docs/scaling.png"))
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return

    records = []
    for size_factor in args.size_factors:
        run = subprocess.run(
            [sys.executable, __file__, "--child", str(size_factor)], capture_output=True, text=True, check=False
        )
        if run.returncode != 0:
            print(f"# size factor {size_factor} failed: {run.stderr[-500:]}", file=sys.stderr)
            break
        record = json.loads(run.stdout.strip().splitlines()[-1])
        records.append(record)
        print(
            f"# size factor {size_factor}: {record['eddy_unknowns']} unknowns, {record['total_s']:.1f} s, "
            f"{record['peak_rss_mib']:.0f} MiB",
            file=sys.stderr,
        )

    n = np.array([r["eddy_unknowns"] for r in records], dtype=float)
    total = np.array([r["total_s"] for r in records])
    factor = np.array([r["timings"]["factorization"] for r in records])
    memory = np.array([r["peak_rss_mib"] for r in records])
    use = n >= FIT_FROM
    slopes = {name: fit(n[use], y[use]) for name, y in (("total", total), ("factorization", factor), ("memory", memory))}
    slope_m, intercept_m = slopes["memory"]
    n_limit = float(np.exp((np.log(LIMIT_GIB * 1024) - intercept_m) / slope_m))

    print("| size factor | triangles | eddy-current unknowns | total (s) | factorization (s) | peak RSS (MiB) |")
    print("|---|---|---|---|---|---|")
    for r in records:
        print(
            f"| {r['size_factor']:g} | {r['triangles']} | {r['eddy_unknowns']} | {r['total_s']:.2f} "
            f"| {r['timings']['factorization']:.2f} | {r['peak_rss_mib']:.0f} |"
        )
    print()
    for name, (slope, _) in slopes.items():
        print(f"- fitted slope of {name} against unknowns (n ≥ {FIT_FROM}): {slope:.2f}")
    print(f"- extrapolated unknowns at {LIMIT_GIB:g} GiB peak memory: {n_limit:.3g}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for axis, (name, y, unit) in zip(
        (left, left, right), (("total", total, "s"), ("factorization", factor, "s"), ("memory", memory, "MiB"))
    ):
        slope, intercept = slopes[name]
        axis.loglog(n, y, "o", label=f"{name}")
        axis.loglog(n[use], np.exp(intercept) * n[use] ** slope, "-", label=f"fit, slope {slope:.2f}")
        axis.set_xlabel("eddy-current unknowns")
        axis.set_ylabel(unit)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    left.set_title("wall time, PSPS, one frequency")
    right.set_title("peak resident memory")
    figure.tight_layout()
    args.plot.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.plot, dpi=110)
    print(f"\n![time and memory against unknowns]({args.plot.name})")


if __name__ == "__main__":
    main()
