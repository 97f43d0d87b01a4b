"""Closed-form validation cases: femstack's solvers against formulas with a named source.

Every case function takes ``scale`` (multiplies its element sizes; 1 is the default
mesh of the validation report, the unit tests use 2) and ``order`` (1 or 2) and
returns a list of :class:`CaseResult`, one per checked number. Each result carries the
reference value, the relative error, the tolerance that the case states at its default
mesh, and the formula's source. The closed forms come from
:mod:`femstack.post.analytic`, whose own tests check them against hand values and
series expansions.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
import tomllib

import numpy as np

from femstack.post import analytic
from femstack.solvers.eddy_current import EddyCurrentProblem, WindingCircuit, _flux_density
from femstack.solvers.electrostatic import maxwell_capacitance
from femstack.validation import geometries

logger = logging.getLogger(__name__)

MU_0 = analytic.MU_0


@dataclasses.dataclass(frozen=True)
class CaseResult:
    """One FEM number against its reference.

    ``tolerance`` is the largest relative error the case accepts at its default mesh
    (scale 1, quadratic elements); ``error`` is (fem − reference)/|reference|.
    """

    case: str
    parameter: str
    fem: float
    reference: float
    tolerance: float
    source: str
    unknowns: int = 0

    @property
    def error(self) -> float:
        return (self.fem - self.reference) / abs(self.reference)

    @property
    def passed(self) -> bool:
        return abs(self.error) <= self.tolerance


def frequency_for_skin_ratio(ratio: float, length: float) -> float:
    """Return the frequency in Hz at which length/δ = ratio in copper (δ = 1/√(πfµ0σ))."""
    depth = length / ratio
    return 1.0 / (math.pi * MU_0 * geometries.COPPER_CONDUCTIVITY * depth**2)


# Electrostatics --------------------------------------------------------------------------

COAX = (1e-3, 3e-3, 2e-3)  # inner radius, outer radius, length in m


def coaxial_line(scale: float = 1.0, order: int = 2) -> list[CaseResult]:
    """Coaxial capacitor, C = 2πε0εr·L/ln(b/a) (Gauss's law; Ramo, Whinnery and Van Duzer).

    Exact geometry and a smooth field: the P2 error is about 1e-5 at 0.2 mm elements.
    """
    a, b, length = COAX
    region_mesh = geometries.coax(a, b, length, 0.2e-3 * scale)
    solution = maxwell_capacitance(region_mesh, {"gap": 2.0}, {"inner": ["inner"], "outer": ["outer"]}, order=order)
    reference = 2.0 * analytic.coaxial_capacitance(a, b, 2.0) * length / 2.0
    return [CaseResult("coaxial line", "a = 1 mm, b = 3 mm, εr = 2", float(solution.maxwell[0, 0]), reference,
                       1e-4, "Gauss's law, C' = 2πε/ln(b/a)", solution.basis.N)]


SPHERES = (1e-3, 2e-3)


def concentric_spheres(scale: float = 1.0, order: int = 2) -> list[CaseResult]:
    """Concentric spheres, C = 4πε0·ab/(b − a) (Gauss's law; Jackson, Classical Electrodynamics).

    The straight-sided triangles turn the spheres into polygons, whose capacitance
    differs by O(h²) whatever the element order: −1.4e-3 (P2) at 0.1 mm elements.
    """
    a, b = SPHERES
    region_mesh = geometries.concentric_spheres(a, b, 0.05e-3 * scale)
    solution = maxwell_capacitance(region_mesh, {"gap": 1.0}, {"inner": ["inner"], "outer": ["outer"]}, order=order)
    reference = analytic.concentric_spheres_capacitance(a, b)
    return [CaseResult("concentric spheres", "a = 1 mm, b = 2 mm", float(solution.maxwell[0, 0]), reference,
                       1e-3, "Gauss's law, C = 4πε·ab/(b − a)", solution.basis.N)]


def parallel_plates(scale: float = 1.0, order: int = 2) -> list[CaseResult]:
    """Two circular plates with Kirchhoff's edge correction.

    C = ε0[πa²/d + a(ln(16πa/d) − 1)] (G. Kirchhoff, 1877, cited from its standard form),
    valid for thin plates with d ≪ a; for d/a = 0.1 it is within 1 % of the numerical
    solution of Love's integral equation (femstack's analytic tests). The plates here
    are 20 µm thick, which adds a little rim capacitance: tolerance 3 %.
    """
    radius, results = 10e-3, []
    for ratio in (0.05, 0.1):
        gap = ratio * radius
        region_mesh = geometries.parallel_plates(radius, gap, 20e-6, scale)
        conductors = {"top": ["top"], "bottom": ["bottom"]}
        permittivity = {"between": 1.0, "edge": 1.0, "air": 1.0}
        solution = maxwell_capacitance(region_mesh, permittivity, conductors, order=order)
        # The outer boundary has zero normal flux, so every field line from one plate ends
        # on the other: the charges are ±Q and C = −C12 = C11. The series formula
        # (C11·C22 − C12²)/(C11 + C22 + 2·C12) of a pair in open space is 0/0 here and
        # returns round-off (it moved by 0.7 % between two sparse solvers).
        two_terminal = -solution.maxwell[0, 1]
        reference = analytic.circular_plate_capacitance_kirchhoff(radius, gap)
        results.append(CaseResult("parallel plates (Kirchhoff)", f"d/a = {ratio:g}", float(two_terminal),
                                  reference, 0.03, "Kirchhoff 1877 edge correction", solution.basis.N))
    return results


# Eddy currents ---------------------------------------------------------------------------

WIRE_RADIUS, RING_RADIUS = 1e-3, 0.2


def round_wire(scale: float = 1.0, order: int = 2, ratios=(0.5, 1.0, 2.0, 5.0, 10.0)) -> list[CaseResult]:
    """Skin effect in a round wire: R/R_dc and internal inductance against Bessel functions.

    Z' = k/(2πaσ)·J0(ka)/J1(ka), k = (1 − j)/δ (S. Ramo, J. R. Whinnery, T. Van Duzer,
    Fields and Waves in Communication Electronics, 3rd ed., 1994). The axisymmetric
    model has no straight wire, so the wire is bent into a ring of radius R = 200a;
    curvature changes R and L_int by terms of order (a/R)² and, at a/δ = 10, by the
    current crowding towards the inside of the ring. The internal inductance is the field
    energy inside the wire, L_int = 4W_m,wire/|I|² per metre of ring, which is how the
    straight-wire formula defines it. One mesh (skin band δ/2·scale for the largest a/δ)
    serves every frequency.
    """
    a, radius = WIRE_RADIUS, RING_RADIUS
    depth = a / max(ratios)
    region_mesh = geometries.round_wire_ring(a, radius, scale * a / 8.0, scale * depth / 2.0)
    problem = EddyCurrentProblem(region_mesh, {}, {"wire": geometries.COPPER_CONDUCTIVITY},
                                 [WindingCircuit("W", ((("wire",),),))], order=order)
    dc = problem.dc_resistance()[0]
    wire_basis = problem.region_basis("wire")
    r = np.asarray(wire_basis.global_coordinates())[0]
    length = 2.0 * math.pi * radius
    results = []
    for ratio in ratios:
        frequency = frequency_for_skin_ratio(ratio, a)
        solution = problem.solve(frequency)
        z = solution.impedance[0, 0]
        b_r, b_z = _flux_density(wire_basis, solution.potential[:, 0])
        b_squared = np.abs(b_r) ** 2 + np.abs(b_z) ** 2
        energy = 0.25 / MU_0 * float(np.sum(b_squared * 2.0 * math.pi * r * wire_basis.dx))
        wire = analytic.round_wire_impedance(a, frequency, geometries.COPPER_CONDUCTIVITY)
        wire_dc = 1.0 / (math.pi * a**2 * geometries.COPPER_CONDUCTIVITY)
        source = "Bessel-function wire impedance (Ramo, Whinnery, Van Duzer)"
        results.append(CaseResult("round wire R/Rdc", f"a/δ = {ratio:g}", float(z.real / dc),
                                  float(wire.resistance / wire_dc), 0.005, source, problem.basis.N))
        results.append(CaseResult("round wire L_int", f"a/δ = {ratio:g}", 4.0 * energy / length,
                                  float(wire.internal_inductance), 0.01, source, problem.basis.N))
    return results


def _foil_problem(sequence: str, ratio: float, scale: float, order: int):
    thickness = 0.1e-3
    model = geometries.foil_window(sequence, scale * min(thickness / ratio, thickness) / 1.0)
    problem = EddyCurrentProblem(model.region_mesh, model.permeability, model.conductivity, model.windings,
                                 order=order)
    return model, problem, problem.solve(frequency_for_skin_ratio(ratio, thickness))


def dowell(scale: float = 1.0, order: int = 2, layers=(1, 2, 3, 4), ratios=(0.3, 1.0, 2.0, 5.0)) -> list[CaseResult]:
    """Dowell's AC-resistance factor per layer and per winding, m = 1..4 layers.

    F_R = Δ[ς1 + (2/3)(m² − 1)ς2] per winding and F_p = Δ[ς1 + 2(p² − p)ς2] for layer p
    counted from the MMF zero (P. L. Dowell, Proc. IEE 113(8), 1966, cited from its
    standard form). The window P^m S^m with P = +1 A, S = −1 A, full-width 0.1 mm foils in
    a µr = 1e5 frame. The 1/r variation of the field across the 2 mm window at r = 50 mm
    and the finite frame permeability stay within the 2 % tolerance.
    """
    results = []
    for m, ratio in itertools.product(layers, ratios):
        model, problem, solution = _foil_problem("P" * m + "S" * m, ratio, scale, order)
        losses = solution.region_losses([1.0, -1.0])
        dc = problem.dc_resistance()
        source = "Dowell 1966"
        winding = model.windings[0]
        factor = 2.0 * sum(losses[t] for t in winding.turns) / dc[0]
        results.append(CaseResult("Dowell F_R per winding", f"m = {m}, Δ = {ratio:g}", factor,
                                  analytic.dowell_resistance_factor(ratio, m), 0.02, source, problem.basis.N))
        # Foil p of the primary, counted from the bottom where the MMF is zero.
        layer_dc = dc[0] / m
        expected = analytic.dowell_layer_factors(ratio, m)
        for p, turn in enumerate(winding.turns):
            results.append(CaseResult("Dowell F_p per layer", f"m = {m}, Δ = {ratio:g}, p = {p + 1}",
                                      2.0 * losses[turn] / layer_dc, float(expected[p]), 0.02, source,
                                      problem.basis.N))
    return results


def interleaving_orders(layers: int) -> list[str]:
    """Return every order of layers/2 P and layers/2 S foils, one of each mirror pair and P/S swap."""
    seen, orders = set(), []
    for positions in itertools.combinations(range(layers), layers // 2):
        order = "".join("P" if i in positions else "S" for i in range(layers))
        swapped = order.translate(str.maketrans("PS", "SP"))
        variants = {order, order[::-1], swapped, swapped[::-1]}
        if not variants & seen:
            orders.append(order)
        seen |= variants
    return orders


def mmf_leakage(scale: float = 1.0, order: int = 2, layer_counts=(4, 8)) -> list[CaseResult]:
    """1-D MMF leakage inductance for every interleaving order of 4 and 8 foil layers.

    L = 2πµ0/ln(r_o/r_i)·∫F(z)²dz/I² for a radial field in an axisymmetric window
    (the MMF method of Dowell 1966 and of McLyman's handbook, cited from their standard
    form). The FEM value is the field energy, L = 4W_m/|I|², with I_P = −I_S = 1 A at
    Δ = 0.1, where eddy currents change the energy by order Δ⁴. Tolerance 1 %.
    """
    results = []
    thickness, spacing = 0.1e-3, 0.05e-3
    for count in layer_counts:
        for sequence in interleaving_orders(count):
            model, problem, solution = _foil_problem(sequence, 0.1, 2.0 * scale, order)
            _, energy = solution.magnetic_loss_and_energy([1.0, -1.0])
            # Each foil carries the winding current: +1 A (P) or −1 A (S) per foil.
            stack = [(thickness, 1.0 if w == "P" else -1.0) for w in sequence]
            reference = analytic.mmf_leakage_axisymmetric(stack, [spacing] * (count - 1), model.r_inner,
                                                          model.r_outer, 1.0)
            results.append(CaseResult(f"MMF leakage, {count} layers", sequence, 4.0 * energy, reference, 0.01,
                                      "1-D MMF method (Dowell 1966)", problem.basis.N))
    return results


def gapped_core(scale: float = 1.0, order: int = 2, gaps=(0.5e-3, 1.0e-3)) -> list[CaseResult]:
    """Gapped pot core against the reluctance model with McLyman's fringing factor.

    L = N²µ0A_e·F/(g + l_e/µr), F = 1 + (g/√A_e)·ln(2G/g) (C. W. T. McLyman, Transformer
    and Inductor Design Handbook, 4th ed., 2011, cited from its standard form). The
    factor is empirical; the tolerance is 5 %.
    """
    results = []
    for gap in gaps:
        model = geometries.pot_core(gap, 2000.0, scale)
        problem = EddyCurrentProblem(model.region_mesh, model.permeability, model.conductivity, model.windings,
                                     order=order)
        solution = problem.solve(50.0)
        inductance = solution.impedance[0, 0].imag / solution.omega
        turns = len(model.windings[0].turns)
        reference = analytic.gapped_core_inductance(turns, model.effective_area, gap, model.effective_length,
                                                    2000.0, model.window_height)
        results.append(CaseResult("gapped pot core", f"g = {gap * 1e3:g} mm", float(inductance), reference,
                                  0.05, "McLyman fringing factor", problem.basis.N))
    return results


def facing_layers_design(size_factor: float = 1.0, order: int = 2) -> dict:
    """Return the raw design of two facing 8-turn layers, P over S, 50 µm of FR4 apart.

    The reference design's E core with a two-layer stack-up of 35 µm copper and 1 mm
    traces, so the layers are wide against their gap and the parallel-plate model holds.
    """
    from femstack.design.loader import reference_design_path

    raw = tomllib.loads(reference_design_path().read_text())
    raw["stackup"] = {
        "copper_thickness": ["35 um", "35 um"],
        "dielectric_thickness": ["0.05 mm"],
        "dielectric_permittivity": [4.4],
        "clearance": "0.4 mm",
    }
    winding = {"turns": 8, "turns_per_layer": 8, "trace_width": "1 mm", "spacing": "0.05 mm"}
    raw["windings"] = [{"name": "P", **winding}, {"name": "S", **winding}]
    raw["arrangement"] = {"patterns": ["PS"]}
    raw["excitation"] = {"frequencies": ["100 kHz"], "currents": {"P": "1 A", "S": "1 A"}}
    raw["mesh"] = {"size_factor": size_factor, "element_order": order}
    return raw


def facing_layers(scale: float = 1.0, order: int = 2) -> list[CaseResult]:
    """Six terminal capacitances of two facing 8-turn layers with linear potentials.

    With turn k at the fraction f_k = (k + ½)/8 of its winding's voltage and c_k the
    parallel-plate capacitance of facing pair k (c_k ∝ r_k), the energy ½Σc_k(V_Pk − V_Sk)²
    gives C(Ps,Ss) = Σc_k(1 − f_k)², C(Pe,Se) = Σc_k f_k², C(Ps,Se) = C(Pe,Ss) = Σc_k f_k(1 − f_k)
    and C(Ps,Pe) = C(Ss,Se) = −Σc_k f_k(1 − f_k), which for equal c_k are C0/3, C0/3,
    C0/6, C0/6, −C0/6, −C0/6 (W = (C0/6)(Δa² + ΔaΔb + Δb²), the linear-potential energy
    of two facing layers). Ratios to the FEM static capacitance C0; tolerance 2 %.
    """
    from femstack.design.loader import load_design
    from femstack.pipeline import compare

    result = compare(load_design(facing_layers_design(scale, order))).results[0]

    primary = {t.position: t for t in result.model.turns["P"]}
    n = len(primary)
    weight = np.array([primary[k].r_inner + primary[k].r_outer for k in range(n)])
    weight = weight / weight.sum()
    f = (np.arange(n) + 0.5) / n
    cross = float((weight * f * (1 - f)).sum())
    expected = {
        "P.start|S.start": float((weight * (1 - f) ** 2).sum()),
        "P.end|S.end": float((weight * f**2).sum()),
        "P.start|S.end": cross,
        "P.end|S.start": cross,
        "P.start|P.end": -cross,
        "S.start|S.end": -cross,
    }
    cap = result.capacitance
    return [
        CaseResult("facing layers C/C0", pair, cap.branches[pair] / cap.interwinding, value, 0.02,
                   "linear-potential energy W = (C0/6)(Δa² + ΔaΔb + Δb²)", result.electrostatic.basis.N)
        for pair, value in expected.items()
    ]


#: Every case, in report order.
CASES = {
    "coaxial_line": coaxial_line,
    "concentric_spheres": concentric_spheres,
    "parallel_plates": parallel_plates,
    "facing_layers": facing_layers,
    "round_wire": round_wire,
    "dowell": dowell,
    "mmf_leakage": mmf_leakage,
    "gapped_core": gapped_core,
}
