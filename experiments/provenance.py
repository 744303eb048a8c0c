"""Provenance of results: versions, ClusterLab's git commit, kernel backend, CPU, host, time."""

from __future__ import annotations

import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

__all__ = ["floating_point", "git_commit", "kernel_backend", "provenance"]

PACKAGES = (
    "clusterlab",
    "mesa",
    "numpy",
    "numba",
    "pandas",
    "scipy",
    "SALib",
    "pyarrow",
    "matplotlib",
)


def _git(root: Path, *args: str) -> str | None:
    """Output of ``git <args>`` run in ``root``, stripped; None if git fails or is missing."""
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def _is_clusterlab_checkout(root: Path) -> bool:
    """Whether ``root`` is the top of a git checkout of ClusterLab itself."""
    try:
        declared = 'name = "clusterlab"' in (root / "pyproject.toml").read_text()
    except OSError:
        return False
    top = _git(root, "rev-parse", "--show-toplevel")
    return declared and top is not None and Path(top).resolve() == root


def git_commit() -> str | None:
    """Commit of the ClusterLab checkout it runs from ('-dirty' if changed), or None.

    Only a checkout of ClusterLab counts: an installed copy lives in site-packages, and
    the git repository around it (a user's project holding its virtual environment)
    is not ClusterLab's, so its commit would be recorded wrongly; there the package
    version identifies the code.
    """
    root = Path(__file__).resolve().parent.parent
    if not _is_clusterlab_checkout(root):
        return None
    sha = _git(root, "rev-parse", "HEAD")
    dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    if sha is None or dirty is None:
        return None
    return sha + ("-dirty" if dirty else "")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def floating_point() -> dict[str, object]:
    """Describe what decides the last bits of floats here (docs/reproducibility.md).

    numpy's SIMD dispatch targets in use, the BLAS library and the kernel it chose for
    this CPU, and the CPU numba compiles for.
    """
    import numpy as np  # noqa: PLC0415 - imported when a manifest is written
    from threadpoolctl import threadpool_info  # noqa: PLC0415

    try:  # numpy >= 2 (numpy has no public name for the dispatch targets in use)
        from numpy._core._multiarray_umath import (  # noqa: PLC0415
            __cpu_dispatch__,
            __cpu_features__,
        )

        simd: list[str] | None = [n for n in __cpu_dispatch__ if __cpu_features__.get(n)]
    except ImportError:
        simd = None

    blas = sorted(
        {
            f"{pool['internal_api']} {pool.get('version')} {pool.get('architecture')}"
            for pool in threadpool_info()
            if pool["user_api"] == "blas"
        }
    )
    try:
        import numba  # noqa: PLC0415

        numba_cpu = numba.config.CPU_NAME or "host"
    except ImportError:
        numba_cpu = None
    return {
        "machine": platform.machine(),
        "numpy": np.__version__,
        "numpy_simd": simd,
        "blas": blas,
        "numba_cpu": numba_cpu,
    }


def kernel_backend() -> dict[str, str | None]:
    """Describe the backend that runs the model's kernels: numpy, or numba (its version).

    What was asked for (``CLUSTERLAB_KERNELS``: auto, numpy or numba) and why this
    backend runs (``auto`` falls back to numpy only when numba is not installed). Runs on
    the two backends are not bit-identical (docs/reproducibility.md).
    """
    from clusterlab.model.kernels import backend_info  # noqa: PLC0415 - chooses the backend

    return backend_info()


def provenance() -> dict[str, object]:
    """Versions, commit, kernel backend, floating-point setting, Python, host and time."""
    return {
        "versions": {p: _version(p) for p in PACKAGES},
        "python": platform.python_version(),
        "git_commit": git_commit(),
        "kernels": kernel_backend(),
        "floating_point": floating_point(),
        "host": platform.node(),
        "platform": platform.platform(),
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
