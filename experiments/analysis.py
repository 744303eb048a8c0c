"""Scenario comparison with uncertainty: means, intervals, differences, cost-effectiveness.

Every interval is a 95% Student-t interval over replicates. Differences to the baseline
are *paired* by replicate when the experiment used common random numbers (replicate r of
every scenario shares its seed, so the paired difference removes the shared noise), and
Welch intervals otherwise; the table says which.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from clusterlab.experiments.errors import OutputError

__all__ = [
    "FUNNEL_STAGES",
    "LINK_INSTRUMENTS",
    "MAIN_OUTCOMES",
    "Interval",
    "additionality_table",
    "channel_funnel",
    "compare_scenarios",
    "dose_response",
    "fan_chart_data",
    "mean_interval",
    "paired_difference",
    "treated_minus_control",
    "welch_difference",
]

MAIN_OUTCOMES: dict[str, str] = {
    "radical_innovations": "Radical innovations (novel pairs, cumulative)",
    "radical_innovations_new_to_region": "Radical innovations new to the region (cumulative)",
    "persistent_entries": "Persistent entries (RCA >= 1 held 5 years, count)",
    "persistent_entries_related_tech": "Persistent entries, technologically related (count)",
    "persistent_entries_unrelated_tech": "Persistent entries, technologically unrelated (count)",
    "net_specialisations": "Net new specialisations (persistent entries - exits)",
    "absolute_diversity_change": "Change in industries >= 2% of regional employment",
    "final_diversity": "Final diversity (industries with RCA >= 1)",
    "mean_cross_cluster_share": "Cross-cluster share of collaboration links",
    "employment_growth": "Employment growth (share)",
    "policy_spend": "Policy spend (M€, cumulative)",
}
"""Outcome column -> label with unit, in report order."""

LEVEL = 0.95

LINK_INSTRUMENTS = ("intra_cluster", "cross_cluster", "interregional", "university_link")
"""Link instruments, as named in the summary's ``spend_*``, ``links_formed_*`` and
``deadweight_share_*`` keys."""


@dataclass(frozen=True, slots=True)
class Interval:
    """A mean (or mean difference) with its 95% interval and the number of values."""

    mean: float
    low: float
    high: float
    n: int


def mean_interval(values: np.ndarray) -> Interval:
    """Mean and 95% Student-t interval.

    Non-finite values (NaN, inf: a run whose outcome is undefined) are dropped first. One
    value gives a degenerate interval (low = high = mean); no values give NaNs.

    Examples
    --------
    >>> iv = mean_interval(np.array([1.0, 2.0, 3.0]))
    >>> iv.mean, round(iv.high - iv.mean, 3)  # t(0.975, 2) * 1 / sqrt(3) = 4.303 / 1.732
    (2.0, 2.484)
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, 0)
    m = float(x.mean())
    if n == 1:
        return Interval(m, m, m, 1)
    half = stats.t.ppf(0.5 + LEVEL / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)
    return Interval(m, m - half, m + half, n)


def paired_difference(treated: pd.Series, baseline: pd.Series) -> Interval:
    """Mean of replicate-wise differences (matched on the index) and its t interval."""
    both = pd.concat([treated, baseline], axis=1, join="inner").dropna()
    return mean_interval((both.iloc[:, 0] - both.iloc[:, 1]).to_numpy())


def welch_difference(treated: np.ndarray, baseline: np.ndarray) -> Interval:
    """Difference of means with a Welch (unequal variances) t interval."""
    a = np.asarray(treated, float)[np.isfinite(treated)]
    b = np.asarray(baseline, float)[np.isfinite(baseline)]
    if a.size < 2 or b.size < 2:
        d = float(a.mean() - b.mean()) if a.size and b.size else np.nan
        return Interval(d, np.nan, np.nan, min(a.size, b.size))
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = np.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if se > 0 else 1.0
    d = float(a.mean() - b.mean())
    half = stats.t.ppf(0.5 + LEVEL / 2, dof) * se
    return Interval(d, d - half, d + half, min(a.size, b.size))


