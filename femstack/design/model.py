"""Validated, immutable description of a planar transformer design, in SI units.

The models here are pydantic v2 models. A `Design` is normally created by
`femstack.design.loader.load_design`, which converts the units of a TOML file and then
validates the result with these models. All lengths are in m, areas in m², volumes in m³,
frequencies in Hz, currents in A (peak phasors) and conductivities in S/m.

Geometry conventions
--------------------
The E-core half lies with its back at the bottom and its legs pointing up. Layer 1 of the
winding stack is the layer nearest the back of this E half and the last layer is nearest
the plate (E+PLT) or the second E half (E+E). An arrangement pattern such as ``"PSSP"``
lists the winding symbol of each layer from layer 1 upwards.

The validators raise `femstack.errors.DesignError` with field paths and allowed values.
Pydantic wraps these in its ValidationError when a model is validated directly, so code
outside the loader should validate through `validate_model`, which converts the
ValidationError back into one DesignError.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Mapping, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    model_validator,
)

from femstack.errors import MISSING, DesignError, DesignProblem

__all__ = [
    "COPPER_CONDUCTIVITY",
    "Arrangement",
    "Core",
    "Design",
    "EHalf",
    "EffectiveParameters",
    "EmiOptions",
    "Excitation",
    "Material",
    "MeshOptions",
    "Plate",
    "Shield",
    "StackUp",
    "Terminals",
    "Winding",
    "CONVERTER_PRESETS",
    "EMPTY_LAYER",
    "design_error_from_validation",
    "format_frequency",
    "format_length",
    "normalized_dict",
    "validate_model",
]

COPPER_CONDUCTIVITY = 5.80e7
"""Conductivity of annealed copper in S/m (100 % IACS at 20 °C)."""

PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
PositiveInt = Annotated[int, Field(ge=1, strict=True)]

WINDING_NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")

EMPTY_LAYER = "-"
"""Pattern symbol of a layer without copper, so one stack-up serves patterns with and
without a shield layer."""

CONVERTER_PRESETS = ("custom", "flyback", "forward", "half-bridge-llc", "full-bridge", "dual-active-bridge")
"""Names of the terminal-swing presets of `femstack.post.converters`; "custom" uses
`Terminals.switching`, `Terminals.quiet` and `Terminals.swings` as given."""


def format_length(value: float) -> str:
    """Format a length in m as millimetres for messages, such as ``'9.525 mm'``."""
    return f"{value * 1e3:.6g} mm"


def format_frequency(value: float) -> str:
    """Format a frequency in Hz for messages, such as ``'500 kHz'``."""
    for factor, unit in ((1e9, "GHz"), (1e6, "MHz"), (1e3, "kHz")):
        if abs(value) >= factor:
            return f"{value / factor:.6g} {unit}"
    return f"{value:.6g} Hz"


class _FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---------------------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------------------


class EHalf(_FrozenModel):
    """One E-core half, with the dimension names of planar E-core data sheets.

    Attributes
    ----------
    name : str
        Part name, such as ``"E32/6/20"``, or a user-chosen name for explicit dimensions.
    overall_length : float
        Outer length across all three legs, in m.
    window_span : float
        Inner distance between the two outer legs, in m.
    depth : float
        Extent of the core perpendicular to the cross-section, in m.
    height : float
        Height of the half from the back to the leg faces, in m.
    centre_leg_width : float
        Width of the centre leg, in m.
    leg_height : float
        Height of the legs above the back, which is the window height of one half, in m.
    source : str
        Where the dimensions come from.
    """

    name: str
    overall_length: PositiveFloat
    window_span: PositiveFloat
    depth: PositiveFloat
    height: PositiveFloat
    centre_leg_width: PositiveFloat
    leg_height: PositiveFloat
    source: str = ""

    @model_validator(mode="after")
    def _check_proportions(self) -> "EHalf":
        problems = []
        if self.window_span >= self.overall_length:
            problems.append(
                DesignProblem(
                    "window_span",
                    format_length(self.window_span),
                    f"expected less than overall_length ({format_length(self.overall_length)}), "
                    "so that the outer legs have a width",
                )
            )
        if self.centre_leg_width >= self.window_span:
            problems.append(
                DesignProblem(
                    "centre_leg_width",
                    format_length(self.centre_leg_width),
                    f"expected less than window_span ({format_length(self.window_span)}), "
                    "so that there is a winding window",
                )
            )
        if self.leg_height >= self.height:
            problems.append(
                DesignProblem(
                    "leg_height",
                    format_length(self.leg_height),
                    f"expected less than height ({format_length(self.height)}), so that the back has a thickness",
                )
            )
        if problems:
            raise DesignError.from_problems(problems)
        return self

    @property
    def window_width(self) -> float:
        """Width of one winding window, (window_span - centre_leg_width) / 2, in m."""
        return (self.window_span - self.centre_leg_width) / 2

    @property
    def outer_leg_width(self) -> float:
        """Width of one outer leg, (overall_length - window_span) / 2, in m."""
        return (self.overall_length - self.window_span) / 2

    @property
    def back_thickness(self) -> float:
        """Thickness of the back below the window, height - leg_height, in m."""
        return self.height - self.leg_height


class Plate(_FrozenModel):
    """Flat ferrite plate (I core) that closes an E half.

    Attributes
    ----------
    name : str
        Part name, such as ``"PLT32/20/3.2"``.
    length : float
        Length along the E half's overall length, in m.
    depth : float
        Depth, in m.
    thickness : float
        Thickness, in m.
    source : str
        Where the dimensions come from.
    """

    name: str
    length: PositiveFloat
    depth: PositiveFloat
    thickness: PositiveFloat
    source: str = ""


class EffectiveParameters(_FrozenModel):
    """Effective magnetic parameters of a core set, as given in the data sheet.

    Attributes
    ----------
    le : float
        Effective magnetic path length, in m.
    ae : float
        Effective cross-sectional area, in m².
    ve : float
        Effective volume, in m³.
    """

    le: PositiveFloat
    ae: PositiveFloat
    ve: PositiveFloat


class Material(_FrozenModel):
    """Electromagnetic properties of a material, for frequencies where they are constant.

    Attributes
    ----------
    name : str
        Material name, such as ``"N87"``.
    relative_permeability : float
        Initial relative permeability µ' (>= 1).
    relative_permeability_loss : float
        Imaginary part µ'' of the relative permeability (>= 0), 0 for a lossless model.
    conductivity : float
        Electrical conductivity in S/m (>= 0).
    relative_permittivity : float
        Relative permittivity (>= 1).
    electrostatic_kind : {"conductor", "dielectric"}
        How the material behaves in an electrostatic model: MnZn ferrites and metals are
        conductors, NiZn ferrites and laminates are dielectrics.
    estimated_fields : tuple of str
        Names of the fields whose values are estimates rather than data-sheet values.
    source : str
        Where the values come from.
    """

    name: str
    relative_permeability: Annotated[float, Field(ge=1, allow_inf_nan=False)]
    relative_permeability_loss: NonNegativeFloat = 0.0
    conductivity: NonNegativeFloat
    relative_permittivity: Annotated[float, Field(ge=1, allow_inf_nan=False)]
    electrostatic_kind: Literal["conductor", "dielectric"]
    estimated_fields: tuple[str, ...] = ()
    source: str = ""


class Core(_FrozenModel):
    """Core set: an E half with either a plate (E+PLT) or a second, identical E half (E+E).

    Attributes
    ----------
    e_half : EHalf
        The E half. For E+E both halves have these dimensions.
    plate : Plate or None
        The plate of an E+PLT set, None for E+E.
    combination : {"E+E", "E+PLT"}
        Kind of set. Derived from `plate` when not given.
    effective : EffectiveParameters or None
        Data-sheet effective parameters of the set, None for explicit dimensions or when
        the catalogue has none for this combination.
    material : Material
        Core material.
    air_gap : float
        Intentional gap in the centre leg, in m (>= 0).
    residual_gap : float
        Gap between the mated halves on every leg, in m (>= 0). The default of 5 µm is a
        typical value for ground ferrite surfaces, not a data-sheet value.
    electrostatic : {"floating", "grounded", "dielectric"}
        Electrostatic model of the core: a conductor at a floating potential, a grounded
        conductor, or a dielectric. The default is "floating" for a conductor material
        (MnZn) and "dielectric" for a dielectric material (NiZn).
    """

    e_half: EHalf
    plate: Plate | None = None
    combination: Literal["E+E", "E+PLT"]
    effective: EffectiveParameters | None = None
    material: Material
    air_gap: NonNegativeFloat = 0.0
    residual_gap: NonNegativeFloat = 5e-6
    electrostatic: Literal["floating", "grounded", "dielectric"]

    @model_validator(mode="before")
    @classmethod
    def _fill_derived_defaults(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        if data.get("combination") is None:
            data["combination"] = "E+E" if data.get("plate") is None else "E+PLT"
        if data.get("electrostatic") is None:
            material = data.get("material")
            if isinstance(material, Material):
                kind = material.electrostatic_kind
            elif isinstance(material, Mapping):
                kind = material.get("electrostatic_kind")
            else:
                kind = None
            if kind == "conductor":
                data["electrostatic"] = "floating"
            elif kind == "dielectric":
                data["electrostatic"] = "dielectric"
        return data

    @model_validator(mode="after")
    def _check_consistency(self) -> "Core":
        if self.combination == "E+PLT" and self.plate is None:
            raise DesignError("plate", MISSING, "an E+PLT set needs a plate", reason="missing value")
        if self.combination == "E+E" and self.plate is not None:
            raise DesignError("plate", self.plate.name, "an E+E set has no plate; remove the plate or use E+PLT")
        if self.air_gap >= self.window_height:
            raise DesignError(
                "air_gap",
                format_length(self.air_gap),
                f"expected less than the window height ({format_length(self.window_height)})",
            )
        return self

    @property
    def window_width(self) -> float:
        """Width of one winding window, (window_span - centre_leg_width) / 2, in m."""
        return self.e_half.window_width

    @property
    def window_height(self) -> float:
        """Height of the winding window in m: 2 * leg_height for E+E, leg_height for E+PLT.

        The residual gap is not added, so the window is never overestimated.
        """
        if self.combination == "E+E":
            return 2 * self.e_half.leg_height
        return self.e_half.leg_height

    @property
    def outer_leg_width(self) -> float:
        """Width of one outer leg, (overall_length - window_span) / 2, in m."""
        return self.e_half.outer_leg_width


# ---------------------------------------------------------------------------------------
# Stack-up, windings, arrangement
# ---------------------------------------------------------------------------------------


class StackUp(_FrozenModel):
    """Layer stack of the printed-circuit winding.

    Attributes
    ----------
    copper_thickness : tuple of float
        Copper thickness of each layer in m, layer 1 (nearest the E-core back) first.
    dielectric_thickness : tuple of float
        Thickness of each dielectric between adjacent layers in m, n_layers - 1 entries,
        the one between layers 1 and 2 first.
    dielectric_permittivity : tuple of float
        Relative permittivity of each dielectric, n_layers - 1 entries (each >= 1).
    clearance : float
        Minimum distance from copper to core in m, both radially to the legs and
        axially to the back and the plate (>= 0).
    """

    copper_thickness: Annotated[tuple[PositiveFloat, ...], Field(min_length=1)]
    dielectric_thickness: tuple[PositiveFloat, ...]
    dielectric_permittivity: tuple[Annotated[float, Field(ge=1, allow_inf_nan=False)], ...]
    clearance: NonNegativeFloat

    @model_validator(mode="after")
    def _check_counts(self) -> "StackUp":
        expected = self.n_layers - 1
        problems = []
        for name in ("dielectric_thickness", "dielectric_permittivity"):
            entries = getattr(self, name)
            if len(entries) != expected:
                problems.append(
                    DesignProblem(
                        name,
                        f"{len(entries)} entries",
                        f"expected {expected} entries, one between each pair of the {self.n_layers} copper layers",
                    )
                )
        if problems:
            raise DesignError.from_problems(problems)
        return self

    @property
    def n_layers(self) -> int:
        """Number of copper layers."""
        return len(self.copper_thickness)

    @property
    def height(self) -> float:
        """Total height of copper and dielectrics, in m."""
        return sum(self.copper_thickness) + sum(self.dielectric_thickness)


class Winding(_FrozenModel):
    """One winding, made of straight-section turns on one or more layers.

    Attributes
    ----------
    name : str
        Winding name, such as ``"P"`` or ``"primary"``: a letter followed by letters,
        digits, ``_`` or ``-``. Terminal names are ``<name>.start`` and ``<name>.end``.
    symbol : str
        One upper-case letter that stands for this winding in arrangement patterns.
        Defaults to the first letter of `name`, upper-cased.
    turns : int
        Number of series turns (>= 1).
    turns_per_layer : int
        Number of turns on each layer (>= 1).
    trace_width : float
        Width of one turn's trace, in m.
    spacing : float
        Distance between adjacent turns of a layer, in m. May be 0 only with one turn per
        layer.
    parallel_layers : int
        Consecutive layers, in series order, that are connected in parallel (>= 1).
    series_order : tuple of int or None
        Order in which the winding's own layers are connected, as 1-based positions
        among its layers counted bottom to top. None means bottom to top.
    conductivity : float
        Conductivity of the trace in S/m. Defaults to copper.
    layer_starts : tuple of {"outer", "inner"} or None
        Where the series path enters each series group of layers (a layer, or layers in
        parallel), in series order: at the outermost turn (the spiral runs inward) or at
        the innermost turn (it runs outward). None alternates outer, inner, outer, ... as
        a two-layer PCB spiral with one via does. This sets the spiral direction of each
        layer and which end of it is its start, so it changes the potential along the
        layer without changing the turns.
    dot : {"start", "end"}
        The terminal of this winding that carries the dot of the converter schematic.
        All turns of the model circulate in the same sense, so the voltage from start to
        end of every winding has the same sign; ``dot = "end"`` on the secondary swaps
        its terminals in the circuit (reversed dot polarity). Used by the converter
        presets.
    """

    name: str
    symbol: str
    turns: PositiveInt
    turns_per_layer: PositiveInt
    trace_width: PositiveFloat
    spacing: NonNegativeFloat = 0.0
    parallel_layers: PositiveInt = 1
    series_order: tuple[Annotated[int, Field(strict=True)], ...] | None = None
    conductivity: PositiveFloat = COPPER_CONDUCTIVITY
    layer_starts: tuple[Literal["outer", "inner"], ...] | None = None
    dot: Literal["start", "end"] = "start"

    @model_validator(mode="before")
    @classmethod
    def _fill_symbol(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("symbol") is None:
            name = data.get("name")
            if isinstance(name, str) and name:
                data = dict(data)
                data["symbol"] = name[0].upper()
        return data

    @model_validator(mode="after")
    def _check_winding(self) -> "Winding":
        problems = []
        if not WINDING_NAME_PATTERN.match(self.name):
            problems.append(
                DesignProblem(
                    "name",
                    self.name,
                    "expected a letter followed by letters, digits, '_' or '-', such as 'P' or 'sec_1'",
                )
            )
        if len(self.symbol) != 1 or not ("A" <= self.symbol <= "Z"):
            problems.append(DesignProblem("symbol", self.symbol, "expected one upper-case letter A-Z"))
        if self.turns_per_layer > 1 and self.spacing <= 0:
            problems.append(
                DesignProblem(
                    "spacing",
                    format_length(self.spacing),
                    f"expected a spacing > 0 between the {self.turns_per_layer} turns of a layer",
                )
            )
        if problems:
            raise DesignError.from_problems(problems)
        return self

    @property
    def copper_width(self) -> float:
        """Width taken by the turns of one layer, in m.

        turns_per_layer * trace_width + (turns_per_layer - 1) * spacing.
        """
        return self.turns_per_layer * self.trace_width + (self.turns_per_layer - 1) * self.spacing

    @property
    def terminal_names(self) -> tuple[str, str]:
        """Names of the start and end terminals, ``<name>.start`` and ``<name>.end``."""
        return (f"{self.name}.start", f"{self.name}.end")


class Shield(_FrozenModel):
    """A copper shield layer placed in the stack between windings.

    A pattern puts the shield on a layer with its symbol, such as ``"PPXSS"``. Every
    layer that carries the symbol is one copper ring, and all of them belong to the
    same shield conductor (connected by vias).

    Attributes
    ----------
    name : str
        Shield name, such as ``"shield"``; same rules as a winding name.
    symbol : str
        One upper-case letter that stands for the shield in arrangement patterns.
        Default ``"X"``.
    kind : {"full", "comb"}
        ``"full"``: a plane with one radial slit, so it is not a shorted turn. In the
        eddy-current model it carries zero net circumferential current, but eddy
        currents circulate within its cross-section. ``"comb"``: radial fingers from a
        spine; the fingers cut the circumferential current paths, so the eddy-current
        model treats it as non-conducting (see docs/model.md for the limits).
    connection : str
        What the shield is tied to: a terminal name such as ``"P.end"``, ``"core"``
        (only for a conducting core), ``"quiet"`` (the quiet reference of the converter,
        such as the input bus return, which does not swing) or ``"floating"`` (zero net
        charge). In a full bridge no winding terminal is quiet, so tie it to "quiet".
    width : float or None
        Radial width of the copper in m, centred in the window. None fills the window
        width less the clearance on both sides.
    conductivity : float
        Conductivity in S/m. Defaults to copper.
    """

    name: str
    symbol: str = "X"
    kind: Literal["full", "comb"] = "full"
    connection: str = "floating"
    width: PositiveFloat | None = None
    conductivity: PositiveFloat = COPPER_CONDUCTIVITY

    @model_validator(mode="after")
    def _check_shield(self) -> "Shield":
        problems = []
        if not WINDING_NAME_PATTERN.match(self.name):
            problems.append(
                DesignProblem("name", self.name, "expected a letter followed by letters, digits, '_' or '-'")
            )
        if len(self.symbol) != 1 or not ("A" <= self.symbol <= "Z"):
            problems.append(DesignProblem("symbol", self.symbol, "expected one upper-case letter A-Z"))
        if problems:
            raise DesignError.from_problems(problems)
        return self


class Arrangement(_FrozenModel):
    """Layer arrangements to analyse.

    Attributes
    ----------
    patterns : tuple of str
        Each pattern gives the winding symbol of every layer, layer 1 first, such as
        ``"PSSP"``.
    """

    patterns: Annotated[tuple[str, ...], Field(min_length=1)]

    @property
    def pattern(self) -> str:
        """The first pattern."""
        return self.patterns[0]


class Excitation(_FrozenModel):
    """Frequencies and winding currents of the analysis.

    Attributes
    ----------
    frequencies : tuple of float
        Frequencies in Hz, positive and strictly ascending.
    currents : dict of str to complex
        Peak current phasor of each winding in A, keyed by winding name.
    """

    frequencies: Annotated[tuple[PositiveFloat, ...], Field(min_length=1)]
    currents: dict[str, complex]

    @model_validator(mode="after")
    def _check_ascending(self) -> "Excitation":
        for index in range(1, len(self.frequencies)):
            if self.frequencies[index] <= self.frequencies[index - 1]:
                raise DesignError(
                    f"frequencies[{index}]",
                    format_frequency(self.frequencies[index]),
                    f"expected strictly ascending frequencies, each greater than the previous one "
                    f"({format_frequency(self.frequencies[index - 1])})",
                )
        return self

    @field_serializer("currents", when_used="json")
    def _serialize_currents(self, currents: dict[str, complex]) -> dict[str, dict[str, float]]:
        return {name: {"real": value.real, "imag": value.imag} for name, value in currents.items()}


class Terminals(_FrozenModel):
    """Terminal roles for the common-mode analysis.

    Attributes
    ----------
    switching : str
        The terminal that carries the switching voltage, a terminal of the first winding,
        such as ``"P.start"``. The start of a winding is the start of its series order.
    quiet : tuple of str
        Terminals at a quiet (AC ground) potential.
    converter : str
        Terminal-swing preset, one of `CONVERTER_PRESETS`. ``"custom"`` (the default)
        uses `switching`, `quiet` and `swings` as given; a preset derives every swing
        from the switching terminal, the turns ratio and the dot polarity
        (`femstack.post.converters`).
    swings : dict of str to float
        Custom swing of terminals in units of the switching-node swing, such as
        ``{"S.end": -0.25}``; only with ``converter = "custom"``. Terminals not listed
        follow `switching` (1) and `quiet` (0); unlisted others are quiet too.
    """

    switching: str
    quiet: tuple[str, ...] = ()
    converter: str = "custom"
    swings: dict[str, Annotated[float, Field(allow_inf_nan=False)]] = {}


class MeshOptions(_FrozenModel):
    """Meshing options.

    Attributes
    ----------
    element_order : {1, 2}
        Polynomial order of the finite elements.
    copper_size_per_skin_depth : float
        Element size in copper as a fraction of the skin depth at the highest frequency.
    dielectric_layers : int
        Number of element layers across each dielectric.
    core_size : float or None
        Element size in the core in m, None to let the mesher choose.
    domain_factor : float
        Distance of the outer boundary as a multiple of the core size (> 1).
    copper_layers : int
        Minimum number of element layers across each copper layer's thickness.
    size_factor : float
        Multiplies every target element size: 0.5 halves them all (a uniformly
        refined mesh for convergence checks), 2 doubles them (quick, coarse runs).
    adaptive_steps : int
        Number of adaptive refinement steps after meshing (0 to 10, default 0): each
        solves the arrangement and refines where the edge-jump indicators are largest.
    solver : {"superlu", "umfpack", "pardiso"}
        Sparse direct solver for every factorization. ``umfpack`` (package kvxopt) and
        ``pardiso`` (package pypardiso) are optional; a missing one falls back to
        ``superlu`` with a warning. See :mod:`femstack.solvers.linear`.
    """

    element_order: Literal[1, 2] = 2
    copper_size_per_skin_depth: PositiveFloat = 0.5
    dielectric_layers: PositiveInt = 2
    core_size: PositiveFloat | None = None
    domain_factor: Annotated[float, Field(gt=1, allow_inf_nan=False)] = 3.0
    copper_layers: PositiveInt = 2
    size_factor: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    adaptive_steps: Annotated[int, Field(ge=0, le=10)] = 0
    solver: Literal["superlu", "umfpack", "pardiso"] = "superlu"


class EmiOptions(_FrozenModel):
    """Switching-node waveform for the conducted common-mode noise estimate.

    The defaults are an example operating point (a 400 V bus switched at 200 kHz with
    20 ns edges), not data of the design; set them in the design's ``[emi]`` table.

    Attributes
    ----------
    amplitude : float
        Switching-node voltage step V_sw, in V.
    rise_time : float
        Rise time (= fall time) of the trapezoid, in s.
    switching_frequency : float
        Switching frequency, in Hz.
    duty : float
        On-time over period at half amplitude, between 0 and 1.
    """

    amplitude: PositiveFloat = 400.0
    rise_time: PositiveFloat = 20e-9
    switching_frequency: PositiveFloat = 200e3
    duty: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)] = 0.5

    @model_validator(mode="after")
    def _check_edges(self) -> "EmiOptions":
        shortest = min(self.duty, 1.0 - self.duty) / self.switching_frequency
        if self.rise_time > shortest:
            raise DesignError(
                "rise_time",
                f"{self.rise_time * 1e9:.6g} ns",
                f"expected at most the shorter of the on and off times, {shortest * 1e9:.6g} ns, "
                f"at {format_frequency(self.switching_frequency)} and duty {self.duty:g}",
            )
        return self


# ---------------------------------------------------------------------------------------
# Design
# ---------------------------------------------------------------------------------------


class Design(_FrozenModel):
    """A complete planar transformer design, validated, in SI units.

    Attributes
    ----------
    name : str
        Design name.
    core : Core
        Core set and material.
    stackup : StackUp
        Copper and dielectric layers.
    windings : tuple of Winding
        Windings. The first one is the switched (primary) winding.
    arrangement : Arrangement
        Layer patterns to analyse.
    excitation : Excitation
        Frequencies and currents.
    terminals : Terminals
        Terminal roles.
    mesh : MeshOptions
        Meshing options.
    shields : tuple of Shield
        Shield layers; empty by default.
    emi : EmiOptions
        Switching-node waveform of the common-mode noise estimate.
    """

    name: Annotated[str, Field(min_length=1)]
    core: Core
    stackup: StackUp
    windings: Annotated[tuple[Winding, ...], Field(min_length=1)]
    arrangement: Arrangement
    excitation: Excitation
    terminals: Terminals
    mesh: MeshOptions = MeshOptions()
    shields: tuple[Shield, ...] = ()
    emi: EmiOptions = EmiOptions()

    @model_validator(mode="after")
    def _check_design(self) -> "Design":
        problems = _design_problems(self)
        if problems:
            raise DesignError.from_problems(problems)
        return self

    def winding(self, name: str) -> Winding:
        """Return the winding called `name`.

        Raises
        ------
        DesignError
            If there is no winding of that name.
        """
        for winding in self.windings:
            if winding.name == name:
                return winding
        names = ", ".join(w.name for w in self.windings)
        raise DesignError("windings", name, f"expected a winding name: {names}", reason="unknown winding")

    def winding_by_symbol(self, symbol: str) -> Winding:
        """Return the winding whose pattern symbol is `symbol`.

        Raises
        ------
        DesignError
            If no winding has that symbol.
        """
        for winding in self.windings:
            if winding.symbol == symbol:
                return winding
        symbols = ", ".join(w.symbol for w in self.windings)
        raise DesignError("windings", symbol, f"expected a winding symbol: {symbols}", reason="unknown symbol")

    def layers_of(self, winding_name: str, pattern: str | None = None) -> tuple[int, ...]:
        """Return the 0-based indices of the layers that carry a winding, bottom to top.

        Parameters
        ----------
        winding_name : str
            Name of the winding.
        pattern : str, optional
            Arrangement pattern. Defaults to the first pattern of the design.

        Raises
        ------
        DesignError
            If the winding does not exist or the pattern does not have one letter per layer.
        """
        symbol = self.winding(winding_name).symbol
        pattern = self._checked_pattern(pattern)
        return tuple(index for index, letter in enumerate(pattern) if letter == symbol)

    def layer_windings(self, pattern: str | None = None) -> tuple[Winding, ...]:
        """Return the winding on each layer, layer 1 first.

        Parameters
        ----------
        pattern : str, optional
            Arrangement pattern. Defaults to the first pattern of the design.

        Raises
        ------
        DesignError
            If the pattern does not have one letter per layer or contains an unknown symbol.
            NOTE: a shield layer or an empty layer (``-``) is such a symbol here.
        """
        pattern = self._checked_pattern(pattern)
        return tuple(self.winding_by_symbol(letter) for letter in pattern)

    def terminal_names(self) -> tuple[str, ...]:
        """Return the names of all terminals, in winding order (start before end)."""
        return tuple(name for winding in self.windings for name in winding.terminal_names)

    def with_pattern(self, pattern: str) -> "Design":
        """Return a copy of the design whose only arrangement pattern is `pattern`.

        The copy is validated like a loaded design, including the fit check.

        Raises
        ------
        DesignError
            If the pattern is invalid for this design.
        """
        from femstack.design.fit import check_fit

        data = self.model_dump()
        data["arrangement"] = {"patterns": (pattern,)}
        design = validate_model(Design, data)
        check_fit(design)
        return design

    def _checked_pattern(self, pattern: str | None) -> str:
        if pattern is None:
            return self.arrangement.pattern
        if not isinstance(pattern, str) or len(pattern) != self.stackup.n_layers:
            raise DesignError(
                "pattern",
                pattern,
                f"expected {self.stackup.n_layers} winding symbols, one per layer",
            )
        return pattern


def _design_problems(design: Design) -> list[DesignProblem]:
    """Return the problems of the cross-field rules of a design (empty if it is valid)."""
    problems: list[DesignProblem] = []
    problems.extend(_winding_identity_problems(design))
    if problems:
        # Pattern checks need unique symbols to mean anything.
        return problems
    layer_counts, pattern_problems = _pattern_problems(design)
    problems.extend(pattern_problems)
    problems.extend(_series_order_problems(design, layer_counts))
    problems.extend(_layer_start_problems(design, layer_counts))
    problems.extend(_current_problems(design))
    problems.extend(_terminal_problems(design))
    problems.extend(_shield_problems(design))
    return problems


def _winding_identity_problems(design: Design) -> list[DesignProblem]:
    problems = []
    seen_names: dict[str, int] = {}
    seen_symbols: dict[str, int] = {}
    for index, winding in enumerate(design.windings):
        if winding.name in seen_names:
            problems.append(
                DesignProblem(
                    f"windings[{index}].name",
                    winding.name,
                    f"expected a unique name; windings[{seen_names[winding.name]}] has the same name",
                )
            )
        else:
            seen_names[winding.name] = index
        if winding.symbol in seen_symbols:
            problems.append(
                DesignProblem(
                    f"windings[{index}].symbol",
                    winding.symbol,
                    f"expected a unique symbol; windings[{seen_symbols[winding.symbol]}] has the same symbol, "
                    "so set 'symbol' on one of them",
                )
            )
        else:
            seen_symbols[winding.symbol] = index
    for index, shield in enumerate(design.shields):
        if shield.name in seen_names:
            problems.append(
                DesignProblem(f"shields[{index}].name", shield.name, "expected a name that no winding or other shield has")
            )
        seen_names.setdefault(shield.name, index)
        if shield.symbol in seen_symbols:
            problems.append(
                DesignProblem(
                    f"shields[{index}].symbol",
                    shield.symbol,
                    "expected a symbol that no winding or other shield has, so set 'symbol' on the shield",
                )
            )
        seen_symbols.setdefault(shield.symbol, index)
    return problems


def _pattern_problems(design: Design) -> tuple[dict[int, int], list[DesignProblem]]:
    """Check the patterns and return the layer count of each winding index, with the problems."""
    problems: list[DesignProblem] = []
    n_layers = design.stackup.n_layers
    symbols = {winding.symbol: index for index, winding in enumerate(design.windings)}
    symbol_list = ", ".join(symbols)
    layer_counts: dict[int, int] = {}
    seen_patterns: dict[str, int] = {}
    reported_fields: set[str] = set()

    for pattern_index, pattern in enumerate(design.arrangement.patterns):
        field = f"arrangement.patterns[{pattern_index}]"
        if pattern in seen_patterns:
            problems.append(
                DesignProblem(field, pattern, f"expected each pattern once; it is also arrangement.patterns[{seen_patterns[pattern]}]")
            )
            continue
        seen_patterns[pattern] = pattern_index
        if len(pattern) != n_layers:
            problems.append(
                DesignProblem(
                    field,
                    pattern,
                    f"expected {n_layers} letters, one per layer of the stack-up, but it has {len(pattern)}",
                )
            )
            continue
        other_symbols = {shield.symbol for shield in design.shields} | {EMPTY_LAYER}
        unknown = sorted({letter for letter in pattern if letter not in symbols and letter not in other_symbols})
        if unknown:
            shield_text = "".join(f", shield symbol {shield.symbol}" for shield in design.shields)
            problems.append(
                DesignProblem(
                    field,
                    pattern,
                    f"expected only winding symbols ({symbol_list}){shield_text} or {EMPTY_LAYER!r} for a layer "
                    f"without copper; unknown: {', '.join(unknown)}",
                )
            )
            continue
        absent = [design.windings[i].name for s, i in symbols.items() if s not in pattern]
        if absent:
            problems.append(
                DesignProblem(field, pattern, f"expected every winding on at least one layer; missing: {', '.join(absent)}")
            )
            continue
        for symbol, winding_index in symbols.items():
            winding = design.windings[winding_index]
            count = pattern.count(symbol)
            problem = _turns_problem(winding, winding_index, count, pattern, field)
            if problem is None:
                layer_counts.setdefault(winding_index, count)
            elif problem.field not in reported_fields:
                # Report a winding's turn problem once, for the first pattern that shows it.
                reported_fields.add(problem.field)
                problems.append(problem)
    return layer_counts, problems


def _turns_problem(winding: Winding, index: int, count: int, pattern: str, pattern_field: str) -> DesignProblem | None:
    """Check that a winding's turns fit its number of layers in one pattern."""
    layers = "layer" if count == 1 else "layers"
    where = f"pattern {pattern!r} ({pattern_field}) puts winding {winding.name!r} on {count} {layers}"
    if count % winding.parallel_layers != 0:
        return DesignProblem(
            f"windings[{index}].parallel_layers",
            winding.parallel_layers,
            f"{where}, which cannot be split into groups of {winding.parallel_layers} parallel layers",
        )
    series_layers = count // winding.parallel_layers
    expected_turns = winding.turns_per_layer * series_layers
    if winding.turns != expected_turns:
        turns_word = "turn" if expected_turns == 1 else "turns"
        return DesignProblem(
            f"windings[{index}].turns",
            winding.turns,
            f"{where}; with turns_per_layer = {winding.turns_per_layer} and parallel_layers = "
            f"{winding.parallel_layers} that gives {winding.turns_per_layer} x {count} / "
            f"{winding.parallel_layers} = {expected_turns} {turns_word}",
        )
    return None


