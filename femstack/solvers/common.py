"""Pieces shared by the formulations: bases, coefficients per element, the volume measure.

In the axisymmetric model the mesh coordinates are (r, z) and every volume integral
carries the measure 2πr dr dz. In a planar model integrals are per metre of depth.
"""

from __future__ import annotations

import logging

import numpy as np
from skfem import Basis, ElementTriP1, ElementTriP2

from femstack.errors import SolverError
from femstack.geometries.mesher import RegionMesh

logger = logging.getLogger(__name__)

ELEMENTS = {1: ElementTriP1, 2: ElementTriP2}


def make_basis(region_mesh: RegionMesh, order: int, elements: np.ndarray | None = None) -> Basis:
    """Return a Lagrange basis of ``order`` 1 or 2 on the whole mesh or on some elements."""
    if order not in ELEMENTS:
        raise SolverError(f"element order {order} is not supported; use 1 or 2")
    intorder = 2 * order + 1  # the 2πr weight raises the polynomial degree by one
    return Basis(region_mesh.mesh, ELEMENTS[order](), elements=elements, intorder=intorder)


def per_quadrature_point(basis: Basis, element_values: np.ndarray) -> np.ndarray:
    """Spread one value per mesh element to the quadrature points of ``basis``.

    ``element_values`` is indexed by global element number; the result has the shape
    (elements of the basis, quadrature points) that scikit-fem forms expect.
    """
    values = np.asarray(element_values)
    if basis.tind is not None:
        values = values[basis.tind]
    return np.repeat(values[:, None], basis.X.shape[1], axis=1)


def centroid_basis(basis: Basis) -> Basis:
    """Return a basis of the same element whose one quadrature point is each centroid.

    Fields evaluated on it give one value per element, as plots and VTU cell data need.
    """
    centroid = (np.array([[1.0 / 3.0], [1.0 / 3.0]]), np.array([0.5]))
    return Basis(basis.mesh, basis.elem, quadrature=centroid)


def measure(w, axisymmetric: bool):
    """Return the volume weight at the quadrature points: 2πr, or 1 per metre of depth."""
    return 2.0 * np.pi * w.x[0] if axisymmetric else 1.0 + 0.0 * w.x[0]


def region_dofs(basis: Basis, region_mesh: RegionMesh, regions: list[str]) -> np.ndarray:
    """Return every degree of freedom that belongs to an element of the given regions."""
    elements = region_mesh.elements(*regions)
    return np.unique(basis.element_dofs[:, elements])
