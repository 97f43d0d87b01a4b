r"""Terminal swings of common converter topologies, for the common-mode analysis.

A swing is how far a terminal moves during one switching edge, in units of the
switching-node swing V_sw (the drain or bridge-leg voltage step). The common-mode charge
per edge is then Q = C_cm·V_sw, with C_cm from
:func:`femstack.post.capacitance.common_mode_capacitance`.

Conventions shared by every preset:

- The primary is the design's first winding and the secondary its second one;
  n = N_S/N_P is the turns ratio.
- The switching node sits on ``Design.terminals.switching``, which swings by +1.
- All turns of the model circulate in the same sense, so an ideal transformer gives
  ΔV_S = n·ΔV_P with the winding voltages taken from the dotted to the undotted
  terminal (``Winding.dot``, default ``"start"``). Reversing the secondary's dot swaps
  which physical end of it swings.
- The reference (0) is the quiet side of each winding: the input rail or the primary
  ground for the primary, the output return (tied to protective earth in a CM test) for
  the secondary.
- The edge is fast compared with the resonant and magnetizing currents, and the
  rectifier (or the secondary bridge) keeps conducting through the edge where the preset
  says so; the leakage inductance takes no part of the secondary's swing.

Presets (the assumed schematic in brackets):

- ``flyback`` [primary dot at the input rail, drain at the undotted end, secondary dot
  at the output return]: the other primary terminal is quiet, the secondary's dotted
  terminal is quiet and its undotted terminal swings by −n·ΔV_P(dot − undot).
- ``forward`` [primary dot at the input rail, drain at the undotted end, secondary dot
  at the rectifier anode]: the other primary terminal is quiet, the secondary's
  undotted terminal is quiet and its dotted terminal swings by n·ΔV_P(dot − undot).
- ``half-bridge-llc`` [bridge midpoint on the switching terminal, the other primary end
  at the resonant capacitor, whose voltage does not move during the edge; full-bridge
  rectifier]: the other primary terminal is quiet, the secondary terminals swing by
  ±n·ΔV_P/2 around the output midpoint.
- ``full-bridge`` [leg A on the switching terminal, leg B on the other primary end,
  switching in antiphase; diode full-bridge rectifier]: the other primary terminal
  swings by −1, the secondary terminals by ±n·ΔV_P/2 with ΔV_P = 2.
- ``dual-active-bridge`` [as full-bridge, with an active secondary bridge that does not
  switch during the primary edge]: the other primary terminal swings by −1, both
  secondary terminals are quiet, because the secondary bridge holds them and the series
  inductance takes the voltage step.
- ``custom``: ``Design.terminals``: the switching terminal at 1, the quiet terminals
  at 0, and ``Design.terminals.swings`` for anything else (unlisted terminals are quiet).

In the presets with a quiet primary end and a single-ended secondary, the dotted
terminal of the primary may sit on the switching node or on the rail; ΔV_P(dot − undot)
is +1 or −1 accordingly, and the secondary's swing follows.
"""

from __future__ import annotations

import dataclasses

from femstack.design.model import CONVERTER_PRESETS, Design
from femstack.errors import DesignError

__all__ = ["ConverterPreset", "PRESETS", "terminal_swings"]


@dataclasses.dataclass(frozen=True)
class ConverterPreset:
    """Swing rules of one converter topology.

    Attributes
    ----------
    name
        Preset name, as in ``Design.terminals.converter``.
    other_primary_swing
        Swing of the primary terminal that is not the switching node, in units of V_sw.
    secondary
        ``"dot-quiet"``, ``"undot-quiet"``, ``"balanced"`` (both ends swing by half the
        winding voltage step in opposite directions) or ``"quiet"``.
    description
        One line on the assumed schematic.
    """

    name: str
    other_primary_swing: float
    secondary: str
    description: str


PRESETS: dict[str, ConverterPreset] = {
    preset.name: preset
    for preset in (
        ConverterPreset("flyback", 0.0, "dot-quiet", "single switch; secondary dot at the output return"),
        ConverterPreset("forward", 0.0, "undot-quiet", "single switch; secondary dot at the rectifier anode"),
        ConverterPreset(
            "half-bridge-llc", 0.0, "balanced", "half bridge into the resonant capacitor; full-bridge rectifier"
        ),
        ConverterPreset("full-bridge", -1.0, "balanced", "two legs in antiphase; diode full-bridge rectifier"),
        ConverterPreset(
            "dual-active-bridge", -1.0, "quiet", "two legs in antiphase; secondary bridge holds its terminals"
        ),
    )
}


def terminal_swings(design: Design, converter: str | None = None) -> dict[str, float]:
    """Return the swing of every terminal in units of the switching-node swing.

    Parameters
    ----------
    design
        Validated design; its first winding is the primary.
    converter
        Preset name; default ``design.terminals.converter``.

    Raises
    ------
    DesignError
        If the preset is unknown, or a preset is asked for a design without exactly two
        windings.
    """
    converter = converter or design.terminals.converter
    terms = design.terminals
    names = design.terminal_names()
    if converter == "custom":
        swings = {name: 0.0 for name in names}
        swings[terms.switching] = 1.0
        swings.update(terms.swings)
        return swings
    if converter not in PRESETS:
        raise DesignError("converter", converter, f"expected one of {', '.join(CONVERTER_PRESETS)}")
    if len(design.windings) != 2:
        raise DesignError(
            "converter",
            converter,
            f"the presets model a primary and one secondary, but the design has {len(design.windings)} windings",
        )
    preset = PRESETS[converter]
    primary, secondary = design.windings
    n = secondary.turns / primary.turns

    # Primary: the switching node and the other end.
    other = next(t for t in primary.terminal_names if t != terms.switching)
    swings = {terms.switching: 1.0, other: preset.other_primary_swing}
    dot, undot = _dotted(primary)
    primary_step = swings[dot] - swings[undot]

    # Secondary: an ideal transformer, ΔV_S(dot − undot) = n ΔV_P(dot − undot).
    secondary_step = n * primary_step
    s_dot, s_undot = _dotted(secondary)
    if preset.secondary == "dot-quiet":
        swings.update({s_dot: 0.0, s_undot: -secondary_step})
    elif preset.secondary == "undot-quiet":
        swings.update({s_dot: secondary_step, s_undot: 0.0})
    elif preset.secondary == "balanced":
        swings.update({s_dot: 0.5 * secondary_step, s_undot: -0.5 * secondary_step})
    else:
        swings.update({s_dot: 0.0, s_undot: 0.0})
    return {name: swings[name] for name in names}


def _dotted(winding) -> tuple[str, str]:
    """Return the (dotted, undotted) terminal names of a winding."""
    start, end = winding.terminal_names
    return (start, end) if winding.dot == "start" else (end, start)
