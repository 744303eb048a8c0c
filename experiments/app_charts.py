"""The teaching app's live charts: plain ECharts options the browser draws.

Each chart is a plain function of a :class:`~clusterlab.model.cluster_model.ClusterModel` (and the
years at which a lever moved) returning a :class:`Chart`: a title and an ECharts ``option`` of
plain JSON data read from ``model.recorder``. The browser draws them: the page redraws
every year, and five matplotlib charts took longer than the model's year itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.colors import to_hex

from clusterlab.experiments.app_names import industry_names, region_names
from clusterlab.experiments.app_space import (
    cluster_colour,
    cluster_labels,
    industry_colour,
    palette_colour,
    region_colour,
)
from clusterlab.model.cluster_model import ClusterModel
from clusterlab.model.record import ECONOMY, SPEND_COLUMNS

__all__ = [
    "CHARTS",
    "SHARES",
    "SPEND_LABELS",
    "Chart",
    "LeverMark",
    "cross_cluster_chart",
    "employment_industry_chart",
    "employment_region_chart",
    "heterogeneity_chart",
    "partner_chart",
    "radical_chart",
    "specialisation_chart",
    "spend_chart",
]

LeverMark = tuple[int, str]
"""A dotted vertical line on the charts: (first year under the new value, what moved)."""


@dataclass(frozen=True, slots=True)
class Chart:
    """A titled live chart: an ECharts ``option`` (plain JSON data) the browser draws."""

    title: str
    option: dict[str, Any]


SPEND_LABELS: dict[str, str] = {
    "spend_intra_cluster": "links inside a cluster",
    "spend_cross_cluster": "links across clusters",
    "spend_interregional": "links to other regions",
    "spend_university_link": "links with universities",
    "spend_cluster_org": "cluster organizations",
    "spend_sme_rd_grant": "SME R&D grants",
    "spend_procurement": "buying green/digital",
}
"""Plain-words name of each spending column of the recorder."""


SIGNIFICANT_DIGITS = 4
"""Digits a chart's values keep: its tooltip shows 0.6870, not 0.6869565217391305."""


def rounded(values: Sequence[float] | np.ndarray) -> list[float]:
    """Values rounded to :data:`SIGNIFICANT_DIGITS` significant digits, as plain floats."""
    return [float(f"{float(v):.{SIGNIFICANT_DIGITS}g}") for v in values]


def _series(model: ClusterModel, column: str, scope: str = ECONOMY) -> list[float]:
    """One recorder column for one scope, year 0 first (years are consecutive), rounded."""
    return rounded([r[column] for r in model.recorder.rows if r["scope"] == scope])


SHOCK_COLOUR = "#d62728"


def shock_mark(model: ClusterModel) -> dict[str, Any] | None:
    """Mark line of the demand shock's year, once the run has reached it (else None)."""
    market = model.params.market
    if market.shock_industry < 0 or model.state.step < market.shock_year:
        return None
    return {
        "xAxis": str(market.shock_year),
        "name": "demand shock",
        "lineStyle": {"type": "dashed", "color": SHOCK_COLOUR, "width": 2},
        "label": {"show": True, "formatter": "shock", "color": SHOCK_COLOUR},
    }


MIN_CHART_YEARS = 10
"""The charts' time axis spans at least this many years, so a new run is not a dot."""

LEGEND_CHARACTERS_PER_ROW = 55
"""About how many legend characters fit on one row of a chart in a third of the page."""


def _line(name: str, data: list[float], colour: str, width: float = 2.0) -> dict[str, Any]:
    return {
        "type": "line",
        "name": name,
        "data": data,
        "color": to_hex(colour),
        "lineStyle": {"width": width},
        "symbolSize": 4,
    }


