"""Closed-form and 1-D reference models that femstack's finite-element results are tested against.

Every quantity is in SI units: metres, hertz, siemens per metre, henries, farads,
ohms and amperes. Functions whose parameters are typed array_like broadcast over
them, and they return a Python float when every such argument is a scalar.

The models cover skin depth and Dowell's foil-winding resistance factor, the 1-D
MMF (magnetomotive force) method for leakage inductance in planar and axisymmetric
windows, textbook capacitances, the lumped capacitances of two facing layers with
linear potentials, the internal impedance of a round wire, the inductance of a
gapped core, and the DC resistance of a flat annulus.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import constants, special

__all__ = [
    "MmfProfile",
    "WireImpedance",
    "circular_plate_capacitance_kirchhoff",
    "coaxial_capacitance",
    "concentric_spheres_capacitance",
    "dowell_layer_factors",
    "dowell_resistance_factor",
    "facing_layers_energy",
    "facing_layers_six_capacitances",
    "gapped_core_inductance",
    "mmf_leakage_axisymmetric",
    "mmf_leakage_inductance",
    "mmf_profile",
    "parallel_plate_capacitance",
    "ring_dc_resistance",
    "round_wire_impedance",
    "skin_depth",
]

MU_0 = constants.mu_0
"""Vacuum permeability in H/m (CODATA value shipped with scipy.constants)."""

EPSILON_0 = constants.epsilon_0
"""Vacuum permittivity in F/m (CODATA value shipped with scipy.constants)."""

# Relative tolerance on the sum of the layer ampere-turns, as a fraction of the sum
# of their magnitudes, below which an MMF profile counts as returning to zero.
_BALANCE_RTOL = 1e-9

# Below this Delta = h/delta the Dowell terms use their Taylor series, because the
# closed forms are 0/0 at Delta = 0 and lose digits to cancellation near it.
_DOWELL_SERIES_LIMIT = 0.1

# Taylor coefficients of Delta*varsigma1 in powers of Delta**4: 1 + 4/45 D^4 - ...
# Computed exactly with rational arithmetic from the sinh/sin and cosh/cos series.
_DELTA_VARSIGMA1_SERIES = (1.0, 4.0 / 45.0, -16.0 / 4725.0, 88448.0 / 638512875.0)

# Taylor coefficients of Delta*varsigma2 in powers of Delta**4, starting at Delta**4.
_DELTA_VARSIGMA2_SERIES = (1.0 / 6.0, -17.0 / 2520.0, 691.0 / 2494800.0)

# Below this a/delta the round-wire impedance uses its Taylor series, because the
# imaginary part of J0/J1 is then of order (a/delta)**2 and loses digits to rounding.
_WIRE_SERIES_LIMIT = 0.1

# Taylor coefficients c_k of (z/2) J0(z)/J1(z) = sum_k c_k z**(2k), computed exactly
# from the power series of J0 and J1 with rational arithmetic.
_WIRE_SERIES = (
    1.0,
    -1.0 / 8.0,
    -1.0 / 192.0,
    -1.0 / 3072.0,
    -1.0 / 46080.0,
    -13.0 / 8847360.0,
    -11.0 / 110100480.0,
    -647.0 / 95126814720.0,
)


# ---------------------------------------------------------------------------
# Input checks and output conversion


def _as_float_array(name: str, value: ArrayLike) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a real number or array of real numbers, got {value!r}") from error
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return array


def _positive(name: str, value: ArrayLike) -> np.ndarray:
    array = _as_float_array(name, value)
    if not np.all(array > 0.0):
        raise ValueError(f"{name} must be positive, got {value!r}")
    return array


def _nonnegative(name: str, value: ArrayLike) -> np.ndarray:
    array = _as_float_array(name, value)
    if not np.all(array >= 0.0):
        raise ValueError(f"{name} must be zero or positive, got {value!r}")
    return array


def _to_output(array: np.ndarray) -> float | np.ndarray:
    return float(array) if np.ndim(array) == 0 else array


def _layer_count(layers: int) -> int:
    try:
        count = operator.index(layers)
    except TypeError as error:
        raise ValueError(f"layers must be an integer number of layers, got {layers!r}") from error
    if count < 1:
        raise ValueError(f"layers must be at least 1, got {count}")
    return count


# ---------------------------------------------------------------------------
# Skin depth and Dowell's resistance factor


def skin_depth(
    frequency: ArrayLike,
    conductivity: ArrayLike,
    relative_permeability: ArrayLike = 1.0,
) -> float | np.ndarray:
    r"""Compute the skin depth of a good conductor.

    .. math:: \delta = \sqrt{\frac{2}{\omega \mu \sigma}}
              = \frac{1}{\sqrt{\pi f \mu_r \mu_0 \sigma}}

    Parameters
    ----------
    frequency : array_like
        Frequency f in Hz, zero or positive. Zero gives an infinite skin depth.
    conductivity : array_like
        Electrical conductivity sigma in S/m, positive.
    relative_permeability : array_like, optional
        Relative permeability mu_r of the conductor, positive. Default 1.

    Returns
    -------
    float or ndarray
        Skin depth delta in m, broadcast over the arguments.

    Raises
    ------
    ValueError
        If an argument is negative, zero where it must be positive, or not finite.

    Notes
    -----
    The formula is valid where the displacement current is negligible against the
    conduction current (omega * epsilon << sigma), which is true for metals up to
    far beyond the frequencies of power magnetics.

    References
    ----------
    S. Ramo, J. R. Whinnery, T. Van Duzer, "Fields and Waves in Communication
    Electronics", 3rd ed., Wiley, 1994, section on skin effect in plane conductors.
    """
    frequency = _nonnegative("frequency", frequency)
    conductivity = _positive("conductivity", conductivity)
    relative_permeability = _positive("relative_permeability", relative_permeability)
    with np.errstate(divide="ignore"):
        depth = 1.0 / np.sqrt(np.pi * frequency * relative_permeability * MU_0 * conductivity)
    return _to_output(depth)


def _checked_delta_ratio(delta_ratio: ArrayLike) -> np.ndarray:
    return _nonnegative("delta_ratio", delta_ratio)


def _delta_varsigma1(delta: np.ndarray) -> np.ndarray:
    """Return Delta*varsigma1(Delta), which is 1 at Delta = 0 and about Delta for large Delta."""
    result = np.empty_like(delta)
    small = delta < _DOWELL_SERIES_LIMIT
    moderate = (delta >= _DOWELL_SERIES_LIMIT) & (delta <= 1.0)
    large = delta > 1.0

    d4 = delta[small] ** 4
    result[small] = np.polynomial.polynomial.polyval(d4, _DELTA_VARSIGMA1_SERIES)

    # cosh(2D) - cos(2D) = 2 (sinh(D)^2 + sin(D)^2) is a sum of positive terms,
    # so this form has no cancellation.
    d = delta[moderate]
    result[moderate] = d * (np.sinh(2 * d) + np.sin(2 * d)) / (2 * (np.sinh(d) ** 2 + np.sin(d) ** 2))

    # Numerator and denominator divided by exp(2D)/2, which avoids overflow of sinh.
    d = delta[large]
    decay = np.exp(-2 * d)
    numerator = 1 - decay**2 + 2 * decay * np.sin(2 * d)
    denominator = 1 + decay**2 - 2 * decay * np.cos(2 * d)
    result[large] = d * numerator / denominator
    return result


def _sinh_minus_sin_series(d: np.ndarray) -> np.ndarray:
    """Return sinh(d) - sin(d) = 2 * sum_k d**(4k+3)/(4k+3)!, accurate to rounding for d <= 1."""
    total = np.zeros_like(d)
    for k in range(5):
        power = 4 * k + 3
        total += 2 * d**power / math.factorial(power)
    return total


def _delta_varsigma2(delta: np.ndarray) -> np.ndarray:
    """Return Delta*varsigma2(Delta), which is Delta**4/6 near 0 and about Delta for large Delta."""
    result = np.empty_like(delta)
    small = delta < _DOWELL_SERIES_LIMIT
    moderate = (delta >= _DOWELL_SERIES_LIMIT) & (delta <= 1.0)
    large = delta > 1.0

    d4 = delta[small] ** 4
    result[small] = d4 * np.polynomial.polynomial.polyval(d4, _DELTA_VARSIGMA2_SERIES)

    d = delta[moderate]
    result[moderate] = d * _sinh_minus_sin_series(d) / (np.cosh(d) + np.cos(d))

    # Numerator and denominator divided by exp(D)/2, which avoids overflow of sinh.
    d = delta[large]
    decay = np.exp(-d)
    numerator = 1 - decay**2 - 2 * decay * np.sin(d)
    denominator = 1 + decay**2 + 2 * decay * np.cos(d)
    result[large] = d * numerator / denominator
    return result


def dowell_resistance_factor(delta_ratio: ArrayLike, layers: int) -> float | np.ndarray:
    r"""Compute Dowell's AC-to-DC resistance factor of a winding of full-width foil layers.

    .. math::
        F_R = \Delta \left[ \varsigma_1 + \tfrac{2}{3}(m^2 - 1)\, \varsigma_2 \right],
        \quad
        \varsigma_1 = \frac{\sinh 2\Delta + \sin 2\Delta}{\cosh 2\Delta - \cos 2\Delta},
        \quad
        \varsigma_2 = \frac{\sinh \Delta - \sin \Delta}{\cosh \Delta + \cos \Delta}

    with :math:`\Delta = h/\delta` the layer thickness over the skin depth and m the
    number of layers in the portion of winding between a zero of the MMF and its
    maximum.

    Parameters
    ----------
    delta_ratio : array_like
        Delta = h / delta, dimensionless, zero or positive and finite.
    layers : int
        Number of layers m, at least 1.

    Returns
    -------
    float or ndarray
        F_R = R_ac / R_dc, dimensionless, with the shape of ``delta_ratio``.

    Raises
    ------
    ValueError
        If ``delta_ratio`` is negative or not finite, or ``layers`` is not an
        integer of at least 1.

    See Also
    --------
    dowell_layer_factors : the factor of each layer, whose mean is F_R.

    Notes
    -----
    The formula assumes a 1-D field parallel to the layers (porosity 1, foil
    layers filling the window breadth) and equal currents in every layer. For
    Delta below 0.1 both terms use their Taylor series,

    .. math::
        \Delta\varsigma_1 = 1 + \tfrac{4}{45}\Delta^4 - \tfrac{16}{4725}\Delta^8 + \dots,
        \quad
        \Delta\varsigma_2 = \tfrac{1}{6}\Delta^4 - \tfrac{17}{2520}\Delta^8 + \dots,

    so that :math:`F_R = 1 + \tfrac{5m^2 - 1}{45}\Delta^4 + O(\Delta^8)` reaches 1
    smoothly and without cancellation. Above Delta = 1 the hyperbolic functions are
    divided by their growing exponential, so large Delta does not overflow.

    References
    ----------
    P. L. Dowell, "Effects of eddy currents in transformer windings",
    Proceedings of the IEE, vol. 113, no. 8, pp. 1387-1394, 1966,
    doi:10.1049/piee.1966.0236.
    """
    delta = _checked_delta_ratio(delta_ratio)
    count = _layer_count(layers)
    flat = np.atleast_1d(delta).astype(float)
    factor = _delta_varsigma1(flat) + (2.0 / 3.0) * (count**2 - 1) * _delta_varsigma2(flat)
    return _to_output(factor.reshape(delta.shape))


def dowell_layer_factors(delta_ratio: ArrayLike, layers: int) -> np.ndarray:
    r"""Compute the AC-to-DC resistance factor of each layer p = 1..m of a foil winding.

    .. math::
        F_p = \Delta \left[ \varsigma_1 + 2 (p^2 - p)\, \varsigma_2 \right]

    with :math:`\Delta`, :math:`\varsigma_1` and :math:`\varsigma_2` as in
    :func:`dowell_resistance_factor`. Layer 1 sits at the zero of the MMF.

    Parameters
    ----------
    delta_ratio : array_like
        Delta = h / delta, dimensionless, zero or positive and finite.
    layers : int
        Number of layers m, at least 1.

    Returns
    -------
    ndarray
        Array of shape ``(layers,) + np.shape(delta_ratio)``. Row p - 1 is the
        factor F_p of layer p, the ratio of its AC loss to its DC loss.

    Raises
    ------
    ValueError
        As :func:`dowell_resistance_factor`.

    Notes
    -----
    Derivation. Take one foil layer of thickness h between x = 0 and x = h, with
    the tangential field :math:`H_a` on the face x = 0 and :math:`H_b` on x = h,
    in phase. Inside the conductor
    :math:`d^2H/dx^2 = \gamma^2 H` with :math:`\gamma = (1 + j)/\delta`, so

    .. math:: H(x) = \frac{H_b \sinh \gamma x + H_a \sinh \gamma (h - x)}{\sinh \gamma h},
              \qquad J = dH/dx.

    Integrating :math:`|J|^2 / (2\sigma)` across the layer gives the loss per unit
    face area

    .. math:: P = \frac{1}{2\sigma\delta}
              \left[ (H_a^2 + H_b^2)\, G_1 - 4 H_a H_b\, G_2 \right],
              \quad
              G_1 = \varsigma_1, \quad
              G_2 = \frac{\sinh\Delta\cos\Delta + \cosh\Delta\sin\Delta}
                         {\cosh 2\Delta - \cos 2\Delta}.

    The identities :math:`\cosh 2\Delta - \cos 2\Delta = 2(\cosh\Delta - \cos\Delta)
    (\cosh\Delta + \cos\Delta)` and :math:`\sinh 2\Delta + \sin 2\Delta - 2(\sinh\Delta
    \cos\Delta + \cosh\Delta\sin\Delta) = 2(\sinh\Delta - \sin\Delta)(\cosh\Delta -
    \cos\Delta)` give :math:`G_1 - 2G_2 = \varsigma_2`. Layer p of a winding with
    N I ampere-turns per layer and breadth b has :math:`H_a = (p-1)NI/b` and
    :math:`H_b = pNI/b`. Its DC loss is :math:`(NI/b)^2 / (2\sigma h)`, because the
    net current per unit breadth is :math:`H_b - H_a = NI/b`. The ratio is

    .. math:: F_p = \Delta\left[(2p^2 - 2p + 1)\varsigma_1 - 4(p^2 - p) G_2\right]
                  = \Delta\left[\varsigma_1 + 2(p^2 - p)\varsigma_2\right].

    Since :math:`\sum_{p=1}^{m} (p^2 - p) = m(m^2 - 1)/3`, the mean of F_p over the
    m layers is Dowell's winding factor
    :math:`\Delta[\varsigma_1 + \tfrac{2}{3}(m^2 - 1)\varsigma_2]`.

    References
    ----------
    P. L. Dowell, "Effects of eddy currents in transformer windings",
    Proceedings of the IEE, vol. 113, no. 8, pp. 1387-1394, 1966,
    doi:10.1049/piee.1966.0236.

    J. A. Ferreira, "Improved analytical modeling of conductive losses in magnetic
    components", IEEE Transactions on Power Electronics, vol. 9, no. 1,
    pp. 127-131, 1994, doi:10.1109/63.285503. It gives the loss of a layer with
    arbitrary face fields in the form (H_a^2 + H_b^2) G_1 - 4 H_a H_b G_2 used above.
    """
    delta = _checked_delta_ratio(delta_ratio)
    count = _layer_count(layers)
    flat = np.atleast_1d(delta).astype(float)
    skin_term = _delta_varsigma1(flat)
    proximity_term = _delta_varsigma2(flat)

    layer_index = np.arange(1, count + 1, dtype=float)[:, np.newaxis]
    factors = skin_term[np.newaxis, :] + 2.0 * (layer_index**2 - layer_index) * proximity_term[np.newaxis, :]
    return factors.reshape((count,) + delta.shape)


# ---------------------------------------------------------------------------
# 1-D MMF method for leakage inductance


class MmfProfile(NamedTuple):
    """Piecewise-linear MMF across a stack of layers, given at the ends of every layer and gap."""

    position: np.ndarray
    """Position x in m along the stacking direction, starting at 0 and non-decreasing."""

    mmf: np.ndarray
    """MMF F(x) in A (ampere-turns) at each position, starting at 0."""


def _parse_stack(
    layers: Sequence[tuple[float, float]],
    gaps: Sequence[float],
    gap_before: float,
    gap_after: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Validate a layer stack and return thicknesses, ampere-turns, gaps and the two outer gaps."""
    try:
        table = np.asarray(layers, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"layers must be a sequence of (thickness, ampere_turns) pairs, got {layers!r}"
        ) from error
    if table.ndim != 2 or table.shape[1] != 2 or table.shape[0] == 0:
        raise ValueError(
            f"layers must be a non-empty sequence of (thickness, ampere_turns) pairs, got {layers!r}"
        )
    thicknesses = _positive("layer thickness", table[:, 0])
    ampere_turns = _as_float_array("layer ampere-turns", table[:, 1])

    gap_array = _nonnegative("gaps", np.asarray(gaps, dtype=float).reshape(-1))
    if gap_array.size != table.shape[0] - 1:
        raise ValueError(
            f"gaps must contain one thickness between each pair of consecutive layers: "
            f"expected {table.shape[0] - 1} for {table.shape[0]} layers, got {gap_array.size}"
        )
    before = float(_nonnegative("gap_before", gap_before))
    after = float(_nonnegative("gap_after", gap_after))
    return thicknesses, ampere_turns, gap_array, before, after


