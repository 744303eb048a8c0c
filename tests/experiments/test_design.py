"""Tests of experiments/design.py: experiment files, validation, design points, seeds."""

import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clusterlab.experiments.cli import main
from clusterlab.experiments.design import (
    MAX_POINTS,
    MAX_RUNS,
    DesignKind,
    ExperimentError,
    load_experiment,
    parse_experiment,
)
from clusterlab.model.errors import ClusterLabError
from clusterlab.model.params import param_specs

GRID = """\
name = "bad"
steps = 3
replicates = 2
seed = 1

[fixed]
n_firms = 100

[design]
type = "grid"

[design.parameters]
cross_cluster_subsidy = [0.0, 0.5]
"""

SCENARIOS = """\
name = "bad"
steps = 3
replicates = 2

[design]
type = "scenarios"

[[design.scenarios]]
preset = "baseline"

[[design.scenarios]]
preset = "ris3_relatedness"
"""

SOBOL = """\
name = "bad"
steps = 3
replicates = 1

[design]
type = "sobol"
samples = 8

[design.bounds]
cross_cluster_subsidy = [0.0, 1.0]
demand_growth = [0.0, 0.05]
"""

TEN_LEVERS = (
    "cross_cluster_subsidy",
    "university_link_subsidy",
    "interregional_subsidy",
    "intra_cluster_subsidy",
    "cluster_org_funding",
    "n_firms",
    "n_regions",
    "shock_year",
    "n_chains",
    "policy_budget",
)

