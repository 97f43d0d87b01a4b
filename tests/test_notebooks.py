"""Every notebook in notebooks/ runs top to bottom in a Jupyter kernel.

The notebooks are found by globbing, so a new notebook is executed without a change
here. nbclient runs each one in a fresh ipykernel with the notebooks/ folder as the
working directory, as when a user opens it in Jupyter. A
notebook's own asserts are its checks; a failing cell fails the test with the cell's
error.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

#: Upper limit for one cell in s. The slowest cell (four arrangements of the reference
#: design on a coarse mesh) took 40 s on a shared 2-core machine.
CELL_TIMEOUT = 900


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch, tmp_path):
    import nbformat
    from jupyter_client import KernelManager
    from nbclient import NotebookClient

    # The kernel inherits the environment: one BLAS thread, and VTK's EGL window when
    # there is no display, so that pyvista renders offscreen without a warning.
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    if not os.environ.get("DISPLAY"):
        monkeypatch.setenv("VTK_DEFAULT_OPENGL_WINDOW", os.environ.get("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow"))
    monkeypatch.setenv("MPLBACKEND", "Agg")

    notebook = nbformat.read(path, as_version=4)
    # IPC sockets in a temporary folder: the kernel opens no TCP port, not even on loopback.
    manager = KernelManager(kernel_name="python3", transport="ipc", ip=str(tmp_path / "kernel"))
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()

    errors = [
        output for cell in notebook.cells if cell.cell_type == "code"
        for output in cell.get("outputs", []) if output.get("output_type") == "error"
    ]
    assert errors == []


def test_notebooks_found():
    names = {p.name for p in NOTEBOOKS}
    assert {"quickstart.ipynb", "interleaving.ipynb", "validation.ipynb"} <= names