def _check_mmf_balance(ampere_turns: np.ndarray) -> None:
    residual = float(np.sum(ampere_turns))
    scale = float(np.sum(np.abs(ampere_turns)))
    if abs(residual) > _BALANCE_RTOL * scale:
        raise ValueError(
            f"the layer ampere-turns sum to {residual:.6g} A instead of zero, so the MMF "
            f"does not return to zero after the last layer. Check the signs and turn "
            f"counts of the layers."
        )


def _build_profile(
    thicknesses: np.ndarray,
    ampere_turns: np.ndarray,
    gaps: np.ndarray,
    gap_before: float,
    gap_after: float,
) -> MmfProfile:
    # Segment lengths and MMF rises in stacking order:
    # gap_before, layer 1, gap 1, layer 2, ..., layer n, gap_after.
    count = thicknesses.size
    lengths = [gap_before]
    rises = [0.0]
    for index in range(count):
        lengths.append(float(thicknesses[index]))
        rises.append(float(ampere_turns[index]))
        if index < count - 1:
            lengths.append(float(gaps[index]))
            rises.append(0.0)
    lengths.append(gap_after)
    rises.append(0.0)

    position = np.concatenate(([0.0], np.cumsum(lengths)))
    mmf = np.concatenate(([0.0], np.cumsum(rises)))
    return MmfProfile(position=position, mmf=mmf)


