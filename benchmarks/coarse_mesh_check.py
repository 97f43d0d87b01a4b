"""Check whether a coarser default mesh keeps every reported quantity within 1 %.

Runs `compare` on the reference design with each candidate ``size_factor`` and with a
finer reference mesh. Then it compares every key of every arrangement's summary with
the reference value: all capacitances and branches, and at every frequency the leakage
and magnetizing inductance, R_ac, R_ac/R_dc, R_dc and copper loss. Prints, per candidate, the
largest relative deviation, the key where it occurs, and the keys above the limit.

    python benchmarks/coarse_mesh_check.py --candidates 2 1.4 1 --reference 0.5
"""

from __future__ import annotations

import argparse
import logging
import time

from femstack.design.loader import load_design, reference_design_path
from femstack.pipeline import compare

LIMIT = 0.01


def summaries(size_factor: float) -> tuple[dict[str, dict], float]:
    design = load_design(reference_design_path())
    design = design.model_copy(update={"mesh": design.mesh.model_copy(update={"size_factor": size_factor})})
    start = time.perf_counter()
    comparison = compare(design)
    return {r.pattern: r.summary() for r in comparison.results}, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=float, nargs="+", default=[2.0, 1.4, 1.0])
    parser.add_argument("--reference", type=float, default=0.5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    reference, seconds = summaries(args.reference)
    print(f"reference size_factor {args.reference:g}: compare took {seconds:.1f} s\n")
    print("| size_factor | compare wall (s) | quantities compared | max relative deviation | at | above 1 % |")
    print("|---|---|---|---|---|---|")
    for factor in args.candidates:
        candidate, seconds = summaries(factor)
        deviations = []
        for pattern, values in reference.items():
            for key, value in values.items():
                if isinstance(value, str) or value == 0.0 or value != value:
                    continue
                deviations.append((abs(candidate[pattern][key] - value) / abs(value), f"{pattern} {key}"))
        worst = max(deviations)
        above = [name for deviation, name in deviations if deviation > LIMIT]
        print(
            f"| {factor:g} | {seconds:.1f} | {len(deviations)} | {worst[0]:.2e} | {worst[1]} "
            f"| {', '.join(above) or 'none'} |"
        )


if __name__ == "__main__":
    main()