def compare_scenarios(
    summary: pd.DataFrame,
    baseline: str,
    outcomes: list[str] | None = None,
    paired: bool = True,
) -> pd.DataFrame:
    """Mean and interval of each outcome per scenario, and the difference to the baseline.

    Parameters
    ----------
    summary : DataFrame
        One row per finished run with columns ``scenario``, ``replicate`` and outcomes.
    baseline : str
        Scenario the others are compared with.
    outcomes : list of str, optional
        Outcome columns (default: :data:`MAIN_OUTCOMES` present in ``summary``).
    paired : bool, default=True
        Pair differences by replicate (common random numbers); else Welch.

    Returns
    -------
    DataFrame
        One row per (scenario, outcome): n, mean, low, high, diff, diff_low, diff_high,
        method, and ``per_meur``: the difference per M€ of extra spend over the baseline
        (NaN where the scenario spends no more than the baseline).

    Raises
    ------
    OutputError
        If the baseline scenario has no finished runs.
    """
    if baseline not in set(summary["scenario"]):
        have = ", ".join(sorted(set(summary["scenario"])))
        raise OutputError(f"Baseline scenario '{baseline}' has no finished runs; have: {have}.")
    outcomes = outcomes or [o for o in MAIN_OUTCOMES if o in summary]
    base = summary[summary["scenario"] == baseline].set_index("replicate")
    extra_spend = summary.groupby("scenario")["policy_spend"].mean() - base["policy_spend"].mean()
    rows = []
    for scenario, grp in summary.groupby("scenario", sort=False):
        g = grp.set_index("replicate")
        for outcome in outcomes:
            iv = mean_interval(g[outcome].to_numpy())
            if paired:
                diff = paired_difference(g[outcome], base[outcome])
            else:
                diff = welch_difference(g[outcome].to_numpy(), base[outcome].to_numpy())
            spend = float(extra_spend[scenario])
            rows.append(
                {
                    "scenario": scenario,
                    "outcome": outcome,
                    "n": iv.n,
                    "mean": iv.mean,
                    "low": iv.low,
                    "high": iv.high,
                    "diff": diff.mean,
                    "diff_low": diff.low,
                    "diff_high": diff.high,
                    "method": "paired t" if paired else "Welch t",
                    "per_meur": diff.mean / spend if spend > 1e-9 else np.nan,
                }
            )
    return pd.DataFrame(rows)


def dose_response(
    summary: pd.DataFrame, design: pd.DataFrame, lever: str, outcome: str
) -> pd.DataFrame:
    """Mean and interval of an outcome at each value of a swept lever."""
    merged = summary.merge(design[["point", lever]], on="point")
    rows = []
    for value, grp in merged.groupby(lever):
        iv = mean_interval(grp[outcome].to_numpy())
        rows.append({lever: value, "mean": iv.mean, "low": iv.low, "high": iv.high, "n": iv.n})
    return pd.DataFrame(rows)


def fan_chart_data(timeseries: pd.DataFrame, column: str, scope: str = "economy") -> pd.DataFrame:
    """Median and 5-95% band of a time-series column per scenario and step."""
    ts = timeseries[timeseries["scope"] == scope]
    g = ts.groupby(["scenario", "step"])[column]
    return pd.DataFrame(
        {"median": g.median(), "p05": g.quantile(0.05), "p95": g.quantile(0.95)}
    ).reset_index()


def treated_minus_control(
    timeseries: pd.DataFrame, treated: list[str], outcome: str, by: str = "run_id"
) -> pd.DataFrame:
    """Per run: mean regional outcome of the treated regions minus that of the others.

    For experiments that apply a policy to some regions and keep the others as controls.
    ``outcome`` is a column of :func:`clusterlab.model.simulate.region_summary` (e.g.
    ``persistent_entries``, ``net_specialisations``, ``absolute_diversity_change``);
    ``timeseries`` holds the time series of one or more runs told apart by ``by``. Pass
    the ``difference`` column to :func:`mean_interval` for an interval over runs.
    """
    from clusterlab.model.simulate import region_summary  # noqa: PLC0415 - imports Mesa: only when used

    unknown = sorted(set(treated) - set(timeseries["scope"]))
    if unknown or not treated:
        raise OutputError(f"treated regions {unknown or treated} are not regions of the runs")
    rows = []
    for run, ts in timeseries.groupby(by, sort=False):
        regional = region_summary(ts.drop(columns=by)).set_index("scope")[outcome]
        is_treated = regional.index.isin(treated)
        rows.append(
            {
                by: run,
                "treated": regional[is_treated].mean(),
                "control": regional[~is_treated].mean(),
            }
        )
    out = pd.DataFrame(rows)
    return out.assign(difference=out["treated"] - out["control"])


