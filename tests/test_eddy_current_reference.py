"""Eddy-current solver against 1-D winding theory, magnetic circuits and power balance.

Each reference formula is written out here, with its source, instead of being imported
from femstack.post.analytic, so that an error there cannot hide an error in the solver.
Currents are peak phasors, so a loss is P = ½R·I².
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.constants

from femstack.errors import SolverError
from femstack.solvers.eddy_current import EddyCurrentProblem, WindingCircuit
from femstack.solvers.electrostatic import maxwell_capacitance

MU_0 = scipy.constants.mu_0
COPPER_CONDUCTIVITY = 5.8e7  # S/m, the value the conftest builders give to copper


def frequency_for_skin_ratio(skin_ratio: float, thickness: float) -> float:
    """Return the frequency in Hz at which thickness / δ = skin_ratio in copper.

    δ = 1/sqrt(π f µ0 σ), so f = 1/(π µ0 σ δ²).
    """
    skin_depth = thickness / skin_ratio
    return 1.0 / (np.pi * MU_0 * COPPER_CONDUCTIVITY * skin_depth**2)


def build_problem(model, *, order: int = 2) -> EddyCurrentProblem:
    return EddyCurrentProblem(
        model.region_mesh, model.permeability, model.conductivity, model.windings, order=order
    )


# Dowell's resistance factor --------------------------------------------------------------


def dowell_factor(skin_ratio: float, layers: int) -> float:
    """Return Dowell's AC/DC resistance ratio of a portion of ``layers`` foil layers.

    F_R = Δ[ (sinh 2Δ + sin 2Δ)/(cosh 2Δ − cos 2Δ)
             + (2/3)(m² − 1)(sinh Δ − sin Δ)/(cosh Δ + cos Δ) ],
    with Δ = h/δ and m the number of layers between zero and peak MMF (P. L. Dowell,
    "Effects of eddy currents in transformer windings", Proc. IEE 113(8), 1966).
    """
    d = skin_ratio
    skin = (np.sinh(2 * d) + np.sin(2 * d)) / (np.cosh(2 * d) - np.cos(2 * d))
    proximity = (np.sinh(d) - np.sin(d)) / (np.cosh(d) + np.cos(d))
    return d * (skin + 2.0 / 3.0 * (layers**2 - 1) * proximity)


@pytest.mark.parametrize("skin_ratio", [0.5, 1.0, 2.0, 3.0])
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_dowell_resistance_factor(geometry, layers, skin_ratio):
    thickness = 0.1e-3  # foil thickness of build_foil_window
    skin_depth = thickness / skin_ratio
    # Elements no larger than δ or h: measured worst error 0.68 % (m = 3, Δ = 2).
    model = geometry.foil_window("P" * layers + "S" * layers, min(skin_depth, thickness))
    problem = build_problem(model)
    solution = problem.solve(frequency_for_skin_ratio(skin_ratio, thickness))

    # Opposing currents: the MMF rises over the m P layers and falls back over the m S layers.
    losses = solution.region_losses([1.0, -1.0])
    dc_resistance = problem.dc_resistance()
    expected = dowell_factor(skin_ratio, layers)
    for index, winding in enumerate(model.windings):
        winding_loss = sum(losses[turn] for turn in winding.turns)
        resistance_factor = 2.0 * winding_loss / dc_resistance[index]
        # The 2 % covers the 1/r field variation across the 2 mm window at r = 50 mm and
        # the mesh.
        assert resistance_factor == pytest.approx(expected, rel=0.02), winding.name


# 1-D MMF leakage inductance --------------------------------------------------------------


def mmf_leakage_inductance(model) -> float:
    """Return the leakage inductance, referred to the primary, of full-width foils at DC.

    Between infinitely permeable legs at r_i and r_o, ∮H·dl around the window at height z
    gives ∫H_r dr = F(z), the net current below z. With full-width foils at DC the
    current density is σU/(2πr) ∝ 1/r, so ∂H_r/∂z = J_φ is satisfied with H_z = 0 and
    H_r = F(z) / (r ln(r_o/r_i)). The energy ½µ0∫H_r² 2πr dr dz = ½L·I² then gives

        L = µ0 · 2π/ln(r_o/r_i) · ∫F(z)² dz / I².

    F is linear across a foil that carries I_k, from F0 to F1 = F0 + I_k, which
    contributes h(F0² + F0F1 + F1²)/3, and constant across a gap. P carries +1 A and
    S −1 A, the short-circuit currents of equal turn counts.
    """
    current = {"P": 1.0, "S": -1.0}
    mmf, integral = 0.0, 0.0
    for index, winding in enumerate(model.sequence):
        start, mmf = mmf, mmf + current[winding]
        integral += model.foil_thickness * (start**2 + start * mmf + mmf**2) / 3.0
        if index < len(model.sequence) - 1:
            integral += model.foil_spacing * mmf**2
    return MU_0 * 2.0 * np.pi / np.log(model.r_outer / model.r_inner) * integral


def leakage_inductances(geometry, sequence: str) -> tuple[float, float, float]:
    """Return (short-circuit L, energy L, MMF formula L) in H of a four-foil window at Δ = 0.1."""
    thickness = 0.1e-3
    model = geometry.foil_window(sequence, thickness)
    solution = build_problem(model).solve(frequency_for_skin_ratio(0.1, thickness))
    z = solution.impedance
    short_circuit = (z[0, 0] - z[0, 1] * z[1, 0] / z[1, 1]).imag / solution.omega
    # Time-averaged energy W = ¼L|I|² with I_P = −I_S = 1 A peak.
    _, energy = solution.magnetic_loss_and_energy([1.0, -1.0])
    return short_circuit, 4.0 * energy, mmf_leakage_inductance(model)


@pytest.fixture(scope="module")
def leakage(geometry) -> dict[str, tuple[float, float, float]]:
    """Return leakage_inductances of each foil order, solved once for the module."""
    return {sequence: leakage_inductances(geometry, sequence) for sequence in ("PPSS", "PSPS", "PSSP")}


@pytest.mark.parametrize("sequence", ["PPSS", "PSPS", "PSSP"])
def test_mmf_leakage_inductance(leakage, sequence):
    short_circuit, from_energy, reference = leakage[sequence]

    # Measured +0.1 % (PPSS) and +0.4 % (PSPS, PSSP). With the secondary shorted, its
    # resistance R2 leaves a magnetizing current in the µr = 1e5 frame, which adds
    # (L_m/L_leak)(R2/ωL22)² ∝ 1/ω² to the leakage: +6 % already at Δ = 0.05.
    assert short_circuit == pytest.approx(reference, rel=0.05)
    # With I_S = −I_P imposed there is no magnetizing current. Measured 7e-6.
    # The 1e-3 allows for eddy currents at Δ = 0.1, a correction of order Δ⁴.
    assert from_energy == pytest.approx(reference, rel=1e-3)


def test_mmf_leakage_interleaving_ratio(leakage):
    stacked = leakage["PPSS"]
    alternating = leakage["PSPS"]
    mirrored = leakage["PSSP"]

    # Interleaving halves the peak MMF. The 1-D ratio is (16h/3 + 6g)/(4h/3 + 2g) = 3.57
    # for h = 0.1 mm foils and g = 0.05 mm gaps. Measured ratio error −0.28 %.
    assert stacked[0] / alternating[0] == pytest.approx(stacked[2] / alternating[2], rel=0.05)
    # P-S-S-P has the MMF of P-S-P-S mirrored in sign over the upper half, so the same ∫F².
    assert mirrored[2] == pytest.approx(alternating[2], rel=1e-12)
    assert mirrored[0] == pytest.approx(alternating[0], rel=1e-3)


# Gapped core -----------------------------------------------------------------------------


@pytest.mark.parametrize("gap", [0.5e-3, 1.0e-3])
def test_gapped_core_inductance(geometry, gap):
    """Inductance of a gapped pot core against the reluctance model with fringing.

    L = N²µ0·Ae·F / (g + le/µr) with McLyman's fringing factor
    F = 1 + (g/√Ae)·ln(2G/g), G the window height (C. W. T. McLyman, Transformer and
    Inductor Design Handbook, 4th ed., 2011). Here Ae = π(5 mm)² = 78.5 mm²,
    le = 39.3 mm and G = 10 mm (see build_pot_core).
    """
    permeability = 2000.0
    model = geometry.pot_core(gap, core_permeability=permeability)
    turns = len(model.windings[0].turns)
    # 50 Hz: δ = 9 mm in copper, far above the 1.6 mm turns, so the current is uniform.
    solution = build_problem(model).solve(50.0)
    inductance = solution.impedance[0, 0].imag / solution.omega

    area, length, height = model.effective_area, model.effective_length, model.window_height
    no_fringing = turns**2 * MU_0 * area / (gap + length / permeability)
    fringing = 1.0 + gap / np.sqrt(area) * np.log(2.0 * height / gap)

    # Fringing flux around the gap adds inductance: measured L/L0 = 1.21 and 1.33.
    assert inductance > no_fringing
    # McLyman's factor is empirical. Measured deviation +0.5 % (0.5 mm) and −0.5 % (1 mm).
    assert inductance == pytest.approx(no_fringing * fringing, rel=0.10)


# Reciprocity and power balance -----------------------------------------------------------


@pytest.mark.parametrize("core_permeability", [2000.0, 2000.0 - 400.0j], ids=["real", "lossy"])
def test_power_balance(geometry, core_permeability):
    model = geometry.pot_core(
        0.5e-3, core_permeability=core_permeability, core_conductivity=50.0, two_windings=True
    )
    solution = build_problem(model).solve(200e3)
    impedance = solution.impedance
    currents = np.array([1.0, -0.8 + 0.3j])

    # The A-formulation is complex symmetric, so Z12 = Z21 even with complex µ.
    assert abs(impedance[0, 1] - impedance[1, 0]) < 1e-8 * abs(impedance[0, 1])

    power = solution.input_power(currents)
    losses = solution.region_losses(currents)
    magnetic_loss, magnetic_energy = solution.magnetic_loss_and_energy(currents)
    ohmic_loss = sum(losses.values())

    # The check must cover the core: its eddy loss must be a visible share of the total.
    assert "core" in losses
    assert losses["core"] > 1e-3 * ohmic_loss
    if np.imag(core_permeability) == 0.0:
        assert magnetic_loss == 0.0
    else:
        assert magnetic_loss > 1e-3 * ohmic_loss
    # Complex Poynting theorem: S = P_ohmic + P_magnetic + 2jωW_m. The discrete solution
    # meets it up to quadrature and round-off: measured 4e-9 (real part), 2e-10 (imaginary).
    assert power.real == pytest.approx(ohmic_loss + magnetic_loss, rel=1e-6)
    assert power.imag == pytest.approx(2.0 * solution.omega * magnetic_energy, rel=1e-6)


# Skin effect in a single ring ------------------------------------------------------------

RING_SIDE = 1e-3
RING_RADIUS = 20e-3


def ring_resistance(geometry, skin_ratio: float, mesh_size: float) -> tuple[float, float]:
    """Return (R from Re Z, R from the solver's DC conductance) in Ω of the square ring."""
    region_mesh = geometry.ring(RING_SIDE, RING_RADIUS, mesh_size)
    problem = EddyCurrentProblem(
        region_mesh, {}, {"ring": COPPER_CONDUCTIVITY}, [WindingCircuit("ring", ((("ring",),),))]
    )
    solution = problem.solve(frequency_for_skin_ratio(skin_ratio, RING_SIDE))
    return solution.impedance[0, 0].real, problem.dc_resistance()[0]


def annulus_dc_resistance(inner_radius: float, outer_radius: float, height: float) -> float:
    """Return R = 2π/(σ t ln(r_o/r_i)) of a flat annulus carrying azimuthal current.

    The current density σU/(2πr) of a full ring integrates to I = σ t U ln(r_o/r_i)/(2π).
    """
    return 2.0 * np.pi / (COPPER_CONDUCTIVITY * height * np.log(outer_radius / inner_radius))


def test_ring_resistance_low_frequency(geometry):
    resistance, dc_resistance = ring_resistance(geometry, 0.05, RING_SIDE / 4)
    exact = annulus_dc_resistance(RING_RADIUS - RING_SIDE / 2, RING_RADIUS + RING_SIDE / 2, RING_SIDE)

    # The ring conductance is a quadrature of σ/(2πr): measured error 1e-15.
    assert dc_resistance == pytest.approx(exact, rel=1e-10)
    # At Δ = 0.05 the AC rise is of order Δ⁴ = 6e-6 (a foil rises by 4Δ⁴/45 = 6e-7).
    # Measured 1.6e-8.
    assert resistance == pytest.approx(exact, rel=1e-4)


def test_ring_resistance_skin_effect(geometry):
    """At Δ = 3 the test mesh must give the AC resistance rise of the converged mesh.

    The reference comes from two refinements (side/8 and side/16) and Richardson
    extrapolation with the P2 energy rate h⁴, since R = 2P/I² is an energy-like quantity.
    """
    coarse, dc_resistance = ring_resistance(geometry, 3.0, RING_SIDE / 4)
    finer, _ = ring_resistance(geometry, 3.0, RING_SIDE / 8)
    finest, _ = ring_resistance(geometry, 3.0, RING_SIDE / 16)
    converged = finest + (finest - finer) / (2.0**4 - 1.0)

    # Measured R/R_dc = 1.1781 (side/4), 1.1777 (side/8), 1.17764 (side/16).
    assert abs(finest - finer) < abs(finer - coarse)
    assert converged / dc_resistance > 1.1
    # The rise on the side/4 mesh is 0.3 % above the converged rise.
    rise = coarse - dc_resistance
    assert rise == pytest.approx(converged - dc_resistance, rel=0.01)


# Bad input -------------------------------------------------------------------------------


def test_solver_error_is_runtime_error():
    assert issubclass(SolverError, RuntimeError)


@pytest.mark.parametrize("conductivity", [{"ring": 0.0}, {}], ids=["zero", "missing"])
def test_turn_without_conductivity(geometry, conductivity):
    region_mesh = geometry.ring(RING_SIDE, RING_RADIUS, RING_SIDE / 4)
    winding = WindingCircuit("ring", ((("ring",),),))

    with pytest.raises(SolverError, match=r"'ring' has conductivity 0\.0 S/m"):
        EddyCurrentProblem(region_mesh, {}, conductivity, [winding])


@pytest.mark.parametrize("frequency", [0.0, -50.0, float("nan")])
def test_nonpositive_frequency(geometry, frequency):
    region_mesh = geometry.ring(RING_SIDE, RING_RADIUS, RING_SIDE / 4)
    problem = EddyCurrentProblem(
        region_mesh, {}, {"ring": COPPER_CONDUCTIVITY}, [WindingCircuit("ring", ((("ring",),),))]
    )

    with pytest.raises(SolverError, match=f"got {frequency} Hz"):
        problem.solve(frequency)


def test_unsupported_element_order(geometry):
    region_mesh = geometry.ring(RING_SIDE, RING_RADIUS, RING_SIDE / 4)
    winding = WindingCircuit("ring", ((("ring",),),))

    with pytest.raises(SolverError, match="element order 3"):
        EddyCurrentProblem(region_mesh, {}, {"ring": COPPER_CONDUCTIVITY}, [winding], order=3)
    with pytest.raises(SolverError, match="element order 3"):
        maxwell_capacitance(region_mesh, {"air": 1.0}, {"ring": ["ring"]}, order=3)
