"""Sparse direct factorization shared by the formulations, with a choice of solver.

Solvers (the ``solver`` name in the design's ``[mesh]`` table or ``--solver`` on the
command line):

- ``"superlu"``: scipy's SuperLU, always installed, the default.
- ``"umfpack"``: UMFPACK from SuiteSparse through the ``kvxopt`` package
  (``pip install femstack[solvers]``). Its symbolic analysis (ordering and the
  elimination tree) depends only on the sparsity pattern, so :class:`LinearSolver`
  keeps it and reuses it for every frequency of one mesh.
- ``"pardiso"``: Intel MKL PARDISO through ``pypardiso``. It is real only, so a complex
  system A = A_r + jA_i is solved in the real-equivalent form
  [[A_r, −A_i], [A_i, A_r]] [x_r; x_i] = [b_r; b_i], twice the size.

A solver that is not installed falls back to SuperLU with a logged warning.

SuperLU calls dense BLAS kernels on small supernodes. With a multi-threaded OpenBLAS
those calls spend more time starting threads than computing: one 13,600-unknown complex
solve took 34 s with OpenBLAS threads on 2 busy cores and 1.7 s single-threaded
(measured on the 2-core development machine). SuperLU and UMFPACK therefore run with
BLAS limited to one thread. MKL PARDISO parallelizes the factorization itself and may
use the thread budget of :func:`set_thread_budget` (all cores by default).

Finite-element matrices have a symmetric sparsity pattern, and the bordered
eddy-current system is complex symmetric, so SuperLU runs in its symmetric mode: a
minimum-degree ordering of Aᵀ + A and a low diagonal-pivot threshold that keeps the
ordering. On the reference design's 53,000-unknown eddy-current system this cut the
factorization from 3.5 s (default COLAMD ordering) to 0.6 s. The fill dropped from
17.7 M to 4.4 M entries, and the residual stayed the same (one run on the 2-core
development machine). ``benchmarks/solvers.py`` measures every ordering and solver.
"""

from __future__ import annotations

import importlib.util
import logging
import os

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from threadpoolctl import threadpool_limits

logger = logging.getLogger(__name__)

#: Solver names accepted by :class:`LinearSolver`, the default first.
SOLVERS = ("superlu", "umfpack", "pardiso")
#: Python package that provides each optional solver.
SOLVER_PACKAGES = {"umfpack": "kvxopt", "pardiso": "pypardiso"}
#: SuperLU column orderings (scipy's ``permc_spec``).
SUPERLU_ORDERINGS = ("MMD_AT_PLUS_A", "COLAMD", "MMD_ATA", "NATURAL")

_warned_missing: set[str] = set()
_thread_budget = os.cpu_count() or 1


def set_thread_budget(threads: int) -> None:
    """Set the BLAS threads that PARDISO may use (SuperLU and UMFPACK always use one).

    A pool of worker processes sets it to cores // workers so that the workers together
    never start more threads than there are cores.
    """
    global _thread_budget
    _thread_budget = max(1, int(threads))


def solver_available(name: str) -> bool:
    """Return True when the package behind solver ``name`` can be imported."""
    package = SOLVER_PACKAGES.get(name)
    return package is None or importlib.util.find_spec(package) is not None


def available_solvers() -> list[str]:
    """Return the names of the solvers whose packages are installed."""
    return [name for name in SOLVERS if solver_available(name)]


def check_solver_name(name: str, field: str = "solver") -> str:
    """Return ``name`` if it is a known solver, else raise ValueError naming ``field``."""
    if name not in SOLVERS:
        raise ValueError(f"{field} = {name!r} is not a known linear solver; expected one of {', '.join(SOLVERS)}")
    return name


def resolve_solver(name: str) -> str:
    """Return ``name``, or ``"superlu"`` with a warning (once) if its package is missing."""
    check_solver_name(name)
    if solver_available(name):
        return name
    if name not in _warned_missing:
        _warned_missing.add(name)
        logger.warning(
            "linear solver %r needs the package %r, which is not installed; using superlu "
            "(install it with: pip install %s)",
            name,
            SOLVER_PACKAGES[name],
            SOLVER_PACKAGES[name],
        )
    return "superlu"


