"""Tabulate the reference design's common-mode coupling per arrangement, preset and shield.

    python benchmarks/common_mode.py [--size-factor 1] > table.md

Runs PPSS, PSPS and PSSP of the bundled reference design on the default mesh, each in
three stacks:

- without a shield: the shield layers are left empty (``-``);
- with a shield: 35 µm copper in the middle of every dielectric between a primary and a
  secondary layer, so the windings stay as far apart, tied to the quiet reference
  (which is P.end in the single-ended presets);
- with a double shield: a second layer on the secondary side, tied to S.start, the
  quiet secondary terminal of the flyback preset.

For every converter preset it prints the effective CM capacitance and the CISPR 32
class B quasi-peak margin (400 V, 20 ns, 200 kHz trapezoid). The CM charge per edge is
the capacitance times 400 V. Per stack it prints the static P-S capacitance, the
leakage inductance and the shield loss at 1 MHz.
"""

from __future__ import annotations

import argparse
import time

import femstack
from femstack.design.model import CONVERTER_PRESETS, Design, validate_model
from femstack.design.variants import insert_shields
from femstack.pipeline import run_arrangement
from femstack.post import capacitance as cap
from femstack.post import converters, emi
from femstack.post.common_mode import switching_waveform


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-factor", type=float, default=1.0, help="mesh size factor, 1 is the default mesh")
    args = parser.parse_args()

    reference = femstack.load_design(femstack.reference_design_path())
    data = reference.model_dump()
    data["excitation"]["frequencies"] = (1e6,)
    data["mesh"]["size_factor"] = args.size_factor
    design = validate_model(Design, data)
    waveform = switching_waveform(design)
    shield = {"name": "shield", "connection": "quiet"}

    # The second shield of a double shield is tied to S.start, the quiet secondary
    # terminal of the flyback preset (dot at the output return).
    secondary_shield = {"name": "secondary_shield", "symbol": "Y", "connection": "S.start"}
    rows = []
    started = time.perf_counter()
    for pattern in ("PPSS", "PSPS", "PSSP"):
        for present, second in ((False, None), (True, None), (True, secondary_shield)):
            variant, layers = insert_shields(design, pattern, shield, present=present, secondary_shield=second)
            result = run_arrangement(variant, layers)
            network = result.capacitance
            fr = result.frequencies[0]
            cells = [layers, f"{network.interwinding * 1e12:.4g}", f"{fr.leakage_inductance * 1e9:.4g}", f"{fr.shield_loss * 1e3:.3g}"]
            for preset in CONVERTER_PRESETS:
                swings = converters.terminal_swings(variant, preset)
                c_cm = cap.common_mode_capacitance(network.terminal_matrix, network.terminals, swings, ["S.start", "S.end"])
                margin = emi.noise_margin(c_cm, waveform)["margin_quasi_peak_dB"]
                cells.append(f"{c_cm * 1e12:.4g} / {margin:.1f}")
            rows.append(cells)

    header = ["stack", "C_ps pF", "L_leak 1 MHz nH", "shield loss 1 MHz mW", *(f"{p}: C_cm pF / QP margin dB" for p in CONVERTER_PRESETS)]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for cells in rows:
        print("| " + " | ".join(cells) + " |")
    print(f"\nsize factor {args.size_factor}, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
