"""Read a finished results folder back for plots and reports.

A results folder written by ``femstack compare --out DIR`` contains ``results.json`` and
``summary.csv``, and per arrangement ``<pattern>_results.json``, ``<pattern>_fields.vtu``
and ``<pattern>_regions.json`` (see :mod:`femstack.outputs`). This module checks that
those files are present and readable, and returns them as plain Python objects. It never
calls gmsh or a solver.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import warnings
from pathlib import Path

import numpy as np

from femstack.errors import FemstackError

logger = logging.getLogger(__name__)


class ResultsError(FemstackError, ValueError):
    """A results folder is missing, incomplete or unreadable."""


def spaced_frequency(tag: str) -> str:
    """Return a frequency tag of the VTU array names (``1MHz``) as text for titles (``1 MHz``)."""
    return re.sub(r"^([0-9.eE+-]+)([kMG]?Hz)$", r"\1 \2", tag)


@dataclasses.dataclass
class FieldSet:
    """The fields of one arrangement, read from its VTU file.

    Attributes
    ----------
    pattern
        Layer pattern, such as ``PSPS``.
    grid
        ``pyvista.UnstructuredGrid`` with coordinates in m: x is r, y is z.
    region_names
        Region names; cell array ``region`` indexes this list.
    """

    pattern: str
    grid: object
    region_names: list[str]

    def cells_of(self, prefix: str) -> np.ndarray:
        """Return the indices of the cells whose region name starts with ``prefix``."""
        indices = [i for i, name in enumerate(self.region_names) if name.startswith(prefix)]
        return np.flatnonzero(np.isin(np.asarray(self.grid.cell_data["region"]), indices))

    def bounds_of(self, prefix: str) -> tuple[float, float, float, float]:
        """Return (r_min, r_max, z_min, z_max) in m of the regions whose name starts with ``prefix``."""
        cells = self.cells_of(prefix)
        if cells.size == 0:
            raise ResultsError(f"{self.pattern}_fields.vtu: no region name starts with {prefix!r}")
        points = np.asarray(self.grid.extract_cells(cells).points)
        return (
            float(points[:, 0].min()),
            float(points[:, 0].max()),
            float(points[:, 1].min()),
            float(points[:, 1].max()),
        )

    def core_window(self) -> tuple[float, float, float, float]:
        """Return the plotting extent (r_min, r_max, z_min, z_max) in m: the core and what is inside it."""
        r0, r1, z0, z1 = self.bounds_of("core")
        return 0.0, r1, z0, z1


@dataclasses.dataclass
class RunResults:
    """A results folder read back from disk.

    Attributes
    ----------
    folder
        The results folder.
    records
        One record per arrangement, as in ``results.json`` (SI units).
    """

    folder: Path
    records: list[dict]

    @property
    def patterns(self) -> list[str]:
        """Layer patterns in the order they were run."""
        return [record["pattern"] for record in self.records]

    def record(self, pattern: str) -> dict:
        """Return the record of one arrangement."""
        for record in self.records:
            if record["pattern"] == pattern:
                return record
        raise ResultsError(f"{self.folder}: no arrangement {pattern!r}; the folder has {self.patterns}")

    def summary(self):
        """Return ``summary.csv`` as a pandas DataFrame, one column per pattern."""
        import pandas as pd

        return pd.read_csv(self.folder / "summary.csv", index_col=0)

    def fields(self, pattern: str) -> FieldSet:
        """Read one arrangement's VTU file and region names."""
        self.record(pattern)
        return read_fields(self.folder, pattern)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path} not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ResultsError(f"{path} cannot be read as JSON: {error}") from None


def load_results(folder: str | Path, *, need_fields: bool = True) -> RunResults:
    """Check and read a results folder written by ``femstack compare --out``.

    Parameters
    ----------
    folder
        The results folder.
    need_fields
        Also require every arrangement's ``_fields.vtu`` and ``_regions.json``.

    Raises
    ------
    ResultsError
        If the folder or one of the expected files is missing, naming every missing file.
    """
    path = Path(folder)
    if not path.exists():
        raise ResultsError(f"results folder '{path}' not found; create it with 'femstack compare --out {path}'")
    if not path.is_dir():
        raise ResultsError(f"results folder '{path}' is a file, expected the folder that 'femstack compare --out' wrote")
    missing = [name for name in ("results.json", "summary.csv") if not (path / name).is_file()]
    if "results.json" in missing:
        raise ResultsError(
            f"results folder '{path}' is incomplete: missing {', '.join(missing)}. "
            "The run did not finish, or the folder was not written by 'femstack compare --out'"
        )
    records = _read_json(path / "results.json")
    if not isinstance(records, list) or not records or not all(isinstance(r, dict) and "pattern" in r for r in records):
        raise ResultsError(f"{path / 'results.json'}: expected a non-empty list of arrangement records with a 'pattern'")
    if need_fields:
        for record in records:
            pattern = record["pattern"]
            for suffix in ("_fields.vtu", "_regions.json"):
                if not (path / f"{pattern}{suffix}").is_file():
                    missing.append(f"{pattern}{suffix}")
    if missing:
        raise ResultsError(f"results folder '{path}' is incomplete: missing {', '.join(missing)}")
    logger.info("read %d arrangements from %s", len(records), path)
    return RunResults(path, records)


def read_fields(folder: str | Path, pattern: str) -> FieldSet:
    """Read ``<pattern>_fields.vtu`` and ``<pattern>_regions.json`` from ``folder``."""
    import pyvista

    folder = Path(folder)
    vtu = folder / f"{pattern}_fields.vtu"
    if not vtu.is_file():
        raise ResultsError(f"{vtu} not found")
    names = _read_json(folder / f"{pattern}_regions.json")
    try:
        region_names = [names[str(i)] for i in range(len(names))]
    except (KeyError, TypeError):
        raise ResultsError(f"{folder / f'{pattern}_regions.json'}: expected keys '0' to '{len(names) - 1}'") from None
    # pyvista reports a damaged file as an exception or only as a warning, by VTK version.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            grid = pyvista.read(vtu)
        except Exception as error:
            raise ResultsError(f"{vtu} cannot be read as a VTU file: {error}") from None
    if grid.n_cells == 0 or "region" not in grid.cell_data:
        detail = f" ({str(caught[0].message).splitlines()[0]})" if caught else ""
        raise ResultsError(
            f"{vtu} has no cells or no 'region' cell array{detail}; write it again with 'femstack compare --out'"
        )
    return FieldSet(pattern, grid, region_names)
