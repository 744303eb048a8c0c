"""Every combination of in-range parameter values runs (issue #17).

Parameter sets are drawn from the declarations themselves: every field listed by
:func:`clusterlab.model.params.param_specs`, an integer from its range, a float from its range
(bounds included), or one of its choices. No parameter is left out and none is listed
by hand. Each drawn set runs a short simulation, which must finish with finite,
non-negative stocks and outputs.

Size and time are shrunk so an example takes well under a second: ``n_firms`` and
``burn_in`` (and ``shock_year``, so the demand shock can hit within the short run) are
drawn from sub-ranges of their declared ranges (:data:`QUICK`, :data:`DEEP`); their
full ranges are covered by the corner test, which runs the low and high value of every
range and every choice, each alone on top of the defaults of a small economy
(:data:`CORNER_BASE`; 200,000 firms only in the deep profile). A numpy overflow or
invalid-value warning raised in the model fails a test.

Two rejections are documented behaviour, not crashes, and are the only errors allowed:

* the cross-parameter constraints of :class:`clusterlab.model.params.ModelParams`
  (``min_clusters_per_region <= max_clusters_per_region``, and in a generic economy
  ``n_chains >= max_clusters_per_region``) raise :class:`ParameterError` on
  construction;
* ``shock_industry`` must name an industry of the economy built: the model raises
  :class:`ParameterError` when it is not below the number of industries (which depends on
  the economy and on the seed, so it cannot be a static range).

The default profile runs a few dozen derandomized examples (deterministic in CI). The
``deep`` profile (``pytest -m deep`` or ``CLUSTERLAB_DEEP=1``) runs
``CLUSTERLAB_DEEP_EXAMPLES`` (default 500) examples on larger sub-ranges and longer
runs, with the Hypothesis seed ``CLUSTERLAB_DEEP_SEED`` (default 0).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, reject, seed, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from clusterlab.model import ClusterModel
from clusterlab.model.errors import ParameterError
from clusterlab.model.params import ModelParams, ParamSpec, param_specs
from clusterlab.model.record import ECONOMY
from clusterlab.model.simulate import SimulationResult, simulate
from clusterlab.model.state import LinkKind

# A numpy overflow or invalid operation in the model is a failure here: it is how a NaN or
# an infinity is born, even when the outputs checked happen to stay finite.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

SPECS = param_specs()


@dataclass(frozen=True)
class Budget:
    """How big and long the drawn runs are.

    Attributes
    ----------
    sub_ranges : dict of str to (int, int)
        Parameters drawn from a sub-range of their declared range (for speed).
    steps : (int, int)
        Fewest and most recorded years of a run.
    """

    sub_ranges: dict[str, tuple[int, int]]
    steps: tuple[int, int]


QUICK = Budget({"n_firms": (20, 80), "burn_in": (0, 2), "shock_year": (1, 3)}, steps=(1, 3))
"""The default (CI) profile: tiny economies, a few years."""

DEEP = Budget({"n_firms": (20, 250), "burn_in": (0, 6), "shock_year": (1, 10)}, steps=(1, 10))
"""The ``deep`` profile: larger economies, longer runs."""

DEEP_EXAMPLES = int(os.environ.get("CLUSTERLAB_DEEP_EXAMPLES", "500"))
DEEP_SEED = int(os.environ.get("CLUSTERLAB_DEEP_SEED", "0"))

CORNER_BASE: dict[str, Any] = {"n_firms": 60, "burn_in": 2}
"""A small economy under each corner value (a corner of n_firms or burn_in replaces it)."""

CORNER_STEPS = 3

CROSS_CONSTRAINT = re.compile(
    r"The '(min_clusters_per_region|n_chains)' parameter of WorldParams must be at "
    r"(most|least) max_clusters_per_region"
)
"""Message of the documented cross-parameter constraints of ModelParams."""

SHOCK_BEYOND = re.compile(
    r"The 'shock_industry' parameter of MarketParams must be -1 or an industry index "
    r"below (\d+)\. Got (\d+)\."
)
"""Message of the documented run-time check of shock_industry."""

SIGNED_COLUMNS = {"kci", "revealed_tech_correlation"}
"""Time-series columns that may be negative (z-scores); every other one is a stock, a
count, a share, an entropy or a density."""

NAN_COLUMNS = {(ECONOMY, "kci"), ("region", "revealed_tech_correlation")}
"""(scope, column) that are NaN by definition: KCI is z-scored over regions; the revealed
relatedness correlation is measured for the whole economy only ("region": every region row)."""

MAYBE_NAN_COLUMNS = {(ECONOMY, "revealed_tech_correlation")}
"""(scope, column) that may be NaN: no multi-unit group combines two industries yet, or one
relatedness measure does not vary (a rank correlation is then undefined)."""

NAN_SUMMARY = {
    "spend_per_radical_innovation",  # NaN when there was no radical innovation
    "spend_per_new_specialisation",  # NaN when there was no new specialisation
    "employment_growth",  # growths are NaN when every firm exited in the burn-in
    "output_growth",
    "productivity_growth",
    "spend_per_persistent_entry",  # NaN when there was no persistent entry
    "revealed_tech_correlation",  # NaN while no group combines two industries
    "deadweight_share",  # deadweight shares are NaN when no link was subsidised
    "deadweight_share_intra_cluster",
    "deadweight_share_cross_cluster",
    "deadweight_share_interregional",
    "deadweight_share_university_link",
}
"""Summary scalars that may be NaN (documented in docs/ODD.md §9.5)."""

SHARE_COLUMNS = ("cross_cluster_share", "interregional_share", "university_share")


# --- strategies --------------------------------------------------------------------------------


def value_strategy(spec: ParamSpec, sub_ranges: dict[str, tuple[int, int]]) -> st.SearchStrategy:
    """Values allowed by one parameter's declaration (or the declared sub-range)."""
    if spec.choices is not None:
        return st.sampled_from(spec.choices)
    low, high = sub_ranges.get(spec.name, (spec.low, spec.high))
    if not spec.low <= low <= high <= spec.high:
        raise ValueError(f"sub-range of {spec.name} leaves its declared range")
    if spec.kind is int:
        return st.integers(int(low), int(high))
    return st.floats(float(low), float(high), allow_nan=False, allow_infinity=False)


