"""Write results: JSON and CSV tables, VTU field files.

Every file is written to a hidden temporary name in the target folder and renamed when
complete, so a write that fails or is interrupted leaves neither a partial file under the
final name nor the temporary file. The rename is atomic on POSIX file systems. Files are
not fsynced, so a power failure can still lose or truncate recent files. Each file is
replaced on its own: a failure after the first file leaves a folder that mixes new files
with files from an earlier run.

``results.json`` (all arrangements) and ``<pattern>_results.json`` (one arrangement,
written as soon as it finishes) are strict JSON: a value that is NaN or infinite is
written as ``null`` (with a logged warning), because JSON has no literal for it.

Fields written per arrangement (``<pattern>_fields.vtu``, linear triangles in the
(r, z) plane, z = 0 as the third coordinate):

- point data ``potential_V``: electrostatic potential for the common-mode excitation.
  The switching terminal is at 1 V and the quiet terminals at 0 V. Each turn sits at the
  potential of its middle, linear along the winding, so turns stay strictly between 0
  and 1 V: the first turn of an 8-turn winding is at 15/16 V;
- cell data ``E_abs_V_per_m``: |E| at the element centroid, same excitation;
- cell data ``B_abs_T_<f>``, ``J_abs_A_per_m2_<f>``: peak |B| and |J| at the design's
  winding currents at each frequency f, tagged as in summary.csv (``500kHz``, ``1MHz``);
- cell data ``region``: region index; ``<pattern>_regions.json`` maps index to name;
- point data ``rA_re_Wb_<f>``, ``rA_im_Wb_<f>``: r·A_φ (real and imaginary part) at the
  vertices, in Wb per radian (2π·r·A_φ is the flux through the circle of radius r), so
  its contours are the flux lines;
- cell data ``Br_re_T_<f>``, ``Br_im_T_<f>``: the radial flux density B_r at the centroid;
- cell data ``J_phase_deg_<f>``: phase of J_φ in degrees against the design's current
  phasors (NaN outside conducting regions).

The VTU also carries field data (VTK ``FieldData``) with one one-value integer array per
region, named ``region <index> = <name>``, so ParaView lists the names in its Information
panel next to the ``region`` cell array.
"""

from __future__ import annotations

import json
import logging
import math
import os
import secrets
from pathlib import Path

import numpy as np

from femstack import __version__
from femstack.design.model import normalized_dict
from femstack.pipeline import circuit_currents, frequency_tag
from femstack.solvers.common import centroid_basis

logger = logging.getLogger(__name__)


