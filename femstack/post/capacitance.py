r"""Capacitance networks: from the turn-level Maxwell matrix to winding terminals.

In a 2-D model each turn has one potential. Along a winding the potential is, to first
order, linear in the series order of its turns, so turn k of N (0-based from the start
terminal) sits at

.. math::  V_k = V_{start} + (V_{end} - V_{start})\,\frac{k + 1/2}{N}.

With T the matrix that maps terminal potentials to turn potentials, the terminal
capacitance matrix is :math:`C_T = T^{\mathsf T} C\, T`, which stores the same energy
:math:`W = \tfrac12 V^{\mathsf T} C V` as the turn network for every terminal voltage
(the energy method of e.g. Biela & Kolar, "Using transformer parasitics for resonant
converters — a review of the calculation of the stray capacitance of transformers",
IEEE Trans. Ind. Appl. 44(1), 2008).
"""

from __future__ import annotations

import itertools
import logging

import numpy as np

logger = logging.getLogger(__name__)


def terminal_names(windings: list[str]) -> list[str]:
    """Return the terminal names ``<winding>.start`` and ``<winding>.end`` of every winding."""
    return [f"{w}.{end}" for w in windings for end in ("start", "end")]


def terminal_map(
    conductor_names: list[str], turn_positions: dict[str, tuple[str, int, int]]
) -> tuple[np.ndarray, list[str]]:
    """Build T, the map from terminal potentials to conductor potentials.

    Parameters
    ----------
    conductor_names
        Rows of the Maxwell matrix (turn region names; other conductors get zero rows).
    turn_positions
        Turn region → (winding name, series position k, turns N of that winding).

    Returns
    -------
    T, terminals
        T has one row per conductor and one column per terminal.
    """
    windings = list(dict.fromkeys(w for w, _, _ in turn_positions.values()))
    terminals = terminal_names(windings)
    T = np.zeros((len(conductor_names), len(terminals)))
    for row, name in enumerate(conductor_names):
        if name not in turn_positions:
            continue
        winding, k, n = turn_positions[name]
        fraction = (k + 0.5) / n
        T[row, terminals.index(f"{winding}.start")] = 1.0 - fraction
        T[row, terminals.index(f"{winding}.end")] = fraction
    return T, terminals


def terminal_capacitance(maxwell: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Return the terminal capacitance matrix C_T = Tᵀ C T in F."""
    C_T = T.T @ maxwell @ T
    return 0.5 * (C_T + C_T.T)


def pairwise_capacitances(C_T: np.ndarray, terminals: list[str]) -> dict[str, float]:
    r"""Return the branch capacitances between terminal pairs and to the reference.

    :math:`C_{ij} = -C_{T,ij}` for i ≠ j, and :math:`C_{i0} = \sum_j C_{T,ij}` to the
    reference (a grounded core, or the far boundary); the latter vanish when nothing is
    grounded. For two windings these are the six capacitances of the four-terminal
    network. Keys are ``"A|B"`` and ``"A|ground"``. A branch may be negative: the
    linear-potential network is an equivalent circuit, not a set of physical capacitors.
    """
    branches = {}
    for i, j in itertools.combinations(range(len(terminals)), 2):
        branches[f"{terminals[i]}|{terminals[j]}"] = float(-C_T[i, j])
    for i, name in enumerate(terminals):
        branches[f"{name}|ground"] = float(C_T[i].sum())
    return branches


def static_capacitance(maxwell: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    r"""Return the capacitance matrix between groups of conductors each shorted together.

    Group g's conductors share one potential: :math:`C_g = S^{\mathsf T} C S` with S the
    0/1 incidence of conductors in groups. For a primary group and a secondary group the
    off-diagonal element, negated, is the static primary-to-secondary capacitance.
    """
    S = np.zeros((maxwell.shape[0], len(groups)))
    for g, rows in enumerate(groups):
        S[rows, g] = 1.0
    return S.T @ maxwell @ S


def common_mode_capacitance(
    C_T: np.ndarray, terminals: list[str], swing: dict[str, float], receiving: list[str]
) -> float:
    r"""Return the charge driven into the receiving terminals per volt of swing, in F.

    The terminals move by ``swing[name]`` volts per volt of switching-node swing (1 for
    the switching node, 0 for quiet terminals). The charge that flows into the
    receiving (secondary) terminals is :math:`Q = \sum_{i \in rec} (C_T V)_i`. The
    effective common-mode capacitance is :math:`C_{cm} = -Q / 1\,\mathrm{V}`, which is
    positive when the secondary sits at a quiet potential and the primary swings.
    """
    V = np.array([swing.get(name, 0.0) for name in terminals])
    Q = C_T @ V
    rows = [terminals.index(name) for name in receiving]
    return float(-Q[rows].sum())