def parameter_sets(budget: Budget) -> st.SearchStrategy[dict[str, Any]]:
    """Flat parameter sets: every declared parameter, each drawn from its declaration."""
    return st.fixed_dictionaries(
        {name: value_strategy(spec, budget.sub_ranges) for name, spec in SPECS.items()}
    )


# --- checks ------------------------------------------------------------------------------------


def build_params(flat: dict[str, Any]) -> ModelParams | None:
    """Parameters from a flat set, or None when a documented cross-constraint rejects it."""
    try:
        return ModelParams().replace(**flat)
    except ParameterError as err:
        if not CROSS_CONSTRAINT.search(str(err)):
            raise
        return None


def shock_beyond_industries(err: ParameterError, flat: dict[str, Any]) -> bool:
    """Whether ``err`` is the documented rejection of a shock_industry beyond the economy."""
    found = SHOCK_BEYOND.search(str(err))
    if found is None:
        return False
    limit, got = int(found.group(1)), int(found.group(2))
    return got == flat["shock_industry"] >= limit


def check_outputs(result: SimulationResult, params: ModelParams, steps: int) -> None:
    """Outputs of a finished run: complete, finite where defined, stocks non-negative."""
    n_regions = params.world.n_regions
    ts = result.timeseries
    assert len(ts) == (steps + 1) * (n_regions + 1)
    numeric = ts.drop(columns="scope")
    values = numeric.to_numpy(dtype=float)
    allowed_nan = np.zeros(values.shape, bool)
    maybe_nan = np.zeros(values.shape, bool)
    for scopes, mask in ((NAN_COLUMNS, allowed_nan), (MAYBE_NAN_COLUMNS, maybe_nan)):
        for scope, column in scopes:
            rows = ts["scope"] != ECONOMY if scope == "region" else ts["scope"] == scope
            mask[:, numeric.columns.get_loc(column)] = rows.to_numpy()
    finite = ~allowed_nan & ~maybe_nan
    assert np.isfinite(values[finite]).all(), "non-finite time-series value"
    assert (np.isnan(values) | ~allowed_nan).all()
    assert not np.isinf(values[maybe_nan]).any()
    stocks = numeric.drop(columns=list(SIGNED_COLUMNS))
    assert (stocks.to_numpy(dtype=float) >= 0).all(), "negative stock or count"
    shares = ts[list(SHARE_COLUMNS)].to_numpy(dtype=float)
    assert (shares <= 1).all()
    # Rationing pays budget / claims of each claim: its sum may pass the budget by
    # rounding, relatively below 1e-12, or absolutely below the smallest normal float for
    # a subnormal budget (whose rounding error is absolute).
    limit = params.policy.policy_budget * (1 + 1e-12) + np.finfo(np.float64).tiny
    assert (ts.loc[ts["scope"] != ECONOMY, "spend_total"] <= limit).all()
    panel = result.panel["employment"].to_numpy(dtype=float)
    assert np.isfinite(panel).all()
    assert (panel >= 0).all()
    clusters = result.clusters
    if len(clusters):
        numbers = clusters[["members", "employment", "heterogeneity", "org_budget"]]
        assert np.isfinite(numbers.to_numpy(dtype=float)).all()
        assert (numbers.to_numpy(dtype=float) >= 0).all()
    for key, value in result.summary.items():
        assert not np.isinf(value), key
        assert key in NAN_SUMMARY or not np.isnan(value), key


