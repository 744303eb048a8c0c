"""The yearly schedule: every mechanism of a year, in order, as a :class:`Stage`.

:meth:`ClusterModel._advance <clusterlab.model.cluster_model.ClusterModel._advance>` runs
the stages of ``model.schedule`` (:data:`YEARLY_SCHEDULE`, plus any extension's) in order,
once a year, during the burn-in (policy off) as after it:

1. rd_budgets             firm: R&D budget from last year's revenue; the SME flag
2. policy                 policy maker: claims on each region's budget, filed and allocated
3. governance_funding     cluster organization: budget, brokerage, pooled SME R&D
4. market                 firm: demand grows and is shared, employment adjusts, profit
5. learning               firm, university: by doing, along links, spillovers; science
6. incremental_innovation firm: R&D-driven productivity steps
7. radical_innovation     firm: recombination with a partner or the regional pool
8. diversification        firm: young divisions supported, new divisions opened
9. link_renewal           firm: due links renewed or dropped
10. partner_search        firm: new collaboration and university links
11. exits                 firm: sustained losses or too small
12. spinoffs              firm: spin-offs of profitable firms near their parent
13. academic_spinoffs     university: spin-offs in industries its knowledge fits
14. entry                 region: exogenous entrants, local and from outside
15. supply_rewiring       firm: customers find the suppliers they lack
16. cluster_founding      region: a cluster organization where a chain reaches mass
17. partnerships          cluster organization: partners in other regions kept or sought

(``tests/model/test_schedule.py`` checks this list against :data:`YEARLY_SCHEDULE`.)

Protocol
--------
A stage's ``run(ws, params, rng, year) -> None`` reads the world ``ws``
(:class:`~clusterlab.model.state.WorldState`), the parameters, the run's generator and
the :class:`Year` (what earlier stages of this year handed on). It changes the world's
tables in place and hands its results on by setting fields of ``year``; it returns
nothing. Everything a stage may change is named in its ``writes``: ``"firms.cash"`` (a
column, values of existing rows), ``"firms"`` (rows added), ``"spend"`` (a world array),
``"events.birth"`` (an event kind), ``"year.demand"`` (a field of the year).
What a stage changed in a year is returned, stage by stage, by
:meth:`ClusterModel.trace_year <clusterlab.model.cluster_model.ClusterModel.trace_year>`
(:mod:`clusterlab.model.trace`); ``tests/model/test_schedule.py`` traces every stage and
checks that nothing outside its ``writes`` changed. Each mechanism's equations live in the
module named in ``module``; the wrappers below only unpack the year. How to add a stage:
``docs/extending.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from clusterlab.model.demography import academic_spinoffs, entrants, exits, spinoffs
from clusterlab.model.diversification import diversify
from clusterlab.model.emergence import found_clusters
from clusterlab.model.governance import fund_organizations, update_partnerships
from clusterlab.model.innovation import run_incremental, run_radical
from clusterlab.model.knowledge import NodeKnowledge
from clusterlab.model.learning import run_learning
from clusterlab.model.market import run_market, set_rd_budgets
from clusterlab.model.networking import network_nodes, renew_or_expire, search_partners
from clusterlab.model.params import ModelParams
from clusterlab.model.policy import PolicyYear, run_policy
from clusterlab.model.state import WorldState
from clusterlab.model.supply import rewire_supply

__all__ = ["ACTORS", "YEARLY_SCHEDULE", "Stage", "Year", "stages_of"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

ACTORS = ("firm", "university", "cluster organization", "region", "policy maker")
"""Who acts in a stage: an agent type (:mod:`clusterlab.model.agents`) or an institution."""


@dataclass(slots=True, eq=False)
class Year:
    """What the stages of one year hand each other (fields are None until set).

    ``records`` and ``extra_spend`` are where extension stages put their outputs
    (:meth:`record`, :meth:`book`); ``settings`` holds the extensions' parameter values.
    """

    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    sme: BoolArray | None = None  # firm rows below the SME size limit this year
    policy: PolicyYear | None = None  # fees, subsidies, funding, spend of the year
    demand: FloatArray | None = None  # (P,) total demand by industry, M€
    knowledge_moved: dict[str, FloatArray] = field(default_factory=dict)  # by region
    innovations: dict[str, IntArray] = field(default_factory=dict)  # counts by region
    nodes: NodeKnowledge | None = None  # knowledge while links are made
    born: list[IntArray] = field(default_factory=list)  # firm rows added, per stage
    dead: IntArray | None = None  # firm rows that exited
    founded: IntArray | None = None  # organization rows of clusters founded
    records: dict[str, FloatArray] = field(default_factory=dict)  # extension outputs
    extra_spend: dict[str, FloatArray] = field(default_factory=dict)  # extension M€

    def record(self, name: str, by_region: npt.ArrayLike) -> None:
        """Add ``by_region`` (R,) to this year's time-series column ``name``."""
        values = np.asarray(by_region, dtype=np.float64)
        self.records[name] = self.records.get(name, 0.0) + values

    def budget_left(self, budget: float) -> FloatArray:
        """M€ each region may still spend this year: ``budget`` less all booked spend."""
        spent = self.policy.spend.sum(axis=1) if self.policy is not None else 0.0
        for paid in self.extra_spend.values():
            spent = spent + paid
        return np.maximum(budget - np.asarray(spent, dtype=np.float64), 0.0)

    def book(self, instrument: str, by_region: npt.ArrayLike) -> None:
        """Book M€ paid by each region to an extension's instrument (``spend_<name>``)."""
        values = np.asarray(by_region, dtype=np.float64)
        self.extra_spend[instrument] = self.extra_spend.get(instrument, 0.0) + values
        self.record(f"spend_{instrument}", values)


