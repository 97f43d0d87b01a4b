"""Tests of the design layer: units, catalogue, TOML loading, validation and fit check."""

from __future__ import annotations

import copy
import json
import math
import sys

import pytest

from femstack import catalog
from femstack.design import (
    Design,
    load_design,
    load_design_text,
    normalized_dict,
    parse_conductivity,
    parse_current,
    parse_dimensionless,
    parse_frequency,
    parse_length,
    parse_quantity,
    reference_design_path,
)
from femstack.errors import DesignError, FemstackError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

MM = 1e-3
UM = 1e-6
MIL = 25.4e-6


@pytest.fixture()
def reference_raw() -> dict:
    """The reference design as a freshly parsed dict, safe to modify in a test."""
    return tomllib.loads(reference_design_path().read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reference() -> Design:
    return load_design(reference_design_path())


def load_error(raw: dict) -> DesignError:
    """Load `raw` and return the DesignError it raises."""
    with pytest.raises(DesignError) as info:
        load_design(raw)
    return info.value


# ---------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("70 um", 70 * UM),
        ("70 µm", 70 * UM),  # micro sign
        ("70 μm", 70 * UM),  # Greek mu
        ("0.2 mm", 0.2 * MM),
        ("0.2mm", 0.2 * MM),
        ("8 mil", 8 * MIL),
        ("0.1 inch", 2.54 * MM),
        ("2 oz", 2 * 34.79 * UM),
        ("1 oz/ft2", 34.79 * UM),
        ("1 oz/ft²", 34.79 * UM),
        ("1.5e-3 m", 1.5 * MM),
    ],
)
def test_parse_length_accepts(text: str, expected: float) -> None:
    assert parse_length(text, "f") == pytest.approx(expected, rel=1e-12)


def test_parse_length_two_oz_copper() -> None:
    assert parse_length("2 oz", "stackup.copper_thickness[0]") == pytest.approx(69.58e-6, rel=1e-12)


@pytest.mark.parametrize(
    ("function", "text", "expected"),
    [
        (parse_frequency, "500 kHz", 500e3),
        (parse_frequency, "1 MHz", 1e6),
        (parse_current, "4 A", 4.0),
        (parse_current, "250 mA", 0.25),
        (parse_conductivity, "5.8e7 S/m", 5.8e7),
        (parse_conductivity, "58 MS/m", 5.8e7),
    ],
)
def test_parse_other_quantities(function, text: str, expected: float) -> None:
    assert function(text, "f") == pytest.approx(expected, rel=1e-12)


def test_parse_quantity_returns_si() -> None:
    assert parse_quantity("3 mm", "length", "f") == pytest.approx(3e-3)
    assert parse_quantity("2 kHz", "frequency", "f") == pytest.approx(2e3)


@pytest.mark.parametrize(
    "text",
    ["0.71 kg", "1,2 mm", "2 * 3 mm", "mm", "", "five mm", "3 parsecs per fortnight", "1 mm)", "nan mm"],
)
def test_parse_length_rejects_malformed(text: str) -> None:
    with pytest.raises(DesignError) as info:
        parse_length(text, "stackup.dielectric_thickness[1]")
    message = str(info.value)
    assert "stackup.dielectric_thickness[1]" in message
    assert repr(text) in message
    assert "expected a length" in message


def test_parse_length_message_format() -> None:
    with pytest.raises(DesignError) as info:
        parse_length("0.71 kg", "stackup.dielectric_thickness[1]")
    error = info.value
    assert str(error) == (
        "stackup.dielectric_thickness[1]: invalid value '0.71 kg': expected a length such as '0.2 mm' or '8 mil'"
    )
    assert error.field == "stackup.dielectric_thickness[1]"
    assert error.value == "0.71 kg"
    assert error.allowed == "expected a length such as '0.2 mm' or '8 mil'"


@pytest.mark.parametrize("value", [5, 5.0, "5", " 0.2 "])
def test_parse_length_rejects_bare_number(value) -> None:
    with pytest.raises(DesignError) as info:
        parse_length(value, "windings[1].trace_width")
    message = str(info.value)
    assert "windings[1].trace_width" in message
    assert "add one" in message
    assert "mm" in message


