"""Text rendering of a comparison for the terminal."""

from __future__ import annotations


def format_value(value) -> str:
    """Format a number with four significant digits; pass other values through."""
    if isinstance(value, (int, float)):
        return f"{value:.4g}"
    return str(value)


def format_table(comparison) -> str:
    """Return the side-by-side table of a comparison: one row per quantity, units in the names."""
    table = comparison.table()
    text = table.map(format_value) if hasattr(table, "map") else table.applymap(format_value)
    header = f"{comparison.design.name}: {len(comparison.results)} arrangement(s)"
    return header + "\n" + text.to_string()