def mmf_profile(
    layers: Sequence[tuple[float, float]],
    gaps: Sequence[float],
    *,
    gap_before: float = 0.0,
    gap_after: float = 0.0,
) -> MmfProfile:
    r"""Compute the 1-D MMF profile F(x) across a stack of conductor layers.

    F starts at 0 before the first layer, rises linearly inside each layer by that
    layer's ampere-turns (uniform current density), and stays constant in each
    insulation gap:

    .. math:: F(x) = \sum_{\text{layers left of } x} N_i I_i
              + N_k I_k \frac{x - x_k}{h_k} \quad \text{inside layer } k.

    Parameters
    ----------
    layers : sequence of (float, float)
        One ``(thickness, ampere_turns)`` pair per conductor layer, in stacking
        order. Thickness h_i is in m and positive. Ampere-turns N_i I_i are in A and
        signed, for example +4 for a primary layer of 4 turns at 1 A and -4 for a
        secondary layer carrying the opposing 4 A.
    gaps : sequence of float
        Insulation thickness in m between each pair of consecutive layers, so
        ``len(gaps) == len(layers) - 1``. Each is zero or positive.
    gap_before, gap_after : float, optional
        Insulation thickness in m before the first and after the last layer.
        Default 0. They shift and extend x but carry zero MMF in a balanced stack.

    Returns
    -------
    MmfProfile
        ``position`` and ``mmf`` arrays of length ``2 * len(layers) + 2``, the
        vertices of the piecewise-linear F(x). A zero-thickness gap gives two equal
        positions. The profile is returned even when the ampere-turns do not sum to
        zero, in which case F ends at their sum.

    Raises
    ------
    ValueError
        If a thickness is not positive, a gap is negative, or ``gaps`` has the
        wrong length.

    References
    ----------
    W. G. Hurley, W. H. Wölfle, "Transformers and Inductors for Power
    Electronics: Theory, Design and Applications", Wiley, 2013, chapter on
    leakage inductance and the MMF diagram.
    """
    stack = _parse_stack(layers, gaps, gap_before, gap_after)
    return _build_profile(*stack)


