import hashlib
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterlab.model.errors import ParameterError
from clusterlab.model.presets import preset
from clusterlab.model.record import (
    FUNNEL_COLUMNS,
    LINK_INSTRUMENT_NAMES,
    NEW_LINK_KINDS,
    SPEND_COLUMNS,
)
from clusterlab.model.simulate import EVENT_TABLES, gini, region_summary, simulate, summarise

ROOT = Path(__file__).resolve().parents[2]

HASH_SCRIPT = """
import hashlib, json
from clusterlab.model.presets import preset
from clusterlab.model.simulate import simulate
r = simulate(preset({preset!r}, n_firms=200, burn_in=2), seed={seed}, steps={steps})
text = r.timeseries.to_csv(index=False) + json.dumps(r.summary, sort_keys=True)
print(hashlib.sha256(text.encode()).hexdigest())
"""


def _digest(result):
    text = result.timeseries.to_csv(index=False) + json.dumps(result.summary, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _assert_same(a, b, assert_frames_identical):
    """Every output to the bit: the same code on the same machine adds in the same order."""
    assert_frames_identical(a.timeseries, b.timeseries)
    assert_frames_identical(a.panel, b.panel)
    assert_frames_identical(a.clusters, b.clusters)
    assert a.events.keys() == b.events.keys()
    for kind in a.events:
        assert_frames_identical(a.events[kind], b.events[kind])
    assert a.summary.keys() == b.summary.keys()
    for key, value in a.summary.items():
        assert value == b.summary[key] or (math.isnan(value) and math.isnan(b.summary[key])), key
    assert a.params == b.params


# --- structure ---------------------------------------------------------------------------------


def test_result_tables_have_the_documented_shape(small_result):
    r = small_result
    n_regions, n_industries = len(r.regions), len(r.industries)
    assert r.steps == 10
    assert r.seed == 7
    assert len(r.timeseries) == (r.steps + 1) * (n_regions + 1)
    assert len(r.panel) == (r.steps + 1) * n_regions * n_industries
    assert list(r.panel.columns) == ["step", "region", "industry", "employment"]
    assert set(r.panel["industry"]) == set(r.industries)
    assert tuple(r.events) == EVENT_TABLES
    assert r.params == preset("ris3_relatedness", n_firms=200, burn_in=2).to_flat()
    assert len(r.fields) == 24
    births = r.events["birth"]
    origins = {"division", "spinoff", "academic_spinoff", "entrant", "outside_entrant"}
    assert set(births["origin"]) <= origins
    innovation = r.events["innovation"]
    assert set(innovation["kind"]) <= {"incremental", "recombinant", "radical"}
    assert (innovation.loc[innovation["kind"] == "radical", "novel"]).all()


def test_summary_is_consistent_with_the_time_series(small_result):
    s = small_result.summary
    eco = small_result.timeseries.query("scope == 'economy'").set_index("step")
    run = eco.loc[1:]
    assert s["radical_innovations"] == run["radical"].sum()
    assert s["incremental_innovations"] == run["incremental"].sum()
    assert s["policy_spend"] == pytest.approx(run["spend_total"].sum())
    assert s["new_specialisations"] == run["entries"].sum()  # raw crossings
    assert s["persistent_entries"] == run["persistent_entries"].sum()
    assert s["net_specialisations"] == s["persistent_entries"] - s["persistent_exits"]
    n_regions = len(small_result.regions)
    assert s["net_specialisations"] == pytest.approx(n_regions * s["persistent_diversity_change"])
    for measure in ("tech", "revealed"):
        split = s[f"persistent_entries_related_{measure}"]
        assert split + s[f"persistent_entries_unrelated_{measure}"] == s["persistent_entries"]
    assert s["final_firms"] == eco["firms"].iloc[-1]
    assert s["employment_growth"] == pytest.approx(
        eco["employment"].iloc[-1] / eco["employment"].iloc[0] - 1
    )
    if s["radical_innovations"] > 0:
        assert s["spend_per_radical_innovation"] == pytest.approx(
            s["policy_spend"] / s["radical_innovations"]
        )
    assert 0 <= s["size_gini"] < 1


def test_spend_per_outcome_is_nan_when_the_outcome_is_zero():
    r = simulate(
        preset("baseline", n_firms=100, burn_in=0, radical_attempt_rate=0.0, local_search_rate=0.0),
        seed=1,
        steps=2,
    )
    assert r.summary["radical_innovations"] == 0
    assert math.isnan(r.summary["spend_per_radical_innovation"])


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_growth_is_nan_when_every_firm_exited_in_the_burn_in():
    # Degenerate case (issue #17): no firm reaches step 0, so nothing grows from it; no
    # 0 / 0 warning either.
    params = preset(
        "baseline", n_firms=50, burn_in=2, min_employees=1000.0, max_universities_per_region=0
    )
    r = simulate(params, seed=1, steps=2)
    assert (r.timeseries["firms"] == 0).all()
    for key in ("employment_growth", "output_growth", "productivity_growth"):
        assert math.isnan(r.summary[key])
    assert r.summary["final_firms"] == 0.0


def test_zero_steps_records_step_zero_only():
    r = simulate(preset("baseline", n_firms=100, burn_in=0), seed=1, steps=0)
    assert r.timeseries["step"].unique().tolist() == [0]
    assert r.summary["employment_growth"] == 0.0


def test_summarise_hand_built_series():
    rows = []
    for step, (radical, spend, emp) in enumerate(
        [(0, 0.0, 100.0), (2, 3.0, 110.0), (1, 3.0, 120.0)]
    ):
        base = {
            "step": step,
            "radical": radical,
            "radical_new_to_region": step,
            "recombinant": 0,
            "incremental": 0,
            "entries": 1 if step else 0,
            "entries_related": 0,
            "entries_unrelated": 1 if step else 0,
            "exits": 0,
            "diversity": 2.0 + step,
            "employment": emp,
            "output": 10.0,
            "productivity": 1.0,
            "firms": 10,
            "cross_cluster_share": 0.5,
            "interregional_share": 0.1,
            "university_share": 0.2,
            "spend_total": spend,
            "related_variety": 0.3,
            "unrelated_variety": 0.4,
            "kci": 0.0,
            # measures that see change: 2 persistent entries at step 1, 1 exit at step 2
            "persistent_entries": [0, 2, 0][step],
            "persistent_exits": [0, 0, 1][step],
            "persistent_entries_related_tech": [0, 1, 0][step],
            "persistent_entries_unrelated_tech": [0, 1, 0][step],
            "persistent_entries_related_revealed": [0, 2, 0][step],
            "persistent_entries_unrelated_revealed": 0,
            "persistent_diversity": [3.0, 5.0, 4.0][step],
            "absolute_diversity": [6.0, 6.5, 7.5][step],
            "revealed_tech_correlation": [np.nan, 0.2, 0.4][step],
        }
        base |= dict.fromkeys(SPEND_COLUMNS, 0.0)
        base |= dict.fromkeys(FUNNEL_COLUMNS, float(step))  # funnel sums: 1 + 2 = 3
        base |= {f"links_{k}_{n}": 0.0 for k in NEW_LINK_KINDS for n in LINK_INSTRUMENT_NAMES}
        rows.append(base | {"scope": "economy"})
        rows.append(base | {"scope": "R1", "kci": float(step)})
    s = summarise(pd.DataFrame(rows), np.array([1.0, 1.0, 4.0]))
    assert s["radical_innovations"] == 3  # step 0 does not count
    assert s["radical_innovations_new_to_region"] == 1 + 2
    assert s["policy_spend"] == 6.0
    assert s["spend_per_radical_innovation"] == 2.0
    assert s["spend_per_new_specialisation"] == 3.0
    assert s["employment_growth"] == pytest.approx(0.2)
    assert s["diversity_change"] == 2.0
    assert s["kci_change_abs"] == 2.0
    assert s["size_gini"] == pytest.approx(gini(np.array([1.0, 1.0, 4.0])))
    assert s["persistent_entries"] == 2
    assert s["persistent_exits"] == 1
    assert s["net_specialisations"] == 1  # 2 - 1
    assert s["persistent_entries_related_revealed"] == 2
    assert s["persistent_diversity_change"] == 1.0  # 4 - 3
    assert s["final_absolute_diversity"] == 7.5
    assert s["absolute_diversity_change"] == 1.5  # 7.5 - 6
    assert s["revealed_tech_correlation"] == 0.4  # at T
    assert s["spend_per_persistent_entry"] == 3.0  # 6 / 2
    assert s["links_formed"] == 0.0
    assert all(s[c] == 3.0 for c in FUNNEL_COLUMNS)  # steps 1 + 2


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1.0, 1.0, 1.0], 0.0),
        ([0.0, 0.0, 3.0], (2 * 3 - 3 - 1) * 3 / (3 * 3)),
        # sorted 1, 2, 3, 4: (-3*1 - 1*2 + 1*3 + 3*4) / (4 * 10)
        ([4.0, 1.0, 3.0, 2.0], 10 / 40),
        ([5.0], 0.0),
        ([0.0, 0.0], 0.0),
        ([], 0.0),
    ],
)
def test_gini_hand_values(values, expected):
    assert gini(np.array(values)) == pytest.approx(expected)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("steps", [-1, 2.5, True, "3", None])
