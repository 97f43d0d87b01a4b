r"""Common-mode coupling of a transformer and the conducted noise it lets through.

Three parts:

1. Capacitance views of the terminal network: the reduced three-capacitor model for a
   given turns ratio and the capacitance of each winding to the core.
2. The spectrum of a trapezoidal switching-node voltage (closed form).
3. The conducted common-mode noise that the transformer's effective CM capacitance
   couples into the standard LISN, against the CISPR 32 class B limits.

Noise model (the transformer's path only). The switching node drives the effective CM
capacitance C_cm, whose displacement current returns through the output, which is tied
to protective earth, and the LISN. For common mode both 50 Ω measuring resistors of the
LISN are in parallel, 25 Ω, and each line carries half the current, so each measuring
port reads :math:`V_{meas} = 50\,\Omega \cdot I_{cm}/2 = 25\,\Omega \cdot I_{cm}`, with

.. math::  I_{cm}(f_n) = \frac{V_n}{25\,\Omega + 1/(j 2\pi f_n C_{cm})}.

NOTE: the LISN is taken as purely resistive. The 50 Ω ‖ (50 µH + 5 Ω) network of the
standard LISN is below 50 Ω under about 1 MHz, so the estimate is high there by up to a
few dB. Other CM paths (switch-node to heatsink, Y capacitors, the input filter) are not
in this estimate, and neither is differential-mode noise.

Receiver: each harmonic of the switching frequency is resolved by the 9 kHz bandwidth of
CISPR 16-1-1 band B when f_sw > 9 kHz, and a steady sine reads the same on the
quasi-peak and the average detector, so the rms harmonic amplitude is compared with both
limits.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

logger = logging.getLogger(__name__)

__all__ = [
    "CISPR32_CLASS_B",
    "SwitchingWaveform",
    "cispr32_class_b_limit",
    "common_mode_noise",
    "core_capacitance",
    "noise_margin",
    "three_capacitor_model",
    "trapezoid_envelope",
    "trapezoid_harmonics",
]

#: CM resistance of the LISN: two 50 Ω measuring resistors in parallel, Ω.
LISN_COMMON_MODE_RESISTANCE = 25.0
#: Band of the conducted-emission limits, Hz.
CONDUCTED_BAND = (150e3, 30e6)

CISPR32_CLASS_B = {
    "quasi-peak": ((150e3, 500e3, 66.0, 56.0), (500e3, 5e6, 56.0, 56.0), (5e6, 30e6, 60.0, 60.0)),
    "average": ((150e3, 500e3, 56.0, 46.0), (500e3, 5e6, 46.0, 46.0), (5e6, 30e6, 50.0, 50.0)),
}
"""Class B conducted-emission limits at AC mains ports in dBµV: per detector, bands of
(f_low Hz, f_high Hz, limit at f_low, limit at f_high), linear in log f within a band.