# (id, valid file, text to replace, replacement, expected message). Each case breaks one
# thing; the message must name the key (the file is checked separately).
MALFORMED = [
    (
        "unknown top key",
        GRID,
        "replicates = 2",
        "replicate = 2",
        r"'replicate' is not a known key\. Did you mean 'replicates'\?",
    ),
    ("missing name", GRID, 'name = "bad"', "", r"'name' is required"),
    (
        "wrong type",
        GRID,
        "steps = 3",
        'steps = "three"',
        r"'steps' must be of type int\. Got 'three'\.",
    ),
    ("float steps", GRID, "steps = 3", "steps = 3.0", r"'steps' must be of type int\. Got 3\.0\."),
    (
        "zero replicates",
        GRID,
        "replicates = 2",
        "replicates = 0",
        r"'replicates' must be an integer in \[1, 100000\]\. Got 0\.",
    ),
    (
        "negative steps",
        GRID,
        "steps = 3",
        "steps = -1",
        r"'steps' must be an integer in \[0, 1000\]\. Got -1\.",
    ),
    (
        "negative seed",
        GRID,
        "seed = 1",
        "seed = -1",
        r"'seed' must be an integer in \[0, 2\*\*63 - 1\]\. Got -1\.",
    ),
    (
        "seed beyond 64 bits",
        GRID,
        "seed = 1",
        "seed = 18446744073709551616",
        r"'seed' must be an integer in \[0, 2\*\*63 - 1\]\. Got 18446744073709551616\.",
    ),
    (
        "name climbing out of results",
        GRID,
        'name = "bad"',
        'name = "../escaped"',
        r"'name' must be a plain folder name \(results go to results/<name>\): 1 to 100 ASCII "
        r"letters, digits, '\.', '_' or '-', not starting with '\.'\. Got '\.\./escaped'\. "
        r'Rename it, e\.g\. name = "escaped"\.$',
    ),
    (
        "grid value repeated",
        GRID,
        "[0.0, 0.5]",
        "[0.1, 0.1]",
        r"'design\.parameters\.cross_cluster_subsidy' must list each value once\. "
        r"Got 0\.1 twice; remove the repeat\.",
    ),
    (
        "grid value repeated as integer and float",
        GRID,
        "[0.0, 0.5]",
        "[1, 1.0]",
        r"'design\.parameters\.cross_cluster_subsidy' must list each value once\. "
        r"Got 1 and 1\.0, which are the same value",
    ),
    (
        "grid too big",
        GRID,
        "cross_cluster_subsidy = [0.0, 0.5]",
        "\n".join(f"{lever} = [{', '.join(map(str, range(100)))}]" for lever in TEN_LEVERS),
        r"'design\.parameters' makes about 10\^20 design points x 2 replicates = about 10\^20 "
        r"runs; at most 100,000 points and 1,000,000 runs are allowed",
    ),
    (
        "economies not an integer",
        GRID,
        "seed = 1",
        "seed = 1\neconomies = 2.0",
        r"'economies' must be of type int\. Got 2\.0\.",
    ),
    (
        "zero economies",
        GRID,
        "seed = 1",
        "seed = 1\neconomies = 0",
        r"'economies' must be an integer in \[1, 100000\]\. Got 0\.",
    ),
    (
        "economies with economy_seed fixed",
        GRID,
        "seed = 1\n\n[fixed]\nn_firms = 100",
        "seed = 1\neconomies = 2\n\n[fixed]\nn_firms = 100\neconomy_seed = 3",
        r"'economies' gives the runs economy seeds 0\.\.N-1, so economy_seed cannot also be set "
        r"in \[fixed\]\. Remove one of them\.",
    ),
    (
        "economies with economy_seed in the design",
        SCENARIOS,
        'replicates = 2\n\n[design]\ntype = "scenarios"\n\n[[design.scenarios]]\n'
        'preset = "baseline"',
        'replicates = 2\neconomies = 2\n\n[design]\ntype = "scenarios"\n\n[[design.scenarios]]\n'
        'preset = "baseline"\nset = {"world.economy_seed" = 4}',
        r"'economies' gives the runs economy seeds .* cannot also be set in \[design\]",
    ),
    (
        "unknown output",
        GRID,
        "seed = 1",
        'seed = 1\noutputs = ["panels"]',
        r"'outputs' may list timeseries, panel, clusters, events, firms, links, firms_yearly, "
        r"links_yearly\. Got 'panels'\.",
    ),
    (
        "unknown base preset",
        GRID,
        "seed = 1",
        'seed = 1\npreset = "ris3_relatednes"',
        r"'preset' must be one of .*\. Got 'ris3_relatednes'\. Did you mean 'ris3_relatedness'\?",
    ),
    (
        "lever out of range in grid",
        GRID,
        "[0.0, 0.5]",
        "[0.0, 1.5]",
        r"\[design\.parameters\] The 'cross_cluster_subsidy' parameter of PolicyParams must be "
        r"a number in \[0, 1\] \(share of link fee\)\. Got 1\.5\.",
    ),
    (
        "out of range in fixed",
        GRID,
        "n_firms = 100",
        "n_firms = 5",
        r"\[fixed\] The 'n_firms' parameter of WorldParams must be an integer in \[20, 200000\]",
    ),
    (
        "unknown parameter in fixed",
        GRID,
        "n_firms = 100",
        "n_firm = 100",
        r"\[fixed\] Unknown parameter 'n_firm'\. Did you mean 'n_firms'\?",
    ),
    (
        "unknown parameter in grid",
        GRID,
        "cross_cluster_subsidy =",
        "cross_cluster_subsidie =",
        r"\[design\.parameters\] Unknown parameter 'cross_cluster_subsidie'\. "
        r"Did you mean 'cross_cluster_subsidy'\?",
    ),
    (
        "grid values not a list",
        GRID,
        "[0.0, 0.5]",
        "0.5",
        r"'design\.parameters\.cross_cluster_subsidy' must be a non-empty list of values",
    ),
    (
        "unknown design key",
        GRID,
        "[design.parameters]",
        "[design.parameter]",
        r"'design\.parameter' is not a known key\. Did you mean 'parameters'\?",
    ),
    ("bad TOML syntax", GRID, "steps = 3", "steps = = 3", r"not valid TOML \(.*line 2"),
    (
        "unknown design type",
        GRID,
        'type = "grid"',
        'type = "factorial"',
        r"'design\.type' must be one of grid, scenarios, lhs, sobol, morris, xlrm\. "
        r"Got 'factorial'\.",
    ),
    (
        "sobol samples not a power of two",
        SOBOL,
        "samples = 8",
        "samples = 12",
        r"'design\.samples' must be a power of 2 >= 2 .* Got 12\.",
    ),
    (
        "bounds of an unknown parameter",
        SOBOL,
        "cross_cluster_subsidy = [",
        "cross_cluster = [",
        r"'design\.bounds\.cross_cluster' is not a parameter\. Did you mean",
    ),
    (
        "bounds low above high",
        SOBOL,
        "[0.0, 1.0]",
        "[1.0, 0.0]",
        r"'design\.bounds\.cross_cluster_subsidy' must be \[low, high\] with low < high",
    ),
    (
        "bounds beyond the parameter range",
        SOBOL,
        "[0.0, 1.0]",
        "[0.5, 2.0]",
        r"'design\.bounds\.cross_cluster_subsidy' must lie in the range of the parameter, "
        r"a number in \[0, 1\] \(share of link fee\)\. Got \[0\.5, 2\.0\]\.",
    ),
    (
        "sobol with one parameter",
        SOBOL,
        "demand_growth = [0.0, 0.05]\n",
        "",
        r"'design\.bounds' must give at least two parameters for a sobol design",
    ),
    (
        "morris with one parameter",
        SOBOL,
        'type = "sobol"\nsamples = 8\n\n[design.bounds]\ncross_cluster_subsidy = [0.0, 1.0]\n'
        "demand_growth = [0.0, 0.05]",
        'type = "morris"\ntrajectories = 4\n\n[design.bounds]\ncross_cluster_subsidy = [0.0, 1.0]',
        r"'design\.bounds' must give at least two parameters for a morris design",
    ),
    (
        "morris odd levels",
        SOBOL,
        'type = "sobol"\nsamples = 8',
        'type = "morris"\ntrajectories = 4\nlevels = 3',
        r"'design\.levels' must be an even integer in \[2, 1000\]\. Got 3\.",
    ),
    (
        "sobol samples too many",
        SOBOL,
        "samples = 8",
        "samples = 1099511627776",
        r"'design\.samples' makes 4,398,046,511,104 design points x 1 replicates",
    ),
    (
        "duplicate scenario names given",
        SCENARIOS,
        'preset = "ris3_relatedness"',
        'preset = "ris3_relatedness"\nname = "baseline"',
        r"'design\.scenarios\[1\]\.name' must be unique\. Got 'baseline' twice\.",
    ),
    (
        "scenario with unknown preset",
        SCENARIOS,
        'preset = "ris3_relatedness"',
        'preset = "ris3_targetted"',
        r"'design\.scenarios\[1\]\.preset' must be one of .*\. Got 'ris3_targetted'\. "
        r"Did you mean 'ris3_targeted'\?",
    ),
    (
        "duplicate scenario names",
        SCENARIOS,
        'preset = "ris3_relatedness"',
        'preset = "baseline"',
        r"'design\.scenarios\[1\]\.name' must be unique\. Got 'baseline' twice\.",
    ),
    (
        "unknown scenario key",
        SCENARIOS,
        'preset = "ris3_relatedness"',
        'preset = "ris3_relatedness"\nsett = {n_firms = 100}',
        r"'design\.scenarios\[1\]\.sett' is not a known key\. Did you mean 'set'\?",
    ),
    (
        "unknown parameter in a scenario",
        SCENARIOS,
        'preset = "ris3_relatedness"',
        'preset = "ris3_relatedness"\nset = {n_firm = 100}',
        r"\[design\.scenarios\[1\]\] Unknown parameter 'n_firm'\. Did you mean 'n_firms'\?",
    ),
]