def _series_order_problems(design: Design, layer_counts: dict[int, int]) -> list[DesignProblem]:
    problems = []
    for index, winding in enumerate(design.windings):
        if winding.series_order is None or index not in layer_counts:
            continue
        count = layer_counts[index]
        expected = list(range(1, count + 1))
        if sorted(winding.series_order) != expected:
            problems.append(
                DesignProblem(
                    f"windings[{index}].series_order",
                    list(winding.series_order),
                    f"expected a permutation of {expected}, the positions of the winding's {count} layers "
                    "counted bottom to top",
                )
            )
    return problems


def _layer_start_problems(design: Design, layer_counts: dict[int, int]) -> list[DesignProblem]:
    problems = []
    for index, winding in enumerate(design.windings):
        if winding.layer_starts is None or index not in layer_counts:
            continue
        groups = layer_counts[index] // winding.parallel_layers
        if len(winding.layer_starts) != groups:
            problems.append(
                DesignProblem(
                    f"windings[{index}].layer_starts",
                    list(winding.layer_starts),
                    f"expected {groups} entries, 'outer' or 'inner', one per series group of the winding's "
                    f"{layer_counts[index]} layers in series order",
                )
            )
    return problems


def _shield_problems(design: Design) -> list[DesignProblem]:
    problems = []
    allowed = ["floating", "core", "quiet", *design.terminal_names()]
    conducting_core = design.core.electrostatic in ("floating", "grounded")
    for index, shield in enumerate(design.shields):
        field = f"shields[{index}].connection"
        if shield.connection not in allowed:
            problems.append(DesignProblem(field, shield.connection, f"expected one of {', '.join(allowed)}"))
        elif shield.connection == "core" and not conducting_core:
            problems.append(
                DesignProblem(
                    field,
                    shield.connection,
                    f"the core is electrostatically a {design.core.electrostatic}, not a conductor, so a shield "
                    "cannot be tied to it; expected 'floating' or a terminal name",
                )
            )
    return problems


