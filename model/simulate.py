"""One call that runs a model and returns plain data: :func:`simulate`."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from clusterlab.model.change import PERSISTENT_ENTRY_COLUMNS, PERSISTENT_EVENT_COLUMNS
from clusterlab.model.cluster_model import ClusterModel
from clusterlab.model.errors import ParameterError
from clusterlab.model.extension import Extension
from clusterlab.model.params import ModelParams
from clusterlab.model.presets import preset
from clusterlab.model.record import ECONOMY, LINK_INSTRUMENT_NAMES, SPEND_COLUMNS, funnel_summary
from clusterlab.model.snapshot import SnapshotCollector
from clusterlab.model.state import Instrument, Origin

__all__ = [
    "SimulationResult",
    "compile_kernels",
    "limit_blas_threads",
    "region_summary",
    "simulate",
    "summarise",
]

EVENT_TABLES = (
    "innovation",
    "birth",
    "death",
    "link",
    "specialisation",
    "persistent_specialisation",
)
EMPTY_EVENT_COLUMNS = {"persistent_specialisation": PERSISTENT_EVENT_COLUMNS}
"""Columns of event tables that keep them when no event happened (short runs)."""


@dataclass(frozen=True)
class SimulationResult:
    """Plain-data outputs of one run.

    Attributes
    ----------
    params : dict
        Every parameter by name (flat).
    seed : int
    steps : int
        Recorded years after step 0.
    timeseries : DataFrame
        One row per (step, scope); scope is "economy" or a region name.
    panel : DataFrame
        Employment by step, region and industry (long format).
    clusters : DataFrame
        One row per (step, cluster): members, heterogeneity, external link share...
    events : dict of DataFrame
        "innovation", "birth", "death", "link", "specialisation" (raw crossings of
        RCA = 1), "persistent_specialisation" (persistent entries and exits; negative
        steps are the burn-in); empty when ``simulate`` was called with ``events=False``.
    summary : dict
        Run-summary scalars (see :func:`summarise`).
    industries, regions, fields : list of str
        Names, in index order.
    snapshots : dict of DataFrame
        The final year's "firms" and "links" tables, or every year's "firms_yearly" and
        "links_yearly" (:mod:`clusterlab.model.snapshot`), when asked for with ``snapshots=``.
    """

    params: dict[str, Any]
    seed: int
    steps: int
    timeseries: pd.DataFrame
    panel: pd.DataFrame
    clusters: pd.DataFrame
    events: dict[str, pd.DataFrame]
    summary: dict[str, float]
    industries: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    snapshots: dict[str, pd.DataFrame] = field(default_factory=dict)
    extensions: list[str] = field(default_factory=list)


def _panel(model: ClusterModel) -> pd.DataFrame:
    ws = model.state
    stack = np.stack(model.recorder.panel)  # (T, R, P)
    t, r, p = np.meshgrid(
        np.arange(stack.shape[0]),
        np.arange(stack.shape[1]),
        np.arange(stack.shape[2]),
        indexing="ij",
    )
    return pd.DataFrame(
        {
            "step": t.ravel(),
            "region": np.asarray(ws.geo.region_names)[r.ravel()],
            "industry": np.asarray(ws.industries.names)[p.ravel()],
            "employment": stack.ravel(),
        }
    )


def _events(model: ClusterModel) -> dict[str, pd.DataFrame]:
    """Event tables with names instead of codes (regions, industries, origins, instruments)."""
    ws = model.state
    regions, industries = np.asarray(ws.geo.region_names), np.asarray(ws.industries.names)
    out = {}
    for kind in EVENT_TABLES:
        df = pd.DataFrame(ws.events.columns(kind))
        if df.empty and kind in EMPTY_EVENT_COLUMNS:  # a table with its columns, no rows
            df = pd.DataFrame(columns=list(EMPTY_EVENT_COLUMNS[kind]))
        if "origin" in df:
            df["origin"] = [Origin(o).name.lower() for o in df["origin"]]
        if "instrument" in df:
            df["instrument"] = [Instrument(i).name.lower() for i in df["instrument"]]
        if "region" in df:
            df["region"] = regions[df["region"].to_numpy(dtype=int)]
        if "industry" in df:
            df["industry"] = industries[df["industry"].to_numpy(dtype=int)]
        out[kind] = df
    return out


def gini(values: np.ndarray) -> float:
    r"""Gini coefficient of non-negative values (0 for fewer than 2 or an all-zero set).

    :math:`G = \sum_i (2i - n - 1) x_{(i)} / (n \sum_i x_i)` with sorted :math:`x_{(i)}`.

    Examples
    --------
    >>> gini(np.array([1.0, 1.0, 1.0]))
    0.0
    >>> round(gini(np.array([0.0, 0.0, 3.0])), 4)  # (2*3 - 3 - 1) * 3 / (3 * 3)
    0.6667
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    if n < 2 or x.sum() <= 0:
        return 0.0
    i = np.arange(1, n + 1)
    return float(((2 * i - n - 1) * x).sum() / (n * x.sum()))