def _atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` and rename the result to ``path`` only on success.

    The temporary file is created empty with mode 0o666 minus the umask, the mode a plain
    ``open`` gives. ``tempfile.mkstemp`` would create it with mode 0o600, which the rename
    would carry over to the result. On any exception, including KeyboardInterrupt, the
    temporary file is removed and the exception re-raised.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` and rename the result to ``path`` only on success (see `_atomic_write`)."""
    _atomic_write(path, write)


def _strict_json(value, key: str = "", replaced: list[str] | None = None):
    """Return a copy of `value` with every NaN or infinite float replaced by None.

    The dotted keys of the replaced values are appended to `replaced`.
    """
    if isinstance(value, float) and not math.isfinite(value):
        if replaced is not None:
            replaced.append(key)
        return None
    if isinstance(value, dict):
        return {k: _strict_json(v, f"{key}.{k}" if key else str(k), replaced) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict_json(v, f"{key}[{i}]", replaced) for i, v in enumerate(value)]
    return value


def _complex_pairs(matrix: np.ndarray) -> list:
    return [[[float(z.real), float(z.imag)] for z in row] for row in np.atleast_2d(matrix)]


def arrangement_record(result) -> dict:
    """Return a JSON-serialisable record of one arrangement (SI units, stated per key)."""
    design = result.design
    windings = [w.name for w in design.windings]
    core = result.model.core
    effective = core.effective_parameters()
    catalogue = design.core.effective
    cap = result.capacitance
    return {
        "femstack_version": __version__,
        "design": design.name,
        "pattern": result.pattern,
        "units": "SI: F, H, Ohm, W, m, Hz; phasors are peak values with exp(j*omega*t)",
        "windings": windings,
        "mesh": {
            "triangles": int(result.region_mesh.n_elements),
            "vertices": int(result.region_mesh.mesh.p.shape[1]),
            "element_order": result.element_order,
        },
        "core_equivalent": {
            "r_centre_leg_m": core.r_centre,
            "r_window_m": core.r_window,
            "r_outer_m": core.r_outer,
            "le_m": effective["le"],
            "ae_m2": effective["ae"],
            "le_catalogue_m": catalogue.le if catalogue else None,
            "ae_catalogue_m2": catalogue.ae if catalogue else None,
            "permeability_scale": core.permeability_scale,
        },
        "capacitance": {
            "interwinding_F": cap.interwinding,
            "common_mode_effective_F": cap.common_mode,
            "core_floating_potential_per_V": cap.core_floating_potential,
            "terminals": cap.terminals,
            "terminal_matrix_F": cap.terminal_matrix.tolist(),
            "branches_F": cap.branches,
            "turn_names": cap.turn_names,
            "turn_maxwell_F": cap.turn_maxwell.tolist(),
        },
        "common_mode": result.common_mode.record() if result.common_mode is not None else None,
        "dc_resistance_Ohm": result.dc_resistance,
        "frequencies": [
            {
                "frequency_Hz": fr.frequency,
                "impedance_Ohm_re_im": _complex_pairs(fr.impedance),
                "leakage_inductance_H": fr.leakage_inductance,
                "leakage_inductance_field_energy_H": fr.leakage_inductance_energy,
                "magnetizing_inductance_H": fr.magnetizing_inductance,
                "ac_resistance_Ohm": fr.ac_resistance,
                "ac_to_dc_resistance": {
                    w: fr.ac_resistance[w] / result.dc_resistance[w] for w in windings
                },
                "copper_loss_W": fr.copper_loss,
                "core_loss_W": fr.core_loss,
                "shield_loss_W": fr.shield_loss,
                "input_power_W": fr.input_power,
                "turn_loss_W": fr.turn_loss,
            }
            for fr in result.frequencies
        ],
        "timings_s": result.timings,
        "excitation_currents_A_re_im": {
            w: [float(complex(design.excitation.currents[w]).real), float(complex(design.excitation.currents[w]).imag)]
            for w in windings
        },
        "design_normalized": normalized_dict(design),
    }


def write_tables(comparison, out_dir: str | os.PathLike) -> list[Path]:
    """Write ``results.json`` (full records) and ``summary.csv`` (the side-by-side table)."""
    out = Path(out_dir)
    replaced: list[str] = []
    records = _strict_json([arrangement_record(r) for r in comparison.results], "", replaced)
    if replaced:
        logger.warning(
            "results.json: %d values are NaN or infinite and are written as null, first: %s",
            len(replaced),
            ", ".join(replaced[:5]),
        )
    json_path = out / "results.json"
    _atomic_write(json_path, lambda p: p.write_text(json.dumps(records, indent=2, allow_nan=False)))
    csv_path = out / "summary.csv"
    table = comparison.table()
    _atomic_write(csv_path, lambda p: table.to_csv(p, index_label="quantity"))
    logger.info("wrote %s and %s", json_path, csv_path)
    return [json_path, csv_path]


def field_data(result) -> tuple[np.ndarray, np.ndarray, dict, dict]:
    """Return (points, triangles, point_data, cell_data) of one arrangement's fields."""
    rm = result.region_mesh
    mesh = rm.mesh
    n_vertices = mesh.p.shape[1]
    design = result.design

    # Potential for the common-mode excitation, from the unit-potential fields.
    es = result.electrostatic
    phi = es.potentials @ result.capacitance.common_mode_potentials

    point_data = {"potential_V": phi[:n_vertices]}
    cell_data = {"region": rm.element_region.astype(np.int32)}
    cell_data["E_abs_V_per_m"] = _gradient_magnitude(es.basis, phi)

    currents = np.array([design.excitation.currents[w.name] for w in design.windings], dtype=complex)
    for solution in result.eddy:
        tag = frequency_tag(solution.frequency)
        currents = circuit_currents(design, solution, currents[: len(design.windings)])
        br, bz = solution.flux_density(currents)
        cell_data[f"B_abs_T_{tag}"] = np.sqrt(np.abs(br) ** 2 + np.abs(bz) ** 2)
        cell_data[f"J_abs_A_per_m2_{tag}"] = np.abs(solution.current_density(currents))
        _add_flux_fields(solution, currents, tag, n_vertices, point_data, cell_data)

    points = np.column_stack([mesh.p.T, np.zeros(n_vertices)])
    return points, mesh.t.T.copy(), point_data, cell_data


