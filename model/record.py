"""Record: the yearly outputs of a run (time series, panel, cluster table, events).

Aggregates are collected every step from the numeric state with the functions of
:mod:`clusterlab.model.metrics` (no second implementation of any metric here); nothing is collected
per agent.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from clusterlab.model.change import PERSISTENT_ENTRY_COLUMNS, ChangeTracker
from clusterlab.model.diversification import present_industries
from clusterlab.model.knowledge import recipe_fit
from clusterlab.model.metrics import (
    classify_entries,
    complexity,
    entry_exit,
    group_heterogeneity,
    relatedness_density,
    specialisation_matrix,
    variety_decomposition,
)
from clusterlab.model.ordering import stable_order
from clusterlab.model.params import DiversificationParams
from clusterlab.model.state import (
    FOUNDED_UNKNOWN,
    SPENDING_INSTRUMENTS,
    Instrument,
    LinkKind,
    Origin,
    WorldState,
)

__all__ = [
    "ECONOMY",
    "FUNNEL_COLUMNS",
    "LINK_INSTRUMENT_NAMES",
    "NEW_LINK_KINDS",
    "Recorder",
    "add_new_link_counts",
    "funnel_summary",
    "region_industry_employment",
]

ECONOMY = "economy"
"""Scope label of economy-wide rows of the time series."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SPEND_COLUMNS = tuple(f"spend_{i.name.lower()}" for i in SPENDING_INSTRUMENTS)

FUNNEL_COLUMNS = (
    "knowledge_moved",
    "knowledge_moved_outside",
    "fit_crossings",
    "divisions_opened",
    "divisions_new_to_region",
    "divisions_surviving_5y",
)
"""Stages of the channel from links to specialisation, recorded each year (ODD §9.1)."""

SURVIVAL_AGE = 5
"""Age (years) at which ``divisions_surviving_5y`` counts a division still alive."""


def region_industry_employment(ws: WorldState) -> FloatArray:
    """Employment of alive firms by region and industry, shape (R, P)."""
    f = ws.firms
    n_industries = ws.industries.n
    live = f.alive
    cell = f.region[live] * n_industries + f.industry[live]
    out = np.bincount(cell, weights=f.employees[live], minlength=ws.geo.n_regions * n_industries)
    return out.astype(np.float64, copy=False).reshape(ws.geo.n_regions, n_industries)


def _link_stats(ws: WorldState) -> tuple[list[dict[str, float]], dict[str, float]]:
    """Link counts and shares by the region of each link's firm end ``a``, and overall.

    Returns one dict per region and one for the whole economy.
    """
    links, f = ws.links, ws.firms
    live = np.flatnonzero(links.active)
    kind = links.kind[live]
    collab = kind == LinkKind.COLLABORATION
    knowledge_links = kind != LinkKind.SUPPLY
    columns = {  # counts by region, one per column
        "supply": kind == LinkKind.SUPPLY,
        "collaboration": collab,
        "university": kind == LinkKind.UNIVERSITY,
        "knowledge": knowledge_links,
        "cross": links.cross_cluster[live] & collab,
        "interregional": links.interregional[live] & knowledge_links,
    }
    region = f.region[links.a[live]]
    n = ws.geo.n_regions
    counts = {k: np.bincount(region[v], minlength=n) for k, v in columns.items()}
    total = {k: int(v.sum()) for k, v in counts.items()}

    def stats(c: dict[str, int]) -> dict[str, float]:
        return {
            "links_supply": float(c["supply"]),
            "links_collaboration": float(c["collaboration"]),
            "links_university": float(c["university"]),
            "cross_cluster_share": c["cross"] / c["collaboration"] if c["collaboration"] else 0.0,
            "interregional_share": c["interregional"] / c["knowledge"] if c["knowledge"] else 0.0,
            "university_share": c["university"] / c["knowledge"] if c["knowledge"] else 0.0,
        }

    per_region = [stats({k: int(v[r]) for k, v in counts.items()}) for r in range(n)]
    return per_region, stats(total)


LINK_INSTRUMENT_NAMES = tuple(
    i.name.lower()
    for i in (
        Instrument.INTRA_CLUSTER,
        Instrument.CROSS_CLUSTER,
        Instrument.INTERREGIONAL,
        Instrument.UNIVERSITY_LINK,
    )
)
"""Link instruments, in ``Instrument`` order, as named in the new-link columns."""

NEW_LINK_KINDS = ("formed", "subsidised", "deadweight")
"""Counts of new links per link instrument: ``links_<kind>_<instrument>`` columns."""