@pytest.mark.parametrize(("text", "allow_zero"), [("-70 um", False), ("0 mm", False), ("-1 mm", True)])
def test_parse_length_rejects_sign(text: str, allow_zero: bool) -> None:
    with pytest.raises(DesignError) as info:
        parse_length(text, "stackup.copper_thickness[2]", allow_zero=allow_zero)
    assert "stackup.copper_thickness[2]" in str(info.value)
    assert repr(text) in str(info.value)


def test_parse_length_zero_allowed_for_gaps() -> None:
    assert parse_length("0 mm", "core.air_gap", allow_zero=True) == 0.0


def test_copper_weight_only_for_lengths() -> None:
    with pytest.raises(DesignError) as info:
        parse_frequency("2 oz", "excitation.frequencies[0]")
    assert "excitation.frequencies[0]" in str(info.value)


def test_wrong_dimension_rejected() -> None:
    with pytest.raises(DesignError):
        parse_frequency("5 mm", "f")
    with pytest.raises(DesignError):
        parse_current("4 V", "f")
    with pytest.raises(DesignError):
        parse_conductivity("5 ohm", "f")


def test_parse_current_rejects_negative() -> None:
    with pytest.raises(DesignError) as info:
        parse_current("-4 A", "excitation.currents.S")
    assert "phase" in str(info.value)


def test_parse_dimensionless() -> None:
    assert parse_dimensionless(4.4, "f", minimum=1) == 4.4
    assert parse_dimensionless("4.4", "f", minimum=1) == 4.4
    with pytest.raises(DesignError):
        parse_dimensionless(0.5, "f", minimum=1)
    with pytest.raises(DesignError):
        parse_dimensionless("4.4 F/m", "f")
    with pytest.raises(DesignError):
        parse_dimensionless(True, "f")


# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------


def test_design_error_hierarchy() -> None:
    error = DesignError("a.b", "x", "expected y")
    assert isinstance(error, FemstackError)
    assert isinstance(error, ValueError)


def test_design_error_survives_pickle() -> None:
    import pickle

    error = DesignError("windings[0].turns", 8, "expected 12")
    copy_ = pickle.loads(pickle.dumps(error))
    assert str(copy_) == str(error)
    assert copy_.field == "windings[0].turns"


# ---------------------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------------------


def test_catalogue_e32_half() -> None:
    half = catalog.get_core_part("E32/6/20")
    assert half.overall_length == pytest.approx(31.75 * MM)
    assert half.window_span == pytest.approx(25.4 * MM)
    assert half.depth == pytest.approx(20.32 * MM)
    assert half.height == pytest.approx(6.35 * MM)
    assert half.centre_leg_width == pytest.approx(6.35 * MM)
    assert half.leg_height == pytest.approx(3.18 * MM)
    assert "Ferroxcube" in half.source


def test_catalogue_plate_and_effective() -> None:
    plate = catalog.get_core_part("PLT32/20/3.2")
    assert plate.length == pytest.approx(31.75 * MM)
    assert plate.depth == pytest.approx(20.32 * MM)
    assert plate.thickness == pytest.approx(3.18 * MM)

    e_e = catalog.get_effective_parameters("E32/6/20")
    assert e_e.le == pytest.approx(41.4 * MM)
    assert e_e.ae == pytest.approx(130 * MM**2)
    assert e_e.ve == pytest.approx(5380 * MM**3)
    e_plt = catalog.get_effective_parameters("E32/6/20", "PLT32/20/3.2")
    assert e_plt.le == pytest.approx(35.1 * MM)
    assert e_plt.ae == pytest.approx(130 * MM**2)
    assert e_plt.ve == pytest.approx(4560 * MM**3)
    # A plate that is not in the catalogue is rejected by name.
    with pytest.raises(DesignError, match="PLT18/10/2"):
        catalog.get_effective_parameters("E32/6/20", "PLT18/10/2")