def _add_flux_fields(solution, currents, tag, n_vertices, point_data, cell_data) -> None:
    """Add r·A_φ (flux function), B_r and the phase of J at one frequency."""
    A, _, _ = solution.combine(currents)
    r = solution.problem.region_mesh.mesh.p[0]
    # The first n_vertices degrees of freedom of the Lagrange bases are the vertex values.
    flux = r * A[:n_vertices]
    point_data[f"rA_re_Wb_{tag}"] = flux.real
    point_data[f"rA_im_Wb_{tag}"] = flux.imag
    br, _ = solution.flux_density(currents)
    cell_data[f"Br_re_T_{tag}"] = br.real
    cell_data[f"Br_im_T_{tag}"] = br.imag
    J = solution.current_density(currents)
    phase = np.degrees(np.angle(J))
    cell_data[f"J_phase_deg_{tag}"] = np.where(np.abs(J) > 0.0, phase, np.nan)


def _region_field_data_xml(region_names: list[str]) -> str:
    """Return a VTK ``<FieldData>`` element with one named integer array per region."""
    from xml.sax.saxutils import quoteattr

    arrays = "".join(
        f'<DataArray type="Int32" Name={quoteattr(f"region {i} = {name}")} '
        f'NumberOfTuples="1" format="ascii">{i}</DataArray>'
        for i, name in enumerate(region_names)
    )
    return f"<FieldData>{arrays}</FieldData>"


def _write_vtu(path: Path, mesh, region_names: list[str]) -> None:
    """Write ``mesh`` with meshio and insert the region-name field data.

    NOTE: meshio 5.3 writes no VTK field data, so the element is inserted into the XML
    text after the ``<UnstructuredGrid>`` tag. meshio and VTK both read the result.
    """
    import meshio

    meshio.write(path, mesh, file_format="vtu", binary=True)
    text = path.read_text(encoding="ascii")
    tag = "<UnstructuredGrid>"
    if tag not in text:
        raise RuntimeError(f"{path}: meshio wrote no {tag} element; cannot add the region names")
    path.write_text(text.replace(tag, tag + _region_field_data_xml(region_names), 1), encoding="ascii")


def _gradient_magnitude(basis, x: np.ndarray) -> np.ndarray:
    """Return |∇x| at each element's centroid."""
    grad = centroid_basis(basis).interpolate(x).grad[:, :, 0]
    return np.sqrt((grad**2).sum(axis=0))


def write_fields(result, out_dir: str | os.PathLike) -> Path:
    """Write one arrangement's fields as ``<pattern>_fields.vtu`` (binary VTK XML).

    Also writes ``<pattern>_regions.json``, which maps each ``region`` index of the VTU to
    its region name. Returns the path of the VTU file.
    """
    return _write_fields(result, Path(out_dir))[0]


def _write_fields(result, out: Path) -> tuple[Path, Path]:
    """Write the VTU and the region names of one arrangement, returning both paths."""
    import meshio

    points, triangles, point_data, cell_data = field_data(result)
    mesh = meshio.Mesh(
        points,
        [("triangle", triangles)],
        point_data=point_data,
        cell_data={k: [v] for k, v in cell_data.items()},
    )
    path = out / f"{result.pattern}_fields.vtu"
    _atomic_write(path, lambda p: _write_vtu(p, mesh, result.region_mesh.region_names))
    names_path = out / f"{result.pattern}_regions.json"
    _atomic_write(
        names_path,
        lambda p: p.write_text(json.dumps(dict(enumerate(result.region_mesh.region_names)), indent=1)),
    )
    logger.info("wrote %s and %s", path, names_path)
    return path, names_path


def write_arrangement(result, out_dir: str | os.PathLike) -> list[Path]:
    """Write one finished arrangement: ``<pattern>_results.json`` and its fields.

    The record contains the same data as that arrangement's entry in ``results.json``, so
    a study that fails later keeps every arrangement finished before the failure. The
    field files are written first and the record last, so a run interrupted in between
    leaves no record that points at missing fields.
    """
    out = Path(out_dir)
    replaced: list[str] = []
    record = _strict_json(arrangement_record(result), "", replaced)
    fields = _write_fields(result, out)
    path = out / f"{result.pattern}_results.json"
    _atomic_write(path, lambda p: p.write_text(json.dumps(record, indent=2, allow_nan=False)))
    return [path, *fields]


def write_all(comparison, out_dir: str | os.PathLike) -> list[Path]:
    """Write the tables and every arrangement's fields into ``out_dir``, creating it if needed.

    Returns the paths of all files written: ``results.json``, ``summary.csv``, then each
    arrangement's record, VTU and region-name files.
    """
    paths = write_tables(comparison, out_dir)
    for result in comparison.results:
        paths.extend(write_arrangement(result, out_dir))
    return paths