StageFunction = Callable[[WorldState, ModelParams, np.random.Generator, Year], None]


@dataclass(frozen=True, slots=True)
class Stage:
    """One step of the yearly schedule: who acts, what it reads and what it changes.

    Attributes
    ----------
    name : str
        Unique within a schedule; an extension is placed ``after`` a stage by name.
    actors : tuple of str
        Who acts, from :data:`ACTORS`.
    run : callable
        ``run(ws, params, rng, year) -> None`` (module docstring, "Protocol").
    reads, writes : tuple of str
        State it reads and changes (``"firms.cash"``, ``"firms"``, ``"spend"``,
        ``"events.birth"``, ``"year.demand"``); ``writes`` is checked by a test.
    module : str
        Module where the mechanism and its equations live.
    doc : str
        One line: what happens.
    records : tuple of str
        Time-series columns the stage adds with :meth:`Year.record` (extensions).
    """

    name: str
    actors: tuple[str, ...]
    run: StageFunction
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    module: str
    doc: str
    records: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Reject an actor not in :data:`ACTORS`."""
        unknown = [a for a in self.actors if a not in ACTORS]
        if unknown or not self.actors:
            raise ValueError(f"Stage '{self.name}': actors must be among {ACTORS}. Got {unknown}.")


def _rd_budgets(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    year.sme = ws.firms.employees < p.market.sme_employee_limit
    set_rd_budgets(ws.firms, year.sme, p, ws.policy_on)


def _policy(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    year.policy = run_policy(ws, p, year.sme, rng)
    ws.ratio, ws.spend = year.policy.ratio, year.policy.spend


def _funding(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    fund_organizations(ws, year.policy.org_funding, year.sme, p.governance)


def _market(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    year.demand = run_market(ws, p, year.policy, rng)


def _learning(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    year.knowledge_moved = run_learning(ws, p)


def _incremental(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    n = ws.geo.n_regions
    year.innovations["incremental"] = np.bincount(run_incremental(ws, p, rng), minlength=n)


def _radical(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    kinds = ("recombinant", "radical", "radical_new_to_region")
    for kind, regions in zip(kinds, run_radical(ws, p, rng), strict=True):
        year.innovations[kind] = np.bincount(regions, minlength=ws.geo.n_regions)


def _diversify(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    year.born.append(diversify(ws, p, year.demand, rng))


def _renewal(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    year.nodes = network_nodes(ws)  # knowledge does not change while links are made
    renew_or_expire(ws, p, year.nodes)


def _search(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    search_partners(ws, p, rng, year.nodes)


def _exits(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    year.dead = exits(ws, p)


def _spinoffs(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    year.born.append(spinoffs(ws, p, rng, year.demand > 0))


def _academic(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    year.born.append(academic_spinoffs(ws, p, rng))


def _entry(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    year.born.append(entrants(ws, p, year.demand, rng))


def _supply(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    net = p.networking
    supplies = ws.industries.supplies
    step = ws.step
    rewire_supply(
        ws.firms, ws.links, supplies, net.suppliers_per_firm, net.supplier_distance, step, rng
    )


def _founding(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    year.founded = found_clusters(ws, p)


def _partners(ws: WorldState, p: ModelParams, rng: np.random.Generator, year: Year) -> None:
    update_partnerships(ws, p.learning.optimal_cognitive_distance, p.governance)


FIRM = ("firm",)
NEW_FIRMS = ("firms", "events.birth", "firm_ids_issued", "year.born")
"""What a stage that creates firms changes: firm rows added, births, ids."""

YEARLY_SCHEDULE: tuple[Stage, ...] = tuple(Stage(*args) for args in (
    ("rd_budgets", FIRM, _rd_budgets, ("firms.employees", "firms.revenue"),
     ("firms.rd_budget", "year.sme"), "market", "R&D budget from last year's revenue"),
    ("policy", ("policy maker",), _policy,
     ("firms", "links", "orgs", "year.sme", "target_fields"),
     ("ratio", "spend", "firms.rd_budget", "year.policy"), "policy",
     "claims of every instrument on the region's budget, rationed or by a call"),
    ("governance_funding", ("cluster organization",), _funding,
     ("firms", "orgs", "year.policy", "year.sme"),
     ("orgs.budget", "orgs.public_funding", "orgs.brokerage", "firms.rd_support"),
     "governance", "organizations funded; SME members' R&D pooled"),
    ("market", FIRM, _market, ("firms", "links", "final_demand", "year.policy"),
     ("firms.employees", "firms.cash", "firms.revenue", "firms.profit", "firms.loss_streak",
      "final_demand", "year.demand"), "market",
     "demand grows and is shared by competitiveness; employment and profit"),
    ("learning", ("firm", "university"), _learning, ("firms", "links", "unis"),
     ("firms.knowledge", "firms.productivity", "unis.knowledge", "year.knowledge_moved"),
     "learning", "learning by doing, along links, from spillovers; productivity imitated; "
     "universities advance"),
    ("incremental_innovation", FIRM, _incremental, ("firms", "orgs"),
     ("firms.productivity", "events.innovation", "year.innovations"), "innovation",
     "R&D-driven incremental innovation raises productivity"),
    ("radical_innovation", FIRM, _radical, ("firms", "links", "unis", "orgs"),
     ("firms.productivity", "firms.knowledge", "last_combined", "region_last_combined",
      "events.innovation", "year.innovations"), "innovation",
     "recombination of own and partner (or regional) fields; novel pairs are radical"),
    ("diversification", FIRM, _diversify, ("firms", "year.demand"),
     ("firms.cash", "firms.employees", "firms.loss_streak", *NEW_FIRMS), "diversification",
     "young divisions supported by their group; new divisions opened"),
    ("link_renewal", FIRM, _renewal, ("firms", "links", "unis"),
     ("links.active", "links.expires", "links.eligible_share", "year.nodes"), "networking",
     "due links renewed or dropped"),
    ("partner_search", FIRM, _search, ("firms", "links", "unis", "orgs", "year.nodes"),
     ("links", "orgs.brokerage", "events.link"), "networking",
     "firms with spare capacity search partners; subsidies lower the fee"),
    ("exits", FIRM, _exits, ("firms",),
     ("firms.alive", "firms.died", "links.active", "events.death", "year.dead"),
     "demography", "exit after sustained losses or below the minimum size"),
    ("spinoffs", FIRM, _spinoffs, ("firms", "year.demand"), NEW_FIRMS,
     "demography", "profitable firms spawn firms near themselves"),
    ("academic_spinoffs", ("university",), _academic, ("firms", "unis"), NEW_FIRMS,
     "demography", "universities create firms in industries their knowledge fits"),
    ("entry", ("region",), _entry, ("firms", "year.demand"), NEW_FIRMS, "demography",
     "exogenous entrants near related employment, some from outside"),
    ("supply_rewiring", FIRM, _supply, ("firms", "links"), ("links",),
     "supply", "customers find the suppliers they lack"),
    ("cluster_founding", ("region",), _founding, ("firms", "orgs"),
     ("orgs", "firms.cluster", "links.cross_cluster", "links.instrument", "year.founded"),
     "emergence",
     "a cluster organization where a chain's unclustered firms reach critical mass"),
    ("partnerships", ("cluster organization",), _partners, ("orgs",), ("orgs.partner",),
     "governance", "partners in other regions dropped when unaffordable, sought"),
))  # fmt: skip
"""The default yearly schedule, in order (module docstring)."""


def stages_of(actor: str, schedule: tuple[Stage, ...] = YEARLY_SCHEDULE) -> tuple[Stage, ...]:
    """Stages of ``schedule`` in which ``actor`` acts, in order."""
    return tuple(s for s in schedule if actor in s.actors)
