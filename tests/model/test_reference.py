"""Reference runs: stored outputs of a few small simulations, to catch changes of behaviour.

``python tests/model/test_reference.py --write`` (from the repository root) simulates
:data:`RUNS` and writes their outputs to ``tests/model/data/reference/``; the tests run
them again and compare. A speed-up must leave them unchanged: every event the same,
numbers equal to the suite's tolerance, ``FLOAT_RTOL`` = ``FLOAT_ATOL`` = 1e-9 in
``tests/conftest.py``, never to the bit. The files were written on another machine, and
another CPU rounds in the last bits (its BLAS kernels, numpy's AVX-512 exp and log); a
compiled kernel may also add in another order than numpy did. On an AVX2 machine 4,214
of the 42,989 stored numbers differ, by at most 2.1e-14 relative, and every event and
count is equal (docs/reproducibility.md). A deliberate change of the model regenerates
them, in the same commit, with the reason in its message.

The stored files were first written by the code of commit 3493ad1 (before the compiled
kernels of issue #8), then regenerated when the samplers of nearby firms, suppliers and
entrants' cells changed to draw the same distributions with fewer random numbers (issue
#8, third session). They are the numba backend's outputs: the numpy backend draws
suppliers from the same distribution with other random numbers (docs/reproducibility.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from clusterlab.model.presets import preset
from clusterlab.model.simulate import simulate

DATA = Path(__file__).resolve().parent / "data" / "reference"

RUNS: dict[str, dict[str, Any]] = {
    "baseline_400_seed1": {"preset": "baseline", "n_firms": 400, "seed": 1, "steps": 25},
    "ris3_relatedness_300_seed3": {
        "preset": "ris3_relatedness",
        "n_firms": 300,
        "seed": 3,
        "steps": 25,
    },
    "marche_teaching_seed2": {"preset": "marche_teaching", "n_firms": None, "seed": 2, "steps": 15},
}
"""Name -> preset, firms (None: the preset's own), seed and years."""


def tables(spec: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Simulate one reference run; its output tables by name."""
    overrides = {} if spec["n_firms"] is None else {"n_firms": spec["n_firms"]}
    result = simulate(preset(spec["preset"], **overrides), seed=spec["seed"], steps=spec["steps"])
    out = {
        "timeseries": result.timeseries,
        "panel": result.panel,
        "clusters": result.clusters,
        "summary": pd.DataFrame([result.summary]),
    }
    out |= {f"events_{kind}": frame for kind, frame in result.events.items()}
    return out


def write() -> None:
    """Simulate every reference run (numba backend) and store its tables and the run list."""
    from clusterlab.model.kernels import use_backend

    use_backend("numba")  # the supplier draws differ between backends (same distribution)
    DATA.mkdir(parents=True, exist_ok=True)
    for name, spec in RUNS.items():
        for table, frame in tables(spec).items():
            frame.to_parquet(DATA / f"{name}.{table}.parquet", index=False)
    (DATA / "runs.json").write_text(json.dumps(RUNS, indent=1) + "\n")


def test_the_stored_run_list_is_the_current_one():
    assert json.loads((DATA / "runs.json").read_text()) == RUNS


@pytest.mark.parametrize("name", list(RUNS))
def test_reference_run_reproduces_its_stored_outputs(name, assert_frames_close, use_kernels):
    use_kernels("numba")  # the stored outputs are the numba backend's (skipped without numba)
    got = tables(RUNS[name])
    stored = sorted(p.name.split(".")[1] for p in DATA.glob(f"{name}.*.parquet"))
    assert sorted(got) == stored, "the same tables (and kinds of events)"
    for table, frame in got.items():
        expected = pd.read_parquet(DATA / f"{name}.{table}.parquet")
        # ids, steps and kinds exactly; numbers (counts stored as floats among them) to 1e-9
        assert_frames_close(
            frame.reset_index(drop=True), expected, check_dtype=False, obj=f"{name} {table}"
        )


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/model/test_reference.py --write")
    write()