def check_state(model: ClusterModel) -> None:
    """The model's state after a year: stocks in range, links and agents consistent."""
    ws = model.state
    f, links = ws.firms, ws.links
    alive = f.alive
    assert np.isfinite(f.employees[alive]).all()
    assert (f.employees[alive] >= 0).all()
    assert np.isfinite(f.productivity[alive]).all()
    assert (f.productivity[alive] > 0).all()
    assert np.isfinite(f.cash[alive]).all()
    assert ((f.knowledge >= 0) & (f.knowledge <= 1)).all()
    assert ((ws.unis.knowledge >= 0) & (ws.unis.knowledge <= 1)).all()
    assert (ws.orgs.budget >= 0).all()
    assert (ws.spend >= 0).all()
    assert np.isfinite(ws.final_demand).all()
    assert (ws.final_demand >= 0).all()
    live = links.active
    to_uni = links.kind == LinkKind.UNIVERSITY
    assert alive[links.a[live]].all()
    assert alive[links.b[live & ~to_uni]].all()
    assert (links.b[live & to_uni] < len(ws.unis)).all()
    assert len(model.firm_agents) == int(alive.sum())


def run_and_check(params: ModelParams, seed: int, steps: int) -> None:
    """Run the model step by step checking its state, then ``simulate`` checking outputs.

    Raises
    ------
    ParameterError
        As the model does (the caller decides whether it is documented).
    """
    model = ClusterModel(params=params, rng=seed)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            check_state(model)
            for _ in range(steps):
                model.step()
                check_state(model)
    finally:
        model.release()
    check_outputs(simulate(params, seed=seed, steps=steps), params, steps)


def check_drawn_set(flat: dict[str, Any], seed: int, steps: int) -> None:
    """Run one drawn set; documented rejections are discarded, anything else must pass."""
    params = build_params(flat)
    if params is None:
        reject()
    note(f"seed={seed} steps={steps} params={flat!r}")
    try:
        run_and_check(params, seed, steps)
    except ParameterError as err:
        if not shock_beyond_industries(err, flat):
            raise
        reject()


# --- property-based tests ----------------------------------------------------------------------

# Documented rejections (cross-constraints, shock_industry beyond the economy) discard a
# large share of drawn sets: cheaply, before any simulation. Hence filter_too_much.
HEALTH = [HealthCheck.filter_too_much, HealthCheck.too_slow]


@given(
    flat=parameter_sets(QUICK),
    seed=st.integers(0, 2**32 - 1),
    steps=st.integers(*QUICK.steps),
)
@settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=HEALTH,
)
def test_every_in_range_parameter_set_runs(flat: dict[str, Any], seed: int, steps: int) -> None:
    check_drawn_set(flat, seed, steps)


