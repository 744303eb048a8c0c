"""Extensions (model/extension.py) and the worked examples of docs/extending.md.

The examples live in docs/examples/ (as a researcher's own module would, outside the
package) and are imported from there: ``innovation_voucher`` (a policy lever) and
``rd_cuts`` (a firm behaviour).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterlab.model import ClusterModel
from clusterlab.model.errors import ParameterError
from clusterlab.model.extension import Extension, ExtensionParam, extension_params
from clusterlab.model.presets import preset
from clusterlab.model.schedule import YEARLY_SCHEDULE, Stage, Year
from clusterlab.model.simulate import simulate

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
VOUCHER_COLUMNS = ["spend_innovation_voucher", "vouchers"]
SEEDS = (0, 1, 2, 3, 4)


@pytest.fixture
def voucher(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return importlib.import_module("innovation_voucher")


@pytest.fixture
def rd_cuts(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return importlib.import_module("rd_cuts")


def _params(**overrides):
    return preset("baseline", n_firms=200, burn_in=3, **overrides)


def _noop(ws, params, rng, year):
    return None


def _extension(name="x", after="market", params=(), stage="x_stage"):
    stage = Stage(stage, ("firm",), _noop, (), (), "x", "nothing")
    return Extension(name=name, after=after, stages=(stage,), params=params)


# --- registration -----------------------------------------------------------------------


def test_without_extensions_a_model_runs_the_default_schedule():
    model = ClusterModel(params=_params(), rng=0)
    assert model.schedule == YEARLY_SCHEDULE
    assert dict(model.extension_params) == {}
    model.release()


def test_an_extension_is_placed_after_its_stage_and_changes_no_other_model(voucher, rd_cuts):
    model = ClusterModel(params=_params(), rng=0,
                         extensions=[voucher.INNOVATION_VOUCHER, rd_cuts.RD_CUTS])  # fmt: skip
    names = [s.name for s in model.schedule]
    assert names[names.index("learning") + 1] == "innovation_vouchers"
    assert names[names.index("rd_budgets") + 1] == "rd_cuts"
    assert len(names) == len(YEARLY_SCHEDULE) + 2
    other = ClusterModel(params=_params(), rng=0)  # no global registry
    assert other.schedule == YEARLY_SCHEDULE
    model.release()
    other.release()


def test_extensions_after_one_stage_run_in_the_order_given():
    first, second = _extension("a", stage="a1"), _extension("b", stage="b1")
    model = ClusterModel(params=_params(), rng=0, extensions=[first, second])
    names = [s.name for s in model.schedule]
    assert names[names.index("market") + 1 : names.index("market") + 3] == ["a1", "b1"]
    model.release()


@pytest.mark.parametrize(
    ("extensions", "message"),
    [
        ([_extension(after="marked")], r"placed after 'marked', which is not a stage. Did you"),
        ([_extension(), _extension()], r"Extension 'x' is given twice"),
        ([_extension(stage="market")], r"Stage 'market' of extension 'x' is already in"),
        ([_extension(params=(ExtensionParam("policy_budget", 1.0, 0.0, 2.0, "M€", ""),))],
         r"Parameter 'policy_budget' of extension 'x' is already a parameter"),
        (["no_colon"], r"must read 'package.module:object'"),
        (["clusterlab.model.schedule:YEARLY_SCHEDULE"], r"Not an Extension"),
    ],
)  # fmt: skip
def test_a_misdeclared_extension_is_rejected_in_one_line(extensions, message):
    with pytest.raises(ParameterError, match=message):
        ClusterModel(params=_params(), rng=0, extensions=extensions)


def test_extension_parameters_are_validated_like_the_built_in_ones(voucher):
    ext = voucher.INNOVATION_VOUCHER
    assert ext.configure(voucher_amount=0.02).settings()["voucher_amount"] == 0.02
    assert ext.settings()["voucher_amount"] == 0.01  # the default; configure made a copy
    with pytest.raises(ParameterError, match=r"Unknown parameter 'voucher_amont' of extension "
                       r"'innovation_voucher'. Did you mean 'voucher_amount'\?"):  # fmt: skip
        ext.configure(voucher_amont=0.02)
    with pytest.raises(ParameterError, match=r"'voucher_amount' parameter of extension "
                       r"'innovation_voucher' must be a number in \[0, 1\]"):  # fmt: skip
        ext.configure(voucher_amount=2.0)
    with pytest.raises(ParameterError, match=r"must be a number in \[0, 1\] \(1/year\)"):
        ext.configure(voucher_learning_rate="fast")


def test_extension_parameters_set_by_name_run_as_a_configured_extension(
    voucher, assert_frames_identical
):
    ext = voucher.INNOVATION_VOUCHER
    with extension_params([ext]):
        params = _params(voucher_amount=0.02, policy_budget=2.0)
    assert params.extension == (("voucher_amount", 0.02),)
    assert _params(policy_budget=2.0).extension == ()  # no value: every default holds
    by_name = simulate(params, seed=2, steps=4, extensions=[ext])
    configured = _run(2, [ext.configure(voucher_amount=0.02)], steps=4, policy_budget=2.0)
    assert_frames_identical(by_name.timeseries, configured.timeseries)
    assert by_name.params["voucher_amount"] == 0.02
    model = ClusterModel(params=_params(), rng=0, extensions=[ext], voucher_amount=0.03)
    assert model.extension_params["voucher_amount"] == 0.03  # keyword arguments too
    model.release()


def test_extension_parameters_by_name_are_checked_and_need_their_extension(voucher):
    ext = voucher.INNOVATION_VOUCHER
    with pytest.raises(ParameterError, match="Unknown parameter 'voucher_amount'"):
        _params(voucher_amount=0.02)  # outside the block the name is unknown
    with extension_params([ext]):
        with pytest.raises(ParameterError, match=r"must be a number in \[0, 1\]"):
            _params(voucher_amount=2.0)
        params = _params(voucher_amount=0.02)
    with pytest.raises(ParameterError, match=r"\['voucher_amount'\] belong to no extension"):
        simulate(params, seed=0, steps=1)  # a value without the extension that reads it
    clash = _extension(params=(ExtensionParam("policy_budget", 1.0, 0.0, 2.0, "M€", ""),))
    with pytest.raises(ParameterError, match="'policy_budget' of extension 'x' is already"):
        extension_params([clash])


# --- the policy lever: innovation vouchers --------------------------------------------------


def _run(seed, extensions=(), steps=8, **overrides):
    return simulate(_params(**overrides), seed=seed, steps=steps, extensions=extensions)


@pytest.mark.parametrize("seed", SEEDS)
def test_vouchers_are_paid_from_the_budget_left_and_booked(voucher, seed):
    budget = 0.6  # binds: SMEs x 0.01 M€ exceed what the link subsidies leave
    result = _run(seed, [voucher.INNOVATION_VOUCHER], policy_budget=budget,
                  cross_cluster_subsidy=0.5, university_link_subsidy=0.5)  # fmt: skip
    ts = result.timeseries
    regions = ts[ts["scope"] != "economy"]
    spend_columns = [c for c in ts if c.startswith("spend_") and c != "spend_total"]
    assert "spend_innovation_voucher" in spend_columns
    np.testing.assert_allclose(ts[spend_columns].sum(axis=1), ts["spend_total"], rtol=1e-12)
    assert (regions["spend_total"] <= budget * (1 + 1e-12)).all()
    paid = regions[regions["step"] > 0]["spend_innovation_voucher"]
    assert (paid > 0).any()
    assert (ts[ts["step"] == 0]["spend_innovation_voucher"] == 0).all()  # policy off before
    assert result.summary["policy_spend"] == pytest.approx(
        ts[(ts["scope"] == "economy") & (ts["step"] > 0)]["spend_total"].sum()
    )


def test_a_voucher_raises_an_sme_knowledge_toward_its_university(voucher):
    model = ClusterModel(params=_params(), rng=2, extensions=[voucher.INNOVATION_VOUCHER])
    model.step()
    ws, p = model.state, model.params
    ws.step += 1
    ws.compact()  # a year starts with exited firms dropped
    year = Year(settings=model.extension_params)
    for stage in model.schedule[: [s.name for s in model.schedule].index("learning") + 1]:
        stage.run(ws, p, model.rng, year)
    before = ws.firms.knowledge.copy()
    voucher.pay_vouchers(ws, p, model.rng, year)
    sme = np.flatnonzero(ws.firms.alive & year.sme)
    uni = voucher.nearest_university(ws, sme)
    gained = (ws.firms.knowledge - before).sum(axis=1)
    assert (gained >= 0).all()
    assert (gained[sme[uni >= 0]] > 0).mean() > 0.9  # nearly every SME with a university
    assert (gained[~np.isin(np.arange(len(ws.firms)), sme)] == 0).all()  # large firms
    assert year.extra_spend["innovation_voucher"].sum() == pytest.approx(0.01 * (uni >= 0).sum())
    model.release()


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_a_voucher_of_zero_changes_nothing(voucher, seed, assert_frames_identical):
    off = voucher.INNOVATION_VOUCHER.configure(voucher_amount=0.0)
    with_lever, without = _run(seed, [off]), _run(seed)
    assert_frames_identical(with_lever.timeseries.drop(columns=VOUCHER_COLUMNS),
                            without.timeseries)  # fmt: skip
    assert (with_lever.timeseries[VOUCHER_COLUMNS] == 0).all().all()


def test_a_run_with_an_extension_is_deterministic_and_records_it(voucher, assert_frames_identical):
    ext = voucher.INNOVATION_VOUCHER.configure(voucher_learning_rate=0.5)
    first = _run(3, [ext])
    second = _run(3, [ext])
    assert_frames_identical(first.timeseries, second.timeseries)
    assert first.params["voucher_learning_rate"] == 0.5
    assert first.params["voucher_amount"] == 0.01
    assert first.extensions == ["innovation_voucher"]
    by_name = _run(3, ["innovation_voucher:INNOVATION_VOUCHER"])  # as a worker imports it
    assert by_name.params["voucher_learning_rate"] == 0.3
    assert isinstance(by_name.timeseries, pd.DataFrame)


# --- the firm behaviour: R&D cuts of firms short of cash ---------------------------------------


def test_firms_short_of_cash_cut_their_rd(rd_cuts):
    model = ClusterModel(params=_params(), rng=1, extensions=[rd_cuts.RD_CUTS])
    model.step()
    ws, p = model.state, model.params
    ws.step += 1
    ws.compact()  # a year starts with exited firms dropped
    ws.firms.cash[:5] = -1.0  # five firms short of cash, the others not
    ws.firms.cash[5:] = np.abs(ws.firms.cash[5:])
    year = Year(settings=model.extension_params)
    model.schedule[0].run(ws, p, model.rng, year)  # rd_budgets
    budget = ws.firms.rd_budget.copy()
    rd_cuts.cut_rd(ws, p, model.rng, year)
    np.testing.assert_array_equal(ws.firms.rd_budget[:5], budget[:5] * 0.5)  # 1 - 0.5
    np.testing.assert_array_equal(ws.firms.rd_budget[5:], budget[5:])
    assert year.records["rd_cuts"].sum() == 5
    model.release()


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_a_cut_of_zero_changes_nothing(rd_cuts, seed, assert_frames_identical):
    off = rd_cuts.RD_CUTS.configure(rd_cut_share=0.0)
    with_cut, without = _run(seed, [off]), _run(seed)
    assert_frames_identical(with_cut.timeseries.drop(columns=["rd_cuts"]), without.timeseries)


def test_a_value_set_by_configure_and_by_name_must_agree(voucher):
    ext = voucher.INNOVATION_VOUCHER.configure(voucher_amount=0.05)
    with extension_params([ext]):
        same, other = _params(voucher_amount=0.05), _params(voucher_amount=0.02)
    assert simulate(same, seed=0, steps=1, extensions=[ext]).params["voucher_amount"] == 0.05
    with pytest.raises(ParameterError, match="'voucher_amount' parameter of extension "
                       r"'innovation_voucher' is set twice: 0\.05 by configure"):  # fmt: skip
        simulate(other, seed=0, steps=1, extensions=[ext])


def test_an_integer_default_on_a_range_of_numbers_is_refused():
    with pytest.raises(ValueError, match="give a float default"):
        ExtensionParam("share", 0, 0.0, 0.5, "share", "")
    assert ExtensionParam("count", 2, 0, 10, "firms", "").spec("x").kind is int
    assert ExtensionParam("share", 0.0, 0.0, 0.5, "share", "").spec("x").kind is float