def _growth(start: float, end: float) -> float:
    """Relative change ``end / start - 1``; NaN when ``start`` is 0 (nothing to grow from)."""
    return float(end / start - 1.0) if start > 0 else float("nan")


def spend_and_additionality(run: pd.DataFrame) -> dict[str, float]:
    """Spend per instrument, new links per link instrument and their deadweight shares.

    ``run`` holds the economy rows of years 1..T. ``spend_*``: M€ paid per instrument;
    ``links_formed_*``: new links of each link instrument; ``deadweight_share_*``: of the
    new subsidised links of the instrument, the share that would have formed without the
    subsidy (NaN when none was subsidised); ``deadweight_share``: the same over all four.
    """
    out = {c: float(run[c].sum()) for c in SPEND_COLUMNS}
    dead = subsidised = 0.0
    for name in LINK_INSTRUMENT_NAMES:
        out[f"links_formed_{name}"] = float(run[f"links_formed_{name}"].sum())
        d = float(run[f"links_deadweight_{name}"].sum())
        n = float(run[f"links_subsidised_{name}"].sum())
        out[f"deadweight_share_{name}"] = d / n if n > 0 else float("nan")
        dead, subsidised = dead + d, subsidised + n
    out["deadweight_share"] = dead / subsidised if subsidised > 0 else float("nan")
    return out


def summarise(timeseries: pd.DataFrame, employees: np.ndarray) -> dict[str, float]:
    """Run-summary scalars a sweep compares.

    Sums run over recorded steps 1..T of the economy rows; "final" values are at step T.
    ``new_specialisations`` and ``lost_specialisations`` count raw crossings of RCA = 1
    (re-crossings included); ``persistent_*`` and ``net_specialisations`` count changes
    that held (:mod:`clusterlab.model.change`). Spend per outcome is NaN when the outcome is zero
    (no division by zero). A growth
    (employment, output, productivity) is NaN when its step-0 value is zero: when every
    firm exited during the burn-in there is nothing to grow from (the firm counts and
    sums are still reported, as 0 or what entry rebuilt).
    """
    eco = timeseries[timeseries["scope"] == ECONOMY].set_index("step")
    first, last = eco.iloc[0], eco.iloc[-1]
    run = eco.iloc[1:]
    spend = float(run["spend_total"].sum())
    radical = float(run["radical"].sum())
    entries = float(run["entries"].sum())
    regions = timeseries[timeseries["scope"] != ECONOMY]
    kci = regions.pivot(index="step", columns="scope", values="kci")
    return (
        _change_summary(first, last, run, spend)
        | {
            "radical_innovations": radical,
            "radical_innovations_new_to_region": float(run["radical_new_to_region"].sum()),
            "recombinant_innovations": float(run["recombinant"].sum()),
            "incremental_innovations": float(run["incremental"].sum()),
            "new_specialisations": entries,
            "new_specialisations_related": float(run["entries_related"].sum()),
            "new_specialisations_unrelated": float(run["entries_unrelated"].sum()),
            "lost_specialisations": float(run["exits"].sum()),
            "final_diversity": float(last["diversity"]),
            "diversity_change": float(last["diversity"] - first["diversity"]),
            "kci_change_abs": float((kci.iloc[-1] - kci.iloc[0]).abs().mean()),
            "employment_growth": _growth(first["employment"], last["employment"]),
            "output_growth": _growth(first["output"], last["output"]),
            "productivity_growth": _growth(first["productivity"], last["productivity"]),
            "final_firms": float(last["firms"]),
            "final_cross_cluster_share": float(last["cross_cluster_share"]),
            "mean_cross_cluster_share": float(run["cross_cluster_share"].mean()),
            "mean_interregional_share": float(run["interregional_share"].mean()),
            "mean_university_share": float(run["university_share"].mean()),
            "policy_spend": spend,
            "spend_per_radical_innovation": spend / radical if radical > 0 else float("nan"),
            "spend_per_new_specialisation": spend / entries if entries > 0 else float("nan"),
            "size_gini": gini(employees),
            "final_related_variety": float(last["related_variety"]),
            "final_unrelated_variety": float(last["unrelated_variety"]),
        }
        | spend_and_additionality(run)
        | funnel_summary(run)
    )