def test_catalogue_lookup_ignores_spaces_and_case() -> None:
    assert catalog.get_core_part("E 32/6/20").name == "E32/6/20"
    assert catalog.get_core_part("elp32/6/20").name == "E32/6/20"
    assert catalog.get_material("n87").name == "N87"


def test_catalogue_unknown_part_lists_names() -> None:
    with pytest.raises(DesignError) as info:
        catalog.get_core_part("E32/6/21", field="core.e_half")
    message = str(info.value)
    assert "core.e_half" in message
    assert "'E32/6/21'" in message
    assert "did you mean E32/6/20" in message
    for name in catalog.list_core_parts():
        assert name in message


def test_catalogue_unknown_material_lists_names() -> None:
    with pytest.raises(DesignError) as info:
        catalog.get_material("N88")
    message = str(info.value)
    assert "did you mean N87" in message
    for name in catalog.list_materials():
        assert name in message


def test_catalogue_lists() -> None:
    parts = catalog.list_core_parts()
    assert "E32/6/20" in parts
    assert "PLT32/20/3.2" in parts
    assert "E32/6/20" in catalog.list_core_parts("E")
    assert "PLT32/20/3.2" not in catalog.list_core_parts("E")
    materials = catalog.list_materials()
    for name in ("N87", "N97", "3C95", "3F3", "4F1", "copper", "FR4"):
        assert name in materials


def test_catalogue_parts_have_consistent_proportions() -> None:
    # Every E half must leave a window and outer legs, which the model validator checks.
    for name in catalog.list_core_parts("E"):
        half = catalog.get_e_half(name)
        assert half.window_width > 0
        assert half.outer_leg_width > 0
        assert half.source


def test_catalogue_materials() -> None:
    n87 = catalog.get_material("N87")
    assert n87.relative_permeability == 2200
    assert n87.conductivity == pytest.approx(1 / 10.0)
    assert n87.electrostatic_kind == "conductor"
    assert "relative_permittivity" in n87.estimated_fields

    f3 = catalog.get_material("3F3")
    assert f3.relative_permeability == 2000
    assert f3.conductivity == pytest.approx(1 / 2.0)

    nizn = catalog.get_material("4F1")
    assert nizn.relative_permeability == 80
    assert nizn.conductivity == pytest.approx(1e-5)
    assert nizn.relative_permittivity == pytest.approx(12)
    assert nizn.electrostatic_kind == "dielectric"
    assert "relative_permittivity" in nizn.estimated_fields

    assert catalog.get_material("copper").conductivity == pytest.approx(5.80e7)
    assert catalog.get_material("FR4").relative_permittivity == pytest.approx(4.4)


def test_catalogue_plate_is_not_e_half() -> None:
    with pytest.raises(DesignError) as info:
        catalog.get_e_half("PLT32/20/3.2")
    assert "plate" in str(info.value)


# ---------------------------------------------------------------------------------------
# Reference design
# ---------------------------------------------------------------------------------------


def test_reference_core(reference: Design) -> None:
    core = reference.core
    assert reference.name == "E32 planar reference"
    assert core.combination == "E+PLT"
    assert core.e_half.name == "E32/6/20"
    assert core.plate is not None and core.plate.name == "PLT32/20/3.2"
    # Window width (25.4 - 6.35) / 2 = 9.525 mm. E+PLT window height = leg height 3.18 mm.
    # Outer leg (31.75 - 25.4) / 2 = 3.175 mm.
    assert core.window_width == pytest.approx(9.525 * MM)
    assert core.window_height == pytest.approx(3.18 * MM)
    assert core.outer_leg_width == pytest.approx(3.175 * MM)
    assert core.air_gap == 0.0
    assert core.residual_gap == pytest.approx(5 * UM)
    assert core.electrostatic == "floating"
    assert core.effective is not None
    assert core.effective.le == pytest.approx(35.1 * MM)
    assert core.effective.ae == pytest.approx(130e-6)
    assert core.effective.ve == pytest.approx(4560e-9)
    assert core.material.name == "N87"
    assert core.material.relative_permeability == 2200
    assert core.material.relative_permeability_loss == 0


