"""Users' data is never lost: what --force may replace, resuming after any kill, the lock.

Every case asserts the exit status, the one-line message and the files left afterwards.
"""

import json
import math
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterlab.experiments.cli import main
from clusterlab.experiments.design import load_experiment
from clusterlab.experiments.errors import OutputError
from clusterlab.experiments.folders import (
    LOCK_FILE,
    MARKER,
    OWNER_FILE,
    locked,
    protected_reason,
    write_marker,
)
from clusterlab.experiments.runner import run_experiment
from clusterlab.experiments.store import load_results

SLOW_RUNS = 16  # runs of the slow experiment (tests/reliability/conftest.py)

# --- --force replaces only what ClusterLab wrote ---------------------------------------------


def _precious(folder: Path, snapshot) -> dict[str, bytes | None]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "thesis.tex").write_text("three years of work")
    (folder / "data").mkdir(exist_ok=True)
    (folder / "data" / "survey.csv").write_text("a,b\n1,2\n")
    return snapshot(folder)


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_force_on_the_current_directory_is_refused_and_nothing_is_touched(
    command, cli, tmp_path, small_file, one_line_error, snapshot
):
    cwd = tmp_path / "work"
    before = _precious(cwd, snapshot)
    args = ["run", "--steps", "1", "--set", "n_firms=30"] if command == "run" else ["sweep"]
    args += [str(small_file)] if command == "sweep" else []
    proc = cli(*args, "--out", ".", "--force", cwd=cwd)
    assert proc.returncode == 2
    one_line_error(proc.stderr, "--force will not replace", "the current directory")
    assert snapshot(cwd) == before


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_force_on_a_parent_of_the_current_directory_is_refused(
    command, cli, tmp_path, small_file, one_line_error, snapshot
):
    parent = tmp_path / "project"
    _precious(parent, snapshot)
    (parent / "sub").mkdir()
    before = snapshot(parent)
    args = ["run", "--steps", "1", "--set", "n_firms=30"] if command == "run" else ["sweep"]
    args += [str(small_file)] if command == "sweep" else []
    proc = cli(*args, "--out", "..", "--force", cwd=parent / "sub")
    assert proc.returncode == 2
    one_line_error(proc.stderr, "a parent of the current directory")
    assert snapshot(parent) == before


def test_force_on_the_home_directory_is_refused(
    cli, tmp_path, small_file, one_line_error, snapshot
):
    home = tmp_path / "home"
    before = _precious(home, snapshot)
    env = {"HOME": str(home), "MPLCONFIGDIR": str(tmp_path / "mpl")}  # matplotlib's cache
    proc = cli("sweep", str(small_file), "--out", str(home), "--force", env=env)
    assert proc.returncode == 2
    one_line_error(proc.stderr, "the home directory")
    assert snapshot(home) == before


def test_roots_home_and_the_working_directory_are_protected(tmp_path, monkeypatch):
    # Checked on the function only: a regression must not be able to touch '/'.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert protected_reason(Path("/")) == "a file-system root"
    assert protected_reason(tmp_path / "h") == "the home directory"
    assert protected_reason(Path(".")) == "the current directory"
    assert protected_reason(tmp_path.parent) == "a parent of the current directory"
    assert protected_reason(tmp_path / "results") is None


def test_force_refuses_a_folder_clusterlab_did_not_write(
    cli, tmp_path, small_file, one_line_error, snapshot
):
    folder = tmp_path / "mine"
    before = _precious(folder, snapshot)
    for args in (
        ["sweep", str(small_file)],
        ["run", "--steps", "1", "--set", "n_firms=30"],
    ):
        proc = cli(*args, "--out", str(folder), "--force")
        assert proc.returncode == 2
        one_line_error(proc.stderr, str(folder))
        assert snapshot(folder) == before


def test_force_refuses_a_results_folder_holding_a_users_file(
    cli, tmp_path, small_file, one_line_error, snapshot
):
    out = tmp_path / "results"
    assert cli("sweep", str(small_file), "--out", str(out), "--workers", "0").returncode == 0
    (out / "my_notes.md").write_text("why run 3 looks odd")
    before = snapshot(out)
    proc = cli("sweep", str(small_file), "--out", str(out), "--force", "--workers", "0")
    assert proc.returncode == 2
    one_line_error(proc.stderr, "did not write", "my_notes.md")
    assert snapshot(out) == before