def _integrate_mmf_squared(profile: MmfProfile) -> float:
    """Return the exact integral of F(x)**2 over a piecewise-linear profile, in A^2 m."""
    lengths = np.diff(profile.position)
    start = profile.mmf[:-1]
    end = profile.mmf[1:]
    # For F linear from a to b over a length L, the integral of F^2 is
    # L (a^2 + a b + b^2) / 3. A gap has a = b and gives L a^2.
    return float(np.sum(lengths * (start**2 + start * end + end**2) / 3.0))


def mmf_leakage_inductance(
    layers: Sequence[tuple[float, float]],
    gaps: Sequence[float],
    breadth: float,
    mean_turn_length: float,
    reference_current: float,
    *,
    gap_before: float = 0.0,
    gap_after: float = 0.0,
) -> float:
    r"""Compute the leakage inductance of a layer stack with the 1-D MMF method.

    .. math:: L = \frac{\mu_0 \, \mathrm{MLT}}{b\, I^2} \int F(x)^2 \, dx

    The field in the window is taken parallel to the layers and uniform across the
    breadth b, so :math:`H(x) = F(x)/b`. The stored energy is
    :math:`W = \tfrac12 \mu_0 \int H^2 \, dV = \tfrac12 \mu_0 \frac{\mathrm{MLT}}{b}
    \int F^2 \, dx`, and :math:`W = \tfrac12 L I^2` gives L. The integral is exact
    for the piecewise-linear F: :math:`h(a^2 + ab + b^2)/3` over a layer whose MMF
    goes from a to b, and :math:`F^2 g` over a gap of thickness g.

    Parameters
    ----------
    layers, gaps, gap_before, gap_after
        The stack, as in :func:`mmf_profile`. The ampere-turns are those at the
        reference current.
    breadth : float
        Winding breadth b in m, the width of the layers along which the leakage
        field runs (the window dimension parallel to the layers). Positive.
    mean_turn_length : float
        Mean length of a turn (MLT) in m. Positive.
    reference_current : float
        Current I in A of the winding that L is referred to. The ampere-turns of
        that winding's layers are its turns times I. Nonzero.

    Returns
    -------
    float
        Leakage inductance in H, referred to the winding that carries I.

    Raises
    ------
    ValueError
        If the ampere-turns do not sum to zero within a relative tolerance of
        1e-9 of the sum of their magnitudes (the message gives the residual), or
        if an input is invalid as described in :func:`mmf_profile`.

    Notes
    -----
    The method neglects the field outside the window, the curvature of the turns
    and any variation of H across the breadth, so it suits windows whose layers
    fill the breadth. It is the low-frequency limit: eddy currents that push the
    field out of thick layers at high frequency are not modelled.

    References
    ----------
    W. G. Hurley, W. H. Wölfle, "Transformers and Inductors for Power
    Electronics: Theory, Design and Applications", Wiley, 2013, chapter on
    leakage inductance.

    C. W. T. McLyman, "Transformer and Inductor Design Handbook", 4th ed.,
    CRC Press, 2011, chapter on winding capacitance and leakage inductance.
    """
    thicknesses, ampere_turns, gap_array, before, after = _parse_stack(layers, gaps, gap_before, gap_after)
    breadth = float(_positive("breadth", breadth))
    mean_turn_length = float(_positive("mean_turn_length", mean_turn_length))
    current = _reference_current(reference_current)
    _check_mmf_balance(ampere_turns)

    profile = _build_profile(thicknesses, ampere_turns, gap_array, before, after)
    return MU_0 * mean_turn_length / (breadth * current**2) * _integrate_mmf_squared(profile)


def _reference_current(reference_current: float) -> float:
    current = float(_as_float_array("reference_current", reference_current))
    if current == 0.0:
        raise ValueError("reference_current must be nonzero, got 0")
    return current


