"""Tests for femstack.post.analytic against limits, hand-computed numbers and independent solutions.

No expected value here comes from the function under test. Each is a known limit,
a number worked out by hand (the arithmetic is in the comment beside it), or a
separate numerical solution of the same physics.
"""

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.constants import epsilon_0, mu_0

from femstack.post import analytic

COPPER_CONDUCTIVITY = 5.8e7  # S/m


# ---------------------------------------------------------------------------
# Skin depth


def test_skin_depth_copper_at_1mhz():
    # pi f mu0 sigma = pi * 1e6 * 4 pi 1e-7 * 5.8e7 = 0.4 pi^2 * 5.8e7 = 2.289748e8,
    # sqrt = 15131.92, so delta = 1 / 15131.92 = 66.0855 um.
    assert analytic.skin_depth(1e6, COPPER_CONDUCTIVITY) == pytest.approx(66.0855e-6, rel=1e-5)


def test_skin_depth_scales_with_frequency_and_permeability():
    base = analytic.skin_depth(1e5, COPPER_CONDUCTIVITY)
    # delta is proportional to 1/sqrt(f mu_r): 4x the frequency halves it, 9x mu_r divides it by 3.
    assert analytic.skin_depth(4e5, COPPER_CONDUCTIVITY) == pytest.approx(base / 2, rel=1e-12)
    assert analytic.skin_depth(1e5, COPPER_CONDUCTIVITY, 9.0) == pytest.approx(base / 3, rel=1e-12)


def test_skin_depth_is_infinite_at_dc():
    assert analytic.skin_depth(0.0, COPPER_CONDUCTIVITY) == math.inf


def test_skin_depth_vectorised():
    depths = analytic.skin_depth(np.array([1e3, 1e6]), COPPER_CONDUCTIVITY)
    assert depths.shape == (2,)
    assert depths[0] / depths[1] == pytest.approx(math.sqrt(1e3), rel=1e-12)


@pytest.mark.parametrize(
    "frequency, conductivity, mu_r",
    [(-1.0, 5.8e7, 1.0), (1e3, 0.0, 1.0), (1e3, 5.8e7, -2.0), (math.nan, 5.8e7, 1.0)],
)
def test_skin_depth_rejects_invalid_input(frequency, conductivity, mu_r):
    with pytest.raises(ValueError):
        analytic.skin_depth(frequency, conductivity, mu_r)


# ---------------------------------------------------------------------------
# Dowell


def layer_loss_ratio_from_field_solution(delta_ratio, field_before, field_after):
    """Return the AC/DC loss ratio of one foil layer from the 1-D complex field, integrated numerically.

    Units: skin depth 1, conductivity 1, so the layer thickness is delta_ratio.
    H(x) = [H_b sinh(g x) + H_a sinh(g (h - x))] / sinh(g h) with g = (1 + j),
    J = dH/dx, loss = int |J|^2 / 2 dx, and DC loss = (H_b - H_a)^2 / (2 h).
    """
    gamma = 1.0 + 1.0j
    thickness = delta_ratio

    def current_density_squared(x):
        numerator = field_after * np.cosh(gamma * x) - field_before * np.cosh(gamma * (thickness - x))
        density = gamma * numerator / np.sinh(gamma * thickness)
        return abs(density) ** 2

    integral, _ = integrate.quad(current_density_squared, 0.0, thickness, epsabs=0.0, epsrel=1e-12)
    ac_loss = integral / 2.0
    dc_loss = (field_after - field_before) ** 2 / (2.0 * thickness)
    return ac_loss / dc_loss


def test_dowell_tends_to_one_at_low_frequency():
    for layers in (1, 3, 10):
        assert analytic.dowell_resistance_factor(0.0, layers) == 1.0
        assert analytic.dowell_resistance_factor(1e-200, layers) == 1.0
        assert analytic.dowell_resistance_factor(1e-5, layers) == pytest.approx(1.0, abs=1e-15)


def test_dowell_low_frequency_expansion():
    # Taylor series: Delta*varsigma1 = 1 + 4 D^4/45 and Delta*varsigma2 = D^4/6, so
    # F_R - 1 = D^4 [4/45 + (2/3)(m^2 - 1)/6] = (5 m^2 - 1) D^4 / 45 + O(D^8).
    delta = 0.02
    for layers in (1, 2, 5):
        expected_excess = (5 * layers**2 - 1) * delta**4 / 45
        excess = analytic.dowell_resistance_factor(delta, layers) - 1.0
        assert excess == pytest.approx(expected_excess, rel=1e-3)