def test_reference_stackup(reference: Design) -> None:
    stackup = reference.stackup
    assert stackup.n_layers == 4
    assert stackup.copper_thickness == pytest.approx((70 * UM,) * 4)
    assert stackup.dielectric_thickness == pytest.approx((0.2 * MM, 0.71 * MM, 0.2 * MM))
    assert stackup.dielectric_permittivity == pytest.approx((4.4, 4.4, 4.4))
    assert stackup.clearance == pytest.approx(0.4 * MM)
    # 4 x 70 um + 0.2 + 0.71 + 0.2 mm = 1.39 mm
    assert stackup.height == pytest.approx(1.39 * MM)


def test_reference_windings(reference: Design) -> None:
    primary, secondary = reference.windings
    assert (primary.name, primary.symbol, primary.turns, primary.turns_per_layer) == ("P", "P", 8, 4)
    assert primary.trace_width == pytest.approx(1.2 * MM)
    assert primary.spacing == pytest.approx(0.4 * MM)
    assert primary.parallel_layers == 1
    assert primary.series_order is None
    assert primary.conductivity == pytest.approx(5.80e7)
    # 4 x 1.2 mm + 3 x 0.4 mm = 6.0 mm
    assert primary.copper_width == pytest.approx(6.0 * MM)
    assert (secondary.name, secondary.turns, secondary.turns_per_layer) == ("S", 2, 1)
    assert secondary.trace_width == pytest.approx(5 * MM)
    assert secondary.spacing == 0.0


def test_reference_excitation_and_terminals(reference: Design) -> None:
    assert reference.arrangement.patterns == ("PPSS", "PSPS", "PSSP")
    assert reference.arrangement.pattern == "PPSS"
    assert reference.excitation.frequencies == pytest.approx((100e3, 500e3, 1e6))
    # Default phases: 0 degrees for the first winding, 180 degrees for the others.
    assert reference.excitation.currents == {"P": 1 + 0j, "S": -4 + 0j}
    assert reference.terminals.switching == "P.start"
    assert reference.terminals.quiet == ("P.end", "S.start", "S.end")


def test_reference_mesh_defaults(reference: Design) -> None:
    mesh = reference.mesh
    assert mesh.element_order == 2
    assert mesh.copper_size_per_skin_depth == 0.5
    assert mesh.dielectric_layers == 2
    assert mesh.core_size is None
    assert mesh.domain_factor == 3.0


def test_reference_from_dict_equals_file(reference: Design, reference_raw: dict) -> None:
    assert load_design(reference_raw) == reference


def test_reference_path_exists() -> None:
    path = reference_design_path()
    assert path.is_file()
    assert path.name == "reference.toml"


# ---------------------------------------------------------------------------------------
# Design methods
# ---------------------------------------------------------------------------------------


def test_layers_of(reference: Design) -> None:
    assert reference.layers_of("P") == (0, 1)
    assert reference.layers_of("S") == (2, 3)
    assert reference.layers_of("P", "PSSP") == (0, 3)
    assert reference.layers_of("S", "PSPS") == (1, 3)


def test_layers_of_rejects_wrong_length(reference: Design) -> None:
    with pytest.raises(DesignError):
        reference.layers_of("P", "PSP")


def test_layer_windings(reference: Design) -> None:
    names = [winding.name for winding in reference.layer_windings("PSSP")]
    assert names == ["P", "S", "S", "P"]


def test_winding_lookup(reference: Design) -> None:
    assert reference.winding("S").turns == 2
    assert reference.winding_by_symbol("P").name == "P"
    with pytest.raises(DesignError):
        reference.winding("Q")
    with pytest.raises(DesignError):
        reference.winding_by_symbol("Q")


def test_with_pattern(reference: Design) -> None:
    single = reference.with_pattern("PSSP")
    assert single.arrangement.patterns == ("PSSP",)
    assert single.layers_of("P") == (0, 3)
    assert reference.arrangement.patterns == ("PPSS", "PSPS", "PSSP")
    assert single.core == reference.core


