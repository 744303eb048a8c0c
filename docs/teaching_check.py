"""Check the classroom exercises of docs/teaching.md and write the instructor key.

Runs each exercise's settings (experiments/teaching_key.py) as the page does, for seeds
1..N, writes every run's figures to a CSV, prints the key's claims with their figures and,
with ``--key``, writes the instructor key docs/teaching_key.md (and docs/teaching_key.csv)::

    python docs/teaching_check.py --key --seeds 10 --workers 2
    python docs/teaching_check.py --exercise 3 --seeds 5 --first-seed 100
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a fresh clone

from clusterlab.experiments.teaching_key import EXERCISES, check_claims, run_task, tasks

DOCS = Path(__file__).resolve().parent
SHOWN = {
    "radical": "radical innovations",
    "recombinant": "recombinant innovations",
    "spend": "policy spending (M€)",
    "employment_growth_pct": "job growth (%)",
    "clusters_year0": "clusters, year 0",
    "clusters_final": "clusters, last year",
    "links_cross_cluster": "links across clusters, last year",
    "links_university": "links with universities, last year",
    "marche_jobs_9": "Marche-like jobs, year 9",
    "marche_jobs_12": "Marche-like jobs, year 12",
    "marche_jobs_20": "Marche-like jobs, year 20",
    "partner_jobs_9": "partner region jobs, year 9",
    "partner_jobs_12": "partner region jobs, year 12",
    "partner_jobs_20": "partner region jobs, year 20",
}
MECHANISMS = {
    1: "A radical innovation is a recombination whose field pair was never combined and "
    "whose two fields come from two different knowledge families (ODD §7.8); attempts rise "
    "with the region's exposure to unrelated knowledge. A firm with a collaboration or "
    "university partner recombines with that partner; a firm without one searches its "
    "region's knowledge pool instead (local search, §7.8). RIS3 subsidies add links across "
    "clusters and with universities (§7.10, §8.1) in every seed: that is what the policy "
    "moves directly. The innovation counts are outcomes further down the chain: a "
    "subsidised partner replaces the region's pool as the firm's source of the second "
    "field at the same attempt rate, so links add no attempts and recombinant innovations "
    "do not rise (in this version they fall in most seeds); which firm meets which partner "
    "is a draw of the seed, so radicals scatter by seed more than the policy moves them.",
    2: "Under `allocation = call` every claim is a proposal, ranked by expected additionality "
    "per euro and funded until the budget runs out (ODD §7.3, model/calls.py). Both mixes "
    "ask for more than 0.4 M€ per region and year, so both spend (almost) all of it: equal "
    "realised cost. At this small budget few links are subsidised; partner choice and "
    "radical search (§7.8, §7.10) depend far more on the seed than on which links the "
    "money paid for.",
    3: "The shock cuts the final demand of footwear by seven tenths in year 10, in every region "
    "and for good (ODD §7.5 step 2); footwear firms shed jobs (§7.5) and some exit (§7.11); their "
    "suppliers lose orders through the Leontief chain (§7.5; leather tanning is upstream, "
    "§5.3). The Marche-like region is the treated one: nearly a quarter of its jobs are in the "
    "footwear chain (footwear and tanning, year 1 of seed 1: 1,050 of 4,460). The partner "
    "region is a control that is less exposed, not untouched: about 8 % of its jobs are in "
    "the same chain (400 of 4,980), so it loses jobs too, but fewer. A real control region "
    "is rarely clean either.",
    4: "New clusters are founded during the run where a value chain's unclustered firms "
    "reach critical mass (ODD §7.16, model/emergence.py). The cross-cluster subsidy pays "
    "part of the fee of links between different clusters (§7.3, §7.10): their net value "
    "rises, more form and survive, so the bridges (orange links) multiply.",
}


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(DOCS), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "-C", str(DOCS), "status", "--porcelain", "--", "../model", "../experiments"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def _cell(values: pd.Series) -> str:
    q = values.quantile([0.1, 0.9])
    fmt = ".1f" if values.abs().max() < 100 else ".0f"
    low, high = q.iloc[0], q.iloc[1]
    return (
        f"{values.mean():{fmt}} [{values.min():{fmt}}-{values.max():{fmt}}] "
        f"(10-90 %: {low:{fmt}}-{high:{fmt}})"
    )


def key_markdown(table: pd.DataFrame, command: str, minutes: float) -> str:
    """Return the instructor key: per exercise its claims, a table and the mechanism."""
    seeds = sorted(table["seed"].unique())
    lines = [
        "# Instructor key to docs/teaching.md (generated: do not edit by hand)",
        "",
        f"Generated by `{command}` at commit {_commit()} in {minutes:.1f} min; runs in "
        "docs/teaching_key.csv. Each run is the page's world (the preset, levers typed "
        "before the first Step, the default 1,000 firms or the preset's size). Figures: "
        f"mean [min-max] (10-90 % of seeds) over seeds {seeds[0]}-{seeds[-1]} "
        f"({len(seeds)} seeds). tests/experiments/test_teaching.py checks every claim below "
        "on these seeds and on seeds 100-109.",
    ]
    results = check_claims(table)
    for ex in EXERCISES:
        rows = table[table["exercise"] == ex.number]
        if rows.empty:
            continue
        lines += ["", f"## Exercise {ex.number}. {ex.title} (to year {ex.years})", ""]
        lines += ["**Expected observations** (claims checked by the tests):", ""]
        for claim, holds, figures in results:
            if claim.exercise == ex.number:
                mark = "holds" if holds else "**DOES NOT HOLD**"
                lines.append(f"- {claim.text} ({mark}): {figures}.")
        settings = list(rows["setting"].unique())
        lines += ["", "| | " + " | ".join(settings) + " |", "|---" * (len(settings) + 1) + "|"]
        for column, name in SHOWN.items():
            if column in rows and rows[column].notna().any():
                cells = [_cell(rows[rows["setting"] == s][column]) for s in settings]
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines += ["", f"**Mechanism.** {MECHANISMS[ex.number]}"]
        seed1 = rows[rows["seed"] == seeds[0]].set_index("setting")
        lines += [
            "",
            f"Seed {seeds[0]} (what a student sees by default): "
            + "; ".join(
                f"{s}: {seed1.loc[s, 'radical']:.0f} radical, "
                f"{seed1.loc[s, 'recombinant']:.0f} recombinant, {seed1.loc[s, 'spend']:.1f} M€"
                for s in settings
            )
            + ".",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the exercises' settings; print the claims; with --key, write the key."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--exercise", type=int, action="append", help="only these exercises")
    parser.add_argument("--out", default="results/teaching_check.csv")
    parser.add_argument("--key", action="store_true", help="write docs/teaching_key.md")
    args = parser.parse_args()
    start = time.monotonic()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    with ProcessPoolExecutor(args.workers) as pool:
        table = pd.DataFrame(pool.map(run_task, tasks(seeds, args.exercise)))
    minutes = (time.monotonic() - start) / 60
    out = DOCS / "teaching_key.csv" if args.key else Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.round(4).to_csv(out, index=False)
    for claim, holds, figures in check_claims(table):
        print(f"Exercise {claim.exercise}: {'OK  ' if holds else 'FAIL'} {claim.text}: {figures}")  # noqa: T201
    if args.key:
        command = "python docs/teaching_check.py " + " ".join(sys.argv[1:])
        (DOCS / "teaching_key.md").write_text(key_markdown(table, command, minutes))
    print(f"{len(table)} runs in {minutes:.1f} min; written {out}")  # noqa: T201


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