def mmf_leakage_axisymmetric(
    layers: Sequence[tuple[float, float]],
    gaps: Sequence[float],
    r_inner: float,
    r_outer: float,
    reference_current: float,
    *,
    gap_before: float = 0.0,
    gap_after: float = 0.0,
) -> float:
    r"""Compute the leakage inductance of an axially stacked winding with a radial 1-D field.

    .. math:: L = \frac{2\pi \mu_0}{\ln(r_o / r_i)\, I^2} \int F(z)^2 \, dz

    The factor :math:`\mathrm{MLT}/b` of :func:`mmf_leakage_inductance` becomes
    :math:`2\pi / \ln(r_o/r_i)`.

    Parameters
    ----------
    layers, gaps, gap_before, gap_after
        The stack, as in :func:`mmf_profile`, with thicknesses along the axis z.
    r_inner : float
        Radius r_i in m of the inner core leg (the face of the centre post). Positive.
    r_outer : float
        Radius r_o in m of the outer core leg, greater than ``r_inner``.
    reference_current : float
        Current I in A of the winding that L is referred to. Nonzero.

    Returns
    -------
    float
        Leakage inductance in H, referred to the winding that carries I.

    Raises
    ------
    ValueError
        If the ampere-turns do not sum to zero (the message gives the residual),
        if ``r_outer <= r_inner``, or if an input is invalid as described in
        :func:`mmf_profile`.

    Notes
    -----
    Derivation. The layers are flat annuli that span the window from r_i to r_o
    and carry azimuthal current. The two coaxial core legs at r_i and r_o are
    infinitely permeable, and the 1-D model takes the leakage field between them as radial,
    :math:`H = H_r(r, z)`. The window is non-magnetic, so
    :math:`\nabla\cdot\mathbf{B} = 0` gives :math:`\frac{1}{r}\partial_r (r H_r) = 0` and
    :math:`H_r = C(z)/r`. Ampère's law on a loop that crosses the window radially at
    height z and closes through the core gives :math:`\int_{r_i}^{r_o} H_r\, dr
    = F(z)`, so :math:`H_r = F(z) / (r \ln(r_o/r_i))`. Inside a layer the same
    H_r requires an azimuthal current density proportional to 1/r, which is the
    DC current distribution of a flat annulus. The energy per unit height is

    .. math:: \frac{dW}{dz} = \frac{\mu_0}{2} \int_{r_i}^{r_o} H_r^2 \, 2\pi r\, dr
              = \frac{\mu_0}{2} \frac{2\pi}{\ln(r_o/r_i)} F(z)^2,

    and :math:`W = \tfrac12 L I^2` gives L. For a thin window,
    :math:`r_o - r_i = b \ll r_i`, :math:`2\pi/\ln(r_o/r_i) \to 2\pi r/b =
    \mathrm{MLT}/b` and the planar result is recovered.

    References
    ----------
    W. G. Hurley, W. H. Wölfle, "Transformers and Inductors for Power
    Electronics: Theory, Design and Applications", Wiley, 2013, chapter on
    leakage inductance, for the planar MMF method that this generalises.
    """
    thicknesses, ampere_turns, gap_array, before, after = _parse_stack(layers, gaps, gap_before, gap_after)
    r_inner = float(_positive("r_inner", r_inner))
    r_outer = float(_positive("r_outer", r_outer))
    if r_outer <= r_inner:
        raise ValueError(f"r_outer must be greater than r_inner, got r_inner={r_inner!r} m, r_outer={r_outer!r} m")
    current = _reference_current(reference_current)
    _check_mmf_balance(ampere_turns)

    profile = _build_profile(thicknesses, ampere_turns, gap_array, before, after)
    geometry_factor = 2.0 * np.pi / math.log(r_outer / r_inner)
    return MU_0 * geometry_factor / current**2 * _integrate_mmf_squared(profile)


# ---------------------------------------------------------------------------
# Capacitances


def coaxial_capacitance(
    inner_radius: ArrayLike,
    outer_radius: ArrayLike,
    length: ArrayLike,
    relative_permittivity: ArrayLike = 1.0,
) -> float | np.ndarray:
    r"""Compute the capacitance between two coaxial cylinders, neglecting end fringing.

    .. math:: C = \frac{2\pi \varepsilon_r \varepsilon_0 L}{\ln(b/a)}

    Parameters
    ----------
    inner_radius : array_like
        Radius a in m of the inner conductor, positive.
    outer_radius : array_like
        Inner radius b in m of the outer conductor, greater than a.
    length : array_like
        Length L in m, positive.
    relative_permittivity : array_like, optional
        Relative permittivity of the dielectric between them, positive. Default 1.

    Returns
    -------
    float or ndarray
        Capacitance in F.

    Raises
    ------
    ValueError
        If a dimension is not positive or ``outer_radius <= inner_radius``.

    References
    ----------
    D. K. Cheng, "Field and Wave Electromagnetics", 2nd ed., Addison-Wesley, 1989,
    section on capacitors (Gauss's law for a coaxial cylinder).
    """
    a = _positive("inner_radius", inner_radius)
    b = _positive("outer_radius", outer_radius)
    length = _positive("length", length)
    permittivity = _positive("relative_permittivity", relative_permittivity) * EPSILON_0
    if not np.all(b > a):
        raise ValueError(f"outer_radius must be greater than inner_radius, got {outer_radius!r} <= {inner_radius!r}")
    return _to_output(2.0 * np.pi * permittivity * length / np.log(b / a))


def concentric_spheres_capacitance(
    inner_radius: ArrayLike,
    outer_radius: ArrayLike,
    relative_permittivity: ArrayLike = 1.0,
) -> float | np.ndarray:
    r"""Compute the capacitance between two concentric spheres.

    .. math:: C = 4\pi \varepsilon_r \varepsilon_0 \frac{a b}{b - a}

    Parameters
    ----------
    inner_radius : array_like
        Radius a in m of the inner sphere, positive.
    outer_radius : array_like
        Inner radius b in m of the outer shell, greater than a.
    relative_permittivity : array_like, optional
        Relative permittivity between them, positive. Default 1.

    Returns
    -------
    float or ndarray
        Capacitance in F.

    Raises
    ------
    ValueError
        If a radius is not positive or ``outer_radius <= inner_radius``.

    References
    ----------
    D. K. Cheng, "Field and Wave Electromagnetics", 2nd ed., Addison-Wesley, 1989,
    section on capacitors (spherical capacitor).
    """
    a = _positive("inner_radius", inner_radius)
    b = _positive("outer_radius", outer_radius)
    permittivity = _positive("relative_permittivity", relative_permittivity) * EPSILON_0
    if not np.all(b > a):
        raise ValueError(f"outer_radius must be greater than inner_radius, got {outer_radius!r} <= {inner_radius!r}")
    return _to_output(4.0 * np.pi * permittivity * a * b / (b - a))


