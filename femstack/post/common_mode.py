"""Common-mode coupling of one arrangement: swings, charge, networks and noise margin.

Built from the electrostatic results of :mod:`femstack.pipeline` and the converter preset
of the design (`femstack.post.converters`). Capacitances in F, charge in C, levels in
dBµV.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from femstack.design.model import Design
from femstack.post import capacitance as cap
from femstack.post import converters, emi

logger = logging.getLogger(__name__)

__all__ = ["CommonModeResult", "common_mode_result"]


@dataclasses.dataclass
class CommonModeResult:
    """Common-mode coupling for one converter preset and switching waveform.

    Attributes
    ----------
    converter
        Preset name (`femstack.post.converters`).
    swings
        Terminal → swing in units of the switching-node swing.
    effective_capacitance
        Charge into the secondary's terminals per volt of switching-node swing, F.
    charge_per_edge
        effective_capacitance × the waveform's amplitude, C.
    three_capacitor
        Reduced model for the design's turns ratio and dot polarity
        (`femstack.post.emi.three_capacitor_model`).
    core_capacitance
        Winding (or shield), shorted, to the core, F; empty without a core conductor.
    waveform
        The switching-node waveform.
    margin
        Smallest margins to the CISPR 32 class B limits (`femstack.post.emi.noise_margin`).
    """

    converter: str
    swings: dict[str, float]
    effective_capacitance: float
    charge_per_edge: float
    three_capacitor: dict[str, float]
    core_capacitance: dict[str, float]
    waveform: emi.SwitchingWaveform
    margin: dict[str, float]

    def spectrum(self) -> tuple[np.ndarray, np.ndarray]:
        """Return harmonic frequencies (Hz) and the LISN reading (dBµV) of the estimate."""
        return emi.common_mode_noise(self.effective_capacitance, self.waveform)

    def record(self) -> dict:
        """Return a JSON-serialisable record with units in the keys."""
        waveform = self.waveform
        return {
            "converter": self.converter,
            "swings_per_V_sw": self.swings,
            "effective_capacitance_F": self.effective_capacitance,
            "charge_per_edge_C": self.charge_per_edge,
            "three_capacitor_F": self.three_capacitor,
            "core_capacitance_F": self.core_capacitance,
            "waveform": {
                "amplitude_V": waveform.amplitude,
                "rise_time_s": waveform.rise_time,
                "frequency_Hz": waveform.frequency,
                "duty": waveform.duty,
            },
            "cispr32_class_b": self.margin,
        }


def switching_waveform(design: Design) -> emi.SwitchingWaveform:
    """Return the design's switching-node waveform."""
    options = design.emi
    return emi.SwitchingWaveform(options.amplitude, options.rise_time, options.switching_frequency, options.duty)


def common_mode_result(design: Design, model, capacitance, solution, converter: str | None = None) -> CommonModeResult:
    """Compute the common-mode view of one arrangement.

    Parameters
    ----------
    design
        The design of the arrangement.
    model
        Its `AxisymmetricModel`.
    capacitance
        The arrangement's `CapacitanceResult`.
    solution
        The `CapacitanceSolution` (Maxwell matrix before the core is eliminated).
    converter
        Preset name; default ``design.terminals.converter``.
    """
    converter = converter or design.terminals.converter
    swings = converters.terminal_swings(design, converter)
    terminals = capacitance.terminals
    primary = design.windings[0].name
    receiving = [t for t in terminals if not t.startswith(f"{primary}.")]
    c_cm = cap.common_mode_capacitance(capacitance.terminal_matrix, terminals, swings, receiving)
    waveform = switching_waveform(design)

    three = {}
    if len(design.windings) >= 2:
        first, second = design.windings[0], design.windings[1]
        polarity = 1.0 if first.dot == second.dot else -1.0
        three = emi.three_capacitor_model(
            capacitance.terminal_matrix, terminals, first.name, second.name, polarity * second.turns / first.turns
        )

    groups = {w: [t.region for t in turns] for w, turns in model.turns.items()}
    for shield in design.shields:
        groups[f"shield/{shield.name}"] = [f"shield/{shield.name}"]
    core = emi.core_capacitance(solution.maxwell, solution.names, groups)

    margin = emi.noise_margin(c_cm, waveform)
    logger.info(
        "%s, %s: C_cm %.4g pF, CISPR 32 B margin %.1f dB (quasi-peak), %.1f dB (average)",
        model.pattern,
        converter,
        c_cm * 1e12,
        margin["margin_quasi_peak_dB"],
        margin["margin_average_dB"],
    )
    return CommonModeResult(
        converter=converter,
        swings=swings,
        effective_capacitance=c_cm,
        charge_per_edge=c_cm * waveform.amplitude,
        three_capacitor=three,
        core_capacitance=core,
        waveform=waveform,
        margin=margin,
    )
