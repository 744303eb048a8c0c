"""Fixtures of the reliability suite: a tiny experiment and ways to run the CLI.

Each case asserts what a user sees and what is left on disk: the exit status, a single
line on stderr without a traceback, and the files afterwards (nothing deleted that
ClusterLab did not write, nothing half-written, a folder that ``--resume`` completes).
"""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from clusterlab.experiments.design import load_experiment
from clusterlab.experiments.runner import run_experiment
from clusterlab.experiments.store import Results, load_results

SMALL_TOML = """\
name = "small"
preset = "baseline"
steps = 3
replicates = 2
seed = 5
outputs = ["timeseries"]

[fixed]
n_firms = 100

[design]
type = "grid"

[design.parameters]
cross_cluster_subsidy = [0.0, 1.0]
"""
"""2 points x 2 replicates = 4 runs of about 0.1 s each."""

SLOW_TOML = (
    SMALL_TOML.replace('name = "small"', 'name = "slow"')
    .replace("replicates = 2", "replicates = 8")
    .replace("steps = 3", "steps = 12")
)
"""16 runs of about 0.2 s each: long enough to be interrupted at a chosen moment.

(``SLOW_RUNS`` in test_data_safety.py is this count.)
"""


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    """The small experiment as a file in tmp_path."""
    path = tmp_path / "small.toml"
    path.write_text(SMALL_TOML)
    return path


@pytest.fixture(scope="session")
def small_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished results folder of the small experiment (tests that harm it copy it first)."""
    root = tmp_path_factory.mktemp("small_results")
    (root / "small.toml").write_text(SMALL_TOML)
    run_experiment(
        load_experiment(root / "small.toml"), root / "results", source=root / "small.toml"
    )
    return root / "results"


@pytest.fixture(scope="session")
def slow_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The slow experiment as a file."""
    path = tmp_path_factory.mktemp("slow") / "slow.toml"
    path.write_text(SLOW_TOML)
    return path


@pytest.fixture(scope="session")
def slow_reference(slow_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Results:
    """The slow experiment run once, uninterrupted, in this process."""
    out = tmp_path_factory.mktemp("slow_reference") / "results"
    run_experiment(load_experiment(slow_file), out)
    return load_results(out)


def _cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "clusterlab.experiments.cli", *args]


@pytest.fixture
def cli_command() -> Callable[..., list[str]]:
    """``cli_command(*args)``: the ``clusterlab`` command line run by this interpreter."""
    return _cli_command


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli(*args, cwd=None, env=None)`` runs clusterlab in a new process and returns it."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None):
        return subprocess.run(
            _cli_command(*args),
            cwd=cwd,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    return run


def _assert_one_line_error(stderr: str, *fragments: str) -> None:
    """Stderr is one 'clusterlab: error: ...' line naming every fragment, no traceback."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{stderr}"
    assert lines[0].startswith("clusterlab: error: "), lines[0]
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


@pytest.fixture
def one_line_error() -> Callable[..., None]:
    """``one_line_error(stderr, *fragments)``: one 'clusterlab: error:' line naming each."""
    return _assert_one_line_error


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes())
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, bytes | None]]:
    """``snapshot(folder)``: every path under it with its bytes (None for folders)."""
    return _snapshot