def parallel_plate_capacitance(
    area: ArrayLike,
    gap: ArrayLike,
    relative_permittivity: ArrayLike = 1.0,
) -> float | np.ndarray:
    r"""Compute the capacitance of a parallel-plate capacitor without fringing.

    .. math:: C = \frac{\varepsilon_r \varepsilon_0 A}{d}

    Parameters
    ----------
    area : array_like
        Plate area A in m^2, positive.
    gap : array_like
        Plate separation d in m, positive.
    relative_permittivity : array_like, optional
        Relative permittivity between the plates, positive. Default 1.

    Returns
    -------
    float or ndarray
        Capacitance in F. This is the limit for d much smaller than the plate
        dimensions. :func:`circular_plate_capacitance_kirchhoff` adds the edge
        correction for disks.

    Raises
    ------
    ValueError
        If an argument is not positive.

    References
    ----------
    D. K. Cheng, "Field and Wave Electromagnetics", 2nd ed., Addison-Wesley, 1989,
    section on capacitors.
    """
    area = _positive("area", area)
    gap = _positive("gap", gap)
    permittivity = _positive("relative_permittivity", relative_permittivity) * EPSILON_0
    return _to_output(permittivity * area / gap)


def circular_plate_capacitance_kirchhoff(
    radius: ArrayLike,
    gap: ArrayLike,
    relative_permittivity: ArrayLike = 1.0,
) -> float | np.ndarray:
    r"""Compute Kirchhoff's capacitance of two thin coaxial disks, including edge fringing.

    .. math:: C = \varepsilon_r\varepsilon_0 \left[ \frac{\pi a^2}{d}
              + a \left( \ln\frac{16\pi a}{d} - 1 \right) \right]

    Parameters
    ----------
    radius : array_like
        Disk radius a in m, positive.
    gap : array_like
        Separation d in m between the disks, positive and much smaller than a.
    relative_permittivity : array_like, optional
        Relative permittivity of a medium that fills all space, positive.
        Default 1.

    Returns
    -------
    float or ndarray
        Capacitance in F.

    Raises
    ------
    ValueError
        If an argument is not positive.

    Notes
    -----
    The formula is the first two terms of the expansion for d << a of two
    infinitely thin disks in a homogeneous medium. It underestimates the exact
    capacitance, which follows from Love's integral equation. Compared with a
    numerical solution of Love's equation (Nyström method with Gauss-Legendre
    nodes, see tests/test_analytic.py), the relative error is about 0.06 % at
    d/a = 0.02, 0.8 % at d/a = 0.1 and 17 % at d/a = 1. A dielectric that fills
    only the gap between the plates is not covered, because the fringing field
    then runs partly in another medium.

    References
    ----------
    G. Kirchhoff, "Zur Theorie des Condensators", Monatsberichte der Königlich
    Preußischen Akademie der Wissenschaften zu Berlin, pp. 144-162, 1877.

    B. Reichert, Z. Ristivojevic, "Analytical results for the capacitance of a
    circular plate capacitor", arXiv:2001.01142, 2020. It confirms Kirchhoff's
    leading and subleading terms from the asymptotic solution of Love's equation.
    """
    a = _positive("radius", radius)
    d = _positive("gap", gap)
    permittivity = _positive("relative_permittivity", relative_permittivity) * EPSILON_0
    capacitance = permittivity * (np.pi * a**2 / d + a * (np.log(16.0 * np.pi * a / d) - 1.0))
    return _to_output(capacitance)


def facing_layers_energy(c0: ArrayLike, delta_a: ArrayLike, delta_b: ArrayLike) -> float | np.ndarray:
    r"""Compute the electric energy between two facing layers whose potentials vary linearly.

    .. math:: W = \frac{C_0}{6} \left( \Delta_a^2 + \Delta_a \Delta_b + \Delta_b^2 \right)

    Layer A runs from terminal A1 to A2 and layer B from B1 to B2, with A1 facing
    B1. The potential along each layer is linear in the position s in [0, 1], so the
    voltage across the dielectric is :math:`u(s) = \Delta_a (1 - s) + \Delta_b s`,
    and :math:`W = \tfrac12 C_0 \int_0^1 u^2 \, ds` gives the formula.

    Parameters
    ----------
    c0 : array_like
        Static capacitance C_0 in F between the two layers when each is at a
        single potential (for example the parallel-plate value).
    delta_a : array_like
        Voltage V_A1 - V_B1 in V between the facing ends A1 and B1.
    delta_b : array_like
        Voltage V_A2 - V_B2 in V between the facing ends A2 and B2.

    Returns
    -------
    float or ndarray
        Energy in J, broadcast over the arguments.

    Raises
    ------
    ValueError
        If ``c0`` is negative or an argument is not finite.

    Notes
    -----
    The model assumes a uniform field across the gap (parallel-plate field, no
    fringing) and a linear potential along each layer, as in a single-turn-per-
    layer planar winding at low frequency.

    References
    ----------
    Derived above from the parallel-plate field energy. The energy method with
    linear potentials along the layers is the usual way to lump the distributed
    capacitance of transformer windings.
    """
    c0 = _nonnegative("c0", c0)
    delta_a = _as_float_array("delta_a", delta_a)
    delta_b = _as_float_array("delta_b", delta_b)
    return _to_output(c0 / 6.0 * (delta_a**2 + delta_a * delta_b + delta_b**2))


def facing_layers_six_capacitances(c0: float) -> dict[tuple[str, str], float]:
    r"""Compute the six lumped capacitances between the four terminals of two facing layers.

    Layer A has terminals A1 and A2, layer B has B1 and B2, and A1 faces B1. The
    network of six two-terminal capacitors reproduces
    :func:`facing_layers_energy` for any four terminal potentials.

    Parameters
    ----------
    c0 : float
        Static capacitance C_0 in F between the two layers, zero or positive.

    Returns
    -------
    dict
        Capacitance in F keyed by terminal pair:

        ======================  =========
        pair                    value
        ======================  =========
        ``("A1", "B1")``        C_0 / 3
        ``("A2", "B2")``        C_0 / 3
        ``("A1", "B2")``        C_0 / 6
        ``("A2", "B1")``        C_0 / 6
        ``("A1", "A2")``        -C_0 / 6
        ``("B1", "B2")``        -C_0 / 6
        ======================  =========

        The four capacitances between layer A and layer B sum to C_0. The two
        negative ones, along each layer, are not physical capacitors but are
        required to match the energy. The pairs appear once, in this order.

    Raises
    ------
    ValueError
        If ``c0`` is negative or not finite.

    Notes
    -----
    Derivation. With :math:`x = V_{A1} - V_{B1}` and :math:`y = V_{A2} - V_{B2}`,
    the energy is :math:`W = \frac{C_0}{6}(x^2 + xy + y^2)`. Expanding in the
    terminal potentials,

    .. math::
        \frac{6W}{C_0} = V_{A1}^2 + V_{A2}^2 + V_{B1}^2 + V_{B2}^2
        - 2V_{A1}V_{B1} - 2V_{A2}V_{B2}
        + V_{A1}V_{A2} + V_{B1}V_{B2} - V_{A1}V_{B2} - V_{A2}V_{B1}.

    Writing :math:`W = \tfrac12 V^T K V` with the Maxwell capacitance matrix K,
    each off-diagonal entry :math:`K_{ij}` is the coefficient of
    :math:`V_i V_j` above times :math:`C_0/6`. The lumped capacitance between
    terminals i and j is :math:`C_{ij} = -K_{ij}`, which gives
    :math:`C_{A1B1} = C_{A2B2} = C_0/3`, :math:`C_{A1B2} = C_{A2B1} = C_0/6` and
    :math:`C_{A1A2} = C_{B1B2} = -C_0/6`. Each row of K sums to zero, so
    :math:`W = \tfrac12 \sum_{i<j} C_{ij} (V_i - V_j)^2`.

    References
    ----------
    Derived above from :func:`facing_layers_energy`.
    """
    c0 = float(_nonnegative("c0", c0))
    return {
        ("A1", "B1"): c0 / 3.0,
        ("A2", "B2"): c0 / 3.0,
        ("A1", "B2"): c0 / 6.0,
        ("A2", "B1"): c0 / 6.0,
        ("A1", "A2"): -c0 / 6.0,
        ("B1", "B2"): -c0 / 6.0,
    }


