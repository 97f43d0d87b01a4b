r"""Mesh refinement for convergence studies: uniform, adaptive, and the rate fits.

Uniform refinement splits every triangle into four (``MeshTri.refined``), so h halves
exactly and the geometry, made of straight edges, is kept exactly. Adaptive refinement
marks the triangles that carry the largest share of an a-posteriori error indicator
(Dörfler marking, θ = 0.5) and refines them by red-green-blue splitting
(``MeshTri.refined(marked)`` in scikit-fem 12, which keeps the mesh conforming). After
either, every child triangle takes the region of the parent that contains its centroid,
so region names carry over without relying on the mesh's internal subdomain tags.

Error indicator: the residual estimator of Babuška and Rheinboldt (SIAM J. Numer. Anal.
15(4), 1978, cited from its standard form) for a scalar elliptic problem
−∇·(a∇u) = 0,

.. math::  \eta_T^2 = h_T^2\,\|\nabla\cdot(a\nabla u_h)\|_T^2
           + \tfrac12 \sum_{E\subset\partial T} h_E\,\|[\![a\nabla u_h\cdot n]\!]\|_E^2,

with the axisymmetric weight 2πr in every integral. Only the edge-jump term is
computed: the element residual vanishes for P1 elements in planar coordinates and is
small against the jumps near the corners that drive the refinement. For the magnetic problem the
flux a∇u is replaced by the tangential field ν(B_z n_r − B_r n_z), whose jump is the
residual of Ampère's law on an edge. Edges on a conductor surface are left out, because
there the normal flux jumps by the surface charge, which is physics, not error.

The Dörfler rule marks the smallest set of triangles whose indicators sum to θ of the
total (W. Dörfler, SIAM J. Numer. Anal. 33(3), 1996, cited from its standard form). For
a corner singularity it drives the energy error to the rate N^{-p} in the number of
unknowns N that a smooth solution has under uniform refinement.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
from skfem import Functional, InteriorFacetBasis, MeshTri
from skfem.helpers import grad

from femstack.geometries.mesher import RegionMesh

logger = logging.getLogger(__name__)

#: Fraction of the total squared indicator that Dörfler marking refines per step.
DORFLER_THETA = 0.5


def _parents(coarse: MeshTri, fine: MeshTri, candidates: int = 12) -> np.ndarray:
    """Return, for each fine triangle, the coarse triangle that contains its centroid.

    The candidates are the coarse triangles with the nearest centroids; the first whose
    barycentric coordinates of the point are all non-negative (to round-off) wins.
    """
    from scipy.spatial import cKDTree

    points = fine.p[:, fine.t].mean(axis=1).T
    coarse_centroids = coarse.p[:, coarse.t].mean(axis=1).T
    _, nearest = cKDTree(coarse_centroids).query(points, k=min(candidates, coarse.t.shape[1]))
    nearest = np.atleast_2d(nearest.T).T
    a, b, c = (coarse.p[:, coarse.t[i]].T for i in range(3))
    parent = nearest[:, 0].copy()
    found = np.zeros(len(points), dtype=bool)
    for column in nearest.T:
        e0, e1 = b[column] - a[column], c[column] - a[column]
        d = points - a[column]
        det = e0[:, 0] * e1[:, 1] - e0[:, 1] * e1[:, 0]
        s = (d[:, 0] * e1[:, 1] - d[:, 1] * e1[:, 0]) / det
        t = (e0[:, 0] * d[:, 1] - e0[:, 1] * d[:, 0]) / det
        inside = (s >= -1e-9) & (t >= -1e-9) & (s + t <= 1.0 + 1e-9) & ~found
        parent[inside] = column[inside]
        found |= inside
    if not np.all(found):
        logger.warning("%d refined triangles found no parent; they take the nearest one's region",
                       int(np.sum(~found)))
    return parent


def _with_mesh(region_mesh: RegionMesh, mesh: MeshTri) -> RegionMesh:
    """Return a RegionMesh on ``mesh`` whose triangles take the region of their parent."""
    element_region = region_mesh.element_region[_parents(region_mesh.mesh, mesh)]
    return dataclasses.replace(region_mesh, mesh=mesh, element_region=element_region)


def refine_uniform(region_mesh: RegionMesh, times: int = 1) -> RegionMesh:
    """Split every triangle into four ``times`` times; region names are kept."""
    if times < 0:
        raise ValueError(f"times must be zero or positive, got {times}")
    for _ in range(times):
        region_mesh = _with_mesh(region_mesh, region_mesh.mesh.refined())
    return region_mesh


def refine_marked(region_mesh: RegionMesh, marked: np.ndarray) -> RegionMesh:
    """Refine the marked triangles (and neighbours, to stay conforming); regions are kept."""
    marked = np.asarray(marked, dtype=int)
    if marked.size == 0:
        raise ValueError("no triangles are marked for refinement")
    return _with_mesh(region_mesh, region_mesh.mesh.refined(marked))


def dorfler_marking(indicators: np.ndarray, theta: float = DORFLER_THETA) -> np.ndarray:
    """Return the fewest triangles whose squared indicators add up to ``theta`` of the total."""
    if not 0.0 < theta <= 1.0:
        raise ValueError(f"theta must be in (0, 1], got {theta}")
    squared = np.asarray(indicators, dtype=float) ** 2
    order = np.argsort(squared)[::-1]
    cumulative = np.cumsum(squared[order])
    count = int(np.searchsorted(cumulative, theta * cumulative[-1])) + 1
    return np.sort(order[:count])


# Error indicators ------------------------------------------------------------------------


@Functional
def _flux_jump(w):
    # Jump of the normal flux a∇u·n across an interior edge, squared, times h_E·2πr.
    jump = (w.a1 * grad(w.u1) - w.a2 * grad(w.u2))
    normal = jump[0] * w.n[0] + jump[1] * w.n[1]
    return w.h * np.abs(normal) ** 2 * 2.0 * np.pi * w.x[0]


@Functional
def _field_jump(w):
    # Jump of the tangential field ν(B_z n_r − B_r n_z) with B_r = −∂A/∂z, B_z = ∂A/∂r + A/r.
    def tangential(a, u):
        b_r = -grad(u)[1]
        b_z = grad(u)[0] + u / w.x[0]
        return a * (b_z * w.n[0] - b_r * w.n[1])

    jump = tangential(w.a1, w.u1) - tangential(w.a2, w.u2)
    return w.h * np.abs(jump) ** 2 * 2.0 * np.pi * w.x[0]


def jump_indicators(
    basis,
    fields: np.ndarray,
    coefficient: np.ndarray,
    excluded: np.ndarray,
    *,
    magnetic: bool = False,
) -> np.ndarray:
    """Return one error indicator η_T per triangle from the edge jumps of the fields.

    Parameters
    ----------
    basis
        scikit-fem basis of the solution (P1 or P2 on the whole mesh).
    fields
        Solution vectors, one column each; the squared indicators of all columns add.
    coefficient
        One material value per triangle: ε for electrostatics, ν for the magnetic field.
    excluded
        Boolean per triangle: conductors held at a potential. Edges touching one of
        them carry no indicator.
    magnetic
        Use the tangential-field jump of the A_φ formulation instead of the flux jump.
    """
    mesh = basis.mesh
    sides = [InteriorFacetBasis(mesh, basis.elem, side=i, intorder=2 * basis.elem.maxdeg + 1) for i in (0, 1)]
    facets = sides[0].find
    tind = [s.tind for s in sides]
    keep = ~(excluded[tind[0]] | excluded[tind[1]])
    form = _field_jump if magnetic else _flux_jump

    fields = np.asarray(fields)
    if fields.ndim == 1:
        fields = fields[:, None]
    per_facet = np.zeros(mesh.facets.shape[1])
    n_qp = sides[0].X.shape[1]
    a1 = np.repeat(coefficient[tind[0]][:, None], n_qp, axis=1)
    a2 = np.repeat(coefficient[tind[1]][:, None], n_qp, axis=1)
    for column in fields.T:
        values = form.elemental(
            sides[0],
            u1=sides[0].interpolate(column),
            u2=sides[1].interpolate(column),
            a1=a1,
            a2=a2,
        )
        per_facet[facets] += np.where(keep, values.real, 0.0)

    # Each interior edge's share goes half to each neighbouring triangle.
    squared = 0.5 * per_facet[mesh.t2f].sum(axis=0)
    return np.sqrt(squared)


def design_indicators(design, model, rm: RegionMesh, es, solution) -> np.ndarray:
    """Return electrostatic plus magnetic jump indicators of one arrangement, each normalised to a unit total.

    ``es`` is its capacitance solution (all unit-potential fields count) and
    ``solution`` an eddy-current solution, of which the first winding's open-circuit
    field and the short-circuit field count.
    """
    from femstack.post import analytic
    from femstack.post import impedance as imp

    layout = model.layout
    conductor_regions = set(es.names) | {t.region for turns in model.turns.values() for t in turns}
    conductor_regions |= set(model.core_regions) if design.core.electrostatic != "dielectric" else set()
    excluded = np.isin(rm.element_region, [i for i, n in enumerate(rm.region_names) if n in conductor_regions])
    eps = rm.element_values({n: analytic.EPSILON_0 * layout.material(n).relative_permittivity
                             for n in rm.region_names}).real
    eta_e = jump_indicators(es.basis, es.potentials, eps, excluded)

    mu = rm.element_values({n: complex(layout.material(n).relative_permeability) for n in rm.region_names})
    nu = (1.0 / (analytic.MU_0 * mu)).real
    short_circuit = solution.potential @ imp.short_circuit_currents(solution.impedance)
    columns = np.column_stack([solution.potential[:, 0], short_circuit])
    eta_m = jump_indicators(solution.problem.basis, columns, nu, np.zeros(rm.n_elements, bool),
                                       magnetic=True)
    return np.sqrt(eta_e**2 / np.sum(eta_e**2) + eta_m**2 / np.sum(eta_m**2))


# Rates -----------------------------------------------------------------------------------


def observed_rate(sizes: np.ndarray, errors: np.ndarray) -> float:
    """Return the slope of log(error) against log(size) by least squares.

    With ``sizes`` the mesh sizes h the slope is the rate in h. With ``sizes`` the numbers
    of unknowns N the slope is minus the rate in N.
    """
    sizes, errors = np.asarray(sizes, dtype=float), np.abs(np.asarray(errors, dtype=float))
    if len(sizes) < 2 or np.any(errors <= 0.0):
        return float("nan")
    slope, _ = np.polyfit(np.log(sizes), np.log(errors), 1)
    return float(slope)


def richardson(values: np.ndarray, rate: float | None = None, ratio: float = 2.0) -> tuple[float, float]:
    """Extrapolate a sequence of values on meshes refined by ``ratio`` in h each time.

    With the rate p known, Q ≈ Q_n + (Q_n − Q_{n−1})/(r^p − 1). With ``rate`` None and at
    least three values, p is estimated from the last three:
    p = log(|Q_{n−1} − Q_{n−2}| / |Q_n − Q_{n−1}|) / log r (L. F. Richardson, Phil. Trans.
    R. Soc. A 210, 1911, cited from its standard form).

    Returns
    -------
    (extrapolated value, rate used)
    """
    q = np.asarray(values, dtype=float)
    if len(q) < 2:
        raise ValueError(f"Richardson extrapolation needs at least 2 values, got {len(q)}")
    if rate is None:
        if len(q) < 3:
            raise ValueError("estimating the rate needs at least 3 values")
        d1, d2 = abs(q[-2] - q[-3]), abs(q[-1] - q[-2])
        if d1 == 0.0 or d2 == 0.0:
            return float(q[-1]), float("nan")
        rate = float(np.log(d1 / d2) / np.log(ratio))
    return float(q[-1] + (q[-1] - q[-2]) / (ratio**rate - 1.0)), float(rate)
