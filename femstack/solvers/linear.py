"""Sparse direct factorization shared by the formulations.

SuperLU calls dense BLAS kernels on small supernodes. With a multi-threaded OpenBLAS
those calls spend more time starting threads than computing: one 13,600-unknown complex
solve took 34 s with OpenBLAS threads on 2 busy cores and 1.7 s single-threaded
(measured on the 2-core development machine). Factorizations and solves therefore run
with BLAS limited to one thread.

Finite-element matrices have a symmetric sparsity pattern, and the bordered
eddy-current system is complex symmetric, so SuperLU runs in its symmetric mode: a
minimum-degree ordering of Aᵀ + A and a low diagonal-pivot threshold that keeps the
ordering. On the reference design's 53,000-unknown eddy-current system this cut the
factorization from 3.5 s (default COLAMD ordering) to 0.6 s. The fill dropped from
17.7 M to 4.4 M entries, and the residual stayed the same (one run on the 2-core
development machine).
"""

from __future__ import annotations

import scipy.sparse as sp
import scipy.sparse.linalg as spla
from threadpoolctl import threadpool_limits


class Factorization:
    """LU factors of a sparse matrix, reusable for any number of right-hand sides."""

    def __init__(self, matrix: sp.spmatrix) -> None:
        with threadpool_limits(limits=1, user_api="blas"):
            self._lu = spla.splu(
                sp.csc_matrix(matrix),
                permc_spec="MMD_AT_PLUS_A",
                diag_pivot_thresh=0.1,
                options={"SymmetricMode": True},
            )
        self.shape = matrix.shape

    def solve(self, rhs):
        """Return the solution for one right-hand side or a column block of them."""
        with threadpool_limits(limits=1, user_api="blas"):
            return self._lu.solve(rhs)
