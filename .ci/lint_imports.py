"""Import-linter's contracts (pyproject.toml) on ``clusterlab``, as it is installed: ``make lint``.

Import-linter builds its graph with grimp, which finds a package's modules by walking the one
folder its ``__init__.py`` lies in; it cannot see ``clusterlab.model`` in the folder
``model/`` (pyproject's ``package-dir``). This copies the Python files into the installed
layout (``clusterlab/``, ``clusterlab/model/``, ``clusterlab/experiments/``) in a temporary
folder and runs ``lint-imports`` there (extra arguments are passed on).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _not_python(folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n == "__pycache__" or (n.count(".") and not n.endswith(".py"))]


def main() -> int:
    """Copy the package into its installed layout and lint its imports there."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    folders = config["tool"]["setuptools"]["package-dir"]
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    with tempfile.TemporaryDirectory(prefix="clusterlab-imports-") as tmp:
        for package in sorted(folders, key=len):  # clusterlab first, then its sub-packages
            target = Path(tmp, *package.split("."))
            shutil.copytree(ROOT / folders[package], target, ignore=_not_python)
        env = os.environ | {"PYTHONPATH": tmp}
        command = [lint, "--config", str(ROOT / "pyproject.toml"), "--no-cache", *sys.argv[1:]]
        return subprocess.run(command, cwd=tmp, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
