import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pytest

from clusterlab.experiments.cli import EXIT_BAD_INPUT, main
from clusterlab.model.params import param_specs
from clusterlab.model.presets import PRESETS, preset
from clusterlab.model.simulate import EVENT_TABLES, simulate

TABLES = ("timeseries", "panel", "clusters", *(f"events_{kind}" for kind in EVENT_TABLES))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL_RUN = ["--set", "n_firms=120", "--steps", "3", "--seed", "4"]


def _one_error_line(capsys, *fragments):
    """Assert stderr is one 'clusterlab: error:' line holding every fragment."""
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("clusterlab: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def _hidden_leftovers(folder, name):
    return [p.name for p in folder.iterdir() if p.name.startswith(f".{name}.")]


# --- bad input: exit 2, one line on stderr, nothing written --------------------------------------


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--set", "n_firmz=120"], ["Unknown parameter 'n_firmz'.", "Did you mean 'n_firms'?"]),
        (
            ["--set", "cross_cluster_subsidy=1.5"],
            ["'cross_cluster_subsidy' parameter of PolicyParams", "[0, 1]", "Got 1.5."],
        ),
        (["--set", "n_firms=lots"], ["'n_firms' parameter of WorldParams", "Got 'lots'."]),
        (["--set", "n_firms=120.5"], ["'n_firms' parameter", "an integer"]),
        (["--set", "subsidy_targeting=everything"], ["'subsidy_targeting'", "'missing_link'"]),
        (["--set", "n_firms"], ["--set takes name=value", "Got 'n_firms'."]),
        (["--preset", "baselin"], ["Unknown preset 'baselin'.", "Did you mean 'baseline'?"]),
        (["--steps", "-1"], ["--steps must be an integer >= 0. Got -1."]),
        (["--set", "shock_industry=99"], ["'shock_industry'", "Got 99."]),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, fragments):
    out = tmp_path / "run"
    assert main(["run", *args, "--out", str(out)]) == EXIT_BAD_INPUT
    _one_error_line(capsys, *fragments)
    assert list(tmp_path.iterdir()) == [], "bad input must not write anything"


