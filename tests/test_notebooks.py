"""Every notebook in notebooks/ runs top to bottom.

The code cells are executed in order in one namespace, without a Jupyter kernel, so the
test needs no Jupyter packages. A notebook's own asserts are its checks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path):
    notebook = json.loads(path.read_text())
    namespace: dict = {"__name__": "__main__"}
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        exec(compile(source, f"{path.name}[cell {index}]", "exec"), namespace)


def test_notebooks_found():
    assert NOTEBOOKS, "notebooks/ has no notebook"
