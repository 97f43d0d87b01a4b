"""Design variants for the common-mode studies: shield layers and winding orientations.

`insert_shields` splits every dielectric between a primary and a secondary layer and puts
a shield layer in its middle, so the winding-to-winding distance stays as it was.
`orientations` lists the orientation choices of a design that change the potential
distribution but not the turns: the series order of each winding's layers, the entry end
of each series group (``Winding.layer_starts``) and the secondary's dot.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any, Iterator

from femstack.design.model import EMPTY_LAYER, Design, Shield, format_length, validate_model
from femstack.errors import DesignError

__all__ = ["insert_shields", "orientations", "with_orientation"]

logger = logging.getLogger(__name__)

#: Minimum dielectric left on each side of an inserted shield, in m.
MIN_SHIELD_DIELECTRIC = 25e-6


def insert_shields(
    design: Design,
    pattern: str,
    shield: Shield | dict[str, Any],
    *,
    copper_thickness: float = 35e-6,
    present: bool = True,
    secondary_shield: Shield | dict[str, Any] | None = None,
) -> tuple[Design, str]:
    """Return a design with a shield layer between every facing primary and secondary layer.

    Each dielectric of thickness d between a layer of the first winding and a layer of
    another winding becomes (d − t)/2, a shield layer of thickness t, (d − t)/2, with
    the same permittivity. The windings keep their distance, so a pattern with and one
    without the shield (``present=False`` leaves the new layers empty, ``-``) differ by
    the shield's copper alone.

    Parameters
    ----------
    design
        Validated design without shields.
    pattern
        Layer pattern of the design, such as ``"PSSP"``.
    shield
        The shield (a `Shield` or the keyword arguments of one).
    copper_thickness
        Thickness t of the shield layers, in m.
    present
        False puts ``-`` (no copper) where the shield would be.
    secondary_shield
        A second shield, put between the first one and the secondary layer. Each
        dielectric then becomes three parts of (d − 2t)/3. Tie it to the secondary's
        quiet terminal, so that the secondary's own swing sees a shield at its own
        quiet potential.

    Returns
    -------
    design, pattern
        The new design, whose only pattern is the returned one.

    Raises
    ------
    DesignError
        If the design already has shields, the pattern has no primary-secondary
        interface, or a dielectric is too thin to take the shield.
    """
    if design.shields:
        raise DesignError("shields", [s.name for s in design.shields], "expected a design without shields")
    design = design.with_pattern(pattern)
    shield = shield if isinstance(shield, Shield) else validate_model(Shield, dict(shield))
    shields = [shield]
    if secondary_shield is not None:
        second = secondary_shield if isinstance(secondary_shield, Shield) else validate_model(Shield, dict(secondary_shield))
        if second.symbol == shield.symbol or second.name == shield.name:
            raise DesignError(
                "secondary_shield",
                second.name,
                f"expected a name and a symbol other than the first shield's ({shield.name!r}, {shield.symbol!r})",
            )
        shields.append(second)
    primary = design.windings[0].symbol
    stack = design.stackup
    copper = list(stack.copper_thickness)
    dielectric = list(stack.dielectric_thickness)
    permittivity = list(stack.dielectric_permittivity)

    new_pattern = pattern[0]
    new_copper = [copper[0]]
    new_dielectric: list[float] = []
    new_permittivity: list[float] = []
    inserted = 0
    for i in range(1, len(pattern)):
        below, above = pattern[i - 1], pattern[i]
        facing = below != above and primary in (below, above)
        d, eps = dielectric[i - 1], permittivity[i - 1]
        if facing:
            count = len(shields)
            part = (d - count * copper_thickness) / (count + 1)
            if part < MIN_SHIELD_DIELECTRIC:
                needed = count * copper_thickness + (count + 1) * MIN_SHIELD_DIELECTRIC
                raise DesignError(
                    f"stackup.dielectric_thickness[{i - 1}]",
                    format_length(d),
                    f"{count} shield layers of {format_length(copper_thickness)} need at least "
                    f"{format_length(needed)} between layers {i} and {i + 1}",
                )
            # Primary-side shield first, counted from the primary layer.
            ordered = shields if below == primary else shields[::-1]
            for item in ordered:
                new_pattern += item.symbol if present else EMPTY_LAYER
                new_copper.append(copper_thickness)
            new_dielectric += [part] * (count + 1)
            new_permittivity += [eps] * (count + 1)
            inserted += count
        else:
            new_dielectric.append(d)
            new_permittivity.append(eps)
        new_pattern += above
        new_copper.append(copper[i])
    if inserted == 0:
        raise DesignError("pattern", pattern, "expected a pattern in which a primary layer faces a secondary layer")

    data = design.model_dump()
    data["stackup"].update(
        copper_thickness=tuple(new_copper),
        dielectric_thickness=tuple(new_dielectric),
        dielectric_permittivity=tuple(new_permittivity),
    )
    data["shields"] = tuple(item.model_dump() for item in shields)
    data["arrangement"] = {"patterns": (new_pattern,)}
    logger.info("inserted %d shield layers: %s -> %s", inserted, pattern, new_pattern)
    return _validated(data), new_pattern


def orientations(design: Design, pattern: str) -> Iterator[dict[str, dict[str, Any]]]:
    """Yield every orientation of the windings of ``design`` for one pattern.

    Each item maps a winding name to the fields that set its orientation:
    ``series_order`` (a permutation of its layers), ``layer_starts`` (the entry end of
    each series group) and, for windings after the first, ``dot``. Choices that cannot
    change the potential distribution are left out: the entry end of a layer with one
    turn, and the series order of a winding on one series group. The first winding's dot
    stays at its start, because reversing both dots gives the same swings.
    """
    per_winding = []
    for index, winding in enumerate(design.windings):
        count = sum(1 for letter in pattern if letter == winding.symbol)
        groups = count // winding.parallel_layers
        orders = [None] if groups == 1 else [tuple(p) for p in itertools.permutations(range(1, count + 1))]
        if winding.parallel_layers > 1:
            orders = [None]  # NOTE: series order with parallel layers is not enumerated.
        starts = [None] if winding.turns_per_layer == 1 else list(itertools.product(("outer", "inner"), repeat=groups))
        dots = ["start"] if index == 0 else ["start", "end"]
        choices = [
            {"series_order": order, "layer_starts": start, "dot": dot}
            for order, start, dot in itertools.product(orders, starts, dots)
        ]
        per_winding.append((winding.name, choices))
    for combination in itertools.product(*(choices for _, choices in per_winding)):
        yield {name: choice for (name, _), choice in zip(per_winding, combination)}


def with_orientation(design: Design, orientation: dict[str, dict[str, Any]]) -> Design:
    """Return a copy of ``design`` with the orientation fields of its windings replaced.

    Raises
    ------
    DesignError
        If a winding name is unknown or a field value is invalid for the design.
    """
    data = design.model_dump()
    names = [w["name"] for w in data["windings"]]
    for name, fields in orientation.items():
        if name not in names:
            raise DesignError("orientation", name, f"expected a winding name: {', '.join(names)}", reason="unknown winding")
        data["windings"][names.index(name)].update(fields)
    return _validated(data)


def orientation_label(orientation: dict[str, dict[str, Any]]) -> str:
    """Return a short label such as ``P:order=21,starts=oi S:dot=end``."""
    parts = []
    for name, fields in orientation.items():
        items = []
        if fields.get("series_order"):
            items.append("order=" + "".join(str(k) for k in fields["series_order"]))
        if fields.get("layer_starts"):
            items.append("starts=" + "".join(s[0] for s in fields["layer_starts"]))
        if fields.get("dot", "start") != "start":
            items.append("dot=end")
        if items:
            parts.append(f"{name}:{','.join(items)}")
    return " ".join(parts) or "default"


def _validated(data: dict[str, Any]) -> Design:
    from femstack.design.fit import check_fit

    design = validate_model(Design, data)
    check_fit(design)
    return design
