"""Executes the notebooks in docs/: every cell must run with the current code.

docs/tutorial.ipynb (about 30 s) and docs/tutorial_policy_lab.ipynb (about 30 s of CPU:
a region table, a comparison, an xlrm design, scenario discovery, a GraphML export).
"""

import signal
from pathlib import Path

import nbformat
from nbclient import NotebookClient

DOCS = Path(__file__).parents[2] / "docs"


def _text(cell: nbformat.NotebookNode) -> str:
    """Plain text of a code cell's outputs."""
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def _execute(name: str, tmp_path: Path, monkeypatch) -> list[nbformat.NotebookNode]:
    """Run a notebook of docs/ in tmp_path; return its code cells (no error output)."""
    # the notebooks write their results under tempfile.mkdtemp(): keep them in tmp_path
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    nb = nbformat.read(DOCS / name, as_version=4)
    client = NotebookClient(
        nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(tmp_path)}}
    )
    # nbclient installs SIGINT/SIGTERM handlers for its clean-up and can leave SIGINT
    # ignored: a later test's child process would inherit that (tests/conftest.py checks)
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        client.execute()  # raises CellExecutionError at the first failing cell
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert errors == []
    return code


def _cell(code: list[nbformat.NotebookNode], source: str) -> str:
    """Output text of the one code cell whose source holds ``source``."""
    (cell,) = [cell for cell in code if source in cell.source]
    return _text(cell)


def test_tutorial_notebook_runs(tmp_path, monkeypatch):
    code = _execute("tutorial.ipynb", tmp_path, monkeypatch)
    assert "scenarios.png" in _cell(code, "compare_report(")
    # the last cell shows the Morris indices table
    assert "mu_star" in _text(code[-1])
    assert list(tmp_path.glob("clusterlab-tutorial-*/tutorial/report.html"))


def test_policy_lab_notebook_runs(tmp_path, monkeypatch):
    code = _execute("tutorial_policy_lab.ipynb", tmp_path, monkeypatch)
    # year 0 reproduces the table's RCA (to rounding) and diversity
    rca_line = _cell(code, "largest RCA difference").splitlines()[0]
    assert float(rca_line.rsplit(": ", 1)[1]) < 1e-9
    assert "max_regret" in _cell(code, "regret_summary(per_world")
    assert "radical_innovations >= " in _cell(code, "satisficing(per_world")
    assert "PRIM box" in _cell(code, "found = discover(")
    folder = next(tmp_path.glob("clusterlab-policy-lab-*"))
    assert (folder / "robustness" / "report.html").is_file()
    assert (folder / "robustness" / "figures" / "robustness_regret.png").is_file()
    assert (folder / "discovery" / "figures" / "radical_below_tradeoff.png").is_file()
    assert (folder / "network.graphml").read_text().startswith("<?xml")
