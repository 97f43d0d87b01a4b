"""femstack: finite-element analysis of planar transformer winding stacks."""

__version__ = "0.1.0"
