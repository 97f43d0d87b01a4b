'''Load a design from a TOML file or a dict, convert its units to SI and validate it.

`load_design` reads the file, converts every quantity with `femstack.design.units`,
resolves catalogue names with `femstack.catalog`, validates the result as a
`femstack.design.model.Design` and runs the fit check of `femstack.design.fit`. Every
failure raises `femstack.errors.DesignError` naming the field (a dotted path such as
``windings[1].trace_width``), the value as written and what would be accepted. Problems
found in the same pass are reported together in one error.

File format
-----------
Quantities with a dimension are strings of a number and a unit (``"0.2 mm"``,
``"70 um"``, ``"8 mil"``, ``"2 oz"``, ``"500 kHz"``, ``"4 A"``, ``"58 MS/m"``). Bare
numbers are rejected for them. Dimensionless values (relative permittivities, counts,
phases in degrees) are plain numbers. Unknown keys are rejected, so a misspelt key does
not pass silently. List indices in error messages are 0-based.

A complete design, the bundled reference (see `reference_design_path`)::

    name = "E32 planar reference"

    [core]
    e_half = "E32/6/20"          # catalogue name, or a table of dimensions (below)
    plate = "PLT32/20/3.2"       # omit for an E+E set of two E halves
    material = "N87"             # catalogue name, or a table of properties (below)
    air_gap = "0 mm"             # gap ground into the centre leg, default "0 mm"
    residual_gap = "5 um"        # gap between mated halves on every leg, default "5 um"
    electrostatic = "floating"   # "floating", "grounded" or "dielectric", default from
                                 # the material: "floating" for MnZn, "dielectric" for NiZn

    [stackup]                    # layer 1 is nearest the back of the E half
    copper_thickness = ["70 um", "70 um", "70 um", "70 um"]
    dielectric_thickness = ["0.2 mm", "0.71 mm", "0.2 mm"]   # between layers 1-2, 2-3, 3-4
    dielectric_permittivity = [4.4, 4.4, 4.4]                # default: FR4 from the catalogue
    clearance = "0.4 mm"         # required: minimum copper-to-core distance, radial and axial

    [[windings]]                 # the first winding is the switched (primary) winding
    name = "P"
    turns = 8
    turns_per_layer = 4
    trace_width = "1.2 mm"
    spacing = "0.4 mm"           # required when turns_per_layer > 1

    [[windings]]
    name = "S"
    turns = 2
    turns_per_layer = 1
    trace_width = "5 mm"
    spacing = "0 mm"

    [arrangement]
    patterns = ["PPSS", "PSPS", "PSSP"]   # winding symbol of each layer, layer 1 first

    [excitation]
    frequencies = ["100 kHz", "500 kHz", "1 MHz"]
    currents = { P = "1 A", S = "4 A" }   # peak magnitudes per winding name

    [terminals]
    switching = "P.start"
    quiet = ["P.end", "S.start", "S.end"]

Optional keys and tables:

* ``[stackup]``: ``n_layers = 4`` with a single ``copper_thickness = "2 oz"``. A single
  string or number for ``dielectric_thickness`` or ``dielectric_permittivity`` applies
  to every dielectric.
* ``[[windings]]``:

  - ``symbol = "Q"``: one upper-case letter used in patterns. The default is the first
    letter of the name.
  - ``parallel_layers = 2``: groups of this many consecutive layers, in series order,
    are connected in parallel. The default is 1.
  - ``series_order = [2, 1, 3]``: the order in which the winding's own layers are
    connected, as 1-based positions counted bottom to top. The default is bottom to top.
  - ``conductivity = "5.8e7 S/m"``: the default is copper.
  - ``layer_starts = ["outer", "inner"]``: where the series path enters each series
    group of layers, in series order; the default alternates, starting at the outer turn.
  - ``dot = "end"``: the terminal that carries the dot of the converter schematic,
    default ``"start"`` (used by the converter presets of ``[terminals]``).
* ``[terminals]``: ``converter = "flyback"`` picks a terminal-swing preset: ``"custom"``
  (the default), ``"flyback"``, ``"forward"``, ``"half-bridge-llc"``, ``"full-bridge"``,
  ``"dual-active-bridge"`` (see ``femstack.post.converters``). With ``"custom"``,
  ``swings = { "S.end" = -0.25 }`` sets swings in units of the switching-node swing.
  A preset sets the swing of every terminal from ``switching``, the turns ratio and the
  dots, so ``quiet`` is not used then and ``swings`` must be left out. With
  ``"custom"``, every terminal other than ``switching`` and those in ``swings`` is held
  at 0, so ``quiet`` lists the quiet terminals for the reader and is checked for valid
  names, but it changes no result.
* ``[[shields]]``: a copper shield layer, put on a layer by its symbol in a pattern
  (``"PPXSS"``); a pattern letter ``-`` leaves a layer without copper::

      [[shields]]
      name = "shield"
      symbol = "X"            # default "X"
      kind = "full"           # "full" (slit plane) or "comb"
      connection = "P.end"    # a terminal name, "core", "quiet" or "floating" (default)
      width = "8 mm"          # default: window width less the clearance on both sides
* ``[emi]``: the switching-node waveform of the conducted CM noise estimate, every key
  optional: ``amplitude = "400 V"``, ``rise_time = "20 ns"``,
  ``switching_frequency = "200 kHz"``, ``duty = 0.5`` (these are the defaults).
* ``[excitation.phase_deg]``: phase of each winding's current in degrees, such as
  ``S = 180``. The default is 0 for the first winding and 180 for every other winding
  (load current, ampere-turns opposing).
* ``[mesh]``, every key optional:

  - ``element_order``: 1 or 2, default 2;
  - ``copper_size_per_skin_depth``: default 0.5;
  - ``dielectric_layers``: element layers across each dielectric, default 2;
  - ``core_size``: a length, chosen by the mesher by default;
  - ``domain_factor``: default 3.0;
  - ``copper_layers``: element layers across each copper thickness, default 2;
  - ``size_factor``: multiplies every element size, default 1. A value of 0.5 refines
    the whole mesh once;
  - ``adaptive_steps``: adaptive refinement steps after meshing, 0 to 10, default 0.
  - ``solver``: sparse direct solver, ``"superlu"`` (default), ``"umfpack"`` or
    ``"pardiso"``. The last two need optional packages (``pip install femstack[solvers]``)
    and fall back to ``"superlu"`` with a warning when those are missing.

A core given by its dimensions instead of a catalogue name (its data-sheet effective
parameters are then unknown, so ``Design.core.effective`` is None)::

    [core.e_half]
    name = "custom E"            # optional
    overall_length = "31.75 mm"
    window_span = "25.4 mm"      # inner distance between the outer legs
    depth = "20.32 mm"
    height = "6.35 mm"
    centre_leg_width = "6.35 mm"
    leg_height = "3.18 mm"
    source = "my drawing"        # optional

    [core.plate]                 # or plate = "PLT32/20/3.2", or omit for E+E
    length = "31.75 mm"
    depth = "20.32 mm"
    thickness = "3.18 mm"

A material given inline, either complete or as changes to a catalogue material
(``base``)::

    [core.material]
    name = "my MnZn"
    relative_permeability = 2000
    relative_permeability_loss = 10        # optional, default 0
    conductivity = "0.5 S/m"
    relative_permittivity = 1e4
    electrostatic_kind = "conductor"       # or "dielectric"

    [core.material]
    base = "N87"
    relative_permeability_loss = 50
'''