def test_with_pattern_rejects_turns_mismatch(reference: Design) -> None:
    with pytest.raises(DesignError) as info:
        reference.with_pattern("PPPS")
    assert "windings[0].turns" in str(info.value)
    assert "'PPPS'" in str(info.value)


def test_design_is_frozen(reference: Design) -> None:
    with pytest.raises((TypeError, ValueError)):
        reference.name = "changed"  # type: ignore[misc]


def test_normalized_dict_is_json_and_stable(reference: Design, reference_raw: dict) -> None:
    first = normalized_dict(reference)
    second = normalized_dict(load_design(reference_raw))
    text = json.dumps(first, sort_keys=True)
    assert text == json.dumps(second, sort_keys=True)
    assert first["excitation"]["currents"]["S"] == {"real": -4.0, "imag": 0.0}
    assert first["stackup"]["copper_thickness"] == pytest.approx([70e-6] * 4)


# ---------------------------------------------------------------------------------------
# Loader: accepted variants
# ---------------------------------------------------------------------------------------


def test_load_from_file(tmp_path, reference: Design) -> None:
    path = tmp_path / "design.toml"
    path.write_text(reference_design_path().read_text(encoding="utf-8"), encoding="utf-8")
    assert load_design(path) == reference
    assert load_design(str(path)) == reference


def test_input_dict_not_mutated(reference_raw: dict) -> None:
    before = copy.deepcopy(reference_raw)
    load_design(reference_raw)
    assert reference_raw == before


def test_input_dict_not_mutated_on_error(reference_raw: dict) -> None:
    reference_raw["windings"][0]["trace_width"] = "2.2 mm"
    before = copy.deepcopy(reference_raw)
    load_error(reference_raw)
    assert reference_raw == before


def test_stackup_shorthand(reference_raw: dict) -> None:
    reference_raw["stackup"] = {
        "n_layers": 4,
        "copper_thickness": "2 oz",
        "dielectric_thickness": "0.2 mm",
        "clearance": "0.4 mm",
    }
    design = load_design(reference_raw)
    assert design.stackup.copper_thickness == pytest.approx((69.58e-6,) * 4)
    assert design.stackup.dielectric_thickness == pytest.approx((0.2 * MM,) * 3)
    # Without dielectric_permittivity, FR4 from the catalogue applies.
    assert design.stackup.dielectric_permittivity == pytest.approx((4.4,) * 3)


def test_explicit_core_and_inline_material(reference_raw: dict) -> None:
    reference_raw["core"] = {
        "e_half": {
            "name": "drawing 17",
            "overall_length": "31.75 mm",
            "window_span": "1 inch",
            "depth": "20.32 mm",
            "height": "250 mil",
            "centre_leg_width": "6.35 mm",
            "leg_height": "3.18 mm",
        },
        "plate": {"length": "31.75 mm", "depth": "20.32 mm", "thickness": "3.18 mm"},
        "material": {
            "name": "my MnZn",
            "relative_permeability": 1800,
            "conductivity": "0.2 S/m",
            "relative_permittivity": 1e4,
            "electrostatic_kind": "conductor",
        },
        "electrostatic": "grounded",
    }
    design = load_design(reference_raw)
    core = design.core

    assert core.e_half.name == "drawing 17"
    assert core.e_half.window_span == pytest.approx(25.4 * MM)
    assert core.e_half.height == pytest.approx(6.35 * MM)
    assert core.combination == "E+PLT"
    assert core.effective is None
    assert core.window_width == pytest.approx(9.525 * MM)

    assert core.material.name == "my MnZn"
    assert core.material.relative_permeability == 1800
    assert core.material.conductivity == pytest.approx(0.2)
    assert core.electrostatic == "grounded"


def test_material_based_on_catalogue(reference_raw: dict) -> None:
    reference_raw["core"]["material"] = {"base": "N87", "relative_permeability_loss": 50}
    material = load_design(reference_raw).core.material
    assert material.name == "N87"
    assert material.relative_permeability == 2200
    assert material.relative_permeability_loss == 50
    assert material.conductivity == pytest.approx(0.1)