# ---------------------------------------------------------------------------
# Round wire, gapped core and annulus


class WireImpedance(NamedTuple):
    """Internal series impedance of a conductor per unit length."""

    resistance: float | np.ndarray
    """Resistance per unit length R' in ohm/m."""

    internal_inductance: float | np.ndarray
    """Internal inductance per unit length L' = Im(Z')/omega in H/m."""


def round_wire_impedance(
    radius: ArrayLike,
    frequency: ArrayLike,
    conductivity: ArrayLike,
    relative_permeability: ArrayLike = 1.0,
) -> WireImpedance:
    r"""Compute the internal impedance per unit length of an isolated straight round wire.

    .. math:: Z' = \frac{k}{2\pi a \sigma} \frac{J_0(k a)}{J_1(k a)},
              \qquad k = \frac{1 - j}{\delta},
              \qquad R' = \operatorname{Re} Z', \quad L' = \frac{\operatorname{Im} Z'}{\omega}

    with time dependence :math:`e^{j\omega t}` and :math:`\delta` the skin depth.

    Parameters
    ----------
    radius : array_like
        Wire radius a in m, positive.
    frequency : array_like
        Frequency f in Hz, zero or positive.
    conductivity : array_like
        Conductivity sigma in S/m, positive.
    relative_permeability : array_like, optional
        Relative permeability of the wire, positive. Default 1.

    Returns
    -------
    WireImpedance
        ``resistance`` R' in ohm/m and ``internal_inductance`` L' in H/m,
        broadcast over the arguments. At f = 0 they are exactly the DC values
        :math:`1/(\pi a^2 \sigma)` and :math:`\mu/(8\pi)`.

    Raises
    ------
    ValueError
        If an argument is negative, zero where it must be positive, or not finite.

    Notes
    -----
    Derivation. Inside the wire :math:`\nabla^2 E_z = j\omega\mu\sigma E_z = -k^2 E_z`,
    so :math:`E_z = A J_0(kr)`. Faraday's law gives
    :math:`H_\varphi = -\frac{k}{j\omega\mu} A J_1(kr)`, the current is
    :math:`I = 2\pi a H_\varphi(a)`, and :math:`Z' = E_z(a)/I` with
    :math:`-j\omega\mu = k^2/\sigma` gives the formula. The ratio
    :math:`J_0/J_1` is computed with the exponentially scaled
    ``scipy.special.jve``, so it does not overflow at large a/delta. For
    a/delta below 0.1 the Taylor series
    :math:`\tfrac{z}{2} J_0(z)/J_1(z) = 1 - z^2/8 - z^4/192 - z^6/3072 - \dots`
    with :math:`z^2 = -2j (a/\delta)^2` is used, which gives
    :math:`R'/R_{dc} = 1 + (a/\delta)^4/48 + \dots` and
    :math:`L'/(\mu/8\pi) = 1 - (a/\delta)^4/96 + \dots` without cancellation. For
    large a/delta, :math:`R' \to 1/(2\pi a \delta \sigma)`, the resistance of a
    surface layer one skin depth thick.

    The external inductance, which depends on the return path, is not included.

    References
    ----------
    S. Ramo, J. R. Whinnery, T. Van Duzer, "Fields and Waves in Communication
    Electronics", 3rd ed., Wiley, 1994, section on the impedance of round wires.
    """
    radius = _positive("radius", radius)
    frequency = _nonnegative("frequency", frequency)
    conductivity = _positive("conductivity", conductivity)
    relative_permeability = _positive("relative_permeability", relative_permeability)
    radius, frequency, conductivity, relative_permeability = np.broadcast_arrays(
        radius, frequency, conductivity, relative_permeability
    )
    permeability = relative_permeability * MU_0

    dc_resistance = 1.0 / (np.pi * radius**2 * conductivity)
    dc_inductance = permeability / (8.0 * np.pi)

    # ratio is a/delta = a * sqrt(pi f mu sigma), and normalised is Z'/R_dc.
    # Since omega = 2 ratio^2 / (mu sigma a^2), L' = Im(Z')/omega = mu/(8 pi) * inductance_factor
    # with inductance_factor = 4 Im(normalised) / ratio^2.
    ratio = radius * np.sqrt(np.pi * frequency * permeability * conductivity)
    normalised = np.empty(ratio.shape, dtype=complex)
    inductance_factor = np.empty(ratio.shape)
    small = ratio < _WIRE_SERIES_LIMIT
    large = ~small

    # With z^2 = -2j ratio^2 the series is a polynomial in ratio^2. Dropping its
    # constant term before dividing Im by ratio^2 keeps f = 0 exact and avoids underflow.
    series = np.asarray(_WIRE_SERIES) * (-2j) ** np.arange(len(_WIRE_SERIES))
    ratio_squared = ratio[small] ** 2
    normalised[small] = np.polynomial.polynomial.polyval(ratio_squared, series)
    inductance_factor[small] = 4.0 * np.polynomial.polynomial.polyval(ratio_squared, series[1:].imag)

    z = (1.0 - 1.0j) * ratio[large]
    normalised[large] = 0.5 * z * special.jve(0, z) / special.jve(1, z)
    inductance_factor[large] = 4.0 * normalised[large].imag / ratio[large] ** 2

    resistance = dc_resistance * normalised.real
    inductance = dc_inductance * inductance_factor
    return WireImpedance(resistance=_to_output(resistance), internal_inductance=_to_output(inductance))


