"""Provenance of results: package versions, git commit, host, time."""

from __future__ import annotations

import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

__all__ = ["git_commit", "provenance"]

PACKAGES = (
    "clusterlab",
    "mesa",
    "numpy",
    "pandas",
    "scipy",
    "SALib",
    "pyarrow",
    "matplotlib",
)


def git_commit() -> str | None:
    """Commit of the source tree ClusterLab runs from ('-dirty' if changed), or None."""
    root = Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return sha + ("-dirty" if dirty else "")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def provenance() -> dict[str, object]:
    """Versions, commit, Python, host and time, for a results manifest."""
    return {
        "versions": {p: _version(p) for p in PACKAGES},
        "python": platform.python_version(),
        "git_commit": git_commit(),
        "host": platform.node(),
        "platform": platform.platform(),
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
