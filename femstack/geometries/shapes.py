"""Named 2-D shapes and their materials: the layout that the mesher turns into regions.

A :class:`Layout` is pure geometry plus a material tag per shape. It does not import
gmsh, so arrangement logic can be tested without meshing. Coordinates are SI metres. In
the axisymmetric model the first coordinate is the radius r and the second the axial
position z.

Shapes may overlap. Where they do, the shape with the higher ``priority`` owns the
overlap, so a copper turn can be drawn on top of the board that surrounds it and the
board on top of the air that fills the domain.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Iterator, Literal

RegionKind = Literal["copper", "core", "gap", "dielectric", "air"]


@dataclasses.dataclass(frozen=True)
class Material:
    """Linear, isotropic material constants of one region.

    Parameters
    ----------
    relative_permittivity
        Static relative permittivity εr (electrostatics).
    relative_permeability
        Relative permeability µr; may be complex, µ' − jµ'', for magnetic loss.
    conductivity
        Electrical conductivity σ in S/m used by the eddy-current solver.
    """

    relative_permittivity: float = 1.0
    relative_permeability: complex = 1.0
    conductivity: float = 0.0


@dataclasses.dataclass(frozen=True)
class Rect:
    """Axis-aligned rectangle [r0, r1] × [z0, z1] in metres, with a region name.

    ``kind`` is the region's physical role; ``winding``, ``layer`` and ``turn``
    identify copper turns (``layer`` is 0-based from the bottom of the stack, ``turn``
    0-based from the centre leg). ``mesh_size`` is the target element size inside the
    shape in metres (None: set by neighbours and the global maximum).
    """

    name: str
    r0: float
    r1: float
    z0: float
    z1: float
    kind: RegionKind
    material: Material
    priority: int = 0
    mesh_size: float | None = None
    winding: str | None = None
    layer: int | None = None
    turn: int | None = None

    def __post_init__(self) -> None:
        if not (self.r1 > self.r0 and self.z1 > self.z0):
            raise ValueError(
                f"shape {self.name!r} has an empty extent: r = [{self.r0}, {self.r1}] m, "
                f"z = [{self.z0}, {self.z1}] m; the upper bounds must exceed the lower ones"
            )

    @property
    def width(self) -> float:
        """Extent along r in m."""
        return self.r1 - self.r0

    @property
    def height(self) -> float:
        """Extent along z in m."""
        return self.z1 - self.z0

    @property
    def centroid_r(self) -> float:
        """Radius of the area centroid in m."""
        return 0.5 * (self.r0 + self.r1)


@dataclasses.dataclass(frozen=True)
class Layout:
    """Every shape of one 2-D model, plus the outer boundary of the computational domain.

    ``domain`` is the rectangle that encloses everything; the region it leaves after all
    other shapes are cut out is named ``background`` (usually ``"air"``).
    ``axisymmetric`` is True when r = 0 is the symmetry axis.
    """

    shapes: tuple[Rect, ...]
    domain: tuple[float, float, float, float]
    background: str = "air"
    background_material: Material = Material()
    background_mesh_size: float | None = None
    axisymmetric: bool = True

    def __post_init__(self) -> None:
        names = [s.name for s in self.shapes]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"layout has duplicate region names: {duplicates}")
        if self.background in names:
            raise ValueError(f"background name {self.background!r} is also a shape name")
        r0, r1, z0, z1 = self.domain
        for s in self.shapes:
            if s.r0 < r0 or s.r1 > r1 or s.z0 < z0 or s.z1 > z1:
                raise ValueError(
                    f"shape {s.name!r} ([{s.r0}, {s.r1}] × [{s.z0}, {s.z1}] m) lies "
                    f"outside the domain [{r0}, {r1}] × [{z0}, {z1}] m"
                )

    def __iter__(self) -> Iterator[Rect]:
        return iter(self.shapes)

    def region_names(self) -> list[str]:
        """Return every region name, the background last."""
        return [s.name for s in self.shapes] + [self.background]

    def shape(self, name: str) -> Rect:
        """Return the shape called ``name``."""
        for s in self.shapes:
            if s.name == name:
                return s
        raise KeyError(f"no shape named {name!r}; regions are {self.region_names()}")

    def select(self, kind: RegionKind | None = None, winding: str | None = None) -> list[Rect]:
        """Return the shapes of one kind and/or one winding, in layout order."""
        return [
            s
            for s in self.shapes
            if (kind is None or s.kind == kind) and (winding is None or s.winding == winding)
        ]

    def material(self, name: str) -> Material:
        """Return the material of region ``name`` (the background included)."""
        if name == self.background:
            return self.background_material
        return self.shape(name).material

    def with_shapes(self, extra: Iterable[Rect]) -> "Layout":
        """Return a copy with more shapes."""
        return dataclasses.replace(self, shapes=self.shapes + tuple(extra))
