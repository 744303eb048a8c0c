"""Tests of experiments/store.py: folder layout, atomic writes, load_results."""

from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterlab.experiments.design import load_experiment
from clusterlab.experiments.errors import OutputError
from clusterlab.experiments.folders import write_marker
from clusterlab.experiments.store import (
    MANIFEST,
    TMP_MARK,
    Results,
    ResultStore,
    load_results,
    write_json,
    write_parquet,
)

KEYS = ["run_id", "point", "scenario", "replicate", "seed"]


def test_summary_is_one_row_per_run_keyed_and_ordered_by_run_id(
    tiny_reference: Results, tiny_file: Path
) -> None:
    runs = load_experiment(tiny_file).runs()
    summary = tiny_reference.summary
    expected = pd.DataFrame(
        [(r.run_id, r.point, r.scenario, r.replicate, r.seed) for r in runs], columns=KEYS
    )
    pd.testing.assert_frame_equal(summary[KEYS], expected, check_dtype=False)
    assert summary.index.tolist() == list(range(6))
    assert {"radical_innovations", "final_diversity", "seconds"} <= set(summary.columns)


def test_timeseries_is_tidy_and_ordered_by_run_id(tiny_reference: Results) -> None:
    ts = tiny_reference.timeseries
    assert set(KEYS) <= set(ts.columns)
    assert ts["run_id"].is_monotonic_increasing
    # every run: steps 0..4 (steps = 4) for the economy and each region
    per_run = ts.groupby("run_id").size()
    assert per_run.index.tolist() == list(range(6))
    assert per_run.nunique() == 1
    assert sorted(ts.loc[ts["run_id"] == 0, "step"].unique()) == [0, 1, 2, 3, 4]
    keys = ts.drop_duplicates("run_id")[KEYS].reset_index(drop=True)
    pd.testing.assert_frame_equal(keys, tiny_reference.summary[KEYS], check_dtype=False)


def test_design_manifest_and_failed_frames(tiny_reference: Results) -> None:
    design = tiny_reference.design
    assert design["point"].tolist() == [0, 1, 2]
    assert design["cross_cluster_subsidy"].tolist() == [0.0, 0.5, 1.0]
    m = tiny_reference.manifest
    assert (m["n_points"], m["replicates"], m["n_runs"], m["steps"]) == (3, 2, 6, 4)
    assert m["root_seed"] == 11
    assert m["fixed"] == {"n_firms": 120}
    assert m["provenance"]["versions"]["mesa"] == version("mesa")
    assert tiny_reference.failed.empty


def test_table_not_kept_is_a_one_line_output_error(tiny_reference: Results) -> None:
    with pytest.raises(OutputError, match=r"has no 'panel' tables; kept: timeseries\.$"):
        tiny_reference.table("panel")


def test_missing_folder_is_a_one_line_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"'.*nowhere' does not exist; run 'clusterlab sweep'"):
        load_results(tmp_path / "nowhere")