def test_steps_must_be_a_non_negative_integer(steps):
    with pytest.raises(
        ParameterError, match=r"The 'steps' argument of simulate must be an integer >= 0\. Got"
    ):
        simulate(preset("baseline", n_firms=100), seed=1, steps=steps)


def test_numpy_integer_steps_are_accepted():
    r = simulate(preset("baseline", n_firms=100, burn_in=0), seed=np.int64(1), steps=np.int64(1))
    assert r.steps == 1
    assert r.seed == 1


# --- determinism -------------------------------------------------------------------------------


def test_same_params_and_seed_give_identical_results(small_result, assert_frames_identical):
    again = simulate(preset("ris3_relatedness", n_firms=200, burn_in=2), seed=7, steps=10)
    _assert_same(small_result, again, assert_frames_identical)


def test_different_seeds_give_different_results(small_result):
    other = simulate(preset("ris3_relatedness", n_firms=200, burn_in=2), seed=8, steps=10)
    assert not small_result.timeseries.equals(other.timeseries)
    assert _digest(small_result) != _digest(other)


def test_a_fresh_process_reproduces_the_result(small_result):
    script = HASH_SCRIPT.format(preset="ris3_relatedness", seed=7, steps=10)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.strip() == _digest(small_result)


COMPILE_CHECK = """
import inspect
import numba
from clusterlab.model.kernels import numba_kernels, numba_nearby, numba_sampling
from clusterlab.model.simulate import compile_kernels

compile_kernels()
kernels_by_name = {
    f"{module.__name__}.{name}": value
    for module in (numba_kernels, numba_nearby, numba_sampling)
    for name, value in vars(module).items()
    if isinstance(value, numba.core.registry.CPUDispatcher)
}
sources = {name: inspect.getsource(k.py_func) for name, k in kernels_by_name.items()}
# entry points: kernels that Python calls (a helper called only inside kernels is
# compiled into them, or loaded with them from the cache, and has no signature of its own)
entry = [
    name
    for name in kernels_by_name
    if not any(
        name.rsplit(".", 1)[1] + "(" in src for other, src in sources.items() if other != name
    )
]
print(len(entry), sorted(n for n in entry if not kernels_by_name[n].signatures))
"""