@pytest.mark.deep
@seed(DEEP_SEED)
@given(
    flat=parameter_sets(DEEP),
    seed=st.integers(0, 2**32 - 1),
    steps=st.integers(*DEEP.steps),
)
@settings(
    max_examples=DEEP_EXAMPLES,
    database=None,
    deadline=None,
    suppress_health_check=HEALTH,
)
def test_every_in_range_parameter_set_runs_deep(
    flat: dict[str, Any], seed: int, steps: int
) -> None:
    check_drawn_set(flat, seed, steps)


# --- corners of every range, each alone on the defaults ----------------------------------------

COMPANIONS: dict[tuple[str, Any], dict[str, Any]] = {
    ("min_clusters_per_region", 6): {"max_clusters_per_region": 6, "n_chains": 6},
    ("max_clusters_per_region", 1): {"min_clusters_per_region": 1},
    ("max_clusters_per_region", 6): {"n_chains": 6},
    ("n_chains", 2): {"min_clusters_per_region": 1, "max_clusters_per_region": 2},
}
"""Corners that break a documented cross-constraint alone, with the least change that
satisfies it (the corner alone must raise the documented error)."""

DEEP_CORNERS = {("n_firms", 200_000)}
"""Corners too slow for the default run (200,000 firms: about a minute)."""


def corner_values(spec: ParamSpec) -> list[Any]:
    """Low and high of a range, or every choice."""
    if spec.choices is not None:
        return list(spec.choices)
    kind = int if spec.kind is int else float
    return [kind(spec.low), kind(spec.high)]


def corner_cases() -> list[Any]:
    """One pytest case per corner value of every parameter."""
    cases = []
    for spec in SPECS.values():
        for value in corner_values(spec):
            marks = [pytest.mark.deep] if (spec.name, value) in DEEP_CORNERS else []
            cases.append(pytest.param(spec.name, value, marks=marks, id=f"{spec.name}={value}"))
    return cases


@pytest.mark.parametrize(("name", "value"), corner_cases())
def test_every_corner_value_runs_alone(name: str, value: Any) -> None:
    flat = CORNER_BASE | {name: value}
    companions = COMPANIONS.get((name, value))
    if companions is not None:
        with pytest.raises(ParameterError, match=CROSS_CONSTRAINT):
            ModelParams().replace(**flat)
        flat |= companions
    params = ModelParams().replace(**flat)
    if name == "shock_industry" and value > 0:
        with pytest.raises(ParameterError, match=SHOCK_BEYOND):
            ClusterModel(params=params, rng=1)
        return
    run_and_check(params, seed=1, steps=CORNER_STEPS)


def test_the_corner_list_covers_every_parameter() -> None:
    names = {case.values[0] for case in corner_cases()}
    assert names == set(SPECS)
    assert all((name, value) in {c.values for c in corner_cases()} for name, value in COMPANIONS)


def test_a_shock_on_the_last_industry_runs() -> None:
    # The largest shock_industry a built economy allows: one below its industry count.
    model = ClusterModel(params=ModelParams().replace(**CORNER_BASE), rng=1)
    try:
        last = model.state.industries.n - 1
    finally:
        model.release()
    overrides = CORNER_BASE | {"shock_industry": last, "shock_year": 1, "shock_size": 1.0}
    run_and_check(ModelParams().replace(**overrides), seed=1, steps=CORNER_STEPS)


@given(data=st.data())
@settings(max_examples=60, derandomize=True, database=None, deadline=None)
def test_drawn_values_are_allowed_by_their_declarations(data: st.DataObject) -> None:
    spec = data.draw(st.sampled_from(list(SPECS.values())))
    value = data.draw(value_strategy(spec, {}))
    if spec.choices is not None:
        assert value in spec.choices
    else:
        assert spec.low <= value <= spec.high
        assert isinstance(value, int) == (spec.kind is int)


def test_a_sub_range_must_lie_inside_the_declared_range() -> None:
    with pytest.raises(ValueError, match="sub-range of n_firms leaves its declared range"):
        value_strategy(SPECS["n_firms"], {"n_firms": (1, 10)})