def test_e_e_core(reference_raw: dict) -> None:
    del reference_raw["core"]["plate"]
    core = load_design(reference_raw).core
    assert core.combination == "E+E"
    assert core.plate is None
    assert core.window_height == pytest.approx(2 * 3.18 * MM)
    assert core.effective is not None
    assert core.effective.le == pytest.approx(41.4 * MM)


def test_default_electrostatic_follows_material(reference_raw: dict) -> None:
    del reference_raw["core"]["electrostatic"]
    assert load_design(reference_raw).core.electrostatic == "floating"
    reference_raw["core"]["material"] = "4F1"
    assert load_design(reference_raw).core.electrostatic == "dielectric"


def test_phases(reference_raw: dict) -> None:
    reference_raw["excitation"]["phase_deg"] = {"P": 0, "S": 90}
    assert load_design(reference_raw).excitation.currents["S"] == 4j
    reference_raw["excitation"]["phase_deg"] = {"S": 45}
    current = load_design(reference_raw).excitation.currents["S"]
    assert current.real == pytest.approx(4 / math.sqrt(2))
    assert current.imag == pytest.approx(4 / math.sqrt(2))


def test_symbol_and_parallel_layers(reference_raw: dict) -> None:
    # Two secondaries in parallel: S on layers 3 and 4, 1 turn each, parallel -> 1 turn.
    reference_raw["windings"][1].update({"name": "sec", "symbol": "S", "turns": 1, "parallel_layers": 2})
    reference_raw["excitation"]["currents"] = {"P": "1 A", "sec": "8 A"}
    reference_raw["terminals"]["quiet"] = ["P.end", "sec.start", "sec.end"]
    design = load_design(reference_raw)
    assert design.winding("sec").parallel_layers == 2
    assert design.layers_of("sec", "PSSP") == (1, 2)


def test_series_order(reference_raw: dict) -> None:
    reference_raw["windings"][0]["series_order"] = [2, 1]
    assert load_design(reference_raw).winding("P").series_order == (2, 1)


def test_mesh_options(reference_raw: dict) -> None:
    reference_raw["mesh"] = {"element_order": 1, "core_size": "0.5 mm", "domain_factor": 4}
    mesh = load_design(reference_raw).mesh
    assert mesh.element_order == 1
    assert mesh.core_size == pytest.approx(0.5 * MM)
    assert mesh.domain_factor == 4.0


# ---------------------------------------------------------------------------------------
# Loader: rejected input
# ---------------------------------------------------------------------------------------


def _set(path: tuple, value):
    def mutate(raw: dict) -> None:
        node = raw
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _delete(path: tuple):
    def mutate(raw: dict) -> None:
        node = raw
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return mutate