def add_new_link_counts(
    ws: WorldState, per_region: list[dict[str, float]], total: dict[str, float]
) -> None:
    """Add counts of this year's new knowledge links by instrument to the link stats.

    Per link instrument: ``links_formed_*`` (new links of that type),
    ``links_subsidised_*`` (of which with a subsidy share > 0) and ``links_deadweight_*``
    (of which both ends valued above the full fee: they would have formed without the
    subsidy, :func:`clusterlab.model.calls.viable_unsubsidised`). By the region of the firm end
    ``a``.
    """
    links, n = ws.links, ws.geo.n_regions
    new = np.flatnonzero((links.formed == ws.step) & (links.kind != LinkKind.SUPPLY))
    region = ws.firms.region[links.a[new]]
    subsidised = links.eligible_share[new] > 0
    masks = (np.ones(new.size, bool), subsidised, subsidised & links.viable_unsubsidised[new])
    kinds = dict(zip(NEW_LINK_KINDS, masks, strict=True))
    for instrument, name in enumerate(LINK_INSTRUMENT_NAMES, start=Instrument.INTRA_CLUSTER):
        mine = links.instrument[new] == instrument
        for kind, mask in kinds.items():
            counts = np.bincount(region[mine & mask], minlength=n)
            for r in range(n):
                per_region[r][f"links_{kind}_{name}"] = float(counts[r])
            total[f"links_{kind}_{name}"] = float(counts.sum())


def funnel_summary(run: Any) -> dict[str, float]:
    """Run sums of the funnel stages (``run``: the economy rows of years 1..T).

    ``links_formed``: new collaboration and university links of the four link types;
    then the sum of each of :data:`FUNNEL_COLUMNS`.
    """
    formed = sum(float(run[f"links_formed_{n}"].sum()) for n in LINK_INSTRUMENT_NAMES)
    return {"links_formed": formed} | {c: float(run[c].sum()) for c in FUNNEL_COLUMNS}