def test_force_replaces_a_results_folder_clusterlab_wrote(cli, tmp_path, small_file):
    out = tmp_path / "results"
    assert cli("sweep", str(small_file), "--out", str(out), "--workers", "0").returncode == 0
    assert cli("compare", str(out)).returncode == 0
    assert (out / "report.html").exists()
    proc = cli("sweep", str(small_file), "--out", str(out), "--force", "--workers", "0")
    assert proc.returncode == 0, proc.stderr
    assert not (out / "report.html").exists()  # the old report went with its runs
    assert len(load_results(out).summary) == 4


# --- resume after a kill at any moment ---------------------------------------------------------


CREATION_STATES = {
    "empty folder": [],
    "lock only": [LOCK_FILE, OWNER_FILE],
    "marker only": [LOCK_FILE, MARKER],
    "layout only": [LOCK_FILE, MARKER, "runs/", "failed/"],
    "design half-written": [LOCK_FILE, MARKER, "runs/", "failed/", "design.parquet.tmp-123"],
    "design, no manifest": [LOCK_FILE, MARKER, "runs/", "failed/", "design.parquet"],
    "manifest half-written": [
        LOCK_FILE,
        MARKER,
        "runs/",
        "failed/",
        "design.parquet",
        "manifest.json.tmp-123",
    ],
}
"""What a sweep killed while creating its folder leaves: the marker is its first write."""


@pytest.mark.parametrize("state", CREATION_STATES)
@pytest.mark.parametrize("resume", [True, False], ids=["--resume", "plain"])
def test_a_sweep_killed_while_creating_its_folder_resumes(state, resume, tmp_path, small_file):
    out = tmp_path / "results"
    out.mkdir()
    for entry in CREATION_STATES[state]:
        if entry.endswith("/"):
            (out / entry).mkdir()
        elif entry == MARKER:
            write_marker(out, "results")
        elif entry == "design.parquet":
            pd.DataFrame({"point": [0]}).to_parquet(out / entry)
        else:
            (out / entry).write_bytes(b"PAR1 cut" if "parquet" in entry else b"{")
    exp = load_experiment(small_file)
    # With or without --resume the sweep starts afresh: no finished run was there to keep.
    report = run_experiment(exp, out, resume=resume)
    assert (report.skipped, report.completed, report.missing) == (0, 4, 0)
    assert not list(out.rglob("*.tmp-*"))
    assert len(load_results(out).summary) == 4
    # Now the folder is complete: a sweep without --resume is refused.
    with pytest.raises(OutputError, match="pass --resume"):
        run_experiment(exp, out, resume=False)


def _summaries(out: Path) -> int:
    return len(list((out / "runs").glob("*.summary.parquet"))) if (out / "runs").is_dir() else 0


RANDOM_MOMENTS = [
    pytest.param(round(float(d), 2), marks=pytest.mark.deep)
    for d in np.random.default_rng(17).uniform(0.0, 6.0, size=5)
]
"""Five moments in the first 6 s (start-up, folder creation, runs), deep profile only."""


