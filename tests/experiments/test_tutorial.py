"""Executes docs/tutorial.ipynb: every cell must run with the current code (about 30 s)."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).parents[2] / "docs" / "tutorial.ipynb"


def _text(cell: nbformat.NotebookNode) -> str:
    """Plain text of a code cell's outputs."""
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_tutorial_notebook_runs(tmp_path, monkeypatch):
    # the notebook writes its results under tempfile.mkdtemp(): keep them in tmp_path
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError at the first failing cell
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert errors == []
    (report_cell,) = [cell for cell in code if "compare_report(" in cell.source]
    assert "scenarios.png" in _text(report_cell)
    # the last cell shows the Morris indices table
    assert "mu_star" in _text(code[-1])
    assert list(tmp_path.glob("clusterlab-tutorial-*/tutorial/report.html"))
