"""Text rendering of a comparison for the terminal.

The table has one row per quantity, with a plain-language name and a unit column, and one
column per layer pattern. The rows come from `ArrangementResult.summary`, whose keys
(such as ``L_leak_500kHz_nH``) stay the column keys of ``summary.csv``. This module only
translates those keys for display.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Callable

#: Key pattern, display name template and unit of each summary quantity, in display
#: order. Named groups: ``a`` and ``b`` (terminals), ``w`` (winding), ``f`` (frequency tag).
_QUANTITIES: tuple[tuple[str, str, str], ...] = (
    (r"C_interwinding_pF", "interwinding capacitance", "pF"),
    (r"C_cm_effective_pF", "effective common-mode capacitance", "pF"),
    (r"C\[(?P<a>[^|\]]+)\|(?!ground\])(?P<b>[^|\]]+)\]_pF", "capacitance {a} to {b}", "pF"),
    (r"C\[(?P<a>[^|\]]+)\|ground\]_pF", "capacitance {a} to ground", "pF"),
    (r"Q_cm_edge_nC", "common-mode charge per switching edge", "nC"),
    (r"C_core\[shield/(?P<s>[^\]]+)\]_pF", "capacitance of shield '{s}' to the core", "pF"),
    (r"C_core\[(?P<a>[^\]]+)\]_pF", "capacitance of {a} to the core", "pF"),
    (r"C3model_C1_pF", "three-capacitor model C1 (P.start to common)", "pF"),
    (r"C3model_C2_pF", "three-capacitor model C2 (S.start to common)", "pF"),
    (r"C3model_C3_pF", "three-capacitor model C3 (P.start to S.start)", "pF"),
    (r"C3model_Ceq_pF", "three-capacitor model, C across the primary", "pF"),
    (r"CM_margin_QP_dB", "CM margin to CISPR 32 B, quasi-peak", "dB"),
    (r"CM_margin_AV_dB", "CM margin to CISPR 32 B, average", "dB"),
    (r"P_shield_(?P<f>[^_]+)_mW", "shield loss at {f}", "mW"),
    (r"L_leak_(?P<f>[^_]+)_nH", "leakage inductance at {f}", "nH"),
    (r"L_mag_(?P<f>[^_]+)_uH", "magnetizing inductance at {f}", "uH"),
    (r"Rdc_(?P<w>.+)_mOhm", "DC resistance Rdc of {w}", "mOhm"),
    (r"Rac_(?P<w>.+)_(?P<f>[^_]+)_mOhm", "AC resistance Rac of {w} at {f}", "mOhm"),
    (r"Rac/Rdc_(?P<w>.+)_(?P<f>[^_]+)", "Rac/Rdc of {w} at {f}", "-"),
    (r"P_copper_(?P<f>[^_]+)_mW", "copper loss at {f}", "mW"),
)
_COMPILED = tuple((re.compile(pattern), label, unit) for pattern, label, unit in _QUANTITIES)

#: Unit suffixes recognised on keys that no entry of `_QUANTITIES` matches.
_UNIT_SUFFIXES = ("pF", "nH", "uH", "mH", "mOhm", "Ohm", "mW", "W", "s", "Hz")

#: Cell text of a quantity that an arrangement does not have, such as the loss of a shield
#: that only another pattern's layers carry.
MISSING = "—"

_FREQUENCY_TAG = re.compile(r"^(?P<number>[0-9.eE+-]+)(?P<unit>[kMG]?Hz)$")


def format_value(value) -> str:
    """Format a real number with four significant digits, keeping trailing zeros.

    ``155`` becomes ``155.0`` and ``0.5`` becomes ``0.5000``, so every cell of a column shows
    the same precision. Values that are not real numbers are passed through ``str``.
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
        if not math.isfinite(number):
            return str(number)
        text = f"{number:#.4g}"
        # The "#" flag keeps trailing zeros but also leaves a bare point, as in "1234.".
        return text[:-1] if text.endswith(".") else text
    return str(value)


def describe_quantity(key: str) -> tuple[str, str]:
    """Return the display name and unit of a summary key such as ``Rac_P_500kHz_mOhm``.

    Keys that no known pattern matches are shown as they are, with the unit taken from a
    recognised suffix (``_pF``, ``_mW`` ...) or left empty.
    """
    _, label, unit = _match(key)
    return label, unit


def _match(key: str) -> tuple[int, str, str]:
    for rank, (pattern, label, unit) in enumerate(_COMPILED):
        found = pattern.fullmatch(key)
        if found is None:
            continue
        parts = {name: value for name, value in found.groupdict().items() if value is not None}
        if "f" in parts:
            parts["f"] = frequency_text(parts["f"])
        return rank, label.format(**parts), unit
    for suffix in _UNIT_SUFFIXES:
        if key.endswith("_" + suffix):
            return len(_COMPILED), key[: -len(suffix) - 1], suffix
    return len(_COMPILED), key, ""


def frequency_text(tag: str) -> str:
    """Turn a frequency tag such as ``500kHz`` into ``500 kHz``."""
    found = _FREQUENCY_TAG.match(tag)
    if found is None:
        return tag
    return f"{found['number']} {found['unit']}"


def _winding(key: str) -> str | None:
    for pattern, _, _ in _COMPILED:
        found = pattern.fullmatch(key)
        if found is not None:
            return found.groupdict().get("w")
    return None