class Factorization:
    """LU factors of a sparse matrix, reusable for any number of right-hand sides.

    Parameters
    ----------
    matrix
        Square sparse matrix, real or complex.
    solver
        One of :data:`SOLVERS`; a missing optional solver falls back to SuperLU.
    ordering, symmetric_mode
        SuperLU only: the column ordering (:data:`SUPERLU_ORDERINGS`) and whether the
        symmetric mode (diagonal pivots preferred, threshold 0.1) is on. The defaults
        are the fastest measured; the others exist for ``benchmarks/solvers.py``.
    symbolic
        UMFPACK only: a symbolic analysis of a matrix with the same sparsity pattern.
    """

    def __init__(
        self,
        matrix: sp.spmatrix,
        solver: str = "superlu",
        *,
        ordering: str = "MMD_AT_PLUS_A",
        symmetric_mode: bool = True,
        symbolic=None,
    ) -> None:
        self.solver = resolve_solver(solver)
        self.shape = matrix.shape
        self.symbolic = None
        self._threads = _thread_budget if self.solver == "pardiso" else 1
        with threadpool_limits(limits=self._threads, user_api="blas"):
            if self.solver == "superlu":
                self._factor_superlu(matrix, ordering, symmetric_mode)
            elif self.solver == "umfpack":
                self._factor_umfpack(matrix, symbolic)
            else:
                self._factor_pardiso(matrix)

    # SuperLU ----------------------------------------------------------------------------

    def _factor_superlu(self, matrix, ordering: str, symmetric_mode: bool) -> None:
        if ordering not in SUPERLU_ORDERINGS:
            raise ValueError(f"ordering = {ordering!r} is unknown; expected one of {', '.join(SUPERLU_ORDERINGS)}")
        options = {"SymmetricMode": True} if symmetric_mode else {}
        matrix = sp.csc_matrix(matrix)
        self._complex_factor = np.iscomplexobj(matrix.data)
        self._lu = spla.splu(
            matrix,
            permc_spec=ordering,
            diag_pivot_thresh=0.1 if symmetric_mode else 1.0,
            options=options,
        )

    # UMFPACK (kvxopt) -------------------------------------------------------------------

    def _factor_umfpack(self, matrix, symbolic) -> None:
        from kvxopt import umfpack

        self._matrix = _to_kvxopt(matrix)
        try:
            self.symbolic = symbolic if symbolic is not None else umfpack.symbolic(self._matrix)
            self._numeric = umfpack.numeric(self._matrix, self.symbolic)
        except ArithmeticError as error:
            raise RuntimeError(f"UMFPACK: the matrix is singular ({error})") from None

    # PARDISO (pypardiso) ---------------------------------------------------------------

    def _factor_pardiso(self, matrix) -> None:
        import pypardiso

        self._complex = np.iscomplexobj(matrix.data) if sp.issparse(matrix) else np.iscomplexobj(matrix)
        real = _real_equivalent(matrix) if self._complex else sp.csr_matrix(matrix, dtype=float)
        self._pardiso = pypardiso.PyPardisoSolver()
        self._pardiso.set_statistical_info_off()
        self._real_matrix = real
        self._pardiso.factorize(real)

    # Solve -------------------------------------------------------------------------------

    def solve(self, rhs):
        """Return the solution for one right-hand side or a column block of them."""
        rhs = np.asarray(rhs)
        if self.solver == "superlu" and np.iscomplexobj(rhs) and not self._complex_factor:
            return self.solve(rhs.real) + 1j * self.solve(rhs.imag)
        with threadpool_limits(limits=self._threads, user_api="blas"):
            if self.solver == "superlu":
                return self._lu.solve(rhs)
            if self.solver == "umfpack":
                return self._solve_umfpack(rhs)
            return self._solve_pardiso(rhs)

    def _solve_umfpack(self, rhs: np.ndarray) -> np.ndarray:
        from kvxopt import matrix, umfpack

        complex_system = self._matrix.typecode == "z"
        dtype = complex if complex_system else float
        if not complex_system and np.iscomplexobj(rhs):
            return self._solve_umfpack(rhs.real) + 1j * self._solve_umfpack(rhs.imag)
        block = np.asfortranarray(rhs.reshape(rhs.shape[0], -1), dtype=dtype)
        b = matrix(block, tc="z" if complex_system else "d")
        umfpack.solve(self._matrix, self._numeric, b)
        return np.array(b, dtype=dtype).reshape(rhs.shape)

    def _solve_pardiso(self, rhs: np.ndarray) -> np.ndarray:
        n = self.shape[0]
        block = rhs.reshape(n, -1)
        if self._complex:
            stacked = np.vstack([block.real, block.imag])
            x = self._pardiso.solve(self._real_matrix, np.ascontiguousarray(stacked)).reshape(2 * n, -1)
            return (x[:n] + 1j * x[n:]).reshape(rhs.shape)
        if np.iscomplexobj(block):
            re = self._pardiso.solve(self._real_matrix, np.ascontiguousarray(block.real))
            im = self._pardiso.solve(self._real_matrix, np.ascontiguousarray(block.imag))
            return (re + 1j * im).reshape(rhs.shape)
        return self._pardiso.solve(self._real_matrix, np.ascontiguousarray(block)).reshape(rhs.shape)


