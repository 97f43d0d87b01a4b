"""Check that the winding stack fits into the core window, before any meshing.

Two rules apply to every arrangement pattern of a design:

* On every layer, the copper width of the winding on that layer,
  ``turns_per_layer * trace_width + (turns_per_layer - 1) * spacing``, must not exceed
  ``window_width - 2 * clearance``.
* The stack height, the sum of all copper and dielectric thicknesses, must not exceed
  ``window_height - 2 * clearance``.

The clearance is the minimum distance from copper to core, radially to the legs and
axially to the back and the plate.
"""

from __future__ import annotations

import logging

from femstack.design.model import Design, format_length
from femstack.errors import DesignError, DesignProblem

__all__ = ["check_fit"]

logger = logging.getLogger(__name__)


def check_fit(design: Design) -> None:
    """Raise DesignError unless every layer of every pattern fits into the core window.

    A winding that is too wide is reported once, with the layers it occupies in the
    first pattern where it does not fit. The message gives the needed size, the available
    size and the excess, in mm.

    Parameters
    ----------
    design : Design
        A validated design.

    Raises
    ------
    DesignError
        If a winding is wider than the window or the stack is higher than the window.
    """
    problems: list[DesignProblem] = []
    problems.extend(_width_problems(design))
    problems.extend(_shield_width_problems(design))
    stack_problem = _height_problem(design)
    if stack_problem is not None:
        problems.append(stack_problem)
    if problems:
        raise DesignError.from_problems(problems)
    logger.debug("design %r fits into the window of %s", design.name, design.core.e_half.name)


def _width_problems(design: Design) -> list[DesignProblem]:
    core = design.core
    clearance = design.stackup.clearance
    available = core.window_width - 2 * clearance
    available_text = (
        f"the available width is {format_length(available)} (window width {format_length(core.window_width)} "
        f"- 2 x clearance {format_length(clearance)})"
    )
    problems = []
    reported: set[str] = set()

    for pattern in design.arrangement.patterns:
        for winding_index, winding in enumerate(design.windings):
            if winding.name in reported:
                continue
            needed = winding.copper_width
            if needed <= available:
                continue
            reported.add(winding.name)
            layers = [index + 1 for index in design.layers_of(winding.name, pattern)]
            layer_text = ", ".join(str(layer) for layer in layers)
            layer_word = "layer" if len(layers) == 1 else "layers"
            problems.append(
                DesignProblem(
                    f"windings[{winding_index}].trace_width",
                    format_length(winding.trace_width),
                    f"winding {winding.name!r} on {layer_word} {layer_text} of pattern {pattern!r} needs a copper "
                    f"width of {format_length(needed)} ({winding.turns_per_layer} x trace_width "
                    f"{format_length(winding.trace_width)} + {winding.turns_per_layer - 1} x spacing "
                    f"{format_length(winding.spacing)}), but {available_text}; it is too wide by "
                    f"{format_length(needed - available)}",
                    reason="too wide with trace width",
                )
            )
    return problems


def _shield_width_problems(design: Design) -> list[DesignProblem]:
    available = design.core.window_width - 2 * design.stackup.clearance
    problems = []
    for index, shield in enumerate(design.shields):
        if shield.width is not None and shield.width > available:
            problems.append(
                DesignProblem(
                    f"shields[{index}].width",
                    format_length(shield.width),
                    f"the available width is {format_length(available)} (window width - 2 x clearance); "
                    f"it is too wide by {format_length(shield.width - available)}",
                    reason="too wide with width",
                )
            )
    return problems


def _height_problem(design: Design) -> DesignProblem | None:
    core = design.core
    stackup = design.stackup
    clearance = stackup.clearance
    available = core.window_height - 2 * clearance
    needed = stackup.height
    if needed <= available:
        return None
    return DesignProblem(
        "stackup",
        format_length(needed),
        f"the {stackup.n_layers} copper layers ({format_length(sum(stackup.copper_thickness))}) and dielectrics "
        f"({format_length(sum(stackup.dielectric_thickness))}) need {format_length(needed)}, but the available "
        f"height is {format_length(available)} (window height {format_length(core.window_height)} of the "
        f"{core.combination} set - 2 x clearance {format_length(clearance)}); the stack is too high by "
        f"{format_length(needed - available)}",
        reason="stack height",
    )