def test_dowell_single_layer_hand_value():
    # m = 1, Delta = 1: F_R = varsigma1(1) = (sinh 2 + sin 2) / (cosh 2 - cos 2)
    # = (3.626860 + 0.909297) / (3.762196 + 0.416147) = 4.536157 / 4.178343 = 1.085636.
    assert analytic.dowell_resistance_factor(1.0, 1) == pytest.approx(1.085636, rel=1e-6)


def test_dowell_single_layer_grows_like_delta():
    # varsigma1 -> 1 for large Delta, so a single layer has F_R -> Delta (current in one skin depth).
    for delta in (30.0, 50.0, 400.0, 1e6):
        assert analytic.dowell_resistance_factor(delta, 1) == pytest.approx(delta, rel=1e-12)


def test_dowell_high_frequency_layer_growth():
    # varsigma1 and varsigma2 -> 1, so F_R / Delta -> 1 + (2/3)(m^2 - 1) = (2 m^2 + 1) / 3.
    delta = 50.0
    for layers in (1, 2, 3, 6, 20):
        assert analytic.dowell_resistance_factor(delta, layers) / delta == pytest.approx(
            (2 * layers**2 + 1) / 3, rel=1e-12
        )


def test_dowell_continuous_across_branch_limits():
    # A step of 2e-13 in Delta changes F_R by at most about 1e-12 (d ln F_R / d ln Delta < 4),
    # so a larger jump would come from a mismatch between the series and closed forms.
    for limit in (0.1, 1.0):
        below = analytic.dowell_resistance_factor(limit * (1 - 1e-13), 4)
        above = analytic.dowell_resistance_factor(limit * (1 + 1e-13), 4)
        assert above == pytest.approx(below, rel=1e-11)


def test_dowell_vectorised_shape():
    deltas = np.array([[0.0, 0.05], [0.5, 5.0]])
    factors = analytic.dowell_resistance_factor(deltas, 3)
    assert factors.shape == (2, 2)
    assert np.all(np.diff(factors.ravel()) > 0)


def test_dowell_layer_factors_average_to_winding_factor():
    deltas = np.array([0.0, 0.01, 0.3, 1.0, 2.5, 10.0, 80.0])
    for layers in (1, 2, 4, 7):
        per_layer = analytic.dowell_layer_factors(deltas, layers)
        assert per_layer.shape == (layers, deltas.size)
        winding = analytic.dowell_resistance_factor(deltas, layers)
        np.testing.assert_allclose(per_layer.mean(axis=0), winding, rtol=1e-13)


@pytest.mark.parametrize("delta_ratio", [0.3, 1.0, 3.0])
def test_dowell_layer_factors_match_field_solution(delta_ratio):
    layers = 4
    per_layer = analytic.dowell_layer_factors(delta_ratio, layers)
    for p in range(1, layers + 1):
        # Layer p has the field (p - 1) H on its inner face and p H on its outer face.
        expected = layer_loss_ratio_from_field_solution(delta_ratio, float(p - 1), float(p))
        assert per_layer[p - 1] == pytest.approx(expected, rel=1e-9)


def test_dowell_first_layer_equals_single_layer_winding():
    deltas = np.linspace(0.0, 5.0, 11)
    np.testing.assert_allclose(
        analytic.dowell_layer_factors(deltas, 5)[0],
        analytic.dowell_resistance_factor(deltas, 1),
        rtol=1e-15,
    )


@pytest.mark.parametrize("delta_ratio, layers", [(-0.1, 2), (math.inf, 2), (1.0, 0), (1.0, 2.5)])
def test_dowell_rejects_invalid_input(delta_ratio, layers):
    with pytest.raises(ValueError):
        analytic.dowell_resistance_factor(delta_ratio, layers)
    with pytest.raises(ValueError):
        analytic.dowell_layer_factors(delta_ratio, layers)


# ---------------------------------------------------------------------------
# MMF method

TURNS = 4
LAYER = 1e-4  # layer thickness h in m
GAP = 2e-4  # insulation thickness g in m
BREADTH = 0.01  # m
MLT = 0.05  # m


def four_layer_stack(signs):
    return [(LAYER, sign * TURNS) for sign in signs]


