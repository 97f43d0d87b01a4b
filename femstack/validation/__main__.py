"""Regenerate docs/validation.md, its convergence plots and the NGSolve timing file.

    python -m femstack.validation [--quick] [--out docs]

``--quick`` uses coarser meshes and fewer refinements (a few minutes on 2 cores). The
NGSolve comparison runs when ngsolve is importable (``pip install 'femstack[validation]'``),
and is skipped with a note otherwise.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m femstack.validation", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"),
                        help="folder for validation.md and validation/*.png (default: docs)")
    parser.add_argument("--quick", action="store_true", help="coarser meshes and fewer refinements")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("skfem").setLevel(logging.WARNING)
    logging.getLogger("femstack.solvers").setLevel(logging.WARNING)
    logging.getLogger("femstack.geometries").setLevel(logging.WARNING)

    from femstack.errors import FemstackError
    from femstack.validation.report import write_report

    try:
        path = write_report(args.out, quick=args.quick)
    except (FemstackError, OSError) as error:
        print(f"validation failed: {error}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
