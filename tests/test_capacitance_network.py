"""The six terminal capacitances of two facing layers against the linear-potential model.

Two layers of 8 turns face each other across 50 µm of FR4; both windings start at their
outermost turn. With turn k of each layer at the fraction f_k = (k + ½)/8 of its
winding's voltage, and c_k the parallel-plate capacitance of facing turn pair k, the
stored energy ½ Σ c_k (V_Pk − V_Sk)² gives the branch capacitances

    C(P.start, S.start) = Σ c_k (1 − f_k)²      C(P.end, S.end) = Σ c_k f_k²
    C(P.start, S.end) = C(P.end, S.start) = Σ c_k f_k (1 − f_k)
    C(P.start, P.end) = C(S.start, S.end) = −Σ c_k f_k (1 − f_k)

For equal c_k these tend to C0/3, C0/3, C0/6, C0/6, −C0/6, −C0/6 with C0 = Σ c_k (the
energy of two facing layers with linear potentials, W = (C0/6)(Δa² + ΔaΔb + Δb²)). Here
c_k ∝ r_k, because a ring's area grows with its radius, which makes the outer (start)
end weigh more.
"""

from __future__ import annotations

import numpy as np
import pytest

from femstack.design.loader import load_design
from femstack.pipeline import compare
from femstack.validation.cases import facing_layers_design


@pytest.fixture(scope="module")
def facing_layers():
    return compare(load_design(facing_layers_design(size_factor=2.0))).results[0]


def _linear_potential_model(result) -> dict[str, float]:
    """Branch capacitances over C0 from facing turn pairs with c_k ∝ r_k."""
    primary = {t.position: t for t in result.model.turns["P"]}
    secondary = {t.position: t for t in result.model.turns["S"]}
    n = len(primary)
    # Both layers spiral in from the outermost turn, so equal positions face each other.
    for k in range(n):
        assert primary[k].r_inner == pytest.approx(secondary[k].r_inner)
    weight = np.array([primary[k].r_inner + primary[k].r_outer for k in range(n)])
    weight = weight / weight.sum()
    f = (np.arange(n) + 0.5) / n
    cross = float((weight * f * (1 - f)).sum())
    return {
        "P.start|S.start": float((weight * (1 - f) ** 2).sum()),
        "P.end|S.end": float((weight * f**2).sum()),
        "P.start|S.end": cross,
        "P.end|S.start": cross,
        "P.start|P.end": -cross,
        "S.start|S.end": -cross,
    }


def test_six_capacitances_match_linear_model(facing_layers):
    cap = facing_layers.capacitance
    expected = _linear_potential_model(facing_layers)
    for pair, fraction in expected.items():
        # Fringing between the 50 µm-spaced tracks and at the layer edges: within 2 %
        # (measured 0.1 %).
        assert cap.branches[pair] / cap.interwinding == pytest.approx(fraction, rel=0.02), pair


def test_interwinding_branches_sum_to_static(facing_layers):
    cap = facing_layers.capacitance
    inter = ["P.start|S.start", "P.start|S.end", "P.end|S.start", "P.end|S.end"]
    # The potential map of each winding sums to 1 over its two terminals, so the four
    # P-S branches add up to the static capacitance with each winding shorted.
    assert sum(cap.branches[pair] for pair in inter) == pytest.approx(cap.interwinding, rel=1e-9)

