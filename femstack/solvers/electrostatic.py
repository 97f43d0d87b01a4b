r"""Electrostatics: the Maxwell capacitance matrix of a set of conductors.

Strong form, in every insulating region (dielectric, air, a dielectric core):

.. math::  -\nabla\cdot(\varepsilon\nabla\varphi) = 0,

with φ = V_i on conductor i and a zero normal flux ε∂φ/∂n = 0 on the outer boundary and
on the symmetry axis (the natural condition). Weak form, axisymmetric:

.. math::  \int_\Omega \varepsilon\,\nabla\varphi\cdot\nabla v\;2\pi r\,dr\,dz = 0
           \quad\forall v \text{ vanishing on the conductors.}

Every degree of freedom inside a conductor region is held at that conductor's potential,
so a conductor is an equipotential region, not only a boundary. With one potential
vector Φ_j per conductor (V_j = 1, all others 0) the charge on conductor i is the
reaction of the assembled operator on its degrees of freedom,
:math:`C_{ij} = \mathbf{1}_{D_i}^{\mathsf T} K \Phi_j`, which is the Maxwell capacitance
matrix (J. C. Maxwell, *A Treatise on Electricity and Magnetism*, 1873, vol. 1, ch. III).
The free-free block of K is factorized once and solved for all conductors together.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
import scipy.constants
import scipy.sparse as sp
from skfem import BilinearForm, asm
from skfem.helpers import dot, grad

from femstack.errors import SolverError
from femstack.geometries.mesher import RegionMesh
from femstack.solvers.linear import LinearSolver
from femstack.solvers.common import make_basis, measure, per_quadrature_point, region_dofs

logger = logging.getLogger(__name__)

EPSILON_0 = scipy.constants.epsilon_0


@dataclasses.dataclass
class CapacitanceSolution:
    """Maxwell capacitance matrix and the unit-potential fields.

    Attributes
    ----------
    names
        Conductor names, in matrix order.
    maxwell
        Maxwell capacitance matrix in F (full ring in the axisymmetric model, per metre
        of depth in a planar one). Diagonal positive, off-diagonal negative.
    potentials
        Nodal potential vectors, one column per conductor at 1 V with the others at 0 V.
    basis
        scikit-fem basis of the potentials.
    stiffness
        Assembled operator K (F), used for energies: W = ½ φᵀ K φ.
    symmetry_error
        max |C − Cᵀ| / max |C|, a check of the reaction charges.
    timings
        Seconds spent in ``assembly``, ``factorization``, ``solves`` and
        ``post_processing`` (charges from the reactions).
    """

    names: list[str]
    maxwell: np.ndarray
    potentials: np.ndarray
    basis: object
    stiffness: object
    symmetry_error: float
    timings: dict[str, float] = dataclasses.field(default_factory=dict)

    def energy(self, potentials: np.ndarray) -> float:
        """Return the field energy W = ½ VᵀCV in J for conductor potentials V (volts)."""
        v = np.asarray(potentials, dtype=float)
        return 0.5 * float(v @ self.maxwell @ v)


def maxwell_capacitance(
    region_mesh: RegionMesh,
    permittivity: dict[str, float],
    conductors: dict[str, list[str]],
    *,
    order: int = 2,
    grounded_facets: np.ndarray | None = None,
    solver: str = "superlu",
) -> CapacitanceSolution:
    """Compute the Maxwell capacitance matrix of the named conductors.

    Parameters
    ----------
    region_mesh
        Mesh with named regions.
    permittivity
        Relative permittivity per insulating region name. Regions missing from this
        table must belong to a conductor.
    conductors
        Conductor name → the region names it consists of. A conductor may span regions
        that do not touch (both halves of a core, say); they share one potential.
    order
        Lagrange element order, 1 or 2.
    grounded_facets
        Boundary facets held at 0 V (an enclosing ground); default none, so the outer
        boundary has zero normal flux.
    solver
        Sparse direct solver name (see :mod:`femstack.solvers.linear`).

    Returns
    -------
    CapacitanceSolution
    """
    start = time.perf_counter()
    axisymmetric = region_mesh.layout.axisymmetric
    basis = make_basis(region_mesh, order)

    conductor_regions = {r for regions in conductors.values() for r in regions}
    missing = [
        n for n in region_mesh.region_names if n not in permittivity and n not in conductor_regions
    ]
    if missing:
        raise SolverError(f"regions {missing} have neither a permittivity nor a conductor")
    eps = region_mesh.element_values(
        {n: EPSILON_0 * permittivity.get(n, 1.0) for n in region_mesh.region_names}
    ).real

    @BilinearForm
    def laplace(u, v, w):
        return w.eps * dot(grad(u), grad(v)) * measure(w, axisymmetric)

    K = asm(laplace, basis, eps=per_quadrature_point(basis, eps)).tocsr()
    timings = {"assembly": time.perf_counter() - start}

    # Degrees of freedom held by each conductor; conductors must not touch.
    names = list(conductors)
    conductor_dofs = [region_dofs(basis, region_mesh, conductors[n]) for n in names]
    fixed = np.concatenate(conductor_dofs) if conductor_dofs else np.array([], dtype=int)
    if len(np.unique(fixed)) != len(fixed):
        raise SolverError(
            "two conductors share mesh nodes (they touch); merge them into one "
            f"conductor or separate them: {names}"
        )
    if grounded_facets is not None and len(grounded_facets):
        grounded = basis.get_dofs(grounded_facets).flatten()
        for name, dofs in zip(names, conductor_dofs):
            if np.intersect1d(dofs, grounded).size:
                raise SolverError(
                    f"conductor {name!r} touches the grounded boundary, so it is shorted to 0 V; "
                    "move it away from the boundary or leave the boundary ungrounded"
                )
        fixed = np.union1d(fixed, grounded)
    free = np.setdiff1d(np.arange(basis.N), fixed)

    # One unit-potential vector per conductor, all solved with one factorization.
    phi = np.zeros((basis.N, len(names)))
    for j, dofs in enumerate(conductor_dofs):
        phi[dofs, j] = 1.0
    rhs = -(K[free][:, fixed] @ phi[fixed])
    step = time.perf_counter()
    try:
        lu = LinearSolver(solver).factorize(K[free][:, free])
    except RuntimeError as error:
        raise SolverError(
            "the electrostatic operator is singular: some insulating region touches no "
            f"conductor and no grounded boundary ({error})"
        ) from error
    timings["factorization"] = time.perf_counter() - step
    step = time.perf_counter()
    phi[free] = lu.solve(np.asarray(rhs))
    timings["solves"] = time.perf_counter() - step

    step = time.perf_counter()
    reaction = K @ phi
    # C_ij = sum of the reaction of field j over conductor i's dofs: one sparse product.
    owner = np.concatenate([np.full(len(dofs), i) for i, dofs in enumerate(conductor_dofs)]) if names else np.array([], dtype=int)
    dof_sum = sp.csr_matrix(
        (np.ones(len(owner)), (owner, np.concatenate(conductor_dofs) if names else owner)),
        shape=(len(names), basis.N),
    )
    C = np.asarray(dof_sum @ reaction).reshape(len(names), len(names))
    scale = np.abs(C).max() if C.size else 1.0
    symmetry_error = float(np.abs(C - C.T).max() / scale) if C.size else 0.0
    timings["post_processing"] = time.perf_counter() - step
    logger.info(
        "electrostatics: %d dofs (%d free), %d conductors, P%d, %.2f s",
        basis.N,
        len(free),
        len(names),
        order,
        time.perf_counter() - start,
    )
    logger.debug("capacitance symmetry error %.2e", symmetry_error)
    return CapacitanceSolution(names, 0.5 * (C + C.T), phi, basis, K, symmetry_error, timings)


def eliminate_floating(
    maxwell: np.ndarray, names: list[str], floating: list[str]
) -> tuple[np.ndarray, list[str]]:
    r"""Remove floating conductors (zero net charge) by a Schur complement.

    .. math::  C' = C_{aa} - C_{af}\,C_{ff}^{-1}\,C_{fa}

    where a are the kept conductors and f the floating ones; the floating potentials
    follow as :math:`V_f = -C_{ff}^{-1}C_{fa}V_a`.
    """
    unknown = [n for n in floating if n not in names]
    if unknown:
        raise SolverError(f"floating conductors {unknown} are not in the matrix; conductors are {names}")
    keep = [i for i, n in enumerate(names) if n not in floating]
    drop = [i for i, n in enumerate(names) if n in floating]
    if not drop:
        return maxwell.copy(), list(names)
    Caa = maxwell[np.ix_(keep, keep)]
    Caf = maxwell[np.ix_(keep, drop)]
    Cff = maxwell[np.ix_(drop, drop)]
    reduced = Caa - Caf @ np.linalg.solve(Cff, Caf.T)
    return 0.5 * (reduced + reduced.T), [names[i] for i in keep]