def additionality_table(summary: pd.DataFrame, baseline: str, paired: bool = True) -> pd.DataFrame:
    """Additionality of each link subsidy a scenario pays, against the baseline scenario.

    Parameters
    ----------
    summary : DataFrame
        One row per finished run: ``scenario``, ``replicate``, and per link instrument
        ``spend_<i>``, ``links_formed_<i>`` and ``deadweight_share_<i>``.
    baseline : str
        The scenario without the subsidies (paired by replicate seed: common random
        numbers).
    paired : bool, default=True
        Pair differences by replicate; else Welch.

    Returns
    -------
    DataFrame
        One row per scenario and link instrument it spends on: ``spend`` (mean M€ over the
        run), ``links`` (new links of that type), ``extra_links`` with ``extra_low`` and
        ``extra_high`` (links formed minus those of the same-seed baseline run, 95%
        interval), ``extra_per_meur`` (``extra_links`` / extra spend on the instrument) and
        ``deadweight_share`` (mean in-run share of the subsidised links that would have
        formed without the subsidy; NaN where none was subsidised). Empty when the summary
        lacks these keys (results of an older version).
    """
    needed = [f"{k}_{i}" for i in LINK_INSTRUMENTS for k in ("spend", "links_formed")]
    if not set(needed) <= set(summary) or baseline not in set(summary["scenario"]):
        return pd.DataFrame()
    base = summary[summary["scenario"] == baseline].set_index("replicate")
    rows = []
    for scenario, grp in summary[summary["scenario"] != baseline].groupby("scenario", sort=False):
        g = grp.set_index("replicate")
        for i in LINK_INSTRUMENTS:
            spend = float(g[f"spend_{i}"].mean() - base[f"spend_{i}"].mean())
            if spend <= 1e-9:
                continue
            links = f"links_formed_{i}"
            diff = (
                paired_difference(g[links], base[links])
                if paired
                else welch_difference(g[links].to_numpy(), base[links].to_numpy())
            )
            rows.append(
                {
                    "scenario": scenario,
                    "instrument": i,
                    "spend": spend,
                    "links": float(g[links].mean()),
                    "extra_links": diff.mean,
                    "extra_low": diff.low,
                    "extra_high": diff.high,
                    "extra_per_meur": diff.mean / spend,
                    "deadweight_share": float(g[f"deadweight_share_{i}"].mean()),
                }
            )
    return pd.DataFrame(rows)


FUNNEL_STAGES = (
    "links_formed",
    "knowledge_moved",
    "knowledge_moved_outside",
    "fit_crossings",
    "divisions_opened",
    "divisions_new_to_region",
    "divisions_surviving_5y",
    "persistent_entries",
    "net_specialisations",
)
"""Summary keys of the channel from links to specialisation, in funnel order (ODD §8.1)."""


def channel_funnel(summary: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Where a scenario's effect on diversification stops, stage by stage of the funnel.

    Parameters
    ----------
    summary : DataFrame
        One row per finished run: ``scenario``, ``replicate`` and the keys of
        :data:`FUNNEL_STAGES` (stages missing from older results are skipped).
    baseline : str
        Scenario the others are compared with, paired by replicate (common random
        numbers).

    Returns
    -------
    DataFrame
        One row per (scenario, stage), stages in funnel order: ``baseline`` (its mean),
        ``diff``, ``diff_low``, ``diff_high`` (paired difference and 95% interval),
        ``moves`` (the interval excludes 0) and ``stops_here`` (True at the first stage
        of the scenario that does not move: where the effect stops). Empty when the
        baseline has no runs or the summary has no funnel stage.
    """
    stages = [s for s in FUNNEL_STAGES if s in summary]
    if not stages or baseline not in set(summary["scenario"]):
        return pd.DataFrame()
    base = summary[summary["scenario"] == baseline].set_index("replicate")
    rows = []
    for scenario, grp in summary[summary["scenario"] != baseline].groupby("scenario", sort=False):
        g = grp.set_index("replicate")
        stopped = False
        for stage in stages:
            d = paired_difference(g[stage], base[stage])
            moves = bool(d.low > 0 or d.high < 0)
            rows.append(
                {
                    "scenario": scenario,
                    "stage": stage,
                    "baseline": float(base[stage].mean()),
                    "diff": d.mean,
                    "diff_low": d.low,
                    "diff_high": d.high,
                    "moves": moves,
                    "stops_here": not moves and not stopped,
                }
            )
            stopped = stopped or not moves
    return pd.DataFrame(rows)