class LinearSolver:
    """Factorize a sequence of matrices with one sparsity pattern (one per frequency).

    UMFPACK reuses the symbolic analysis of the first matrix for the later ones as long
    as the pattern does not change. SuperLU and pypardiso offer no separate symbolic
    phase through their Python interfaces, so each of their factorizations is complete.
    """

    def __init__(self, solver: str = "superlu") -> None:
        self.solver = resolve_solver(solver)
        self._pattern: tuple[np.ndarray, np.ndarray] | None = None
        self._symbolic = None

    def __getstate__(self) -> dict:
        # A kvxopt symbolic object cannot be pickled; the next factorization redoes it.
        return {"solver": self.solver, "_pattern": None, "_symbolic": None}

    def factorize(self, matrix: sp.spmatrix) -> Factorization:
        """Return the factorization of ``matrix``, reusing the symbolic analysis if possible."""
        if self.solver != "umfpack":
            return Factorization(matrix, self.solver)
        csc = sp.csc_matrix(matrix)
        csc.sort_indices()
        same = (
            self._pattern is not None
            and np.array_equal(self._pattern[0], csc.indptr)
            and np.array_equal(self._pattern[1], csc.indices)
        )
        factor = Factorization(csc, "umfpack", symbolic=self._symbolic if same else None)
        if not same:
            self._pattern = (csc.indptr.copy(), csc.indices.copy())
            self._symbolic = factor.symbolic
        return factor


def _to_kvxopt(matrix):
    """Convert a scipy sparse matrix to a kvxopt spmatrix (complex 'z' or real 'd')."""
    from kvxopt import matrix as dense, spmatrix

    coo = sp.coo_matrix(matrix)
    complex_system = np.iscomplexobj(coo.data)
    values = dense(np.ascontiguousarray(coo.data, dtype=complex if complex_system else float))
    rows = dense(coo.row.astype(np.int64))
    columns = dense(coo.col.astype(np.int64))
    return spmatrix(values, rows, columns, size=coo.shape, tc="z" if complex_system else "d")


def _real_equivalent(matrix) -> sp.csr_matrix:
    """Return [[A_r, −A_i], [A_i, A_r]] of a complex sparse matrix."""
    a = sp.csr_matrix(matrix)
    return sp.bmat([[a.real, -a.imag], [a.imag, a.real]], format="csr")
