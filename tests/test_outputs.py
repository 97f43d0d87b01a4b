"""The files that `femstack.outputs.write_all` writes, read back with independent readers.

The comparison is the reference design on a coarse mesh (size_factor 4) at 500 kHz, all
three patterns, solved once per module. JSON is parsed strictly (NaN or Infinity fail),
the CSV is read with pandas, and the VTU files with both meshio and pyvista.
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path

import meshio
import numpy as np
import pandas as pd
import pytest
import pyvista

from femstack import outputs
from femstack.design.loader import load_design, reference_design_path
from femstack.pipeline import compare

# Reading VTU files needs no window. The flag also keeps any accidental plot off screen.
pyvista.OFF_SCREEN = True

PATTERNS = ("PPSS", "PSPS", "PSSP")
FREQUENCY = 500e3
WINDINGS = ("P", "S")
REFERENCE_FREQUENCIES = 'frequencies = ["100 kHz", "500 kHz", "1 MHz"]'

#: Cell data arrays named in the femstack.outputs docstring, at the single frequency.
FIELD_TAG = "500kHz"
CELL_DATA = {"region", "E_abs_V_per_m", f"B_abs_T_{FIELD_TAG}", f"J_abs_A_per_m2_{FIELD_TAG}"}
#: Cell data that may be negative (B_r) or NaN (the phase of J outside conductors).
SIGNED_CELL_DATA = {f"Br_re_T_{FIELD_TAG}", f"Br_im_T_{FIELD_TAG}", f"J_phase_deg_{FIELD_TAG}"}
POINT_DATA = {"potential_V", f"rA_re_Wb_{FIELD_TAG}", f"rA_im_Wb_{FIELD_TAG}"}


def strict_json_load(path: Path):
    """Parse a JSON file, failing on the non-standard constants NaN, Infinity and -Infinity."""

    def reject(constant: str):
        raise ValueError(f"{path.name} contains the non-JSON constant {constant}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=reject)


def all_entries(folder: Path) -> set[str]:
    """Return every name in `folder`, hidden temporary files included."""
    return set(os.listdir(folder))


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    text = reference_design_path().read_text(encoding="utf-8")
    assert REFERENCE_FREQUENCIES in text, "the reference design changed its frequency line"
    text = text.replace(REFERENCE_FREQUENCIES, 'frequencies = ["500 kHz"]') + "\n[mesh]\nsize_factor = 4.0\n"
    path = tmp_path_factory.mktemp("design") / "small.toml"
    path.write_text(text, encoding="utf-8")
    return compare(load_design(path))


@pytest.fixture(scope="module")
def written(comparison, tmp_path_factory):
    """The output folder after one `write_all`, and the paths it returned."""
    out = tmp_path_factory.mktemp("outputs") / "results"
    paths = outputs.write_all(comparison, out)
    return out, paths


@pytest.fixture(scope="module")
def records(written):
    out, _ = written
    return {record["pattern"]: record for record in strict_json_load(out / "results.json")}


@pytest.fixture(scope="module")
def summary(written):
    out, _ = written
    return pd.read_csv(out / "summary.csv", index_col="quantity")


def results_by_pattern(comparison):
    return {result.pattern: result for result in comparison.results}


# Folder contents --------------------------------------------------------------------------


def test_write_all_returns_every_file(written):
    out, paths = written
    expected = {"results.json", "summary.csv"}
    for pattern in PATTERNS:
        expected |= {f"{pattern}_results.json", f"{pattern}_fields.vtu", f"{pattern}_regions.json"}
    assert {path.name for path in paths} == expected
    assert all(path.parent == out for path in paths)
    assert all_entries(out) == expected, "temporary files were left behind"


# results.json -----------------------------------------------------------------------------


def test_json_has_one_record_per_pattern(written):
    out, _ = written
    loaded = strict_json_load(out / "results.json")
    assert [record["pattern"] for record in loaded] == list(PATTERNS)
    assert all(record["windings"] == list(WINDINGS) for record in loaded)


def test_json_capacitances_finite(records):
    for pattern, record in records.items():
        capacitance = record["capacitance"]
        for key in ("interwinding_F", "common_mode_effective_F"):
            value = capacitance[key]
            assert isinstance(value, float), f"{pattern} {key}: {value!r}"
            assert math.isfinite(value), f"{pattern} {key}: {value!r}"
            # A plausibility range. This design gives 7 pF to 155 pF across the three patterns.
            assert 1e-12 < value < 1e-9, f"{pattern} {key}: {value!r}"
        matrix = np.array(capacitance["terminal_matrix_F"], dtype=float)
        assert matrix.shape == (4, 4), pattern
        assert np.all(np.isfinite(matrix)), pattern
        assert all(math.isfinite(value) for value in capacitance["branches_F"].values()), pattern


def test_json_frequency_results_finite(records):
    for pattern, record in records.items():
        frequencies = record["frequencies"]
        assert [entry["frequency_Hz"] for entry in frequencies] == [FREQUENCY], pattern
        entry = frequencies[0]

        impedance = np.array(entry["impedance_Ohm_re_im"], dtype=float)
        assert impedance.shape == (2, 2, 2), f"{pattern}: expected 2 x 2 (re, im) pairs"
        assert np.all(np.isfinite(impedance)), pattern
        assert np.all(np.diag(impedance[:, :, 0]) > 0.0), f"{pattern}: self resistances must be positive"
        assert np.all(np.diag(impedance[:, :, 1]) > 0.0), f"{pattern}: self reactances must be positive"

        for key in ("leakage_inductance_H", "magnetizing_inductance_H"):
            value = entry[key]
            assert math.isfinite(value), f"{pattern} {key}: {value!r}"
            assert value > 0.0, f"{pattern} {key}: {value!r}"
        for winding in WINDINGS:
            rac = entry["ac_resistance_Ohm"][winding]
            assert math.isfinite(rac), f"{pattern} Rac {winding}: {rac!r}"
            assert rac > 0.0, f"{pattern} Rac {winding}: {rac!r}"
            # Skin and proximity effect only add loss, so Rac > Rdc.
            assert entry["ac_to_dc_resistance"][winding] > 1.0, f"{pattern} Rac/Rdc {winding}"


def test_json_matches_results_in_memory(records, comparison):
    for pattern, result in results_by_pattern(comparison).items():
        record = records[pattern]
        assert record["capacitance"]["interwinding_F"] == result.capacitance.interwinding
        assert record["capacitance"]["common_mode_effective_F"] == result.capacitance.common_mode
        entry, frequency_result = record["frequencies"][0], result.frequencies[0]
        assert entry["leakage_inductance_H"] == frequency_result.leakage_inductance
        assert entry["ac_resistance_Ohm"] == frequency_result.ac_resistance
        impedance = np.array(entry["impedance_Ohm_re_im"])
        np.testing.assert_array_equal(impedance[:, :, 0] + 1j * impedance[:, :, 1], frequency_result.impedance)


def test_json_writes_non_finite_as_null(comparison, tmp_path, monkeypatch, caplog):
    original = outputs.arrangement_record

    def record_with_nan(result):
        record = original(result)
        record["frequencies"][0]["core_loss_W"] = float("nan")
        record["capacitance"]["core_floating_potential_per_V"] = float("inf")
        return record

    monkeypatch.setattr(outputs, "arrangement_record", record_with_nan)
    with caplog.at_level(logging.WARNING, logger="femstack.outputs"):
        outputs.write_tables(comparison, tmp_path)

    loaded = strict_json_load(tmp_path / "results.json")
    assert loaded[0]["frequencies"][0]["core_loss_W"] is None
    assert loaded[0]["capacitance"]["core_floating_potential_per_V"] is None
    # caplog also receives other loggers' records, such as the warning that jupyter_client
    # logs through traitlets when a notebook test's kernel client is garbage-collected in
    # the same worker.
    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and record.name == "femstack.outputs"
    ]
    assert len(warnings) == 1, "one warning for all replaced values"
    assert "6 values" in warnings[0], warnings[0]
    assert "[0].frequencies[0].core_loss_W" in warnings[0], warnings[0]


# summary.csv ------------------------------------------------------------------------------


def test_csv_has_table_layout(summary, comparison):
    assert list(summary.columns) == list(PATTERNS)
    assert list(summary.index) == list(comparison.table().index)


def test_csv_round_trips_table(summary, comparison):
    table = comparison.table().astype(float)
    # pandas writes floats with repr, so the values read back are the same doubles.
    pd.testing.assert_frame_equal(summary, table, check_exact=True, check_names=False)


def test_csv_matches_json(summary, records):
    tag = "500kHz"
    for pattern in PATTERNS:
        record = records[pattern]
        entry = record["frequencies"][0]
        expected = {
            "C_interwinding_pF": record["capacitance"]["interwinding_F"] * 1e12,
            "C_cm_effective_pF": record["capacitance"]["common_mode_effective_F"] * 1e12,
            f"L_leak_{tag}_nH": entry["leakage_inductance_H"] * 1e9,
            f"L_mag_{tag}_uH": entry["magnetizing_inductance_H"] * 1e6,
            f"P_copper_{tag}_mW": sum(entry["copper_loss_W"].values()) * 1e3,
        }
        for winding in WINDINGS:
            expected[f"Rac_{winding}_{tag}_mOhm"] = entry["ac_resistance_Ohm"][winding] * 1e3
            expected[f"Rac/Rdc_{winding}_{tag}"] = entry["ac_to_dc_resistance"][winding]
            expected[f"Rdc_{winding}_mOhm"] = record["dc_resistance_Ohm"][winding] * 1e3
        for branch, value in record["capacitance"]["branches_F"].items():
            key = f"C[{branch}]_pF"
            if key in summary.index:
                expected[key] = value * 1e12

        for key, value in expected.items():
            assert key in summary.index, f"summary.csv has no row {key}"
            assert summary.loc[key, pattern] == pytest.approx(value, rel=1e-12, abs=0.0), f"{pattern} {key}"


# VTU fields -------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=PATTERNS)
def fields(request, written, comparison):
    """meshio mesh, pyvista mesh, region names and in-memory result of one pattern."""
    out, _ = written
    pattern = request.param
    path = out / f"{pattern}_fields.vtu"
    names = json.loads((out / f"{pattern}_regions.json").read_text(encoding="utf-8"))
    return {
        "pattern": pattern,
        "path": path,
        "meshio": meshio.read(path),
        "pyvista": pyvista.read(path),
        "regions": {int(index): name for index, name in names.items()},
        "result": results_by_pattern(comparison)[pattern],
    }


def cell_array(fields, name: str) -> np.ndarray:
    mesh = fields["meshio"]
    assert len(mesh.cells) == 1, "expected one block of cells"
    assert mesh.cells[0].type == "triangle"
    return np.asarray(mesh.cell_data[name][0])


def test_vtu_is_binary(fields):
    text = fields["path"].read_bytes()
    # The region-name field data is a few one-value ASCII arrays; the mesh and fields are binary.
    piece = text[text.index(b"<Piece"):]
    assert b'format="binary"' in piece or b'format="appended"' in piece
    assert b'format="ascii"' not in piece


def test_vtu_mesh_matches_json(fields, records):
    mesh = records[fields["pattern"]]["mesh"]
    assert len(fields["meshio"].points) == mesh["vertices"]
    assert len(fields["meshio"].cells[0].data) == mesh["triangles"]
    assert np.all(fields["meshio"].points[:, 2] == 0.0), "z = 0 is the third coordinate"
    assert fields["meshio"].points[:, 0].min() >= 0.0, "r >= 0 in an axisymmetric model"


def test_vtu_array_names(fields):
    assert set(fields["meshio"].point_data) == POINT_DATA
    assert set(fields["meshio"].cell_data) == CELL_DATA | SIGNED_CELL_DATA


def test_vtu_potential_between_0_and_1(fields):
    potential = np.asarray(fields["meshio"].point_data["potential_V"])
    assert np.all(np.isfinite(potential))
    assert potential.min() >= -1e-9
    assert potential.max() <= 1.0 + 1e-9
    # Quiet terminals and the secondary are at 0 V, and the turn next to the switching
    # node is at 1 V minus half a turn's share of the winding.
    assert potential.min() == pytest.approx(0.0, abs=1e-9)
    assert potential.max() > 0.9


def test_vtu_field_magnitudes_finite_non_negative(fields):
    for name in CELL_DATA - {"region"}:
        values = cell_array(fields, name)
        assert np.all(np.isfinite(values)), name
        assert values.min() >= 0.0, name
        assert values.max() > 0.0, f"{name} is zero everywhere"


def test_vtu_regions_match_region_names(fields):
    region = cell_array(fields, "region")
    assert np.issubdtype(region.dtype, np.integer)
    assert set(np.unique(region)) == set(fields["regions"])
    assert list(fields["regions"].values()) == list(fields["result"].region_mesh.region_names)


def test_vtu_current_only_in_conductors(fields):
    region = cell_array(fields, "region")
    current = cell_array(fields, f"J_abs_A_per_m2_{FIELD_TAG}")
    layout = fields["result"].model.layout
    turns = {index for index, name in fields["regions"].items() if name.startswith("turn/")}
    conducting = {index for index, name in fields["regions"].items() if layout.material(name).conductivity > 0.0}
    assert turns, "no turn regions in regions.json"
    assert turns <= conducting

    for index, name in fields["regions"].items():
        values = current[region == index]
        if index in conducting:
            assert np.all(values > 0.0), f"|J| = 0 in conducting region {name}"
        else:
            assert np.all(values == 0.0), f"|J| > 0 in non-conducting region {name}"
    # The turns carry the winding currents, far more current density than the core.
    in_turns = np.isin(region, list(turns))
    assert current[in_turns].min() > current[~in_turns].max()


def test_vtu_no_electric_field_inside_turns(fields):
    region = cell_array(fields, "region")
    field = cell_array(fields, "E_abs_V_per_m")
    turns = [index for index, name in fields["regions"].items() if name.startswith("turn/")]
    # Each turn is an equipotential, so |E| inside is zero up to rounding.
    assert field[np.isin(region, turns)].max() <= 1e-9 * field.max()


def test_pyvista_reads_same_data(fields):
    grid = fields["pyvista"]
    assert grid.n_points == len(fields["meshio"].points)
    assert grid.n_cells == len(fields["meshio"].cells[0].data)
    assert set(grid.point_data.keys()) == POINT_DATA
    assert set(grid.cell_data.keys()) == CELL_DATA | SIGNED_CELL_DATA
    np.testing.assert_array_equal(grid.point_data["potential_V"], fields["meshio"].point_data["potential_V"])
    for name in CELL_DATA:
        np.testing.assert_array_equal(grid.cell_data[name], cell_array(fields, name))


# Failed writes ------------------------------------------------------------------------------


def failing_meshio_write(exception: BaseException):
    """Return a meshio.write stand-in that writes part of a file and then raises `exception`."""

    def write(path, *args, **kwargs):
        Path(path).write_bytes(b'<?xml version="1.0"?>\n<VTKFile type="UnstructuredGrid"')
        raise exception

    return write


@pytest.mark.parametrize("exception", [OSError("disk full"), KeyboardInterrupt()], ids=["OSError", "KeyboardInterrupt"])
def test_failed_vtu_write_leaves_nothing(comparison, tmp_path, monkeypatch, exception):
    monkeypatch.setattr(meshio, "write", failing_meshio_write(exception))
    result = comparison.results[0]
    with pytest.raises(type(exception)):
        outputs.write_fields(result, tmp_path)
    assert all_entries(tmp_path) == set()


def test_interrupted_fields_leave_no_record(comparison, tmp_path, monkeypatch):
    # The per-arrangement record marks a finished arrangement, so it must not appear
    # when writing that arrangement's fields is interrupted.
    monkeypatch.setattr(meshio, "write", failing_meshio_write(KeyboardInterrupt()))
    result = comparison.results[0]
    with pytest.raises(KeyboardInterrupt):
        outputs.write_arrangement(result, tmp_path)
    assert f"{result.pattern}_results.json" not in all_entries(tmp_path)


def test_failed_vtu_write_keeps_old_file(comparison, tmp_path, monkeypatch):
    result = comparison.results[0]
    path = outputs.write_fields(result, tmp_path)
    before = path.read_bytes()

    monkeypatch.setattr(meshio, "write", failing_meshio_write(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        outputs.write_fields(result, tmp_path)
    assert path.read_bytes() == before
    assert all_entries(tmp_path) == {path.name, f"{result.pattern}_regions.json"}


def test_failed_json_dump_leaves_nothing(comparison, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise TypeError("Object of type complex is not JSON serializable")

    monkeypatch.setattr(outputs.json, "dumps", fail)
    with pytest.raises(TypeError):
        outputs.write_all(comparison, tmp_path)
    assert all_entries(tmp_path) == set()


def test_failed_csv_write_keeps_finished_json(comparison, tmp_path, monkeypatch):
    def write_half(self, path, *args, **kwargs):
        Path(path).write_text("quantity,PPSS\nC_interwinding_pF,")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", write_half)
    with pytest.raises(OSError, match="disk full"):
        outputs.write_tables(comparison, tmp_path)
    # results.json was complete before summary.csv failed, and stays.
    assert all_entries(tmp_path) == {"results.json"}
    strict_json_load(tmp_path / "results.json")
