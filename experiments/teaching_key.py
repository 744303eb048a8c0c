"""The classroom exercises of docs/teaching.md: their settings, what they measure, their claims.

One module holds what the student sheet asks for and what the instructor key says, so the
key (docs/teaching_key.md, written by ``python docs/teaching_check.py --key``) and the tests
that keep it true (tests/experiments/test_teaching.py) check the same claims on the same
runs. A run here is the page's world: :class:`~clusterlab.model.cluster_model.ClusterModel` built
from a preset with the levers typed before the first Step, stepped to the exercise's year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from threadpoolctl import threadpool_limits

from clusterlab.experiments.app_space import link_masks
from clusterlab.model.cluster_model import ClusterModel
from clusterlab.model.presets import preset
from clusterlab.model.record import ECONOMY
from clusterlab.model.simulate import summarise

__all__ = [
    "CLAIMS",
    "EXERCISES",
    "Claim",
    "Exercise",
    "check_claims",
    "measure_run",
    "run_task",
    "tasks",
]

MARCHE, PARTNER = "Marche-like", "Partner region"
SHOCK_YEAR = 10
EQUAL_COST = {"allocation": "call", "policy_budget": 0.4}
"""A competitive call with a budget every mix's claims exceed: each spends exactly it."""


@dataclass(frozen=True)
class Exercise:
    """One exercise: its settings (label -> preset and typed levers) and its last year."""

    number: int
    title: str
    years: int
    settings: dict[str, tuple[str, dict[str, Any]]]


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        1,
        "One seed is noise: no policy against RIS3 relatedness",
        30,
        {"A baseline": ("baseline", {}), "B ris3_relatedness": ("ris3_relatedness", {})},
    ),
    Exercise(
        2,
        "Equal cost: old-style cluster policy or RIS3, at the same realised budget",
        30,
        {
            "intra_cluster, call 0.4": ("intra_cluster", EQUAL_COST),
            "ris3_relatedness, call 0.4": ("ris3_relatedness", EQUAL_COST),
        },
    ),
    Exercise(
        3,
        "A footwear demand shock: treated region against control region",
        20,
        {
            "marche, no shock": ("marche_teaching", {}),
            "marche, footwear shock": (
                "marche_teaching",
                {"shock_industry": 1, "shock_year": SHOCK_YEAR, "shock_size": 0.7},
            ),
        },
    ),
    Exercise(
        4,
        "The network view: clusters founded during the run, bridges between them",
        30,
        {
            "cross-cluster subsidy 0": ("baseline", {}),
            "cross-cluster subsidy 0.5": ("baseline", {"cross_cluster_subsidy": 0.5}),
        },
    ),
)


def _regional(ts: pd.DataFrame, out: dict[str, float]) -> None:
    """Jobs of the Marche-like region and its partner before and after the shock year."""
    for name, scope in (("marche", MARCHE), ("partner", PARTNER)):
        rows = ts[ts["scope"] == scope].set_index("step")["employment"]
        if rows.empty:
            return
        for year in (SHOCK_YEAR - 1, SHOCK_YEAR + 2, int(rows.index.max())):
            out[f"{name}_jobs_{year}"] = float(rows.loc[year])
        out[f"{name}_jobs_final"] = float(rows.iloc[-1])


def measure_run(model: ClusterModel) -> dict[str, float]:
    """Return what the page shows of a stepped model, as numbers."""
    ts = pd.DataFrame(model.recorder.rows)
    firms = model.state.firms
    summary = summarise(ts, firms.employees[firms.alive])
    clusters = pd.DataFrame(model.recorder.cluster_rows)
    masks = link_masks(model)
    out = {
        "radical": summary["radical_innovations"],
        "recombinant": summary["recombinant_innovations"],
        "new_specs": summary["new_specialisations"],
        "employment_growth_pct": 100 * summary["employment_growth"],
        "spend": summary["policy_spend"],
        "clusters_year0": float((clusters["step"] == clusters["step"].min()).sum()),
        "clusters_final": float(len(model.state.orgs)),
        "links_cross_cluster": float(masks["cross_cluster"].sum()),
        "links_inside_cluster": float(masks["collaboration"].sum()),
        "links_university": float(masks["university"].sum()),
        "cross_cluster_share_final": float(
            ts[ts["scope"] == ECONOMY]["cross_cluster_share"].iloc[-1]
        ),
    }
    _regional(ts, out)
    return out


