"""Impedance, leakage and AC resistance over a frequency band, per arrangement.

Meshes each arrangement once, assembles the eddy-current operators once, and evaluates
many frequencies from a reduced-order model built from a few full solves
(:mod:`femstack.solvers.reduced_order`).

>>> import femstack, numpy as np
>>> design = femstack.load_design(femstack.reference_design_path())      # doctest: +SKIP
>>> result = femstack.sweep(design, np.geomspace(10e3, 10e6, 50))        # doctest: +SKIP
>>> result[0].sweep.leakage_inductance                                   # doctest: +SKIP
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import os
from pathlib import Path
from typing import Callable

import numpy as np

from femstack.design.model import Design
from femstack.errors import DesignError
from femstack.geometries.axisymmetric import build_axisymmetric_model
from femstack.geometries.mesher import mesh_layout
from femstack.outputs import _atomic_write, _strict_json
from femstack.pipeline import _eddy_problem
from femstack.solvers.reduced_order import SweepResult, sweep as reduced_sweep, verify

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class ArrangementSweep:
    """The sweep of one layer pattern, with the optional full-solve checks."""

    pattern: str
    windings: list[str]
    sweep: SweepResult
    checks: list[dict[str, float]]

    def rows(self) -> list[dict[str, float | str]]:
        """Return one flat row per frequency, units in the keys."""
        s = self.sweep
        out = []
        for i, f in enumerate(s.frequencies):
            row: dict[str, float | str] = {"pattern": self.pattern, "frequency_Hz": float(f)}
            for a, wa in enumerate(self.windings):
                for b, wb in enumerate(self.windings):
                    row[f"Re_Z[{wa},{wb}]_Ohm"] = float(s.impedance[i, a, b].real)
                    row[f"Im_Z[{wa},{wb}]_Ohm"] = float(s.impedance[i, a, b].imag)
            row["L_leak_nH"] = float(s.leakage_inductance[i] * 1e9)
            for w in self.windings:
                row[f"Rac_{w}_mOhm"] = float(s.ac_resistance[w][i] * 1e3)
            row["error_estimate"] = float(s.error_by_frequency[i])
            out.append(row)
        return out

    def record(self) -> dict:
        """Return the JSON record: metadata, the stated error, the rows and the checks."""
        s = self.sweep
        return {
            "pattern": self.pattern,
            "windings": self.windings,
            "error_estimate": s.error_estimate,
            "expansion_frequencies_Hz": s.expansion_frequencies,
            "full_solves": s.full_solves,
            "back_substitutions": s.back_substitutions,
            "basis_size": s.basis_size,
            "sweep_seconds": s.seconds,
            "rows": self.rows(),
            "checks": self.checks,
        }


def parse_band(f_min: float, f_max: float, points: int) -> np.ndarray:
    """Return ``points`` log-spaced frequencies from ``f_min`` to ``f_max`` (Hz)."""
    if not (np.isfinite(f_min) and f_min > 0):
        raise DesignError("--f-min", f_min, "expected a positive frequency in Hz")
    if not (np.isfinite(f_max) and f_max >= f_min):
        raise DesignError("--f-max", f_max, f"expected a frequency in Hz >= --f-min ({f_min:g})")
    if points < 1:
        raise DesignError("--points", points, "expected an integer >= 1")
    return np.geomspace(f_min, f_max, points)


def sweep_arrangement(
    design: Design,
    pattern: str,
    frequencies,
    *,
    tolerance: float = 1e-4,
    max_expansions: int = 5,
    check: int = 0,
    progress: Callable[[str], None] | None = None,
) -> ArrangementSweep:
    """Sweep one pattern; ``check`` random sweep frequencies are compared with full solves."""
    report = progress or (lambda message: None)
    design = design.with_pattern(pattern)
    report(f"{pattern}: meshing")
    model = build_axisymmetric_model(design, pattern)
    rm = mesh_layout(model.layout)
    problem = _eddy_problem(design, model, rm, design.mesh.element_order)
    windings = [w.name for w in design.windings]
    currents = [design.excitation.currents[w] for w in windings]
    report(f"{pattern}: reduced-order sweep over {len(np.atleast_1d(frequencies))} frequencies")
    result = reduced_sweep(problem, frequencies, currents, tolerance=tolerance, max_expansions=max_expansions)
    checks = []
    if check > 0:
        # The model matches the full solution at its expansion frequencies by construction,
        # so only the other sweep frequencies test it.
        expansions = np.asarray(result.expansion_frequencies)
        candidates = np.array(
            [f for f in result.frequencies if not np.any(np.isclose(f, expansions, rtol=1e-12, atol=0.0))]
        )
        count = min(check, candidates.size)
        if count < check:
            report(
                f"{pattern}: only {count} of the sweep frequencies are not expansion points; "
                f"checking {count} instead of {check}"
            )
        rng = np.random.default_rng(0)
        chosen = rng.choice(candidates, size=count, replace=False) if count else np.array([])
        report(f"{pattern}: checking {len(chosen)} frequencies with full solves")
        checks = verify(problem, result, np.sort(chosen), currents) if count else []
    return ArrangementSweep(pattern, windings, result, checks)


def sweep(
    design: Design,
    frequencies,
    patterns: list[str] | None = None,
    *,
    tolerance: float = 1e-4,
    max_expansions: int = 5,
    check: int = 0,
    progress: Callable[[str], None] | None = None,
    on_result: Callable[[ArrangementSweep], None] | None = None,
) -> list[ArrangementSweep]:
    """Sweep every pattern (default: the design's list); see :func:`sweep_arrangement`.

    ``on_result`` receives each arrangement as soon as it is finished, so a caller can
    save it before the next one starts.
    """
    if patterns is not None and len(patterns) == 0:
        raise DesignError("patterns", [], "expected at least one layer pattern, such as ['PSPS']")
    results = []
    for pattern in patterns if patterns is not None else design.arrangement.patterns:
        result = sweep_arrangement(
            design, pattern, frequencies, tolerance=tolerance, max_expansions=max_expansions, check=check, progress=progress
        )
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def write_sweep(result: ArrangementSweep, out_dir: str | os.PathLike) -> list[Path]:
    """Write ``<pattern>_sweep.csv`` and ``<pattern>_sweep.json`` atomically; return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = result.rows()
    csv_path = out / f"{result.pattern}_sweep.csv"
    json_path = out / f"{result.pattern}_sweep.json"

    def write_csv(path: Path) -> None:
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    _atomic_write(csv_path, write_csv)
    record = _strict_json(result.record())
    _atomic_write(json_path, lambda p: p.write_text(json.dumps(record, indent=2, allow_nan=False)))
    return [csv_path, json_path]
