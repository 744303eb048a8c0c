"""Model parameters: typed, documented, validated in one place.

Parameters are grouped by mechanism in frozen, keyword-only dataclasses. Each field
declares its allowed range, unit and meaning in ``field(metadata=...)``; one validator
(:func:`validate_group`) reads that metadata and raises :class:`ParameterError` with a
one-line message. Defaults live only here: the CLI, the app sliders and the parameter
table of ``docs/ODD.md`` are generated from these declarations.

Money is in millions of euro (M€), time in years (one step = one year), distances on
the grid in cells.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import numpy as np

from clusterlab.model.errors import ParameterError
from clusterlab.model.regions import CSV_PREFIX

__all__ = [
    "Allocation",
    "DemographyParams",
    "DiversificationParams",
    "Economy",
    "GovernanceParams",
    "InnovationParams",
    "LearningParams",
    "MarketParams",
    "ModelParams",
    "NetworkingParams",
    "ParamSpec",
    "PolicyParams",
    "SubsidyTargeting",
    "WorldParams",
    "param_specs",
    "with_specs",
]


class SubsidyTargeting(StrEnum):
    """Which links a linkage subsidy pays for."""

    BLANKET = "blanket"
    MISSING_LINK = "missing_link"


class Allocation(StrEnum):
    """How a region's budget is shared among the claims on it (``model/policy.py``)."""

    PRO_RATA = "pro_rata"
    CALL = "call"


class Economy(StrEnum):
    """Which industry structure the world is built from."""

    GENERIC = "generic"
    MARCHE = "marche"


def _p(default: Any, low: float | None, high: float | None, unit: str, doc: str) -> Any:
    """Declare a parameter field with its range, unit and meaning."""
    return field(default=default, metadata={"range": (low, high), "unit": unit, "doc": doc})


def _choice(default: StrEnum, doc: str) -> Any:
    """Declare a parameter field whose value is one member of a StrEnum."""
    return field(
        default=default,
        metadata={"choices": type(default), "unit": "choice", "doc": doc},
    )


