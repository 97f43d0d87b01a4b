"""Design layer: TOML design files, unit conversion, validation and the fit check.

Typical use::

    from femstack.design import load_design, reference_design_path

    design = load_design(reference_design_path())
    design.core.window_width          # m
    design.layers_of("P", "PSSP")     # 0-based layer indices of winding P

See `femstack.design.loader` for the file format.
"""

from femstack.design.fit import check_fit
from femstack.design.loader import load_design, load_design_text, reference_design_path
from femstack.design.model import (
    COPPER_CONDUCTIVITY,
    Arrangement,
    Core,
    Design,
    EffectiveParameters,
    EHalf,
    Excitation,
    Material,
    MeshOptions,
    Plate,
    StackUp,
    Terminals,
    Winding,
    normalized_dict,
)
from femstack.design.units import (
    parse_conductivity,
    parse_current,
    parse_dimensionless,
    parse_frequency,
    parse_length,
    parse_quantity,
)

__all__ = [
    "COPPER_CONDUCTIVITY",
    "Arrangement",
    "Core",
    "Design",
    "EHalf",
    "EffectiveParameters",
    "Excitation",
    "Material",
    "MeshOptions",
    "Plate",
    "StackUp",
    "Terminals",
    "Winding",
    "check_fit",
    "load_design",
    "load_design_text",
    "normalized_dict",
    "parse_conductivity",
    "parse_current",
    "parse_dimensionless",
    "parse_frequency",
    "parse_length",
    "parse_quantity",
    "reference_design_path",
]
