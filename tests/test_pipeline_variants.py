"""Design variants through the whole pipeline: parallel layers, E+E cores, a NiZn core.

Coarse meshes (size_factor 4), one frequency each.
"""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
import scipy.constants

from femstack.design.loader import load_design, reference_design_path
from femstack.pipeline import compare, run_arrangement

MU_0 = scipy.constants.mu_0


def coarse_raw(pattern: str, frequency: str = "1 MHz") -> dict:
    raw = tomllib.loads(reference_design_path().read_text())
    raw["mesh"] = {"size_factor": 4.0}
    raw["arrangement"] = {"patterns": [pattern]}
    raw["excitation"]["frequencies"] = [frequency]
    return raw


@pytest.fixture(scope="module")
def parallel_secondary():
    """PSSP with the secondary's two layers in parallel: 1 turn carrying 8 A."""
    raw = coarse_raw("PSSP")
    raw["windings"][1]["turns"] = 1
    raw["windings"][1]["parallel_layers"] = 2
    raw["excitation"]["currents"] = {"P": "1 A", "S": "8 A"}
    design = load_design(raw)
    return design, run_arrangement(design)


def test_parallel_dc_resistance_halves(parallel_secondary):
    design, result = parallel_secondary
    ring = next(t for t in result.model.turns["S"])
    thickness = design.stackup.copper_thickness[ring.layer]
    # Two equal flat rings in parallel: R = ½ · 2π / (σ t ln(r_o/r_i)).
    single = 2 * math.pi / (design.windings[1].conductivity * thickness * math.log(ring.r_outer / ring.r_inner))
    assert result.dc_resistance["S"] == pytest.approx(0.5 * single, rel=1e-6)


def test_parallel_layers_split_current_symmetrically(parallel_secondary):
    design, result = parallel_secondary
    solution = result.eddy[0]
    currents = np.array([1.0, -8.0])
    _, _, turn_current = solution.combine(currents)
    index = [solution.problem.turns.index(t.region) for t in result.model.turns["S"]]
    first, second = turn_current[index]
    # The layers carry the winding current between them.
    assert first + second == pytest.approx(-8.0, abs=1e-9)
    # PSSP is mirror-symmetric about the board's middle plane (the core is not quite,
    # as the plate is thinner than the E's back), so the split is equal to within 1 %.
    assert abs(first - second) < 0.01 * 8.0


def test_parallel_energy_balance_and_reciprocity(parallel_secondary):
    _, result = parallel_secondary
    fr = result.frequencies[0]
    assert fr.input_power == pytest.approx(sum(fr.copper_loss.values()) + fr.core_loss, rel=1e-6)
    assert abs(fr.impedance[0, 1] - fr.impedance[1, 0]) < 1e-8 * abs(fr.impedance[0, 1])


def test_e_plus_e_magnetizing_inductance():
    raw = coarse_raw("PSPS", "100 kHz")
    del raw["core"]["plate"]
    design = load_design(raw)
    result = compare(design).results[0]
    effective = design.core.effective
    assert effective.le == pytest.approx(41.4e-3)
    mu_r = design.core.material.relative_permeability
    gap = design.core.residual_gap
    # Catalogue E+E core (le 41.4 mm, Ae 130 mm²) with a residual gap on both legs.
    reluctance = effective.le / (MU_0 * mu_r * effective.ae) + 2 * gap / (MU_0 * effective.ae)
    expected = design.windings[0].turns ** 2 / reluctance
    assert result.frequencies[0].magnetizing_inductance == pytest.approx(expected, rel=0.05)


def test_dielectric_core_below_floating_conductor():
    floating = compare(load_design(coarse_raw("PPSS"))).results[0].capacitance
    raw = coarse_raw("PPSS")
    raw["core"]["material"] = "4F1"
    raw["core"]["electrostatic"] = "dielectric"
    dielectric = compare(load_design(raw)).results[0].capacitance
    # A two-terminal capacitance grows with the permittivity anywhere (it is the minimum
    # of the field energy), and a conductor is the limit εr → ∞: dielectric ≤ floating.
    assert 0.0 < dielectric.interwinding < floating.interwinding
    # Nothing is grounded: the terminal matrix rows sum to zero.
    C_T = dielectric.terminal_matrix
    assert np.abs(C_T.sum(axis=1)).max() < 1e-6 * np.abs(C_T).max()
    assert dielectric.core_floating_potential is None