class Recorder:
    """Collects one row per scope per step, the panel and the cluster table."""

    def __init__(self, ws: WorldState, fit_threshold: float | None = None) -> None:
        if fit_threshold is None:
            fit_threshold = DiversificationParams().fit_threshold
        self.fit_threshold = fit_threshold
        self.previous_above: tuple[IntArray, npt.NDArray[np.bool_]] | None = None
        self.rows: list[dict[str, Any]] = []
        self.panel: list[FloatArray] = []
        self.cluster_rows: list[dict[str, Any]] = []
        self.previous_m: npt.NDArray[np.bool_] | None = None
        self.previous_density: FloatArray | None = None
        self.groups = ws.industries.family
        self.change = ChangeTracker(ws.geo.n_regions, ws.industries.n)

    def record(self, ws: WorldState, counts: dict[str, IntArray], spend: FloatArray) -> None:
        """Record the state at the end of step ``ws.step``."""
        emp = region_industry_employment(ws)
        m = specialisation_matrix(emp).astype(bool)
        density = relatedness_density(m, ws.industries.relatedness)
        entries = self._entries(ws, m)
        persistent, correlation = self.change.update(ws, emp, m)
        entries = {**entries, **persistent}  # raw crossings and persistent changes
        entries |= self._fit_crossings(ws) | self._divisions(ws, m)
        self.previous_m, self.previous_density = m, density
        kci, _ = complexity(m)
        total, related, unrelated = variety_decomposition(emp, self.groups)
        outside = ~m
        regional = {
            "diversity": m.sum(axis=1).astype(float),
            "entropy": total,
            "related_variety": related,
            "unrelated_variety": unrelated,
            # mean relatedness density of the industries a region is not specialised in
            "mean_density": np.divide(
                (density * outside).sum(axis=1),
                outside.sum(axis=1),
                out=np.zeros(m.shape[0]),
                where=outside.any(axis=1),
            ),
            "kci": kci,
        }
        self.panel.append(emp)
        link_rows, link_total = _link_stats(ws)
        add_new_link_counts(ws, link_rows, link_total)
        per_region = [
            self._row(ws, counts, spend, r, regional, entries, link_rows[r])
            for r in range(ws.geo.n_regions)
        ]
        economy = self._economy_row(ws, counts, spend, emp, per_region, link_total)
        economy["revealed_tech_correlation"] = correlation
        for row in per_region:
            row["revealed_tech_correlation"] = float("nan")  # economy-wide only
        self.rows.append(economy)
        self.rows.extend(per_region)
        self._clusters(ws)

    def _entries(self, ws: WorldState, m: npt.NDArray[np.bool_]) -> dict[str, IntArray]:
        n = ws.geo.n_regions
        if self.previous_m is None:
            z = np.zeros(n, np.int64)
            return {
                "entries": z,
                "entries_related": z,
                "entries_unrelated": z,
                "exits": z,
            }
        enter, leave = entry_exit(self.previous_m, m)
        related, unrelated = classify_entries(self.previous_m, m, self.previous_density)
        r, p = np.nonzero(enter | leave)
        ws.events.add(
            "specialisation",
            step=np.full(r.size, ws.step),
            region=r,
            industry=p,
            change=np.where(enter[r, p], "entry", "exit"),
            related=related[r, p],
            density_before=self.previous_density[r, p],
        )
        return {
            "entries": enter.sum(axis=1),
            "entries_related": related.sum(axis=1),
            "entries_unrelated": unrelated.sum(axis=1),
            "exits": leave.sum(axis=1),
        }

    def _fit_crossings(self, ws: WorldState) -> dict[str, IntArray]:
        """(firm, industry) pairs whose fit crossed the division threshold this year.

        Pairs of firms alive at both record dates, in industries their group is not in
        (:func:`clusterlab.model.diversification.present_industries`): fit >= ``fit_threshold`` now
        and not at the previous record (below it or the group was in the industry).
        """
        f, n = ws.firms, ws.geo.n_regions
        live = np.flatnonzero(f.alive)
        fit = recipe_fit(f.knowledge[live], ws.industries.recipes)
        above = (fit >= self.fit_threshold) & ~present_industries(ws)[live]
        ids = f.id[live]
        crossed = np.zeros(n, np.int64)
        if self.previous_above is not None and self.previous_above[0].size:
            old_ids, old_above = self.previous_above
            rows = np.minimum(np.searchsorted(old_ids, ids), old_ids.size - 1)
            found = np.flatnonzero(old_ids[rows] == ids)
            new = (above[found] & ~old_above[rows[found]]).sum(axis=1)
            crossed = np.bincount(f.region[live[found]], weights=new, minlength=n)
        self.previous_above = (ids, above)
        return {"fit_crossings": crossed.astype(np.int64)}

    def _divisions(self, ws: WorldState, m: npt.NDArray[np.bool_]) -> dict[str, IntArray]:
        """Divisions opened this year and those alive at age :data:`SURVIVAL_AGE`.

        ``divisions_new_to_region``: of the opened, those in an industry where the region
        had RCA < 1 at the previous record. All by region.
        """
        f, n = ws.firms, ws.geo.n_regions
        division = f.origin == Origin.DIVISION
        opened = np.flatnonzero(division & (f.born == ws.step))
        before = m if self.previous_m is None else self.previous_m
        lacks = opened[~before[f.region[opened], f.industry[opened]]]
        old = division & f.alive & (ws.step - f.born == SURVIVAL_AGE)
        return {
            "divisions_opened": np.bincount(f.region[opened], minlength=n),
            "divisions_new_to_region": np.bincount(f.region[lacks], minlength=n),
            "divisions_surviving_5y": np.bincount(f.region[old], minlength=n),
        }

    def _firm_stats(self, ws: WorldState, mask: npt.NDArray[np.bool_]) -> dict[str, float]:
        f = ws.firms
        emp = f.employees[mask]
        total = float(emp.sum())
        return {
            "firms": float(mask.sum()),
            "employment": total,
            "output": float(f.revenue[mask].sum()),
            "productivity": float((f.productivity[mask] * emp).sum() / total) if total > 0 else 0.0,
            "births": float((f.born[mask] == ws.step).sum()),
        }

    def _row(
        self,
        ws: WorldState,
        counts: dict[str, IntArray],
        spend: FloatArray,
        r: int,
        regional: dict[str, FloatArray],
        entries: dict[str, IntArray],
        link_stats: dict[str, float],
    ) -> dict[str, Any]:
        f = ws.firms
        row: dict[str, Any] = {"step": ws.step, "scope": ws.geo.region_names[r]}
        row |= self._firm_stats(ws, f.alive & (f.region == r))
        row["deaths"] = float(((f.died == ws.step) & (f.region == r)).sum())
        row |= {kind: float(n[r]) for kind, n in counts.items()}
        row |= link_stats
        row |= {c: float(spend[r, i]) for i, c in enumerate(SPEND_COLUMNS)}
        row["spend_total"] = float(spend[r].sum())
        row |= {k: float(v[r]) for k, v in regional.items()}
        row |= {k: float(v[r]) for k, v in entries.items()}
        return row

    def _economy_row(
        self,
        ws: WorldState,
        counts: dict[str, IntArray],
        spend: FloatArray,
        emp: FloatArray,
        per_region: list[dict[str, Any]],
        link_total: dict[str, float],
    ) -> dict[str, Any]:
        row: dict[str, Any] = {"step": ws.step, "scope": ECONOMY}
        row |= self._firm_stats(ws, ws.firms.alive)
        summed = (
            "deaths",
            *counts,
            "entries",
            "entries_related",
            "entries_unrelated",
            "exits",
            "persistent_entries",
            "persistent_exits",
            *PERSISTENT_ENTRY_COLUMNS,
            *(c for c in FUNNEL_COLUMNS if c not in counts),
        )
        row |= {k: float(sum(r[k] for r in per_region)) for k in summed}
        row |= link_total
        row |= {c: float(spend[:, i].sum()) for i, c in enumerate(SPEND_COLUMNS)}
        row["spend_total"] = float(spend.sum())
        total, related, unrelated = variety_decomposition(
            emp.sum(axis=0, keepdims=True), self.groups
        )
        row |= {
            "entropy": float(total[0]),
            "related_variety": float(related[0]),
            "unrelated_variety": float(unrelated[0]),
        }
        for k in ("diversity", "mean_density", "persistent_diversity", "absolute_diversity"):
            row[k] = float(np.mean([r[k] for r in per_region]))
        row["kci"] = float("nan")  # z-scored over regions: not defined for the whole economy
        return row

    def _clusters(self, ws: WorldState) -> None:
        f, links = ws.firms, ws.links
        # active collaboration and university links, in table order
        live = np.flatnonzero(links.active & (links.kind != LinkKind.SUPPLY))
        a, b = links.a[live], links.b[live]
        is_uni = links.kind[live] == LinkKind.UNIVERSITY
        external_link = links.cross_cluster[live] | is_uni
        # cluster of each link end that is an alive firm (-1 otherwise)
        a_cluster = np.where(f.alive[a], f.cluster[a], -1)
        b_firm = np.where(is_uni, 0, b)
        b_cluster = np.where(~is_uni & f.alive[b_firm], f.cluster[b_firm], -1)
        alive = np.flatnonzero(f.alive)
        alive = alive[stable_order(f.cluster[alive])]  # rows ascending per cluster
        first = np.searchsorted(f.cluster[alive], np.arange(len(ws.orgs) + 1))
        clustered = alive[first[0] :]  # members of a cluster (cluster -1 sorts first)
        heterogeneity = group_heterogeneity(
            f.knowledge[clustered],
            ws.space.proximity,
            f.cluster[clustered],
            len(ws.orgs),
            check_input=False,
        )
        # founding year (NaN: a cluster the run started with, founded at an unknown date)
        founded = np.where(ws.orgs.founded == FOUNDED_UNKNOWN, np.nan, ws.orgs.founded)
        n_links, n_external = _links_per_cluster(a_cluster, b_cluster, external_link, len(ws.orgs))
        for c in range(len(ws.orgs)):
            members = alive[first[c] : first[c + 1]]
            self.cluster_rows.append(
                {
                    "step": ws.step,
                    "cluster": c,
                    "region": ws.geo.region_names[ws.orgs.region[c]],
                    "chain": int(ws.orgs.chain[c]),
                    "members": int(members.size),
                    "employment": float(f.employees[members].sum()),
                    "heterogeneity": float(heterogeneity[c]),
                    "external_link_share": (
                        float(n_external[c] / n_links[c]) if n_links[c] else 0.0
                    ),
                    "org_budget": float(ws.orgs.budget[c]),
                    "partner": int(ws.orgs.partner[c]),
                    "founded": float(founded[c]),
                    "age": float(ws.step - founded[c]),
                }
            )


def _links_per_cluster(
    a_cluster: IntArray, b_cluster: IntArray, external: npt.NDArray[np.bool_], n: int
) -> tuple[IntArray, IntArray]:
    """Links with an end in each cluster 0 .. n - 1, and how many of them are external.

    A link counts once for each distinct cluster of its two ends (-1: no cluster), as the
    mask ``(a_cluster == c) | (b_cluster == c)`` selects it for cluster ``c``; the share
    ``external / links`` is the mean of that mask's ``external`` values to the bit.
    """
    b_own = (b_cluster >= 0) & (b_cluster != a_cluster)
    a_own = a_cluster >= 0
    ends = np.concatenate([a_cluster[a_own], b_cluster[b_own]])
    ext = np.concatenate([external[a_own], external[b_own]])
    return np.bincount(ends, minlength=n), np.bincount(ends[ext], minlength=n)
