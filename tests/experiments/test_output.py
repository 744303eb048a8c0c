import json

import pytest

from clusterlab.experiments import output
from clusterlab.experiments.errors import OutputError
from clusterlab.experiments.output import write_run


def _entries(folder):
    return sorted(p.name for p in folder.iterdir())


def test_write_run_into_a_new_folder(tmp_path, small_result):
    out = write_run(small_result, tmp_path / "a" / "run", preset="ris3_relatedness")
    assert out == tmp_path / "a" / "run"
    assert "summary.json" in _entries(out)
    assert "timeseries.parquet" in _entries(out)
    meta = json.loads((out / "summary.json").read_text())
    assert meta["preset"] == "ris3_relatedness"
    assert meta["seed"] == small_result.seed
    assert _entries(tmp_path / "a") == ["run"]


def test_an_existing_empty_folder_is_filled_without_force(tmp_path, small_result):
    (tmp_path / "run").mkdir()
    write_run(small_result, tmp_path / "run", preset="x")
    assert (tmp_path / "run" / "trajectories.png").stat().st_size > 0


def test_refuses_a_non_empty_folder_and_a_file(tmp_path, small_result):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "old.txt").write_text("old")
    with pytest.raises(OutputError, match=r"Output folder '.*full' is not empty; .* --force"):
        write_run(small_result, tmp_path / "full", preset="x")
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match=r"Output path '.*file' is a file"):
        write_run(small_result, tmp_path / "file", preset="x")
    assert _entries(tmp_path) == ["file", "full"]


def _break_the_figure(monkeypatch):
    def broken(result, path):
        path.write_bytes(b"half a figure")
        raise RuntimeError("plotting failed midway")

    monkeypatch.setattr(output, "plot_trajectories", broken)


def test_a_write_failing_midway_leaves_no_folder_and_no_temp_folder(
    tmp_path, small_result, monkeypatch
):
    _break_the_figure(monkeypatch)
    with pytest.raises(RuntimeError, match="plotting failed midway"):
        write_run(small_result, tmp_path / "run", preset="x")
    assert not (tmp_path / "run").exists()
    assert _entries(tmp_path) == [], "a hidden .run.* temp folder was left behind"


def test_a_failing_forced_write_keeps_the_old_results(tmp_path, small_result, monkeypatch):
    out = write_run(small_result, tmp_path / "run", preset="old")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _break_the_figure(monkeypatch)
    with pytest.raises(RuntimeError, match="plotting failed midway"):
        write_run(small_result, out, preset="new", force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _entries(tmp_path) == ["run"]