def _mclyman_fringing_factor(gap: float, core_area: float, window_height: float) -> float:
    return 1.0 + gap / math.sqrt(core_area) * math.log(2.0 * window_height / gap)


def gapped_core_inductance(
    turns: float,
    core_area: float,
    gap: float,
    core_path_length: float,
    relative_permeability: float,
    window_height: float | None = None,
    fringing: str | None = "mclyman",
) -> float:
    r"""Compute the inductance of a winding on a gapped core from its magnetic circuit.

    .. math:: L = F \, \frac{N^2 \mu_0 A_c}{g + l_e/\mu_r},
              \qquad F = 1 + \frac{g}{\sqrt{A_c}} \ln\frac{2G}{g}

    where F is McLyman's fringing factor and G the window height.

    Parameters
    ----------
    turns : float
        Number of turns N, positive.
    core_area : float
        Effective core cross-section A_c in m^2, positive.
    gap : float
        Total air-gap length g in m along the magnetic path. Zero or positive,
        and positive when ``fringing`` is ``"mclyman"``.
    core_path_length : float
        Effective magnetic path length l_e in m of the core material, zero or
        positive.
    relative_permeability : float
        Relative permeability mu_r of the core material, positive. ``np.inf``
        models an ideal core.
    window_height : float, optional
        Window height G in m, the length of the winding window along the leg
        that carries the gap. Required when ``fringing`` is ``"mclyman"``.
    fringing : {"mclyman", None}, optional
        ``"mclyman"`` multiplies by McLyman's fringing factor. None gives F = 1.

    Returns
    -------
    float
        Inductance in H.

    Raises
    ------
    ValueError
        If an argument is out of range, ``fringing`` is not one of the accepted
        values, ``window_height`` is missing for ``"mclyman"``, or the gap is
        longer than twice the window height (the fringing factor would drop
        below 1).

    Notes
    -----
    The fringing factor is an empirical fit for a gap in a leg next to a
    winding window. It takes all length ratios in the same unit, so it applies
    unchanged in SI. It exceeds 1 for g < 2G and grows with g/sqrt(A_c).

    References
    ----------
    C. W. T. McLyman, "Transformer and Inductor Design Handbook", 4th ed.,
    CRC Press, 2011, chapter on the design of inductors with air gaps
    (fringing flux factor).
    """
    turns = float(_positive("turns", turns))
    core_area = float(_positive("core_area", core_area))
    gap = float(_nonnegative("gap", gap))
    core_path_length = float(_nonnegative("core_path_length", core_path_length))
    relative_permeability = float(relative_permeability)
    if not relative_permeability > 0.0:
        raise ValueError(f"relative_permeability must be positive, got {relative_permeability!r}")

    reluctance_length = gap + core_path_length / relative_permeability
    if reluctance_length <= 0.0:
        raise ValueError(
            "gap and core_path_length / relative_permeability are both zero, so the "
            "magnetic path has no reluctance. Give a gap or a finite permeability."
        )

    if fringing is None:
        fringing_factor = 1.0
    elif fringing == "mclyman":
        if window_height is None:
            raise ValueError(
                "window_height is required for fringing='mclyman'. Pass the window "
                "height G in m, or fringing=None for no fringing correction."
            )
        window_height = float(_positive("window_height", window_height))
        if gap <= 0.0:
            raise ValueError(
                "gap must be positive for fringing='mclyman', got 0. Use fringing=None for an ungapped core."
            )
        if gap > 2.0 * window_height:
            raise ValueError(
                f"gap {gap!r} m exceeds twice the window height {window_height!r} m, "
                f"where McLyman's fringing factor falls below 1 and does not apply"
            )
        fringing_factor = _mclyman_fringing_factor(gap, core_area, window_height)
    else:
        raise ValueError(f"fringing must be 'mclyman' or None, got {fringing!r}")

    return fringing_factor * turns**2 * MU_0 * core_area / reluctance_length


def ring_dc_resistance(
    r_inner: ArrayLike,
    r_outer: ArrayLike,
    thickness: ArrayLike,
    conductivity: ArrayLike,
) -> float | np.ndarray:
    r"""Compute the DC resistance of a flat annulus for one full turn of azimuthal current.

    .. math:: R = \frac{2\pi}{\sigma t \ln(r_o / r_i)}

    Parameters
    ----------
    r_inner : array_like
        Inner radius r_i in m, positive.
    r_outer : array_like
        Outer radius r_o in m, greater than r_i.
    thickness : array_like
        Conductor thickness t in m, positive.
    conductivity : array_like
        Conductivity sigma in S/m, positive.

    Returns
    -------
    float or ndarray
        Resistance in ohm of the closed ring, measured as the voltage of one turn
        around it divided by the current.

    Raises
    ------
    ValueError
        If an argument is not positive or ``r_outer <= r_inner``.

    Notes
    -----
    Derivation. The azimuthal field at DC is :math:`E_\varphi = V/(2\pi r)` for a
    turn voltage V, so a ring of width dr conducts
    :math:`dI = \sigma t\, dr \, V/(2\pi r)`. Integrating from r_i to r_o gives
    :math:`I = \sigma t V \ln(r_o/r_i) / (2\pi)`. For a narrow ring,
    :math:`\ln(r_o/r_i) \approx w/r` with width w and mean radius r, and R tends to
    :math:`2\pi r/(\sigma t w)`, the resistance of a straight strip of length 2 pi r.
    The current density is proportional to 1/r, so the ring does not carry a
    uniform current.

    References
    ----------
    Derived above from Ohm's law in cylindrical coordinates. See also
    D. K. Cheng, "Field and Wave Electromagnetics", 2nd ed., Addison-Wesley, 1989,
    section on resistance calculations.
    """
    r_inner = _positive("r_inner", r_inner)
    r_outer = _positive("r_outer", r_outer)
    thickness = _positive("thickness", thickness)
    conductivity = _positive("conductivity", conductivity)
    if not np.all(r_outer > r_inner):
        raise ValueError(f"r_outer must be greater than r_inner, got r_outer={r_outer!r}, r_inner={r_inner!r}")
    return _to_output(2.0 * np.pi / (conductivity * thickness * np.log(r_outer / r_inner)))