def _change_summary(
    first: pd.Series, last: pd.Series, run: pd.DataFrame, spend: float
) -> dict[str, float]:
    """Summary of the measures that see change (persistent entries, absolute diversity)."""
    entries = float(run["persistent_entries"].sum())
    exits = float(run["persistent_exits"].sum())
    return {
        "persistent_entries": entries,
        "persistent_exits": exits,
        "net_specialisations": entries - exits,
        **{c: float(run[c].sum()) for c in PERSISTENT_ENTRY_COLUMNS},
        "persistent_diversity_change": float(
            last["persistent_diversity"] - first["persistent_diversity"]
        ),
        "final_absolute_diversity": float(last["absolute_diversity"]),
        "absolute_diversity_change": float(
            last["absolute_diversity"] - first["absolute_diversity"]
        ),
        "revealed_tech_correlation": float(last["revealed_tech_correlation"]),
        "spend_per_persistent_entry": spend / entries if entries > 0 else float("nan"),
    }


REGION_SUMMARY_SUMS = (
    "entries",
    "exits",
    "persistent_entries",
    "persistent_exits",
    *PERSISTENT_ENTRY_COLUMNS,
    "radical",
    "spend_total",
)
REGION_SUMMARY_CHANGES = ("diversity", "persistent_diversity", "absolute_diversity")


