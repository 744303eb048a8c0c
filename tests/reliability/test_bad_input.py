"""Bad input gets one line, a non-zero exit and writes nothing.

Command-line options, unreachable executors, and results folders that are missing,
damaged or asked for what they do not hold. Malformed experiment files are covered in
``test_experiment_files.py``, parameter values in ``test_parameter_space.py``.
"""

import shutil
from pathlib import Path

import pytest

import clusterlab.experiments.commands
from clusterlab.experiments.cli import main


def _run_args(out: Path, *extra: str) -> list[str]:
    return ["run", "--steps", "1", "--set", "n_firms=30", "--out", str(out), *extra]


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--seed", "-1"], ["--seed", "Got -1"]),
        (["--seed", str(2**64)], ["--seed"]),
        (["--steps", "-3"], ["--steps", "Got -3"]),
        (["--set", "n_firms"], ["--set takes name=value"]),
        (["--set", "n_frims=30"], ["n_frims", "n_firms"]),
        (["--set", "cross_cluster_subsidy=1.5"], ["cross_cluster_subsidy", "1.5"]),
        (["--preset", "baselin"], ["baselin"]),
    ],
    ids=[
        "negative seed",
        "huge seed",
        "negative steps",
        "set without =",
        "misspelled",
        "out of range",
        "unknown preset",
    ],
)
def test_bad_run_options_are_one_line_and_write_nothing(
    args, fragments, tmp_path, capsys, one_line_error
):
    status = main(_run_args(tmp_path / "out", *args))
    assert status == 2
    one_line_error(capsys.readouterr().err, *fragments)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("out", ["/proc/clusterlab-x", "/proc/self/status/x"])
def test_an_unwritable_output_folder_is_one_line(out, small_file, capsys, one_line_error):
    assert main(["sweep", str(small_file), "--out", out, "--workers", "0"]) == 2
    one_line_error(capsys.readouterr().err, out)
    assert main(_run_args(Path(out))) == 2
    one_line_error(capsys.readouterr().err, out)


def test_an_unreachable_dask_scheduler_is_one_line_and_writes_nothing(
    small_file, tmp_path, capsys, monkeypatch, one_line_error
):
    monkeypatch.setattr(clusterlab.experiments.commands, "DASK_CONNECT_SECONDS", 1)
    out = tmp_path / "results"
    for address in ("tcp://127.0.0.1:1", "not an address"):
        assert main(["sweep", str(small_file), "--out", str(out), "--dask", address]) == 2
        one_line_error(capsys.readouterr().err, "--dask", repr(address))
    assert not out.exists()


# --- damaged results folders ------------------------------------------------------------------


def _damaged(small_results: Path, tmp_path: Path, damage: str) -> Path:
    out = tmp_path / "results"
    shutil.copytree(small_results, out)
    summary = out / "runs" / "000001.summary.parquet"
    if damage == "zero-byte summary":
        summary.write_bytes(b"")
    elif damage == "corrupt summary":
        summary.write_bytes(summary.read_bytes()[:50])
    elif damage == "corrupt timeseries":
        (out / "runs" / "000002.timeseries.parquet").write_bytes(b"PAR1 garbage")
    elif damage == "missing design":
        (out / "design.parquet").unlink()
    elif damage == "corrupt manifest":
        (out / "manifest.json").write_text('{"experiment": ')
    elif damage == "manifest of another shape":
        (out / "manifest.json").write_text("[1, 2]")
    elif damage == "corrupt failure record":
        (out / "failed" / "3.json").write_text("{")
    return out


DAMAGES = {
    "zero-byte summary": "000001.summary.parquet",
    "corrupt summary": "000001.summary.parquet",
    "corrupt timeseries": "000002.timeseries.parquet",
    "missing design": "design.parquet",
    "corrupt manifest": "manifest.json",
    "manifest of another shape": "manifest.json",
    "corrupt failure record": "3.json",
}


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("command", ["status", "compare"])
def test_status_and_compare_on_a_damaged_folder_are_one_line_and_write_nothing(
    command, damage, small_results, tmp_path, capsys, one_line_error, snapshot
):
    out = _damaged(small_results, tmp_path, damage)
    before = snapshot(out)
    status = main([command, str(out)])
    if command == "status" and damage == "corrupt timeseries":
        assert status == 0  # status reads summaries only; compare reads the time series
        return
    assert status == 2
    one_line_error(capsys.readouterr().err, DAMAGES[damage])
    assert snapshot(out) == before


@pytest.mark.parametrize("damage", ["missing design", "zero-byte summary"])
def test_the_message_s_repair_works(damage, small_results, tmp_path, capsys):
    out = _damaged(small_results, tmp_path, damage)
    source = small_results.parent / "small.toml"
    if damage == "zero-byte summary":
        (out / "runs" / "000001.summary.parquet").unlink()  # as the message says
    assert main(["sweep", str(source), "--out", str(out), "--resume", "--workers", "0"]) == 0
    assert main(["status", str(out)]) == 0
    capsys.readouterr()


def test_status_and_compare_of_a_missing_or_foreign_folder(tmp_path, capsys, one_line_error):
    assert main(["status", str(tmp_path / "nothing")]) == 2
    one_line_error(capsys.readouterr().err, "does not exist")
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["compare", str(tmp_path)]) == 2
    one_line_error(capsys.readouterr().err, "not a ClusterLab results folder")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_an_unknown_baseline_is_one_line_and_writes_nothing(
    small_results, tmp_path, capsys, one_line_error, snapshot
):
    out = tmp_path / "results"
    shutil.copytree(small_results, out)
    before = snapshot(out)
    assert main(["compare", str(out), "--baseline", "cross_cluster_subsidy=0.1"]) == 2
    one_line_error(capsys.readouterr().err, "--baseline", "cross_cluster_subsidy=0.0")
    assert snapshot(out) == before


def test_a_report_that_fails_half_way_leaves_the_folder_as_it_was(
    small_results, tmp_path, capsys, monkeypatch, snapshot
):
    import clusterlab.experiments.report_sections

    out = tmp_path / "results"
    shutil.copytree(small_results, out)
    before = snapshot(out)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(clusterlab.experiments.report_sections, "plot_fan", full_disk)
    assert main(["compare", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert snapshot(out) == before