def quantity_rows(keys: list[str]) -> list[tuple[str, str, str]]:
    """Return ``(key, display name, unit)`` for each summary key, in display order.

    Rows are grouped by quantity in the order of `_QUANTITIES` (capacitances, then
    inductances, resistances and losses). Inside a group, rows of one winding stay together,
    windings in their order of first appearance, and otherwise keep their input order, so the
    frequencies of one quantity appear in ascending order when the input lists them that way.
    """
    winding_order: dict[str, int] = {}
    for key in keys:
        winding = _winding(key)
        if winding is not None:
            winding_order.setdefault(winding, len(winding_order))

    def sort_key(item: tuple[int, str]) -> tuple[int, int, int]:
        position, key = item
        rank, _, _ = _match(key)
        winding = _winding(key)
        return rank, -1 if winding is None else winding_order[winding], position

    ordered = sorted(enumerate(keys), key=sort_key)
    return [(key, *describe_quantity(key)) for _, key in ordered]


def _render(header: list[str], rows: list[list[str]], text_columns: int) -> str:
    """Lay out a table with the first `text_columns` columns left-aligned, the rest right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    aligners: list[Callable[[str, int], str]] = [
        (str.ljust if i < text_columns else str.rjust) for i in range(len(header))
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(align(cell, width) for align, cell, width in zip(aligners, cells, widths)).rstrip()

    return "\n".join(line(cells) for cells in [header, *rows])


def format_table(comparison) -> str:
    """Render a comparison as text: a title line, then quantity, unit and one column per pattern.

    Values are in the unit of their row, with four significant digits.
    """
    table = comparison.table()
    patterns = [str(column) for column in table.columns]
    rows = []
    missing = False
    for key, label, unit in quantity_rows([str(index) for index in table.index]):
        cells = []
        for value in table.loc[key]:
            # The table is the union of every arrangement's summary keys, and pandas
            # fills a key that one arrangement lacks with NaN.
            absent = isinstance(value, numbers.Real) and math.isnan(value)
            missing = missing or absent
            cells.append(MISSING if absent else format_value(value))
        rows.append([label, unit, *cells])

    count = len(patterns)
    title = f"{comparison.design.name}: {count} arrangement{'s' if count != 1 else ''} ({', '.join(patterns)})"
    lines = [title]
    if comparison.results:
        lines.append(describe_core(comparison.results[0]))
        common_mode = describe_common_mode(comparison.results[0])
        if common_mode:
            lines.append(common_mode)
    text = "\n".join(lines) + "\n" + _render(["quantity", "unit", *patterns], rows, text_columns=2)
    if missing:
        text += f"\n{MISSING} : the arrangement has no such quantity (for example no shield copper on its layers)"
    return text


def describe_core(result) -> str:
    """Return one line on the axisymmetric equivalent core against the catalogue values."""
    design = result.design
    core = result.model.core
    equivalent = core.effective_parameters()
    parts = [design.core.e_half.name]
    if design.core.plate is not None:
        parts.append(design.core.plate.name)
    line = (
        f"core {' + '.join(parts)}, {design.core.material.name}: axisymmetric equivalent "
        f"le {equivalent['le'] * 1e3:.1f} mm, Ae {equivalent['ae'] * 1e6:.0f} mm²"
    )
    catalogue = design.core.effective
    if catalogue is not None:
        line += (
            f" (catalogue le {catalogue.le * 1e3:.1f} mm, Ae {catalogue.ae * 1e6:.0f} mm²;"
            f" ferrite µ scaled by {core.permeability_scale:.3f} to match its Σl/A)"
        )
    return line


def describe_common_mode(result) -> str:
    """Return one line on the converter preset and waveform behind the common-mode rows."""
    cm = getattr(result, "common_mode", None)
    if cm is None:
        return ""
    w = cm.waveform
    swings = ", ".join(f"{name} {value:+.3g}" for name, value in cm.swings.items())
    source = "swings per V_sw" if cm.converter == "custom" else "preset swings per V_sw, terminals.quiet not used"
    return (
        f"common mode: converter {cm.converter} ({source}: {swings}); switching node "
        f"{w.amplitude:g} V, {w.rise_time * 1e9:g} ns edges, {w.frequency / 1e3:g} kHz, duty {w.duty:g}; "
        "CISPR 32 class B mains limits, 25 Ohm LISN (CM)"
    )


#: Key to the orientation column of a search, printed under its table.
ORIENTATION_LEGEND = (
    "orientation, per winding:\n"
    "  order=21  series order of the winding's layers, counted from layer 1: its 2nd layer first, then its 1st\n"
    "  starts=io where the path enters each layer, in series order: i innermost turn (spiral outward),\n"
    "            o outermost turn (spiral inward)\n"
    "  dot=end   the converter's dot on the winding's end terminal (without it: on the start)\n"
    "  A field is left out where it cannot change the turn potentials, such as starts for one-turn layers."
)


def format_search(design, result, top: int = 10) -> str:
    """Render a search: the best ``top`` cases by |C_cm| and every Pareto-optimal case.

    Pareto-optimal cases are marked with ``*``. The orientation legend follows the table.
    """
    from femstack.pipeline import frequency_tag

    frequency = frequency_text(frequency_tag(result.frequency))
    header = ["rank", "pattern", "orientation", "C_cm pF", "C_ps pF", f"L_leak {frequency} nH", "pareto"]
    rows = []
    for rank, case in enumerate(result.cases, start=1):
        if rank > top and not case.pareto:
            continue
        rows.append(
            [
                str(rank),
                case.pattern,
                case.label,
                format_value(case.common_mode * 1e12),
                format_value(case.interwinding * 1e12),
                format_value(case.leakage * 1e9),
                "*" if case.pareto else "",
            ]
        )
    patterns = sorted({case.pattern for case in result.cases})
    title = (
        f"{design.name}: {len(result.cases)} cases over {len(patterns)} patterns, converter {result.converter}; "
        f"ranked by |C_cm|, * = Pareto-optimal in |C_cm| and leakage"
    )
    return title + "\n" + _render(header, rows, text_columns=3) + "\n" + ORIENTATION_LEGEND