def region_summary(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Per-region summary, for comparisons of treated and control regions.

    One row per region (``scope``): sums over recorded steps 1..T of
    :data:`REGION_SUMMARY_SUMS`, ``net_specialisations`` (persistent entries - exits),
    and the change from step 0 to T of :data:`REGION_SUMMARY_CHANGES` (``<column>_change``).
    """
    regions = timeseries[timeseries["scope"] != ECONOMY]
    run = regions[regions["step"] > regions["step"].min()]
    out = run.groupby("scope", sort=False)[list(REGION_SUMMARY_SUMS)].sum()
    out["net_specialisations"] = out["persistent_entries"] - out["persistent_exits"]
    by_step = regions.sort_values("step").groupby("scope", sort=False)
    for column in REGION_SUMMARY_CHANGES:
        out[f"{column}_change"] = by_step[column].last() - by_step[column].first()
    return out.reset_index()


def simulate(
    params: ModelParams,
    seed: int,
    steps: int = 50,
    snapshots: Collection[str] = (),
    *,
    events: bool = True,
    extensions: Iterable[Extension | str] = (),
) -> SimulationResult:
    """Build a model, run it for ``steps`` years and return its outputs as plain data.

    Parameters
    ----------
    params : ModelParams
    seed : int
        Seed of the run's generator; the same seed and parameters give identical
        outputs in any process. The economy is set by the ``economy_seed`` parameter.
    steps : int, default=50
        Years to simulate after the burn-in.
    snapshots : collection of str, optional
        Tables to keep: "firms", "links" (final year), "firms_yearly", "links_yearly"
        (every recorded year) (:mod:`clusterlab.model.snapshot`); other names are ignored.
    events : bool, default=True
        Build the event tables; with False, ``events`` is empty (the experiment runner
        skips them when a sweep does not keep them: about 5% of a 1,000-firm run).
    extensions : iterable of Extension or str, optional
        Stages added to the yearly schedule (:mod:`clusterlab.model.extension`,
        docs/extending.md); their parameters are recorded in ``params``.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ParameterError
        If ``steps`` is not a non-negative integer or the parameters are inconsistent.

    Notes
    -----
    Mesa before 3.5 keeps class-level references to every model; they are released before
    returning, so a process can run many simulations without growing.

    The run uses one BLAS thread: the model's matrix products are small (firms x fields
    by fields x fields), where a second BLAS thread costs more than it gives, and on a
    busy machine or with one run per core (the experiment runner) BLAS threads fight for
    the cores and slow a run several-fold. Results do not depend on the thread count.

    Every combination of in-range parameters runs to the end, degenerate ones included:

    - no universities (``max_universities_per_region=0``): no university links,
      candidates, academic spin-offs or university bonus;
    - every firm exits (e.g. ``min_employees`` above every firm's size): the run goes on
      with an empty economy, recorded as zero firms, employment, output, productivity and
      variety; entry scales with the number of firms, so only academic spin-offs can
      repopulate it. Growths in the summary are then NaN (see :func:`summarise`);
    - ``shock_industry`` names an industry the economy built does not have: a
      :class:`~clusterlab.model.errors.ParameterError` when the model is built (how many
      industries there are depends on the economy and ``economy_seed``, not on ``seed``).
    """
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
        raise ParameterError(
            f"The 'steps' argument of simulate must be an integer >= 0. Got {steps!r}."
        )
    args = (params, int(seed), int(steps), tuple(snapshots), events, tuple(extensions))
    if _PROCESS_BLAS_LIMIT:  # one BLAS thread already, for the whole process
        return _run(*args)
    with threadpool_limits(limits=1, user_api="blas"):
        return _run(*args)


_PROCESS_BLAS_LIMIT: list[threadpool_limits] = []
"""The limit :func:`limit_blas_threads` set for the whole process (empty: none)."""


def limit_blas_threads() -> None:
    """Keep BLAS at one thread for the rest of this process (the runner's workers).

    :func:`simulate` then skips its own limit per run (about 3 ms: threadpoolctl looks up
    the loaded libraries every time). A BLAS library loaded later would not be limited;
    numpy's and scipy's are loaded with this module.
    """
    if not _PROCESS_BLAS_LIMIT:
        _PROCESS_BLAS_LIMIT.append(threadpool_limits(limits=1, user_api="blas"))


def compile_kernels() -> None:
    """Compile the model's compiled kernels, or load them from their on-disk cache.

    A kernel (numba) is compiled the first time it runs after the code is installed or
    changed (a few seconds for all of them) and cached on disk; a new process loads it
    (a few tenths of a second for all). The experiment runner calls this in its first
    worker before any run starts, so that an empty cache is filled once rather than by
    every worker at the same time. Runs a small simulation, which reaches every kernel.
    """
    simulate(preset("baseline", n_firms=60, burn_in=1), seed=0, steps=1)


def _run(
    params: ModelParams,
    seed: int,
    steps: int,
    snapshots: tuple[str, ...] = (),
    events: bool = True,
    extensions: tuple[Extension | str, ...] = (),
) -> SimulationResult:
    """Run a validated ``simulate`` call."""
    model = ClusterModel(params=params, rng=seed, extensions=extensions)
    kept = SnapshotCollector(snapshots)
    try:
        kept.year(model.state)
        for _ in range(steps):
            model.step()
            kept.year(model.state)
        ws = model.state
        timeseries = pd.DataFrame(model.recorder.rows)
        return SimulationResult(
            # a region table sets n_regions (and n_firms); extensions add their parameters
            params=model.params.to_flat() | dict(model.extension_params),
            seed=seed,
            steps=steps,
            timeseries=timeseries,
            panel=_panel(model),
            clusters=pd.DataFrame(model.recorder.cluster_rows),
            events=_events(model) if events else {},
            summary=summarise(timeseries, ws.firms.employees[ws.firms.alive]),
            industries=list(ws.industries.names),
            regions=list(ws.geo.region_names),
            fields=list(ws.space.field_names),
            snapshots=kept.tables(ws),
            extensions=[e.name for e in model.extensions],
        )
    finally:
        model.release()
