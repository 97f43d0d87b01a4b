r"""Fast frequency sweep of the eddy-current system by a reduced-order model.

The bordered system of :class:`~femstack.solvers.eddy_current.EddyCurrentProblem` is
affine in s = jω and 1/s:

.. math::  A(s)\,x(s) = \bigl(P_0 + s P_1 + s^{-1} P_2\bigr)\,x(s) = b,

with P_0 the curl-curl and circuit blocks, P_1 the conductivity mass and P_2 the turn
conductances and string incidence (see :meth:`EddyCurrentProblem.system_parts`).

Projection basis (multi-point moment matching). Multiplied by s, the system is
quadratic in s: Q(s) x(s) = s b with Q(s) = P_2 + s P_0 + s^2 P_1. At an expansion point
s_0, with s = s_0 + ρt and ρ = |s_0| so that the coefficients stay of similar size, one
factorization of A(s_0) = Q(s_0)/s_0 gives the Taylor coefficients of
x(s) = Σ_j t^j c_j by back-substitutions only. Comparing powers of t in
Q(s_0 + ρt) = s_0 A(s_0) + ρt Q_1 + ρ^2 t^2 P_1 gives the three-term recurrence

.. math::  A(s_0) c_0 = b,\qquad
           A(s_0) c_1 = \tfrac{\rho}{s_0}\bigl(b - Q_1 c_0\bigr),\qquad
           A(s_0) c_j = -\tfrac{\rho}{s_0}\bigl(Q_1 c_{j-1} + \rho P_1 c_{j-2}\bigr),
           \qquad Q_1 = P_0 + 2 s_0 P_1 .

A back-substitution costs about 5 % of a factorization on the reference design, so
every point matches q = 8 coefficients by default.

The real and imaginary parts of the field rows of c_0 … c_{q−1} (one column per
winding) from every expansion point are orthonormalized into a real basis V_A. The
circuit unknowns (turn voltages, string currents) are few and kept as they are, so
V = diag(V_A, I). Keeping them apart also keeps the field part, which is orders of
magnitude smaller in SI units than the currents, from being lost in the
orthogonalization. The reduced model is the Galerkin projection

.. math::  \bigl(V^{\mathsf T} P_0 V + s\,V^{\mathsf T} P_1 V + s^{-1} V^{\mathsf T} P_2 V\bigr)\,y
           = V^{\mathsf T} b,\qquad x \approx V y,

which matches q moments at every expansion point (Grimme, "Krylov projection methods
for model reduction", PhD thesis, University of Illinois, 1997, ch. 3). Expansion points
are chosen greedily: the next one is the sweep frequency where the relative residual
‖D(A(s)Vy − b)‖/‖Db‖ of the current model, estimated through a random sketch, is
largest. D scales every row of A to unit 1-norm at the band's centre so that field and
circuit rows weigh alike.

Error estimate. After expansion k the reported quantities (every entry of Z, the
leakage inductance, R_ac per winding) of model k are compared with those of model k − 1
at every sweep frequency f. The largest relative change δ_k(f) estimates the error of
model k − 1, because model k is much more accurate. Its ratio to the sketched residual
ρ_{k−1}(f) of model k − 1 calibrates how error follows residual, and the residual of
model k then gives the estimate of model k without another factorization:

.. math::  c_k = \max_{f:\ δ_k(f) \ge 10^{-8}} \frac{δ_k(f)}{ρ_{k-1}(f)},\qquad
           ε_k(f) = 10\, c_k\, ρ_k(f).

On the reference design the ratio of error to residual ranges from 10^2 to 10^6 over
the band. At one frequency it changed by at most a factor 15 from one model to the
next. ε_k bounded every error measured at 10 random frequencies of the three
arrangements with 6 and 8 moments. The factor 10 (:data:`EFFECTIVITY_SAFETY`) covers
that change because c_k takes the largest ratio over the band. The sweep stops when
ε_k is below ``tolerance`` everywhere or after ``max_expansions`` factorizations, so it
needs at least two. This is an estimate, not a bound: :func:`verify` compares chosen
frequencies with full solves.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
import scipy.sparse as sp
from skfem import BilinearForm, asm
from threadpoolctl import threadpool_limits

from femstack.errors import SolverError
from femstack.post import impedance as imp
from femstack.solvers.common import make_basis, per_quadrature_point
from femstack.solvers.eddy_current import EddyCurrentProblem

logger = logging.getLogger(__name__)

#: Floor of the stated error estimate. Full solves of the reference design with
#: different solvers or orderings differ by up to 1e-8 relative in R_ac, so no estimate
#: of the reduced model's error is meaningful below that.
ROUND_OFF = 1e-8
# NOTE: in the PSSP arrangement at 2.81 MHz the model stayed 4.5e-8 from the full
# solve with 3 expansions of 8 moments, so the floor there is above ROUND_OFF.
#: Factor on the calibrated residual estimate for the change of the error-to-residual
#: ratio from one model to the next. On the reference design with 6 and 8 moments that
#: change reached 15 at single frequencies, and 1.7 for the largest ratio at the
#: checked frequencies with errors above ROUND_OFF.
EFFECTIVITY_SAFETY = 10.0
#: Rows of the random sketch that estimates residual norms.
SKETCH_ROWS = 64


@dataclasses.dataclass
class SweepResult:
    """Winding impedance, leakage and AC resistance at many frequencies.

    Attributes
    ----------
    frequencies
        Hz, shape (n,).
    impedance
        Z(f) in Ω, shape (n, windings, windings), peak phasors with e^{jωt}.
    leakage_inductance
        H, referred to the first winding with the others shorted, shape (n,).
    ac_resistance
        Winding name → R_ac = 2 P_w / |I_w|² in Ω at the given currents, shape (n,).
    error_estimate
        Stated error: the estimated largest relative error of any of the above at any
        sweep frequency (dimensionless, never below :data:`ROUND_OFF`).
    error_by_frequency
        The same estimate per frequency, shape (n,); infinite when only one expansion
        point was allowed.
    expansion_frequencies
        Hz, where a full factorization was made, in the order chosen.
    full_solves
        Number of factorizations (each one full solve of the bordered system).
    back_substitutions
        Solves with a factorization already made, one per moment (each covers every
        winding's right-hand side).
    basis_size
        Columns of the projection basis V.
    seconds
        Wall time of the whole sweep.
    """

    frequencies: np.ndarray
    impedance: np.ndarray
    leakage_inductance: np.ndarray
    ac_resistance: dict[str, np.ndarray]
    error_estimate: float
    error_by_frequency: np.ndarray
    expansion_frequencies: list[float]
    full_solves: int
    back_substitutions: int
    basis_size: int
    seconds: float


class ReducedOrderModel:
    """Galerkin reduced model of one :class:`EddyCurrentProblem` (see the module docstring).

    Parameters
    ----------
    problem
        Assembled eddy-current problem.
    currents
        Winding current phasors in A peak at which R_ac is evaluated.
    moments
        Taylor coefficients matched per expansion point (each costs one back-substitution).
    """

    def __init__(self, problem: EddyCurrentProblem, currents, *, moments: int = 8) -> None:
        if moments < 1:
            raise SolverError(f"moments = {moments} is invalid; expected an integer >= 1")
        self.problem = problem
        self.currents = np.asarray(currents, dtype=complex)
        self.moments = moments
        P0, P1, P2, b = problem.system_parts()
        self.parts = (P0.tocsr(), P1.tocsr(), P2.tocsr(), b)
        self.nf = len(problem._ops.free)
        self.nt = len(problem.turns)
        # V starts with the circuit unknowns' identity columns. Field columns are appended
        # into preallocated column-major storage, so no expansion copies the whole basis.
        n = self.parts[0].shape[0]
        # Room for two expansion points. np.zeros maps the pages only when written.
        self._storage = np.zeros((n, (n - self.nf) + 4 * b.shape[1] * moments), order="F")
        self._storage[self.nf :, : n - self.nf] = np.eye(n - self.nf)
        self._columns = n - self.nf
        self.expansions: list[float] = []
        self.back_substitutions = 0
        self.row_scale: np.ndarray | None = None
        self._sketch: np.ndarray | None = None
        self._reduced: list[np.ndarray] | None = None
        # V is zero outside the field rows in its field columns, so P_i V_n and P_iᵀ V_n
        # need only the field columns of P_i and P_iᵀ.
        self._field_part = [P[:, : self.nf].tocsr() for P in self.parts[:3]]
        self._field_part_transposed = [P.T.tocsr()[:, : self.nf].tocsr() for P in self.parts[:3]]
        self._rhs_rows = np.flatnonzero(np.any(b != 0, axis=1))
        self._winding_mass = self._assemble_winding_mass()

    # Basis ------------------------------------------------------------------------------

    @property
    def basis(self) -> np.ndarray:
        """Projection basis V, shape (unknowns, columns): a view of the storage."""
        return self._storage[:, : self._columns]

    @property
    def field_basis(self) -> np.ndarray:
        """V_A, the field rows of V's field columns: a view of the storage."""
        circuit = self._storage.shape[0] - self.nf
        return self._storage[: self.nf, circuit : self._columns]

    def add_expansion(self, frequency: float) -> None:
        """Factorize A(s_0) at ``frequency`` (Hz) and add its moments to the basis."""
        P0, P1, P2, b = self.parts
        s0 = 2j * np.pi * frequency
        A = (P0 + s0 * P1 + P2 / s0).tocsc()
        try:
            lu = self.problem._linear.factorize(A)
        except RuntimeError as error:
            raise SolverError(f"the eddy-current system at {frequency:g} Hz is singular: {error}") from error
        # Taylor coefficients in t = (s − s_0)/|s_0| by the three-term recurrence of
        # s A(s) = P_2 + s P_0 + s² P_1 (module docstring), so that they stay of similar size.
        rho = abs(s0)
        # The moments are complex, so P_0 and P_1 are cast once here and not in every product.
        P0c, P1c = (P.astype(complex) for P in (P0, P1))
        vectors = [lu.solve(b)]
        mass_times = [P1c @ vectors[0]]  # P_1 c_j, each used twice
        if self.moments > 1:
            rhs = b - (P0c @ vectors[0] + 2.0 * s0 * mass_times[0])
            vectors.append(lu.solve(rho / s0 * rhs))
        for _ in range(2, self.moments):
            mass_times.append(P1c @ vectors[-1])
            rhs = P0c @ vectors[-1] + 2.0 * s0 * mass_times[-1] + rho * mass_times[-2]
            vectors.append(lu.solve(-rho / s0 * rhs))
        # Column-major, so that the column norms and BLAS calls below read contiguous memory.
        width = b.shape[1]
        block = np.empty((self.nf, 2 * width * len(vectors)), order="F")
        for j, v in enumerate(vectors):
            block[:, 2 * j * width : (2 * j + 1) * width] = v[: self.nf].real
            block[:, (2 * j + 1) * width : (2 * j + 2) * width] = v[: self.nf].imag
        self._grow(_orthonormal_complement(self.field_basis, block))
        self.expansions.append(float(frequency))
        self.back_substitutions += len(vectors)
        self._reduced_loss = self._project_losses()
        logger.info(
            "reduced model: expansion at %.4g Hz, basis of %d vectors", frequency, self.basis.shape[1]
        )

    def _grow(self, field_columns: np.ndarray) -> None:
        """Append [field_columns; 0] to V and extend Vᵀ P_i V, Vᵀ b and the sketch Ω D P_i V.

        Only products with the new columns are formed, so the cost of an expansion does
        not grow with the size of the basis already built.
        """
        P0, P1, P2, b = self.parts
        if self._sketch is None:
            rng = np.random.default_rng(0)
            n = self.basis.shape[0]
            d = self.row_scale if self.row_scale is not None else np.ones(n)
            # A sparse sign sketch: column i contains ±d_i in a random row h(i), so Ω D r costs one
            # pass over r and E‖Ω D r‖² = ‖D r‖².
            rows = rng.integers(SKETCH_ROWS, size=n)
            signs = rng.choice([-1.0, 1.0], size=n)
            self._sketch = sp.csr_matrix((signs * d, (rows, np.arange(n))), shape=(SKETCH_ROWS, n))
        if self._reduced is None:
            # The circuit columns alone: Vᵀ P_i V is P_i's circuit block.
            start = self.basis
            self._reduced = [start.T @ (P @ start) for P in (P0, P1, P2)]
            self._sketched = [self._sketch @ (P @ start) for P in (P0, P1, P2)]
            self._reduced_b = start.T @ b
            self._sketched_b = self._sketch @ b
        old = self.basis
        needed = self._columns + field_columns.shape[1]
        if needed > self._storage.shape[1]:
            larger = np.zeros((self._storage.shape[0], 2 * needed), order="F")
            larger[:, : self._columns] = old
            self._storage = larger
            old = self.basis
        self._storage[: self.nf, self._columns : needed] = field_columns
        new = self._storage[:, self._columns : needed]
        for i, (P, PT) in enumerate(zip(self._field_part, self._field_part_transposed)):
            right = _matmul(P, field_columns)  # P_i Vn
            left = _matmul(PT, field_columns)  # P_iᵀ Vn, so Vnᵀ P_i V_old = (P_iᵀ Vn)ᵀ V_old
            self._reduced[i] = np.block(
                [[self._reduced[i], _transpose_times(old, right)], [_transpose_times(left, old), _transpose_times(new, right)]]
            )
            self._sketched[i] = np.hstack([self._sketched[i], self._sketch @ right])
        # b is zero outside a few circuit rows, so only those rows of Vn enter Vnᵀ b.
        rows = self._rhs_rows
        self._reduced_b = np.vstack([self._reduced_b, new[rows].T @ b[rows]])
        self._columns = needed

    # Evaluation -------------------------------------------------------------------------

    def reduced_solution(self, frequency: float) -> np.ndarray:
        """Return y with x ≈ V y at ``frequency`` (Hz), one column per winding."""
        s = 2j * np.pi * frequency
        R0, R1, R2 = self._reduced
        return np.linalg.solve(R0 + s * R1 + R2 / s, self._reduced_b)

    def set_row_scale(self, frequency: float) -> None:
        """Scale the residual's rows by 1 / (row 1-norm of |A| at ``frequency``)."""
        P0, P1, P2, _ = self.parts
        s = 2.0 * np.pi * frequency
        row_norm = abs(P0).sum(axis=1).A1 + s * abs(P1).sum(axis=1).A1 + abs(P2).sum(axis=1).A1 / s
        self.row_scale = 1.0 / np.where(row_norm > 0, row_norm, 1.0)

    def residual(self, frequency: float) -> float:
        """Return an estimate of max over windings of ‖D(A(s)Vy − b)‖ / ‖Db‖.

        The norms are taken of Ω D r with a sparse sign sketch Ω of :data:`SKETCH_ROWS`
        rows: column i of Ω contains ±1 in one random row, so ‖Ω D r‖² is an unbiased
        estimate of ‖D r‖² whose variance is at most 2‖D r‖⁴ / :data:`SKETCH_ROWS`
        (a relative spread of about 18 % for 64 rows). That is enough to rank the
        candidate frequencies and to calibrate the error estimate.
        """
        s = 2j * np.pi * frequency
        y = self.reduced_solution(frequency)
        S0, S1, S2 = self._sketched
        r = S0 @ y + s * (S1 @ y) + (S2 @ y) / s - self._sketched_b
        return float(np.max(np.linalg.norm(r, axis=0) / np.linalg.norm(self._sketched_b, axis=0)))

    def quantities(self, frequency: float) -> tuple[np.ndarray, float, np.ndarray]:
        """Return (Z in Ω, leakage inductance in H, R_ac per winding in Ω) at ``frequency``."""
        y = self.reduced_solution(frequency)
        circuit = self.problem._circuit
        turn_voltage = self.basis[self.nf : self.nf + self.nt] @ y
        Z = circuit["voltage_map"] @ turn_voltage
        leakage = imp.leakage_inductance(Z, frequency) if Z.shape[0] > 1 else float("nan")
        return Z, leakage, self._ac_resistance(y @ self.currents, frequency)

    def _ac_resistance(self, y: np.ndarray, frequency: float) -> np.ndarray:
        omega = 2.0 * np.pi * frequency
        values = []
        for w, (Mr, Gr, Br) in enumerate(self._reduced_loss):
            current = abs(self.currents[w])
            if current == 0.0:
                values.append(float("nan"))
                continue
            loss = 0.5 * np.real(
                omega**2 * np.vdot(y, Mr @ y) + np.vdot(y, Gr @ y) + 2.0 * (-1j * omega) * np.vdot(y, Br @ y)
            )
            values.append(2.0 * float(loss) / current**2)
        return np.array(values)

    # Per-winding copper loss as a quadratic form --------------------------------------

    def _assemble_winding_mass(self) -> list[sp.csr_matrix]:
        r"""σ-weighted mass ∫σ A v 2πr of each winding's copper, on the free dofs.

        With J = σ(−jωA + U_k/(2πr)) the loss of turn k is
        P_k = ½[ω² aᴴM_k a + G_k|U_k|² + 2Re(−jω Ū_k b_kᵀa)], where b_k is the turn's
        coupling column and G_k its ring conductance; the winding loss sums P_k.
        """
        problem = self.problem
        ops = problem._ops
        free = ops.free

        @BilinearForm
        def mass(u, v, w):
            return w.sigma * u * v * 2.0 * np.pi * w.x[0]

        matrices = []
        start = 0
        for winding in problem.windings:
            turns = np.arange(start, start + len(winding.turns))
            start += len(winding.turns)
            # A basis on the winding's elements only: the copper is a small part of the mesh.
            elements = np.flatnonzero(np.isin(ops.element_turn, turns))
            basis = make_basis(problem.region_mesh, problem.order, elements=elements)
            M = asm(mass, basis, sigma=per_quadrature_point(basis, ops.sigma)).tocsr()
            matrices.append(M[free][:, free])
        self._winding_rows = [np.unique(M.nonzero()[0]) for M in matrices]
        return matrices

    def _project_losses(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        ops = self.problem._ops
        Va = self.basis[: self.nf]
        Vu = self.basis[self.nf : self.nf + self.nt]
        coupling = ops.coupling[ops.free]  # columns b_k
        out = []
        start = 0
        for winding, M in zip(self.problem.windings, self._winding_mass):
            mask = np.zeros(self.nt)
            mask[start : start + len(winding.turns)] = 1.0
            start += len(winding.turns)
            # M is zero outside the winding's copper, so only those rows of V_A enter.
            rows = self._winding_rows[len(out)]
            Va_w = Va[rows]
            Mr = Va_w.T @ (M[rows][:, rows] @ Va_w)
            Gr = Vu.T @ ((mask * ops.conductance)[:, None] * Vu)
            # Σ_k Ū_k b_kᵀ a over the winding's turns = yᴴ Vuᵀ diag(mask) Bᵀ Va y.
            Br = Vu.T @ (mask[:, None] * (coupling.T @ Va))
            out.append((Mr, Gr, Br))
        return out


def _matmul(P: sp.spmatrix, V: np.ndarray) -> np.ndarray:
    """Return P V, with real and imaginary parts of a complex P applied to a real V apart."""
    if np.iscomplexobj(P.data) and not np.iscomplexobj(V):
        return (P.real @ V) + 1j * (P.imag @ V)
    return P @ V


def _transpose_times(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Return Aᵀ B without converting a large real operand to complex first.

    The real and imaginary parts are copied to contiguous arrays, because numpy runs a
    product of strided views without BLAS.
    """
    if np.iscomplexobj(B) and not np.iscomplexobj(A):
        return A.T @ np.ascontiguousarray(B.real) + 1j * (A.T @ np.ascontiguousarray(B.imag))
    if np.iscomplexobj(A) and not np.iscomplexobj(B):
        return np.ascontiguousarray(A.real).T @ B + 1j * (np.ascontiguousarray(A.imag).T @ B)
    return A.T @ B


def _orthonormal_complement(V: np.ndarray, block: np.ndarray, drop: float = 1e-10) -> np.ndarray:
    """Return orthonormal columns spanning the part of ``block`` orthogonal to V's columns.

    Columns are scaled to unit norm first and projected out twice (classical
    Gram–Schmidt with re-orthogonalization). A QR factorization and an SVD of its small
    R factor then keep the directions whose singular value exceeds ``drop``, because
    the others are already in the span.
    """
    norms = np.linalg.norm(block, axis=0)
    block = block[:, norms > 0]
    block /= norms[norms > 0]
    for _ in range(2):
        if V.shape[1]:
            block -= V @ (V.T @ block)
    if block.shape[1] == 0:
        return block
    Q, R = np.linalg.qr(block)
    U, singular, _ = np.linalg.svd(R)
    keep = singular > drop * max(1.0, singular[0])
    return Q @ U[:, keep]


def sweep(
    problem: EddyCurrentProblem,
    frequencies,
    currents,
    *,
    tolerance: float = 1e-4,
    max_expansions: int = 5,
    moments: int = 8,
) -> SweepResult:
    """Evaluate Z, leakage and R_ac at every frequency (Hz) from a reduced-order model.

    Parameters
    ----------
    problem
        Assembled eddy-current problem.
    frequencies
        Sweep frequencies in Hz, all positive.
    currents
        Winding current phasors in A peak for R_ac.
    tolerance
        Stop adding expansion points when the estimated relative error of every
        quantity at every frequency is below this value.
    max_expansions
        Maximum number of factorizations (full solves).
    moments
        Taylor coefficients matched per expansion point.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _sweep(problem, frequencies, currents, tolerance, max_expansions, moments)


def _sweep(problem, frequencies, currents, tolerance, max_expansions, moments) -> SweepResult:
    # Dense products of tall, thin matrices gain nothing from BLAS threads on a busy
    # 2-core machine and lost a factor of 2.7 there (femstack.solvers.linear has the
    # same limit for the same reason).
    start = time.perf_counter()
    f = np.asarray(frequencies, dtype=float).ravel()
    if f.size == 0 or not np.all(np.isfinite(f)) or np.any(f <= 0.0):
        raise SolverError(f"sweep frequencies must be positive and finite, got {frequencies}")
    if max_expansions < 1:
        raise SolverError(f"max_expansions = {max_expansions} is invalid; expected an integer >= 1")
    if not tolerance > 0.0:
        raise SolverError(f"tolerance = {tolerance} is invalid; expected a positive number")
    rom = ReducedOrderModel(problem, currents, moments=moments)
    windings = [w.name for w in problem.windings]

    # First expansion at the geometric centre of the band, then greedy by residual.
    centre = float(np.exp(np.mean(np.log([f.min(), f.max()]))))
    rom.set_row_scale(centre)
    rom.add_expansion(f[np.argmin(np.abs(np.log(f / centre)))])
    previous = _evaluate(rom, f)
    previous_residual = np.array([rom.residual(x) for x in f])
    estimate = np.full(f.size, np.inf)
    while len(rom.expansions) < max_expansions:
        candidates = np.where(np.isin(f, rom.expansions), 0.0, previous_residual)
        rom.add_expansion(f[int(np.argmax(candidates))])
        current = _evaluate(rom, f)
        residual = np.array([rom.residual(x) for x in f])
        estimate = _calibrated_estimate(_relative_change(previous, current), previous_residual, residual)
        previous, previous_residual = current, residual
        logger.info("reduced model: %d expansions, estimated error %.2e", len(rom.expansions), estimate.max())
        if estimate.max() < tolerance:
            break

    Z, leakage, rac = previous
    seconds = time.perf_counter() - start
    logger.info(
        "sweep: %d frequencies from %d full solves (%d basis vectors) in %.2f s",
        f.size,
        len(rom.expansions),
        rom.basis.shape[1],
        seconds,
    )
    return SweepResult(
        frequencies=f,
        impedance=Z,
        leakage_inductance=leakage,
        ac_resistance={w: rac[:, i] for i, w in enumerate(windings)},
        error_estimate=max(float(estimate.max()), ROUND_OFF),
        error_by_frequency=np.maximum(estimate, ROUND_OFF),
        expansion_frequencies=list(rom.expansions),
        full_solves=len(rom.expansions),
        back_substitutions=rom.back_substitutions,
        basis_size=rom.basis.shape[1],
        seconds=seconds,
    )


def _calibrated_estimate(change: np.ndarray, previous_residual: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """Error estimate per frequency of the current model (module docstring, "Error estimate")."""
    meaningful = change >= ROUND_OFF
    if not np.any(meaningful):
        return change
    effectivity = np.max(change[meaningful] / np.maximum(previous_residual[meaningful], np.finfo(float).tiny))
    return EFFECTIVITY_SAFETY * effectivity * residual


def _evaluate(rom: ReducedOrderModel, f: np.ndarray):
    values = [rom.quantities(x) for x in f]
    Z = np.array([v[0] for v in values])
    leakage = np.array([v[1] for v in values])
    rac = np.array([v[2] for v in values])
    return Z, leakage, rac


def _relative_change(old, new) -> np.ndarray:
    """Largest relative change per frequency over every entry of Z, leakage and R_ac."""
    changes = []
    for a, b in zip(old, new):
        a = a.reshape(a.shape[0], -1)
        b = b.reshape(b.shape[0], -1)
        scale = np.abs(b)
        finite = np.isfinite(scale) & (scale > 0)
        change = np.where(finite, np.abs(a - b) / np.where(finite, scale, 1.0), 0.0)
        changes.append(change.max(axis=1))
    return np.max(changes, axis=0)


def verify(problem: EddyCurrentProblem, result: SweepResult, frequencies, currents) -> list[dict[str, float]]:
    """Compare the sweep with full solves at ``frequencies`` (Hz, a subset of the sweep's).

    Returns one row per frequency: the largest relative error over Z entries, leakage
    and R_ac, next to the sweep's per-frequency error estimate there.
    """
    rows = []
    windings = [w.name for w in problem.windings]
    for frequency in frequencies:
        index = int(np.argmin(np.abs(result.frequencies - frequency)))
        if not np.isclose(result.frequencies[index], frequency, rtol=1e-12):
            raise SolverError(f"verify frequency {frequency:g} Hz is not one of the sweep frequencies")
        solution = problem.solve(frequency)
        Z = solution.impedance
        leakage = imp.leakage_inductance(Z, frequency) if Z.shape[0] > 1 else float("nan")
        losses = solution.region_losses(currents)
        copper = {w.name: sum(losses[t] for t in w.turns) for w in problem.windings}
        c = np.asarray(currents, dtype=complex)
        rac = np.array(
            [2.0 * copper[w] / abs(c[i]) ** 2 if abs(c[i]) > 0 else float("nan") for i, w in enumerate(windings)]
        )
        full = (Z[None], np.array([leakage]), rac[None])
        rom = (
            result.impedance[index][None],
            result.leakage_inductance[index : index + 1],
            np.array([[result.ac_resistance[w][index] for w in windings]]),
        )
        error = float(_relative_change(rom, full)[0])
        rows.append(
            {
                "frequency_Hz": float(frequency),
                "relative_error": error,
                "error_estimate_here": float(result.error_by_frequency[index]),
            }
        )
        logger.info(
            "sweep check at %.4g Hz: relative error %.2e (estimate there %.2e, stated %.2e)",
            frequency,
            error,
            rows[-1]["error_estimate_here"],
            result.error_estimate,
        )
    return rows
