"""Tests of experiments/runner.py: executors, resume after SIGKILL, failure isolation,
protection of results folders, and worker memory over many runs."""

import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from dask.distributed import Client, LocalCluster

import clusterlab.experiments.runner
from clusterlab.experiments.cli import main
from clusterlab.experiments.design import load_experiment, parse_experiment
from clusterlab.experiments.errors import OutputError
from clusterlab.experiments.folders import MARKER, read_marker
from clusterlab.experiments.runner import RunOutcome, check_folder, local_executor, run_experiment
from clusterlab.experiments.store import TMP_MARK, Results, ResultStore, load_results
from clusterlab.model import ClusterModel
from clusterlab.model.errors import ParameterError
from clusterlab.model.presets import preset
from clusterlab.model.simulate import simulate

FAILING_TOML = """\
name = "failing"
steps = 3
replicates = 2
seed = 5
extensions = ["failing_extension:FAILING"]

[fixed]
n_firms = 100

[design]
type = "scenarios"

[[design.scenarios]]
preset = "baseline"

[[design.scenarios]]
name = "asked to fail"
preset = "baseline"
set = {fail_now = 1.0}

[[design.scenarios]]
preset = "ris3_relatedness"
"""
"""3 points x 2 replicates; runs 2 and 3 (the middle point) raise in their first year
(the ``failing_extension`` fixture)."""

ONE_RUN_TOML = """\
name = "one"
description = "One short run."
steps = 2
replicates = 1

[fixed]
n_firms = 100

[design]
type = "grid"

[design.parameters]
cross_cluster_subsidy = [0.5]
"""


def _sweep(path: Path, out: Path, *options: str) -> int:
    """``clusterlab sweep`` in this process, running the runs here too (--workers 0)."""
    return main(["sweep", str(path), "--workers", "0", "--out", str(out), *options])


# --- identical results whichever executor runs them --------------------------------------


def test_reference_ran_in_this_process(tiny_reference: Results) -> None:
    assert tiny_reference.summary["worker_pid"].unique().tolist() == [os.getpid()]


def test_process_pool_gives_the_in_process_results(
    tiny_file: Path,
    tiny_reference: Results,
    tmp_path: Path,
    assert_same_results: Callable[[Results, Results], None],
) -> None:
    pids: list[int] = []
    with local_executor(2) as pool:
        report = run_experiment(
            load_experiment(tiny_file),
            tmp_path / "pool",
            executor=pool,
            workers=2,
            on_outcome=lambda o: pids.append(o.worker_pid),
        )
    assert (report.completed, report.failed) == (6, 0)
    assert os.getpid() not in pids
    assert 1 <= len(set(pids)) <= 2
    assert_same_results(load_results(tmp_path / "pool"), tiny_reference)


def test_pool_workers_start_with_the_model_imported_and_the_heap_frozen() -> None:
    with local_executor(1) as pool:
        frozen, imported = pool.submit(_worker_state).result()
    assert imported
    assert frozen > 10_000  # the imports' objects are out of the collector's reach


def _worker_state() -> tuple[int, bool]:
    import gc

    return gc.get_freeze_count(), "clusterlab.model.simulate" in sys.modules


def test_dask_cluster_gives_the_in_process_results(
    tiny_file: Path,
    tiny_reference: Results,
    tmp_path: Path,
    assert_same_results: Callable[[Results, Results], None],
) -> None:
    pids: list[int] = []
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        report = run_experiment(
            load_experiment(tiny_file),
            tmp_path / "dask",
            executor=client.get_executor(),
            workers=2,
            on_outcome=lambda o: pids.append(o.worker_pid),
        )
    assert (report.completed, report.failed) == (6, 0)
    assert os.getpid() not in pids
    assert_same_results(load_results(tmp_path / "dask"), tiny_reference)


# --- a sweep killed with SIGKILL, then resumed --------------------------------------------


def _summaries(out: Path) -> list[Path]:
    return sorted((out / "runs").glob("*.summary.parquet")) if (out / "runs").is_dir() else []


def _kill_after_first_summary(command: list[str], out: Path, timeout: float = 120) -> int:
    """Start ``command`` in its own process group, SIGKILL the group once a run is stored."""
    proc = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + timeout
    try:
        while not _summaries(out) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its worker process
        _, err = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, f"sweep ended before it was killed: {err!r}"
    return len(_summaries(out))


