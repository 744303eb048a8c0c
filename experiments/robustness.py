"""Robustness of policies across uncertain worlds: distributions, regret and satisficing.

Works on the runs of an ``xlrm`` experiment (:mod:`clusterlab.experiments.xlrm`): each run row has a
``policy`` and a ``world``. Replicates of one (policy, world) are averaged first, so every
statistic is over worlds.

- *Regret* of a policy in a world is how much worse its outcome is than that of the best
  policy in the same world (Savage 1951, J. Am. Stat. Assoc. 46(253), 55-67,
  doi:10.1080/01621459.1951.10500768); a robust policy keeps its regret small in all
  worlds (minimax regret; Lempert, Popper & Bankes 2003, RAND MR-1626).
- *Satisficing share* is the share of worlds in which a policy meets a threshold the user
  sets (Simon 1956, Psychological Review 63(2), 129-138, doi:10.1037/h0042769).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping

import numpy as np
import pandas as pd

from clusterlab.experiments.errors import OutputError, unknown_outcome
from clusterlab.experiments.xlrm import parse_criterion

__all__ = [
    "DIRECTIONS",
    "OPERATORS",
    "ROBUSTNESS_OUTCOMES",
    "distributions",
    "outcome_direction",
    "regret",
    "regret_summary",
    "satisficing",
    "world_table",
]

ROBUSTNESS_OUTCOMES = (
    "radical_innovations",
    "persistent_entries",
    "net_specialisations",
    "absolute_diversity_change",
    "employment_growth",
)
"""Outcomes of the robustness report, all to be maximised."""

DIRECTIONS: dict[str, str] = {
    "policy_spend": "min",
    "spend_per_radical_innovation": "min",
    "size_gini": "min",
}
"""Outcomes for which less is better; every other outcome is better when larger."""

OPERATORS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}


def outcome_direction(outcome: str) -> str:
    """Return "max" if more of ``outcome`` is better, "min" if less is."""
    return DIRECTIONS.get(outcome, "max")


def world_table(summary: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Mean of each outcome per (policy, world) over replicates.

    Raises
    ------
    OutputError
        If the runs have no ``policy``/``world`` columns (not an xlrm design) or an
        outcome is not a column of the summary.
    """
    if not {"policy", "world"} <= set(summary):
        raise OutputError(
            "Robustness analysis needs runs of an xlrm design (columns policy and world); "
            'declare [levers] and [uncertainties] with type = "xlrm".'
        )
    for outcome in outcomes:
        if outcome not in summary:
            raise OutputError(unknown_outcome(outcome, list(summary.columns)))
    order = list(dict.fromkeys(summary["policy"]))
    table = summary.groupby(["policy", "world"], sort=False)[outcomes].mean().reset_index()
    table["policy"] = pd.Categorical(table["policy"], categories=order, ordered=True)
    return table.sort_values(["policy", "world"], ignore_index=True)


def distributions(table: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Per policy and outcome: worlds, mean, s.d., min, 10%, median, 90%, max over worlds."""
    rows = []
    for policy, grp in table.groupby("policy", sort=True, observed=True):
        for outcome in outcomes:
            x = grp[outcome].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            q = np.quantile(x, [0.1, 0.5, 0.9]) if x.size else [np.nan] * 3
            rows.append(
                {
                    "policy": policy,
                    "outcome": outcome,
                    "worlds": x.size,
                    "mean": x.mean() if x.size else np.nan,
                    "sd": x.std(ddof=1) if x.size > 1 else np.nan,
                    "min": x.min() if x.size else np.nan,
                    "p10": q[0],
                    "median": q[1],
                    "p90": q[2],
                    "max": x.max() if x.size else np.nan,
                }
            )
    return pd.DataFrame(rows)


def regret(table: pd.DataFrame, outcome: str, direction: str | None = None) -> pd.DataFrame:
    """Regret of every policy in every world: distance to the best policy of that world.

    Regret is ``best - value`` when more is better (``direction="max"``) and
    ``value - best`` when less is better; it is >= 0 and 0 for the world's best policy.
    Worlds in which some policy has no finished run are left out (their best is unknown).

    Returns
    -------
    DataFrame
        Columns policy, world, value, best, regret.
    """
    direction = direction or outcome_direction(outcome)
    wide = table.pivot(index="world", columns="policy", values=outcome).dropna()
    best = wide.max(axis=1) if direction == "max" else wide.min(axis=1)
    gap = (
        (best.to_numpy()[:, None] - wide)
        if direction == "max"
        else (wide - best.to_numpy()[:, None])
    )
    out = gap.stack().rename("regret").reset_index()
    out["value"] = wide.stack().to_numpy()
    out["best"] = out["world"].map(best)
    return out[["policy", "world", "value", "best", "regret"]]


def regret_summary(table: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Per policy and outcome: mean, 90th-percentile and maximum regret, share of worlds best."""
    rows = []
    for outcome in outcomes:
        r = regret(table, outcome)
        for policy, grp in r.groupby("policy", sort=True, observed=True):
            x = grp["regret"].to_numpy(dtype=float)
            rows.append(
                {
                    "policy": policy,
                    "outcome": outcome,
                    "direction": outcome_direction(outcome),
                    "worlds": x.size,
                    "mean_regret": x.mean() if x.size else np.nan,
                    "p90_regret": np.quantile(x, 0.9) if x.size else np.nan,
                    "max_regret": x.max() if x.size else np.nan,
                    "share_best": float(np.mean(x == 0)) if x.size else np.nan,
                }
            )
    return pd.DataFrame(rows)


def satisficing(table: pd.DataFrame, criteria: Mapping[str, str]) -> pd.DataFrame:
    """Share of worlds in which each policy meets each threshold, and all of them at once.

    Parameters
    ----------
    table : DataFrame
        :func:`world_table` output holding every outcome the criteria name.
    criteria : mapping of str to str
        Outcome -> threshold text such as ``">= 30"``.

    Returns
    -------
    DataFrame
        One row per policy: ``worlds`` and one share column per criterion (named
        ``"outcome >= 30"``), plus ``all`` when there is more than one criterion.

    Raises
    ------
    OutputError
        If a threshold does not read "OP NUMBER" or an outcome is not in ``table``.
    """
    tests = {}
    for outcome, text in criteria.items():
        parsed = parse_criterion(text)
        if parsed is None:
            raise OutputError(
                f"Satisficing threshold {outcome} {text!r} must be an operator and a number, "
                'e.g. ">= 30".'
            )
        if outcome not in table:
            raise OutputError(unknown_outcome(outcome, list(table)))
        op, value = parsed
        tests[f"{outcome} {op} {value:g}"] = OPERATORS[op](table[outcome], value)
    met = pd.DataFrame(tests).assign(policy=table["policy"])
    if len(tests) > 1:
        met["all"] = met[list(tests)].all(axis=1)
    shares = met.groupby("policy", sort=True, observed=True).mean()
    shares.insert(0, "worlds", met.groupby("policy", sort=True, observed=True).size())
    return shares.reset_index()