from __future__ import annotations

import copy
import difflib
import logging
import math
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, TypeVar

from femstack import catalog
from femstack.design.fit import check_fit
from femstack.design.model import Design, validate_model
from femstack.design.units import (
    parse_conductivity,
    parse_current,
    parse_dimensionless,
    parse_frequency,
    parse_length,
    parse_positive,
)
from femstack.errors import MISSING, DesignError, DesignProblem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["load_design", "load_design_text", "reference_design_path"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_TOP_KEYS = ("name", "core", "stackup", "windings", "arrangement", "excitation", "terminals", "mesh", "shields", "emi")
_OPTIONAL_TOP_KEYS = ("mesh", "shields", "emi")
_EMI_KEYS = ("amplitude", "rise_time", "switching_frequency", "duty")
_CORE_KEYS = ("e_half", "plate", "material", "air_gap", "residual_gap", "electrostatic")
_E_HALF_KEYS = ("name", "overall_length", "window_span", "depth", "height", "centre_leg_width", "leg_height", "source")
_PLATE_KEYS = ("name", "length", "depth", "thickness", "source")
_MATERIAL_KEYS = (
    "base",
    "name",
    "relative_permeability",
    "relative_permeability_loss",
    "conductivity",
    "relative_permittivity",
    "electrostatic_kind",
    "source",
)
_STACKUP_KEYS = ("n_layers", "copper_thickness", "dielectric_thickness", "dielectric_permittivity", "clearance")
_WINDING_KEYS = (
    "name",
    "symbol",
    "turns",
    "turns_per_layer",
    "trace_width",
    "spacing",
    "parallel_layers",
    "series_order",
    "conductivity",
    "layer_starts",
    "dot",
)
_SHIELD_KEYS = ("name", "symbol", "kind", "connection", "width", "conductivity")
_ARRANGEMENT_KEYS = ("patterns",)
_EXCITATION_KEYS = ("frequencies", "currents", "phase_deg")
_TERMINAL_KEYS = ("switching", "quiet", "converter", "swings")
_MESH_KEYS = (
    "element_order",
    "copper_size_per_skin_depth",
    "dielectric_layers",
    "core_size",
    "domain_factor",
    "copper_layers",
    "size_factor",
    "adaptive_steps",
    "solver",
)
_ELECTROSTATIC_CHOICES = ("floating", "grounded", "dielectric")
# Each adaptive step adds roughly 10-60 % unknowns (Dörfler θ = 0.8), so ten steps
# already reach several times the default mesh.
MAX_ADAPTIVE_STEPS = 10
_ELECTROSTATIC_KINDS = ("conductor", "dielectric")


def reference_design_path() -> Path:
    """Return the path of the bundled reference design, ``femstack/data/reference.toml``."""
    return Path(__file__).resolve().parent.parent / "data" / "reference.toml"


def load_design(source: str | os.PathLike[str] | Mapping[str, Any]) -> Design:
    """Load, convert and validate a design.

    Parameters
    ----------
    source : str, os.PathLike or Mapping
        Path of a TOML design file, or the parsed content of one as a dict (with the
        same layout and unit strings). The dict is not modified.

    Returns
    -------
    Design
        The validated design in SI units.

    Raises
    ------
    DesignError
        If the file is not UTF-8 or not valid TOML, or the design is invalid or does not
        fit into the core window.
    OSError
        If the file cannot be read.
    """
    if isinstance(source, Mapping):
        return _build_design(source, origin="dict")
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DesignError(
            str(path),
            f"byte {error.object[error.start:error.start + 1]!r} at offset {error.start}",
            "a design file must be UTF-8 text",
        ) from None
    return load_design_text(text, origin=str(path))


def load_design_text(text: str, *, origin: str = "design text") -> Design:
    """Load a design from the text of a TOML file.

    Parameters
    ----------
    text : str
        TOML text in the layout described in this module.
    origin : str, optional
        Name of the text's origin (usually a file path), used in messages.

    Raises
    ------
    DesignError
        If the text is not valid TOML, or the design is invalid or does not fit.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DesignError(origin, MISSING, str(error), reason="invalid TOML") from None
    return _build_design(raw, origin=origin)


# ---------------------------------------------------------------------------------------
# Problem collection
# ---------------------------------------------------------------------------------------


class _Problems:
    """Collects the problems of one loading pass, so they can be reported together."""

    def __init__(self) -> None:
        self.items: list[DesignProblem] = []

    def add(self, error: DesignError) -> None:
        self.items.extend(error.problems)

    def call(self, function: Callable[..., T], *args: Any, default: Any = None, **kwargs: Any) -> T | Any:
        """Return function(*args, **kwargs), or record its DesignError and return `default`."""
        try:
            return function(*args, **kwargs)
        except DesignError as error:
            self.add(error)
            return default

    def raise_if_any(self) -> None:
        if self.items:
            raise DesignError.from_problems(self.items)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _table(value: Any, path: str, problems: _Problems) -> Mapping[str, Any] | None:
    """Return `value` if it is a table, else record a problem and return None."""
    if isinstance(value, Mapping):
        return value
    problems.add(DesignError(path, value, f"expected a table [{path}]"))
    return None


def _check_keys(
    table: Mapping[str, Any],
    path: str,
    allowed: Iterable[str],
    required: Iterable[str],
    problems: _Problems,
) -> None:
    """Record a problem for every unknown key and every missing required key of a table."""
    allowed = tuple(allowed)
    if not path:
        where = "the design"
    elif "[" in path:
        where = path
    else:
        where = f"[{path}]"
    for key in table:
        if key in allowed:
            continue
        matches = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{matches[0]}'? " if matches else ""
        problems.add(
            DesignError(
                _join(path, key),
                key,
                f"{hint}valid keys in {where} are {', '.join(sorted(allowed))}",
                reason="unknown key",
            )
        )
    for key in required:
        if key not in table:
            problems.add(DesignError(_join(path, key), MISSING, f"{where} needs '{key}'", reason="missing value"))


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _parse_count(value: Any, path: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DesignError(path, value, f"expected a whole number >= {minimum}, without quotes")
    if value < minimum:
        raise DesignError(path, value, f"expected a whole number >= {minimum}")
    return value


def _parse_text(value: Any, path: str, *, description: str = "a non-empty string") -> str:
    if not isinstance(value, str) or not value.strip():
        raise DesignError(path, value, f"expected {description}")
    return value


def _parse_choice(value: Any, path: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise DesignError(path, value, f"expected one of {', '.join(repr(choice) for choice in choices)}")
    return value


# ---------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------


def _build_design(raw: Mapping[str, Any], *, origin: str) -> Design:
    problems = _Problems()
    _check_keys(raw, "", _TOP_KEYS, [key for key in _TOP_KEYS if key not in _OPTIONAL_TOP_KEYS], problems)

    data: dict[str, Any] = {}
    if "name" in raw:
        data["name"] = problems.call(_parse_text, raw["name"], "name")
    sections: dict[str, Callable[[Any, str, _Problems], Any]] = {
        "core": _parse_core,
        "stackup": _parse_stackup,
        "windings": _parse_windings,
        "arrangement": _parse_arrangement,
        "terminals": _parse_terminals,
        "mesh": _parse_mesh,
        "shields": _parse_shields,
        "emi": _parse_emi,
    }
    for key, parse in sections.items():
        if key in raw:
            data[key] = parse(raw[key], key, problems)
    if "excitation" in raw:
        winding_names = _raw_winding_names(raw.get("windings"))
        data["excitation"] = _parse_excitation(raw["excitation"], "excitation", problems, winding_names)
    problems.raise_if_any()

    try:
        design = validate_model(Design, data)
        check_fit(design)
    except DesignError as error:
        raise _with_raw_values(error, raw) from None
    _warn_if_plate_mismatched(design)
    logger.info("loaded design %r from %s", design.name, origin)
    return design


def _warn_if_plate_mismatched(design: Design) -> None:
    """Log a warning when the plate's length or depth differs from the E half's by more than 2 %."""
    plate = design.core.plate
    half = design.core.e_half
    if plate is None:
        return
    pairs = (("length", plate.length, "overall_length", half.overall_length), ("depth", plate.depth, "depth", half.depth))
    for plate_name, plate_value, half_name, half_value in pairs:
        if abs(plate_value - half_value) > 0.02 * half_value:
            logger.warning(
                "plate %s has %s %.4g mm but E half %s has %s %.4g mm; the core set may not close",
                plate.name,
                plate_name,
                plate_value * 1e3,
                half.name,
                half_name,
                half_value * 1e3,
            )


def _parse_core(value: Any, path: str, problems: _Problems) -> dict[str, Any] | None:
    table = _table(value, path, problems)
    if table is None:
        return None
    _check_keys(table, path, _CORE_KEYS, ("e_half", "material"), problems)
    core: dict[str, Any] = {}

    e_half_raw = table.get("e_half")
    plate_raw = table.get("plate")
    if isinstance(e_half_raw, str):
        core["e_half"] = problems.call(catalog.get_e_half, e_half_raw, field="core.e_half")
    elif isinstance(e_half_raw, Mapping):
        core["e_half"] = _parse_dimensions(e_half_raw, "core.e_half", _E_HALF_KEYS, "custom E half", problems)
    elif e_half_raw is not None:
        problems.add(
            DesignError("core.e_half", e_half_raw, "expected a catalogue name such as 'E32/6/20' or a [core.e_half] table")
        )
    if isinstance(plate_raw, str):
        core["plate"] = problems.call(catalog.get_plate, plate_raw, field="core.plate")
    elif isinstance(plate_raw, Mapping):
        core["plate"] = _parse_dimensions(plate_raw, "core.plate", _PLATE_KEYS, "custom plate", problems)
    elif plate_raw is not None:
        problems.add(
            DesignError(
                "core.plate",
                plate_raw,
                "expected a catalogue name such as 'PLT32/20/3.2' or a [core.plate] table, or no plate for E+E",
            )
        )

    catalogue_parts = isinstance(e_half_raw, str) and (plate_raw is None or isinstance(plate_raw, str))
    if catalogue_parts and core.get("e_half") is not None and (plate_raw is None or core.get("plate") is not None):
        core["effective"] = catalog.get_effective_parameters(e_half_raw, plate_raw)

    if "material" in table:
        core["material"] = _parse_material(table["material"], "core.material", problems)
    if "air_gap" in table:
        core["air_gap"] = problems.call(parse_length, table["air_gap"], "core.air_gap", allow_zero=True)
    if "residual_gap" in table:
        core["residual_gap"] = problems.call(parse_length, table["residual_gap"], "core.residual_gap", allow_zero=True)
    if "electrostatic" in table:
        core["electrostatic"] = problems.call(
            _parse_choice, table["electrostatic"], "core.electrostatic", _ELECTROSTATIC_CHOICES
        )
    return core


def _parse_dimensions(
    value: Any, path: str, keys: tuple[str, ...], default_name: str, problems: _Problems
) -> dict[str, Any] | None:
    """Parse a table of explicit core-part dimensions, plus the optional text keys 'name' and 'source'."""
    table = _table(value, path, problems)
    if table is None:
        return None
    dimension_keys = [key for key in keys if key not in ("name", "source")]
    _check_keys(table, path, keys, dimension_keys, problems)
    part: dict[str, Any] = {
        "name": problems.call(_parse_text, table.get("name", default_name), _join(path, "name")),
        "source": problems.call(_parse_text, table.get("source", "explicit dimensions"), _join(path, "source")),
    }
    for key in dimension_keys:
        if key in table:
            part[key] = problems.call(parse_length, table[key], _join(path, key))
    return part


def _parse_material(value: Any, path: str, problems: _Problems) -> Any:
    if isinstance(value, str):
        return problems.call(catalog.get_material, value, field=path)
    if not isinstance(value, Mapping):
        problems.add(DesignError(path, value, f"expected a catalogue name such as 'N87' or a [{path}] table"))
        return None
    table = value

    if "base" in table:
        _check_keys(table, path, _MATERIAL_KEYS, (), problems)
        base = problems.call(catalog.get_material, table["base"], field=_join(path, "base"))
        if base is None:
            return None
        material = base.model_dump()
        changed = [key for key in table if key != "base"]
        if changed:
            material["source"] = f"{base.source} Changed in the design: {', '.join(changed)}."
    else:
        required = ("name", "relative_permeability", "conductivity", "relative_permittivity", "electrostatic_kind")
        _check_keys(table, path, [key for key in _MATERIAL_KEYS if key != "base"], required, problems)
        material = {"source": "given in the design"}

    if "name" in table:
        material["name"] = problems.call(_parse_text, table["name"], _join(path, "name"))
    if "source" in table:
        material["source"] = problems.call(_parse_text, table["source"], _join(path, "source"))
    if "relative_permeability" in table:
        material["relative_permeability"] = problems.call(
            parse_dimensionless, table["relative_permeability"], _join(path, "relative_permeability"), minimum=1
        )
    if "relative_permeability_loss" in table:
        material["relative_permeability_loss"] = problems.call(
            parse_dimensionless, table["relative_permeability_loss"], _join(path, "relative_permeability_loss"), minimum=0
        )
    if "relative_permittivity" in table:
        material["relative_permittivity"] = problems.call(
            parse_dimensionless, table["relative_permittivity"], _join(path, "relative_permittivity"), minimum=1
        )
    if "conductivity" in table:
        material["conductivity"] = problems.call(parse_conductivity, table["conductivity"], _join(path, "conductivity"))
    if "electrostatic_kind" in table:
        material["electrostatic_kind"] = problems.call(
            _parse_choice, table["electrostatic_kind"], _join(path, "electrostatic_kind"), _ELECTROSTATIC_KINDS
        )
    # Values given in the design replace any estimate of the base material.
    estimated = [name for name in material.get("estimated_fields", ()) if name not in table]
    material["estimated_fields"] = tuple(estimated)
    return material


def _parse_stackup(value: Any, path: str, problems: _Problems) -> dict[str, Any] | None:
    table = _table(value, path, problems)
    if table is None:
        return None
    _check_keys(table, path, _STACKUP_KEYS, ("copper_thickness", "clearance"), problems)
    stackup: dict[str, Any] = {}

    n_layers = None
    if "n_layers" in table:
        n_layers = problems.call(_parse_count, table["n_layers"], _join(path, "n_layers"))
    copper_raw = table.get("copper_thickness")
    if isinstance(copper_raw, (list, tuple)):
        if n_layers is not None and n_layers != len(copper_raw):
            problems.add(
                DesignError(
                    _join(path, "n_layers"),
                    n_layers,
                    f"expected {len(copper_raw)}, the number of entries of copper_thickness",
                )
            )
        n_layers = len(copper_raw)
    elif copper_raw is not None and n_layers is None:
        problems.add(
            DesignError(
                _join(path, "copper_thickness"),
                copper_raw,
                "expected a list with one thickness per layer, or a single thickness together with n_layers",
            )
        )
    if copper_raw is None or n_layers is None:
        return stackup
    if n_layers < 1:
        problems.add(DesignError(_join(path, "copper_thickness"), copper_raw, "expected at least one layer"))
        return stackup

    stackup["copper_thickness"] = _parse_per_layer(
        copper_raw, n_layers, _join(path, "copper_thickness"), "copper layer", parse_length, problems
    )
    n_dielectrics = n_layers - 1
    if "dielectric_thickness" in table:
        stackup["dielectric_thickness"] = _parse_per_layer(
            table["dielectric_thickness"],
            n_dielectrics,
            _join(path, "dielectric_thickness"),
            "dielectric between adjacent copper layers",
            parse_length,
            problems,
        )
    elif n_dielectrics == 0:
        stackup["dielectric_thickness"] = ()
    else:
        problems.add(
            DesignError(
                _join(path, "dielectric_thickness"),
                MISSING,
                f"expected {n_dielectrics} thicknesses, one between each pair of the {n_layers} copper layers",
                reason="missing value",
            )
        )

    if "dielectric_permittivity" in table:
        stackup["dielectric_permittivity"] = _parse_per_layer(
            table["dielectric_permittivity"],
            n_dielectrics,
            _join(path, "dielectric_permittivity"),
            "dielectric between adjacent copper layers",
            lambda item, field: parse_dimensionless(item, field, minimum=1),
            problems,
        )
    else:
        fr4 = catalog.get_material("FR4").relative_permittivity
        logger.debug("stackup.dielectric_permittivity not given, so FR4 (%g) applies to every dielectric", fr4)
        stackup["dielectric_permittivity"] = (fr4,) * n_dielectrics
    if "clearance" in table:
        stackup["clearance"] = problems.call(parse_length, table["clearance"], _join(path, "clearance"), allow_zero=True)
    return stackup


def _parse_per_layer(
    value: Any,
    count: int,
    path: str,
    description: str,
    parse: Callable[[Any, str], float],
    problems: _Problems,
) -> tuple[float, ...] | None:
    """Parse a list with `count` entries, or a single value that applies to all of them."""
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            problems.add(
                DesignError(path, list(value), f"expected {count} entries, one per {description}, but it has {len(value)}")
            )
            return None
        return tuple(problems.call(parse, item, _join(path, index)) for index, item in enumerate(value))
    single = problems.call(parse, value, path)
    return (single,) * count


def _raw_winding_names(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)):
        return []
    return [entry["name"] for entry in value if isinstance(entry, Mapping) and isinstance(entry.get("name"), str)]


def _parse_windings(value: Any, path: str, problems: _Problems) -> list[dict[str, Any]] | None:
    if not isinstance(value, (list, tuple)) or not value:
        problems.add(DesignError(path, value, "expected one or more [[windings]] tables"))
        return None
    return [_parse_winding(entry, _join(path, index), problems) for index, entry in enumerate(value)]


def _parse_winding(value: Any, path: str, problems: _Problems) -> dict[str, Any] | None:
    table = _table(value, path, problems)
    if table is None:
        return None
    _check_keys(table, path, _WINDING_KEYS, ("name", "turns", "turns_per_layer", "trace_width"), problems)
    turns_per_layer = table.get("turns_per_layer")
    several_turns = isinstance(turns_per_layer, int) and not isinstance(turns_per_layer, bool) and turns_per_layer > 1
    if several_turns and "spacing" not in table:
        problems.add(
            DesignError(
                _join(path, "spacing"),
                MISSING,
                f"a winding with turns_per_layer = {turns_per_layer} needs the spacing between its turns, "
                "such as '0.3 mm'",
                reason="missing value",
            )
        )

    winding: dict[str, Any] = {}
    for key in ("name", "symbol"):
        if key in table:
            winding[key] = problems.call(_parse_text, table[key], _join(path, key))
    for key in ("turns", "turns_per_layer", "parallel_layers"):
        if key in table:
            winding[key] = problems.call(_parse_count, table[key], _join(path, key))
    if "trace_width" in table:
        winding["trace_width"] = problems.call(parse_length, table["trace_width"], _join(path, "trace_width"))
    if "spacing" in table:
        winding["spacing"] = problems.call(parse_length, table["spacing"], _join(path, "spacing"), allow_zero=True)
    if "conductivity" in table:
        winding["conductivity"] = problems.call(parse_conductivity, table["conductivity"], _join(path, "conductivity"))
    if "series_order" in table:
        order = table["series_order"]
        field = _join(path, "series_order")
        if isinstance(order, (list, tuple)):
            winding["series_order"] = tuple(
                problems.call(_parse_count, item, _join(field, index)) for index, item in enumerate(order)
            )
        else:
            problems.add(DesignError(field, order, "expected a list of 1-based layer positions, such as [2, 1]"))
    if "layer_starts" in table:
        starts = table["layer_starts"]
        field = _join(path, "layer_starts")
        if isinstance(starts, (list, tuple)):
            winding["layer_starts"] = tuple(
                problems.call(_parse_choice, item, _join(field, index), ("outer", "inner"))
                for index, item in enumerate(starts)
            )
        else:
            problems.add(DesignError(field, starts, "expected a list of 'outer' or 'inner', one per series group, such as ['inner', 'outer']"))
    if "dot" in table:
        winding["dot"] = problems.call(_parse_choice, table["dot"], _join(path, "dot"), ("start", "end"))
    return winding


def _parse_emi(value: Any, path: str, problems: _Problems) -> dict[str, Any] | None:
    table = _table(value, path, problems)
    if table is None:
        return None
    _check_keys(table, path, _EMI_KEYS, (), problems)
    emi: dict[str, Any] = {}
    if "amplitude" in table:
        emi["amplitude"] = problems.call(parse_positive, table["amplitude"], _join(path, "amplitude"), "voltage")
    if "rise_time" in table:
        emi["rise_time"] = problems.call(parse_positive, table["rise_time"], _join(path, "rise_time"), "time")
    if "switching_frequency" in table:
        emi["switching_frequency"] = problems.call(
            parse_frequency, table["switching_frequency"], _join(path, "switching_frequency")
        )
    if "duty" in table:
        emi["duty"] = problems.call(parse_dimensionless, table["duty"], _join(path, "duty"))
    return emi


def _parse_shields(value: Any, path: str, problems: _Problems) -> list[dict[str, Any]] | None:
    if not isinstance(value, (list, tuple)):
        problems.add(DesignError(path, value, "expected [[shields]] tables"))
        return None
    shields = []
    for index, entry in enumerate(value):
        field = _join(path, index)
        table = _table(entry, field, problems)
        if table is None:
            continue
        _check_keys(table, field, _SHIELD_KEYS, ("name",), problems)
        shield: dict[str, Any] = {}
        for key in ("name", "symbol", "connection"):
            if key in table:
                shield[key] = problems.call(_parse_text, table[key], _join(field, key))
        if "kind" in table:
            shield["kind"] = problems.call(_parse_choice, table["kind"], _join(field, "kind"), ("full", "comb"))
        if "width" in table:
            shield["width"] = problems.call(parse_length, table["width"], _join(field, "width"))
        if "conductivity" in table:
            shield["conductivity"] = problems.call(parse_conductivity, table["conductivity"], _join(field, "conductivity"))
        shields.append(shield)
    return shields


def _parse_arrangement(value: Any, path: str, problems: _Problems) -> dict[str, Any] | None:
    table = _table(value, path, problems)
    if table is None:
        return None
    _check_keys(table, path, _ARRANGEMENT_KEYS, _ARRANGEMENT_KEYS, problems)
    if "patterns" not in table:
        return {}
    field = _join(path, "patterns")
    patterns = _as_list(table["patterns"])
    if not patterns:
        problems.add(DesignError(field, table["patterns"], "expected at least one pattern, such as 'PSSP'"))
        return {}
    parsed = []
    for index, pattern in enumerate(patterns):
        item_field = _join(field, index) if isinstance(table["patterns"], (list, tuple)) else field
        parsed.append(
            problems.call(_parse_text, pattern, item_field, description="a string of winding symbols such as 'PSSP'")
        )
    return {"patterns": tuple(parsed)}


def _parse_excitation(
    value: Any, path: str, problems: _Problems, winding_names: list[str]
) -> dict[str, Any] | None:
    table = _table(value, path, problems)
    if table is None:
        return None
    _check_keys(table, path, _EXCITATION_KEYS, ("frequencies", "currents"), problems)
    excitation: dict[str, Any] = {}

    if "frequencies" in table:
        field = _join(path, "frequencies")
        raw = table["frequencies"]
        items = _as_list(raw)
        if not items:
            problems.add(DesignError(field, raw, "expected at least one frequency, such as '500 kHz'"))
        excitation["frequencies"] = tuple(
            problems.call(parse_frequency, item, _join(field, index) if isinstance(raw, (list, tuple)) else field)
            for index, item in enumerate(items)
        )

    phases = _parse_phases(table.get("phase_deg"), _join(path, "phase_deg"), problems, winding_names)
    if "currents" in table:
        field = _join(path, "currents")
        currents_raw = _table(table["currents"], field, problems)
        if currents_raw is not None:
            currents = {}
            for position, (name, magnitude_raw) in enumerate(currents_raw.items()):
                magnitude = problems.call(parse_current, magnitude_raw, _join(field, name))
                if magnitude is None:
                    continue
                default_phase = 0.0 if winding_names[:1] == [name] else 180.0
                currents[name] = _phasor(magnitude, phases.get(name, default_phase))
            excitation["currents"] = currents
    return excitation


def _parse_phases(value: Any, path: str, problems: _Problems, winding_names: list[str]) -> dict[str, float]:
    if value is None:
        return {}
    table = _table(value, path, problems)
    if table is None:
        return {}
    phases = {}
    for name, phase in table.items():
        field = _join(path, name)
        if winding_names and name not in winding_names:
            problems.add(
                DesignError(field, name, f"expected a winding name: {', '.join(winding_names)}", reason="unknown winding")
            )
            continue
        parsed = problems.call(parse_dimensionless, phase, field)
        if parsed is not None:
            phases[name] = parsed
    return phases


def _phasor(magnitude: float, phase_deg: float) -> complex:
    """Return magnitude * exp(j * phase), exact for multiples of 90 degrees."""
    quarter_turns = phase_deg / 90.0
    if quarter_turns == round(quarter_turns):
        unit = (1 + 0j, 1j, -1 + 0j, -1j)[int(round(quarter_turns)) % 4]
        return magnitude * unit
    radians = math.radians(phase_deg)
    return complex(magnitude * math.cos(radians), magnitude * math.sin(radians))


def _parse_terminals(value: Any, path: str, problems: _Problems) -> dict[str, Any] | None:
    table = _table(value, path, problems)
    if table is None:
        return None
    _check_keys(table, path, _TERMINAL_KEYS, ("switching",), problems)
    terminals: dict[str, Any] = {}
    if "switching" in table:
        terminals["switching"] = problems.call(
            _parse_text, table["switching"], _join(path, "switching"), description="a terminal name such as 'P.start'"
        )
    if "quiet" in table:
        field = _join(path, "quiet")
        quiet = table["quiet"]
        if isinstance(quiet, (list, tuple)):
            terminals["quiet"] = tuple(
                problems.call(_parse_text, item, _join(field, index), description="a terminal name such as 'S.end'")
                for index, item in enumerate(quiet)
            )
        else:
            problems.add(DesignError(field, quiet, "expected a list of terminal names, such as ['P.end', 'S.start']"))
    if "converter" in table:
        terminals["converter"] = problems.call(
            _parse_text, table["converter"], _join(path, "converter"), description="a converter preset name such as 'flyback'"
        )
    if "swings" in table:
        field = _join(path, "swings")
        swings = _table(table["swings"], field, problems)
        if swings is not None:
            terminals["swings"] = {
                name: problems.call(parse_dimensionless, item, _join(field, name)) for name, item in swings.items()
            }
    return terminals


def _parse_mesh(value: Any, path: str, problems: _Problems) -> dict[str, Any] | None:
    table = _table(value, path, problems)
    if table is None:
        return None
    _check_keys(table, path, _MESH_KEYS, (), problems)
    mesh: dict[str, Any] = {}
    if "element_order" in table:
        order = table["element_order"]
        if order in (1, 2) and not isinstance(order, bool) and isinstance(order, int):
            mesh["element_order"] = order
        else:
            problems.add(DesignError(_join(path, "element_order"), order, "expected 1 or 2"))
    if "copper_size_per_skin_depth" in table:
        mesh["copper_size_per_skin_depth"] = _parse_number_above(table, "copper_size_per_skin_depth", 0, path, problems)
    if "dielectric_layers" in table:
        mesh["dielectric_layers"] = problems.call(
            _parse_count, table["dielectric_layers"], _join(path, "dielectric_layers")
        )
    if "core_size" in table:
        mesh["core_size"] = problems.call(parse_length, table["core_size"], _join(path, "core_size"))
    if "domain_factor" in table:
        mesh["domain_factor"] = _parse_number_above(table, "domain_factor", 1, path, problems)
    if "copper_layers" in table:
        mesh["copper_layers"] = problems.call(_parse_count, table["copper_layers"], _join(path, "copper_layers"))
    if "size_factor" in table:
        mesh["size_factor"] = _parse_number_above(table, "size_factor", 0, path, problems)
    if "adaptive_steps" in table:
        steps = problems.call(_parse_count, table["adaptive_steps"], _join(path, "adaptive_steps"), minimum=0)
        if steps is not None and steps > MAX_ADAPTIVE_STEPS:
            problems.add(DesignError(_join(path, "adaptive_steps"), steps,
                                     f"expected a whole number from 0 to {MAX_ADAPTIVE_STEPS}"))
        elif steps is not None:
            mesh["adaptive_steps"] = steps
    if "solver" in table:
        from femstack.solvers.linear import SOLVERS

        solver = table["solver"]
        if isinstance(solver, str) and solver in SOLVERS:
            mesh["solver"] = solver
        else:
            problems.add(DesignError(_join(path, "solver"), solver, f"expected one of {', '.join(SOLVERS)}"))
    return mesh


def _parse_number_above(table: dict, key: str, minimum: float, path: str, problems: _Problems) -> float | None:
    """Parse the dimensionless ``table[key]``, which must exceed ``minimum``."""
    field = _join(path, key)
    number = problems.call(parse_dimensionless, table[key], field)
    if number is not None and number <= minimum:
        problems.add(DesignError(field, table[key], f"expected a number > {minimum:g}"))
    return number


# ---------------------------------------------------------------------------------------
# Messages with the values as written
# ---------------------------------------------------------------------------------------

_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_KEY_REASONS = {"unknown key", "unknown winding"}


def _raw_value(raw: Mapping[str, Any], path: str) -> Any:
    """Return the value at a dotted path in the raw design, or MISSING if there is none."""
    node: Any = raw
    for name, index in _PATH_TOKEN.findall(path):
        if index:
            if not isinstance(node, (list, tuple)) or int(index) >= len(node):
                return MISSING
            node = node[int(index)]
        else:
            if not isinstance(node, Mapping) or name not in node:
                return MISSING
            node = node[name]
    if isinstance(node, Mapping):
        return MISSING
    return copy.deepcopy(node)


def _with_raw_values(error: DesignError, raw: Mapping[str, Any]) -> DesignError:
    """Replace the SI values of a model-level DesignError by the values as written."""
    problems = []
    for problem in error.problems:
        value = problem.value
        # For an unknown name the offending value is the key itself, not its content.
        if value is not MISSING and problem.reason not in _KEY_REASONS:
            written = _raw_value(raw, problem.field)
            if written is not MISSING:
                value = written
        problems.append(DesignProblem(problem.field, value, problem.allowed, problem.reason))
    return DesignError.from_problems(problems)
