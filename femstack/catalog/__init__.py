"""Catalogue of planar E cores, plates and materials shipped with femstack.

The data lives in ``cores.toml`` (dimensions in mm) and ``materials.toml`` (SI units)
beside this module. Each entry names its source. The lookup functions return the SI
models of `femstack.design.model`.

Names are matched exactly first, then ignoring spaces and case and through each entry's
aliases, so ``"E 32/6/20"`` and ``"elp32/6/20"`` find ``"E32/6/20"``. An unknown name
raises `femstack.errors.DesignError` listing close matches and all available names.
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from femstack.errors import DesignError

if TYPE_CHECKING:
    from femstack.design.model import EffectiveParameters, EHalf, Material, Plate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "get_core_part",
    "get_e_half",
    "get_effective_parameters",
    "get_material",
    "get_mating_plate",
    "get_plate",
    "list_core_parts",
    "list_materials",
]

logger = logging.getLogger(__name__)

_CATALOG_DIR = Path(__file__).resolve().parent
_MM = 1e-3

_E_HALF_DIMENSIONS = ("overall_length", "window_span", "depth", "height", "centre_leg_width", "leg_height")
_PLATE_DIMENSIONS = ("length", "depth", "thickness")
_PART_KEYS = {
    "E": {"type", "nominal", "aliases", "mating_plate", "effective", "source", *_E_HALF_DIMENSIONS},
    "PLT": {"type", "nominal", "aliases", "source", *_PLATE_DIMENSIONS},
}
_MATERIAL_KEYS = {
    "aliases",
    "relative_permeability",
    "relative_permeability_loss",
    "conductivity",
    "relative_permittivity",
    "electrostatic_kind",
    "estimated_fields",
    "source",
}


@dataclass(frozen=True)
class _CoreCatalog:
    parts: dict[str, Any]  # canonical name -> EHalf or Plate
    mating_plates: dict[str, str]  # E-half name -> plate name
    effective: dict[tuple[str, str], Any]  # (E-half name, combination) -> EffectiveParameters
    index: dict[str, str]  # normalized name or alias -> canonical name


@dataclass(frozen=True)
class _MaterialCatalog:
    materials: dict[str, Any]  # canonical name -> Material
    index: dict[str, str]


def _normalize(name: str) -> str:
    return re.sub(r"\s+", "", name).upper()


def _read_toml(filename: str) -> dict[str, Any]:
    path = _CATALOG_DIR / filename
    with path.open("rb") as stream:
        return tomllib.load(stream)


def _check_keys(entry: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; allowed keys are {sorted(allowed)}")


@functools.lru_cache(maxsize=1)
def _core_catalog() -> _CoreCatalog:
    from femstack.design.model import EffectiveParameters, EHalf, Plate

    data = _read_toml("cores.toml")
    parts: dict[str, Any] = {}
    mating_plates: dict[str, str] = {}
    effective: dict[tuple[str, str], Any] = {}
    index: dict[str, str] = {}

    for name, entry in data["parts"].items():
        where = f"cores.toml parts.{name!r}"
        kind = entry.get("type")
        if kind not in _PART_KEYS:
            raise ValueError(f"{where}: type must be 'E' or 'PLT', not {kind!r}")
        _check_keys(entry, _PART_KEYS[kind], where)
        source = entry.get("source", "")
        if kind == "E":
            parts[name] = EHalf(name=name, source=source, **{key: entry[key] * _MM for key in _E_HALF_DIMENSIONS})
            if "mating_plate" in entry:
                mating_plates[name] = entry["mating_plate"]
            for combination, values in entry.get("effective", {}).items():
                if combination not in ("E+E", "E+PLT"):
                    raise ValueError(f"{where}: effective parameters for unknown combination {combination!r}")
                effective[(name, combination)] = EffectiveParameters(
                    le=values["le"] * _MM, ae=values["ae"] * _MM**2, ve=values["ve"] * _MM**3
                )
        else:
            parts[name] = Plate(name=name, source=source, **{key: entry[key] * _MM for key in _PLATE_DIMENSIONS})
        for alias in (name, *entry.get("aliases", ())):
            index[_normalize(alias)] = name

    for e_name, plate_name in mating_plates.items():
        if plate_name not in parts:
            raise ValueError(f"cores.toml parts.{e_name!r}: mating_plate {plate_name!r} is not in the catalogue")
    logger.debug("loaded %d core parts from the catalogue", len(parts))
    return _CoreCatalog(parts, mating_plates, effective, index)


@functools.lru_cache(maxsize=1)
def _material_catalog() -> _MaterialCatalog:
    from femstack.design.model import Material

    data = _read_toml("materials.toml")
    materials: dict[str, Any] = {}
    index: dict[str, str] = {}
    for name, entry in data["materials"].items():
        _check_keys(entry, _MATERIAL_KEYS, f"materials.toml materials.{name!r}")
        values = {key: value for key, value in entry.items() if key != "aliases"}
        if "estimated_fields" in values:
            values["estimated_fields"] = tuple(values["estimated_fields"])
        materials[name] = Material(name=name, **values)
        for alias in (name, *entry.get("aliases", ())):
            index[_normalize(alias)] = name
    logger.debug("loaded %d materials from the catalogue", len(materials))
    return _MaterialCatalog(materials, index)


def _resolve(name: Any, index: dict[str, str], names: list[str], field: str, category: str) -> str:
    """Return the canonical catalogue name for `name`, or raise DesignError with suggestions."""
    if isinstance(name, str):
        if name in names:
            return name
        canonical = index.get(_normalize(name))
        if canonical is not None:
            return canonical
        matches = difflib.get_close_matches(_normalize(name), list(index), n=3, cutoff=0.6)
        suggestions = list(dict.fromkeys(index[match] for match in matches))
    else:
        suggestions = []
    available = ", ".join(names)
    if suggestions:
        allowed = f"did you mean {', '.join(suggestions)}? Available {category}: {available}"
    else:
        allowed = f"available {category}: {available}"
    raise DesignError(field, name, allowed, reason=f"unknown {category.rstrip('s')}")


def list_core_parts(kind: Literal["E", "PLT"] | None = None) -> list[str]:
    """Return the names of the catalogue's core parts, E halves and plates, in file order.

    Parameters
    ----------
    kind : {"E", "PLT"}, optional
        Return only E halves or only plates.
    """
    from femstack.design.model import EHalf, Plate

    accepted_types = {None: (EHalf, Plate), "E": (EHalf,), "PLT": (Plate,)}[kind]
    return [name for name, part in _core_catalog().parts.items() if isinstance(part, accepted_types)]


def list_materials() -> list[str]:
    """Return the names of the catalogue's materials, in file order."""
    return list(_material_catalog().materials)


