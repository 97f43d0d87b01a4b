"""Search the arrangements and orientations of a design for low common-mode coupling.

For a given set of layers and windings, every layer pattern (the distinct orderings of
the design's first pattern, or a given list) is meshed and solved once: electrostatics
for the turn-level Maxwell matrix and one eddy-current solve for the leakage
inductance. Every orientation of the windings (`femstack.design.variants.orientations`:
series order of the layers, entry end of each layer, secondary dot) is then evaluated on
that pattern's Maxwell matrix alone, because an orientation changes only which terminal
potential each turn takes, not the geometry.

The leakage inductance does not depend on the orientation when every layer of a
winding is in series, because each turn carries the winding current wherever it sits in
the series path. NOTE: with parallel layers the current split could depend on the
series order; the search keeps the design's series order for such windings.

Cases are ranked by |C_cm| (the effective common-mode capacitance for the converter
preset), and each case is marked Pareto-optimal when no other case has both a lower
|C_cm| and a lower leakage inductance (at least one of them strictly lower).

Progress: with ``out``, the finished cases are written to ``search.json`` (atomically)
after every pattern, so a failure or an interrupt loses no finished pattern. A later
call with the same design and settings skips the patterns already in the file. A call
with another design, converter, frequency or mesh size factor logs a warning that names
the saved and the new settings, starts over and replaces the file when its first
pattern finishes. The file holds one search, so comparing converters needs one folder
per converter.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from femstack.design.model import Design, normalized_dict, validate_model
from femstack.design.variants import orientation_label, orientations, with_orientation
from femstack.errors import DesignError
from femstack.geometries.axisymmetric import build_axisymmetric_model
from femstack.post import capacitance as cap
from femstack.post import converters

logger = logging.getLogger(__name__)

__all__ = ["SearchCase", "SearchResult", "distinct_patterns", "pareto_mask", "search"]

RESULTS_FILE = "search.json"
TABLE_FILE = "search.csv"


@dataclasses.dataclass(frozen=True)
class SearchCase:
    """One arrangement and orientation.

    Attributes
    ----------
    pattern
        Layer pattern.
    orientation
        Winding name → orientation fields (``series_order``, ``layer_starts``, ``dot``).
    label
        Short text of the orientation.
    common_mode
        Effective CM capacitance for the converter preset, F.
    interwinding
        Static primary-to-secondary capacitance, F.
    leakage
        Leakage inductance referred to the primary at the search frequency, H.
    pareto
        True when no other case is better in both |C_cm| and leakage.
    """

    pattern: str
    orientation: dict[str, dict[str, Any]]
    label: str
    common_mode: float
    interwinding: float
    leakage: float
    pareto: bool = False


@dataclasses.dataclass
class SearchResult:
    """All cases of a search, ranked by |C_cm|."""

    converter: str
    frequency: float
    cases: list[SearchCase]

    def table(self):
        """Return a pandas DataFrame, one row per case in rank order, units in the column names."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "rank": rank + 1,
                    "pattern": case.pattern,
                    "orientation": case.label,
                    "C_cm_pF": case.common_mode * 1e12,
                    "C_interwinding_pF": case.interwinding * 1e12,
                    "L_leak_nH": case.leakage * 1e9,
                    "pareto": case.pareto,
                }
                for rank, case in enumerate(self.cases)
            ]
        )

    def pareto_cases(self) -> list[SearchCase]:
        """Return the Pareto-optimal cases in rank order."""
        return [case for case in self.cases if case.pareto]


def distinct_patterns(pattern: str) -> list[str]:
    """Return the distinct orderings of the letters of ``pattern``, sorted."""
    return sorted({"".join(p) for p in itertools.permutations(pattern)})


def pareto_mask(costs: np.ndarray) -> np.ndarray:
    """Return True for each row of ``costs`` (cases × objectives, lower is better) that no other row dominates.

    Row j dominates row i when it is no worse in every objective and better in one.
    """
    costs = np.asarray(costs, dtype=float)
    mask = np.ones(len(costs), dtype=bool)
    for i in range(len(costs)):
        no_worse = np.all(costs <= costs[i], axis=1)
        better = np.any(costs < costs[i], axis=1)
        if np.any(no_worse & better):
            mask[i] = False
    return mask