BAD_INPUT_CASES = [
    # (case id, change, field path expected in the message, value expected in the message)
    ("missing field", _delete(("stackup", "clearance")), "stackup.clearance", "missing value"),
    ("missing section", _delete(("terminals",)), "terminals", "missing value"),
    ("missing winding key", _delete(("windings", 1, "trace_width")), "windings[1].trace_width", "missing value"),
    ("unknown key", _set(("stackup", "copper_thicknes"), "1 mm"), "stackup.copper_thicknes", "'copper_thicknes'"),
    ("unknown top key", _set(("windigns",), []), "windigns", "'windigns'"),
    (
        "bad unit",
        _set(("stackup", "dielectric_thickness", 1), "0.71 kg"),
        "stackup.dielectric_thickness[1]",
        "'0.71 kg'",
    ),
    ("bare number", _set(("windings", 1, "trace_width"), 5), "windings[1].trace_width", "5"),
    ("bare number string", _set(("stackup", "clearance"), "0.4"), "stackup.clearance", "'0.4'"),
    ("negative length", _set(("stackup", "copper_thickness", 2), "-70 um"), "stackup.copper_thickness[2]", "'-70 um'"),
    ("zero trace width", _set(("windings", 0, "trace_width"), "0 mm"), "windings[0].trace_width", "'0 mm'"),
    (
        "pattern wrong length",
        _set(("arrangement", "patterns"), ["PPSS", "PSP"]),
        "arrangement.patterns[1]",
        "'PSP'",
    ),
    ("pattern unknown symbol", _set(("arrangement", "patterns"), ["PPSX"]), "arrangement.patterns[0]", "'PPSX'"),
    ("pattern missing winding", _set(("arrangement", "patterns"), ["PPPP"]), "arrangement.patterns[0]", "'PPPP'"),
    ("turns mismatch", _set(("windings", 0, "turns"), 6), "windings[0].turns", "6"),
    ("unknown core name", _set(("core", "e_half"), "E32/6/21"), "core.e_half", "'E32/6/21'"),
    ("unknown plate name", _set(("core", "plate"), "PLT99"), "core.plate", "'PLT99'"),
    ("unknown material name", _set(("core", "material"), "N88"), "core.material", "'N88'"),
    ("winding too wide", _set(("windings", 0, "trace_width"), "2.2 mm"), "windings[0].trace_width", "'2.2 mm'"),
    ("frequency zero", _set(("excitation", "frequencies"), ["0 Hz"]), "excitation.frequencies[0]", "'0 Hz'"),
    (
        "frequencies descending",
        _set(("excitation", "frequencies"), ["1 MHz", "100 kHz"]),
        "excitation.frequencies[1]",
        "'100 kHz'",
    ),
    (
        "permittivity below one",
        _set(("stackup", "dielectric_permittivity"), [4.4, 0.5, 4.4]),
        "stackup.dielectric_permittivity[1]",
        "0.5",
    ),
    (
        "dielectric count",
        _set(("stackup", "dielectric_thickness"), ["0.2 mm", "0.2 mm"]),
        "stackup.dielectric_thickness",
        "['0.2 mm', '0.2 mm']",
    ),
    ("series order", _set(("windings", 0, "series_order"), [1, 1]), "windings[0].series_order", "[1, 1]"),
    ("parallel layers", _set(("windings", 0, "parallel_layers"), 3), "windings[0].parallel_layers", "3"),
    ("switching terminal", _set(("terminals", "switching"), "S.end"), "terminals.switching", "'S.end'"),
    ("unknown quiet terminal", _set(("terminals", "quiet"), ["X.end"]), "terminals.quiet[0]", "'X.end'"),
    ("missing current", _delete(("excitation", "currents", "S")), "excitation.currents.S", "missing value"),
    ("unknown current", _set(("excitation", "currents", "Q"), "1 A"), "excitation.currents.Q", "'Q'"),
    ("turns not an integer", _set(("windings", 0, "turns"), 8.5), "windings[0].turns", "8.5"),
    ("electrostatic choice", _set(("core", "electrostatic"), "earthed"), "core.electrostatic", "'earthed'"),
    ("air gap too large", _set(("core", "air_gap"), "4 mm"), "core.air_gap", "'4 mm'"),
    ("permeability below one", _set(("core", "material"), {"base": "N87", "relative_permeability": 0.5}),
     "core.material.relative_permeability", "0.5"),
    ("element order", _set(("mesh",), {"element_order": 3}), "mesh.element_order", "3"),
    ("spacing zero with several turns", _set(("windings", 0, "spacing"), "0 mm"), "windings[0].spacing", "'0 mm'"),
]


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [case[1:] for case in BAD_INPUT_CASES],
    ids=[case[0] for case in BAD_INPUT_CASES],
)
def test_bad_input_rejected(reference_raw: dict, change, field: str, value: str) -> None:
    change(reference_raw)
    error = load_error(reference_raw)
    message = str(error)
    assert f"{field}:" in message
    assert value in message
    assert error.__cause__ is None


def test_unknown_key_lists_valid_keys(reference_raw: dict) -> None:
    reference_raw["stackup"]["copper_thicknes"] = "1 mm"
    message = str(load_error(reference_raw))
    assert "did you mean 'copper_thickness'" in message
    for key in ("clearance", "copper_thickness", "dielectric_permittivity", "dielectric_thickness"):
        assert key in message


