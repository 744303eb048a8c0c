"""Tests of clusterlab.experiments.calibrate: intensities calibrated to a realised-spend target."""

import json

import numpy as np
import pytest

import clusterlab.experiments.calibrate as calibrate_module
from clusterlab.experiments.calibrate import (
    CalibrationWarning,
    bisect_spend,
    calibrate_intensity,
    levers,
)
from clusterlab.experiments.cli import EXIT_BAD_INPUT, main
from clusterlab.model.errors import ParameterError
from clusterlab.model.presets import preset
from clusterlab.model.simulate import simulate

PILOT = {"n_firms": 150, "burn_in": 2}
SEEDS = (0, 1)
STEPS = 8


# --- bisection on a known spend curve --------------------------------------------------------


@pytest.mark.parametrize("target", [5.0, 33.0, 61.0, 97.0])
def test_bisect_spend_meets_the_tolerance_on_a_monotone_curve(target):
    def spend(x):  # convex, then capped: like a subsidy that meets the budget
        return min(100 * x**2 + 20 * x, 100.0)

    value, points = bisect_spend(spend, 0.0, 1.0, target, 0.05, 20)
    assert abs(spend(value) - target) <= 0.05 * target
    assert points[:2] == [(0.0, 0.0), (1.0, 100.0)]  # both ends first


def test_bisect_spend_returns_the_nearer_end_for_an_unreachable_target():
    value, points = bisect_spend(lambda x: 10 * x, 0.0, 1.0, 50.0, 0.05, 20)
    assert value == 1.0
    assert len(points) == 2, "no bisection outside the reachable range"


# --- calibration on pilot runs ---------------------------------------------------------------


def _top_spend(lever):
    params = preset("baseline", **PILOT, **{lever: 1.0})
    return np.mean([simulate(params, seed=s, steps=STEPS).summary["policy_spend"] for s in SEEDS])


@pytest.mark.parametrize("lever", ["cross_cluster_subsidy", "sme_rd_grant"])
def test_calibrated_intensity_spends_within_tolerance_of_its_target(lever):
    target = 0.5 * _top_spend(lever)
    assert target > 0
    c = calibrate_intensity(
        preset("baseline", **PILOT), lever, target, seeds=SEEDS, steps=STEPS, tolerance=0.05
    )
    assert c.within
    assert c.monotone
    assert 0 < c.value < 1
    # the pilot runs again at the value found: the same spend, within 5% of the target
    params = preset("baseline", **PILOT, **{lever: c.value})
    spends = [simulate(params, seed=s, steps=STEPS).summary["policy_spend"] for s in SEEDS]
    assert tuple(spends) == c.per_seed
    assert abs(np.mean(spends) - target) <= 0.05 * target
    assert c.relative_error == pytest.approx(abs(c.achieved - target) / target)


def test_a_fall_in_spend_is_warned_about(monkeypatch):
    # Spend that falls in the middle of the range breaks the bisection's premise.
    def fake(params, lever, value, seeds, steps):
        return np.array([{0.0: 0.0, 1.0: 100.0, 0.5: 60.0, 0.25: 70.0}.get(value, 20.0)])

    monkeypatch.setattr(calibrate_module, "_spend", fake)
    with pytest.warns(CalibrationWarning, match="did not rise with 'sme_rd_grant'"):
        c = calibrate_intensity(preset("baseline"), "sme_rd_grant", 40.0, seeds=(0,))
    assert not c.monotone


@pytest.mark.parametrize(
    ("lever", "target", "kwargs", "match"),
    [
        ("sme_grant", 10.0, {}, "Did you mean 'sme_rd_grant'"),
        ("allocation", 10.0, {}, "choose a numeric policy lever"),
        ("n_firms", 10.0, {}, "choose a numeric policy lever"),
        ("sme_rd_grant", -1.0, {}, "M€ >= 0"),
        ("sme_rd_grant", 10.0, {"seeds": ()}, "at least one pilot seed"),
        ("sme_rd_grant", 10.0, {"tolerance": 0.0}, r"share in \(0, 1\)"),
        ("sme_rd_grant", 10.0, {"max_evaluations": 2}, "max_evaluations must be >= 3"),
    ],
)
def test_bad_settings_raise_one_line(lever, target, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        calibrate_intensity(preset("baseline"), lever, target, **kwargs)


def test_levers_are_the_numeric_policy_parameters():
    assert "cross_cluster_subsidy" in levers()
    assert "policy_budget" in levers()
    assert "subsidy_targeting" not in levers()


# --- command line ----------------------------------------------------------------------------


def test_cli_calibrate_reports_the_intensity_and_its_spend(capsys):
    target = 0.5 * _top_spend("cross_cluster_subsidy")
    args = ["calibrate", "cross_cluster_subsidy", str(target), "--seeds", "2"]
    args += ["--steps", str(STEPS), "--set", "n_firms=150", "--set", "burn_in=2", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["within"] is True
    assert abs(out["achieved"] - target) <= 0.05 * target


def test_cli_calibrate_exits_1_when_the_target_is_out_of_reach(capsys):
    args = ["calibrate", "intra_cluster_subsidy", "1e6", "--seeds", "1", "--steps", "2"]
    assert main([*args, "--set", "n_firms=100", "--set", "burn_in=1"]) == 1
    assert "NOT within" in capsys.readouterr().out


def test_cli_calibrate_bad_lever_exits_2(capsys):
    assert main(["calibrate", "budget", "10"]) == EXIT_BAD_INPUT
    assert "Cannot calibrate 'budget'" in capsys.readouterr().err
