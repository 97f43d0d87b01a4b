"""femstack: finite-element analysis of planar transformer winding stacks.

The Python API mirrors the command line:

>>> import femstack
>>> design = femstack.load_design(femstack.reference_design_path())  # doctest: +SKIP
>>> comparison = femstack.compare(design, ["PPSS", "PSPS"])          # doctest: +SKIP
>>> comparison.table()                                               # doctest: +SKIP
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Imported on first use, so `import femstack` and `femstack --help` stay fast.
_EXPORTS = {
    "load_design": "femstack.design.loader",
    "reference_design_path": "femstack.design.loader",
    "compare": "femstack.pipeline",
    "run_arrangement": "femstack.pipeline",
    "sweep": "femstack.frequency_sweep",
}

__all__ = ["__version__", *_EXPORTS]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'femstack' has no attribute {name!r}")
