"""Tests of scenario discovery (experiments/discover.py and 'clusterlab discover')."""

import numpy as np
import pandas as pd
import pytest

from clusterlab.experiments.cli import main
from clusterlab.experiments.discover import choose_box, discovery_stem, find_box
from clusterlab.experiments.errors import OutputError

# The true box: a < 0.3 and b > 0.6 (c and d are irrelevant).
TRUE_UPPER_A, TRUE_LOWER_B = 0.3, 0.6


def synthetic(seed: int, n: int = 600) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.uniform(0, 1, (n, 4)), columns=["a", "b", "c", "d"])
    y = ((x["a"] < TRUE_UPPER_A) & (x["b"] > TRUE_LOWER_B)).to_numpy()
    return x, y


@pytest.mark.parametrize("seed", range(5))
def test_prim_box_contains_the_true_box(seed):
    x, y = synthetic(seed)
    found = find_box(x, y, "a < 0.3 and b > 0.6")
    limits = found.limits.set_index("input")
    assert set(limits.index) == {"a", "b"}  # only the two inputs that matter are restricted
    # Every run inside the true box is inside the box found (coverage 1) ...
    inside = (x["a"] >= limits.loc["a", "lower"]) & (x["a"] <= limits.loc["a", "upper"])
    inside &= (x["b"] >= limits.loc["b", "lower"]) & (x["b"] <= limits.loc["b", "upper"])
    assert inside[y].all()
    assert found.box["coverage"] == 1.0
    # ... and its limits reach the true ones (PRIM stops at data points: within 0.05).
    assert limits.loc["a", "upper"] >= TRUE_UPPER_A - 0.05
    assert limits.loc["b", "lower"] <= TRUE_LOWER_B + 0.05
    assert found.box["density"] >= 0.8
    assert set(found.scores["input"].head(2)) == {"a", "b"}


@pytest.mark.parametrize("seed", range(5))
def test_a_box_below_the_density_threshold_keeps_its_peeling_trajectory(seed):
    # Half the runs inside the true box are cases (a coin not among the inputs), none
    # outside: no box reaches density 0.8. EMA Workbench returns its initial box when the
    # final box is below Prim's threshold; the peeling must still be kept and the densest
    # box reported (choose_box), not "no box" at density = the share of cases (about 0.06).
    x, inside = synthetic(seed)
    y = inside & (np.random.default_rng(100 + seed).uniform(size=inside.size) < 0.5)
    found = find_box(x, y, "noisy")
    assert len(found.trajectory) > 1
    assert found.box["density"] < 0.8
    assert found.box["density"] == found.trajectory["density"].max()
    assert found.box["density"] > 5 * y.mean()
    assert set(found.limits["input"]) >= {"a", "b"}


def test_choose_box_takes_the_most_coverage_at_enough_density():
    trajectory = pd.DataFrame({"coverage": [1.0, 0.9, 0.7], "density": [0.2, 0.85, 0.95]})
    assert choose_box(trajectory, 0.8) == 1
    assert choose_box(trajectory, 0.99) == 2  # none dense enough: the densest
    tie = pd.DataFrame({"coverage": [1.0, 0.9, 0.9, 0.5], "density": [0.2, 0.85, 1.0, 1.0]})
    assert choose_box(tie, 0.8) == 2  # equal coverage: the denser box


def test_no_case_of_interest_is_refused():
    x, y = synthetic(0, 50)
    with pytest.raises(OutputError, match="No run meets the condition"):
        find_box(x, np.zeros_like(y), "never")


def test_cli_errors_are_one_line(tmp_path, capsys):
    missing = tmp_path / "nothing"
    assert main(["discover", str(missing), "--outcome", "radical_innovations", "--below", "1"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err
    assert err.count("\n") == 1
    with pytest.raises(SystemExit) as info:
        main(["discover", str(missing), "--outcome", "x"])  # neither --below nor --above
    assert info.value.code == 2


def test_cli_on_a_results_folder(tiny_reference, tmp_path, capsys):
    root = tiny_reference.root
    out = tmp_path / "disc"
    args = ["discover", str(root), "--outcome", "radical_innovations", "--out", str(out)]
    assert main([*args, "--below", "-1"]) == 2
    assert "No run meets the condition radical_innovations < -1" in capsys.readouterr().err
    assert main([*args[:3], "radical_innovatons", "--below", "1"]) == 2
    assert "Did you mean 'radical_innovations'" in capsys.readouterr().err
    lowest = float(tiny_reference.summary["radical_innovations"].min())
    assert main([*args, "--above", str(lowest)]) == 0
    printed = capsys.readouterr().out
    assert "PRIM box" in printed
    stem = f"discover_radical_innovations_above{lowest:g}"
    assert (out / "tables" / f"{stem}_box.csv").is_file()
    assert (out / "figures" / f"{stem}_tradeoff.png").is_file()


def test_discoveries_of_other_conditions_or_policies_do_not_overwrite_each_other():
    # the compare report writes discover_<outcome>_*; the command adds side, value, policy
    stems = {
        discovery_stem("radical_innovations", 170, None),
        discovery_stem("radical_innovations", 150, None),
        discovery_stem("radical_innovations", None, 170),
        discovery_stem("radical_innovations", 170, None, "mission"),
        discovery_stem("radical_innovations", 170, None, "RIS3 relatedness"),
    }
    assert len(stems) == 5
    assert "discover_radical_innovations" not in stems
    assert discovery_stem("x", 0.5, None, "RIS3 / links") == "discover_x_below0.5_RIS3_links"