def test_compile_kernels_reaches_every_compiled_kernel():
    pytest.importorskip("numba")
    # a new process: nothing compiled or loaded before compile_kernels()
    done = subprocess.run(
        [sys.executable, "-c", COMPILE_CHECK], capture_output=True, text=True, check=True
    )
    count, missing = done.stdout.strip().splitlines()[-1].split(" ", 1)
    assert int(count) >= 7
    assert missing == "[]"


def test_region_summary_adds_up_to_the_economy_summary(small_result):
    per_region = region_summary(small_result.timeseries)
    s = small_result.summary
    assert per_region["scope"].tolist() == small_result.regions
    assert per_region["entries"].sum() == s["new_specialisations"]
    assert per_region["persistent_entries"].sum() == s["persistent_entries"]
    assert per_region["net_specialisations"].sum() == s["net_specialisations"]
    assert per_region["absolute_diversity_change"].mean() == pytest.approx(
        s["absolute_diversity_change"]
    )
    assert per_region["spend_total"].sum() == pytest.approx(s["policy_spend"])


def _documented_names(section: str) -> set[str]:
    """Backticked names in the first column of the table of an ODD section (a row may
    document several names, e.g. one per instrument)."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "ODD.md").read_text(encoding="utf-8")
    body = text.split(f"### {section}", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    first_cells = re.findall(r"^\| (`[^|]+`) \|", body, flags=re.MULTILINE)
    return {name for cell in first_cells for name in re.findall(r"`([a-z_0-9]+)`", cell)}


def test_odd_documents_every_time_series_column_and_summary_key(small_result):
    assert set(small_result.timeseries.columns) == _documented_names("9.1 Time series")
    assert set(small_result.summary) == _documented_names("9.5 Run summary")


BLAS_ONCE_CHECK = """
from threadpoolctl import threadpool_info
from clusterlab.model.presets import preset
from clusterlab.model.simulate import limit_blas_threads, simulate

params = preset("baseline", n_firms=60, burn_in=1)
before = simulate(params, seed=3, steps=2).timeseries
limit_blas_threads()
after = simulate(params, seed=3, steps=2).timeseries
blas = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
print(after.equals(before), max(blas, default=1))
"""


def test_limit_blas_threads_holds_for_the_process_and_changes_no_result():
    # a new process: the limit stays for the rest of the process (the runner's workers)
    done = subprocess.run(
        [sys.executable, "-c", BLAS_ONCE_CHECK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.strip().splitlines()[-1] == "True 1"