def tasks(seeds: range | list[int], exercises: list[int] | None = None) -> list[tuple]:
    """Every (exercise, setting, preset, levers, seed, years) to run."""
    return [
        (ex.number, label, name, levers, seed, ex.years)
        for ex in EXERCISES
        if exercises is None or ex.number in exercises
        for label, (name, levers) in ex.settings.items()
        for seed in seeds
    ]


def run_task(task: tuple) -> dict[str, Any]:
    """Run one setting with one seed, as the page does; return its measures."""
    number, label, name, levers, seed, years = task
    with threadpool_limits(limits=1, user_api="blas"):
        model = ClusterModel(params=preset(name, **levers), rng=seed)
        try:
            for _ in range(years):
                model.step()
            row = measure_run(model)
        finally:
            model.release()
    return {"exercise": number, "setting": label, "seed": seed, **row}


@dataclass(frozen=True)
class Claim:
    """A statement of the key, checked on the table of runs of its exercise.

    ``check`` takes the exercise's rows and returns (holds, the figures that show it).
    """

    exercise: int
    text: str
    check: Callable[[pd.DataFrame], tuple[bool, str]]


def _paired(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """Seeds (rows) by settings (columns, in the exercise's order) of one measure."""
    table = rows.pivot(index="seed", columns="setting", values=column)
    order = [s for s in rows["setting"].unique() if s in table.columns]
    return table[order]


def _wins(rows: pd.DataFrame, column: str) -> tuple[int, int, pd.Series]:
    """Seeds where the second setting is above the first, out of all; the differences."""
    table = _paired(rows, column)
    diff = table.iloc[:, 1] - table.iloc[:, 0]
    return int((diff > 0).sum()), len(diff), diff


def _overlap(rows: pd.DataFrame) -> tuple[bool, str]:
    table = _paired(rows, "radical")
    a, b = table.iloc[:, 0], table.iloc[:, 1]
    gap, spread = b.mean() - a.mean(), a.max() - a.min()
    ok = bool(b.min() < a.max() and abs(gap) < spread)
    return ok, (
        f"radical A {a.mean():.0f} [{a.min():.0f}-{a.max():.0f}], B {b.mean():.0f} "
        f"[{b.min():.0f}-{b.max():.0f}]: means differ by {gap:+.0f}, A's seeds span {spread:.0f}"
    )


def _equal_spend(rows: pd.DataFrame) -> tuple[bool, str]:
    table = _paired(rows, "spend")
    ratio = table.min(axis=1) / table.max(axis=1)
    means = ", ".join(f"{s} {table[s].mean():.1f}" for s in table.columns)
    return bool((ratio >= 0.95).all()), f"M€ spent: {means}; lowest ratio {ratio.min():.3f}"


def _radical_tie(rows: pd.DataFrame) -> tuple[bool, str]:
    table = _paired(rows, "radical")
    wins, n, diff = _wins(rows, "radical")
    spread = min(table[s].max() - table[s].min() for s in table.columns)
    ok = bool(abs(diff.mean()) < spread and 0 < wins < n)
    return ok, (
        f"radical B - A {diff.mean():+.1f} [{diff.min():+.0f}, {diff.max():+.0f}], B above A in "
        f"{wins} of {n} seeds; narrowest seed span {spread:.0f}"
    )


def _shock_hits_treated(rows: pd.DataFrame) -> tuple[bool, str]:
    shocked = rows[rows["setting"] == "marche, footwear shock"].set_index("seed")
    calm = rows[rows["setting"] == "marche, no shock"].set_index("seed")
    drop = 100 * (shocked["marche_jobs_12"] / shocked["marche_jobs_9"] - 1)
    calm_drop = 100 * (calm["marche_jobs_12"] / calm["marche_jobs_9"] - 1)
    ok = bool((drop < 0).all() and (drop < calm_drop).all())
    return ok, (
        f"Marche-like jobs year 9 -> 12: with the shock {drop.mean():+.1f} % "
        f"[{drop.min():+.1f}, {drop.max():+.1f}], without {calm_drop.mean():+.1f} % "
        f"[{calm_drop.min():+.1f}, {calm_drop.max():+.1f}]"
    )


def _treated_vs_control(rows: pd.DataFrame) -> tuple[bool, str]:
    shocked = rows[rows["setting"] == "marche, footwear shock"].set_index("seed")
    calm = rows[rows["setting"] == "marche, no shock"].set_index("seed")
    effect = {
        r: 100 * (shocked[f"{r}_jobs_12"] / calm[f"{r}_jobs_12"] - 1) for r in ("marche", "partner")
    }
    worse = int((effect["marche"] < effect["partner"]).sum())
    ok = bool(effect["marche"].mean() < effect["partner"].mean() and worse >= len(shocked) // 2)
    return ok, (
        "jobs in year 12, shock against no shock: Marche-like "
        f"{effect['marche'].mean():+.1f} % [{effect['marche'].min():+.1f}, "
        f"{effect['marche'].max():+.1f}], partner {effect['partner'].mean():+.1f} % "
        f"[{effect['partner'].min():+.1f}, {effect['partner'].max():+.1f}]; "
        f"Marche-like worse in {worse} of {len(shocked)} seeds"
    )


def _clusters_founded(rows: pd.DataFrame) -> tuple[bool, str]:
    first = rows[rows["setting"] == rows["setting"].iloc[0]]
    grown = first["clusters_final"] - first["clusters_year0"]
    return bool((grown > 0).all()), (
        f"clusters year 0 {first['clusters_year0'].mean():.1f} "
        f"[{first['clusters_year0'].min():.0f}-{first['clusters_year0'].max():.0f}], year 30 "
        f"{first['clusters_final'].mean():.1f} [{first['clusters_final'].min():.0f}-"
        f"{first['clusters_final'].max():.0f}]"
    )


def _bridges(rows: pd.DataFrame) -> tuple[bool, str]:
    wins, n, _ = _wins(rows, "links_cross_cluster")
    table = _paired(rows, "links_cross_cluster")
    ratio = table.iloc[:, 1] / table.iloc[:, 0]
    return wins == n, (
        f"links across clusters in year 30: {table.iloc[:, 0].mean():.0f} -> "
        f"{table.iloc[:, 1].mean():.0f}, x{ratio.mean():.2f} [{ratio.min():.2f}-{ratio.max():.2f}]"
        f"; more in {wins} of {n} seeds"
    )


CLAIMS: tuple[Claim, ...] = (
    Claim(1, "One seed is noise: the radical-innovation clouds of A and B overlap", _overlap),
    Claim(1, "RIS3 adds links across clusters in every seed", _bridges),
    Claim(2, "Under a call of 0.4 M€ both mixes spend the same (within 5 %)", _equal_spend),
    Claim(2, "At equal cost, radical innovations do not separate the mixes", _radical_tie),
    Claim(3, "The shock cuts the Marche-like region's jobs in years 10-12", _shock_hits_treated),
    Claim(3, "The treated region loses more than the control region", _treated_vs_control),
    Claim(4, "Clusters are founded during the run", _clusters_founded),
    Claim(4, "The cross-cluster subsidy multiplies the bridges", _bridges),
)
"""Every claim of the instructor key, by exercise."""


def check_claims(table: pd.DataFrame) -> list[tuple[Claim, bool, str]]:
    """Check every claim whose exercise is in ``table``; (claim, holds, figures)."""
    out = []
    for claim in CLAIMS:
        rows = table[table["exercise"] == claim.exercise]
        if not rows.empty:
            out.append((claim, *claim.check(rows)))
    return out