def _option(
    model: ClusterModel,
    ylabel: str,
    series: list[dict],
    marks: Sequence[LeverMark],
    *,
    shock: bool = False,
    scroll_legend: bool = False,
) -> dict[str, Any]:
    """ECharts option of a chart over the years so far, a dotted line at each lever move.

    Years are categories (ECharts stacks areas only over a category axis). A lever move
    is marked at the first year under its new value; with ``shock``, a red dashed line
    marks the demand shock's year. The legend wraps over as many rows as it needs and
    the plot starts below it (``scroll_legend``: one row the reader scrolls).
    """
    lines = [{"xAxis": str(year), "name": text} for year, text in marks]
    if shock and (mark := shock_mark(model)) is not None:
        lines.append(mark)
    if lines and series:
        series[0]["markLine"] = {
            "symbol": "none",
            "silent": True,
            "label": {"show": False},
            "lineStyle": {"type": "dotted", "color": "#000000", "width": 1.5},
            "data": lines,
        }
    named = [s["name"] for s in series if not s.get("legend_hidden")]
    rows = -(-sum(len(name) + 5 for name in named) // LEGEND_CHARACTERS_PER_ROW)
    rows = min(rows, 1) if scroll_legend else rows
    years = [str(y) for y in range(max(MIN_CHART_YEARS, model.state.step) + 1)]
    return {
        "animation": False,
        "grid": {"left": 52, "right": 16, "top": 12 + 22 * rows, "bottom": 38},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "data": named, "textStyle": {"fontSize": 11}, "itemGap": 8}
        | ({"type": "scroll"} if scroll_legend else {}),
        "xAxis": {
            "type": "category",
            "data": years,
            "boundaryGap": any(s["type"] == "bar" for s in series),
            "name": "year",
            "nameLocation": "middle",
            "nameGap": 22,
        },
        "yAxis": {"type": "value", "name": ylabel, "nameLocation": "middle", "nameGap": 38},
        "series": [{k: v for k, v in s.items() if k != "legend_hidden"} for s in series],
    }


def radical_chart(model: ClusterModel, marks: Sequence[LeverMark] = ()) -> Chart:
    """Chart radical and recombinant innovations per year.

    Both are successful recombinations with a partner: radical when the pair of fields
    was never combined before, recombinant otherwise; stacked, the bar is all successes.
    """
    radical, recombinant = _series(model, "radical"), _series(model, "recombinant")
    bars = [
        {"type": "bar", "name": "radical", "data": radical, "color": "#9467bd", "stack": "i"},
        {
            "type": "bar",
            "name": "recombinant",
            "data": recombinant,
            "color": "#c5b0d5",
            "stack": "i",
        },
    ]
    return Chart(
        f"Innovations per year (to year {model.state.step}: {int(sum(radical))} radical, "
        f"{int(sum(recombinant))} recombinant)",
        _option(model, "innovations", bars, marks),
    )


def specialisation_chart(model: ClusterModel, marks: Sequence[LeverMark] = ()) -> Chart:
    """Chart new specialisations per region (raw RCA crossings of 1), running total since year 0.

    Raw crossings react at once (the persistent entries of the time series need 5 years) but
    count a cell that crosses back and forth each time it crosses upward.
    """
    series = [
        _line(label, np.cumsum(_series(model, "entries", scope=name)).tolist(), region_colour(r))
        | {"step": "end"}
        for r, (name, label) in enumerate(
            zip(model.state.geo.region_names, region_names(model), strict=True)
        )
    ]
    return Chart(
        "New specialisations per region (RCA crossing 1 upward, running total)",
        _option(model, "industries", series, marks),
    )


SHARES = (
    ("cross_cluster_share", "collaborations across clusters", "tab:orange", 3.0),
    ("university_share", "knowledge links with universities", "tab:green", 1.5),
    ("interregional_share", "knowledge links to other regions", "tab:red", 1.5),
)
"""Recorder column, series name, colour and width of the lines of the share chart."""


def cross_cluster_chart(model: ClusterModel, marks: Sequence[LeverMark] = ()) -> Chart:
    """Chart the shares of links crossing a cluster, reaching a university or a region."""
    series = [_line(name, _series(model, col), colour, w) for col, name, colour, w in SHARES]
    option = _option(model, "share of links", series, marks)
    option["yAxis"] |= {"min": 0, "max": 1}
    return Chart("Links that cross boundaries (share)", option)


def _heterogeneity_by_year(model: ClusterModel) -> np.ndarray:
    """Heterogeneity per recorded year (rows) and cluster (columns); NaN before founding."""
    rows = model.recorder.cluster_rows
    first = rows[0]["step"] if rows else 0
    years = rows[-1]["step"] - first + 1 if rows else 0
    out = np.full((years, len(model.state.orgs)), np.nan)
    for r in rows:
        out[r["step"] - first, r["cluster"]] = r["heterogeneity"]
    return out


