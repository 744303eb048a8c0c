"""Tests of experiments/robustness.py: regret and satisficing on a hand-made table."""

import numpy as np
import pandas as pd
import pytest

from clusterlab.experiments.errors import OutputError
from clusterlab.experiments.robustness import (
    distributions,
    regret,
    regret_summary,
    satisficing,
    world_table,
)

# Three policies in two worlds; world 1 has two replicates of policy "a" (mean 20).
RUNS = pd.DataFrame(
    {
        "policy": ["a", "a", "a", "b", "b", "c", "c"],
        "world": [0, 1, 1, 0, 1, 0, 1],
        "radical_innovations": [10.0, 18.0, 22.0, 12.0, 15.0, 8.0, 30.0],
        "policy_spend": [1.0, 2.0, 2.0, 3.0, 1.0, 2.0, 2.0],
    }
)
OUTCOMES = ["radical_innovations", "policy_spend"]


@pytest.fixture
def table() -> pd.DataFrame:
    return world_table(RUNS, OUTCOMES)


def test_world_table_averages_replicates(table):
    a1 = table[(table["policy"] == "a") & (table["world"] == 1)]
    assert a1["radical_innovations"].item() == 20.0  # (18 + 22) / 2
    assert list(table["policy"].astype(str)) == ["a", "a", "b", "b", "c", "c"]


def test_regret_more_is_better(table):
    # World 0: best 12 (b) -> regrets a 2, b 0, c 4. World 1: best 30 (c) -> a 10, b 15, c 0.
    r = regret(table, "radical_innovations").set_index(["policy", "world"])["regret"]
    assert r.to_dict() == {
        ("a", 0): 2.0,
        ("b", 0): 0.0,
        ("c", 0): 4.0,
        ("a", 1): 10.0,
        ("b", 1): 15.0,
        ("c", 1): 0.0,
    }


def test_regret_less_is_better_for_spend(table):
    # World 0: least spend 1 (a) -> a 0, b 2, c 1. World 1: least 1 (b) -> a 1, b 0, c 1.
    s = regret_summary(table, ["policy_spend"]).set_index("policy")
    assert s["direction"].eq("min").all()
    assert s["max_regret"].to_dict() == {"a": 1.0, "b": 2.0, "c": 1.0}
    assert s["mean_regret"].to_dict() == {"a": 0.5, "b": 1.0, "c": 1.0}
    assert s["share_best"].to_dict() == {"a": 0.5, "b": 0.5, "c": 0.0}


def test_regret_summary_minimax(table):
    s = regret_summary(table, ["radical_innovations"]).set_index("policy")
    # Max regrets a 10, b 15, c 4: c is the minimax-regret policy.
    assert s["max_regret"].idxmin() == "c"
    assert s.loc["a", "mean_regret"] == pytest.approx(6.0)  # (2 + 10) / 2
    assert s.loc["b", "p90_regret"] == pytest.approx(13.5)  # 0 + 0.9 * (15 - 0)


def test_worlds_missing_a_policy_are_left_out_of_regret():
    runs = RUNS[~((RUNS["policy"] == "c") & (RUNS["world"] == 1))]
    r = regret(world_table(runs, OUTCOMES), "radical_innovations")
    assert set(r["world"]) == {0}


def test_satisficing_shares(table):
    # radical >= 12: a {10, 20} -> 1/2, b {12, 15} -> 2/2, c {8, 30} -> 1/2.
    # spend < 2: a {1, 2} -> 1/2, b {3, 1} -> 1/2, c {2, 2} -> 0. Both: a 0, b 1/2, c 0.
    s = satisficing(table, {"radical_innovations": ">= 12", "policy_spend": "< 2"})
    s = s.set_index("policy")
    assert s["radical_innovations >= 12"].to_dict() == {"a": 0.5, "b": 1.0, "c": 0.5}
    assert s["policy_spend < 2"].to_dict() == {"a": 0.5, "b": 0.5, "c": 0.0}
    assert s["all"].to_dict() == {"a": 0.0, "b": 0.5, "c": 0.0}
    assert s["worlds"].eq(2).all()


def test_distributions(table):
    d = distributions(table, ["radical_innovations"]).set_index("policy")
    assert d.loc["c", "median"] == 19.0
    assert d.loc["c", "p10"] == pytest.approx(8 + 0.1 * 22)
    assert d.loc["b", "sd"] == pytest.approx(np.std([12, 15], ddof=1))


def test_bad_input_is_one_line(table):
    with pytest.raises(OutputError, match="Unknown outcome 'radical'"):
        world_table(RUNS, ["radical"])
    with pytest.raises(OutputError, match="needs runs of an xlrm design"):
        world_table(RUNS.drop(columns="world"), OUTCOMES)
    with pytest.raises(OutputError, match="must be an operator and a number"):
        satisficing(table, {"radical_innovations": "lots"})
