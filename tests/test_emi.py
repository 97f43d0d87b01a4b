"""Converter presets, the trapezoid spectrum, the CISPR 32 limits and the Pareto mask.

References: the swings are derived by hand from each preset's schematic (stated in
femstack.post.converters) for the reference design, n = N_S/N_P = 2/8. The trapezoid's
harmonics are checked against a discrete Fourier transform of the sampled waveform,
which shares no code with the closed form. The limits are the CISPR 32 class B values
for AC mains ports. Quasi-peak: 66-56 dBµV from 0.15 to 0.5 MHz (linear in log f),
56 dBµV to 5 MHz, 60 dBµV to 30 MHz. Average: 10 dB lower.
"""

from __future__ import annotations

import numpy as np
import pytest

from femstack.design.loader import load_design, reference_design_path
from femstack.design.model import Design, validate_model
from femstack.errors import DesignError
from femstack.post import converters, emi
from femstack.study.search import distinct_patterns, pareto_mask


@pytest.fixture(scope="module")
def reference():
    return load_design(reference_design_path())


def with_changes(design: Design, **windings) -> Design:
    data = design.model_dump()
    for index, fields in windings.items():
        data["windings"][int(index[1:])].update(fields)
    return validate_model(Design, data)


# Presets ------------------------------------------------------------------------------------

HAND_SWINGS = {
    # Switching node on P.start, which carries the dot; ΔV_P(dot - undot) = +1 (+2 for
    # the bridges), so the secondary's winding voltage steps by n = 0.25 (0.5).
    "custom": {"P.start": 1.0, "P.end": 0.0, "S.start": 0.0, "S.end": 0.0},
    "flyback": {"P.start": 1.0, "P.end": 0.0, "S.start": 0.0, "S.end": -0.25},
    "forward": {"P.start": 1.0, "P.end": 0.0, "S.start": 0.25, "S.end": 0.0},
    "half-bridge-llc": {"P.start": 1.0, "P.end": 0.0, "S.start": 0.125, "S.end": -0.125},
    "full-bridge": {"P.start": 1.0, "P.end": -1.0, "S.start": 0.25, "S.end": -0.25},
    "dual-active-bridge": {"P.start": 1.0, "P.end": -1.0, "S.start": 0.0, "S.end": 0.0},
}


@pytest.mark.parametrize("preset", sorted(HAND_SWINGS))
def test_preset_swings_match_hand_values(reference, preset):
    assert converters.terminal_swings(reference, preset) == pytest.approx(HAND_SWINGS[preset])


def test_reversed_secondary_dot_swaps_swinging_end(reference):
    reversed_dot = with_changes(reference, w1={"dot": "end"})
    swings = converters.terminal_swings(reversed_dot, "flyback")
    # The dot (S.end) is now the quiet end; the undotted S.start steps by -n·ΔV_P = -0.25.
    assert swings == pytest.approx({"P.start": 1.0, "P.end": 0.0, "S.start": -0.25, "S.end": 0.0})


def test_switch_on_undotted_end_flips_secondary(reference):
    # Conventional flyback: dot at the input rail, drain on the undotted end. The
    # secondary's undotted end then rises with the drain, by n.
    data = reference.model_dump()
    data["terminals"]["switching"] = "P.end"
    data["terminals"]["quiet"] = ["P.start", "S.start", "S.end"]
    design = validate_model(Design, data)
    swings = converters.terminal_swings(design, "flyback")
    assert swings == pytest.approx({"P.start": 0.0, "P.end": 1.0, "S.start": 0.0, "S.end": 0.25})


def test_unknown_converter_rejected(reference):
    data = reference.model_dump()
    data["terminals"]["converter"] = "buck"
    with pytest.raises(DesignError) as error:
        validate_model(Design, data)
    assert "terminals.converter" in str(error.value)
    assert "flyback" in str(error.value)


def test_custom_swings_need_custom_converter(reference):
    data = reference.model_dump()
    data["terminals"].update(converter="flyback", swings={"S.end": -0.25})
    with pytest.raises(DesignError, match="terminals.swings"):
        validate_model(Design, data)


def test_custom_swings_unknown_terminal(reference):
    data = reference.model_dump()
    data["terminals"]["swings"] = {"Q.end": 1.0}
    with pytest.raises(DesignError, match=r"terminals\.swings\.Q\.end"):
        validate_model(Design, data)


def test_custom_swings_used(reference):
    data = reference.model_dump()
    data["terminals"]["swings"] = {"S.end": -0.5}
    swings = converters.terminal_swings(validate_model(Design, data))
    assert swings == {"P.start": 1.0, "P.end": 0.0, "S.start": 0.0, "S.end": -0.5}


# Orientation and shield input -----------------------------------------------------------


def test_layer_starts_count_checked(reference):
    with pytest.raises(DesignError) as error:
        with_changes(reference, w0={"layer_starts": ("outer",)})
    text = str(error.value)
    assert "windings[0].layer_starts" in text
    assert "expected 2 entries" in text


