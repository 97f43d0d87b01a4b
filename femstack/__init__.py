"""femstack: finite-element analysis of planar transformer winding stacks.

The Python API mirrors the command line:

>>> import femstack
>>> design = femstack.load_design(femstack.reference_design_path())  # doctest: +SKIP
>>> comparison = femstack.compare(design, ["PPSS", "PSPS"])          # doctest: +SKIP
>>> comparison.table()                                               # doctest: +SKIP
"""

__version__ = "0.1.0"

from femstack.design.loader import load_design, reference_design_path  # noqa: E402
from femstack.pipeline import compare, run_arrangement  # noqa: E402

__all__ = ["__version__", "compare", "load_design", "reference_design_path", "run_arrangement"]
