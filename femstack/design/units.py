"""Parse quantities with units, as engineers write them, into SI floats.

A quantity is a number followed by a unit, for example ``"70 um"``, ``"70 µm"``,
``"0.2 mm"``, ``"8 mil"``, ``"2 oz"``, ``"500 kHz"``, ``"4 A"``, ``"5.8e7 S/m"`` or
``"58 MS/m"``. Units are resolved with pint, so any pint unit of the right dimension
is accepted (``"0.1 inch"``, ``"2.5 MHz"``, ``"250 mA"``).

The number must be a plain decimal or scientific literal. Pint alone (checked with
pint 0.25) would also accept expressions such as ``"2 * 3 mm"``, ``"1,2 mm"`` (read as
12 mm) or ``"mm"`` (read as 1 mm), which are almost always typing mistakes, so this
module rejects them.

Two unit names differ from pint's defaults:

* ``mil`` is a thousandth of an inch (25.4 µm), as on PCB drawings. Pint 0.25 defines
  ``mil`` as an angle (the angular mil).
* ``oz`` (also ``oz/ft2``, ``oz/ft^2``, ``oz/ft**2``, ``oz/ft²``) is a copper weight in
  ounces per square foot, converted to a thickness with 1 oz/ft² = 34.79 µm (1.37 mil),
  the figure used by IPC-2221. It is accepted for lengths only.

A bare number such as ``"0.2"`` or ``0.2`` is rejected for a dimensional quantity,
because the unit cannot be guessed. Dimensionless quantities (relative permittivity,
relative permeability, counts) are parsed with `parse_dimensionless` and need no unit.

Every parser raises `femstack.errors.DesignError` naming the field, the value as written
and what would be accepted.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import tokenize
from typing import Any

import pint

from femstack.errors import DesignError

__all__ = [
    "COPPER_OZ_THICKNESS",
    "parse_conductivity",
    "parse_current",
    "parse_dimensionless",
    "parse_frequency",
    "parse_length",
    "parse_positive",
    "parse_quantity",
]

logger = logging.getLogger(__name__)

COPPER_OZ_THICKNESS = 34.79e-6
"""Copper thickness of 1 oz/ft² in m (1.37 mil), the figure used by IPC-2221."""

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_QUANTITY_PATTERN = re.compile(rf"^\s*(?P<number>{_NUMBER})\s*(?P<unit>.*?)\s*$")
_NUMBER_PATTERN = re.compile(rf"^\s*{_NUMBER}\s*$")
# Unit text is unit names joined by '*', '/' or a space, each with an optional integer
# exponent ('m^2', 'm**2'), after the spaces around operators have been removed. Numbers
# and brackets are not allowed, so pint never evaluates an arithmetic expression (such as
# '1/0') from a design file. Each separator is exactly one character, which keeps the
# match time linear in the length of the text.
_UNIT_FACTOR = r"[A-Za-z_]+(?:(?:\^|\*\*)-?\d+)?"
_UNIT_TEXT_PATTERN = re.compile(rf"^{_UNIT_FACTOR}(?:[*/ ]{_UNIT_FACTOR})*$")
_MAX_UNIT_LENGTH = 40
_COPPER_WEIGHT_PATTERN = re.compile(r"^oz(?:\s*/\s*(?:ft2|ft\^2|ft\*\*2|sq\s*ft))?$")

# Characters that engineers type but pint does not parse.
_UNIT_REPLACEMENTS = (
    ("\u00b5", "u"),  # micro sign
    ("\u03bc", "u"),  # Greek small letter mu
    ("\u03a9", "ohm"),  # Greek capital letter omega
    ("\u2126", "ohm"),  # ohm sign
    ("\u00b7", "*"),  # middle dot
    ("\u22c5", "*"),  # dot operator
    ("\u00b2", "^2"),
    ("\u00b3", "^3"),
)
# Whole unit names whose pint meaning differs from the usual meaning in PCB design.
_UNIT_ALIASES = {"mil": "thou", "mils": "thou"}


@functools.lru_cache(maxsize=1)
def _registry() -> pint.UnitRegistry:
    # Creating a registry takes a noticeable fraction of a second, so do it on first use.
    return pint.UnitRegistry()


# For each dimension: the pint dimensionality and the wording of the error message.
_DIMENSIONS: dict[str, tuple[str, str]] = {
    "length": ("[length]", "a length such as '0.2 mm' or '8 mil'"),
    "frequency": ("1 / [time]", "a frequency such as '500 kHz' or '1 MHz'"),
    "current": ("[current]", "a current such as '4 A' or '250 mA'"),
    "voltage": ("[mass] * [length] ** 2 / [time] ** 3 / [current]", "a voltage such as '400 V'"),
    "time": ("[time]", "a time such as '20 ns'"),
    "conductivity": (
        "[current] ** 2 * [time] ** 3 / [mass] / [length] ** 3",
        "a conductivity such as '5.8e7 S/m' or '58 MS/m'",
    ),
}


def _describe(dimension: str) -> str:
    return _DIMENSIONS[dimension][1]


def parse_quantity(text: Any, dimension: str, field: str) -> float:
    """Parse a quantity with a unit and return its value in SI units.

    Parameters
    ----------
    text : Any
        The value as written, normally a string such as ``"0.2 mm"``. Numbers and other
        types are rejected with a message saying what to write instead.
    dimension : str
        One of ``"length"`` (returns m), ``"frequency"`` (Hz), ``"current"`` (A) or
        ``"conductivity"`` (S/m).
    field : str
        Dotted path of the value in the design, used in error messages.

    Returns
    -------
    float
        The value in SI units. The sign is not checked here, see `parse_length` and the
        other wrappers.

    Raises
    ------
    DesignError
        If the text is not a number followed by a unit of the requested dimension.
    ValueError
        If `dimension` is not one of the names above (a programming error).
    """
    if dimension not in _DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; expected one of {sorted(_DIMENSIONS)}")
    expected = "expected " + _describe(dimension)

    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise DesignError(field, text, f"{expected}, written as a string")
    if isinstance(text, (int, float)):
        raise DesignError(
            field,
            text,
            f"{expected}; a bare number has no unit, so add one, for example '{text} {_example_unit(dimension)}'",
            reason="missing unit in",
        )

    match = _QUANTITY_PATTERN.match(text)
    if match is None:
        raise DesignError(field, text, f"{expected}: a number followed by a unit")
    number = float(match.group("number"))
    unit_text = match.group("unit")
    if not unit_text:
        raise DesignError(
            field,
            text,
            f"{expected}; a bare number has no unit, so add one, for example "
            f"'{match.group('number')} {_example_unit(dimension)}'",
            reason="missing unit in",
        )

    factor = _unit_factor(unit_text, dimension, field, text)
    value = number * factor
    if not math.isfinite(value):
        raise DesignError(field, text, f"{expected} with a finite value")
    return value


def _example_unit(dimension: str) -> str:
    # A bare frequency is most likely in Hz, so the example keeps the number and adds Hz.
    return {"length": "mm", "frequency": "Hz", "current": "A", "voltage": "V", "time": "ns", "conductivity": "S/m"}[
        dimension
    ]


def _unit_factor(unit_text: str, dimension: str, field: str, text: str) -> float:
    """Return the factor that converts one `unit_text` to SI, checking its dimension."""
    expected = "expected " + _describe(dimension)
    for old, new in _UNIT_REPLACEMENTS:
        unit_text = unit_text.replace(old, new)
    unit_text = unit_text.strip()

    if _COPPER_WEIGHT_PATTERN.match(unit_text):
        if dimension != "length":
            raise DesignError(field, text, f"{expected}; 'oz' is a copper weight and is accepted for thicknesses only")
        return COPPER_OZ_THICKNESS

    unit_text = _UNIT_ALIASES.get(unit_text, unit_text)
    unit_text = re.sub(r"\s*([*/^])\s*", r"\1", unit_text)
    unit_text = re.sub(r"\s+", " ", unit_text)
    if len(unit_text) > _MAX_UNIT_LENGTH or not _UNIT_TEXT_PATTERN.match(unit_text):
        raise DesignError(field, text, f"{expected}; {unit_text!r} is not a unit name")

    registry = _registry()
    try:
        unit = registry.Quantity(1.0, unit_text)
    except (
        pint.errors.PintError,
        AttributeError,
        AssertionError,
        SyntaxError,
        TypeError,
        ValueError,
        tokenize.TokenError,
    ) as error:
        logger.debug("pint could not parse unit %r of %s: %s", unit_text, field, error)
        raise DesignError(field, text, f"{expected}; the unit {unit_text!r} is unknown") from None

    if unit.dimensionality != registry.get_dimensionality(_DIMENSIONS[dimension][0]):
        raise DesignError(field, text, expected)
    return float(unit.to_base_units().magnitude)


def parse_length(text: Any, field: str, *, allow_zero: bool = False) -> float:
    """Parse a length, such as ``"70 um"``, ``"0.2 mm"``, ``"8 mil"`` or ``"2 oz"``, into m.

    Parameters
    ----------
    text : Any
        The value as written.
    field : str
        Dotted path of the value in the design, used in error messages.
    allow_zero : bool, optional
        Accept zero (for gaps and spacings). Negative lengths are always rejected.

    Returns
    -------
    float
        The length in m.

    Raises
    ------
    DesignError
        If the value is not a length, or is negative, or is zero and `allow_zero` is false.
    """
    value = parse_quantity(text, "length", field)
    _check_sign(value, text, field, "length", allow_zero=allow_zero)
    return value


def parse_frequency(text: Any, field: str) -> float:
    """Parse a positive frequency, such as ``"500 kHz"`` or ``"1 MHz"``, into Hz.

    Raises
    ------
    DesignError
        If the value is not a frequency or is not positive.
    """
    value = parse_quantity(text, "frequency", field)
    _check_sign(value, text, field, "frequency", allow_zero=False)
    return value


def parse_positive(text: Any, field: str, dimension: str) -> float:
    """Parse a positive quantity of `dimension` (``"voltage"``, ``"time"``, ...) into SI units.

    Raises
    ------
    DesignError
        If the value is not of that dimension or is not positive.
    """
    value = parse_quantity(text, dimension, field)
    _check_sign(value, text, field, dimension, allow_zero=False)
    return value


def parse_current(text: Any, field: str) -> float:
    """Parse a current magnitude, such as ``"4 A"``, into A.

    Zero is accepted (a winding without current). Negative values are rejected,
    because the direction of a current is given by its phase.

    Raises
    ------
    DesignError
        If the value is not a current or is negative.
    """
    value = parse_quantity(text, "current", field)
    if value < 0:
        raise DesignError(
            field,
            text,
            "expected a current magnitude >= 0 A; give the direction with a phase, such as 180 degrees",
        )
    return value


def parse_conductivity(text: Any, field: str) -> float:
    """Parse an electrical conductivity, such as ``"5.8e7 S/m"`` or ``"58 MS/m"``, into S/m.

    Zero is accepted (an insulator). Negative values are rejected.

    Raises
    ------
    DesignError
        If the value is not a conductivity or is negative.
    """
    value = parse_quantity(text, "conductivity", field)
    _check_sign(value, text, field, "conductivity", allow_zero=True)
    return value


def parse_dimensionless(text: Any, field: str, *, minimum: float | None = None) -> float:
    """Parse a dimensionless number, such as a relative permittivity, given as a number or numeric string.

    Parameters
    ----------
    text : Any
        The value as written: an int, a float or a string such as ``"4.4"``.
    field : str
        Dotted path of the value in the design, used in error messages.
    minimum : float, optional
        Smallest accepted value (inclusive).

    Returns
    -------
    float
        The value.

    Raises
    ------
    DesignError
        If the value is not a finite number or is below `minimum`.
    """
    bound = "" if minimum is None else f" >= {minimum:g}"
    expected = f"expected a number{bound}, without a unit"
    if isinstance(text, bool):
        raise DesignError(field, text, expected)
    if isinstance(text, (int, float)):
        value = float(text)
    elif isinstance(text, str) and _NUMBER_PATTERN.match(text):
        value = float(text)
    else:
        raise DesignError(field, text, expected)
    if not math.isfinite(value):
        raise DesignError(field, text, expected)
    if minimum is not None and value < minimum:
        raise DesignError(field, text, expected)
    return value


def _check_sign(value: float, text: Any, field: str, dimension: str, *, allow_zero: bool) -> None:
    if value > 0 or (allow_zero and value == 0):
        return
    bound = ">= 0" if allow_zero else "> 0"
    raise DesignError(field, text, f"expected {_describe(dimension)}, {bound}")