def _broken_file(tmp_path: Path, valid: str, old: str, new: str) -> Path:
    assert old in valid, f"test case does not apply: {old!r} is not in the valid file"
    path = tmp_path / "broken.toml"
    path.write_text(valid.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("valid", "old", "new", "match"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_malformed_file_gives_one_line_naming_file_and_key(
    tmp_path: Path, valid: str, old: str, new: str, match: str
) -> None:
    path = _broken_file(tmp_path, valid, old, new)
    with pytest.raises(ExperimentError, match=match) as info:
        load_experiment(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("valid", "old", "new", "match"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_cli_rejects_malformed_file_with_exit_2_and_no_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], valid: str, old: str, new: str, match: str
) -> None:
    path = _broken_file(tmp_path, valid, old, new)
    out = tmp_path / "results"
    status = main(["sweep", str(path), "--workers", "0", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1
    assert err.startswith(f"clusterlab: error: {path}: ")
    assert "Traceback" not in err
    assert not out.exists()


def test_missing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ExperimentError, match=r"Experiment file '.*nowhere\.toml' does not exist"):
        load_experiment(path)
    out = tmp_path / "results"
    assert main(["sweep", str(path), "--workers", "0", "--out", str(out)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert not out.exists()


def test_binary_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "binary.toml"
    path.write_bytes(b"name = \xff\xfe\n")
    with pytest.raises(ExperimentError, match=r"binary\.toml: not a text \(UTF-8\) file"):
        load_experiment(path)


def test_experiment_error_is_a_clusterlab_value_error() -> None:
    # The CLI catches ClusterLabError; notebooks may catch ValueError.
    assert issubclass(ExperimentError, ClusterLabError)
    assert issubclass(ExperimentError, ValueError)


# --- experiment names -------------------------------------------------------------------

NOT_FILE_NAMES = [
    "../escaped",
    "..",
    ".",
    ".hidden",
    "",
    "a/b",
    "/abs",
    "a\\b",
    "nul\0byte",
    "new\nline",
    "two words",
    "caf\u00e9",
    "x" * 101,
]


@pytest.mark.parametrize("name", NOT_FILE_NAMES)
def test_name_that_is_not_a_plain_file_name_is_refused(name: str) -> None:
    with pytest.raises(ExperimentError, match=r"^<experiment>: 'name' must be a plain folder") as e:
        parse_experiment(_tiny(name=name))
    assert "\n" not in str(e.value)
    assert "letters, digits, '.', '_' or '-', not starting with '.'" in str(e.value)


@pytest.mark.parametrize("name", ["demo", "dose_response", "v1.2", "-x", "_", "9", "x" * 100])
def test_plain_file_names_are_accepted(name: str) -> None:
    assert parse_experiment(_tiny(name=name)).name == name


def test_sweep_refuses_a_name_that_would_write_outside_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Without --out the results go to results/<name>: "../escaped" would be a sibling.
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    path = work / "escape.toml"
    path.write_text(GRID.replace('name = "bad"', 'name = "../escaped"'))
    assert main(["sweep", str(path), "--workers", "0"]) == 2
    assert "'name' must be a plain folder name" in capsys.readouterr().err
    assert sorted(p.name for p in work.iterdir()) == ["escape.toml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]


# --- design sizes -----------------------------------------------------------------------


def test_grid_repeating_a_choice_is_refused() -> None:
    data = _tiny()
    data["design"]["parameters"]["subsidy_targeting"] = ["blanket", "missing_link", "blanket"]
    with pytest.raises(
        ExperimentError,
        match=r"'design\.parameters\.subsidy_targeting' must list each value once\. "
        r"Got 'blanket' twice",
    ):
        parse_experiment(data)


def _valid_levels(count: int) -> dict[str, list[float]]:
    """``count`` valid, distinct values for each of ten real-valued parameters."""
    specs = [s for s in param_specs().values() if s.choices is None and s.kind is float][:10]
    return {s.name: np.linspace(s.low, s.high, count).tolist() for s in specs}


THREE_LEVERS = {
    "cross_cluster_subsidy": [0.0, 1.0],
    "university_link_subsidy": [0.0, 1.0],
    "cluster_org_funding": [0.0, 1.0],
}

HUGE_DESIGNS = [
    # 10 levers x 100 valid values: 1e20 points, which the old code went on building
    ({"type": "grid", "parameters": _valid_levels(100)}, "design.parameters", "about 10\\^20"),
    (
        {"type": "lhs", "samples": 10**12, "bounds": THREE_LEVERS},
        "design.samples",
        "1,000,000,000,000",
    ),
    # Saltelli: N (D + 2) = 2**40 * 5
    (
        {"type": "sobol", "samples": 2**40, "bounds": THREE_LEVERS},
        "design.samples",
        "5,497,558,138,880",
    ),
    # Morris: r (D + 1) = 10**9 * 4
    (
        {"type": "morris", "trajectories": 10**9, "bounds": THREE_LEVERS},
        "design.trajectories",
        "4,000,000,000",
    ),
    (
        {"type": "scenarios", "scenarios": [{"name": str(i)} for i in range(MAX_POINTS + 1)]},
        "design.scenarios",
        "100,001",
    ),
]


@pytest.mark.parametrize(
    ("design", "key", "points"), HUGE_DESIGNS, ids=["grid", "lhs", "sobol", "morris", "scenarios"]
)
def test_huge_design_is_refused_before_any_point_is_built(
    design: dict[str, Any], key: str, points: str
) -> None:
    started = time.perf_counter()
    with pytest.raises(
        ExperimentError,
        match=rf"'{key}' makes {points} design points x 1 replicates = .* runs; "
        r"at most 100,000 points and 1,000,000 runs are allowed\. Use fewer",
    ):
        parse_experiment(_tiny(replicates=1, design=design))
    assert time.perf_counter() - started < 2.0


def test_runs_are_design_points_times_replicates() -> None:
    # 10 points x 100,000 replicates is exactly the limit; 11 points are one point too many.
    assert MAX_RUNS == 10 * 100_000
    ten = {"type": "grid", "parameters": {"cross_cluster_subsidy": [i / 10 for i in range(10)]}}
    assert len(parse_experiment(_tiny(replicates=100_000, design=ten)).points) == 10
    eleven = {"type": "grid", "parameters": {"cross_cluster_subsidy": [i / 10 for i in range(11)]}}
    with pytest.raises(
        ExperimentError, match=r"makes 11 design points x 100,000 replicates = 1,100,000 runs"
    ):
        parse_experiment(_tiny(replicates=100_000, design=eleven))


# --- seeds ------------------------------------------------------------------------------

# Child i of SeedSequence(11).spawn(n) is SeedSequence(11, spawn_key=(i,)), whatever n is;
# a run's seed is that child's first 32-bit state word:
#     SeedSequence(11, spawn_key=(i,)).generate_state(1)[0]
# i = 0..5 gives:
CHILD_SEEDS_OF_11 = [213907198, 1982228470, 504589216, 3118949013, 906654279, 4084673216]


def _tiny(**changes: Any) -> dict[str, Any]:
    """The 3-point x 2-replicate grid of conftest's tiny experiment, as a dict."""
    data: dict[str, Any] = {
        "name": "tiny",
        "steps": 4,
        "replicates": 2,
        "seed": 11,
        "fixed": {"n_firms": 120},
        "design": {"type": "grid", "parameters": {"cross_cluster_subsidy": [0.0, 0.5, 1.0]}},
    }
    return data | changes


def test_hard_coded_seeds_are_seed_sequence_children() -> None:
    # Shows the working of CHILD_SEEDS_OF_11; the tests below hard-code the numbers.
    root = np.random.SeedSequence(11)
    assert [int(c.generate_state(1)[0]) for c in root.spawn(6)] == CHILD_SEEDS_OF_11
    child = np.random.SeedSequence(11, spawn_key=(1,))
    assert int(child.generate_state(1)[0]) == CHILD_SEEDS_OF_11[1]


def test_common_random_numbers_give_replicate_r_the_same_seed_at_every_point() -> None:
    exp = parse_experiment(_tiny())
    assert exp.common_random_numbers  # the default
    # replicates = 2: children 0 and 1 of SeedSequence(11), repeated for the 3 points
    assert exp.seeds() == [213907198, 1982228470] * 3
    by_replicate: dict[int, set[int]] = {}
    for run in exp.runs():
        by_replicate.setdefault(run.replicate, set()).add(run.seed)
    assert by_replicate == {0: {213907198}, 1: {1982228470}}


def test_without_common_random_numbers_every_run_has_its_own_seed() -> None:
    exp = parse_experiment(_tiny(common_random_numbers=False))
    # 3 points x 2 replicates = 6 runs: children 0..5 of SeedSequence(11), in run order
    assert exp.seeds() == CHILD_SEEDS_OF_11
    assert len(set(exp.seeds())) == 6
    assert [r.seed for r in exp.runs()] == CHILD_SEEDS_OF_11


def test_seeds_are_a_function_of_the_root_seed_only() -> None:
    assert parse_experiment(_tiny()).seeds() == parse_experiment(_tiny()).seeds()
    assert parse_experiment(_tiny(seed=12)).seeds() != parse_experiment(_tiny()).seeds()
    # seed 0 is a seed, not "no seed"
    zero = [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(0).spawn(2)]
    assert parse_experiment(_tiny(seed=0)).seeds()[:2] == zero


# --- design points ----------------------------------------------------------------------


def test_grid_is_the_product_of_the_lever_values_in_run_order() -> None:
    data = _tiny()
    data["design"]["parameters"]["subsidy_targeting"] = ["blanket", "missing_link"]
    exp = parse_experiment(data)
    assert exp.kind is DesignKind.GRID
    assert len(exp.points) == 3 * 2
    assert [p.overrides for p in exp.points[:2]] == [
        {"cross_cluster_subsidy": 0.0, "subsidy_targeting": "blanket"},
        {"cross_cluster_subsidy": 0.0, "subsidy_targeting": "missing_link"},
    ]
    runs = exp.runs()
    assert [(r.run_id, r.point, r.replicate) for r in runs[:3]] == [(0, 0, 0), (1, 0, 1), (2, 1, 0)]
    assert runs[0].overrides == {"n_firms": 120, **exp.points[0].overrides}


def test_scenario_set_overrides_fixed_and_keeps_its_preset() -> None:
    data = _tiny(
        design={
            "type": "scenarios",
            "scenarios": [
                {"preset": "baseline"},
                {"name": "big ris3", "preset": "ris3_relatedness", "set": {"n_firms": 150}},
            ],
        }
    )
    runs = parse_experiment(data).runs()
    assert [(r.scenario, r.preset, r.overrides) for r in runs[::2]] == [
        ("baseline", "baseline", {"n_firms": 120}),
        ("big ris3", "ris3_relatedness", {"n_firms": 150}),
    ]


def test_run_spec_is_a_small_picklable_task() -> None:
    run = parse_experiment(_tiny()).runs()[0]
    assert pickle.loads(pickle.dumps(run)) == run
    assert len(pickle.dumps(run)) < 1000


BOUNDS = {"n_firms": [100, 300], "cross_cluster_subsidy": [0.0, 0.8], "shock_year": [5, 15]}
INTEGERS = ("n_firms", "shock_year")


def _continuous(design: dict[str, Any], seed: int = 3) -> dict[str, Any]:
    return {
        "name": "sa",
        "steps": 2,
        "replicates": 1,
        "seed": seed,
        "design": {**design, "bounds": BOUNDS},
    }


@pytest.mark.parametrize(
    ("design", "n_points"),
    [
        ({"type": "lhs", "samples": 10}, 10),
        # Saltelli without second order: N * (D + 2) = 8 * (3 + 2)
        ({"type": "sobol", "samples": 8}, 8 * (3 + 2)),
        ({"type": "sobol", "samples": 8, "second_order": False}, 8 * (3 + 2)),
        # with second order: N * (2D + 2) = 8 * (6 + 2)
        ({"type": "sobol", "samples": 8, "second_order": True}, 8 * (2 * 3 + 2)),
        # Morris: r * (D + 1) = 4 * (3 + 1)
        ({"type": "morris", "trajectories": 4, "levels": 4}, 4 * (3 + 1)),
    ],
    ids=["lhs", "sobol", "sobol first order", "sobol second order", "morris"],
)
def test_sampled_designs_have_the_right_points_rounded_and_in_bounds(
    design: dict[str, Any], n_points: int
) -> None:
    exp = parse_experiment(_continuous(design))
    assert len(exp.points) == n_points
    assert exp.samples is not None
    assert exp.samples.shape == (n_points, 3)
    assert exp.problem is not None  # SALib adds keys of its own to the problem
    assert (exp.problem["num_vars"], exp.problem["names"]) == (3, list(BOUNDS))
    assert exp.problem["bounds"] == [[100.0, 300.0], [0.0, 0.8], [5.0, 15.0]]
    for point, row in zip(exp.points, exp.samples, strict=True):
        for j, (name, (low, high)) in enumerate(BOUNDS.items()):
            value = point.overrides[name]
            assert low <= value <= high
            if name in INTEGERS:
                assert type(value) is int
                assert value == round(row[j])  # rounded, not truncated
            else:
                assert value == row[j]


def test_latin_hypercube_puts_one_sample_in_each_stratum() -> None:
    exp = parse_experiment(_continuous({"type": "lhs", "samples": 10}))
    assert exp.samples is not None
    subsidy = exp.samples[:, 1]  # bounds [0, 0.8]: ten strata of width 0.08
    assert sorted(np.floor(subsidy / 0.08).astype(int)) == list(range(10))


@pytest.mark.parametrize("seed", [0, 5])
def test_sampled_designs_are_a_function_of_the_root_seed(seed: int) -> None:
    # seed 0 included: SALib once treated a falsy seed as "unseeded".
    design = {"type": "sobol", "samples": 8}
    first = parse_experiment(_continuous(design, seed=seed))
    again = parse_experiment(_continuous(design, seed=seed))
    other = parse_experiment(_continuous(design, seed=seed + 1))
    np.testing.assert_array_equal(first.samples, again.samples)
    assert first.fingerprint() == again.fingerprint()
    assert not np.array_equal(first.samples, other.samples)


# --- fingerprint ------------------------------------------------------------------------


def test_fingerprint_ignores_name_and_description_only() -> None:
    base = parse_experiment(_tiny()).fingerprint()
    assert parse_experiment(_tiny(name="renamed", description="new words")).fingerprint() == base
    assert parse_experiment(_tiny(steps=5)).fingerprint() != base
    assert parse_experiment(_tiny(seed=12)).fingerprint() != base
    assert parse_experiment(_tiny(replicates=3)).fingerprint() != base
    assert parse_experiment(_tiny(fixed={"n_firms": 121})).fingerprint() != base
    assert parse_experiment(_tiny(outputs=["timeseries", "panel"])).fingerprint() != base


# --- economies --------------------------------------------------------------------------


def test_runs_share_one_economy_by_default() -> None:
    exp = parse_experiment(_tiny())
    assert exp.economies is None
    assert {r.economy_seed for r in exp.runs()} == {0}
    assert all("economy_seed" not in r.overrides for r in exp.runs())
    fixed = parse_experiment(_tiny(fixed={"n_firms": 120, "economy_seed": 9}))
    assert {r.economy_seed for r in fixed.runs()} == {9}


def test_economies_cross_every_point_and_replicate_with_each_economy() -> None:
    # 3 points x 2 replicates x 3 economies = 18 runs; replicate k runs in economy k // 2.
    exp = parse_experiment(_tiny(economies=3))
    runs = exp.runs()
    assert exp.n_runs == len(runs) == 18
    assert exp.runs_per_point == 6
    assert [(r.point, r.replicate, r.economy_seed) for r in runs[:6]] == [
        (0, 0, 0),
        (0, 1, 0),
        (0, 2, 1),
        (0, 3, 1),
        (0, 4, 2),
        (0, 5, 2),
    ]
    assert all(r.overrides["economy_seed"] == r.economy_seed for r in runs)
    assert runs[0].overrides == {"n_firms": 120, "cross_cluster_subsidy": 0.0, "economy_seed": 0}
    # Every (point, economy) pair appears once per replicate of that economy.
    pairs = [(r.point, r.economy_seed) for r in runs]
    assert all(pairs.count(pair) == 2 for pair in set(pairs))


def test_economies_keep_common_random_numbers() -> None:
    exp = parse_experiment(_tiny(economies=3))
    # Replicate k has the same seed at every point: children 0..5 of SeedSequence(11).
    assert exp.seeds() == CHILD_SEEDS_OF_11 * 3
    by_replicate: dict[int, set[tuple[int, int]]] = {}
    for run in exp.runs():
        by_replicate.setdefault(run.replicate, set()).add((run.seed, run.economy_seed))
    assert all(len(v) == 1 for v in by_replicate.values())
    # One economy: the same seeds as without the key (children of the same root).
    assert parse_experiment(_tiny(economies=1)).seeds() == parse_experiment(_tiny()).seeds()
    # Without common random numbers every run has its own seed.
    assert len(set(parse_experiment(_tiny(economies=3, common_random_numbers=False)).seeds())) == 18


def test_economies_count_in_the_run_limit() -> None:
    ten = {"type": "grid", "parameters": {"cross_cluster_subsidy": [i / 10 for i in range(10)]}}
    assert parse_experiment(_tiny(replicates=1000, economies=100, design=ten)).n_runs == MAX_RUNS
    eleven = {"type": "grid", "parameters": {"cross_cluster_subsidy": [i / 10 for i in range(11)]}}
    with pytest.raises(
        ExperimentError,
        match=r"'design\.parameters' makes 11 design points x 1,000 replicates x 100 economies "
        r"= 1,100,000 runs; at most",
    ):
        parse_experiment(_tiny(replicates=1000, economies=100, design=eleven))


def test_economies_change_the_fingerprint() -> None:
    base = parse_experiment(_tiny()).fingerprint()
    assert parse_experiment(_tiny(economies=2)).fingerprint() != base


def test_economies_refuse_an_economy_seed_in_the_bounds() -> None:
    data = _continuous({"type": "lhs", "samples": 4}) | {"economies": 2}
    data["design"]["bounds"] = {"economy_seed": [0, 10]}
    with pytest.raises(ExperimentError, match=r"'economies' .* cannot also be set in \[design\]"):
        parse_experiment(data)


@pytest.mark.parametrize(
    ("design", "where"),
    [
        ("[fixed]\nshock_industry = 40\n[design]\ntype = \"grid\"\n"
         "[design.parameters]\ncross_cluster_subsidy = [0.0, 0.5]\n", "fixed"),
        ("[design]\ntype = \"grid\"\n[design.parameters]\nshock_industry = [3, 40]\n",
         "design point 1"),
        ("economies = 3\n[design]\ntype = \"grid\"\n[design.parameters]\n"
         "shock_industry = [-1, 15]\n", "design point 1"),
    ],
)  # fmt: skip
def test_a_shock_industry_some_economy_lacks_is_refused_when_read(
    tmp_path: Path, design: str, where: str
) -> None:
    # In range [-1, 100], but an economy has fewer industries (16 for economy_seed 0,
    # 14 and 13 for seeds 1 and 2): every run with it would fail, so the file is refused.
    path = tmp_path / "shock.toml"
    path.write_text(f'name = "shock"\nsteps = 3\nreplicates = 1\n{design}')
    with pytest.raises(ExperimentError, match=rf"\[{where}.*'shock_industry' must be -1 or an"):
        load_experiment(path)
    path.write_text(path.read_text().replace("40", "12").replace("15", "12"))
    assert load_experiment(path).n_runs > 0  # an industry every economy has