def test_mmf_profile_vertices_for_p_p_s_s():
    profile = analytic.mmf_profile(four_layer_stack([+1, +1, -1, -1]), [GAP] * 3)
    h, g = LAYER, GAP
    expected_x = [0, 0, h, h + g, 2 * h + g, 2 * h + 2 * g, 3 * h + 2 * g, 3 * h + 3 * g, 4 * h + 3 * g, 4 * h + 3 * g]
    np.testing.assert_allclose(profile.position, expected_x, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(profile.mmf, [0, 0, 4, 4, 8, 8, 4, 4, 0, 0])


def test_mmf_profile_outer_gaps_shift_positions():
    profile = analytic.mmf_profile([(LAYER, 2.0), (LAYER, -2.0)], [GAP], gap_before=1e-3, gap_after=5e-4)
    np.testing.assert_allclose(profile.position, [0, 1e-3, 1.1e-3, 1.3e-3, 1.4e-3, 1.9e-3], rtol=1e-12)
    np.testing.assert_array_equal(profile.mmf, [0, 0, 2, 2, 0, 0])


def test_mmf_profile_keeps_unbalanced_stack():
    profile = analytic.mmf_profile([(LAYER, 3.0), (LAYER, -1.0)], [GAP])
    assert profile.mmf[-1] == 2.0


def test_mmf_leakage_two_layer_textbook_formula():
    # Primary layer then secondary layer: L = mu0 N^2 MLT / b * (g + (h1 + h2) / 3).
    h1, h2 = 1e-4, 3e-4
    inductance = analytic.mmf_leakage_inductance([(h1, TURNS), (h2, -TURNS)], [GAP], BREADTH, MLT, 1.0)
    expected = mu_0 * TURNS**2 * MLT / BREADTH * (GAP + (h1 + h2) / 3)
    assert inductance == pytest.approx(expected, rel=1e-12)


def test_mmf_leakage_p_p_s_s_hand_value():
    # MMF 0 -> 4 -> 4 -> 8 -> 8 -> 4 -> 4 -> 0 (N = 4 turns per layer, I = 1 A).
    # Layers: h (0 + 0 + 16)/3 + h (16 + 32 + 64)/3 + h (64 + 32 + 16)/3 + h (16)/3
    #       = h * 256 / 3 = 1e-4 * 85.333 = 8.5333e-3 A^2 m.
    # Gaps: g (16 + 64 + 16) = 2e-4 * 96 = 1.92e-2 A^2 m.
    # Sum 2.77333e-2; L = mu0 * MLT/b * sum = 1.2566371e-6 * 5 * 2.77333e-2 = 1.742536e-7 H.
    inductance = analytic.mmf_leakage_inductance(four_layer_stack([+1, +1, -1, -1]), [GAP] * 3, BREADTH, MLT, 1.0)
    assert inductance == pytest.approx(1.742536e-7, rel=1e-6)


def test_mmf_leakage_p_s_p_s_hand_value():
    # MMF 0 -> 4 -> 4 -> 0 -> 0 -> 4 -> 4 -> 0.
    # Layers: 4 * h * 16 / 3 = 2.1333e-3; gaps: g (16 + 0 + 16) = 6.4e-3. Sum 8.5333e-3 A^2 m.
    # L = 1.2566371e-6 * 5 * 8.5333e-3 = 5.361652e-8 H.
    inductance = analytic.mmf_leakage_inductance(four_layer_stack([+1, -1, +1, -1]), [GAP] * 3, BREADTH, MLT, 1.0)
    assert inductance == pytest.approx(5.361652e-8, rel=1e-6)


def test_mmf_leakage_interleaving_ratio():
    # Energy ratio P-P-S-S / P-S-P-S = (256 h/3 + 96 g) / (64 h/3 + 32 g)
    # = (8.5333e-3 + 1.92e-2) / (2.1333e-3 + 6.4e-3) = 2.77333e-2 / 8.5333e-3 = 3.25.
    stacked = analytic.mmf_leakage_inductance(four_layer_stack([+1, +1, -1, -1]), [GAP] * 3, BREADTH, MLT, 1.0)
    interleaved = analytic.mmf_leakage_inductance(four_layer_stack([+1, -1, +1, -1]), [GAP] * 3, BREADTH, MLT, 1.0)
    assert stacked / interleaved == pytest.approx(3.25, rel=1e-12)


def test_mmf_leakage_refers_to_reference_current():
    # The same ampere-turns at half the current describe a winding with twice the turns: L grows 4x.
    layers = [(LAYER, 4.0), (LAYER, -4.0)]
    at_one_amp = analytic.mmf_leakage_inductance(layers, [GAP], BREADTH, MLT, 1.0)
    at_half_amp = analytic.mmf_leakage_inductance(layers, [GAP], BREADTH, MLT, 0.5)
    assert at_half_amp == pytest.approx(4 * at_one_amp, rel=1e-12)


def test_mmf_leakage_outer_gaps_add_no_energy():
    layers = [(LAYER, 4.0), (LAYER, -4.0)]
    plain = analytic.mmf_leakage_inductance(layers, [GAP], BREADTH, MLT, 1.0)
    padded = analytic.mmf_leakage_inductance(layers, [GAP], BREADTH, MLT, 1.0, gap_before=1e-3, gap_after=1e-3)
    assert padded == pytest.approx(plain, rel=1e-12)


def test_mmf_leakage_rejects_unbalanced_ampere_turns():
    with pytest.raises(ValueError, match=r"sum to 1 A"):
        analytic.mmf_leakage_inductance([(LAYER, 4.0), (LAYER, -3.0)], [GAP], BREADTH, MLT, 1.0)
    with pytest.raises(ValueError, match=r"sum to -2 A"):
        analytic.mmf_leakage_axisymmetric([(LAYER, 4.0), (LAYER, -6.0)], [GAP], 5e-3, 1e-2, 1.0)


def test_mmf_leakage_accepts_rounding_in_balance():
    layers = [(LAYER, 0.1 * 3), (LAYER, -0.3)]  # 0.1 * 3 = 0.30000000000000004
    assert analytic.mmf_leakage_inductance(layers, [GAP], BREADTH, MLT, 0.1) > 0


@pytest.mark.parametrize(
    "layers, gaps",
    [
        ([(LAYER, 4.0), (LAYER, -4.0)], []),  # one gap missing
        ([(LAYER, 4.0), (LAYER, -4.0)], [GAP, GAP]),  # one gap too many
        ([(0.0, 4.0), (LAYER, -4.0)], [GAP]),  # zero thickness
        ([(LAYER, 4.0), (LAYER, -4.0)], [-GAP]),  # negative gap
        ([], []),  # no layers
        ([(LAYER, 4.0, 1.0)], []),  # not a pair
    ],
)
def test_mmf_rejects_malformed_stack(layers, gaps):
    with pytest.raises(ValueError):
        analytic.mmf_profile(layers, gaps)
    with pytest.raises(ValueError):
        analytic.mmf_leakage_inductance(layers, gaps, BREADTH, MLT, 1.0)


def test_mmf_leakage_rejects_zero_current():
    with pytest.raises(ValueError, match="reference_current"):
        analytic.mmf_leakage_inductance([(LAYER, 4.0), (LAYER, -4.0)], [GAP], BREADTH, MLT, 0.0)


def test_mmf_axisymmetric_hand_value():
    # r_i = 5 mm, r_o = 10 mm: 2 pi / ln 2 = 6.2831853 / 0.6931472 = 9.0647203.
    # Two layers of 4 A-turns: int F^2 = 16 (h/3 + g + h/3) = 16 * 2.666667e-4 = 4.266667e-3 A^2 m.
    # L = 1.2566371e-6 * 9.0647203 * 4.266667e-3 = 4.860246e-8 H.
    inductance = analytic.mmf_leakage_axisymmetric([(LAYER, 4.0), (LAYER, -4.0)], [GAP], 5e-3, 10e-3, 1.0)
    assert inductance == pytest.approx(4.860246e-8, rel=1e-6)


def test_mmf_axisymmetric_thin_window_matches_planar():
    # For r_o - r_i = b << r, 2 pi / ln(r_o / r_i) -> 2 pi r_mean / b = MLT / b.
    r_inner, window = 0.1, 1e-4
    layers = four_layer_stack([+1, -1, -1, +1])
    radial = analytic.mmf_leakage_axisymmetric(layers, [GAP] * 3, r_inner, r_inner + window, 1.0)
    planar = analytic.mmf_leakage_inductance(layers, [GAP] * 3, window, 2 * math.pi * (r_inner + window / 2), 1.0)
    assert radial == pytest.approx(planar, rel=1e-6)


def test_mmf_axisymmetric_rejects_inverted_radii():
    with pytest.raises(ValueError, match="r_outer"):
        analytic.mmf_leakage_axisymmetric([(LAYER, 4.0), (LAYER, -4.0)], [GAP], 1e-2, 5e-3, 1.0)


# ---------------------------------------------------------------------------
# Capacitances


def test_parallel_plate_hand_value():
    # eps_r = 4, A = 1 cm^2, d = 1 mm: 4 * 8.8541878e-12 * 1e-4 / 1e-3 = 3.5416751e-12 F.
    assert analytic.parallel_plate_capacitance(1e-4, 1e-3, 4.0) == pytest.approx(3.5416751e-12, rel=1e-7)


def test_coaxial_hand_value():
    # a = 1 mm, b = 2 mm, 1 m, vacuum: 2 pi * 8.8541878e-12 / ln 2 = 5.5632502e-11 / 0.6931472
    # = 8.026077e-11 F.
    assert analytic.coaxial_capacitance(1e-3, 2e-3, 1.0) == pytest.approx(8.026077e-11, rel=1e-6)


def test_coaxial_thin_gap_tends_to_parallel_plate():
    # b - a = d << a: the coaxial gap is a parallel-plate capacitor of area 2 pi a L.
    a, d, length = 1e-2, 1e-7, 0.5
    coaxial = analytic.coaxial_capacitance(a, a + d, length, 3.0)
    plates = 3.0 * epsilon_0 * 2 * math.pi * (a + d / 2) * length / d
    assert coaxial == pytest.approx(plates, rel=1e-9)


def test_concentric_spheres_limits():
    # Outer shell at infinity: the isolated sphere, 4 pi eps0 a = 111.2650 pF for a = 1 m.
    assert analytic.concentric_spheres_capacitance(1.0, 1e12) == pytest.approx(111.2650e-12, rel=1e-6)
    # Thin gap d << a: parallel plates of area 4 pi a b.
    a, d = 0.02, 1e-8
    thin = analytic.concentric_spheres_capacitance(a, a + d, 2.0)
    assert thin == pytest.approx(2.0 * epsilon_0 * 4 * math.pi * a * (a + d) / d, rel=1e-12)


@pytest.mark.parametrize(
    "function, arguments",
    [
        (analytic.coaxial_capacitance, (2e-3, 1e-3, 1.0)),
        (analytic.concentric_spheres_capacitance, (1.0, 1.0)),
        (analytic.parallel_plate_capacitance, (1e-4, 0.0)),
        (analytic.circular_plate_capacitance_kirchhoff, (-1.0, 1e-3)),
        (analytic.parallel_plate_capacitance, (1e-4, 1e-3, 0.0)),
    ],
)
def test_capacitances_reject_invalid_geometry(function, arguments):
    with pytest.raises(ValueError):
        function(*arguments)


def love_equation_capacitance(radius, gap, nodes):
    """Return the capacitance of two thin coaxial disks in vacuum from Love's integral equation.

    For disks of radius a at separation d = kappa a and potentials +-V/2, Love's
    equation for the oppositely charged pair is
        f(x) - (1/pi) int_{-1}^{1} kappa / (kappa^2 + (x - t)^2) f(t) dt = 1,
    and C = 4 eps0 a int_0^1 f(t) dt. It is solved here by the Nyström method on
    Gauss-Legendre nodes. The normalisation is checked against the far limit
    (two isolated disks of 8 eps0 a in series, 4 eps0 a) in a test below.
    Source: Love's equation (E. R. Love, 1949) as restated by E. Reich, "E. R. Love's
    integral equation for the circular plate condenser", ANZIAM J. 46 (2004) 85-93.
    """
    kappa = gap / radius
    x, weights = np.polynomial.legendre.leggauss(nodes)
    kernel = (kappa / np.pi) / (kappa**2 + (x[:, None] - x[None, :]) ** 2) * weights[None, :]
    density = np.linalg.solve(np.eye(nodes) - kernel, np.ones(nodes))
    half_integral = 0.5 * np.sum(weights * density)
    return 4.0 * epsilon_0 * radius * half_integral


def test_love_reference_solver_far_limit():
    # Far apart, each disk has 8 eps0 a and the pair is two of them in series: 4 eps0 a.
    assert love_equation_capacitance(1.0, 1e4, 200) == pytest.approx(4 * epsilon_0, rel=1e-3)


def test_kirchhoff_tends_to_parallel_plate():
    radius = 0.01
    excess = []
    for gap in (1e-3, 1e-5, 1e-7, 1e-9):
        ratio = analytic.circular_plate_capacitance_kirchhoff(radius, gap) / (epsilon_0 * math.pi * radius**2 / gap)
        excess.append(ratio - 1.0)
    assert all(value > 0 for value in excess)
    assert excess == sorted(excess, reverse=True)
    assert excess[-1] < 1e-5


# Node counts are converged to better than 1e-5 relative: the kernel peak has width d/a,
# so smaller gaps need more nodes.
@pytest.mark.parametrize("gap_over_radius, nodes, tolerance", [(0.02, 400, 1e-3), (0.1, 200, 1e-2)])
def test_kirchhoff_matches_love_equation(gap_over_radius, nodes, tolerance):
    radius = 0.01
    gap = gap_over_radius * radius
    reference = love_equation_capacitance(radius, gap, nodes)
    kirchhoff = analytic.circular_plate_capacitance_kirchhoff(radius, gap)
    assert kirchhoff == pytest.approx(reference, rel=tolerance)
    # Kirchhoff's two terms underestimate the exact value.
    assert kirchhoff < reference


def test_kirchhoff_scales_with_permittivity():
    assert analytic.circular_plate_capacitance_kirchhoff(0.01, 1e-4, 4.5) == pytest.approx(
        4.5 * analytic.circular_plate_capacitance_kirchhoff(0.01, 1e-4), rel=1e-14
    )


# ---------------------------------------------------------------------------
# Facing layers

TERMINALS = ("A1", "A2", "B1", "B2")


def maxwell_matrix(capacitances):
    index = {name: i for i, name in enumerate(TERMINALS)}
    matrix = np.zeros((4, 4))
    for (first, second), value in capacitances.items():
        i, j = index[first], index[second]
        matrix[i, j] -= value
        matrix[j, i] -= value
        matrix[i, i] += value
        matrix[j, j] += value
    return matrix


def test_facing_layers_energy_matches_integral_of_linear_voltage():
    c0, delta_a, delta_b = 2e-11, 30.0, -12.0

    def voltage_squared(s):
        return (delta_a * (1 - s) + delta_b * s) ** 2

    integral, _ = integrate.quad(voltage_squared, 0.0, 1.0)
    assert analytic.facing_layers_energy(c0, delta_a, delta_b) == pytest.approx(0.5 * c0 * integral, rel=1e-12)


def test_facing_layers_energy_uniform_voltage():
    # Equal end voltages: the parallel-plate energy C0 V^2 / 2.
    assert analytic.facing_layers_energy(1e-10, 7.0, 7.0) == pytest.approx(0.5 * 1e-10 * 49.0, rel=1e-14)


def test_six_capacitances_have_six_distinct_pairs():
    capacitances = analytic.facing_layers_six_capacitances(1.0)
    assert len(capacitances) == 6
    assert {frozenset(pair) for pair in capacitances} == {
        frozenset(pair) for pair in [("A1", "A2"), ("A1", "B1"), ("A1", "B2"), ("A2", "B1"), ("A2", "B2"), ("B1", "B2")]
    }


def test_six_capacitances_sum_to_c0_between_layers():
    c0 = 3.3e-11
    capacitances = analytic.facing_layers_six_capacitances(c0)
    between_layers = sum(value for (first, second), value in capacitances.items() if first[0] != second[0])
    assert between_layers == pytest.approx(c0, rel=1e-14)


def test_six_capacitances_reproduce_energy_for_random_potentials():
    c0 = 4.7e-11
    matrix = maxwell_matrix(analytic.facing_layers_six_capacitances(c0))
    rng = np.random.default_rng(20240611)
    for _ in range(20):
        potentials = rng.uniform(-400.0, 400.0, size=4)
        v_a1, v_a2, v_b1, v_b2 = potentials
        network_energy = 0.5 * potentials @ matrix @ potentials
        expected = analytic.facing_layers_energy(c0, v_a1 - v_b1, v_a2 - v_b2)
        assert network_energy == pytest.approx(expected, rel=1e-12)


def test_facing_layers_reject_negative_c0():
    with pytest.raises(ValueError):
        analytic.facing_layers_six_capacitances(-1e-12)
    with pytest.raises(ValueError):
        analytic.facing_layers_energy(-1e-12, 1.0, 1.0)


# ---------------------------------------------------------------------------
# Round wire

WIRE_RADIUS = 0.5e-3  # m


def frequency_for_radius_over_depth(ratio, radius=WIRE_RADIUS, conductivity=COPPER_CONDUCTIVITY):
    # a / delta = a sqrt(pi f mu0 sigma), solved for f.
    return ratio**2 / (radius**2 * math.pi * mu_0 * conductivity)


def dc_resistance(radius=WIRE_RADIUS, conductivity=COPPER_CONDUCTIVITY):
    return 1.0 / (math.pi * radius**2 * conductivity)


def test_round_wire_dc_values():
    impedance = analytic.round_wire_impedance(WIRE_RADIUS, 0.0, COPPER_CONDUCTIVITY)
    assert impedance.resistance == pytest.approx(dc_resistance(), rel=1e-15)
    assert impedance.internal_inductance == pytest.approx(mu_0 / (8 * math.pi), rel=1e-15)


def test_round_wire_tiny_frequency_stays_finite():
    impedance = analytic.round_wire_impedance(WIRE_RADIUS, 1e-300, COPPER_CONDUCTIVITY)
    assert impedance.resistance == pytest.approx(dc_resistance(), rel=1e-15)
    assert impedance.internal_inductance == pytest.approx(mu_0 / (8 * math.pi), rel=1e-15)


def test_round_wire_tends_to_dc_at_low_frequency():
    impedance = analytic.round_wire_impedance(WIRE_RADIUS, 1e-3, COPPER_CONDUCTIVITY)
    assert impedance.resistance == pytest.approx(dc_resistance(), rel=1e-12)
    assert impedance.internal_inductance == pytest.approx(mu_0 / (8 * math.pi), rel=1e-12)


def test_round_wire_low_frequency_series():
    # From J0 and J1 power series: (z/2) J0/J1 = 1 - z^2/8 - z^4/192 - z^6/3072 + ...
    # with z^2 = -2j q^2 and q = a/delta, so R/R_dc = 1 + q^4/48 and L/(mu0/8pi) = 1 - q^4/96,
    # both with errors O(q^8). q = 0.3 exercises the Bessel-function branch.
    q = 0.3
    impedance = analytic.round_wire_impedance(WIRE_RADIUS, frequency_for_radius_over_depth(q), COPPER_CONDUCTIVITY)
    assert impedance.resistance / dc_resistance() == pytest.approx(1 + q**4 / 48, rel=1e-7)
    assert impedance.internal_inductance / (mu_0 / (8 * math.pi)) == pytest.approx(1 - q**4 / 96, rel=1e-7)


def test_round_wire_continuous_across_series_limit():
    # The series is used below a/delta = 0.1 and the Bessel functions above it.
    # A step of 2e-9 in a/delta changes R and L by less than 1e-13 relative.
    frequencies = [frequency_for_radius_over_depth(0.1 * (1 + step)) for step in (-1e-9, 1e-9)]
    below, above = (analytic.round_wire_impedance(WIRE_RADIUS, f, COPPER_CONDUCTIVITY) for f in frequencies)
    assert above.resistance == pytest.approx(below.resistance, rel=1e-12)
    assert above.internal_inductance == pytest.approx(below.internal_inductance, rel=1e-11)


def test_round_wire_high_frequency_asymptote():
    # For large a/delta the current flows in a surface layer one skin depth thick:
    # R' -> 1/(2 pi a delta sigma), and the internal reactance omega L' -> R'.
    q = 1e4
    frequency = frequency_for_radius_over_depth(q)
    delta = WIRE_RADIUS / q
    impedance = analytic.round_wire_impedance(WIRE_RADIUS, frequency, COPPER_CONDUCTIVITY)
    surface_resistance = 1.0 / (2 * math.pi * WIRE_RADIUS * delta * COPPER_CONDUCTIVITY)
    assert impedance.resistance == pytest.approx(surface_resistance, rel=1e-4)
    reactance = 2 * math.pi * frequency * impedance.internal_inductance
    assert reactance == pytest.approx(surface_resistance, rel=1e-4)


def test_round_wire_curvature_correction():
    # Hankel asymptotics J0/J1 ~ j (1 - j/(2z) - 3/(8 z^2)) with z = (1 - j) q give
    # R/R_dc = q/2 + 1/4 + 3/(32 q) + O(1/q^2) and X/R_dc = q/2 - 3/(32 q) + O(1/q^2).
    q = 50.0
    frequency = frequency_for_radius_over_depth(q)
    impedance = analytic.round_wire_impedance(WIRE_RADIUS, frequency, COPPER_CONDUCTIVITY)
    assert impedance.resistance / dc_resistance() == pytest.approx(q / 2 + 0.25 + 3 / (32 * q), rel=1e-5)
    reactance = 2 * math.pi * frequency * impedance.internal_inductance
    assert reactance / dc_resistance() == pytest.approx(q / 2 - 3 / (32 * q), rel=1e-4)


def test_round_wire_finite_at_extreme_frequency():
    impedance = analytic.round_wire_impedance(1e-2, 1e12, COPPER_CONDUCTIVITY)
    assert math.isfinite(impedance.resistance)
    assert math.isfinite(impedance.internal_inductance)


def test_round_wire_vectorised_over_frequency():
    frequencies = np.array([0.0, 1e3, 1e5, 1e7])
    impedance = analytic.round_wire_impedance(WIRE_RADIUS, frequencies, COPPER_CONDUCTIVITY)
    assert impedance.resistance.shape == (4,)
    assert np.all(np.diff(impedance.resistance) > 0)
    assert np.all(np.diff(impedance.internal_inductance) < 0)


def test_round_wire_rejects_invalid_input():
    with pytest.raises(ValueError):
        analytic.round_wire_impedance(0.0, 1e3, COPPER_CONDUCTIVITY)
    with pytest.raises(ValueError):
        analytic.round_wire_impedance(WIRE_RADIUS, -1.0, COPPER_CONDUCTIVITY)


# ---------------------------------------------------------------------------
# Gapped core


def test_gapped_core_ideal_core_without_fringing():
    # mu_r -> infinity: L = N^2 mu0 A / g = 100 * 1.2566371e-6 * 1e-4 / 1e-3 = 1.2566371e-5 H.
    inductance = analytic.gapped_core_inductance(10, 1e-4, 1e-3, 0.05, np.inf, fringing=None)
    assert inductance == pytest.approx(1.2566371e-5, rel=1e-7)


def test_gapped_core_mclyman_hand_value():
    # g + le/mu_r = 1e-3 + 0.05/2000 = 1.025e-3 m.
    # L0 = 100 * 1.2566371e-6 * 1e-4 / 1.025e-3 = 1.2259874e-5 H.
    # F = 1 + (1e-3 / sqrt(1e-4)) ln(2 * 0.01 / 1e-3) = 1 + 0.1 ln 20 = 1 + 0.1 * 2.9957323 = 1.2995732.
    # L = 1.2259874e-5 * 1.2995732 = 1.5932604e-5 H.
    inductance = analytic.gapped_core_inductance(10, 1e-4, 1e-3, 0.05, 2000, window_height=0.01)
    assert inductance == pytest.approx(1.5932604e-5, rel=1e-6)


def test_gapped_core_ungapped():
    # g = 0: L = N^2 mu0 mu_r A / le = 400 * 1.2566371e-6 * 2000 * 1e-4 / 0.05 = 2.0106193e-3 H.
    inductance = analytic.gapped_core_inductance(20, 1e-4, 0.0, 0.05, 2000, fringing=None)
    assert inductance == pytest.approx(2.0106193e-3, rel=1e-7)


@pytest.mark.parametrize(
    "keywords, message",
    [
        ({"window_height": None}, "window_height"),
        ({"window_height": 0.01, "fringing": "sullivan"}, "fringing"),
        ({"window_height": 1e-4}, "twice the window height"),
    ],
)
def test_gapped_core_rejects_bad_fringing_input(keywords, message):
    with pytest.raises(ValueError, match=message):
        analytic.gapped_core_inductance(10, 1e-4, 1e-3, 0.05, 2000, **keywords)


def test_gapped_core_rejects_zero_reluctance():
    with pytest.raises(ValueError, match="reluctance"):
        analytic.gapped_core_inductance(10, 1e-4, 0.0, 0.05, np.inf, fringing=None)


# ---------------------------------------------------------------------------
# Annulus


def test_ring_resistance_hand_value():
    # r_i = 5 mm, r_o = 10 mm, 35 um copper: 2 pi / (5.8e7 * 35e-6 * ln 2)
    # = 6.2831853 / (2030 * 0.6931472) = 6.2831853 / 1407.0888 = 4.465383e-3 ohm.
    assert analytic.ring_dc_resistance(5e-3, 10e-3, 35e-6, COPPER_CONDUCTIVITY) == pytest.approx(4.465383e-3, rel=1e-6)


def test_ring_resistance_thin_ring_tends_to_strip():
    # Width w << r: a straight strip of length 2 pi r and cross-section t w.
    radius, width, thickness = 0.01, 1e-5, 35e-6
    ring = analytic.ring_dc_resistance(radius - width / 2, radius + width / 2, thickness, COPPER_CONDUCTIVITY)
    strip = 2 * math.pi * radius / (COPPER_CONDUCTIVITY * thickness * width)
    assert ring == pytest.approx(strip, rel=1e-6)


def test_ring_resistance_matches_parallel_rings():
    # Conductance of concentric rings dr in parallel, each sigma t dr / (2 pi r), integrated numerically.
    r_inner, r_outer, thickness = 2e-3, 9e-3, 70e-6
    conductance, _ = integrate.quad(
        lambda r: COPPER_CONDUCTIVITY * thickness / (2 * math.pi * r), r_inner, r_outer, epsrel=1e-13
    )
    assert analytic.ring_dc_resistance(r_inner, r_outer, thickness, COPPER_CONDUCTIVITY) == pytest.approx(
        1.0 / conductance, rel=1e-11
    )


def test_ring_resistance_rejects_inverted_radii():
    with pytest.raises(ValueError, match="r_outer"):
        analytic.ring_dc_resistance(10e-3, 5e-3, 35e-6, COPPER_CONDUCTIVITY)
