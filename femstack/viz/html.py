"""A self-contained HTML report of a finished run.

The page contains the summary table, the design, the equivalent core and mesh statistics
per arrangement, and the standard pictures embedded as base64 PNG data. It has no
script, no external style sheet, font or image, and no link to another address, so it
opens in any browser from a file without a server and makes no network request.
"""

from __future__ import annotations

import base64
import datetime
import html
import json
import logging
import math
import os
import secrets
import tempfile
from pathlib import Path

from femstack import __version__
from femstack.viz.results import RunResults, load_results

logger = logging.getLogger(__name__)

_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 3px 8px; }
th { background: #e8eef6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #555; }
pre { background: #f6f6f6; padding: 0.6em; font-size: 0.8em; overflow-x: auto; }
"""

#: Captions of the standard pictures, by file name (``*`` stands for the pattern).
_CAPTIONS = {
    "rac_rdc.png": "AC resistance factor Rac/Rdc of each winding against frequency.",
    "leakage.png": "Leakage inductance referred to the primary against frequency.",
    "mmf.png": "MMF across the window: finite-element field (line) and 1-D estimate (dashed).",
    "layer_loss.png": "Copper loss per PCB layer at the highest frequency and the design's currents.",
    "common_mode.png": "Effective common-mode and static interwinding capacitance per arrangement.",
    "compare_flux_density.png": "Peak flux density and flux lines (contours of r·A), one colour scale.",
    "compare_electric_field.png": "Electric field magnitude and equipotentials for 1 V on the switching node.",
    "*_capacitance_network.png": "Terminal capacitance network; negative branches in red.",
    "*_regions.png": "Regions and mesh.",
    "*_potential.png": "Potential for 1 V on the switching node, equipotentials every 0.1 V.",
    "*_electric_field.png": "Electric field magnitude with equipotential lines.",
    "*_flux_density.png": "Peak flux density with flux lines at the highest frequency.",
    "*_current_density.png": "Current density magnitude and phase in the turns at the highest frequency.",
}


def _caption(name: str, pattern: str | None) -> str:
    if name in _CAPTIONS:
        return _CAPTIONS[name]
    if pattern is not None:
        text = _CAPTIONS.get("*" + name[len(pattern):], "")
        return f"{pattern}: {text}"
    return ""


def _image(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _summary_table(run: RunResults) -> str:
    from femstack.report import MISSING, format_value, quantity_rows

    frame = run.summary()
    rows = quantity_rows(list(frame.index))
    header = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for key, label, unit in rows:
        # An arrangement without a quantity (a shield only another pattern carries) has
        # NaN in the summary frame; show the same mark as the command-line table.
        texts = [MISSING if isinstance(v, float) and math.isnan(v) else format_value(v) for v in frame.loc[key]]
        cells = "".join(f'<td class="num">{html.escape(text)}</td>' for text in texts)
        body.append(f"<tr><td>{html.escape(label)}</td><td>{html.escape(unit)}</td>{cells}</tr>")
    return (
        f'<table id="summary"><tr><th>quantity</th><th>unit</th>{header}</tr>'
        + "".join(body)
        + "</table>"
    )


def _format_cell(value) -> str:
    """Format a count as an integer with thousands separators, any other number with four digits."""
    from femstack.report import format_value

    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return format_value(value)


def _model_table(run: RunResults) -> str:
    rows = [
        ("triangles", lambda r: r["mesh"]["triangles"]),
        ("vertices", lambda r: r["mesh"]["vertices"]),
        ("element order", lambda r: r["mesh"]["element_order"]),
        ("centre-leg radius (mm)", lambda r: r["core_equivalent"]["r_centre_leg_m"] * 1e3),
        ("window outer radius (mm)", lambda r: r["core_equivalent"]["r_window_m"] * 1e3),
        ("core outer radius (mm)", lambda r: r["core_equivalent"]["r_outer_m"] * 1e3),
        ("equivalent le (mm)", lambda r: r["core_equivalent"]["le_m"] * 1e3),
        ("equivalent Ae (mm²)", lambda r: r["core_equivalent"]["ae_m2"] * 1e6),
        ("ferrite permeability scale (-)", lambda r: r["core_equivalent"]["permeability_scale"]),
        ("wall time (s)", lambda r: sum(r.get("timings_s", {}).values())),
    ]
    header = "".join(f"<th>{html.escape(p)}</th>" for p in run.patterns)
    body = []
    for label, read in rows:
        cells = []
        for record in run.records:
            try:
                value = _format_cell(read(record))
            except (KeyError, TypeError):
                value = "-"
            cells.append(f'<td class="num">{html.escape(value)}</td>')
        body.append(f"<tr><td>{html.escape(label)}</td>{''.join(cells)}</tr>")
    return f'<table id="model"><tr><th>quantity</th>{header}</tr>{"".join(body)}</table>'


def _rounded(value):
    """Return ``value`` with every float rounded to 12 significant digits, so 5e-06 is not 4.9999999999999996e-06."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


def _design_section(run: RunResults) -> str:
    record = run.records[0]
    design = record.get("design_normalized")
    if design is None:
        return "<p>The results do not include the design (written by an older femstack).</p>"

    # Each record stores the design as run for its own pattern, so show the run's patterns.
    design = _rounded(design)
    arrangement = design.get("arrangement")
    if isinstance(arrangement, dict) and "patterns" in arrangement:
        arrangement["patterns"] = run.patterns
    text = json.dumps(design, indent=1, ensure_ascii=False)
    name = html.escape(str(record.get("design", "")))
    return (
        f'<p>Design "{name}", as validated (SI units), with the patterns of this run:</p>'
        f"<pre>{html.escape(text)}</pre>"
    )


def describe_common_mode(run: RunResults) -> str:
    """Describe, as HTML, the converter preset, terminal swings and waveform behind the common-mode rows.

    The text is read from each record's ``common_mode`` entry. Arrangements with the same
    converter and swings share one sentence.
    """
    sentences: dict[str, list[str]] = {}
    for record in run.records:
        common_mode = record.get("common_mode")
        if not common_mode:
            continue
        swings = ", ".join(f"{terminal} {value:+.3g}" for terminal, value in common_mode["swings_per_V_sw"].items())
        waveform = common_mode["waveform"]
        sentence = (
            f"converter {common_mode['converter']}, terminal swings per volt of switching-node swing: {swings}; "
            f"switching node {waveform['amplitude_V']:g} V, {waveform['rise_time_s'] * 1e9:g} ns edges, "
            f"{waveform['frequency_Hz'] / 1e3:g} kHz, duty {waveform['duty']:g}"
        )
        sentences.setdefault(sentence, []).append(record["pattern"])
    if not sentences:
        return "<p>The results contain no common-mode data (written by an older femstack).</p>"

    lines = []
    for sentence, patterns in sentences.items():
        scope = "" if len(sentences) == 1 else f"{', '.join(patterns)}: "
        lines.append(f"<li>{html.escape(scope + sentence)}</li>")
    converters = {record["common_mode"]["converter"] for record in run.records if record.get("common_mode")}
    note = ""
    if converters - {"custom"}:
        note = (
            " A converter preset derives every swing from the switching terminal, the turns ratio and "
            "the dot polarity, so the design's terminals.quiet and terminals.swings are not used."
        )
    return (
        '<p id="common-mode">The common-mode rows use these terminal swings (1 is the switching node, '
        f"0 a quiet terminal).{html.escape(note)}</p><ul>{''.join(lines)}</ul>"
    )


def render_report(run: RunResults, picture_dir: Path) -> str:
    """Return the report page as HTML text, embedding the PNG files of ``picture_dir``."""
    versions = sorted({str(r.get("femstack_version", "?")) for r in run.records})
    title = f"femstack report: {run.records[0].get('design', '')}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<p>Arrangements: " + html.escape(", ".join(run.patterns)) + ". "
        f"Results written by femstack {html.escape(', '.join(versions))}; report made by femstack "
        f"{html.escape(__version__)} on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC "
        f"from {html.escape(str(run.folder))}.</p>",
        "<p>Phasors are peak values; losses at the design's currents; capacitances for the "
        "potential linear along each winding.</p>",
        "<h2>Summary</h2>",
        _summary_table(run),
        describe_common_mode(run),
    ]
    pictures = sorted(picture_dir.glob("*.png"))
    order = list(_CAPTIONS)
    charts = [p for p in pictures if p.name in order and not p.name.startswith("compare_")]
    charts.sort(key=lambda p: order.index(p.name))
    parts.append("<h2>Charts</h2>")
    parts.extend(_image(p, _caption(p.name, None)) for p in charts)
    compare = [p for p in pictures if p.name.startswith("compare_")]
    if compare:
        parts.append("<h2>Arrangements side by side</h2>")
        parts.extend(_image(p, _caption(p.name, None)) for p in compare)
    for pattern in run.patterns:
        own = [p for p in pictures if p.name.startswith(pattern + "_")]
        if own:
            parts.append(f"<h2>{html.escape(pattern)}</h2>")
            parts.extend(_image(p, _caption(p.name, pattern)) for p in own)
    parts += ["<h2>Model and mesh</h2>", _model_table(run), "<h2>Design</h2>", _design_section(run)]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(results_dir: str | Path, output: str | Path | None = None, *, fields: bool = True) -> Path:
    """Write the HTML report of the run in ``results_dir`` and return its path.

    The pictures are drawn afresh into a temporary folder and embedded. ``output``
    defaults to ``<results_dir>/report.html``; the file is written under a temporary
    name and renamed when complete. With ``fields=False`` the PyVista field pictures are
    left out (the charts need no OpenGL).
    """
    from femstack.viz.standard import write_standard_plots

    run = load_results(results_dir, need_fields=fields)
    path = Path(output) if output is not None else run.folder / "report.html"
    with tempfile.TemporaryDirectory(prefix="femstack-report-") as scratch:
        write_standard_plots(run.folder, scratch, fields=fields)
        text = render_report(run, Path(scratch))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    logger.info("wrote %s (%d kB)", path, len(text) // 1024)
    return path
