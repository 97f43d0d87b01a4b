r"""Convergence studies: closed-form cases and the reference design under refinement.

Theory (a priori estimates for Lagrange elements of order p, with h the mesh size and
N ~ h⁻² the number of unknowns in 2-D):

- smooth solution, exact geometry (coaxial line): energy-type quantities (capacitance,
  inductance, loss) converge as O(h^{2p}) = O(N^{-p}), the square of the H¹ error;
- curved boundaries meshed by straight-sided triangles (spheres): the polygon's
  capacitance differs by O(h²), so the rate is 2 in h for p = 1 and p = 2;
- a 270° conductor corner: near it φ ~ ρ^λ with λ = π/(3π/2) = 2/3, so under uniform
  refinement energy quantities converge as O(h^{2λ}) = O(h^{4/3}) = O(N^{-2/3}) for
  either order. Adaptive refinement grades the mesh towards the corner and recovers
  O(N^{-p}) (P. Grisvard, Elliptic Problems in Nonsmooth Domains, 1985, and Dörfler
  1996, both cited from their standard form).

The reference design's copper tracks have 270° corners where they meet air, and corners
on a dielectric interface, whose exponent lies between 1/2 and 1 depending on the
permittivity ratio; the observed uniform rate is therefore expected near, not exactly
at, 4/3.

Rates are fitted by least squares of log|Q − Q_ref| against log h (or log N), with Q_ref
the Richardson extrapolation of the finest uniform P2 values, or the closed form where
one exists.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import tomllib

import numpy as np

from femstack.geometries.axisymmetric import build_axisymmetric_model
from femstack.geometries.mesher import RegionMesh, mesh_layout
from femstack.post import analytic
from femstack.solvers.common import make_basis
from femstack.solvers.electrostatic import maxwell_capacitance
from femstack.geometries import refinement
from femstack.validation import geometries

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class Study:
    """Values of several quantities on a sequence of meshes.

    ``method`` is ``"uniform"`` or ``"adaptive"``; ``sizes`` are mesh sizes h in m
    relative to the first mesh (uniform only, h halves per step); ``unknowns`` the
    number of degrees of freedom of the electrostatic problem.
    """

    name: str
    method: str
    order: int
    unknowns: list[int] = dataclasses.field(default_factory=list)
    sizes: list[float] = dataclasses.field(default_factory=list)
    values: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    seconds: list[float] = dataclasses.field(default_factory=list)

    def add(self, unknowns: int, size: float, values: dict[str, float], seconds: float) -> None:
        self.unknowns.append(int(unknowns))
        self.sizes.append(size)
        self.seconds.append(seconds)
        for key, value in values.items():
            self.values.setdefault(key, []).append(float(value))

    def rate_in_h(self, quantity: str, reference: float, last: int = 3) -> float:
        """Observed order in h over the last ``last`` meshes."""
        errors = np.array(self.values[quantity][-last:]) - reference
        return -refinement.observed_rate(1.0 / np.array(self.sizes[-last:]), errors)

    def rate_in_n(self, quantity: str, reference: float, last: int = 3) -> float:
        """Observed order in N (error ~ N^-rate) over the last ``last`` meshes."""
        errors = np.array(self.values[quantity][-last:]) - reference
        return -refinement.observed_rate(np.array(self.unknowns[-last:], dtype=float), errors)


# Closed-form case: coaxial line ----------------------------------------------------------


def coax_study(order: int, levels: int = 4, size: float = 0.5e-3) -> tuple[Study, float]:
    """Uniform refinement of the coaxial capacitor; returns the study and the exact C."""
    a, b, length = 1e-3, 3e-3, 2e-3
    exact = analytic.coaxial_capacitance(a, b, 2.0) * length
    base = geometries.coax(a, b, length, size)
    study = Study("coaxial line", "uniform", order)
    for level in range(levels):
        start = time.perf_counter()
        rm = refinement.refine_uniform(base, level)
        solution = maxwell_capacitance(rm, {"gap": 2.0}, {"inner": ["inner"], "outer": ["outer"]}, order=order)
        study.add(solution.basis.N, 0.5**level, {"C": solution.maxwell[0, 0]}, time.perf_counter() - start)
    return study, exact


def spheres_study(order: int, levels: int = 3, size: float = 0.2e-3) -> tuple[Study, float]:
    """Uniform refinement of the concentric spheres (polygonal boundary); returns study and exact C."""
    a, b = 1e-3, 2e-3
    exact = analytic.concentric_spheres_capacitance(a, b)
    study = Study("concentric spheres", "uniform", order)
    for level in range(levels):
        # Remeshing with h halved keeps the vertices on the circles, which refining
        # the first mesh would not (new midpoints lie on the chords).
        start = time.perf_counter()
        rm = geometries.concentric_spheres(a, b, size * 0.5**level)
        solution = maxwell_capacitance(rm, {"gap": 1.0}, {"inner": ["inner"], "outer": ["outer"]}, order=order)
        study.add(solution.basis.N, 0.5**level, {"C": solution.maxwell[0, 0]}, time.perf_counter() - start)
    return study, exact


# Eddy currents in Dowell's foil window -------------------------------------------------


def foil_study(order: int, levels: int = 4, sequence: str = "PPSS", ratio: float = 2.0) -> Study:
    """Uniform refinement of the foil window at Δ = h/δ = ``ratio``.

    Full-width foils in a closed high-µ frame have no re-entrant corner in the field
    region, so resistance factor, leakage and Z converge at 2p in h. The reference is
    the Richardson extrapolation of the finest values, because the closed forms (Dowell,
    1-D MMF) neglect the 1/r variation across the window, about 1 %.
    """
    from femstack.post import impedance as imp
    from femstack.solvers.eddy_current import EddyCurrentProblem

    thickness = 0.1e-3
    model = geometries.foil_window(sequence, thickness)
    base = model.region_mesh
    frequency = 1.0 / (np.pi * analytic.MU_0 * geometries.COPPER_CONDUCTIVITY * (thickness / ratio) ** 2)
    study = Study(f"foil window {sequence}, Δ = {ratio:g}", "uniform", order)
    for level in range(levels):
        start = time.perf_counter()
        rm = refinement.refine_uniform(base, level)
        problem = EddyCurrentProblem(rm, model.permeability, model.conductivity, model.windings, order=order)
        solution = problem.solve(frequency)
        losses = solution.region_losses([1.0, -1.0])
        primary = model.windings[0].turns
        values = {
            "F_R": 2.0 * sum(losses[t] for t in primary) / problem.dc_resistance()[0],
            "L_leak": imp.leakage_inductance(solution.impedance, frequency),
            "ImZ11": solution.impedance[0, 0].imag,
        }
        study.add(problem.basis.N, 0.5**level, values, time.perf_counter() - start)
    return study


# Corner singularity: a square ring in a grounded box -------------------------------------


def corner_layout(scale: float = 1.0):
    """Mesh a square copper ring (1 mm × 1 mm at r = 3 mm) inside a 6 mm × 6 mm grounded can.

    Both conductors are rectangles, so the ring has four 270° corners seen from the air,
    and the can's inner corners are 90° corners, which are harmless.
    """
    from femstack.geometries.shapes import Layout, Rect

    shapes = (
        Rect("ring", 2.5e-3, 3.5e-3, -0.5e-3, 0.5e-3, "copper", geometries.COPPER, priority=2),
        Rect("can", 0.0, 7e-3, -3.5e-3, 3.5e-3, "copper", geometries.COPPER, priority=0),
        Rect("inside", 0.0, 6e-3, -3e-3, 3e-3, "air", geometries.AIR, priority=1),
    )
    layout = Layout(shapes, (0.0, 7e-3, -3.5e-3, 3.5e-3), background="outside",
                    background_mesh_size=scale * 0.5e-3)
    return mesh_layout(layout)


def _corner_capacitance(rm: RegionMesh, order: int):
    return maxwell_capacitance(rm, {"inside": 1.0}, {"ring": ["ring"], "can": ["can"]}, order=order)


def corner_study(order: int, method: str, steps: int, scale: float = 1.0) -> Study:
    """Capacitance of the square ring under uniform or adaptive refinement."""
    rm = corner_layout(scale)
    study = Study("square ring in a can", method, order)
    for step in range(steps):
        start = time.perf_counter()
        if method == "uniform" and step:
            rm = refinement.refine_uniform(rm)
        solution = _corner_capacitance(rm, order)
        study.add(solution.basis.N, 0.5**step, {"C": solution.maxwell[0, 0]}, time.perf_counter() - start)
        if method == "adaptive":
            excluded = np.isin(rm.element_region, [rm.region_names.index(n) for n in ("ring", "can")])
            eps = np.full(rm.n_elements, analytic.EPSILON_0)
            eta = refinement.jump_indicators(solution.basis, solution.potentials[:, :1], eps, excluded)
            rm = refinement.refine_marked(rm, refinement.dorfler_marking(eta))
    return study


# Reference design ------------------------------------------------------------------------


def reference_design(size_factor: float = 2.0, pattern: str = "PSPS", order: int = 2):
    """Return (design, model, base mesh) of the reference design at ``size_factor``."""
    from femstack.design.loader import load_design, reference_design_path

    raw = tomllib.loads(reference_design_path().read_text())
    raw["mesh"] = {"size_factor": size_factor, "element_order": order}
    raw["excitation"]["frequencies"] = ["1 MHz"]
    design = load_design(raw).with_pattern(pattern)
    model = build_axisymmetric_model(design, pattern)
    return design, model, mesh_layout(model.layout)


def reference_quantities(design, model, rm: RegionMesh, order: int):
    """Solve the reference design on ``rm``; return (quantities, electrostatic solution, eddy solution).

    Quantities: a Maxwell-matrix diagonal entry (the first turn, core floating), the
    interwinding and effective CM capacitances, one terminal branch, Im Z11, Im Z12,
    |Z| entries, leakage and Rac per winding at 1 MHz.
    """
    from femstack.pipeline import _eddy_problem, _electrostatics, _frequency_result

    es, capacitance = _electrostatics(design, model, rm, order)
    problem = _eddy_problem(design, model, rm, order)
    frequency = design.excitation.frequencies[0]
    solution = problem.solve(frequency)
    result = _frequency_result(design, model, solution)
    z = result.impedance
    values = {
        "C_maxwell_11_pF": capacitance.turn_maxwell[0, 0] * 1e12,
        "C_interwinding_pF": capacitance.interwinding * 1e12,
        "C_cm_effective_pF": capacitance.common_mode * 1e12,
        "C[P.start|S.start]_pF": capacitance.branches["P.start|S.start"] * 1e12,
        "ImZ11_Ohm": z[0, 0].imag,
        "ImZ12_Ohm": z[0, 1].imag,
        "ReZ11_Ohm": z[0, 0].real,
        "L_leak_nH": result.leakage_inductance * 1e9,
    }
    for winding, value in result.ac_resistance.items():
        values[f"Rac_{winding}_mOhm"] = value * 1e3
    return values, es, solution


def reference_study(
    order: int, method: str, steps: int, size_factor: float = 2.0, pattern: str = "PSPS", theta: float = 0.8
) -> Study:
    """The reference design's quantities under uniform or adaptive refinement.

    ``theta`` is the Dörfler fraction of the adaptive steps. It is larger than the
    default 0.5 because the indicator of the many-corner stack concentrates on a few
    hundred triangles, so θ = 0.5 added only 2–5 % unknowns per step.
    """
    design, model, rm = reference_design(size_factor, pattern, order)
    study = Study(f"reference design {pattern}", method, order)
    for step in range(steps):
        start = time.perf_counter()
        if method == "uniform" and step:
            rm = refinement.refine_uniform(rm)
        values, es, solution = reference_quantities(design, model, rm, order)
        study.add(es.basis.N, 0.5**step, values, time.perf_counter() - start)
        logger.info("%s %s P%d step %d: %d unknowns, %.1f s", study.name, method, order, step, es.basis.N,
                    study.seconds[-1])
        if method == "adaptive" and step < steps - 1:
            eta = refinement.design_indicators(design, model, rm, es, solution)
            rm = refinement.refine_marked(rm, refinement.dorfler_marking(eta, theta))
    return study


def default_mesh_point(order: int = 2, pattern: str = "PSPS") -> tuple[int, dict[str, float]]:
    """Solve on the pipeline's default mesh (size_factor 1); return unknowns and values."""
    design, model, rm = reference_design(1.0, pattern, order)
    values, es, _ = reference_quantities(design, model, rm, order)
    return es.basis.N, values


def unknowns_of(rm: RegionMesh, order: int) -> int:
    """Return the number of Lagrange degrees of freedom of ``rm`` at ``order``."""
    return make_basis(rm, order).N