def _current_problems(design: Design) -> list[DesignProblem]:
    problems = []
    names = [winding.name for winding in design.windings]
    for name in names:
        if name not in design.excitation.currents:
            problems.append(
                DesignProblem(
                    f"excitation.currents.{name}",
                    MISSING,
                    f"every winding needs a current, such as {name} = '1 A'",
                    reason="missing value",
                )
            )
    for name in design.excitation.currents:
        if name not in names:
            problems.append(
                DesignProblem(
                    f"excitation.currents.{name}",
                    name,
                    f"expected a winding name: {', '.join(names)}",
                    reason="unknown winding",
                )
            )
    return problems


def _terminal_problems(design: Design) -> list[DesignProblem]:
    problems = []
    valid = design.terminal_names()
    valid_text = ", ".join(valid)
    first = design.windings[0]
    switching = design.terminals.switching

    if switching not in valid:
        problems.append(
            DesignProblem("terminals.switching", switching, f"expected a terminal name: {valid_text}", reason="unknown terminal")
        )
    elif switching not in first.terminal_names:
        problems.append(
            DesignProblem(
                "terminals.switching",
                switching,
                f"expected a terminal of the first winding {first.name!r}: {', '.join(first.terminal_names)}",
            )
        )

    converter = design.terminals.converter
    if converter not in CONVERTER_PRESETS:
        problems.append(
            DesignProblem("terminals.converter", converter, f"expected one of {', '.join(CONVERTER_PRESETS)}")
        )
    elif converter != "custom" and len(design.windings) != 2:
        problems.append(
            DesignProblem(
                "terminals.converter",
                converter,
                f"the presets model a primary and one secondary, but the design has {len(design.windings)} windings; "
                "use 'custom' with terminals.swings",
            )
        )
    if design.terminals.swings and converter != "custom":
        problems.append(
            DesignProblem(
                "terminals.swings",
                dict(design.terminals.swings),
                f"custom swings apply only with converter = 'custom', but converter is {converter!r}",
            )
        )
    for terminal in design.terminals.swings:
        if terminal not in valid:
            problems.append(
                DesignProblem(
                    f"terminals.swings.{terminal}", terminal, f"expected a terminal name: {valid_text}", reason="unknown terminal"
                )
            )

    seen: set[str] = set()
    for index, terminal in enumerate(design.terminals.quiet):
        field = f"terminals.quiet[{index}]"
        if terminal not in valid:
            problems.append(DesignProblem(field, terminal, f"expected a terminal name: {valid_text}", reason="unknown terminal"))
        elif terminal == switching:
            problems.append(DesignProblem(field, terminal, "expected a terminal other than the switching terminal"))
        elif terminal in seen:
            problems.append(DesignProblem(field, terminal, "expected each quiet terminal once"))
        seen.add(terminal)
    return problems


