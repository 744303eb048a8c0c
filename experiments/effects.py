"""Effects per M€: the equal-cost comparison of policy mixes and the dose-response of each lever.

Both compare every scenario with a baseline run of the same seed (paired by replicate under
common random numbers, Welch otherwise; :mod:`clusterlab.experiments.analysis`), on the outcomes
that see diversification (persistent entries, net specialisations, absolute diversity) and
radical innovation (new to the world, new to the region), next to the money each scenario
actually spent.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clusterlab.experiments.analysis import mean_interval, paired_difference, welch_difference
from clusterlab.model.params import param_specs

__all__ = [
    "EFFECT_OUTCOMES",
    "SPEND_TOLERANCE",
    "dose_table",
    "effects_table",
    "lever_doses",
    "spend_check",
]

EFFECT_OUTCOMES: dict[str, str] = {
    "persistent_entries": "persistent entries",
    "net_specialisations": "net specialisations",
    "absolute_diversity_change": "absolute diversity",
    "radical_innovations": "radicals new to world",
    "radical_innovations_new_to_region": "radicals new to region",
}
"""Summary column -> short label of the effect tables (differences to the baseline)."""

SPEND_TOLERANCE = 0.05
"""Spends count as equal when every scenario spends at least 95% of the reference."""

DESIGN_COLUMNS = ("point", "scenario", "preset")


def _diff(g: pd.DataFrame, base: pd.DataFrame, column: str, paired: bool) -> Any:
    if paired:
        return paired_difference(g[column], base[column])
    return welch_difference(g[column].to_numpy(), base[column].to_numpy())


def effects_table(
    summary: pd.DataFrame,
    baseline: str,
    paired: bool = True,
    outcomes: dict[str, str] = EFFECT_OUTCOMES,
) -> pd.DataFrame:
    """Realised spend and the effect on each outcome of every scenario, against the baseline.

    Returns
    -------
    DataFrame
        One row per (scenario, outcome present in ``summary``): ``spend`` with
        ``spend_low``/``spend_high`` (mean M€ per run and its 95% interval), ``diff`` with
        ``low``/``high`` (the outcome minus the same-seed baseline's, 95% interval) and
        ``meur_per_unit``: extra spend over the baseline per unit of effect, given only
        where the effect is positive and its interval excludes zero (NaN otherwise).
    """
    base = summary[summary["scenario"] == baseline].set_index("replicate")
    base_spend = float(base["policy_spend"].mean())
    rows = []
    for scenario, grp in summary.groupby("scenario", sort=False):
        g = grp.set_index("replicate")
        spend = mean_interval(g["policy_spend"].to_numpy())
        for outcome in [o for o in outcomes if o in summary]:
            d = _diff(g, base, outcome, paired)
            extra = spend.mean - base_spend
            rows.append(
                {
                    "scenario": scenario,
                    "outcome": outcome,
                    "n": d.n,
                    "spend": spend.mean,
                    "spend_low": spend.low,
                    "spend_high": spend.high,
                    "diff": d.mean,
                    "low": d.low,
                    "high": d.high,
                    "meur_per_unit": extra / d.mean if d.low > 0 and extra > 1e-9 else np.nan,
                }
            )
    return pd.DataFrame(rows)


def spend_check(
    spend: pd.Series, target: pd.Series | None = None, tolerance: float = SPEND_TOLERANCE
) -> pd.DataFrame:
    """Whether the scenarios spend the same: each mean spend against a reference.

    Parameters
    ----------
    spend : Series
        Mean realised spend (M€ per run) by scenario, policy scenarios only.
    target : Series, optional
        What each scenario should spend (e.g. the budget of a clearing call over the
        run); default: the largest mean spend, for every scenario.
    tolerance : float
        A scenario under-spends when it spends less than ``(1 - tolerance)`` of its target.

    Returns
    -------
    DataFrame
        ``scenario``, ``spend``, ``target``, ``share`` (spend / target) and ``under``.
    """
    ref = target.reindex(spend.index) if target is not None else None
    if ref is None or ref.isna().any():
        ref = pd.Series(float(spend.max()) if len(spend) else np.nan, index=spend.index)
    share = spend / ref
    return pd.DataFrame(
        {
            "scenario": spend.index,
            "spend": spend.to_numpy(),
            "target": ref.to_numpy(),
            "share": share.to_numpy(),
            "under": (share < 1.0 - tolerance).to_numpy(),
        }
    )


def lever_doses(design: pd.DataFrame) -> pd.DataFrame:
    """Return the design points that set exactly one numeric policy lever: point, lever, dose.

    A one-lever-at-a-time design (dose-response) lists, besides a baseline, points that
    each override one policy lever (a parameter of the ``policy`` group) of one preset; a
    one-lever grid is such a design too. The first point of that preset that sets nothing
    (the baseline) is returned with dose 0 under every lever. Empty when no point sets
    exactly one numeric policy lever.
    """
    specs = param_specs()
    overridden = [c for c in design.columns if c not in DESIGN_COLUMNS and ":" not in c]
    levers = [
        c
        for c in overridden
        if c in specs and specs[c].group == "policy" and specs[c].kind in (int, float)
    ]
    one, empty = [], []
    for values in design.to_dict("records"):
        set_ = [c for c in overridden if pd.notna(values[c])]
        if len(set_) == 1 and set_[0] in levers:
            one.append({"point": values["point"], "lever": set_[0], "dose": values[set_[0]]})
            one[-1]["preset"] = values["preset"]
        elif not set_:
            empty.append(values)
    found = pd.DataFrame(one, columns=["point", "lever", "dose", "preset"])
    if found.empty:
        return found.drop(columns="preset")
    base_preset = found["preset"].mode().iloc[0]
    found = found[found["preset"] == base_preset].drop(columns="preset")
    zero = [v["point"] for v in empty if v["preset"] == base_preset][:1]
    zeros = [{"point": p, "lever": lv, "dose": 0.0} for p in zero for lv in found["lever"].unique()]
    out = pd.concat([found, pd.DataFrame(zeros, columns=found.columns)], ignore_index=True)
    order = {lever: i for i, lever in enumerate(found["lever"].unique())}  # design order
    out = out.astype({"dose": float}).assign(rank=out["lever"].map(order))
    out = out.drop_duplicates(["lever", "dose"])  # a grid's dose 0 and the baseline
    return out.sort_values(["rank", "dose"], kind="stable").drop(columns="rank")


def dose_table(
    summary: pd.DataFrame,
    doses: pd.DataFrame,
    baseline: str,
    paired: bool = True,
    outcomes: dict[str, str] = EFFECT_OUTCOMES,
) -> pd.DataFrame:
    """Spend and effects (to the baseline) at every dose of every lever (:func:`lever_doses`).

    Returns
    -------
    DataFrame
        The columns of :func:`effects_table` plus ``lever`` and ``dose``.
    """
    effects = effects_table(summary, baseline, paired, outcomes)
    points = summary[["point", "scenario"]].drop_duplicates()
    named = doses.merge(points, on="point")
    return named.merge(effects, on="scenario").drop(columns="point")