def test_turns_mismatch_gives_numbers(reference_raw: dict) -> None:
    reference_raw["windings"][0]["turns"] = 6
    message = str(load_error(reference_raw))
    assert "turns_per_layer = 4" in message
    assert "4 x 2 / 1 = 8 turns" in message


def test_fit_message_gives_sizes_in_mm(reference_raw: dict) -> None:
    # Needed: 4 x 2.2 mm + 3 x 0.4 mm = 10 mm. Available: 9.525 mm - 2 x 0.4 mm = 8.725 mm.
    reference_raw["windings"][0]["trace_width"] = "2.2 mm"
    error = load_error(reference_raw)
    message = str(error)
    assert error.field == "windings[0].trace_width"
    assert "'P'" in message
    assert "layers 1, 2" in message
    assert "10 mm" in message
    assert "8.725 mm" in message
    assert "too wide by 1.275 mm" in message


def test_fit_message_for_stack_height(reference_raw: dict) -> None:
    # Needed: 4 x 0.07 mm + 3 x 1 mm = 3.28 mm. Available: 3.18 mm - 2 x 0.4 mm = 2.38 mm.
    reference_raw["stackup"]["dielectric_thickness"] = ["1 mm", "1 mm", "1 mm"]
    error = load_error(reference_raw)
    message = str(error)
    assert error.field == "stackup"
    assert "3.28 mm" in message
    assert "2.38 mm" in message
    assert "too high by 0.9 mm" in message


def test_fit_uses_e_e_window_height(reference_raw: dict) -> None:
    # The same 3.28 mm stack fits into an E+E window: 2 x 3.18 mm - 0.8 mm = 5.56 mm.
    reference_raw["stackup"]["dielectric_thickness"] = ["1 mm", "1 mm", "1 mm"]
    del reference_raw["core"]["plate"]
    design = load_design(reference_raw)
    assert design.core.window_height == pytest.approx(6.36 * MM)
    assert design.stackup.height == pytest.approx(3.28 * MM)


def test_several_problems_reported_together(reference_raw: dict) -> None:
    reference_raw["stackup"]["clearance"] = "x"
    reference_raw["windings"][0]["turns"] = 8.5
    reference_raw["core"]["material"] = "N88"
    error = load_error(reference_raw)
    fields = [problem.field for problem in error.problems]
    assert fields == ["core.material", "stackup.clearance", "windings[0].turns"]
    message = str(error)
    assert "3 problems" in message
    for field in fields:
        assert field in message


def test_invalid_toml_text() -> None:
    with pytest.raises(DesignError) as info:
        load_design_text('name = "x"\n[core\n', origin="broken.toml")
    assert "broken.toml" in str(info.value)
    assert "invalid TOML" in str(info.value)


def test_unknown_key_in_file(tmp_path) -> None:
    text = reference_design_path().read_text(encoding="utf-8").replace("clearance =", "clearence =")
    path = tmp_path / "typo.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DesignError) as info:
        load_design(path)
    message = str(info.value)
    assert "stackup.clearence" in message
    assert "stackup.clearance" in message


def test_duplicate_symbols_rejected(reference_raw: dict) -> None:
    reference_raw["windings"][1]["name"] = "Primary2"
    reference_raw["excitation"]["currents"] = {"P": "1 A", "Primary2": "4 A"}
    message = str(load_error(reference_raw))
    assert "windings[1].symbol" in message
    assert "'P'" in message


def test_catalogue_plate_as_e_half_rejected(reference_raw: dict) -> None:
    reference_raw["core"]["e_half"] = "PLT32/20/3.2"
    message = str(load_error(reference_raw))
    assert "core.e_half" in message
    assert "plate" in message


def test_explicit_dimensions_checked(reference_raw: dict) -> None:
    reference_raw["core"]["e_half"] = {
        "overall_length": "31.75 mm",
        "window_span": "35 mm",
        "depth": "20.32 mm",
        "height": "6.35 mm",
        "centre_leg_width": "6.35 mm",
        "leg_height": "3.18 mm",
    }
    message = str(load_error(reference_raw))
    assert "core.e_half.window_span" in message
    assert "'35 mm'" in message
