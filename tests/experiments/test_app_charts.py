"""The teaching app's live charts: plain ECharts options read from the recorder."""

import json

import numpy as np
import pytest

from clusterlab.experiments.app_charts import (
    CHARTS,
    SHOCK_COLOUR,
    SPEND_LABELS,
    employment_industry_chart,
    employment_region_chart,
    heterogeneity_chart,
    partner_chart,
    radical_chart,
    rounded,
    specialisation_chart,
    spend_chart,
)
from clusterlab.model import ClusterModel
from clusterlab.model.presets import preset
from clusterlab.model.record import ECONOMY, SPEND_COLUMNS


def test_charts_follow_the_recorder(make_model):
    model = make_model(preset_name="ris3_relatedness")
    for _ in range(3):
        model.step()
    eco = [r for r in model.recorder.rows if r["scope"] == ECONOMY]
    radical = radical_chart(model)
    assert radical.option["series"][0]["data"] == [r["radical"] for r in eco]
    assert radical.option["series"][1]["data"] == [r["recombinant"] for r in eco]
    assert f"to year 3: {int(sum(r['radical'] for r in eco))} radical" in radical.title
    spend = spend_chart(model)
    assert [s["name"] for s in spend.option["series"]] == [SPEND_LABELS[c] for c in SPEND_COLUMNS]
    assert {s["stack"] for s in spend.option["series"]} == {"spend"}  # stacked areas
    assert f"total to year 3: {sum(r['spend_total'] for r in eco):.1f} M€" in spend.title
    region = model.state.geo.region_names[0]
    entries = [r["entries"] for r in model.recorder.rows if r["scope"] == region]
    first = specialisation_chart(model).option["series"][0]
    assert first["data"] == np.cumsum(entries).tolist()
    mean = heterogeneity_chart(model).option["series"][0]
    last = [r["heterogeneity"] for r in model.recorder.cluster_rows if r["step"] == 3]
    assert mean["data"][3] == pytest.approx(np.mean(last), rel=1e-3)  # rounded to 4 digits


def test_every_chart_is_plain_json_with_lever_marks(make_model):
    model = make_model()
    model.step()
    for chart in CHARTS:
        shown = chart(model, [(2, "cross_cluster_subsidy = 0.5")])
        option = json.loads(json.dumps(shown.option))  # plain data, as sent to the browser
        assert shown.title
        assert option["xAxis"]["data"][:3] == ["0", "1", "2"]
        assert len(option["xAxis"]["data"]) == 11  # at least ten years wide from the start
        assert all(len(s["data"]) == 2 for s in option["series"])  # years 0 and 1
        assert option["series"][0]["markLine"]["data"] == [
            {"xAxis": "2", "name": "cross_cluster_subsidy = 0.5"}
        ]
        assert "markLine" not in chart(model).option["series"][0]


def test_rounded_keeps_four_significant_digits():
    assert rounded([0.6869565217391305, 12345.678, 3.0]) == [0.687, 12350.0, 3.0]
    assert json.dumps(rounded(np.array([1 / 3]))) == "[0.3333]"


def test_employment_charts_follow_the_recorder_and_mark_the_shock(make_model):
    model = make_model(shock_industry=0, shock_year=2)
    model.step()
    assert "markLine" not in employment_region_chart(model).option["series"][0]  # not yet
    for _ in range(2):
        model.step()
    by_region = employment_region_chart(model).option
    names = model.state.geo.region_names
    assert [s["name"] for s in by_region["series"]] == [
        f"Region {r + 1}" for r in range(len(names))
    ]
    first = [r["employment"] for r in model.recorder.rows if r["scope"] == names[0]]
    assert by_region["series"][0]["data"] == rounded(first)
    shock = by_region["series"][0]["markLine"]["data"][-1]
    assert (shock["xAxis"], shock["lineStyle"]["color"]) == ("2", SHOCK_COLOUR)
    by_industry = employment_industry_chart(model).option
    assert len(by_industry["series"]) == model.state.industries.n
    year3 = sum(s["data"][3] for s in by_industry["series"])
    total = [r["employment"] for r in model.recorder.rows if r["scope"] == "economy"][3]
    assert year3 == pytest.approx(total, rel=1e-3)  # industries add up to all jobs
    assert by_industry["series"][0]["markLine"]["data"][-1]["name"] == "demand shock"


def test_partner_chart_counts_organizations_with_a_partner_abroad(make_model):
    model = make_model()
    model.step()
    n_orgs = len(model.state.orgs)
    chart = partner_chart(model)
    now = sum(int(p >= 0) for p in model.state.orgs.partner)
    assert chart.option["series"][0]["data"][-1] == now
    assert chart.option["yAxis"]["max"] == n_orgs
    assert f"(of {n_orgs})" in chart.title


def test_partner_chart_draws_after_a_cluster_is_founded_during_the_run():
    # baseline, seed 1, 1,000 firms: a cluster is founded in year 5 (exercise 4 reads
    # this chart's "of N"); the chart counted rows as if every year had every cluster.
    model = ClusterModel(params=preset("baseline"), rng=1)
    try:
        at_start = len(model.state.orgs)
        for _ in range(6):
            model.step()
        chart = partner_chart(model)
        assert len(model.state.orgs) > at_start
        assert len(chart.option["series"][0]["data"]) == 7  # years 0-6
        assert f"(of {len(model.state.orgs)})" in chart.title
    finally:
        model.release()
