"""Mesh a :class:`~femstack.geometries.shapes.Layout` with gmsh (OpenCASCADE kernel).

Every shape becomes one named physical group, so downstream code finds regions by name.
The triangles come back as a scikit-fem :class:`skfem.MeshTri` and a region map.

Steps: the shapes are drawn as OCC rectangles inside the domain rectangle, fragmented
into a conforming set of pieces, and each piece is given to the highest-priority shape
that contains it. Element sizes come from per-region constant size fields, graded away
from the small regions by distance-threshold fields, so thin copper and dielectric layers
are resolved without refining the air.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import defaultdict

import numpy as np
from skfem import MeshTri

from femstack.errors import MeshError
from femstack.geometries.shapes import Layout

logger = logging.getLogger(__name__)

# gmsh keeps global state: one model at a time per process.
_GMSH_LOCK = threading.Lock()

#: Growth of the element size away from a refined region (size increase per unit distance).
SIZE_GROWTH = 0.25


@dataclasses.dataclass
class RegionMesh:
    """A triangular mesh with named regions.

    Attributes
    ----------
    mesh
        scikit-fem mesh; coordinates in metres, (r, z) for an axisymmetric layout.
    layout
        The layout that was meshed.
    region_names
        Region names; ``element_region[e]`` indexes this list.
    element_region
        Region index of each triangle.
    """

    mesh: MeshTri
    layout: Layout
    region_names: list[str]
    element_region: np.ndarray

    def elements(self, *names: str) -> np.ndarray:
        """Return the indices of the triangles in the named regions."""
        index = []
        for name in names:
            try:
                index.append(self.region_names.index(name))
            except ValueError:
                raise KeyError(
                    f"no region named {name!r}; regions are {self.region_names}"
                ) from None
        return np.flatnonzero(np.isin(self.element_region, index))

    def element_values(self, values: dict[str, complex], default: complex = 0.0) -> np.ndarray:
        """Return one value per triangle from a region-name → value table."""
        per_region = np.array([values.get(n, default) for n in self.region_names])
        return per_region[self.element_region]

    def axis_facets(self, tolerance: float | None = None) -> np.ndarray:
        """Return the boundary facets on the symmetry axis r = 0."""
        tol = tolerance if tolerance is not None else 1e-9 * self._size()
        facets = self.mesh.boundary_facets()
        r = self.mesh.p[0, self.mesh.facets[:, facets]]
        return facets[np.all(np.abs(r) <= tol, axis=0)]

    def outer_facets(self) -> np.ndarray:
        """Return the boundary facets not on the symmetry axis."""
        facets = self.mesh.boundary_facets()
        if not self.layout.axisymmetric:
            return facets
        return np.setdiff1d(facets, self.axis_facets())

    def _size(self) -> float:
        return float(np.ptp(self.mesh.p, axis=1).max())

    @property
    def n_elements(self) -> int:
        """Number of triangles."""
        return self.mesh.t.shape[1]


def mesh_layout(layout: Layout, *, max_size: float | None = None) -> RegionMesh:
    """Build and mesh ``layout`` with gmsh and return the triangles with their regions.

    Parameters
    ----------
    layout
        Shapes, domain and per-shape target sizes.
    max_size
        Largest element size anywhere, in m. Default: the background size, or 1/20 of
        the domain's larger side.

    Raises
    ------
    MeshError
        When gmsh fails or a region ends up with no elements.
    """
    import gmsh

    start = time.perf_counter()
    r0, r1, z0, z1 = layout.domain
    h_max = max_size or layout.background_mesh_size or max(r1 - r0, z1 - z0) / 20.0

    with _GMSH_LOCK:
        gmsh.initialize(interruptible=False)
        try:
            gmsh.option.setNumber("General.Terminal", 0)
            gmsh.option.setNumber("General.NumThreads", 1)
            gmsh.model.add("femstack")
            pieces = _build_geometry(gmsh, layout)
            _set_size_fields(gmsh, layout, pieces, h_max)
            gmsh.model.mesh.generate(2)
            region_mesh = _extract_mesh(gmsh, layout, pieces)
        except MeshError:
            raise
        except Exception as error:  # gmsh raises bare Exception with its own message
            raise MeshError(
                f"gmsh failed to mesh the layout ({len(layout.shapes)} shapes): {error}"
            ) from error
        finally:
            gmsh.finalize()

    logger.info(
        "mesh: %d triangles, %d nodes, %d regions in %.2f s",
        region_mesh.n_elements,
        region_mesh.mesh.p.shape[1],
        len(region_mesh.region_names),
        time.perf_counter() - start,
    )
    return region_mesh


def _build_geometry(gmsh, layout: Layout) -> dict[str, list[int]]:
    """Draw, fragment and assign the OCC surfaces; return region name → surface tags."""
    occ = gmsh.model.occ
    r0, r1, z0, z1 = layout.domain

    # One rectangle per shape, then the domain; fragment makes them conforming.
    tags = [occ.addRectangle(s.r0, s.z0, 0.0, s.width, s.height) for s in layout.shapes]
    domain_tag = occ.addRectangle(r0, z0, 0.0, r1 - r0, z1 - z0)
    inputs = [(2, t) for t in tags] + [(2, domain_tag)]
    _, out_map = occ.fragment(inputs, [])
    occ.synchronize()

    # Each output piece goes to the highest-priority input that contains it; the
    # domain rectangle (lowest priority) keeps what no shape claims.
    owner: dict[int, tuple[int, str]] = {}
    for shape, children in zip(layout.shapes, out_map[: len(tags)]):
        for _, piece in children:
            if piece not in owner or owner[piece][0] < shape.priority:
                owner[piece] = (shape.priority, shape.name)
    for _, piece in out_map[len(tags)]:
        owner.setdefault(piece, (-(10**9), layout.background))

    pieces: dict[str, list[int]] = defaultdict(list)
    for piece, (_, name) in owner.items():
        pieces[name].append(piece)

    missing = [name for name in layout.region_names() if name not in pieces]
    if missing and missing != [layout.background]:
        raise MeshError(
            f"regions {missing} have no area left after overlaps were resolved; "
            "each shape must own part of the plane"
        )

    for name, surfaces in pieces.items():
        group = gmsh.model.addPhysicalGroup(2, sorted(surfaces))
        gmsh.model.setPhysicalName(2, group, name)
    return dict(pieces)


def _set_size_fields(gmsh, layout: Layout, pieces: dict[str, list[int]], h_max: float) -> None:
    """Constant size inside each sized region, graded outward by distance thresholds."""
    field = gmsh.model.mesh.field
    by_size: dict[float, list[int]] = defaultdict(list)
    for shape in layout.shapes:
        if shape.mesh_size is not None and shape.mesh_size < h_max:
            by_size[shape.mesh_size].extend(pieces.get(shape.name, []))

    fields = []
    for size, surfaces in sorted(by_size.items()):
        constant = field.add("Constant")
        field.setNumbers(constant, "SurfacesList", surfaces)
        field.setNumber(constant, "VIn", size)
        field.setNumber(constant, "VOut", h_max)
        field.setNumber(constant, "IncludeBoundary", 1)
        fields.append(constant)

        curves = sorted(
            {abs(c[1]) for s in surfaces for c in gmsh.model.getBoundary([(2, s)], oriented=False)}
        )
        distance = field.add("Distance")
        field.setNumbers(distance, "CurvesList", curves)
        field.setNumber(distance, "Sampling", 20)
        threshold = field.add("Threshold")
        field.setNumber(threshold, "InField", distance)
        field.setNumber(threshold, "SizeMin", size)
        field.setNumber(threshold, "SizeMax", h_max)
        field.setNumber(threshold, "DistMin", 0.0)
        field.setNumber(threshold, "DistMax", (h_max - size) / SIZE_GROWTH)
        fields.append(threshold)

    if fields:
        minimum = field.add("Min")
        field.setNumbers(minimum, "FieldsList", fields)
        field.setAsBackgroundMesh(minimum)
    gmsh.option.setNumber("Mesh.MeshSizeMax", h_max)
    gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    gmsh.option.setNumber("Mesh.Algorithm", 6)  # Frontal-Delaunay


def _extract_mesh(gmsh, layout: Layout, pieces: dict[str, list[int]]) -> RegionMesh:
    """Read nodes and triangles back from gmsh into a scikit-fem mesh with regions."""
    node_tags, coords, _ = gmsh.model.mesh.getNodes()
    xyz = coords.reshape(-1, 3)

    region_names = [n for n in layout.region_names() if n in pieces]
    triangles, regions = [], []
    for index, name in enumerate(region_names):
        for surface in pieces[name]:
            types, _, element_nodes = gmsh.model.mesh.getElements(2, surface)
            for etype, enodes in zip(types, element_nodes):
                if etype != 2:  # 3-node triangle
                    raise MeshError(
                        f"region {name!r} has gmsh element type {etype}; expected "
                        "3-node triangles (type 2)"
                    )
                tri = enodes.reshape(-1, 3)
                triangles.append(tri)
                regions.append(np.full(len(tri), index))
    if not triangles:
        raise MeshError("gmsh produced no triangles")
    tri_tags = np.vstack(triangles)
    element_region = np.concatenate(regions)

    # Renumber gmsh node tags to contiguous indices over the nodes in use.
    used = np.unique(tri_tags)
    position = {int(tag): i for i, tag in enumerate(node_tags)}
    p = np.ascontiguousarray(np.array([xyz[position[int(tag)], :2] for tag in used]).T)
    lookup = np.searchsorted(used, tri_tags)
    t = np.ascontiguousarray(lookup.T)

    # scikit-fem integrates with the signed Jacobian: orient every triangle counter-clockwise.
    a, b, c = (p[:, t[i]] for i in range(3))
    signed = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    flip = signed < 0
    t[[1, 2]] = np.where(flip, t[[2, 1]], t[[1, 2]])

    empty = [n for i, n in enumerate(region_names) if not np.any(element_region == i)]
    if empty:
        raise MeshError(f"regions {empty} received no triangles; refine the mesh size there")
    return RegionMesh(MeshTri(p, t), layout, region_names, element_region)