def test_sweep_killed_mid_way_resumes_to_the_uninterrupted_results(
    tiny_file: Path,
    tiny_reference: Results,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    assert_same_results: Callable[[Results, Results], None],
) -> None:
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "clusterlab.experiments.cli", "sweep", str(tiny_file)]
    n_done = _kill_after_first_summary([*command, "--workers", "1", "--out", str(out)], out)
    assert 1 <= n_done < 6, f"{n_done} of 6 runs finished before the kill"
    # Also what a kill during a write leaves: a temporary file of the last (missing) run.
    (out / "runs" / f"000005.summary.parquet{TMP_MARK}99999").write_bytes(b"PAR1 cut short")

    assert _sweep(tiny_file, out, "--resume") == 0
    capsys.readouterr()

    results = load_results(out)
    assert_same_results(results, tiny_reference)
    assert [p.name for p in _summaries(out)] == [f"{i:06d}.summary.parquet" for i in range(6)]
    assert len(list((out / "runs").glob("*.timeseries.parquet"))) == 6
    assert list(out.rglob(f"*{TMP_MARK}*")) == []
    assert list((out / "failed").iterdir()) == []
    # runs stored before the kill were kept, not run again by the resumed sweep
    ran_here = results.summary["worker_pid"] == os.getpid()
    assert ran_here.tolist() == [False] * n_done + [True] * (6 - n_done)


# --- a run that raises is isolated --------------------------------------------------------


def test_shock_industry_99_passes_validation_but_the_model_raises() -> None:
    params = preset("baseline", n_firms=100, shock_industry=99)  # allowed range [-1, 100]
    with pytest.raises(ParameterError, match=r"'shock_industry' .* below \d+\. Got 99\."):
        ClusterModel(params=params, rng=1)


