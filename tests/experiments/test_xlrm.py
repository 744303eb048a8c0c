"""Tests of XLRM experiment files (experiments/xlrm.py): levers, uncertainties, worlds."""

from pathlib import Path

import pytest

from clusterlab.experiments.cli import main
from clusterlab.experiments.design import (
    DesignKind,
    ExperimentError,
    load_experiment,
    parse_experiment,
)
from clusterlab.experiments.store import load_results
from clusterlab.experiments.xlrm import parse_criterion, parse_satisfice

XLRM = """\
name = "xlrm"
steps = 3
replicates = 1
seed = 5
outputs = []

[fixed]
n_firms = 100

[levers]
cross_cluster_subsidy = [0.0, 0.5]
university_link_subsidy = { low = 0.0, high = 1.0, levels = 3 }

[uncertainties]
interaction_rate = [0.05, 0.3]
economy_seed = [0, 999]
economy = { values = ["generic", "marche"] }

[design]
type = "xlrm"
worlds = 4

[satisficing]
radical_innovations = ">= 3"
"""

NAMED = XLRM.replace(
    "worlds = 4\n",
    'worlds = 4\n\n[[design.policies]]\nname = "none"\n\n[[design.policies]]\nname = "both"\n'
    "set = { cross_cluster_subsidy = 0.5, university_link_subsidy = 1.0 }\n",
)


def _parse(text: str):
    import tomllib

    return parse_experiment(tomllib.loads(text), "f.toml")


def test_factorial_policies_cross_every_sampled_world():
    exp = _parse(XLRM)
    assert exp.kind is DesignKind.XLRM
    # 2 x 3 lever values = 6 policies, each in the same 4 worlds.
    assert len(exp.points) == 6 * 4
    assert exp.problem["levers"]["university_link_subsidy"] == [0.0, 0.5, 1.0]
    runs = exp.runs()
    by_world = {}
    for run in runs:
        tags = dict(run.tags)
        world = {k: run.overrides[k] for k in ("interaction_rate", "economy_seed", "economy")}
        by_world.setdefault(tags["world"], []).append(world)
        assert tags["policy"] == run.scenario
        assert 0.05 <= world["interaction_rate"] <= 0.3
        assert isinstance(world["economy_seed"], int)
        assert 0 <= world["economy_seed"] <= 999
        assert run.economy_seed == world["economy_seed"]
    assert sorted(by_world) == [0, 1, 2, 3]
    # Every policy meets identical worlds, and shares its seed with the others there.
    assert all(len({str(w) for w in worlds}) == 1 for worlds in by_world.values())
    assert len({r.seed for r in runs}) == 1  # common random numbers, one replicate


def test_worlds_are_seeded_and_lhs_stratified():
    a, b = _parse(XLRM), _parse(XLRM)
    assert [p.overrides for p in a.points] == [p.overrides for p in b.points]
    other = _parse(XLRM.replace("seed = 5", "seed = 6"))
    assert [p.overrides for p in a.points] != [p.overrides for p in other.points]
    # Latin hypercube: each quarter of the interaction_rate range holds one of 4 worlds.
    rates = sorted({p.overrides["interaction_rate"] for p in a.points})
    assert [int((r - 0.05) / 0.25 * 4) for r in rates] == [0, 1, 2, 3]


