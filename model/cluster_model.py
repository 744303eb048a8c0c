"""ClusterModel: builds the world and runs the yearly schedule.

Each mechanism lives in its own module as functions of the state arrays; the order of a
year is the tuple of stages ``self.schedule`` (:data:`~clusterlab.model.schedule.YEARLY_SCHEDULE`,
listed and numbered in :mod:`clusterlab.model.schedule`, plus the stages of any
:class:`~clusterlab.model.extension.Extension` given). ``step`` runs it once and records
the year (aggregates, panel, cluster table; the targeting of the next year). docs/ODD.md,
"Process overview and scheduling"; docs/extending.md.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
from mesa.discrete_space import OrthogonalMooreGrid

from clusterlab.model.agents import ClusterOrganization, Firm, University
from clusterlab.model.errors import ParameterError
from clusterlab.model.extension import (
    Extension,
    configured,
    extension_params,
    resolve_extensions,
    schedule_with,
)
from clusterlab.model.industries import build_economy
from clusterlab.model.market import input_coefficients, total_demand
from clusterlab.model.mesa_compat import forget_agent_ids
from clusterlab.model.metrics.novelty import last_combined_from
from clusterlab.model.params import ModelParams
from clusterlab.model.policy import missing_link_fields
from clusterlab.model.presets import preset
from clusterlab.model.record import Recorder
from clusterlab.model.regions import is_table_economy
from clusterlab.model.schedule import YEARLY_SCHEDULE, Stage, Year
from clusterlab.model.state import (
    SPENDING_INSTRUMENTS,
    EventLog,
    LinkTable,
    WorldState,
)
from clusterlab.model.supply import rewire_supply
from clusterlab.model.table_economy import table_sizes
from clusterlab.model.world import (
    build_firms,
    build_geography,
    build_orgs,
    build_universities,
    economy_streams,
)

if TYPE_CHECKING:
    from clusterlab.model.trace import StageChange

__all__ = ["ClusterModel"]

Around = Callable[[Stage, Year, Callable[[], None]], None]
"""A wrapper run around each stage: ``around(stage, year, run)`` calls ``run()`` once."""


class ClusterModel(mesa.Model):
    """Agent-based model of industrial clusters under RIS3 cluster policy.

    Parameters
    ----------
    params : ModelParams, optional
        All parameters; default: the ``preset`` with ``overrides`` applied.
    preset_name : str, default="baseline"
        Named preset used when ``params`` is not given.
    rng : int, optional
        Seed of the run's generator ``self.rng``: firms' sizes, productivity and
        knowledge, and every draw from the burn-in on. The economy (industries, clusters,
        firm placement, universities) comes from the ``economy_seed`` parameter instead.
    extensions : iterable of Extension or str, optional
        Stages added to the yearly schedule (:mod:`clusterlab.model.extension`), as objects
        or ``"package.module:object"`` references; they change this model only.
    **overrides
        Parameters changed by name, e.g. ``cross_cluster_subsidy=0.5``.

    Attributes
    ----------
    schedule : tuple of Stage
        The yearly schedule this model runs (:mod:`clusterlab.model.schedule`).
    extensions : tuple of Extension
    extension_params : mapping
        Every extension parameter's value by name.

    Raises
    ------
    ParameterError
        If a parameter name is unknown, a value out of range, ``shock_industry`` not
        below the number of industries of the economy built, or an extension misplaced.
    """

    def __init__(
        self,
        *,
        params: ModelParams | None = None,
        preset_name: str = "baseline",
        rng: int | None = None,
        extensions: Iterable[Extension | str] = (),
        **overrides: Any,
    ) -> None:
        if rng is not None and not isinstance(rng, int | np.integer):
            raise ParameterError(
                f"The 'rng' argument of ClusterModel must be an integer seed. Got {rng!r}."
            )
        self.extensions = resolve_extensions(extensions)
        self._around: Around | None = None  # set while trace_year runs
        super().__init__(rng=rng)
        try:
            self._build(params, preset_name, overrides)
        except BaseException:
            self.release()  # a model that failed half-built leaves nothing in Mesa's registries
            raise

    def _build(
        self, params: ModelParams | None, preset_name: str, overrides: dict[str, Any]
    ) -> None:
        """Set up the world, the Mesa grid and agents, run the burn-in, record step 0."""
        base = params if params is not None else preset(preset_name)
        with extension_params(self.extensions):  # an extension's parameters by name too
            self.params = base.replace(**overrides) if overrides else base
        self.extensions = configured(self.extensions, self.params.extension)
        self.schedule, settings = schedule_with(YEARLY_SCHEDULE, self.extensions)
        self.extension_params = MappingProxyType(settings)
        if is_table_economy(self.params.world.economy):  # the table sets regions (and firms)
            self.params = table_sizes(self.params)
        self.state = self._build_world()
        self.recorder = Recorder(self.state, self.params.diversification.fit_threshold)
        self.grid = OrthogonalMooreGrid(
            (self.state.geo.side, self.state.geo.side), torus=False, random=self.random
        )
        self._place_agents()
        for year in range(-self.params.world.burn_in, 0):
            self.state.step = year
            self._advance()
        self.state.step = 0
        self.state.policy_on = True
        self.record(
            self._zero_counts(),
            np.zeros((self.state.geo.n_regions, len(SPENDING_INSTRUMENTS))),
        )

    def _build_world(self) -> WorldState:
        p, rng = self.params, self.rng
        economy = economy_streams(p.world.economy_seed)  # the economy; rng: this run
        space, industries = build_economy(p.world, economy.industries)
        if p.market.shock_industry >= industries.n:
            raise ParameterError(
                f"The 'shock_industry' parameter of MarketParams must be -1 or an industry index "
                f"below {industries.n}. Got {p.market.shock_industry}."
            )
        geo = build_geography(p)
        firms, orgs = build_firms(p, geo, industries, economy, rng)
        build_orgs(orgs, space, industries, p.governance.roadmap_size)
        unis = build_universities(p, geo, space, industries, orgs, economy.universities)
        coefficients = input_coefficients(industries.supplies, p.market.input_share)
        supply = np.bincount(firms.industry, weights=firms.revenue, minlength=industries.n)
        # Start in balance: final demand that makes total demand equal initial output.
        final = np.maximum((np.eye(industries.n) - coefficients) @ supply, 0.2 * supply)
        combined = np.zeros((space.n_fields, space.n_fields), bool)
        for r in industries.recipes:
            used = np.flatnonzero(r > 0)
            combined[np.ix_(used, used)] = True  # pairs inside one recipe are known
        np.fill_diagonal(combined, False)
        last_combined = last_combined_from(combined)  # recipe pairs: always familiar
        ws = WorldState(
            space=space,
            industries=industries,
            geo=geo,
            firms=firms,
            links=LinkTable.empty(0),
            unis=unis,
            orgs=orgs,
            final_demand=final,
            coefficients=coefficients,
            last_combined=last_combined,
            region_last_combined=np.repeat(last_combined[None], geo.n_regions, axis=0),
            ratio=np.ones(geo.n_regions),
            spend=np.zeros((geo.n_regions, len(SPENDING_INSTRUMENTS))),
            target_fields=np.zeros((geo.n_regions, space.n_fields), bool),
            step=-p.world.burn_in,
            policy_on=False,
            events=EventLog(),
            firm_ids_issued=len(firms),
        )
        rewire_supply(
            ws.firms,
            ws.links,
            industries.supplies,
            p.networking.suppliers_per_firm,
            p.networking.supplier_distance,
            ws.step,
            rng,
        )
        self.demand = total_demand(final, coefficients)
        return ws

    def _place_agents(self) -> None:
        ws = self.state
        self.firm_agents: dict[int, Firm] = {}  # by firm id
        self._add_firm_agents(np.arange(len(ws.firms)))
        for u in range(len(ws.unis)):
            University(self, u, self.grid[(int(ws.unis.x[u]), int(ws.unis.y[u]))])
        self._add_org_agents(np.arange(len(ws.orgs)))

    def _add_org_agents(self, rows: np.ndarray) -> None:
        orgs = self.state.orgs
        for c in rows.tolist():
            ClusterOrganization(self, c, self.grid[(int(orgs.x[c]), int(orgs.y[c]))])

    def _add_firm_agents(self, rows: np.ndarray) -> None:
        f, agents, grid = self.state.firms, self.firm_agents, self.grid
        for firm_id, x, y in zip(
            f.id[rows].tolist(), f.x[rows].tolist(), f.y[rows].tolist(), strict=True
        ):
            agents[firm_id] = Firm(self, firm_id, grid[(x, y)])

    def _remove_firm_agents(self, rows: np.ndarray) -> None:
        agents = self.firm_agents
        for firm_id in self.state.firms.id[rows].tolist():
            agents.pop(firm_id).remove()

    def _zero_counts(self) -> dict[str, np.ndarray]:
        n = self.state.geo.n_regions
        kinds = ("incremental", "recombinant", "radical", "radical_new_to_region")
        moved = ("knowledge_moved", "knowledge_moved_outside")
        added = {k: np.zeros(n) for stage in self.schedule for k in stage.records}
        return {k: np.zeros(n, np.int64) for k in kinds} | {k: np.zeros(n) for k in moved} | added

    def _extension_records(self, year: Year) -> dict[str, np.ndarray]:
        """Return the columns the extensions' stages declare (0 where not recorded this year)."""
        declared = {k: np.zeros(self.state.geo.n_regions) for s in self.schedule for k in s.records}
        undeclared = sorted(set(year.records) - set(declared))
        if undeclared:
            raise RuntimeError(f"Stages recorded {undeclared}, declared in no Stage.records.")
        return declared | year.records

    def step(self) -> None:
        """Advance one year and record it."""
        self.state.step += 1
        counts, spend = self._advance()
        self.record(counts, spend)

    def trace_year(self) -> list[StageChange]:
        """Advance one year as :meth:`step` does; return what each stage changed.

        The year is the one ``step`` would have run (same draws and outputs), slower: the
        world is copied around every stage (:mod:`clusterlab.model.trace`).
        """
        from clusterlab.model.trace import Tracer  # noqa: PLC0415 - a debugging tool

        self._around = tracer = Tracer(self.state)
        try:
            self.step()
        finally:
            self._around = None
        return tracer.changes

    def _advance(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Run the yearly schedule once (also used, with policy off, for the burn-in).

        Returns the year's counts by region (time-series columns) and its spend matrix
        (regions x instruments; extension instruments in extra columns). While
        :meth:`trace_year` runs, each stage runs inside its tracer.
        """
        ws, p, rng = self.state, self.params, self.rng
        ws.compact()  # drop last year's exited firms and ended links
        year = Year(settings=self.extension_params)
        around = self._around
        for stage in self.schedule:
            if around is None:
                stage.run(ws, p, rng, year)
            else:
                around(stage, year, functools.partial(stage.run, ws, p, rng, year))
        self.demand = year.demand
        self._add_org_agents(year.founded)
        self._sync_firm_agents(year.dead, np.concatenate(year.born))
        counts = year.innovations | year.knowledge_moved
        if self.extensions:
            counts |= self._extension_records(year)
        spend = year.policy.spend
        if year.extra_spend:
            spend = np.column_stack([spend, *year.extra_spend.values()])
        return counts, spend

    def _sync_firm_agents(self, dead: np.ndarray, born: np.ndarray) -> None:
        """Remove the agents of this year's exits and add those of this year's survivors.

        A division opens before the exits are decided, so it can exit in its birth year
        (it starts with ``division_employees`` below ``min_employees``). Such a firm has
        lived within one year only: it never gets an agent, and there is none to remove
        (removing it was a KeyError). Every other firm is unaffected.
        """
        same_year = np.isin(dead, born)
        self._remove_firm_agents(dead[~same_year])
        self._add_firm_agents(born[self.state.firms.alive[born]])

    def record(self, counts: dict[str, np.ndarray], spend: np.ndarray) -> None:
        """Record this year's aggregates and update the missing-link targets."""
        ws = self.state
        self.recorder.record(ws, counts, spend)
        ws.target_fields = missing_link_fields(
            self.recorder.previous_m,
            self.recorder.previous_density,
            ws.industries.recipes,
        )

    def release(self) -> None:
        """Remove the model's agents and free what Mesa keeps about it outside the model.

        Mesa before 3.5 holds a per-model agent-id counter at class level, which would keep
        every model built in a process alive
        (:func:`~clusterlab.model.mesa_compat.forget_agent_ids`). Call when done with the model
        (``simulate`` does).
        """
        forget_agent_ids(self)
        self.remove_all_agents()