def test_failing_run_is_recorded_and_the_sweep_goes_on(
    write_toml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    failing_extension: str,
) -> None:
    path, out = write_toml(FAILING_TOML), tmp_path / "results"
    # through a worker process: the traceback must come back as text
    status = main(["sweep", str(path), "--workers", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 1
    assert f"{out}/failed" in err

    store = ResultStore(out)
    assert (store.done(), store.failed()) == ({0, 1, 4, 5}, {2, 3})
    record = json.loads((out / "failed" / "2.json").read_text())
    assert (record["run_id"], record["scenario"], record["replicate"]) == (2, "asked to fail", 0)
    assert record["overrides"] == {"n_firms": 100, "fail_now": 1.0}
    assert record["traceback"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: this run was asked to fail" in record["traceback"]
    failed = load_results(out).failed
    assert failed["run_id"].tolist() == [2, 3]

    assert main(["status", str(out)]) == 1
    report = capsys.readouterr().out
    assert re.search(r"finished: 4\s+failed: 2\s+missing: 0", report)
    assert "failed run ids: 2, 3" in report

    # a later --resume retries the failed runs, and only them
    retried: list[tuple[int, bool]] = []
    again = run_experiment(
        load_experiment(path),
        out,
        resume=True,
        on_outcome=lambda o: retried.append((o.spec.run_id, o.ok)),
    )
    assert retried == [(2, False), (3, False)]
    assert (again.n_runs, again.skipped, again.completed, again.failed) == (6, 4, 0, 2)


def test_resume_retries_a_failed_run_and_clears_its_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = parse_experiment(
        {
            "name": "flaky",
            "steps": 2,
            "replicates": 1,
            "fixed": {"n_firms": 100},
            "design": {"type": "grid", "parameters": {"cross_cluster_subsidy": [0.0, 0.5]}},
        }
    )
    simulate = clusterlab.experiments.runner.simulate

    def lost_node(params: Any, seed: int, steps: int, **options: Any) -> Any:
        if params.policy.cross_cluster_subsidy > 0:
            raise RuntimeError("worker lost its node")
        return simulate(params, seed=seed, steps=steps, **options)

    monkeypatch.setattr(clusterlab.experiments.runner, "simulate", lost_node)
    first = run_experiment(exp, tmp_path / "flaky")
    assert (first.completed, first.failed) == (1, 1)
    record = json.loads((tmp_path / "flaky" / "failed" / "1.json").read_text())
    assert "RuntimeError: worker lost its node" in record["traceback"]

    monkeypatch.undo()
    second = run_experiment(exp, tmp_path / "flaky", resume=True)
    assert (second.skipped, second.completed, second.failed) == (1, 1, 0)
    store = ResultStore(tmp_path / "flaky")
    assert (store.done(), store.failed()) == ({0, 1}, set())


# --- an existing results folder ----------------------------------------------------------


def test_changed_experiment_is_refused_description_resumes_force_replaces(
    write_toml: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, out = write_toml(ONE_RUN_TOML), tmp_path / "results"
    assert _sweep(path, out) == 0
    summary = out / "runs" / "000000.summary.parquet"
    stored = summary.stat().st_mtime_ns
    capsys.readouterr()

    path.write_text(ONE_RUN_TOML.replace("steps = 2", "steps = 3"))
    for options in ([], ["--resume"]):
        assert _sweep(path, out, *options) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert re.search(
            rf"Results folder '{re.escape(str(out))}' holds runs of a different experiment "
            r"\(fingerprint \w+ vs \w+\); use --out for a new folder or --force to replace it\.",
            err,
        )
    assert load_results(out).manifest["steps"] == 2
    assert summary.stat().st_mtime_ns == stored

    path.write_text(ONE_RUN_TOML.replace("One short run.", "One short run, described anew."))
    assert _sweep(path, out) == 2
    assert "already holds this experiment; pass --resume" in capsys.readouterr().err
    assert _sweep(path, out, "--resume") == 0
    assert summary.stat().st_mtime_ns == stored  # nothing to run again

    path.write_text(ONE_RUN_TOML.replace("steps = 2", "steps = 3"))
    assert _sweep(path, out, "--force") == 0
    results = load_results(out)
    assert results.manifest["steps"] == 3
    assert results.timeseries["step"].max() == 3


def test_force_never_deletes_a_folder_that_is_not_a_results_folder(
    write_toml: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, thesis = write_toml(ONE_RUN_TOML), tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "thesis.tex").write_text("three years of work")
    for options in ([], ["--force"], ["--resume"]):
        assert _sweep(path, thesis, *options) == 2
        err = capsys.readouterr().err
        assert re.search("is not a ClusterLab results folder|ClusterLab did not write it", err)
    assert [p.name for p in thesis.iterdir()] == ["thesis.tex"]


USER_FOLDERS = {
    # entries named as ClusterLab names its own, written by the user
    "report": {"report.md": "notes", "tables/mydata.csv": "a,b", "figures/fig1.png": "img"},
    "another tool's manifest": {"manifest.json": '{"name": "my pwa"}', "runs/log1.txt": "x"},
    "a run's names": {"summary.json": '{"my": 1}', "design.parquet": "not parquet"},
}


@pytest.mark.parametrize("layout", sorted(USER_FOLDERS))
def test_a_folder_with_clusterlab_names_but_not_written_by_it_is_left_alone(
    layout: str,
    write_toml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Ownership is ClusterLab's marker (or, from earlier versions, its manifest read and
    # checked), never the names of the entries: a user's report.md is not ours to delete.
    path, folder = write_toml(ONE_RUN_TOML), tmp_path / "paper"
    for name, text in USER_FOLDERS[layout].items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    before = sorted((str(p.relative_to(folder)), p.read_bytes()) for p in folder.rglob("*.*"))
    for options in ([], ["--force"], ["--resume"]):
        assert _sweep(path, folder, *options) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1
        assert re.search("is not a ClusterLab results folder|ClusterLab did not write it", err)
    after = sorted((str(p.relative_to(folder)), p.read_bytes()) for p in folder.rglob("*.*"))
    assert after == before


def test_a_results_folder_of_an_earlier_version_is_still_ours(
    write_toml: Callable[..., Path], tmp_path: Path
) -> None:
    # Folders written before the marker existed are known by their manifest.
    path, out = write_toml(ONE_RUN_TOML), tmp_path / "old"
    assert _sweep(path, out) == 0
    (out / MARKER).unlink()
    assert ResultStore(out).written_by_us()
    assert _sweep(path, out, "--resume") == 0
    assert _sweep(path, out, "--force") == 0
    assert read_marker(out) == "results"


def test_output_path_that_is_a_file_is_a_one_line_error(
    write_toml: Callable[..., Path], tmp_path: Path
) -> None:
    exp = load_experiment(write_toml(ONE_RUN_TOML))
    a_file = tmp_path / "notes.txt"
    a_file.write_text("notes")
    with pytest.raises(OutputError, match=r"'.*notes\.txt' is a file, not a results folder"):
        check_folder(a_file, force=True)
    with pytest.raises(OutputError, match=r"'.*notes\.txt' is a file, not a results folder"):
        run_experiment(exp, a_file, force=True)
    assert a_file.read_text() == "notes"


# --- memory ------------------------------------------------------------------------------


def test_worker_memory_stays_flat_over_many_runs(tmp_path: Path) -> None:
    # Calibration (one process, 30 runs of 250 firms x 2 years): resident memory rises
    # ~10 MB over the first ~10 runs (allocator and library caches) and then stays flat;
    # with ClusterModel.release() made a no-op it rises ~45 MB from run 5 to run 30.
    exp = parse_experiment(
        {
            "name": "memory",
            "steps": 2,
            "replicates": 30,
            "fixed": {"n_firms": 250},
            "design": {"type": "scenarios", "scenarios": [{"preset": "ris3_relatedness"}]},
        }
    )
    outcomes: list[RunOutcome] = []
    with local_executor(1) as pool:
        run_experiment(exp, tmp_path / "memory", executor=pool, on_outcome=outcomes.append)
    assert len({o.worker_pid for o in outcomes}) == 1  # one worker process did every run
    rss = [o.worker_rss_mb for o in outcomes]  # in the order the worker ran them
    growth = rss[-1] - rss[4]
    print(  # noqa: T201 - the numbers are the point of this test
        f"\nworker RSS over {len(rss)} runs (MB): {', '.join(f'{v:.0f}' for v in rss)}"
        f"\nrun 5 -> run {len(rss)}: {rss[4]:.1f} -> {rss[-1]:.1f} MB ({growth:+.1f} MB)"
    )
    assert rss[4] > 50  # measured at all (0 where /proc is missing)
    assert growth < 20, f"worker memory grew {growth:.1f} MB from run 5 to run {len(rss)}"


def test_in_process_runs_leave_no_mesa_registries(
    write_toml: Callable[..., Path],
    tmp_path: Path,
    live_models: Callable[[], list],
    failing_extension: str,
) -> None:
    before = {id(m) for m in live_models()}
    report = run_experiment(load_experiment(write_toml(FAILING_TOML)), tmp_path / "in process")
    assert (report.completed, report.failed) == (4, 2)
    assert [m for m in live_models() if id(m) not in before] == []


def _running(pid: int) -> bool:
    """Whether a process exists and is not a zombie (Linux /proc)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _fail_inside_a_pool(workers: list[Any], spare: set[int]) -> None:
    import multiprocessing

    with local_executor(1) as pool:
        assert pool is not None
        pool.submit(time.sleep, 0).result()  # the worker is up
        workers += [c for c in multiprocessing.active_children() if c.pid not in spare]
        raise RuntimeError("write failed")


def test_an_interrupted_pool_stops_its_workers_and_nothing_else() -> None:
    import multiprocessing

    notebook_process = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(60,))
    notebook_process.start()  # a child of the user's own, started before the pool
    # every child that exists before the pool (the notebook's, or one an earlier test of
    # this session left behind) is not the pool's: only the pool's workers must stop
    before = {c.pid for c in multiprocessing.active_children()}
    workers: list[Any] = []
    try:
        with pytest.raises(RuntimeError, match="write failed"):
            _fail_inside_a_pool(workers, before)
        assert workers
        # the OS's word, not Process.is_alive(): the pool's manager thread may reap a
        # worker first, and then the Process object never learns its exit code
        assert not [w.pid for w in workers if _running(w.pid)]
        assert notebook_process.is_alive()
    finally:
        notebook_process.kill()
        notebook_process.join()


# --- CPU beyond the simulations (issue #18) -----------------------------------------------


def test_a_sweep_not_keeping_events_skips_building_them_and_changes_nothing_else() -> None:
    exp = parse_experiment(
        {
            "name": "events",
            "steps": 3,
            "replicates": 1,
            "fixed": {"n_firms": 100},
            "outputs": ["timeseries", "events"],
            "design": {"type": "grid", "parameters": {"cross_cluster_subsidy": [0.5]}},
        }
    )
    spec = exp.runs()[0]
    lean = dataclasses.replace(spec, outputs=("timeseries",))
    assert clusterlab.experiments.runner._asked(lean) == {"events": False}
    assert clusterlab.experiments.runner._asked(spec) == {}
    full, without = (
        clusterlab.experiments.runner.execute(spec),
        clusterlab.experiments.runner.execute(lean),
    )
    assert full.ok
    assert without.ok
    assert "events_innovation" in full.tables
    assert set(without.tables) == {"timeseries"}
    pd.testing.assert_frame_equal(full.tables["timeseries"], without.tables["timeseries"])
    assert json.dumps(full.summary) == json.dumps(without.summary)  # NaN-safe equality


def test_simulate_without_events_gives_the_same_run() -> None:
    full = simulate(preset("baseline", n_firms=100), seed=4, steps=3)
    lean = simulate(preset("baseline", n_firms=100), seed=4, steps=3, events=False)
    assert lean.events == {}
    assert full.events["innovation"].shape[0] > 0
    pd.testing.assert_frame_equal(full.timeseries, lean.timeseries)
    pd.testing.assert_frame_equal(full.panel, lean.panel)
    assert json.dumps(full.summary) == json.dumps(lean.summary)


def test_a_pool_worker_flushes_its_output_and_exits_0_without_teardown() -> None:
    code = (
        "import sys\n"
        "from clusterlab.experiments.runner import init_worker\n"
        "init_worker()\n"
        "sys.stdout.write('written before exit')\n"  # no newline: still buffered at exit
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "written before exit", "")


def test_a_worker_whose_parent_died_while_it_started_exits_at_once() -> None:
    # The parent id is passed by the pool; a worker re-parented before its set-up (the
    # parent was killed during the worker's imports) must not wait for a parent it lost.
    code = (
        "import os, time\n"
        "from clusterlab.experiments.pool import init_worker\n"
        "init_worker(parent=os.getppid() + 1_000_000)\n"  # not this process's parent
        "time.sleep(600)\n"  # an orphan would sleep on: the run below times out
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=120, check=False
    )
    assert (done.returncode, done.stderr) == (1, b"")  # ended by the check, no traceback


def test_pool_workers_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    # A parent killed with SIGKILL cannot stop its workers; their watchdog ends them.
    pids = tmp_path / "pids"
    code = (
        "import os, time\n"
        "from clusterlab.experiments.pool import local_executor\n"
        "if __name__ == '__main__':\n"
        "    with local_executor(1) as pool:\n"
        "        pid = pool.submit(os.getpid).result()\n"
        f"        open({str(pids)!r}, 'w').write(str(pid))\n"
        "        pool.submit(time.sleep, 60)\n"
        "        time.sleep(60)\n"
    )
    script = tmp_path / "parent.py"
    script.write_text(code)
    proc = subprocess.Popen([sys.executable, str(script)])
    try:
        deadline = time.monotonic() + 120
        while not (pids.is_file() and pids.read_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        worker = int(pids.read_text())
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker), "the worker outlived its killed parent"


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not reaped by init yet, counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_deleted_table_makes_its_run_unfinished_and_resume_computes_it_again(
    write_toml: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The repair a corrupt table's message gives (delete it, resume) must give the whole
    # result again, not a report over fewer runs.
    path = write_toml(ONE_RUN_TOML.replace("replicates = 1", "replicates = 3"))
    out = tmp_path / "res"
    assert _sweep(path, out) == 0
    before = load_results(out).timeseries
    table = out / "runs" / "000001.timeseries.parquet"
    table.write_bytes(table.read_bytes()[:100])  # truncated: corrupt
    with pytest.raises(OutputError, match=r"delete that file and run .*--resume"):
        _ = load_results(out).timeseries
    table.unlink()
    with pytest.raises(OutputError, match=r"1 finished run\(s\) .* lack their timeseries"):
        _ = load_results(out).timeseries
    assert ResultStore(out).done() == {0, 2}
    capsys.readouterr()
    assert main(["status", str(out)]) == 1  # not complete
    assert "missing: 1" in capsys.readouterr().out
    assert _sweep(path, out, "--resume") == 0
    assert "1 runs completed now, 2 already done" in capsys.readouterr().out
    pd.testing.assert_frame_equal(load_results(out).timeseries, before)
    shutil.rmtree(out / "runs")  # every run deleted: resume starts them again
    shutil.rmtree(out / "failed")
    assert _sweep(path, out, "--resume") == 0
    assert "3 runs completed now, 0 already done" in capsys.readouterr().out
    pd.testing.assert_frame_equal(load_results(out).timeseries, before)
