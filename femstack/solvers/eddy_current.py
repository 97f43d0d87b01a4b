r"""Time-harmonic eddy currents with solid conductors, axisymmetric A-formulation.

Phasors are peak amplitudes with the time factor :math:`e^{j\omega t}`. The unknown is
the azimuthal magnetic vector potential :math:`A = A_\varphi(r, z)`, with

.. math::  B_r = -\frac{\partial A}{\partial z},\qquad
           B_z = \frac{1}{r}\frac{\partial (rA)}{\partial r}
               = \frac{\partial A}{\partial r} + \frac{A}{r}.

Strong form: :math:`\nabla\times(\nu\nabla\times A) = J` with, inside solid turn k,

.. math::  J = \sigma\Bigl(-j\omega A + \frac{U_k}{2\pi r}\Bigr),

where U_k is the voltage drop along turn k, and :math:`J = -j\omega\sigma A` in other
conducting regions (the ferrite). Weak form with the measure 2πr dr dz:

.. math::  \int \nu\Bigl[B_z(A)B_z(v) + B_r(A)B_r(v)\Bigr] 2\pi r
           + j\omega\int\sigma A v\,2\pi r - \sum_k U_k\int_{\Omega_k}\sigma v\,dr\,dz = 0.

Each turn adds one unknown U_k and one equation, its total current
(integrated over dr dz, with no r weight):

.. math::  I_k = -j\omega\int_{\Omega_k}\sigma A\,dr\,dz + G_k U_k,
           \qquad G_k = \int_{\Omega_k}\frac{\sigma}{2\pi r}\,dr\,dz,

where 1/G_k is the DC resistance of the ring. Turns in series carry one string current;
strings (layers) in parallel share one voltage and split the group current by
themselves. A = 0 on the symmetry axis and on the outer boundary (far field).

The result is a bordered sparse system, factorized once per frequency and solved for a
unit current in each winding, which gives the winding impedance matrix column by column.
Total copper loss equals the input power :math:`\sum_w \tfrac12\mathrm{Re}(V_w I_w^*)`;
the loss of a single turn is not :math:`\tfrac12\mathrm{Re}(U_k I_k^*)` because field
energy flows between turns.

References: P. Dular et al., "A general environment for the treatment of discrete
problems and its application to coupled finite element and boundary integral methods",
IEEE Trans. Magn. 36(4), 2000 (solid conductors with circuit coupling); J. Lammeraner
and M. Štafl, *Eddy Currents*, 1966 (axisymmetric A_φ).
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
import scipy.constants
import scipy.sparse as sp
from skfem import BilinearForm, asm

from femstack.errors import SolverError
from femstack.geometries.mesher import RegionMesh
from femstack.solvers.linear import LinearSolver
from femstack.solvers.common import centroid_basis, make_basis, per_quadrature_point

logger = logging.getLogger(__name__)

MU_0 = scipy.constants.mu_0


@dataclasses.dataclass(frozen=True)
class WindingCircuit:
    """Series and parallel connection of the turns of one winding.

    ``groups`` are connected in series and each carries the winding current. A group is
    a tuple of parallel strings; a string is a tuple of turn region names in series.
    A plain series winding is one group per layer, each with one string.
    """

    name: str
    groups: tuple[tuple[tuple[str, ...], ...], ...]

    @property
    def turns(self) -> list[str]:
        """Every turn region name of the winding."""
        return [t for group in self.groups for string in group for t in string]


@dataclasses.dataclass
class _Operators:
    """Frequency-independent pieces of the system, assembled once per mesh."""

    basis: object
    stiffness: sp.csr_matrix  # ∫ ν (B(A)·B(v)) 2πr, complex when µ is
    mass: sp.csr_matrix  # ∫ σ A v 2πr
    coupling: sp.csr_matrix  # columns b_k = ∫_turn σ v dr dz
    conductance: np.ndarray  # G_k, S
    free: np.ndarray
    sigma: np.ndarray  # S/m per element
    element_turn: np.ndarray  # index into the turn list per element, -1 outside turns


class EddyCurrentProblem:
    """Assembled eddy-current model of one mesh; solve it at any frequency.

    Parameters
    ----------
    region_mesh
        Axisymmetric mesh with named regions.
    permeability
        Relative permeability per region (complex µ' − jµ'' allowed); missing regions
        default to 1.
    conductivity
        Conductivity per region in S/m; missing regions are insulators.
    windings
        Circuit description of every winding; each turn region must be conducting.
    order
        Lagrange element order, 1 or 2.
    solver
        Sparse direct solver name (see :mod:`femstack.solvers.linear`).

    Attributes
    ----------
    timings
        Seconds spent so far in ``assembly``, ``factorization``, ``solves`` and
        ``post_processing`` (the last one filled in by the solution's methods).
    """

    def __init__(
        self,
        region_mesh: RegionMesh,
        permeability: dict[str, complex],
        conductivity: dict[str, float],
        windings: list[WindingCircuit],
        *,
        order: int = 2,
        solver: str = "superlu",
    ) -> None:
        if not region_mesh.layout.axisymmetric:
            raise SolverError("the eddy-current solver supports axisymmetric models only")
        self.region_mesh = region_mesh
        self.windings = list(windings)
        self.order = order
        self.turns = [t for w in self.windings for t in w.turns]
        if len(set(self.turns)) != len(self.turns):
            raise SolverError("a turn region appears in more than one winding or string")
        for turn in self.turns:
            value = conductivity.get(turn, 0.0)
            if not value > 0.0:
                raise SolverError(
                    f"turn region {turn!r} has conductivity {value} S/m; a solid conductor "
                    "needs a positive conductivity"
                )
        self.permeability = permeability
        self.conductivity = conductivity
        self.timings = {"assembly": 0.0, "factorization": 0.0, "solves": 0.0, "post_processing": 0.0}
        self._linear = LinearSolver(solver)
        self._region_bases: dict[str, object] = {}
        start = time.perf_counter()
        self._ops = self._assemble()
        self._circuit = self._circuit_matrices()
        self.timings["assembly"] += time.perf_counter() - start

    def region_basis(self, name: str):
        """Return the basis restricted to region ``name`` (built once, then reused)."""
        if name not in self._region_bases:
            rm = self.region_mesh
            self._region_bases[name] = make_basis(rm, self.order, elements=rm.elements(name))
        return self._region_bases[name]

    @property
    def basis(self):
        """Basis of the whole mesh."""
        return self._ops.basis

    def __getstate__(self) -> dict:
        # Caches are rebuilt on demand, so results sent between processes stay small.
        state = dict(self.__dict__)
        for cache in ("_parts", "_centroid_basis"):
            state.pop(cache, None)
        state["_region_bases"] = {}
        return state

    @property
    def centroid_basis(self):
        """Basis with one quadrature point per element centroid (built once, then reused)."""
        if not hasattr(self, "_centroid_basis"):
            self._centroid_basis = centroid_basis(self._ops.basis)
        return self._centroid_basis

    # Assembly -------------------------------------------------------------------------

    def _assemble(self) -> _Operators:
        start = time.perf_counter()
        rm = self.region_mesh
        basis = make_basis(rm, self.order)
        mu = rm.element_values({n: complex(self.permeability.get(n, 1.0)) for n in rm.region_names})
        nu = 1.0 / (MU_0 * mu)
        sigma = rm.element_values({n: self.conductivity.get(n, 0.0) for n in rm.region_names}).real

        @BilinearForm
        def curl_curl(u, v, w):
            r = w.x[0]
            bz_u = u.grad[0] + u / r
            bz_v = v.grad[0] + v / r
            return w.nu * (bz_u * bz_v + u.grad[1] * v.grad[1]) * 2.0 * np.pi * r

        @BilinearForm
        def conductivity_mass(u, v, w):
            return w.sigma * u * v * 2.0 * np.pi * w.x[0]

        K = asm(curl_curl, basis, nu=per_quadrature_point(basis, nu.real))
        if np.any(nu.imag != 0.0):
            K = K + 1j * asm(curl_curl, basis, nu=per_quadrature_point(basis, nu.imag))
        M = asm(conductivity_mass, basis, sigma=per_quadrature_point(basis, sigma))

        # Turn columns b_k = ∫_turn σ v dr dz and G_k = ∫_turn σ/(2πr) dr dz, from the
        # element-local integrals of the whole basis scattered by turn (no loop over turns).
        turn_of_region = {name: k for k, name in enumerate(self.turns)}
        element_turn = np.array([turn_of_region.get(n, -1) for n in rm.region_names])[rm.element_region]
        in_turn = np.flatnonzero(element_turn >= 0)
        dx = basis.dx[in_turn]  # quadrature weight × Jacobian, (elements, points)
        r = np.asarray(basis.mapping.F(basis.X))[0][in_turn]
        sigma_q = sigma[in_turn][:, None]
        local = np.stack([np.sum(sigma_q * np.asarray(phi[0])[in_turn] * dx, axis=1) for phi in basis.basis])
        dofs = basis.element_dofs[:, in_turn]
        turn_columns = np.broadcast_to(element_turn[in_turn], dofs.shape)
        coupling = sp.csr_matrix(
            (local.ravel(), (dofs.ravel(), turn_columns.ravel())), shape=(basis.N, len(self.turns))
        )
        conductance = np.bincount(
            element_turn[in_turn],
            weights=np.sum(sigma_q / (2.0 * np.pi * r) * dx, axis=1),
            minlength=len(self.turns),
        )

        dirichlet = np.union1d(
            basis.get_dofs(rm.axis_facets()).flatten(), basis.get_dofs(rm.outer_facets()).flatten()
        )
        free = np.setdiff1d(np.arange(basis.N), dirichlet)
        logger.info(
            "eddy current: assembled %d dofs (%d free), %d turns, P%d in %.2f s",
            basis.N,
            len(free),
            len(self.turns),
            self.order,
            time.perf_counter() - start,
        )
        return _Operators(basis, K.tocsr(), M.tocsr(), coupling, conductance, free, sigma, element_turn)

    def _circuit_matrices(self):
        """String incidence and the circuit rows (voltage equalities and current sums)."""
        turn_index = {t: i for i, t in enumerate(self.turns)}
        strings = [
            (w_index, g_index, string)
            for w_index, w in enumerate(self.windings)
            for g_index, group in enumerate(w.groups)
            for string in group
        ]
        nt, ns, nw = len(self.turns), len(strings), len(self.windings)
        incidence = np.zeros((nt, ns))  # turn k carries the current of string s
        for s, (_, _, string) in enumerate(strings):
            for turn in string:
                incidence[turn_index[turn], s] = 1.0

        voltage_rows, current_rows, rhs = [], [], []
        for w_index, w in enumerate(self.windings):
            for g_index, group in enumerate(w.groups):
                members = [s for s, (wi, gi, _) in enumerate(strings) if (wi, gi) == (w_index, g_index)]
                first = members[0]
                for other in members[1:]:
                    row = incidence[:, other] - incidence[:, first]
                    voltage_rows.append(row)
                    current_rows.append(np.zeros(ns))
                    rhs.append(np.zeros(nw))
                row = np.zeros(ns)
                row[members] = 1.0
                voltage_rows.append(np.zeros(nt))
                current_rows.append(row)
                e = np.zeros(nw)
                e[w_index] = 1.0
                rhs.append(e)

        # Winding voltage = sum over series groups of the first string's turn voltages.
        voltage_map = np.zeros((nw, nt))
        for w_index, w in enumerate(self.windings):
            for group in w.groups:
                for turn in group[0]:
                    voltage_map[w_index, turn_index[turn]] = 1.0
        return {
            "incidence": incidence,
            "voltage_rows": np.array(voltage_rows).reshape(-1, nt),
            "current_rows": np.array(current_rows).reshape(-1, ns),
            "rhs": np.array(rhs).reshape(-1, nw),
            "voltage_map": voltage_map,
        }

    # Solution -------------------------------------------------------------------------

    def dc_resistance(self) -> np.ndarray:
        """Return each winding's DC resistance in Ω from the ring conductances G_k."""
        resistance = 1.0 / self._ops.conductance
        index = {t: i for i, t in enumerate(self.turns)}
        values = []
        for w in self.windings:
            total = 0.0
            for group in w.groups:
                string_r = [sum(resistance[index[t]] for t in string) for string in group]
                total += 1.0 / sum(1.0 / r for r in string_r)
            values.append(total)
        return np.array(values)

    def system_parts(self) -> tuple[sp.csc_matrix, sp.csc_matrix, sp.csc_matrix, np.ndarray]:
        r"""Return (P0, P1, P2, b): the bordered system is (P0 + jω P1 + P2/(jω)) x = b.

        x = [A on the free dofs; U_k per turn; string currents], b the unit winding
        currents, one column per winding. Every frequency's system has the same
        sparsity pattern, which the fast sweep and the symbolic reuse rely on.
        """
        ops, circ = self._ops, self._circuit
        free = ops.free
        nf, nt = len(free), len(self.turns)
        ns = circ["incidence"].shape[1]
        K = ops.stiffness[free][:, free]
        M = ops.mass[free][:, free]
        B = ops.coupling[free]
        G = sp.diags(ops.conductance)
        E = sp.csr_matrix(circ["incidence"])
        # Turn rows are divided by -jω so the field-turn blocks are symmetric (-B, -Bᵀ).
        zero_nf = sp.csr_matrix((nf, nf))
        P0 = sp.bmat(
            [
                [K, -B, None],
                [-B.T, None, None],
                [None, sp.csr_matrix(circ["voltage_rows"]), sp.csr_matrix(circ["current_rows"])],
            ],
            format="csc",
        )
        P1 = sp.bmat([[M, None], [None, sp.csr_matrix((nt + ns, nt + ns))]], format="csc")
        P2 = sp.bmat([[zero_nf, None, None], [None, G, -E], [None, None, sp.csr_matrix((ns, ns))]], format="csc")
        rhs = np.zeros((nf + nt + ns, len(self.windings)), dtype=complex)
        rhs[nf + nt :] = circ["rhs"]
        return P0, P1, P2, rhs

    def _system(self, omega: float) -> tuple[sp.csc_matrix, np.ndarray]:
        if not hasattr(self, "_parts"):
            self._parts = self.system_parts()
        P0, P1, P2, rhs = self._parts
        return (P0 + (1j * omega) * P1 + P2 / (1j * omega)).tocsc(), rhs

    def solve(self, frequency: float) -> "EddyCurrentSolution":
        """Solve for a 1 A peak current in each winding in turn at ``frequency`` (Hz)."""
        if not frequency > 0.0:
            raise SolverError(f"frequency must be positive, got {frequency} Hz")
        start = time.perf_counter()
        omega = 2.0 * np.pi * frequency
        system, rhs = self._system(omega)
        self.timings["assembly"] += time.perf_counter() - start

        factor_start = time.perf_counter()
        try:
            lu = self._linear.factorize(system)
        except RuntimeError as error:
            raise SolverError(f"the eddy-current system at {frequency:g} Hz is singular: {error}") from error
        self.timings["factorization"] += time.perf_counter() - factor_start
        solve_start = time.perf_counter()
        x = lu.solve(rhs)
        self.timings["solves"] += time.perf_counter() - solve_start
        logger.info(
            "eddy current: %.4g Hz, system %d x %d solved in %.2f s",
            frequency,
            system.shape[0],
            system.shape[1],
            time.perf_counter() - start,
        )
        return self.solution_from_vector(frequency, x)

    def solution_from_vector(self, frequency: float, x: np.ndarray) -> "EddyCurrentSolution":
        """Wrap the solution x of the bordered system (one column per winding)."""
        ops, circ = self._ops, self._circuit
        free = ops.free
        nf, nt = len(free), len(self.turns)
        potential = np.zeros((ops.basis.N, len(self.windings)), dtype=complex)
        potential[free] = x[:nf]
        turn_voltage = x[nf : nf + nt]
        string_current = x[nf + nt :]
        impedance = circ["voltage_map"] @ turn_voltage
        return EddyCurrentSolution(
            problem=self,
            frequency=frequency,
            impedance=impedance,
            potential=potential,
            turn_voltage=turn_voltage,
            turn_current=circ["incidence"] @ string_current,
        )


@dataclasses.dataclass
class EddyCurrentSolution:
    """Fields and circuit quantities for a unit current in each winding.

    Column w of every array belongs to 1 A peak in winding w, 0 A in the others.
    Any set of winding currents is a linear combination (:meth:`combine`).

    Attributes
    ----------
    impedance
        Winding impedance matrix Z in Ω, V = Z I (peak phasors).
    potential
        Nodal A_φ in Wb/m, one column per unit excitation.
    turn_voltage, turn_current
        U_k in V and I_k in A per turn and excitation.
    """

    problem: EddyCurrentProblem
    frequency: float
    impedance: np.ndarray
    potential: np.ndarray
    turn_voltage: np.ndarray
    turn_current: np.ndarray

    @property
    def omega(self) -> float:
        """Angular frequency in rad/s."""
        return 2.0 * np.pi * self.frequency

    def combine(self, currents) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (A, U, I_turn) for winding current phasors ``currents`` (A peak)."""
        c = np.asarray(currents, dtype=complex)
        return self.potential @ c, self.turn_voltage @ c, self.turn_current @ c

    def region_losses(self, currents) -> dict[str, float]:
        r"""Return the time-averaged ohmic loss per conducting region in W.

        :math:`P = \int |J|^2/(2\sigma)\,2\pi r\,dr\,dz` with peak phasors, evaluated
        at the quadrature points of every conducting element at once and summed per
        region.
        """
        start = time.perf_counter()
        problem = self.problem
        ops = problem._ops
        rm = problem.region_mesh
        A, U, _ = self.combine(currents)
        elements = np.flatnonzero(ops.sigma > 0.0)
        basis = ops.basis
        a = _interpolate(basis, A, elements)
        r = np.asarray(basis.mapping.F(basis.X))[0][elements]
        sigma = ops.sigma[elements][:, None]
        J = -1j * self.omega * sigma * a
        turn = ops.element_turn[elements]
        inside = turn >= 0
        J[inside] += sigma[inside] * U[turn[inside]][:, None] / (2.0 * np.pi * r[inside])
        per_element = np.sum(np.abs(J) ** 2 / (2.0 * sigma) * 2.0 * np.pi * r * basis.dx[elements], axis=1)
        per_region = np.bincount(rm.element_region[elements], weights=per_element, minlength=len(rm.region_names))
        losses = {
            name: float(per_region[i])
            for i, name in enumerate(rm.region_names)
            if problem.conductivity.get(name, 0.0) > 0.0
        }
        problem.timings["post_processing"] += time.perf_counter() - start
        return losses

    def magnetic_loss_and_energy(self, currents) -> tuple[float, float]:
        r"""Return (magnetic loss in W, time-averaged magnetic energy in J).

        From the complex Poynting theorem with ν = 1/µ: :math:`P_m = \tfrac{\omega}{2}
        \int \mathrm{Im}(\nu)|B|^2 dV` (zero for real µ) and :math:`W_m = \tfrac14\int
        \mathrm{Re}(\nu)|B|^2 dV`. Both integrals are quadratic forms of the assembled
        curl-curl matrix K = K' + jK'' (K' from Re ν, K'' from Im ν): ∫Re(ν)|B|² dV = Aᴴ K' A.
        """
        start = time.perf_counter()
        problem = self.problem
        A, _, _ = self.combine(currents)
        K = problem._ops.stiffness
        energy = 0.25 * float(np.real(np.vdot(A, K.real @ A)))
        loss = 0.5 * self.omega * float(np.real(np.vdot(A, K.imag @ A))) if np.iscomplexobj(K.data) else 0.0
        problem.timings["post_processing"] += time.perf_counter() - start
        return loss, energy

    def input_power(self, currents) -> complex:
        """Return the complex input power S = Σ ½ V_w I_w* in VA (peak phasors)."""
        c = np.asarray(currents, dtype=complex)
        return complex(0.5 * np.sum((self.impedance @ c) * np.conj(c)))

    def flux_density(self, currents) -> tuple[np.ndarray, np.ndarray]:
        """Return complex (B_r, B_z) in T at each element's centroid (for plots and VTU)."""
        problem = self.problem
        A, _, _ = self.combine(currents)
        br, bz = _flux_density(problem.centroid_basis, A)
        return br[:, 0], bz[:, 0]

    def current_density(self, currents) -> np.ndarray:
        """Return the complex J_φ in A/m² at each element's centroid (for plots and VTU).

        J = σ(−jωA + U_k/(2πr)) in turn k and −jωσA in other conducting regions.
        """
        problem = self.problem
        rm = problem.region_mesh
        A, U, _ = self.combine(currents)
        basis = problem.centroid_basis
        a = _at_quadrature(basis, A)[:, 0]
        r = np.asarray(basis.global_coordinates())[0][:, 0]
        sigma = rm.element_values({n: problem.conductivity.get(n, 0.0) for n in rm.region_names}).real
        J = -1j * self.omega * sigma * a
        for k, turn in enumerate(problem.turns):
            elements = rm.elements(turn)
            J[elements] += sigma[elements] * U[k] / (2.0 * np.pi * r[elements])
        return J


def _interpolate(basis, x: np.ndarray, elements: np.ndarray) -> np.ndarray:
    """Values of the nodal vector ``x`` at the quadrature points of ``elements``.

    The same sum over local basis functions as ``basis.interpolate``, restricted to some
    elements and without its per-call index bookkeeping.
    """
    dofs = basis.element_dofs[:, elements]
    values = np.zeros((len(elements), basis.X.shape[1]), dtype=x.dtype)
    for i, phi in enumerate(basis.basis):
        values += x[dofs[i]][:, None] * np.asarray(phi[0])[elements]
    return values


def _at_quadrature(basis, x: np.ndarray) -> np.ndarray:
    return np.asarray(basis.interpolate(x.real)) + 1j * np.asarray(basis.interpolate(x.imag))


def _flux_density(basis, A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Complex (B_r, B_z) at the quadrature points of ``basis``."""
    re, im = basis.interpolate(A.real), basis.interpolate(A.imag)
    r = np.asarray(basis.global_coordinates())[0]
    br = -(re.grad[1] + 1j * im.grad[1])
    bz = re.grad[0] + 1j * im.grad[0] + (np.asarray(re) + 1j * np.asarray(im)) / r
    return br, bz