def test_layer_starts_value_checked(reference):
    with pytest.raises(DesignError, match="windings\\[0\\].layer_starts"):
        with_changes(reference, w0={"layer_starts": ("outer", "middle")})


def test_layer_starts_reverse_layer(reference):
    from femstack.geometries.axisymmetric import build_axisymmetric_model

    default = build_axisymmetric_model(reference, "PPSS").turns["P"]
    flipped = build_axisymmetric_model(with_changes(reference, w0={"layer_starts": ("inner", "inner")}), "PPSS").turns["P"]
    first = {t.region: t.position for t in default}
    second = {t.region: t.position for t in flipped}
    # Layer 1 reverses (3 - position within its four turns); layer 2 already started inner.
    assert first["turn/P/L1/1"] == 3
    assert second["turn/P/L1/1"] == 0
    assert all(second[r] == first[r] for r in first if "/L2/" in r)


def test_shield_connection_checked(reference):
    data = reference.model_dump()
    data["shields"] = ({"name": "shield", "connection": "Q.end"},)
    with pytest.raises(DesignError) as error:
        validate_model(Design, data)
    assert "shields[0].connection" in str(error.value)
    assert "P.end" in str(error.value)


def test_shield_symbol_must_be_unique(reference):
    data = reference.model_dump()
    data["shields"] = ({"name": "shield", "symbol": "S"},)
    with pytest.raises(DesignError, match=r"shields\[0\]\.symbol"):
        validate_model(Design, data)


def test_shield_loaded_from_toml(tmp_path):
    text = reference_design_path().read_text()
    text = text.replace('patterns = ["PPSS", "PSPS", "PSSP"]', 'patterns = ["PPXS"]')
    text = text.replace('turns = 2\nturns_per_layer = 1', 'turns = 1\nturns_per_layer = 1')
    text += '\n[[shields]]\nname = "shield"\nkind = "comb"\nconnection = "core"\nwidth = "8 mm"\n'
    text += '\n[emi]\namplitude = "100 V"\nrise_time = "10 ns"\nswitching_frequency = "500 kHz"\n'
    path = tmp_path / "shielded.toml"
    path.write_text(text)
    design = load_design(path)
    assert design.shields[0].kind == "comb"
    assert design.shields[0].width == pytest.approx(8e-3)
    assert design.emi.amplitude == 100.0
    assert design.emi.rise_time == pytest.approx(10e-9)


def test_layer_starts_from_toml_checked(tmp_path):
    text = reference_design_path().read_text().replace('spacing = "0.4 mm"', 'spacing = "0.4 mm"\nlayer_starts = ["outer", "up"]')
    path = tmp_path / "starts.toml"
    path.write_text(text)
    with pytest.raises(DesignError) as error:
        load_design(path)
    text = str(error.value)
    assert "windings[0].layer_starts[1]" in text
    assert "'up'" in text
    assert "'outer', 'inner'" in text


def test_shield_connection_quiet_allowed(reference):
    data = reference.model_dump()
    data["shields"] = ({"name": "shield", "connection": "quiet"},)
    assert validate_model(Design, data).shields[0].connection == "quiet"


def test_emi_rise_time_too_long(tmp_path):
    text = reference_design_path().read_text() + '\n[emi]\nrise_time = "5 us"\nswitching_frequency = "200 kHz"\n'
    path = tmp_path / "slow.toml"
    path.write_text(text)
    with pytest.raises(DesignError, match="emi.rise_time"):
        load_design(path)


