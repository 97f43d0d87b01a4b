"""Charts of the lumped results with matplotlib.

Each function takes a :class:`~femstack.viz.results.RunResults` (or one record of it)
and returns a ``matplotlib.figure.Figure``. The figures are made without pyplot, so
they need no display and no backend choice. Save one with ``fig.savefig(path)``; in
Jupyter a returned figure is shown as an image.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from femstack.pipeline import frequency_tag
from femstack.viz.results import FieldSet, ResultsError, RunResults, spaced_frequency

_LAYER = re.compile(r"turn/(?P<winding>[^/]+)/(?P<layer>[^/]+)/\d+$")


def _figure(width: float = 6.4, height: float = 4.0) -> Figure:
    figure = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return figure


def plot_resistance_factor(run: RunResults) -> Figure:
    """Plot Rac/Rdc of every winding against frequency, one line per arrangement and winding."""
    figure = _figure()
    axes = figure.add_subplot()
    # One colour per arrangement, one line style per winding.
    for index, record in enumerate(run.records):
        frequencies = [f["frequency_Hz"] for f in record["frequencies"]]
        for style, winding in zip(("-o", "--s", ":^", "-.v"), record["windings"]):
            ratio = [f["ac_to_dc_resistance"][winding] for f in record["frequencies"]]
            axes.plot(frequencies, ratio, style, color=f"C{index}", label=f"{record['pattern']} {winding}")
    axes.set_xscale("log")
    axes.set_xlabel("frequency (Hz)")
    axes.set_ylabel("Rac / Rdc (-)")
    axes.set_title("AC resistance factor")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8, ncol=2)
    return figure


def plot_leakage(run: RunResults) -> Figure:
    """Plot the leakage inductance referred to the primary (nH) against frequency."""
    figure = _figure()
    axes = figure.add_subplot()
    for record in run.records:
        frequencies = [f["frequency_Hz"] for f in record["frequencies"]]
        leakage = [f["leakage_inductance_H"] * 1e9 for f in record["frequencies"]]
        axes.plot(frequencies, leakage, "-o", label=record["pattern"])
    axes.set_xscale("log")
    axes.set_ylim(bottom=0.0)
    axes.set_xlabel("frequency (Hz)")
    axes.set_ylabel("leakage inductance (nH)")
    axes.set_title("Leakage inductance, referred to the primary")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    return figure


def _frequency_entry(record: dict, frequency: str | None) -> dict:
    entries = record["frequencies"]
    if frequency is None:
        return entries[-1]
    for entry in entries:
        if frequency_tag(entry["frequency_Hz"]) == frequency:
            return entry
    tags = ", ".join(frequency_tag(e["frequency_Hz"]) for e in entries)
    raise ResultsError(f"frequency {frequency!r} is not in the results of {record['pattern']}; available: {tags}")


def layer_losses(record: dict, frequency: str | None = None) -> dict[str, float]:
    """Return layer name (``L1`` ...) → copper loss in W at one frequency (default the highest)."""
    entry = _frequency_entry(record, frequency)
    if "turn_loss_W" not in entry:
        raise ResultsError(
            f"the results of {record['pattern']} have no per-turn losses; they were written by an older "
            "femstack, run 'femstack compare --out' again"
        )
    losses: dict[str, float] = {}
    for turn, loss in entry["turn_loss_W"].items():
        found = _LAYER.match(turn)
        if found is not None:
            losses[found["layer"]] = losses.get(found["layer"], 0.0) + loss
    return dict(sorted(losses.items(), key=lambda item: int(re.sub(r"\D", "", item[0]) or 0)))


def plot_layer_loss(run: RunResults, frequency: str | None = None) -> Figure:
    """Plot the copper loss per PCB layer (mW) for each arrangement, grouped bars."""
    figure = _figure()
    axes = figure.add_subplot()
    count = len(run.records)
    width = 0.8 / count
    tag = None
    for column, record in enumerate(run.records):
        losses = layer_losses(record, frequency)
        tag = frequency_tag(_frequency_entry(record, frequency)["frequency_Hz"])
        positions = np.arange(len(losses)) + (column - (count - 1) / 2) * width
        bars = axes.bar(positions, np.array(list(losses.values())) * 1e3, width, label=record["pattern"])
        axes.bar_label(bars, fmt="%.1f", fontsize=7)
        axes.set_xticks(np.arange(len(losses)), list(losses))
    axes.set_xlabel("PCB layer (L1 at the bottom)")
    axes.set_ylabel("copper loss (mW)")
    axes.set_title(f"Copper loss per layer at {spaced_frequency(tag)}, design currents")
    axes.legend(fontsize=8)
    return figure


def plot_common_mode(run: RunResults) -> Figure:
    """Plot the effective common-mode and the interwinding capacitance (pF) per arrangement."""
    figure = _figure()
    axes = figure.add_subplot()
    patterns = run.patterns
    positions = np.arange(len(patterns))
    common = [r["capacitance"]["common_mode_effective_F"] * 1e12 for r in run.records]
    inter = [r["capacitance"]["interwinding_F"] * 1e12 for r in run.records]
    bars = axes.bar(positions - 0.2, common, 0.4, label="effective common-mode")
    axes.bar_label(bars, fmt="%.1f", fontsize=8)
    bars = axes.bar(positions + 0.2, inter, 0.4, label="interwinding (static)")
    axes.bar_label(bars, fmt="%.1f", fontsize=8)
    axes.set_xticks(positions, patterns)
    axes.set_ylabel("capacitance (pF)")
    axes.set_title("Primary-to-secondary coupling per arrangement")
    axes.legend(fontsize=8)
    return figure


def plot_capacitance_network(record: dict) -> Figure:
    """Draw the four-terminal capacitance network of one arrangement with its values in pF.

    The primary's terminals are on the left, the secondary's on the right. Branches to
    ground are listed under the drawing when the core is grounded.
    """
    branches = record["capacitance"]["branches_F"]
    terminals = record["capacitance"]["terminals"]
    if len(terminals) != 4:
        raise ResultsError(
            f"the capacitance network of {record['pattern']} has {len(terminals)} terminals; "
            "the drawing supports two windings (4 terminals)"
        )
    places = {terminals[0]: (0.0, 1.0), terminals[1]: (0.0, 0.0), terminals[2]: (1.0, 1.0), terminals[3]: (1.0, 0.0)}
    figure = _figure(5.6, 4.4)
    axes = figure.add_subplot()
    offsets = {}
    for key, value in branches.items():
        a, b = key.split("|")
        if b == "ground":
            continue
        (xa, ya), (xb, yb) = places[a], places[b]
        axes.plot([xa, xb], [ya, yb], color="#555555", lw=1.2, zorder=1)
        # The two diagonals cross in the middle, so shift their labels apart.
        diagonal = xa != xb and ya != yb
        shift = offsets.setdefault("diagonal", 0.0) if diagonal else 0.0
        if diagonal:
            offsets["diagonal"] = 0.3
        t = 0.35 + shift
        x, y = xa + t * (xb - xa), ya + t * (yb - ya)
        colour = "#b00000" if value < 0 else "black"
        axes.text(x, y, f"{value * 1e12:.3g} pF", ha="center", va="center", fontsize=9, color=colour,
                  bbox={"boxstyle": "round", "fc": "white", "ec": "#999999"}, zorder=3)
    for name, (x, y) in places.items():
        axes.plot(x, y, "o", ms=10, color="#1f77b4" if x == 0 else "#d62728", zorder=2)
        axes.text(x + (-0.08 if x == 0 else 0.08), y, name, ha="right" if x == 0 else "left", va="center", fontsize=10)
    grounded = [f"{k.split('|')[0]}: {v * 1e12:.3g} pF" for k, v in branches.items() if k.endswith("|ground")
                and abs(v) > 1e-9 * max(abs(x) for x in branches.values())]
    if grounded:
        axes.text(0.5, -0.25, "to ground: " + ", ".join(grounded), ha="center", fontsize=8)
    axes.set_xlim(-0.6, 1.6)
    axes.set_ylim(-0.35, 1.2)
    axes.set_axis_off()
    axes.set_title(f"{record['pattern']}: terminal capacitance network (red: negative branch)", fontsize=10)
    return figure


def plot_mmf(fields_and_records: Sequence[tuple[FieldSet, dict]], frequency: str | None = None) -> Figure:
    """Plot the MMF across the window per arrangement: finite element (line) and 1-D (dashed).

    z (mm) is vertical, as in the field plots; layer positions are shaded.
    """
    from femstack.viz.mmf import mmf_curves

    count = len(fields_and_records)
    if count == 0:
        raise ValueError("fields_and_records is empty; pass at least one (FieldSet, record) pair")
    figure = _figure(2.6 * count + 0.6, 4.2)
    axes_list = figure.subplots(1, count, sharey=True, squeeze=False)[0]
    for axes, (fields, record) in zip(axes_list, fields_and_records):
        tag = frequency_tag(_frequency_entry(record, frequency)["frequency_Hz"])
        curves = mmf_curves(fields, record, tag)
        for name, (z0, z1, _) in curves.layers.items():
            axes.axhspan(z0 * 1e3, z1 * 1e3, color="#f0c080", alpha=0.6, lw=0)
            axes.text(0.02, (z0 + z1) / 2 * 1e3, name, transform=axes.get_yaxis_transform(), fontsize=7, va="center")
        axes.plot(curves.mmf_fem, curves.z_fem * 1e3, "-", color="#1f77b4", label="finite element")
        axes.plot(curves.mmf_1d, curves.z_1d * 1e3, "--", color="black", label="1-D estimate")
        axes.axvline(0.0, color="#999999", lw=0.8)
        axes.set_title(f"{record['pattern']} at {spaced_frequency(tag)}", fontsize=10)
        axes.set_xlabel("MMF (A)")
        axes.grid(True, alpha=0.3)
    axes_list[0].set_ylabel("z (mm)")
    axes_list[0].legend(fontsize=7, loc="upper right")
    figure.suptitle("MMF across the window (ampere-turns below z)", fontsize=11)
    return figure
