r"""Lumped magnetic quantities from the winding impedance matrix and the fields.

Z = R + jωL is the winding impedance matrix for peak phasors, V = Z I.

- Leakage inductance referred to the primary (winding 0), all other windings shorted:
  :math:`Z_{sc} = Z_{00} - Z_{0o} Z_{oo}^{-1} Z_{o0}`, :math:`L_{lk} = \mathrm{Im}(Z_{sc})/\omega`.
- Magnetizing inductance referred to the primary, from the mutual inductance of the
  first two windings and the turns ratio n = N_0/N_1: :math:`L_m = n M_{01}`
  (T-equivalent circuit, e.g. Erickson & Maksimović, *Fundamentals of Power
  Electronics*, 3rd ed., 2020, ch. 10).
- AC resistance of winding w at a set of winding currents: :math:`R_{ac} = 2P_w/|I_w|^2`,
  where :math:`P_w = \int_w |J|^2/(2\sigma)\,dV` is the time-averaged loss in that
  winding's copper, which includes proximity losses from the other windings' field.
"""

from __future__ import annotations

import numpy as np


def short_circuit_impedance(Z: np.ndarray) -> complex:
    """Return the primary's input impedance with every other winding shorted, in Ω."""
    if Z.shape[0] == 1:
        return complex(Z[0, 0])
    Zoo = Z[1:, 1:]
    return complex(Z[0, 0] - Z[0, 1:] @ np.linalg.solve(Zoo, Z[1:, 0]))


def short_circuit_currents(Z: np.ndarray, primary_current: complex = 1.0) -> np.ndarray:
    """Return the winding currents (A peak) when the other windings are shorted."""
    if Z.shape[0] == 1:
        return np.array([primary_current], dtype=complex)
    others = -np.linalg.solve(Z[1:, 1:], Z[1:, 0]) * primary_current
    return np.concatenate([[primary_current], others])


def leakage_inductance(Z: np.ndarray, frequency: float) -> float:
    """Return the leakage inductance referred to the primary, in H."""
    return short_circuit_impedance(Z).imag / (2.0 * np.pi * frequency)


def magnetizing_inductance(Z: np.ndarray, frequency: float, turns: list[int]) -> float:
    """Return L_m = (N0/N1)·M01 in H, referred to the primary."""
    if Z.shape[0] < 2:
        return float(Z[0, 0].imag / (2.0 * np.pi * frequency))
    mutual = 0.5 * (Z[0, 1] + Z[1, 0]).imag / (2.0 * np.pi * frequency)
    return float(turns[0] / turns[1] * mutual)


def inductance_matrix(Z: np.ndarray, frequency: float) -> np.ndarray:
    """Return L = Im(Z)/ω in H."""
    return Z.imag / (2.0 * np.pi * frequency)
