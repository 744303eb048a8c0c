"""Fixtures of the experiment-layer tests: tiny experiment files and one reference sweep.

Every experiment here is tiny (100-120 firms, 2-5 years, a handful of runs) so that the
runner tests, which start worker processes and a Dask cluster, finish in about a minute.
"""

import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from clusterlab.experiments.app_server import server_command, server_env
from clusterlab.experiments.design import load_experiment
from clusterlab.experiments.runner import run_experiment
from clusterlab.experiments.store import Results, load_results

TINY_TOML = """\
name = "tiny"
description = "Three subsidy levels, two replicates, four years of a 120-firm economy."
preset = "baseline"
steps = 4
replicates = 2
seed = 11
outputs = ["timeseries"]

[fixed]
n_firms = 120

[design]
type = "grid"

[design.parameters]
cross_cluster_subsidy = [0.0, 0.5, 1.0]
"""
"""3 design points x 2 replicates = 6 runs of about 0.15 s each."""

RUN_METADATA = ["started", "seconds", "host", "worker_pid", "worker_rss_mb"]
"""Summary columns that describe where and when a run ran, not what it produced."""


@pytest.fixture
def write_toml(tmp_path: Path) -> Callable[..., Path]:
    """``write_toml(text, name="experiment.toml")`` writes an experiment file in tmp_path."""

    def write(text: str, name: str = "experiment.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


@pytest.fixture(scope="session")
def tiny_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny experiment as a file."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.toml"
    path.write_text(TINY_TOML)
    return path


@pytest.fixture(scope="session")
def tiny_reference(tiny_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Results:
    """The tiny experiment run in this process, one run after another, uninterrupted."""
    out = tmp_path_factory.mktemp("reference") / "results"
    run_experiment(load_experiment(tiny_file), out, executor=None, source=tiny_file)
    return load_results(out)


def _comparable(results: Results) -> tuple[pd.DataFrame, pd.DataFrame]:
    summary = results.summary.drop(columns=RUN_METADATA)
    return summary.reset_index(drop=True), results.timeseries.reset_index(drop=True)


@pytest.fixture(scope="session")
def assert_same_results() -> Callable[[Results, Results], None]:
    """``assert_same_results(a, b)``: same summary and time series, run metadata aside.

    To the bit: the runs compared here ran on this machine with the same libraries, which
    is what ClusterLab promises to reproduce exactly (docs/reproducibility.md).
    """

    def check(actual: Results, expected: Results) -> None:
        got_summary, got_timeseries = _comparable(actual)
        want_summary, want_timeseries = _comparable(expected)
        pd.testing.assert_frame_equal(got_summary, want_summary, check_exact=True)
        pd.testing.assert_frame_equal(got_timeseries, want_timeseries, check_exact=True)

    return check


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a free localhost port for one browser-test module; stopped afterwards.

    Skips without Debian's Chromium. The server gets 60 s to stop (a loaded machine), then
    is killed, so no test module leaves it serving.
    """
    if shutil.which("chromium") is None:
        pytest.skip("needs Debian's Chromium (apt-get install chromium)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path_factory.mktemp("app") / "server.log").open("w")
    server = subprocess.Popen(
        server_command("127.0.0.1", port), env=server_env(), stdout=log, stderr=log
    )
    address = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(address, timeout=2).close()
                break
            except OSError:
                assert server.poll() is None, "the app server exited"
                assert time.monotonic() < deadline, "the app server did not answer"
                time.sleep(0.5)
        yield address
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a loaded machine: do not leave it serving
            server.kill()
            server.wait()
        log.close()


FAILING_EXTENSION = '''\
"""A test extension: its stage raises in every run whose ``fail_now`` is 1."""

from clusterlab.model.extension import Extension, ExtensionParam
from clusterlab.model.schedule import Stage


def fail(ws, params, rng, year):
    if year.settings["fail_now"] >= 1:
        raise RuntimeError("this run was asked to fail (fail_now = 1)")


FAILING = Extension(
    name="failing",
    after="rd_budgets",
    stages=(
        Stage(
            name="fail",
            actors=("firm",),
            run=fail,
            reads=(),
            writes=(),
            module="failing_extension",
            doc="raises when fail_now = 1",
        ),
    ),
    params=(ExtensionParam("fail_now", 0.0, 0.0, 1.0, "flag", "1: the run raises."),),
)
'''
"""A valid experiment whose runs can fail at run time: failure isolation and reports."""


@pytest.fixture(scope="session")
def failing_extension(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Make ``failing_extension:FAILING`` importable here and in spawned workers."""
    import sys

    folder = tmp_path_factory.mktemp("extension")
    (folder / "failing_extension.py").write_text(FAILING_EXTENSION)
    sys.path.insert(0, str(folder))  # workers inherit the parent's sys.path
    yield "failing_extension:FAILING"
    sys.path.remove(str(folder))