def test_emi_amplitude_needs_voltage_unit(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(reference_design_path().read_text() + '\n[emi]\namplitude = "400 mm"\n')
    with pytest.raises(DesignError, match="emi.amplitude.*voltage"):
        load_design(path)


# Trapezoid spectrum --------------------------------------------------------------------------

WAVEFORM = emi.SwitchingWaveform(amplitude=400.0, rise_time=20e-9, frequency=200e3, duty=0.5)


def sampled_trapezoid(waveform: emi.SwitchingWaveform, samples: int = 2**16) -> np.ndarray:
    """One period of the trapezoid, τ_on measured at half amplitude."""
    period = 1.0 / waveform.frequency
    t = np.arange(samples) * period / samples
    rise, on = waveform.rise_time, waveform.on_time
    v = np.interp(t, [0.0, rise, on, on + rise, period], [0.0, 1.0, 1.0, 0.0, 0.0])
    return waveform.amplitude * v


def test_harmonics_match_fourier_transform():
    samples = 2**16
    spectrum = np.fft.rfft(sampled_trapezoid(WAVEFORM, samples)) / samples
    f, amplitude = emi.trapezoid_harmonics(WAVEFORM, f_max=50 * WAVEFORM.frequency)
    reference = 2.0 * np.abs(spectrum[1 : len(f) + 1])
    # Linear interpolation between samples 15 ps apart: error far below 1e-3 of c_1.
    assert np.allclose(amplitude, reference, atol=1e-4 * amplitude[0])


def test_harmonics_below_envelope():
    f, amplitude = emi.trapezoid_harmonics(WAVEFORM)
    assert np.all(amplitude <= emi.trapezoid_envelope(WAVEFORM, f) * (1 + 1e-12))


def test_envelope_slopes():
    first = 1.0 / (np.pi * WAVEFORM.on_time)
    second = 1.0 / (np.pi * WAVEFORM.rise_time)
    assert first < second / 100
    envelope = emi.trapezoid_envelope(WAVEFORM, [first, 10 * first, second, 10 * second])
    slope_1 = 20 * np.log10(envelope[1] / envelope[0])
    slope_2 = 20 * np.log10(envelope[3] / envelope[2])
    assert slope_1 == pytest.approx(-20.0, abs=1e-9)
    assert slope_2 == pytest.approx(-40.0, abs=1e-9)


def test_odd_harmonics_touch_envelope():
    # Duty 0.5: |sin(nπ/2)| = 1 for odd n, so c_n = envelope × |sinc(n τ_r/T)|, within
    # 1 % of the envelope up to a tenth of 1/(π τ_r).
    waveform = emi.SwitchingWaveform(amplitude=400.0, rise_time=20e-9, frequency=50e3, duty=0.5)
    f, amplitude = emi.trapezoid_harmonics(waveform)
    odd = (np.round(f / waveform.frequency) % 2 == 1) & (f < 0.1 / (np.pi * waveform.rise_time))
    assert odd.sum() > 10
    ratio = amplitude[odd] / emi.trapezoid_envelope(waveform, f[odd])
    assert np.all(ratio > 0.99)


def test_cm_noise_flat_between_corners():
    # C_cm adds +20 dB/decade (jωC into 25 Ω, ωCR ≪ 1), so the LISN reading of the odd
    # harmonics is flat between 1/(πτ_on) and 1/(πτ_r).
    f, level = emi.common_mode_noise(10e-12, WAVEFORM)
    odd = (np.round(f / WAVEFORM.frequency) % 2 == 1) & (f < 0.05 / (np.pi * WAVEFORM.rise_time))
    assert np.ptp(level[odd]) < 0.2


def test_cm_noise_reading_at_one_harmonic():
    # Hand value: the first harmonic in the band is n = 1 at 200 kHz. A square wave from
    # 0 to A has a fundamental of 2A/π; the edges multiply it by sinc(τ_r/T).
    c1 = 2 * 400.0 / np.pi * np.sinc(20e-9 * 200e3)
    current = c1 * 2 * np.pi * 200e3 * 10e-12  # ωC·25 Ω ≈ 3e-4, far below 1
    expected = 20 * np.log10(25.0 * current / np.sqrt(2) / 1e-6)
    f, level = emi.common_mode_noise(10e-12, WAVEFORM)
    assert f[0] == pytest.approx(200e3)
    assert level[0] == pytest.approx(expected, abs=0.01)


# CISPR 32 class B -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "quasi_peak", "average"),
    [
        (150e3, 66.0, 56.0),
        (np.sqrt(150e3 * 500e3), 61.0, 51.0),
        (500e3, 56.0, 46.0),
        (1e6, 56.0, 46.0),
        (5e6, 56.0, 46.0),
        (10e6, 60.0, 50.0),
        (30e6, 60.0, 50.0),
    ],
)
def test_cispr32_class_b_limits(frequency, quasi_peak, average):
    assert emi.cispr32_class_b_limit(frequency, "quasi-peak")[0] == pytest.approx(quasi_peak)
    assert emi.cispr32_class_b_limit(frequency, "average")[0] == pytest.approx(average)


def test_cispr32_outside_band_is_nan():
    assert np.isnan(emi.cispr32_class_b_limit(100e3)[0])
    assert np.isnan(emi.cispr32_class_b_limit(31e6)[0])


def test_margin_falls_20_db_per_decade_of_capacitance():
    small = emi.noise_margin(1e-12, WAVEFORM)
    large = emi.noise_margin(10e-12, WAVEFORM)
    assert small["margin_quasi_peak_dB"] - large["margin_quasi_peak_dB"] == pytest.approx(20.0, abs=0.1)


# Search helpers ---------------------------------------------------------------------------


def test_pareto_mask_hand_example():
    costs = np.array([[1.0, 5.0], [2.0, 2.0], [3.0, 3.0], [5.0, 1.0], [1.0, 6.0]])
    assert pareto_mask(costs).tolist() == [True, True, False, True, False]


def test_distinct_patterns_of_reference():
    assert distinct_patterns("PPSS") == ["PPSS", "PSPS", "PSSP", "SPPS", "SPSP", "SSPP"]