# ---------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------

ModelT = TypeVar("ModelT", bound=BaseModel)


def validate_model(model: type[ModelT], data: Any) -> ModelT:
    """Validate `data` as `model`, raising DesignError instead of pydantic's ValidationError.

    Raises
    ------
    DesignError
        If the data is invalid. Each pydantic error becomes one problem.
    """
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise design_error_from_validation(error) from None


def loc_to_path(loc: tuple[Any, ...]) -> str:
    """Convert a pydantic error location such as ``('windings', 1, 'turns')`` to ``windings[1].turns``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif path:
            path += f".{part}"
        else:
            path = str(part)
    return path


def design_error_from_validation(error: ValidationError) -> DesignError:
    """Convert pydantic's ValidationError into a DesignError with one problem per error.

    A DesignError raised inside a validator keeps its own field, value and allowed text,
    with the location of the validated model put in front of its field path.
    """
    problems: list[DesignProblem] = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        path = loc_to_path(loc)
        original = (item.get("ctx") or {}).get("error")
        if isinstance(original, DesignError):
            problems.extend(original.with_prefix(path).problems)
            continue
        if item["type"] == "missing":
            problems.append(DesignProblem(path, MISSING, "this field is required", reason="missing value"))
            continue
        if item["type"] == "extra_forbidden":
            problems.append(DesignProblem(path, loc[-1] if loc else item["input"], "this field is not known", reason="unknown key"))
            continue
        message = item["msg"]
        allowed = "expected: " + message[:1].lower() + message[1:]
        problems.append(DesignProblem(path, item.get("input"), allowed))
    if not problems:
        problems.append(DesignProblem("", MISSING, str(error), reason="validation failed"))
    return DesignError.from_problems(problems)


def normalized_dict(design: Design) -> dict[str, Any]:
    """Return a JSON-serialisable dict of the design, stable for equal designs.

    Tuples become lists and complex currents become ``{"real": ..., "imag": ...}``. Two
    designs that compare equal give equal dicts, so ``json.dumps(normalized_dict(d),
    sort_keys=True)`` is suitable as a cache key.
    """
    return design.model_dump(mode="json")
