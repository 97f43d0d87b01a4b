"""The axisymmetric layout: core mapping, stack placement, turn names and series order.

No meshing here: the layout is pure geometry, so arrangement logic is checked alone.
"""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest

from femstack.design.loader import load_design, reference_design_path
from femstack.geometries.axisymmetric import build_axisymmetric_model


def reference_raw() -> dict:
    return tomllib.loads(reference_design_path().read_text())


@pytest.fixture(scope="module")
def design():
    return load_design(reference_design_path())


def test_core_keeps_leg_areas_and_window(design):
    core = build_axisymmetric_model(design, "PSPS").core
    depth = 20.32e-3
    # Centre leg 6.35 mm × 20.32 mm; two outer legs of (31.75 − 25.4)/2 mm × 20.32 mm.
    assert math.pi * core.r_centre**2 == pytest.approx(6.35e-3 * depth, rel=1e-12)
    assert math.pi * (core.r_outer**2 - core.r_window**2) == pytest.approx(2 * 3.175e-3 * depth, rel=1e-12)
    assert core.r_window - core.r_centre == pytest.approx(9.525e-3, rel=1e-12)
    assert core.window_height == pytest.approx(3.18e-3, rel=1e-12)


def test_permeability_scale_matches_catalogue(design):
    core = build_axisymmetric_model(design, "PSPS").core
    # Scaled ferrite: Σl/(µA) of the equivalent equals the catalogue's le/(µ Ae).
    equivalent = core.effective_parameters()["c1"] / core.permeability_scale
    assert equivalent == pytest.approx(35.1e-3 / 130e-6, rel=1e-9)
    assert 0.5 < core.permeability_scale < 1.0


def test_region_names_follow_convention(design):
    model = build_axisymmetric_model(design, "PSSP")
    names = [s.name for s in model.layout.shapes]
    for name in ("turn/P/L1/1", "turn/P/L4/4", "turn/S/L2/1", "turn/S/L3/1"):
        assert name in names
    for name in ("dielectric/L1-L2", "dielectric/L2-L3", "dielectric/L3-L4"):
        assert name in names
    # Inner layers are filled with resin between tracks, outer layers are not.
    for name in ("dielectric/L2", "dielectric/L3"):
        assert name in names
    assert "dielectric/L1" not in names
    assert set(model.core_regions) == {"core/E/back", "core/E/centre_leg", "core/E/outer_leg", "core/plate"}
    assert {"gap/centre_leg", "gap/outer_leg"} <= set(names)


def test_stack_centred_and_layers_ordered(design):
    model = build_axisymmetric_model(design, "PPSS")
    copper = [s for s in model.layout.shapes if s.kind == "copper"]
    z_bottom = min(s.z0 for s in copper)
    z_top = max(s.z1 for s in copper)
    # 4 × 70 µm copper + 0.2 + 0.71 + 0.2 mm = 1.39 mm, centred in the 3.18 mm window.
    assert z_top - z_bottom == pytest.approx(1.39e-3, rel=1e-9)
    assert z_bottom == pytest.approx(0.5 * (3.18e-3 - 1.39e-3), rel=1e-9)
    for layer in range(3):
        below = max(s.z1 for s in copper if s.layer == layer)
        above = min(s.z0 for s in copper if s.layer == layer + 1)
        assert above - below == pytest.approx(design.stackup.dielectric_thickness[layer], rel=1e-9)


def test_turns_centred_in_window(design):
    model = build_axisymmetric_model(design, "PSPS")
    core = model.core
    middle = 0.5 * (core.r_centre + core.r_window)
    for winding in ("P", "S"):
        turns = model.turns[winding]
        span = (min(t.r_inner for t in turns), max(t.r_outer for t in turns))
        assert 0.5 * (span[0] + span[1]) == pytest.approx(middle, rel=1e-12)
    primary = sorted(model.turns["P"], key=lambda t: (t.layer, t.index))
    # 4 turns of 1.2 mm with 0.4 mm spacing: pitch 1.6 mm.
    assert primary[1].r_inner - primary[0].r_inner == pytest.approx(1.6e-3, rel=1e-9)


def test_series_order_spirals_in_then_out(design):
    model = build_axisymmetric_model(design, "PPSS")
    by_position = {t.position: t for t in model.turns["P"]}
    assert sorted(by_position) == list(range(8))
    # Layer 1 starts at the outermost turn (P.start) and spirals in to a via at the
    # innermost turn. Layer 2 continues from its innermost turn outward to P.end.
    assert (by_position[0].layer, by_position[0].index) == (0, 3)
    assert (by_position[3].layer, by_position[3].index) == (0, 0)
    assert (by_position[4].layer, by_position[4].index) == (1, 0)
    assert (by_position[7].layer, by_position[7].index) == (1, 3)


def test_series_order_option_reverses_layers():
    raw = reference_raw()
    raw["windings"][0]["series_order"] = [2, 1]
    design = load_design(raw)
    model = build_axisymmetric_model(design, "PPSS")
    first = min(model.turns["P"], key=lambda t: t.position)
    # With series order [2, 1] the winding starts on its upper layer (layer 2).
    assert first.layer == 1


def test_parallel_layers_share_positions():
    raw = reference_raw()
    raw["windings"][1]["turns"] = 1
    raw["windings"][1]["parallel_layers"] = 2
    design = load_design(raw)
    model = build_axisymmetric_model(design, "PSSP")
    secondary = model.turns["S"]
    assert len(secondary) == 2
    assert {t.position for t in secondary} == {0}
    assert {t.group for t in secondary} == {0}


def test_copper_size_follows_skin_depth(design):
    model = build_axisymmetric_model(design, "PSPS")
    copper = [s for s in model.layout.shapes if s.kind == "copper"]
    # δ = √(2/(ωµ0σ)) = 66.1 µm at 1 MHz; half of it (33 µm) is below t/2 = 35 µm.
    delta = np.sqrt(2.0 / (2 * np.pi * 1e6 * 4e-7 * np.pi * 5.8e7))
    for shape in copper:
        assert shape.mesh_size == pytest.approx(0.5 * delta, rel=1e-9)
    dielectric = model.layout.shape("dielectric/L2-L3")
    assert dielectric.mesh_size == pytest.approx(0.71e-3 / 2, rel=1e-9)


def test_e_plus_e_doubles_window():
    raw = reference_raw()
    del raw["core"]["plate"]
    design = load_design(raw)
    model = build_axisymmetric_model(design, "PSPS")
    assert model.core.window_height == pytest.approx(2 * 3.18e-3, rel=1e-12)
    assert "core/E2/back" in model.core_regions