def test_folder_without_manifest_is_a_one_line_output_error(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    with pytest.raises(OutputError, match=r"is not a ClusterLab results folder \(no manifest"):
        load_results(tmp_path)


def test_corrupt_manifest_is_a_one_line_output_error(tmp_path: Path) -> None:
    (tmp_path / MANIFEST).write_text('{"experiment": ')  # cut short
    with pytest.raises(
        OutputError, match=r"has a corrupt manifest\.json; its runs cannot be identified"
    ):
        load_results(tmp_path)


def test_atomic_write_leaves_nothing_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "000001.summary.parquet"
    unwritable = pd.DataFrame({"x": [object()]})  # pyarrow cannot store a bare object
    with pytest.raises(ValueError, match="did not recognize Python value type"):
        write_parquet(unwritable, target)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "manifest.json"
    write_json({"experiment": "old"}, target)
    with pytest.raises(TypeError):
        write_json({("tuple", "key"): 1}, target)  # JSON keys must be strings
    assert target.read_text() == '{\n  "experiment": "old"\n}'
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_temporaries_are_neither_results_nor_failures_and_are_cleaned(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    store.runs_dir.mkdir()
    store.failed_dir.mkdir()
    store.write_run(3, {"run_id": 3}, {"timeseries": pd.DataFrame({"step": [0]})})
    store.write_failure(4, {"run_id": 4, "traceback": "boom"})
    # what a sweep killed mid-write leaves behind
    (store.runs_dir / f"000005.summary.parquet{TMP_MARK}123").write_bytes(b"PAR1 half")
    (store.failed_dir / f"6.json{TMP_MARK}123").write_text("{")
    assert store.done() == {3}
    assert store.failed() == {4}
    assert store.clean_temporaries() == 2
    assert sorted(p.name for p in store.runs_dir.iterdir()) == [
        "000003.summary.parquet",
        "000003.timeseries.parquet",
    ]


def test_a_successful_retry_removes_the_failure_record(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    store.runs_dir.mkdir()
    store.failed_dir.mkdir()
    store.write_failure(2, {"run_id": 2, "traceback": "boom"})
    assert store.failed() == {2}
    store.write_run(2, {"run_id": 2}, {})
    assert (store.done(), store.failed()) == ({2}, set())


def test_tables_are_ordered_by_run_id_past_six_digits(tmp_path: Path) -> None:
    # File names are zero-padded to 6 digits; run 1,000,000 has 7 and sorts first as text.
    store = ResultStore(tmp_path)
    store.runs_dir.mkdir()
    for run_id in (999_999, 1_000_000):
        store.write_run(
            run_id, {"run_id": run_id}, {"timeseries": pd.DataFrame({"run_id": [run_id]})}
        )
    results = Results(tmp_path, {}, pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    assert results.timeseries["run_id"].tolist() == [999_999, 1_000_000]


def test_unfinished_creation(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    assert store.unfinished_creation()  # empty
    store.runs_dir.mkdir()
    (tmp_path / f"design.parquet{TMP_MARK}7").write_bytes(b"")
    (tmp_path / ".clusterlab.lock").write_bytes(b"")
    assert not store.unfinished_creation()  # ClusterLab's names, but not its marker
    assert not store.written_by_us()
    write_marker(tmp_path, "results")  # what a sweep writes first into its folder
    assert store.unfinished_creation()  # a sweep killed before its manifest was written
    (store.runs_dir / "000001.summary.parquet").write_bytes(b"")
    assert not store.unfinished_creation()  # runs without a manifest: not ours to rewrite
    (store.runs_dir / "000001.summary.parquet").unlink()
    (tmp_path / "thesis.tex").write_text("precious")
    assert not store.unfinished_creation()
    assert store.foreign_entries() == ["thesis.tex"]


def test_write_parquet_writes_what_pandas_writes(tmp_path: Path) -> None:
    # pyarrow straight to the file (the runner's parent writes every run this way) must
    # give pandas' own file, byte for byte: strings, integers, floats with NaN, one row.
    frames = {
        "table": pd.DataFrame(
            {"scope": ["economy", "r0", "r1"], "step": [0, 0, 1], "x": [1.5, float("nan"), 2.0]}
        ),
        "summary": pd.DataFrame([{"run_id": 3, "seconds": 0.25, "host": "h", "gini": 0.4}]),
    }
    for name, df in frames.items():
        write_parquet(df, tmp_path / f"{name}.ours.parquet")
        df.to_parquet(tmp_path / f"{name}.pandas.parquet", index=False)
        ours = (tmp_path / f"{name}.ours.parquet").read_bytes()
        assert ours == (tmp_path / f"{name}.pandas.parquet").read_bytes()


def test_write_parquet_is_pandas_file_for_repeated_layouts(tmp_path: Path) -> None:
    # The second and later frames of one layout reuse the first one's schema (a sweep's
    # runs): still pandas' file byte for byte, whatever the values (NaN, None, booleans,
    # integers of several widths, strings), and a new layout (a column now all None, a
    # float32 instead of a float64) gets its own schema.
    def frame(k: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "scope": ["economy", "r0", None if k else "r1"],
                "step": [0, 0, k],
                "x": [1.5, float("nan"), 2.0] if k % 2 else [float("nan"), 0.0, -1.0],
                "ok": [True, False, k == 1],
                "small": np.array([1, 2, 3], dtype="uint8"),
                "y": np.array([k, 2.5, float("nan")], dtype="float32" if k == 3 else "float64"),
                "note": [None, None, None] if k == 2 else ["a", None, "b"],
            }
        )

    for k in range(5):
        df = frame(k)
        write_parquet(df, tmp_path / "ours.parquet")
        df.to_parquet(tmp_path / "pandas.parquet", index=False)
        assert (tmp_path / "ours.parquet").read_bytes() == (
            tmp_path / "pandas.parquet"
        ).read_bytes(), k
        row = pd.DataFrame([{"run_id": k, "gini": float("nan") if k else 0.4, "host": "h"}])
        write_parquet(row, tmp_path / "ours.parquet")
        row.to_parquet(tmp_path / "pandas.parquet", index=False)
        assert (tmp_path / "ours.parquet").read_bytes() == (
            tmp_path / "pandas.parquet"
        ).read_bytes(), k


def test_write_parquet_keeps_a_frames_attrs(tmp_path: Path) -> None:
    df = pd.DataFrame({"x": [1, 2]})
    df.attrs["source"] = "test"
    write_parquet(df, tmp_path / "a.parquet")
    assert pd.read_parquet(tmp_path / "a.parquet").attrs == {"source": "test"}
