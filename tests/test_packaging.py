"""Packaging (issue #18): installing ClusterLab adds one import name, ``clusterlab``.

The repository keeps its folders ``model/`` and ``experiments/``; pyproject maps them to
``clusterlab.model`` and ``clusterlab.experiments``. Run from outside the checkout, the old
top-level names must not import, while ``clusterlab`` and its sub-packages do.
"""

import ast
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"clusterlab": "clusterlab", "clusterlab.model": "model",
           "clusterlab.experiments": "experiments"}  # fmt: skip
OLD_NAMES = ("model", "experiments")


def _outside(code: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter in ``cwd`` (outside the checkout), no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def outside(tmp_path):
    probe = _outside("import clusterlab", tmp_path)
    if probe.returncode != 0:
        pytest.skip("clusterlab is not installed in this interpreter (pip install -e .)")
    return tmp_path


@pytest.mark.parametrize("name", OLD_NAMES)
def test_old_top_level_names_are_not_importable(outside, name):
    proc = _outside(f"import {name}", outside)
    assert proc.returncode != 0
    assert f"No module named '{name}'" in proc.stderr


def test_clusterlab_and_its_subpackages_import_from_anywhere(outside):
    code = (
        "import json, clusterlab, clusterlab.model, clusterlab.experiments\n"
        "from clusterlab.model import ClusterModel\n"
        "from clusterlab.model.params import ModelParams\n"
        "print(json.dumps([ClusterModel.__module__, ModelParams.__module__,"
        " clusterlab.__version__]))\n"
    )
    proc = _outside(code, outside)
    assert proc.returncode == 0, proc.stderr
    model_module, params_module, version = json.loads(proc.stdout)
    assert model_module == "clusterlab.model.cluster_model"
    assert params_module == "clusterlab.model.params"
    assert version != "0+unknown"


def test_importing_clusterlab_imports_nothing_else(outside):
    # `clusterlab --help` and `--version` stay instant: the package's __init__ is empty.
    code = (
        "import sys, clusterlab\n"
        "v = clusterlab.__version__\n"
        "print(sorted(m for m in sys.modules if m.startswith(('clusterlab.', 'numpy', 'mesa'))))\n"
    )
    proc = _outside(code, outside)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_python_m_clusterlab_prints_the_version(outside):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-m", "clusterlab", "--version"],
        cwd=outside, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("clusterlab ")


def _python_folders(top: Path) -> set[str]:
    return {
        str(d.relative_to(ROOT))
        for d in [top, *top.rglob("*")]
        if d.is_dir() and d.name != "__pycache__" and any(d.glob("*.py"))
    }


def test_every_folder_with_python_is_a_listed_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == FOLDERS
    listed = set()
    for package in config["packages"]:
        top = ".".join(package.split(".")[:2]) if package != "clusterlab" else package
        rest = package[len(top) :].lstrip(".").replace(".", "/")
        folder = FOLDERS[top] + (f"/{rest}" if rest else "")
        assert (ROOT / folder / "__init__.py").is_file(), f"{package}: {folder} has no __init__.py"
        listed.add(folder)
    on_disk = set().union(*(_python_folders(ROOT / f) for f in FOLDERS.values()))
    assert on_disk - listed == set(), "add these folders to [tool.setuptools] packages"


def _old_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        found += [f"line {node.lineno}: {n}" for n in names if n.split(".")[0] in OLD_NAMES]
    return found


def _sources():
    for folder in ("clusterlab", "model", "experiments", "tests", "benchmarks", "docs"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "docs").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = [c["source"] for c in cells if c["cell_type"] == "code"]
        lines = [ln for c in code for ln in "".join(c).splitlines()]
        yield path, "\n".join(ln for ln in lines if not ln.startswith(("%", "!")))


def test_no_code_imports_the_old_top_level_names():
    # One module, one name: `model.x` next to `clusterlab.model.x` would load it twice.
    offenders = {str(p.relative_to(ROOT)): f for p, s in _sources() if (f := _old_imports(s))}
    assert offenders == {}