@pytest.mark.parametrize("delay", [0.0, 0.4, None, *RANDOM_MOMENTS])
def test_kill_9_at_any_moment_then_resume_equals_an_uninterrupted_sweep(
    delay, tmp_path, slow_file, slow_reference, cli, cli_command
):
    """SIGKILL the sweep's process group at a moment (None: after the first stored run).

    0 s is before the folder exists, 0.4 s while the CLI starts or creates it.
    """
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        cli_command("sweep", str(slow_file), "--out", str(out), "--workers", "2"),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    if delay is None:
        while _summaries(out) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
    else:
        time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    n_before = _summaries(out)
    resumed = cli("sweep", str(slow_file), "--out", str(out), "--resume", "--workers", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert f"{n_before} already done" in resumed.stdout
    got, want = load_results(out).summary, slow_reference.summary
    assert got["run_id"].tolist() == list(range(SLOW_RUNS))  # none lost, none twice
    outcomes = [c for c in want.columns if c not in ("started", "seconds", "host", "worker_pid")]
    outcomes.remove("worker_rss_mb")
    pd.testing.assert_frame_equal(got[outcomes], want[outcomes])


# --- one sweep at a time per folder --------------------------------------------------------------


def _start_sweep(cli_command, slow_file: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_command("sweep", str(slow_file), "--out", str(out), "--workers", "1", *extra),
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_runs(out: Path, n: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while _summaries(out) < n and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _summaries(out) >= n, proc.stderr.read() if proc.stderr else ""


def test_a_second_sweep_on_a_busy_folder_is_refused_naming_the_first(
    tmp_path, small_file, cli, one_line_error, snapshot
):
    out = tmp_path / "results"
    out.mkdir()
    with locked(out):  # this test process is the first sweep
        before = snapshot(out)
        second = cli("sweep", str(small_file), "--out", str(out), "--workers", "0")
        assert second.returncode == 2
        one_line_error(second.stderr, "in use by another sweep", f"pid {os.getpid()}", "--wait")
        assert snapshot(out) == before  # the second sweep wrote nothing


def test_wait_starts_when_the_first_sweep_has_finished(tmp_path, small_file, cli):
    out = tmp_path / "results"
    out.mkdir()
    held = threading.Event()

    def first_sweep() -> None:
        with locked(out):
            held.set()
            time.sleep(6.0)  # longer than the CLI takes to start

    thread = threading.Thread(target=first_sweep)
    thread.start()
    held.wait()
    start = time.monotonic()
    second = cli("sweep", str(small_file), "--out", str(out), "--wait", "--workers", "0")
    thread.join()
    assert second.returncode == 0, second.stderr
    assert time.monotonic() - start >= 5.5  # it waited for the lock
    assert "4 runs completed now, 0 already done" in second.stdout


def test_a_lock_left_by_a_killed_sweep_is_taken_over(tmp_path, slow_file, cli, cli_command):
    out = tmp_path / "results"
    first = _start_sweep(cli_command, slow_file, out)
    _wait_for_runs(out, 1, first)
    os.killpg(first.pid, signal.SIGKILL)
    first.communicate()
    owner = json.loads((out / OWNER_FILE).read_text())
    assert owner["pid"] == first.pid  # the dead sweep's record is still there
    resumed = cli("sweep", str(slow_file), "--out", str(out), "--resume", "--workers", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert not (out / OWNER_FILE).exists()
    assert len(load_results(out).summary) == SLOW_RUNS


# --- interrupted sweeps stop their workers and say how to resume ------------------------------


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def _sweep_with_workers(
    cli_command, slow_file: Path, out: Path
) -> tuple[subprocess.Popen[str], list[int]]:
    # As from a terminal: Ctrl+C not ignored, whatever this test process was left with
    # (a child inherits an ignored SIGINT; seen under pytest-xdist).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(
            cli_command("sweep", str(slow_file), "--out", str(out), "--workers", "2"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    _wait_for_runs(out, 1, proc)
    # Hold the parent still (SIGSTOP; a signal sent now waits for SIGCONT): on a loaded
    # machine the 16 short runs could otherwise all finish before the test's signal lands.
    os.kill(proc.pid, signal.SIGSTOP)
    assert proc.poll() is None, "the sweep ended before it could be interrupted"
    workers = [p for p in _children(proc.pid) if _alive(p)]
    assert workers, "the sweep has no worker processes"
    return proc, workers


def test_workers_exit_within_seconds_of_their_parent_being_killed(tmp_path, slow_file, cli_command):
    proc, workers = _sweep_with_workers(cli_command, slow_file, tmp_path / "results")
    proc.kill()  # SIGKILL to the parent only: it cannot stop its workers itself
    proc.communicate()
    assert _wait_gone(workers, 5.0) == []


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_and_ctrl_c_stop_the_workers_and_say_how_to_resume(
    sig, status, tmp_path, slow_file, cli, cli_command
):
    out = tmp_path / "results"
    proc, workers = _sweep_with_workers(cli_command, slow_file, out)
    proc.send_signal(sig)
    os.kill(proc.pid, signal.SIGCONT)  # the signal is delivered as the parent resumes
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == status
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("clusterlab: ")
    assert f"--resume --out {out}" in last
    assert _wait_gone(workers, 5.0) == []
    assert not list(out.rglob("*.tmp-*"))
    resumed = cli("sweep", str(slow_file), "--out", str(out), "--resume", "--workers", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert load_results(out).summary["run_id"].tolist() == list(range(SLOW_RUNS))


# --- a write error mid-sweep --------------------------------------------------------------------


@pytest.mark.parametrize("workers", ["0", "1"])
def test_a_full_disk_mid_sweep_is_one_line_and_resumable(
    workers, tmp_path, small_file, capsys, monkeypatch, one_line_error
):
    import clusterlab.experiments.store

    out = tmp_path / "results"
    real = clusterlab.experiments.store.write_parquet
    calls = {"n": 0}

    def full_disk_after_two_runs(df, path):
        if "runs" in path.parts:
            calls["n"] += 1
            if calls["n"] > 4:  # two runs of two files each
                raise OSError(28, "No space left on device")
        real(df, path)

    monkeypatch.setattr(clusterlab.experiments.store, "write_parquet", full_disk_after_two_runs)
    status = main(["sweep", str(small_file), "--out", str(out), "--workers", workers])
    err = capsys.readouterr().err
    assert status == 2
    one_line_error(err, "No space left on device", "--resume")
    assert not list(out.rglob("*.tmp-*"))
    monkeypatch.setattr(clusterlab.experiments.store, "write_parquet", real)
    assert main(["sweep", str(small_file), "--out", str(out), "--resume", "--workers", "0"]) == 0
    assert "2 runs completed now, 2 already done" in capsys.readouterr().out


# --- permissions and strict JSON ----------------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o755), (0o077, 0o700), (0o002, 0o775)])
def test_folders_follow_the_users_umask(umask, mode, tmp_path, small_file, capsys):
    old = os.umask(umask)
    try:
        assert (
            main(["run", "--steps", "1", "--set", "n_firms=30", "--out", str(tmp_path / "r")]) == 0
        )
        assert main(["sweep", str(small_file), "--out", str(tmp_path / "s"), "--workers", "0"]) == 0
    finally:
        os.umask(old)
    capsys.readouterr()
    for folder in (tmp_path / "r", tmp_path / "s", tmp_path / "s" / "runs"):
        assert folder.stat().st_mode & 0o777 == mode, folder


def _strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_summary_json_is_strict_json_with_null_for_undefined_values(tmp_path, capsys):
    out = tmp_path / "run"
    # Two years of a tiny economy: no radical innovation, so spend per radical is undefined.
    assert main(["run", "--steps", "0", "--set", "n_firms=30", "--out", str(out)]) == 0
    capsys.readouterr()
    meta = _strict((out / "summary.json").read_text())
    assert meta["summary"]["spend_per_radical_innovation"] is None
    assert all(v is None or math.isfinite(v) for v in meta["summary"].values())


def test_every_json_file_of_a_results_folder_is_strict(tmp_path, small_file, capsys):
    out = tmp_path / "results"
    assert main(["sweep", str(small_file), "--out", str(out), "--workers", "0"]) == 0
    capsys.readouterr()
    for path in out.rglob("*.json"):
        _strict(path.read_text())


def test_a_layout_without_the_marker_is_not_taken_for_a_killed_sweep(tmp_path, small_file):
    # runs/ and failed/ are names a user's folder can have too: without ClusterLab's
    # marker (a sweep's first write) the folder is not adopted, and nothing is written.
    out = tmp_path / "results"
    (out / "runs").mkdir(parents=True)
    (out / "failed").mkdir()
    with pytest.raises(OutputError, match="is not a ClusterLab results folder"):
        run_experiment(load_experiment(small_file), out)
    assert sorted(p.name for p in out.iterdir()) == ["failed", "runs"]
