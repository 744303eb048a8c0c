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