def get_core_part(name: str, *, field: str = "core part") -> "EHalf | Plate":
    """Return the E half (`EHalf`) or plate (`Plate`) called `name`, dimensions in m.

    Parameters
    ----------
    name : str
        Part name such as ``"E32/6/20"`` or ``"PLT32/20/3.2"``.
    field : str, optional
        Dotted path of the name in the design, used in error messages.

    Raises
    ------
    DesignError
        If the catalogue has no part of that name. The message lists close matches and
        all available names.
    """
    catalog = _core_catalog()
    canonical = _resolve(name, catalog.index, list(catalog.parts), field, "core parts")
    return catalog.parts[canonical]


def get_e_half(name: str, *, field: str = "core.e_half") -> "EHalf":
    """Return the E half called `name` as an `EHalf`, dimensions in m.

    Raises
    ------
    DesignError
        If the catalogue has no part of that name, or the part is a plate.
    """
    from femstack.design.model import EHalf

    part = get_core_part(name, field=field)
    if not isinstance(part, EHalf):
        halves = ", ".join(list_core_parts("E"))
        raise DesignError(field, name, f"this part is a plate; expected an E half: {halves}")
    return part


def get_plate(name: str, *, field: str = "core.plate") -> "Plate":
    """Return the plate called `name` as a `Plate`, dimensions in m.

    Raises
    ------
    DesignError
        If the catalogue has no part of that name, or the part is an E half.
    """
    from femstack.design.model import Plate

    part = get_core_part(name, field=field)
    if not isinstance(part, Plate):
        plates = ", ".join(list_core_parts("PLT"))
        raise DesignError(field, name, f"this part is an E half; expected a plate: {plates}")
    return part


def get_mating_plate(e_half_name: str) -> str | None:
    """Return the name of the plate that the data sheet pairs with an E half, or None."""
    catalog = _core_catalog()
    canonical = _resolve(e_half_name, catalog.index, list(catalog.parts), "core.e_half", "core parts")
    return catalog.mating_plates.get(canonical)


def get_effective_parameters(e_half_name: str, plate_name: str | None = None) -> "EffectiveParameters | None":
    """Return the data-sheet effective parameters of a core set, or None if the catalogue has none.

    Parameters
    ----------
    e_half_name : str
        Catalogue name of the E half.
    plate_name : str, optional
        Catalogue name of the plate of an E+PLT set, or None for an E+E set.

    Returns
    -------
    EffectiveParameters or None
        le in m, ae in m², ve in m³. None if the catalogue lists no values for this
        combination, including an E half paired with a plate other than its mating plate.

    Raises
    ------
    DesignError
        If a name is not in the catalogue.
    """
    catalog = _core_catalog()
    e_name = _resolve(e_half_name, catalog.index, list(catalog.parts), "core.e_half", "core parts")
    if plate_name is None:
        return catalog.effective.get((e_name, "E+E"))
    plate = _resolve(plate_name, catalog.index, list(catalog.parts), "core.plate", "core parts")
    if catalog.mating_plates.get(e_name) != plate:
        return None
    return catalog.effective.get((e_name, "E+PLT"))


def get_material(name: str, *, field: str = "material") -> "Material":
    """Return the catalogue material called `name` as a `Material`.

    Parameters
    ----------
    name : str
        Material name such as ``"N87"``, ``"4F1"``, ``"copper"`` or ``"FR4"``.
    field : str, optional
        Dotted path of the name in the design, used in error messages.

    Raises
    ------
    DesignError
        If the catalogue has no material of that name. The message lists close matches
        and all available names.
    """
    catalog = _material_catalog()
    canonical = _resolve(name, catalog.index, list(catalog.materials), field, "materials")
    return catalog.materials[canonical]