def test_named_policies_and_sobol_sampler():
    exp = _parse(NAMED.replace("worlds = 4", 'worlds = 4\nsampler = "sobol"'))
    assert list(exp.problem["policies"]) == ["none", "both"]
    assert len(exp.points) == 2 * 4
    both = next(p for p in exp.points if p.scenario == "both")
    assert both.overrides["university_link_subsidy"] == 1.0


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "interaction_rate = [",
            "interacton_rate = [",
            r"'uncertainties.interacton_rate' is not a "
            r"parameter. Did you mean 'interaction_rate'\?",
        ),
        (
            "cross_cluster_subsidy = [0.0, 0.5]",
            "cross_clster_subsidy = [0.0, 0.5]",
            r"'levers.cross_clster_subsidy' is not a parameter. "
            r"Did you mean 'cross_cluster_subsidy'",
        ),
        (
            "interaction_rate = [0.05, 0.3]",
            "cross_cluster_subsidy = [0.0, 1.0]",
            r"'uncertainties.cross_cluster_subsidy' is declared both as a lever and as an "
            r"uncertainty.*remove it from one of them",
        ),
        (
            "interaction_rate = [0.05, 0.3]",
            "interaction_rate = [0.05, 3.0]",
            r"'uncertainties.interaction_rate' must lie in the range of the parameter, a number in "
            r"\[0, 1\] \(1/year\). Got \[0.05, 3.0\]. Narrow the range to fit it.",
        ),
        ("levels = 3", "levels = 1", r"'levers.university_link_subsidy.levels' must be an integer"),
        (
            "worlds = 4",
            'worlds = 6\nsampler = "sobol"',
            r"'design.worlds' must be a power of 2.*use 8",
        ),
        (
            "worlds = 4",
            'worlds = 4\nsampler = "lhc"',
            r"'design.sampler' must be one of lhs, sobol",
        ),
        (
            '">= 3"',
            '"at least 3"',
            r"'satisficing.radical_innovations' must be a text with an "
            r"operator and a number",
        ),
        (
            "n_firms = 100",
            "n_firms = 100\ninteraction_rate = 0.1",
            r"'uncertainties.interaction_rate' is also in \[fixed\]",
        ),
        ("worlds = 4\n", "", r"'design.worlds' is required"),
        (
            'economy = { values = ["generic", "marche"] }',
            'economy = ["generic", "marche"]',
            r"'uncertainties.economy' is a choice; list its values",
        ),
        (
            "seed = 5",
            "seed = 5\neconomies = 3",
            r"'economies' does not combine with an xlrm design",
        ),
    ],
)
def test_mistakes_get_one_line_naming_the_fix(old, new, message):
    assert old in XLRM
    with pytest.raises(ExperimentError, match=message) as info:
        _parse(XLRM.replace(old, new, 1))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "cross_cluster_subsidy = 0.5,",
            "cross_cluster_subsidy = 0.9,",
            r"'design.policies\[1\].set.cross_cluster_subsidy' must lie within the lever's "
            r"declared values",
        ),
        (
            "cross_cluster_subsidy = 0.5,",
            "intra_cluster_subsidy = 0.5,",
            r"'design.policies\[1\].set.intra_cluster_subsidy' is not a declared lever",
        ),
        ('name = "both"', 'name = "none"', r"'design.policies\[1\].name' must be unique"),
    ],
)
def test_named_policy_mistakes(old, new, message):
    with pytest.raises(ExperimentError, match=message):
        _parse(NAMED.replace(old, new, 1))


def test_levers_need_the_xlrm_design():
    text = 'name = "x"\n[levers]\ncross_cluster_subsidy = [0.0]\n[design]\ntype = "grid"\n'
    text += "[design.parameters]\nn_firms = [100]\n"
    with pytest.raises(ExperimentError, match=r"'levers' needs type = \"xlrm\""):
        _parse(text)


def test_thresholds_parse():
    assert parse_criterion(">= 30") == (">=", 30.0)
    assert parse_criterion("<-1.5e1") == ("<", -15.0)
    assert parse_criterion("30") is None
    assert parse_satisfice("radical_innovations>=250") == ("radical_innovations", ">= 250")
    with pytest.raises(ExperimentError, match="--satisfice takes OUTCOME>=VALUE"):
        parse_satisfice("radical_innovations=250")


def test_small_xlrm_sweep_end_to_end(tmp_path: Path, capsys):
    # 2 named policies x 4 worlds x 1 replicate = 8 runs of 3 years, 100 firms, in-process.
    path = tmp_path / "xlrm.toml"
    path.write_text(NAMED)
    out = tmp_path / "res"
    assert main(["-q", "sweep", str(path), "--workers", "0", "--out", str(out)]) == 0
    results = load_results(out)
    assert len(results.summary) == 8
    assert set(results.summary["policy"]) == {"none", "both"}
    assert sorted(results.summary["world"].unique()) == [0, 1, 2, 3]
    assert {"policy", "world", "interaction_rate"} <= set(results.design)
    criteria = ["--satisfice", "radical_innovations>=0"]
    assert main(["compare", str(out), *criteria]) == 0
    report = (out / "report.md").read_text()
    for section in (
        "## Regret",
        "## Satisficing",
        "Outcomes across worlds",
        "Realised policy spend",
    ):
        assert section in report
    assert "radical_innovations >= 0" in report
    shares = (out / "tables" / "robustness_satisficing.csv").read_text()
    assert "1.0" in shares  # every world has >= 0 radical innovations
    assert (out / "figures" / "robustness_regret.png").is_file()
    assert exp_is_resumable(path, out)


def exp_is_resumable(path: Path, out: Path) -> bool:
    """A second sweep with --resume finds every run done."""
    exp = load_experiment(path)
    return main(
        ["-q", "sweep", str(path), "--workers", "0", "--out", str(out), "--resume"]
    ) == 0 and (len(load_results(out).summary) == exp.n_runs)