def _gaps(values: np.ndarray) -> list[float | None]:
    """Values as a rounded JSON list (:func:`rounded`), NaN as None (a gap in an ECharts line)."""
    return [None if np.isnan(v) else rounded([v])[0] for v in values.tolist()]


def heterogeneity_chart(model: ClusterModel, marks: Sequence[LeverMark] = ()) -> Chart:
    """Chart each cluster's technological heterogeneity (map colours), and the mean.

    A cluster founded during the run (:mod:`clusterlab.model.emergence`) has no value (a gap) in the
    years before its founding; the mean is over the clusters that exist each year.
    """
    by_year = _heterogeneity_by_year(model)
    mean = np.nanmean(by_year, axis=1) if by_year.size else np.zeros(by_year.shape[0])
    series = [_line("mean of the clusters", _gaps(mean), "black", 3.0)]
    series += [
        # the map's legend already names the cluster colours
        _line(label, _gaps(by_year[:, c]), cluster_colour(c), 1.2) | {"legend_hidden": True}
        for c, label in enumerate(cluster_labels(model))
    ]
    return Chart(
        "How varied is each cluster's know-how? (thin lines: clusters, map colours)",
        _option(model, "heterogeneity", series, marks),
    )


def spend_chart(model: ClusterModel, marks: Sequence[LeverMark] = ()) -> Chart:
    """Chart public spending per year, stacked by instrument (M€).

    The title names the year its total runs to, so that a reader (or a browser test) can
    tell a chart drawn for this year from one a moment behind the status line.
    """
    series = [
        _line(SPEND_LABELS[column], _series(model, column), palette_colour("Set2", i), 1.0)
        | {"stack": "spend", "areaStyle": {}, "symbol": "none"}
        for i, column in enumerate(SPEND_COLUMNS)
    ]
    total = sum(_series(model, "spend_total"))
    return Chart(
        f"Policy spending per year (total to year {model.state.step}: {total:.1f} M€)",
        _option(model, "M€ per year", series, marks),
    )


def employment_region_chart(model: ClusterModel, marks: Sequence[LeverMark] = ()) -> Chart:
    """Chart employment per region (employees of alive firms), the shock's year marked."""
    series = [
        _line(label, _series(model, "employment", scope=name), region_colour(r))
        for r, (name, label) in enumerate(
            zip(model.state.geo.region_names, region_names(model), strict=True)
        )
    ]
    total = _series(model, "employment")[-1]
    return Chart(
        f"Jobs by region (employees; now {total:,.0f} in all)",
        _option(model, "employees", series, marks, shock=True),
    )


def employment_industry_chart(model: ClusterModel, marks: Sequence[LeverMark] = ()) -> Chart:
    """Chart employment per industry (all regions), stacked, the shock's year marked."""
    by_industry = np.array(model.recorder.panel).sum(axis=1)  # rows: years; columns: industries
    series = [
        _line(name, rounded(by_industry[:, p]), industry_colour(p), 1.0)
        | {"stack": "jobs", "areaStyle": {}, "symbol": "none"}
        for p, name in enumerate(industry_names(model))
    ]
    return Chart(
        "Jobs by industry (employees, stacked; map colours by industry)",
        _option(model, "employees", series, marks, shock=True, scroll_legend=True),
    )


def partner_chart(model: ClusterModel, marks: Sequence[LeverMark] = ()) -> Chart:
    """Chart the cluster organizations with a partner organization in another region."""
    n_orgs = len(model.state.orgs)
    by_year: dict[int, float] = {}  # clusters founded during the run add rows from then on
    for r in model.recorder.cluster_rows:
        by_year[r["step"]] = by_year.get(r["step"], 0.0) + float(r["partner"] >= 0)
    count = [by_year[year] for year in sorted(by_year)]
    bars = {"type": "bar", "name": "with a partner abroad", "data": count, "color": "#17becf"}
    option = _option(model, "organizations", [bars], marks)
    option["yAxis"] |= {"min": 0, "max": n_orgs, "minInterval": 1}
    return Chart(f"Cluster organizations with a partner in another region (of {n_orgs})", option)


CHARTS: tuple[Callable[[ClusterModel, Sequence[LeverMark]], Chart], ...] = (
    radical_chart,
    specialisation_chart,
    cross_cluster_chart,
    heterogeneity_chart,
    spend_chart,
    partner_chart,
    employment_region_chart,
    employment_industry_chart,
)
"""The live charts, in page order."""
