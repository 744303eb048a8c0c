"""An experiment file naming an extension (docs/extending.md): its runs use it, in workers too.

The extension is named ``"package.module:object"``; a worker process imports it by name
(spawned workers inherit the parent's ``sys.path``). The worked example of
docs/examples/innovation_voucher.py pays vouchers from each region's budget.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterlab.experiments.design import ExperimentError, load_experiment, parse_experiment
from clusterlab.experiments.pool import local_executor
from clusterlab.experiments.runner import run_experiment
from clusterlab.experiments.store import load_results
from clusterlab.model.presets import preset
from clusterlab.model.simulate import simulate

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
REFERENCE = "innovation_voucher:INNOVATION_VOUCHER"
EXPERIMENT = f"""
name = "vouchers"
steps = 3
replicates = 1
seed = 5
extensions = ["{REFERENCE}"]

[fixed]
n_firms = 120
burn_in = 2

[design]
type = "grid"

[design.parameters]
policy_budget = [0.2, 5.0]
"""


@pytest.fixture
def voucher_file(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    path = tmp_path / "vouchers.toml"
    path.write_text(EXPERIMENT)
    return path


def test_a_sweep_in_worker_processes_runs_the_named_extension(voucher_file, tmp_path):
    exp = load_experiment(voucher_file)
    assert exp.extensions == (REFERENCE,)
    with local_executor(1) as pool:
        report = run_experiment(exp, tmp_path / "out", executor=pool, workers=1)
    assert (report.completed, report.failed) == (2, 0)
    results = load_results(tmp_path / "out")
    assert results.manifest["extensions"] == [REFERENCE]
    ts = results.timeseries
    regions = ts[(ts["scope"] != "economy") & (ts["step"] > 0)]
    assert (regions["spend_innovation_voucher"] > 0).any()
    tight = regions[regions["point"] == 0]  # a budget of 0.2 M€ a region binds
    assert (tight["spend_total"] <= 0.2 * (1 + 1e-12)).all()
    direct = simulate(preset("baseline", n_firms=120, burn_in=2, policy_budget=5.0),
                      seed=int(results.summary["seed"].iloc[1]), steps=3,
                      extensions=[REFERENCE])  # fmt: skip
    mine = ts[ts["point"] == 1].reset_index(drop=True)
    assert mine["spend_innovation_voucher"].tolist() == (
        direct.timeseries["spend_innovation_voucher"].tolist()
    )


def test_extensions_change_the_fingerprint_and_others_keep_theirs(voucher_file):
    data = {"name": "x", "design": {"type": "grid", "parameters": {"policy_budget": [1.0]}}}
    plain = parse_experiment(dict(data))
    extended = parse_experiment({**data, "extensions": [REFERENCE]})
    assert plain.fingerprint() != extended.fingerprint()
    assert plain.runs()[0].extensions == ()
    assert extended.runs()[0].extensions == (REFERENCE,)


def test_an_extension_that_does_not_fit_is_refused_in_one_line(voucher_file):
    data = {"name": "x", "design": {"type": "grid", "parameters": {"policy_budget": [1.0]}}}
    with pytest.raises(ExperimentError, match=r"'extensions' cannot be used: Extension "
                       r"'innovation_voucher' is given twice"):  # fmt: skip
        parse_experiment({**data, "extensions": [REFERENCE, REFERENCE]})


SWEPT = f"""
name = "voucher_dose"
steps = 3
replicates = 2
seed = 8
extensions = ["{REFERENCE}"]

[fixed]
n_firms = 120
burn_in = 2
policy_budget = 5.0

[design]
type = "grid"

[design.parameters]
voucher_amount = [0.0, 0.03]
"""


def test_an_extension_lever_is_swept_by_name_like_a_built_in_one(voucher_file, tmp_path):
    path = tmp_path / "dose.toml"
    path.write_text(SWEPT)
    exp = load_experiment(path)
    assert [p.overrides for p in exp.points] == [{"voucher_amount": 0.0}, {"voucher_amount": 0.03}]
    with local_executor(2) as pool:
        report = run_experiment(exp, tmp_path / "out", executor=pool, workers=2)
    assert (report.completed, report.failed) == (4, 0)
    ts = load_results(tmp_path / "out").timeseries
    spend = ts[ts["scope"] == "economy"].groupby("point")["spend_innovation_voucher"].sum()
    assert spend[0] == 0.0  # the lever at zero pays nothing
    assert spend[1] > 0.0


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ({"type": "grid", "parameters": {"voucher_amount": [2.0]}},
         r"\[design.parameters\] The 'voucher_amount' parameter of extension "
         r"'innovation_voucher' must be a number in \[0, 1\]"),
        ({"type": "lhs", "samples": 4, "bounds": {"voucher_amount": [0.0, 3.0]}},
         r"design.bounds.voucher_amount' must lie in the range of the parameter"),
    ],
)  # fmt: skip
def test_an_extension_lever_out_of_its_range_is_refused_in_one_line(voucher_file, design, message):
    data = {"name": "x", "extensions": [REFERENCE], "design": design}
    with pytest.raises(ExperimentError, match=message):
        parse_experiment(data)
    grid = {"type": "grid", "parameters": {"voucher_amount": [0.1]}}
    with pytest.raises(ExperimentError, match="Unknown parameter 'voucher_amount'"):
        parse_experiment({"name": "x", "design": grid})
