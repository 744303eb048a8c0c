"""Development check of the six validation patterns on development seeds (never validation).

Runs ``validation_run(seed, 50, overrides, preset)`` for run seeds 0..7 on each policy
preset, one process, and prints the life-cycle figures and the verdict of every pattern.
Usage: ``python benchmarks/life_cycle_dev.py [--seeds 8] [--presets a,b] [--set k=v ...]
[--out file.pkl]``.
"""

from __future__ import annotations

import argparse
import ast
import pickle
import time

from clusterlab.experiments.validation import PATTERNS, check_pattern
from clusterlab.experiments.validation_runs import validation_run

PRESETS = (
    "baseline",
    "intra_cluster",
    "ris3_relatedness",
    "ris3_targeted",
    "outward_looking",
    "governance",
    "mission",
)


def main() -> None:
    """Run the ensembles and print one line per preset."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--presets", default=",".join(PRESETS))
    ap.add_argument("--set", nargs="*", default=[])
    ap.add_argument("--patterns", default=",".join(PATTERNS))
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    overrides = {}
    for kv in a.set:
        k, v = kv.split("=", 1)
        try:
            overrides[k] = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            overrides[k] = v
    saved = {}
    for name in a.presets.split(","):
        t = time.time()
        runs = [validation_run(s, 50, overrides, name) for s in range(a.seeds)]
        saved[name] = [r.clusters for r in runs]
        verdicts = {}
        for key in a.patterns.split(","):
            c = check_pattern(key, runs, name)
            verdicts[key] = "ok" if c.verdict == "reproduced" else "NO"
            if key == "life_cycle":
                f = c.figures
                lc = (
                    f"age2={f['age2_coef']:.3g} p={f['age2_p']:.3g} "
                    f"peak={f['peak_position']:.3g} n={f['observations']:.0f}"
                )
        print(f"{name:17s} {lc} | {verdicts} ({time.time() - t:.0f}s)", flush=True)
    if a.out:
        with open(a.out, "wb") as fh:
            pickle.dump(saved, fh)


if __name__ == "__main__":
    main()
