"""The teaching app's live charts: plain ECharts options read from the recorder."""

import json

import numpy as np
import pytest

from experiments.app_charts import (
    CHARTS,
    SPEND_LABELS,
    heterogeneity_chart,
    radical_chart,
    specialisation_chart,
    spend_chart,
)
from model.record import ECONOMY, SPEND_COLUMNS


def test_charts_follow_the_recorder(make_model):
    model = make_model(preset_name="ris3_relatedness")
    for _ in range(3):
        model.step()
    eco = [r for r in model.recorder.rows if r["scope"] == ECONOMY]
    radical = radical_chart(model)
    assert radical.option["series"][0]["data"] == [r["radical"] for r in eco]
    assert f"total so far: {int(sum(r['radical'] for r in eco))})" in radical.title
    spend = spend_chart(model)
    assert [s["name"] for s in spend.option["series"]] == [SPEND_LABELS[c] for c in SPEND_COLUMNS]
    assert {s["stack"] for s in spend.option["series"]} == {"spend"}  # stacked areas
    assert f"{sum(r['spend_total'] for r in eco):.1f} M€" in spend.title
    region = model.state.geo.region_names[0]
    entries = [r["entries"] for r in model.recorder.rows if r["scope"] == region]
    first = specialisation_chart(model).option["series"][0]
    assert first["data"] == np.cumsum(entries).tolist()
    mean = heterogeneity_chart(model).option["series"][0]
    last = [r["heterogeneity"] for r in model.recorder.cluster_rows if r["step"] == 3]
    assert mean["data"][3] == pytest.approx(np.mean(last))


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
