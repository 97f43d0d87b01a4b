#!/usr/bin/env bash
# Regenerate the pictures in docs/images from the bundled reference design.
# Usage: docs/make_images.sh   (from the repository root, with femstack installed in .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/femstack compare --out "$work/results" >/dev/null
.venv/bin/femstack plot "$work/results" --out "$work/plots"
for name in compare_flux_density PSPS_current_density PPSS_electric_field mmf rac_rdc leakage \
    layer_loss common_mode PSPS_capacitance_network PSPS_regions; do
    cp "$work/plots/$name.png" docs/images/
done