Source: CISPR 32:2015, "Electromagnetic compatibility of multimedia equipment – Emission
requirements", class B limits for AC mains power ports. These are the class B values of
its predecessor CISPR 22 (EN 55022), as tabulated at
https://www.euromotor.org/pluginfile.php/11419/mod_resource/content/0/c_e5.html. NOTE:
the values were taken from that table, because the text of CISPR 32 itself was not
available here. At a band edge the lower limit applies."""


@dataclasses.dataclass(frozen=True)
class SwitchingWaveform:
    """Trapezoidal switching-node voltage.

    Attributes
    ----------
    amplitude
        Voltage step V_sw, V.
    rise_time
        Rise time, equal to the fall time, s.
    frequency
        Switching frequency, Hz.
    duty
        On-time τ_on over the period, measured at half amplitude (0 < duty < 1).
    """

    amplitude: float = 400.0
    rise_time: float = 20e-9
    frequency: float = 200e3
    duty: float = 0.5

    def __post_init__(self) -> None:
        for name in ("amplitude", "rise_time", "frequency"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"SwitchingWaveform.{name} must be positive and finite, got {value}")
        if not 0.0 < self.duty < 1.0:
            raise ValueError(f"SwitchingWaveform.duty must be between 0 and 1, got {self.duty}")
        on_time = self.duty / self.frequency
        off_time = (1.0 - self.duty) / self.frequency
        if self.rise_time > min(on_time, off_time):
            raise ValueError(
                f"SwitchingWaveform.rise_time {self.rise_time:g} s is longer than the on or off time "
                f"({min(on_time, off_time):g} s) of a trapezoid at {self.frequency:g} Hz with duty {self.duty:g}"
            )

    @property
    def on_time(self) -> float:
        """τ_on = duty / frequency, s."""
        return self.duty / self.frequency


def trapezoid_harmonics(waveform: SwitchingWaveform, f_max: float = CONDUCTED_BAND[1]) -> tuple[np.ndarray, np.ndarray]:
    r"""Return the harmonic frequencies (Hz) and one-sided peak amplitudes (V) up to ``f_max``.

    .. math::  c_n = 2A\,\frac{\tau}{T}\,
               \left|\frac{\sin(n\pi\tau/T)}{n\pi\tau/T}\right|
               \left|\frac{\sin(n\pi\tau_r/T)}{n\pi\tau_r/T}\right|,\quad n \ge 1,

    for amplitude A, period T, on-time τ at half amplitude and rise time = fall time τ_r.
    One trapezoidal pulse has the spectrum Aτ·si(πfτ)·si(πfτ_r), a product of two sinc
    functions (LNTwww, "Exercise 3.4Z: Trapezoid, Rectangle and Triangle",
    https://en.lntwww.de/Aufgaben:Exercise_3.4Z:_Trapezoid,_Rectangle_and_Triangle);
    the Fourier series of the periodic train samples it at f = n/T and doubles it for a
    one-sided amplitude. tests/test_emi.py checks it against a DFT of the sampled wave.
    """
    period = 1.0 / waveform.frequency
    n = np.arange(1, int(np.floor(f_max / waveform.frequency)) + 1)
    x_on = n * waveform.on_time / period
    x_rise = n * waveform.rise_time / period
    amplitude = 2.0 * waveform.amplitude * waveform.on_time / period * np.abs(np.sinc(x_on) * np.sinc(x_rise))
    return n * waveform.frequency, amplitude


def trapezoid_envelope(waveform: SwitchingWaveform, f) -> np.ndarray:
    r"""Return the bound of the trapezoid's harmonic amplitudes at frequencies ``f`` (V).

    From :math:`|\sin x / x| \le \min(1, 1/|x|)`:
    :math:`2A\tau/T` up to :math:`1/(\pi\tau)`, falling 20 dB/decade up to
    :math:`1/(\pi\tau_r)` and 40 dB/decade above.
    """
    f = np.asarray(f, dtype=float)
    period = 1.0 / waveform.frequency
    flat = 2.0 * waveform.amplitude * waveform.on_time / period
    first = np.minimum(1.0, 1.0 / (np.pi * f * waveform.on_time))
    second = np.minimum(1.0, 1.0 / (np.pi * f * waveform.rise_time))
    return flat * first * second


def cispr32_class_b_limit(f, detector: str = "quasi-peak") -> np.ndarray:
    """Return the CISPR 32 class B mains-port limit in dBµV at ``f`` (Hz), NaN outside the band.

    Raises
    ------
    ValueError
        If the detector is not "quasi-peak" or "average".
    """
    if detector not in CISPR32_CLASS_B:
        raise ValueError(f"detector must be one of {', '.join(CISPR32_CLASS_B)}, got {detector!r}")
    f = np.atleast_1d(np.asarray(f, dtype=float))
    limit = np.full(f.shape, np.nan)
    # Walk the bands from high to low, so at a shared edge the lower band's value stays.
    for f_low, f_high, low, high in reversed(CISPR32_CLASS_B[detector]):
        inside = (f >= f_low) & (f <= f_high)
        slope = (high - low) / np.log10(f_high / f_low)
        value = low + slope * np.log10(f[inside] / f_low)
        limit[inside] = np.where(np.isnan(limit[inside]), value, np.minimum(limit[inside], value))
    return limit


def common_mode_noise(
    capacitance: float, waveform: SwitchingWaveform, *, resistance: float = LISN_COMMON_MODE_RESISTANCE
) -> tuple[np.ndarray, np.ndarray]:
    """Return harmonic frequencies (Hz) and the LISN reading (dBµV rms) in the conducted band.

    Parameters
    ----------
    capacitance
        Effective CM capacitance in F; its magnitude is used.
    waveform
        Switching-node voltage.
    resistance
        CM resistance of the LISN in Ω (25 Ω, both 50 Ω resistors in parallel).
    """
    f, amplitude = trapezoid_harmonics(waveform)
    inside = f >= CONDUCTED_BAND[0]
    f, amplitude = f[inside], amplitude[inside]
    omega_c = 2.0 * np.pi * f * abs(capacitance)
    with np.errstate(divide="ignore"):
        current = amplitude * omega_c / np.abs(1.0 + 1j * omega_c * resistance)
        reading = resistance * current / np.sqrt(2.0)
        level = 20.0 * np.log10(reading / 1e-6)
    return f, level


def noise_margin(capacitance: float, waveform: SwitchingWaveform) -> dict[str, float]:
    """Return the smallest margin to the CISPR 32 class B limits, in dB, and where it is.

    Keys: ``margin_quasi_peak_dB``, ``f_quasi_peak_Hz``, ``margin_average_dB``,
    ``f_average_Hz``. A negative margin means the estimate exceeds the limit. With no
    harmonic in the band, or C_cm = 0, the margins are +inf.
    """
    f, level = common_mode_noise(capacitance, waveform)
    out = {}
    for detector, key in (("quasi-peak", "quasi_peak"), ("average", "average")):
        margin = cispr32_class_b_limit(f, detector) - level
        if f.size == 0 or not np.isfinite(margin).any():
            out[f"margin_{key}_dB"], out[f"f_{key}_Hz"] = float("inf"), float("nan")
            continue
        worst = int(np.nanargmin(margin))
        out[f"margin_{key}_dB"] = float(margin[worst])
        out[f"f_{key}_Hz"] = float(f[worst])
    return out


def three_capacitor_model(
    terminal_matrix: np.ndarray, terminals: list[str], primary: str, secondary: str, ratio: float
) -> dict[str, float]:
    r"""Reduce the four-terminal network to three capacitors and one equivalent value.

    The primary's end and the secondary's end are joined as the common node (terminal
    order start, end per winding), which leaves the terminals P.start, S.start and the
    common node. Their 3×3 capacitance matrix :math:`C_3 = M^{\mathsf T} C_T M`, with M
    the 4×3 incidence of the joined terminals, stores the same energy for every
    potential of the three nodes. Its branches are

    - ``C1``: P.start to common (across the primary),
    - ``C2``: S.start to common (across the secondary),
    - ``C3``: P.start to S.start.

    With an ideal transformer of voltage ratio m = V_S/V_P (``ratio``, negative for a
    reversed dot), the energy method gives the capacitance seen across the primary,

    .. math::  C_{eq} = u^{\mathsf T} C_3\,u,\quad u = (1, m, 0),

    which for a network without ground is :math:`C_1 + m^2 C_2 + (1 - m)^2 C_3`.
    Values in F. Branches to a grounded core are returned as ``C1_ground`` etc. when
    they are not round-off.
    """
    names = [f"{primary}.start", f"{secondary}.start"]
    common = [f"{primary}.end", f"{secondary}.end"]
    M = np.zeros((len(terminals), 3))
    for column, name in enumerate(names):
        M[terminals.index(name), column] = 1.0
    for name in common:
        M[terminals.index(name), 2] = 1.0
    C3 = M.T @ terminal_matrix @ M
    u = np.array([1.0, ratio, 0.0])
    out = {
        "C1": float(-C3[0, 2]),
        "C2": float(-C3[1, 2]),
        "C3": float(-C3[0, 1]),
        "ratio": float(ratio),
        "C_equivalent_primary": float(u @ C3 @ u),
    }
    scale = float(np.abs(C3).max()) or 1.0
    for index, key in enumerate(("C1_ground", "C2_ground", "common_ground")):
        value = float(C3[index].sum())
        if abs(value) > 1e-9 * scale:
            out[key] = value
    return out


def core_capacitance(maxwell: np.ndarray, names: list[str], groups: dict[str, list[str]]) -> dict[str, float]:
    """Return the capacitance of each group of conductors, shorted, to the core, in F.

    From the Maxwell matrix before the core is eliminated: :math:`C_{g,core} = -\\sum_{i
    \\in g} C_{i,core}`. Empty when the model has no core conductor. A group with no conductor in the model
    (a shield that this pattern leaves out) is skipped.
    """
    if "core" not in names:
        return {}
    core = names.index("core")
    out = {}
    for group, members in groups.items():
        rows = [names.index(m) for m in members if m in names]
        if rows:
            out[group] = float(-maxwell[rows, core].sum())
    return out