def test_non_empty_output_folder_needs_force(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("earlier results")
    assert main(["run", *SMALL_RUN, "--out", str(out)]) == EXIT_BAD_INPUT
    _one_error_line(capsys, f"Output folder '{out}' is not empty", "--force")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert _hidden_leftovers(tmp_path, "run") == []


def test_output_path_that_is_a_file_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    out.write_text("not a folder")
    assert main(["run", *SMALL_RUN, "--out", str(out)]) == EXIT_BAD_INPUT
    _one_error_line(capsys, "is a file")
    assert out.read_text() == "not a folder"


@pytest.mark.parametrize("argv", [["run", "--steps", "x"], [], ["nonsense"]])
def test_usage_errors_exit_2_with_one_line(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == EXIT_BAD_INPUT
    _one_error_line(capsys, "see 'clusterlab --help'")


# --- run ---------------------------------------------------------------------------------------


def test_run_writes_every_output_and_nothing_else(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", *SMALL_RUN, "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "preset 'baseline', seed 4, 3 years" in stdout
    assert f"Outputs written to {out}/" in stdout
    expected = {f"{t}.{ext}" for t in TABLES for ext in ("parquet", "csv")}
    expected |= {"summary.json", "trajectories.png", ".clusterlab"}
    assert {p.name for p in out.iterdir()} == expected
    assert [p.name for p in tmp_path.iterdir()] == ["run"], "a hidden temp folder was left"
    png = (out / "trajectories.png").read_bytes()
    assert png.startswith(PNG_MAGIC)
    assert len(png) > 10_000
    meta = json.loads((out / "summary.json").read_text())
    assert meta["preset"] == "baseline"
    assert meta["seed"] == 4
    assert meta["steps"] == 3
    assert meta["params"]["n_firms"] == 120
    assert set(meta["summary"]) >= {"radical_innovations", "policy_spend", "size_gini"}
    assert meta["provenance"]["versions"]["mesa"] == version("mesa")
    # The files hold the run the Python API gives for the same settings.
    expected_run = simulate(preset("baseline", n_firms=120), seed=4, steps=3)
    parquet = pd.read_parquet(out / "timeseries.parquet")
    pd.testing.assert_frame_equal(parquet, expected_run.timeseries)
    csv = pd.read_csv(out / "timeseries.csv")
    pd.testing.assert_frame_equal(csv, expected_run.timeseries, check_dtype=False)
    for table in TABLES:
        assert len(pd.read_parquet(out / f"{table}.parquet")) == len(
            pd.read_csv(out / f"{table}.csv")
        )


def test_force_replaces_a_run_folder_clusterlab_wrote(tmp_path):
    out = tmp_path / "run"
    assert main(["run", *SMALL_RUN, "--out", str(out)]) == 0
    (out / "trajectories.png").write_bytes(b"old")
    assert main(["run", *SMALL_RUN, "--out", str(out), "--force"]) == 0
    assert (out / "trajectories.png").read_bytes()[:4] == b"\x89PNG"
    assert _hidden_leftovers(tmp_path, "run") == []


def test_force_refuses_a_folder_clusterlab_did_not_write(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    assert main(["run", *SMALL_RUN, "--out", str(out), "--force"]) == 2
    assert "ClusterLab did not write it" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["stale.txt"]
    assert _hidden_leftovers(tmp_path, "run") == []


def test_force_refuses_a_folder_with_a_summary_json_that_is_not_a_runs(tmp_path, capsys):
    # A file named summary.json is not proof that ClusterLab wrote the folder.
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text('{"my": 1}')
    (out / "timeseries.csv").write_text("a,b")
    assert main(["run", *SMALL_RUN, "--out", str(out), "--force"]) == 2
    assert "ClusterLab did not write it" in capsys.readouterr().err
    assert (out / "summary.json").read_text() == '{"my": 1}'
    assert (out / "timeseries.csv").read_text() == "a,b"
    assert _hidden_leftovers(tmp_path, "run") == []


def test_run_a_preset_with_overrides_of_its_own_values(tmp_path):
    out = tmp_path / "marche"
    args = ["run", "--preset", "marche_teaching", "--set", "n_firms=120", "--steps", "2"]
    assert main([*args, "--out", str(out)]) == 0
    meta = json.loads((out / "summary.json").read_text())
    assert meta["params"]["n_firms"] == 120
    assert meta["params"]["economy"] == "marche"
    assert meta["regions"] == ["Marche-like", "Partner region"]


def test_a_failing_write_leaves_nothing_behind(tmp_path, capsys, monkeypatch):
    from clusterlab.experiments import output
    from clusterlab.experiments.errors import OutputError

    def broken(result, path):
        raise OutputError("Cannot write the figure: disk full.")

    monkeypatch.setattr(output, "plot_trajectories", broken)
    out = tmp_path / "run"
    assert main(["run", *SMALL_RUN, "--out", str(out)]) == EXIT_BAD_INPUT
    _one_error_line(capsys, "disk full")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


# --- listings ----------------------------------------------------------------------------------


def test_presets_lists_every_preset(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    names = [line.split()[0] for line in out.splitlines() if line and not line[0].isspace()]
    assert names == list(PRESETS)
    assert "cross_cluster_subsidy=0.5" in out
    assert "(defaults)" in out


def test_params_lists_every_parameter_with_default_range_and_unit(capsys):
    assert main(["params"]) == 0
    lines = capsys.readouterr().out.splitlines()
    specs = param_specs()
    assert lines[0].split()[:3] == ["name", "group", "default"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert list(rows) == list(specs)
    for name, spec in specs.items():
        assert spec.unit in rows[name]
        assert spec.doc in rows[name]
    assert "blanket|missing_link" in rows["subsidy_targeting"]
    assert "[0, 1]" in rows["cross_cluster_subsidy"]


HEAVY = ("numpy", "pandas", "matplotlib", "mesa", "scipy", "numba", "pyarrow", "SALib", "solara")


def test_parsing_arguments_imports_no_heavy_library():
    # Start-up (issue #18): --help and argument errors must not wait for numpy, Mesa,
    # matplotlib or the compiled kernels; each command imports what it uses.
    code = (
        "import sys\n"
        "from clusterlab.experiments.cli import build_parser\n"
        "build_parser().parse_args(['sweep', 'x.toml', '--workers', '2'])\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_version_prints_the_installed_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"clusterlab {version('clusterlab')}"


def test_params_and_presets_print_strict_json(capsys):
    from clusterlab.model.params import param_specs
    from clusterlab.model.presets import PRESETS

    def strict(text):
        return json.loads(text, parse_constant=lambda name: pytest.fail(f"not JSON: {name}"))

    assert main(["params", "--json"]) == 0
    params = strict(capsys.readouterr().out)
    assert [p["name"] for p in params] == list(param_specs())
    subsidy = next(p for p in params if p["name"] == "cross_cluster_subsidy")
    assert (subsidy["type"], subsidy["low"], subsidy["high"]) == ("float", 0.0, 1.0)
    economy = next(p for p in params if p["name"] == "economy")
    assert (economy["type"], economy["choices"]) == ("choice", ["generic", "marche"])
    assert main(["presets", "--json"]) == 0
    presets = strict(capsys.readouterr().out)
    assert [p["name"] for p in presets] == list(PRESETS)


def test_status_json_counts_finished_failed_and_missing(tmp_path, capsys):
    from clusterlab.experiments.design import parse_experiment
    from clusterlab.experiments.runner import run_experiment

    exp = parse_experiment(
        {
            "name": "two",
            "steps": 1,
            "replicates": 2,
            "fixed": {"n_firms": 30},
            "design": {"type": "grid", "parameters": {"cross_cluster_subsidy": [0.0]}},
        }
    )
    out = tmp_path / "results"
    run_experiment(exp, out)
    (out / "runs" / "000001.summary.parquet").unlink()
    assert main(["status", str(out), "--json"]) == 1
    record = json.loads(capsys.readouterr().out)
    assert (record["n_runs"], record["finished"], record["failed"], record["missing"]) == (
        2,
        1,
        0,
        1,
    )
    assert record["experiment"] == "two"


def test_quiet_prints_nothing_but_keeps_the_exit_status_and_errors(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["-q", "run", "--steps", "1", "--set", "n_firms=30", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")
    assert (out / "summary.json").exists()
    assert main(["-q", "run", "--seed", "-1", "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.startswith("clusterlab: error: --seed")


def test_verbose_logs_what_clusterlab_does_to_stderr(tmp_path, capsys):
    from clusterlab.experiments.folders import OWNER_FILE

    exp_file = tmp_path / "e.toml"
    exp_file.write_text(
        'name = "e"\nsteps = 1\nreplicates = 1\n[fixed]\nn_firms = 30\n'
        '[design]\ntype = "grid"\n[design.parameters]\ncross_cluster_subsidy = [0.0]\n'
    )
    out = tmp_path / "results"
    out.mkdir()
    (out / OWNER_FILE).write_text('{"pid": 999999, "host": "h", "since": "then"}')  # a dead sweep
    args = ["sweep", str(exp_file), "--out", str(out), "--workers", "0"]
    assert main(["-v", *args]) == 0
    assert "Took over the lock of pid 999999" in capsys.readouterr().err


def test_run_with_an_extension_sets_its_parameters_by_name(tmp_path, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "docs" / "examples"))
    ref = ["--extension", "innovation_voucher:INNOVATION_VOUCHER"]
    out = tmp_path / "run"
    argv = ["run", *SMALL_RUN, *ref, "--set", "voucher_amount=0.03", "--out", str(out)]
    assert main(argv) == 0
    meta = json.loads((out / "summary.json").read_text())
    assert meta["params"]["voucher_amount"] == 0.03
    assert meta["extensions"] == ["innovation_voucher"]
    assert "spend_innovation_voucher" in pd.read_parquet(out / "timeseries.parquet")
    capsys.readouterr()
    assert main(["params", "--json", *ref]) == 0
    listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert listed["voucher_amount"]["group"] == "extension:innovation_voucher"
    bad = [
        (["run", *SMALL_RUN, "--set", "voucher_amount=0.03"], "Unknown parameter 'voucher_amount'"),
        (["run", *SMALL_RUN, *ref, "--set", "voucher_amount=3"], "must be a number in [0, 1]"),
        (["run", *SMALL_RUN, "--extension", "no_such_module:X"], "--extension cannot be used"),
    ]
    for args, fragment in bad:
        assert main([*args, "--out", str(tmp_path / "bad")]) == EXIT_BAD_INPUT
        _one_error_line(capsys, fragment)
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("command", ["sweep x.toml", "sensitivity x.toml", "demo", "validate"])
@pytest.mark.parametrize("value", ["-1", "two"])
def test_workers_must_be_a_count(command, value, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*command.split(), "--workers", value])
    assert exc.value.code == EXIT_BAD_INPUT
    _one_error_line(capsys, "--workers", "must be an integer >= 0")


def test_a_local_pool_has_no_more_workers_than_runs():
    import argparse
    import multiprocessing

    from clusterlab.experiments import commands

    before = {c.pid for c in multiprocessing.active_children()}
    args = argparse.Namespace(workers=1000, dask=None)
    with commands._executor(args, runs=1) as (pool, workers):
        assert workers == 1
        assert pool.submit(sum, [1, 2]).result() == 3
        started = [c for c in multiprocessing.active_children() if c.pid not in before]
        assert len(started) == 1  # one interpreter started, not a thousand
    with commands._executor(argparse.Namespace(workers=0, dask=None), runs=5) as (pool, n):
        assert (pool, n) == (None, 0)


@pytest.mark.parametrize(
    ("refs", "message"),
    [
        (["badformat"], "must read 'package.module:object'. Got 'badformat'."),
        (["no_such_module_x:X"], "No module named 'no_such_module_x'; give "),
        (["clusterlab.model.extension:NOPE"], "has no attribute 'NOPE'; give "),
    ],
)
def test_an_unusable_extension_is_one_line_with_its_own_fix(refs, message, capsys):
    args = [a for r in refs for a in ("--extension", r)]
    assert main(["run", *SMALL_RUN, *args]) == EXIT_BAD_INPUT
    line = _one_error_line(capsys, "--extension cannot be used: ", message)
    assert ".." not in line
    assert line.endswith(".")


def test_a_killed_runs_hidden_folder_is_removed_by_the_next_run(tmp_path):
    # A run killed while writing leaves .<out>.tmp-new-<pid>-0 beside its target; the
    # next run into that target removes it (its process is gone), not another's in use.
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = int(done.stdout)
    out = tmp_path / "run"
    stale = tmp_path / f".run.tmp-new-{dead}-0"
    stale.mkdir()
    (stale / "timeseries.csv").write_text("half")
    busy = tmp_path / f".run.tmp-new-{os.getpid()}-7"  # a live process's work in progress
    busy.mkdir()
    assert main(["run", *SMALL_RUN, "--out", str(out)]) == 0
    assert not stale.exists()
    assert busy.is_dir()