class _ParamGroup:
    """Base of the parameter groups: every group validates itself on construction."""

    __slots__ = ()

    def __post_init__(self) -> None:
        """Check every field against its declared range or choices."""
        validate_group(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorldParams(_ParamGroup):
    """Structure of the simulated economy: knowledge space, industries, regions, firms."""

    economy: Economy = _choice(  # noqa: RUF009 - a field() declaration, like _p
        Economy.GENERIC,
        "Industry structure: 'generic' value chains, the stylised 'marche' teaching set, or "
        "'csv:<path>', a region x industry employment table (docs/regions.md).",
    )
    n_regions: int = _p(4, 1, 16, "regions", "Number of regions tiling the grid.")
    n_firms: int = _p(1000, 20, 200_000, "firms", "Number of firms at the start.")
    n_families: int = _p(6, 2, 12, "families", "Knowledge families (groups of related fields).")
    fields_per_family: int = _p(4, 2, 8, "fields", "Knowledge fields in each family.")
    n_chains: int = _p(
        5, 2, 12, "chains", "Value chains (related industries) in a generic economy."
    )
    n_challenge_industries: int = _p(
        2, 0, 6, "industries", "Challenge (green/digital) industries spanning families."
    )
    min_clusters_per_region: int = _p(2, 1, 6, "clusters", "Fewest initial clusters in a region.")
    max_clusters_per_region: int = _p(3, 1, 6, "clusters", "Most initial clusters in a region.")
    max_universities_per_region: int = _p(
        2,
        0,
        4,
        "universities",
        "Each region draws 1..this many universities (0: none).",
    )
    clustered_share: float = _p(
        0.7,
        0.0,
        1.0,
        "share of firms",
        "Share of initial firms that belong to a cluster.",
    )
    cells_per_firm: float = _p(
        4.0, 1.0, 50.0, "cells", "Grid cells per initial firm (sets grid size)."
    )
    cluster_spread: float = _p(
        2.5,
        0.5,
        20.0,
        "cells",
        "Standard deviation of firm positions around a cluster centre.",
    )
    field_proximity_scale: float = _p(
        0.5,
        0.05,
        5.0,
        "latent distance",
        "Length scale of proximity exp(-d/scale) between fields.",
    )
    burn_in: int = _p(
        5, 0, 100, "years", "Years simulated without policy before step 0 is recorded."
    )
    economy_seed: int = _p(
        0,
        0,
        2**31 - 1,
        "seed",
        "Seed of the economy: knowledge space, industries and recipes, value chains, which "
        "chains each region's clusters hold, cluster centres, initial firm placement and "
        "universities. Held fixed across the runs of an experiment; vary it explicitly to "
        "vary the economy.",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketParams(_ParamGroup):
    """Demand, competition, production and accounting."""

    demand_growth: float = _p(0.02, -0.2, 0.5, "1/year", "Yearly growth of final demand.")
    challenge_demand_growth: float = _p(
        0.08,
        -0.2,
        1.0,
        "1/year",
        "Yearly growth of final demand of challenge industries.",
    )
    input_share: float = _p(
        0.4,
        0.0,
        0.9,
        "share of output",
        "Intermediate inputs bought from upstream industries.",
    )
    competitiveness_elasticity: float = _p(
        0.2,
        0.0,
        10.0,
        "elasticity",
        "Yearly growth of market share per log point of competitiveness above the mean.",
    )
    size_elasticity: float = _p(
        1.0,
        0.0,
        1.0,
        "elasticity",
        "Elasticity of market share to last year's output capacity (1: proportional growth).",
    )
    employment_adjustment: float = _p(
        0.5,
        0.0,
        1.0,
        "share per year",
        "Share of the gap to target employment closed each year.",
    )
    wage_per_employee: float = _p(
        0.05,
        0.001,
        1.0,
        "M€/employee/year",
        "Yearly wage at mean productivity 1 (scales with it).",
    )
    payout_share: float = _p(
        0.5, 0.0, 1.0, "share of profit", "Share of positive profit paid out to owners."
    )
    fixed_cost_per_year: float = _p(
        0.01, 0.0, 100.0, "M€/year", "Overhead every firm pays whatever its size."
    )
    output_per_employee: float = _p(
        0.1, 0.001, 10.0, "M€/employee/year", "Output per employee at productivity 1."
    )
    demand_noise: float = _p(
        0.6,
        0.0,
        1.0,
        "log s.d.",
        "S.d. of a one-employee firm's idiosyncratic yearly shocks to its market share.",
    )
    rd_intensity_sme: float = _p(0.02, 0.0, 0.5, "share of revenue", "R&D spend of an SME.")
    rd_intensity_large: float = _p(0.04, 0.0, 0.5, "share of revenue", "R&D spend of a large firm.")
    sme_employee_limit: float = _p(
        250.0, 1.0, 1e6, "employees", "A firm below this size is an SME."
    )
    shock_industry: int = _p(
        -1, -1, 100, "industry index", "Industry whose demand collapses (-1: no shock)."
    )
    shock_year: int = _p(20, 1, 1000, "year", "Recorded year in which the demand shock hits.")
    shock_size: float = _p(
        0.5, 0.0, 1.0, "share of demand", "Share of final demand lost in the shock."
    )
    noise_size_exponent: float = _p(
        0.2,
        0.0,
        0.5,
        "elasticity",
        "How fast the s.d. of market-share shocks falls with employment (s.d. ~ E^-this).",
    )
    related_input_saving: float = _p(
        0.0,
        0.0,
        1.0,
        "share of input cost per unit density",
        "Input costs a firm saves per unit relatedness density of its region (0-1).",
    )
    related_labour_premium: float = _p(
        0.1,
        0.0,
        2.0,
        "share of competitiveness per unit density",
        "Competitiveness a firm gains per unit relatedness density of its region (0-1).",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LearningParams(_ParamGroup):
    """Learning by doing, by interacting, from spillovers and from universities."""

    doing_rate: float = _p(
        0.05, 0.0, 1.0, "1/year", "Rate of learning on the fields a recipe uses."
    )
    knowledge_decay: float = _p(0.08, 0.0, 0.5, "1/year", "Decay of expertise on unused fields.")
    interaction_rate: float = _p(
        0.15,
        0.0,
        1.0,
        "1/year",
        "Rate of learning from a partner at the optimal distance.",
    )
    optimal_cognitive_distance: float = _p(
        0.15,
        0.01,
        0.99,
        "cognitive distance",
        "Distance at which learning from a partner peaks.",
    )
    imitation_rate: float = _p(
        0.1,
        0.0,
        1.0,
        "1/year",
        "Share of the log-productivity gap to the industry mean a laggard closes.",
    )
    spillover_rate: float = _p(0.03, 0.0, 1.0, "1/year", "Rate of learning from local spillovers.")
    spillover_distance: float = _p(
        2.0, 0.1, 20.0, "cells", "Decay length of local knowledge spillovers."
    )
    university_teaching_multiplier: float = _p(
        2.0,
        1.0,
        10.0,
        "ratio",
        "How much faster firms learn from a university partner.",
    )
    university_advance_rate: float = _p(
        0.02, 0.0, 0.5, "1/year", "Rate at which universities advance their knowledge."
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class InnovationParams(_ParamGroup):
    """Incremental and radical (recombinant) innovation."""

    incremental_rd_scale: float = _p(
        0.05,
        1e-4,
        10.0,
        "M€",
        "R&D spend at which incremental success is 63% of its fit limit.",
    )
    incremental_gain: float = _p(
        0.02, 0.0, 0.5, "share", "Mean productivity gain of an incremental innovation."
    )
    radical_attempt_rate: float = _p(
        0.3,
        0.0,
        1.0,
        "1/year",
        "Probability a firm with a partner attempts a recombination.",
    )
    radical_base_probability: float = _p(
        0.5,
        0.0,
        1.0,
        "probability",
        "Success probability at the optimal distance, ample R&D.",
    )
    radical_rd_scale: float = _p(
        0.05,
        1e-4,
        10.0,
        "M€",
        "R&D resources at which radical success is 63% of its maximum.",
    )
    university_radical_bonus: float = _p(
        0.5,
        0.0,
        5.0,
        "ratio",
        "Extra success probability (relative) with a university partner.",
    )
    knowledge_jump: float = _p(
        0.5,
        0.0,
        1.0,
        "share of gap",
        "Share of the gap to the partner closed on the new field.",
    )
    recombination_gain_mean: float = _p(
        0.03,
        -0.5,
        0.5,
        "log productivity",
        "Mean log productivity change of a known recombination.",
    )
    recombination_gain_sd: float = _p(
        0.05,
        0.0,
        1.0,
        "log productivity",
        "S.d. of that change for a known recombination.",
    )
    novel_gain_mean: float = _p(
        0.02,
        -0.5,
        0.5,
        "log productivity",
        "Mean log productivity change of a novel combination.",
    )
    novel_gain_sd: float = _p(
        0.25,
        0.0,
        2.0,
        "log productivity",
        "S.d. of that change for a novel combination.",
    )
    novelty_memory: int = _p(
        5,
        1,
        1000,
        "years",
        "A field pair not combined for more than this many years is novel again.",
    )
    regional_pool_share: float = _p(
        0.5,
        0.0,
        1.0,
        "probability",
        "Chance a recombination's second field comes from the region's knowledge pool.",
    )
    pool_min_share: float = _p(
        0.05,
        0.0,
        1.0,
        "share of employment",
        "Least share of regional employment strong in a field for it to be in the pool.",
    )
    pool_family_exponent: float = _p(
        1.0,
        0.0,
        2.0,
        "exponent",
        "Weight of a pool field: (employment share of its family / held fields of it)^this.",
    )
    related_breakthrough_share: float = _p(
        0.0,
        0.0,
        1.0,
        "probability",
        "Chance a new-to-world pair of two fields of one family counts as radical.",
    )
    unrelated_exposure_exponent: float = _p(
        1.0,
        0.0,
        3.0,
        "exponent",
        "Attempt rate scales with (regional employment outside the firm's family / (1-1/G))^this.",
    )
    local_search_rate: float = _p(
        0.3,
        0.0,
        1.0,
        "1/year",
        "Probability a firm without a partner recombines with its region's knowledge pool.",
    )
    unrelated_absorption_exponent: float = _p(
        1.0,
        0.0,
        3.0,
        "exponent",
        "Unrelated recombinations succeed x (effective number of regional families / G)^this.",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class DiversificationParams(_ParamGroup):
    """Firms opening divisions in industries their knowledge fits."""

    fit_threshold: float = _p(
        0.45,
        0.0,
        1.0,
        "recipe fit",
        "Least fit with another industry's recipe to enter it.",
    )
    diversification_rate: float = _p(
        0.03,
        0.0,
        1.0,
        "1/year",
        "Probability an eligible firm opens a division in a year.",
    )
    division_cost: float = _p(0.2, 0.0, 100.0, "M€", "Cash a firm spends to open a division.")
    division_employees: float = _p(8.0, 1.0, 1000.0, "employees", "Size of a new division.")
    choice_temperature: float = _p(
        0.25,
        0.01,
        10.0,
        "share of best value",
        "Logit temperature of the target choice, relative to the best option's value.",
    )
    startup_years: int = _p(
        5,
        0,
        30,
        "years",
        "Years the parent covers a new division's losses and keeps its start-up team.",
    )
    division_productivity: float = _p(
        1.0, 0.5, 1.5, "ratio to parent", "Productivity of a new division relative to its parent."
    )
    hiring_share: float = _p(
        0.8,
        0.0,
        1.0,
        "share of local know-how",
        "Share of the region's know-how in an industry a new division gets by hiring.",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkingParams(_ParamGroup):
    """Search for partners, link fees, expiry and renewal."""

    search_probability: float = _p(
        0.3,
        0.0,
        1.0,
        "1/year",
        "Probability a firm with spare capacity searches in a year.",
    )
    search_radius: float = _p(4.0, 1.0, 100.0, "cells", "Radius of the local partner search.")
    local_candidates: int = _p(4, 0, 50, "firms", "Nearby firms considered in one search.")
    random_candidates: int = _p(2, 0, 50, "firms", "Random distant firms considered in one search.")
    link_fee_per_year: float = _p(
        0.03,
        0.0,
        10.0,
        "M€/year",
        "Yearly fee each firm pays for a collaboration link.",
    )
    fee_distance_scale: float = _p(
        20.0,
        0.1,
        1e6,
        "cells",
        "Distance over which a link's fee doubles (coordination cost).",
    )
    link_benefit_scale: float = _p(
        1.2,
        0.0,
        100.0,
        "M€/year",
        "Expected yearly value of a link at complementarity 1.",
    )
    link_duration: int = _p(5, 1, 50, "years", "Years before a link expires unless renewed.")
    university_capacity: int = _p(20, 0, 1000, "links", "Most firm partners of one university.")
    suppliers_per_firm: int = _p(
        2, 0, 10, "links", "Supply links a firm in a downstream industry keeps."
    )
    supplier_distance: float = _p(
        6.0, 0.5, 200.0, "cells", "Decay length of supplier choice with distance."
    )
    partner_capacity_scale: float = _p(
        1.0,
        0.0,
        10.0,
        "links/employee^elasticity",
        "Partner capacity of a firm of one employee (capacity = scale x employees^elasticity).",
    )
    partner_capacity_elasticity: float = _p(
        0.5, 0.0, 1.0, "1", "Elasticity of a firm's partner capacity to its employment."
    )
    max_partners: int = _p(30, 0, 200, "links", "Most collaboration partners of any firm.")
    referral_candidates: int = _p(
        8, 0, 20, "firms", "Partners of partners considered in one search (triadic closure)."
    )
    shared_partner_bonus: float = _p(
        2.0,
        0.0,
        10.0,
        "1/shared partner",
        "Relative rise of a link's expected benefit per partner the pair shares.",
    )
    partner_capacity_group_share: float = _p(
        1.0,
        0.0,
        1.0,
        "share",
        "Share of its group's other employment a firm's partner capacity draws on.",
    )
    min_partners: int = _p(2, 0, 30, "links", "Partner capacity of even the smallest firm.")


@dataclass(frozen=True, slots=True, kw_only=True)
class DemographyParams(_ParamGroup):
    """Exit, spin-offs and exogenous entry."""

    exit_after_losses: int = _p(
        3, 1, 50, "years", "Consecutive loss years after which a firm exits."
    )
    min_employees: float = _p(
        1.0, 0.0, 1000.0, "employees", "A firm whose employment falls below this exits."
    )
    spinoff_rate: float = _p(
        0.015,
        0.0,
        1.0,
        "1/year",
        "Spin-off probability of a firm with a healthy margin.",
    )
    spinoff_min_margin: float = _p(
        0.08,
        -1.0,
        1.0,
        "profit/revenue",
        "Least profit margin for a firm to spawn spin-offs.",
    )
    spinoff_radius: int = _p(2, 1, 20, "cells", "Farthest a spin-off lands from its parent.")
    university_spinoff_rate: float = _p(
        0.2,
        0.0,
        10.0,
        "firms/year",
        "Expected academic spin-offs per university per year.",
    )
    entry_rate: float = _p(
        0.05,
        0.0,
        0.5,
        "share of n_firms/year",
        "Exogenous entrants per year as a share of the firms the economy starts with.",
    )
    entrant_employees: float = _p(6.0, 1.0, 1000.0, "employees", "Size of a new entrant.")
    outside_entry_share: float = _p(
        0.3,
        0.0,
        1.0,
        "share of entrants",
        "Share of entrants that bring an industry's know-how from another region.",
    )
    spinoff_related_share: float = _p(
        0.2,
        0.0,
        1.0,
        "share of spin-offs",
        "Share of spin-offs that carry the parent's competences into another industry.",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class GovernanceParams(_ParamGroup):
    """Cluster organizations: funding use, brokerage and roadmaps."""

    member_fee_per_year: float = _p(
        0.002, 0.0, 1.0, "M€/year", "Fee each member pays its organization."
    )
    pooled_rd_share: float = _p(
        0.5,
        0.0,
        1.0,
        "share of budget",
        "Share of an organization's budget pooled for SME R&D.",
    )
    brokerage_base: int = _p(2, 0, 1000, "introductions/year", "Introductions with no funding.")
    brokerage_per_meur: float = _p(
        10.0,
        0.0,
        1000.0,
        "introductions/M€",
        "Extra introductions per M€ of organization budget.",
    )
    roadmap_size: int = _p(3, 0, 20, "fields", "Roadmap target fields of each organization.")
    roadmap_steering: float = _p(
        1.0,
        0.0,
        10.0,
        "ratio",
        "Extra weight members give roadmap fields in radical search.",
    )
    partnership_min_budget: float = _p(
        0.2,
        0.0,
        100.0,
        "M€/year",
        "Budget of an organization at full capacity: it keeps a partner abroad and steers "
        "its roadmap at full strength (below: steering scales with budget / this).",
    )
    cluster_founding_mass: int = _p(
        10,
        0,
        10_000,
        "firms",
        "Unclustered firms of one value chain within 2 x cluster_spread cells of one of them "
        "at which a new cluster organization is founded there (0: no cluster is founded "
        "during a run).",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyParams(_ParamGroup):
    """The policy levers (DESIGN.md §5). All instruments draw on each region's budget."""

    cross_cluster_subsidy: float = _p(
        0.0,
        0.0,
        1.0,
        "share of link fee",
        "Subsidy of links between different clusters.",
    )
    intra_cluster_subsidy: float = _p(
        0.0,
        0.0,
        1.0,
        "share of link fee",
        "Subsidy of links inside one cluster (old-style).",
    )
    university_link_subsidy: float = _p(
        0.0, 0.0, 1.0, "share of link fee", "Subsidy of firm-university links."
    )
    interregional_subsidy: float = _p(
        0.0,
        0.0,
        1.0,
        "share of link fee",
        "Subsidy of links to firms in other regions.",
    )
    cluster_org_funding: float = _p(
        0.0,
        0.0,
        100.0,
        "M€/organization/year",
        "Public funding of each cluster organization.",
    )
    sme_rd_grant: float = _p(0.0, 0.0, 1.0, "share of SME R&D", "Share of SME R&D reimbursed.")
    challenge_demand: float = _p(
        0.0,
        0.0,
        1000.0,
        "M€/region/year",
        "Public procurement of challenge-industry output.",
    )
    policy_budget: float = _p(
        5.0,
        0.0,
        10_000.0,
        "M€/region/year",
        "Yearly budget of each region for all instruments.",
    )
    subsidy_targeting: SubsidyTargeting = _choice(  # noqa: RUF009 - a field() declaration
        SubsidyTargeting.BLANKET,
        "'blanket': every eligible link; 'missing_link': only links bringing fields of "
        "related industries the region lacks.",
    )
    allocation: Allocation = _choice(  # noqa: RUF009 - a field() declaration
        Allocation.PRO_RATA,
        "'pro_rata': claims above the budget are all paid the same share; 'call': proposals "
        "are funded in score order until the budget runs out, the rest get nothing.",
    )


GROUPS: dict[str, type] = {
    "world": WorldParams,
    "market": MarketParams,
    "learning": LearningParams,
    "innovation": InnovationParams,
    "diversification": DiversificationParams,
    "networking": NetworkingParams,
    "demography": DemographyParams,
    "governance": GovernanceParams,
    "policy": PolicyParams,
}


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """Description of one parameter, read from its field metadata."""

    name: str
    group: str
    owner: str
    kind: type
    default: Any
    low: float | None
    high: float | None
    choices: tuple[str, ...] | None
    unit: str
    doc: str

    def allowed(self) -> str:
        """Say in words what values are allowed."""
        if self.choices is not None:
            table = " or 'csv:<path>'" if self.kind is Economy else ""
            return "one of " + ", ".join(repr(c) for c in self.choices) + table
        kind = "an integer" if self.kind is int else "a number"
        return f"{kind} in [{self.low:g}, {self.high:g}]"


def _specs_of(group: str, cls: type) -> list[ParamSpec]:
    specs = []
    for f in dataclasses.fields(cls):
        meta = f.metadata
        choices = meta.get("choices")
        low, high = meta.get("range", (None, None))
        kind = choices if choices is not None else type(f.default)
        specs.append(
            ParamSpec(
                name=f.name,
                group=group,
                owner=cls.__name__,
                kind=kind,
                default=f.default,
                low=low,
                high=high,
                choices=tuple(c.value for c in choices) if choices else None,
                unit=meta["unit"],
                doc=meta["doc"],
            )
        )
    return specs


_EXTRA_SPECS: ContextVar[Mapping[str, ParamSpec]] = ContextVar(
    "clusterlab_extension_specs", default=MappingProxyType({})
)
"""Parameters of the extensions in use (:func:`with_specs`), beside the built-in ones."""

EXTENSION_GROUP = "extension:"
"""Prefix of the ``group`` of an extension's parameter (``extension:<name>``)."""


def param_specs() -> dict[str, ParamSpec]:
    """Return every parameter's specification, keyed by its (unique) name.

    Inside :func:`with_specs` (an experiment's or a run's extensions), their parameters
    are listed too, after the built-in ones.
    """
    out: dict[str, ParamSpec] = {}
    for group, cls in GROUPS.items():
        for spec in _specs_of(group, cls):
            out[spec.name] = spec
    return out | dict(_EXTRA_SPECS.get())


@contextmanager
def with_specs(extra: Mapping[str, ParamSpec]) -> Iterator[None]:
    """Accept the parameters ``extra`` (extensions') by name inside the block.

    :meth:`ModelParams.replace`, :func:`~clusterlab.model.presets.preset`,
    :func:`param_specs` and :func:`parse_value` then know them; their values are kept in
    :attr:`ModelParams.extension`. Use
    :func:`clusterlab.model.extension.extension_params` to build ``extra``.
    """
    clash = sorted(set(extra) & {s.name for g, c in GROUPS.items() for s in _specs_of(g, c)})
    if clash:
        raise ParameterError(f"Parameter(s) {clash} are built-in; an extension needs its own.")
    token = _EXTRA_SPECS.set(MappingProxyType({**_EXTRA_SPECS.get(), **extra}))
    try:
        yield
    finally:
        _EXTRA_SPECS.reset(token)


def _is_table(value: Any) -> bool:
    """Tell whether an ``economy`` value names a region table, ``csv:<path>``."""
    prefix = CSV_PREFIX
    return isinstance(value, str) and value.startswith(prefix) and len(value) > len(prefix)


def _check_value(spec: ParamSpec, value: Any) -> Any:
    """Return ``value`` converted to the spec's type, or raise ParameterError."""
    where = f"The '{spec.name}' parameter of {spec.owner}"
    if spec.choices is not None:
        if spec.kind is Economy and _is_table(value):
            return value  # a region table, read when the world is built (model/regions.py)
        try:
            return spec.kind(value)
        except ValueError:
            raise ParameterError(f"{where} must be {spec.allowed()}. Got {value!r}.") from None
    # numbers.Real admits numpy scalars (sweep designs produce them); bools are not numbers.
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ParameterError(
            f"{where} must be {spec.allowed()} ({spec.unit}). Got {value!r} of type "
            f"{type(value).__name__}."
        )
    if spec.kind is int:
        # A non-finite value is no integer (and int() of it would raise a bare error).
        if not math.isfinite(value) or float(value) != int(value):
            raise ParameterError(f"{where} must be {spec.allowed()} ({spec.unit}). Got {value!r}.")
        value = int(value)
    else:
        value = float(value)
    if not (spec.low <= value <= spec.high):  # NaN fails this too
        raise ParameterError(f"{where} must be {spec.allowed()} ({spec.unit}). Got {value!r}.")
    return value


def validate_group(obj: Any) -> None:
    """Validate (and normalise the types of) every field of a parameter group."""
    group = next(g for g, cls in GROUPS.items() if cls is type(obj))
    for spec in _specs_of(group, type(obj)):
        value = _check_value(spec, getattr(obj, spec.name))
        object.__setattr__(obj, spec.name, value)


def suggest(name: str, known: list[str]) -> str:
    """Return a " Did you mean ...?" hint for a misspelled name, or ''."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelParams:
    """All parameters of one simulation, grouped by mechanism.

    Build one from a preset with :func:`clusterlab.model.presets.preset`, then change single values
    by name with :meth:`replace`. Unknown names raise :class:`ParameterError` with a "did you
    mean" hint; values are checked against their ranges.
    """

    world: WorldParams = field(default_factory=WorldParams)
    market: MarketParams = field(default_factory=MarketParams)
    learning: LearningParams = field(default_factory=LearningParams)
    innovation: InnovationParams = field(default_factory=InnovationParams)
    diversification: DiversificationParams = field(default_factory=DiversificationParams)
    networking: NetworkingParams = field(default_factory=NetworkingParams)
    demography: DemographyParams = field(default_factory=DemographyParams)
    governance: GovernanceParams = field(default_factory=GovernanceParams)
    policy: PolicyParams = field(default_factory=PolicyParams)
    extension: tuple[tuple[str, Any], ...] = ()
    """``(name, value)`` of extensions' parameters set by name (:func:`with_specs`), sorted
    (hashable, picklable); the model hands each to its extension
    (:func:`clusterlab.model.extension.configured`)."""

    def __post_init__(self) -> None:
        """Check constraints that tie several parameters together."""
        w = self.world
        if w.min_clusters_per_region > w.max_clusters_per_region:
            raise ParameterError(
                "The 'min_clusters_per_region' parameter of WorldParams must be at most "
                f"max_clusters_per_region ({w.max_clusters_per_region}). "
                f"Got {w.min_clusters_per_region}."
            )
        if w.economy is Economy.GENERIC and w.n_chains < w.max_clusters_per_region:
            raise ParameterError(
                "The 'n_chains' parameter of WorldParams must be at least "
                f"max_clusters_per_region ({w.max_clusters_per_region}) so a region's clusters "
                f"can each have their own chain. Got {w.n_chains}."
            )

    @classmethod
    def from_flat(cls, values: dict[str, Any]) -> ModelParams:
        """Build parameters from defaults and a flat ``{name: value}`` mapping."""
        return cls().replace(**values)

    def replace(self, **overrides: Any) -> ModelParams:
        """Return a copy with parameters changed by name (``group.name`` also accepted)."""
        specs = param_specs()
        by_group: dict[str, dict[str, Any]] = {}
        extension = dict(self.extension)
        before = dict(extension)
        for raw_name, value in overrides.items():
            name = raw_name.split(".", 1)[1] if "." in raw_name else raw_name
            if name not in specs:
                raise ParameterError(
                    f"Unknown parameter '{raw_name}'.{suggest(name, list(specs))} "
                    "Run 'clusterlab params' to list them."
                )
            if specs[name].group.startswith(EXTENSION_GROUP):
                extension[name] = _check_value(specs[name], value)
            else:
                by_group.setdefault(specs[name].group, {})[name] = value
        groups: dict[str, Any] = {
            g: dataclasses.replace(getattr(self, g), **vals) for g, vals in by_group.items()
        }
        if extension != before:
            groups["extension"] = tuple(sorted(extension.items()))
        return dataclasses.replace(self, **groups)

    def to_flat(self) -> dict[str, Any]:
        """Return every built-in parameter as a flat ``{name: value}`` dict (enums as strings).

        Extensions' values set by name are in :attr:`extension`, not here (a run's
        ``result.params`` has both: every extension parameter's value, defaults too).
        """
        out: dict[str, Any] = {}
        for group in GROUPS:
            obj = getattr(self, group)
            for f in dataclasses.fields(obj):
                value = getattr(obj, f.name)
                out[f.name] = value.value if isinstance(value, StrEnum) else value
        return out


def parse_value(name: str, text: str) -> Any:
    """Convert a command-line string to the type of parameter ``name``.

    Raises
    ------
    ParameterError
        If the name is unknown or the text is not of the parameter's type.
    """
    specs = param_specs()
    if name not in specs:
        raise ParameterError(
            f"Unknown parameter '{name}'.{suggest(name, list(specs))} "
            "Run 'clusterlab params' to list them."
        )
    spec = specs[name]
    if spec.choices is not None:
        return text
    try:
        return int(text) if spec.kind is int else float(text)
    except ValueError:
        raise ParameterError(
            f"The '{name}' parameter of {spec.owner} must be {spec.allowed()} ({spec.unit}). "
            f"Got {text!r}."
        ) from None