def search(
    design: Design,
    patterns: list[str] | None = None,
    *,
    converter: str | None = None,
    frequency: float | None = None,
    size_factor: float | None = None,
    out: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> SearchResult:
    """Enumerate arrangements and orientations and rank them on |C_cm| against leakage.

    Parameters
    ----------
    design
        Validated design.
    patterns
        Layer patterns to search; default: the distinct orderings of the design's first
        pattern.
    converter
        Converter preset for the swings; default the design's.
    frequency
        Frequency of the leakage inductance, Hz; default the design's highest.
    size_factor
        Mesh size factor for the search (2 gives a coarser, faster mesh); default the
        design's.
    out
        Folder for ``search.json`` and ``search.csv``; progress is saved after each
        pattern and reused on a repeated call.
    progress
        Called with a short message per pattern.

    Raises
    ------
    DesignError
        If a pattern, the converter or an option is invalid.
    """
    from femstack.pipeline import run_arrangement

    report = progress or (lambda message: None)
    converter = converter or design.terminals.converter
    frequency = frequency or max(design.excitation.frequencies)
    data = design.model_dump()
    data["terminals"]["converter"] = converter
    data["excitation"]["frequencies"] = (frequency,)
    if size_factor is not None:
        data["mesh"]["size_factor"] = size_factor
    base = validate_model(Design, data)
    patterns = list(patterns) if patterns is not None else distinct_patterns(design.arrangement.pattern)
    if not patterns:
        raise DesignError("patterns", [], "expected at least one layer pattern")
    for pattern in patterns:
        base.with_pattern(pattern)

    key = _search_key(base)
    settings = _settings(base)
    done = _load_progress(Path(out) / RESULTS_FILE, key, settings) if out is not None else {}
    cases: list[SearchCase] = [case for pattern in patterns for case in done.get(pattern, [])]
    for index, pattern in enumerate(patterns, start=1):
        if pattern in done:
            report(f"search {index}/{len(patterns)}: {pattern} loaded from {RESULTS_FILE}")
            continue
        started = time.perf_counter()
        report(f"search {index}/{len(patterns)}: {pattern}")
        result = run_arrangement(base, pattern)
        found = _orientation_cases(base, pattern, result)
        cases += found
        done[pattern] = found
        report(f"search {index}/{len(patterns)}: {pattern}, {len(found)} orientations in {time.perf_counter() - started:.1f} s")
        if out is not None:
            _save(Path(out), key, settings, done)

    ranked = _ranked(cases)
    result = SearchResult(converter, frequency, ranked)
    if out is not None:
        _save(Path(out), key, settings, done, table=result.table())
    return result


def _orientation_cases(design: Design, pattern: str, result) -> list[SearchCase]:
    """Evaluate every orientation on the pattern's turn-level Maxwell matrix."""
    from femstack.pipeline import terminal_map_with_shields

    capacitance = result.capacitance
    conductors = capacitance.turn_names
    leakage = result.frequencies[0].leakage_inductance
    primary = design.windings[0].name
    cases = []
    seen: set[bytes] = set()
    for orientation in orientations(design, pattern):
        variant = with_orientation(design, orientation)
        model = build_axisymmetric_model(variant, pattern)
        T, terminals = terminal_map_with_shields(variant, model, conductors)
        swings = converters.terminal_swings(variant)
        # Orientations that give every conductor the same swing are one physical case
        # (for example a reversed series order together with a reversed dot).
        potentials = T @ np.array([swings[t] for t in terminals])
        fingerprint = np.round(potentials, 12).tobytes()
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        C_T = cap.terminal_capacitance(capacitance.turn_maxwell, T)
        receiving = [t for t in terminals if not t.startswith(f"{primary}.")]
        cases.append(
            SearchCase(
                pattern=pattern,
                orientation=orientation,
                label=orientation_label(orientation),
                common_mode=cap.common_mode_capacitance(C_T, terminals, swings, receiving),
                interwinding=capacitance.interwinding,
                leakage=leakage,
            )
        )
    return cases


def _ranked(cases: list[SearchCase]) -> list[SearchCase]:
    if not cases:
        return []
    costs = np.array([[abs(c.common_mode), c.leakage] for c in cases])
    mask = pareto_mask(costs)
    marked = [dataclasses.replace(c, pareto=bool(m)) for c, m in zip(cases, mask)]
    return sorted(marked, key=lambda c: (abs(c.common_mode), c.leakage))


def _search_key(design: Design) -> str:
    text = json.dumps(normalized_dict(design), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _settings(design: Design) -> dict[str, Any]:
    """Return the search settings that a user chooses, as saved in ``search.json``."""
    return {
        "design": design.name,
        "converter": design.terminals.converter,
        "frequency_Hz": design.excitation.frequencies[0],
        "size_factor": design.mesh.size_factor,
    }


def _describe_settings(settings: dict[str, Any]) -> str:
    """Return settings as text, such as ``converter 'flyback', leakage at 1 MHz``."""
    from femstack.pipeline import frequency_tag
    from femstack.report import frequency_text

    parts = []
    for name, value in settings.items():
        if name == "frequency_Hz":
            parts.append(f"leakage at {frequency_text(frequency_tag(value))}")
        elif name == "size_factor":
            parts.append(f"mesh size factor {value:g}")
        else:
            parts.append(f"{name} {value!r}")
    return ", ".join(parts)


def _load_progress(path: Path, key: str, settings: dict[str, Any] | None = None) -> dict[str, list[SearchCase]]:
    """Return the finished patterns of an earlier search with the same key, else nothing.

    A file of another search is reported with a warning that compares its settings with
    ``settings``, because the next save replaces it.
    """
    if not path.exists():
        return {}
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        logger.warning("ignoring %s, which cannot be read: %s", path, error)
        return {}
    if record.get("key") != key:
        _warn_replaced(path, record, settings or {})
        return {}
    done = {}
    for pattern, items in record.get("patterns", {}).items():
        done[pattern] = [
            SearchCase(
                pattern=pattern,
                orientation={
                    name: {k: (tuple(v) if isinstance(v, list) else v) for k, v in fields.items()}
                    for name, fields in item["orientation"].items()
                },
                label=item["label"],
                common_mode=item["C_cm_F"],
                interwinding=item["C_interwinding_F"],
                leakage=item["L_leak_H"],
            )
            for item in items
        ]
    return done


def _warn_replaced(path: Path, record: dict[str, Any], settings: dict[str, Any]) -> None:
    """Log which settings of the saved search differ from the new one."""
    saved = {name: record[name] for name in settings if name in record}
    changed = {name: value for name, value in settings.items() if name in saved and saved[name] != value}
    if changed:
        difference = (
            f"it holds a search with {_describe_settings({n: saved[n] for n in changed})}, "
            f"but this search uses {_describe_settings(changed)}"
        )
    else:
        difference = "it holds a search of another design or of other settings"
    logger.warning(
        "%s: %s. The search starts over and replaces that file when its first pattern finishes. "
        "Use another --out folder to keep both.",
        path,
        difference,
    )


def _save(out: Path, key: str, settings: dict[str, Any], done: dict[str, list[SearchCase]], table=None) -> None:
    from femstack.outputs import atomic_write

    record = {
        "key": key,
        **settings,
        "units": "SI: F, H",
        "patterns": {
            pattern: [
                {
                    "orientation": case.orientation,
                    "label": case.label,
                    "C_cm_F": case.common_mode,
                    "C_interwinding_F": case.interwinding,
                    "L_leak_H": case.leakage,
                }
                for case in cases
            ]
            for pattern, cases in done.items()
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / RESULTS_FILE, lambda p: p.write_text(json.dumps(record, indent=1)))
    if table is not None:
        atomic_write(out / TABLE_FILE, lambda p: table.to_csv(p, index=False))
