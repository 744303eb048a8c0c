"""Check the classroom exercises of docs/teaching.md against the model.

Runs each exercise's settings with :func:`model.simulate.simulate` for a few seeds and
prints, per setting, the mean and the range over seeds of what the students are asked
to watch. The numbers in docs/teaching.md come from this script::

    .venv/bin/python docs/teaching_check.py [--seeds 5] [--years 30] [--workers 2] [--exercise 2]
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from model.model import ClusterModel
from model.presets import preset
from model.record import ECONOMY
from model.simulate import SimulationResult, simulate
from model.state import LinkKind

FOOTWEAR, LEATHER = "Footwear", "Leather tanning"
MARCHE = "Marche-like"
SHOCK_YEAR = 10

SETTINGS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "1 old cluster policy vs RIS3": [
        ("baseline (no policy)", "baseline", {}),
        ("intra_cluster (old style)", "intra_cluster", {}),
        ("ris3_relatedness", "ris3_relatedness", {}),
    ],
    "2 cluster organization": [
        ("baseline (no policy)", "baseline", {}),
        ("org funding 0.5 only", "baseline", {"cluster_org_funding": 0.5}),
        ("governance (0.5 + SME grant 0.3)", "governance", {}),
    ],
    "3 footwear shock": [
        ("marche, no shock", "marche_teaching", {}),
        (
            "marche, footwear shock",
            "marche_teaching",
            {"shock_industry": 1, "shock_year": SHOCK_YEAR, "shock_size": 0.5},
        ),
        (
            "marche, shock + RIS3 levers",
            "marche_teaching",
            {
                "shock_industry": 1,
                "shock_year": SHOCK_YEAR,
                "shock_size": 0.5,
                "cross_cluster_subsidy": 0.5,
                "university_link_subsidy": 0.5,
            },
        ),
    ],
    "4 how much linking": [
        (f"cross_cluster_subsidy {s}", "baseline", {"cross_cluster_subsidy": s})
        for s in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]
    + [
        (
            "cross_cluster_subsidy 1.0, budget 50",
            "baseline",
            {"cross_cluster_subsidy": 1.0, "policy_budget": 50.0},
        )
    ],
}


def _employment(result: SimulationResult, region: str, industry: str, year: int) -> float:
    panel = result.panel
    rows = panel[
        (panel["region"] == region) & (panel["industry"] == industry) & (panel["step"] == year)
    ]
    return float(rows["employment"].sum())


def measures(result: SimulationResult) -> dict[str, float]:
    """Return what the exercises look at, from one run."""
    s, ts, cl = result.summary, result.timeseries, result.clusters
    eco = ts[ts["scope"] == ECONOMY].set_index("step")
    het = cl.groupby("step")["heterogeneity"].mean()
    last = cl[cl["step"] == cl["step"].max()]
    out = {
        "radical": s["radical_innovations"],
        "recombinant": s["recombinant_innovations"],
        "new_specs": s["new_specialisations"],
        "new_specs_related": s["new_specialisations_related"],
        "cross_share_mean": s["mean_cross_cluster_share"],
        "cross_share_final": s["final_cross_cluster_share"],
        "university_share_mean": s["mean_university_share"],
        "interregional_share_mean": s["mean_interregional_share"],
        "heterogeneity_0": float(het.iloc[0]),
        "heterogeneity_final": float(het.iloc[-1]),
        "external_link_share_final": float(last["external_link_share"].mean()),
        "orgs_with_partner_final": float((last["partner"] >= 0).sum()),
        "org_budget_final": float(last["org_budget"].mean()),
        "spend": s["policy_spend"],
        "spend_per_radical": s["spend_per_radical_innovation"],
        "spend_cluster_org": float(eco["spend_cluster_org"].iloc[1:].sum()),
        "spend_sme_rd_grant": float(eco["spend_sme_rd_grant"].iloc[1:].sum()),
        "employment_growth": s["employment_growth"],
        "links_collaboration_final": float(eco["links_collaboration"].iloc[-1]),
    }
    if MARCHE in result.regions:
        reg = ts[ts["scope"] == MARCHE].set_index("step")
        for year in sorted({SHOCK_YEAR - 1, SHOCK_YEAR + 2, 20, result.steps} & set(reg.index)):
            out[f"footwear_{year}"] = _employment(result, MARCHE, FOOTWEAR, year)
            out[f"leather_{year}"] = _employment(result, MARCHE, LEATHER, year)
            out[f"marche_employment_{year}"] = float(reg["employment"].loc[year])
        window = reg.loc[SHOCK_YEAR : SHOCK_YEAR + 5]
        out["marche_exits_10_15"] = float(window["deaths"].sum())
        out["marche_new_specs_after_10"] = float(reg.loc[SHOCK_YEAR + 1 :, "entries"].sum())
        out["marche_radical_after_10"] = float(reg.loc[SHOCK_YEAR + 1 :, "radical"].sum())
    return out


def sme_measures(name: str, overrides: dict[str, Any], seed: int, years: int) -> dict[str, float]:
    """Exercise 2 looks inside the run: what small firms (SMEs) get and do, year by year.

    Counted at the end of each year: pooled R&D money the SMEs of clusters received, their
    recombinant and radical innovations, and their collaboration and university links.
    """
    model = ClusterModel(params=preset(name, **overrides), rng=seed)
    out = dict.fromkeys(("sme_pooled_rd", "sme_radical", "sme_recombinant", "sme_links"), 0.0)
    try:
        for _ in range(years):
            before = len(model.state.events.columns("innovation").get("firm", []))
            model.step()
            f, links = model.state.firms, model.state.links
            sme = f.alive & (f.employees < model.params.market.sme_employee_limit)
            out["sme_pooled_rd"] += float(f.rd_support[sme & (f.cluster >= 0)].sum())
            events = model.state.events.columns("innovation")
            # events name firms by id; the masks are by table row
            firm = f.rows_of(np.asarray(events["firm"][before:], np.int64))
            kind = np.asarray(events["kind"][before:])
            out["sme_radical"] += float((sme[firm] & (kind == "radical")).sum())
            out["sme_recombinant"] += float((sme[firm] & (kind == "recombinant")).sum())
        knowledge = links.active & (links.kind != LinkKind.SUPPLY)
        out["sme_links"] = float((knowledge & sme[links.a]).sum())
        out["smes"] = float(sme.sum())
    finally:
        model.release()
    return out


def run_one(task: tuple[str, str, str, dict[str, Any], int, int]) -> dict[str, Any]:
    """Run one setting with one seed; return its measures."""
    exercise, label, name, overrides, seed, years = task
    result = simulate(preset(name, **overrides), seed=seed, steps=years)
    row = {"exercise": exercise, "setting": label, "seed": seed, **measures(result)}
    if exercise.startswith("2"):
        row |= sme_measures(name, overrides, seed, years)
    return row


def main() -> None:
    """Run every exercise's settings and print mean [min, max] over seeds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="results/teaching_check.csv")
    parser.add_argument("--exercise", help="only the exercises whose name starts with this")
    args = parser.parse_args()
    tasks = [
        (exercise, label, name, overrides, seed, args.years)
        for exercise, settings in SETTINGS.items()
        if args.exercise is None or exercise.startswith(args.exercise)
        for label, name, overrides in settings
        for seed in range(1, args.seeds + 1)
    ]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(run_one, tasks))
    table = pd.DataFrame(rows)
    table.to_csv(args.out, index=False)
    for exercise, group in table.groupby("exercise", sort=False):
        print(f"\n## Exercise {exercise}")  # noqa: T201
        numeric = group.drop(columns=["exercise", "seed"]).dropna(axis=1, how="all")
        summary = numeric.groupby("setting", sort=False).agg(["mean", "min", "max"])
        for column in numeric.columns.drop("setting"):
            cells = [
                f"{r[(column, 'mean')]:.3g} [{r[(column, 'min')]:.3g}, {r[(column, 'max')]:.3g}]"
                for _, r in summary.iterrows()
            ]
            print(f"{column:<28} " + " | ".join(cells))  # noqa: T201
        print("settings:", " | ".join(summary.index))  # noqa: T201


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
