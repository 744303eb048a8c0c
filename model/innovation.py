"""Innovation: incremental improvement and radical recombination with a partner.

Incremental innovation comes from own R&D and recipe fit and raises productivity a
little. Recombination joins one of the firm's strong fields with a field its partner is
strong in and the firm weak in; its success follows the inverted U of cognitive distance,
rises with R&D resources and with a university partner. A recombination whose field pair
was never combined before anywhere in the economy is a radical (novel) innovation, with
a more variable payoff (Fleming 2001).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from model.governance import capacity_factor
from model.kernels import own_recipe_fit
from model.knowledge import absorptive_capacity, cognitive_distance_rows
from model.learning import link_pairs
from model.metrics.novelty import first_combinations
from model.params import InnovationParams, ModelParams
from model.state import WorldState

__all__ = [
    "choose_fields",
    "incremental_success",
    "radical_success_probability",
    "recombination_gain",
    "resource_factor",
    "run_incremental",
    "run_radical",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

CHOICE_NOISE = 0.1
"""Scale of the Gumbel noise in field choice: search is boundedly rational."""


def resource_factor(resources: FloatArray, scale: float) -> FloatArray:
    """Saturating effect of R&D resources, :math:`1 - e^{-x / s}` (0 with no resources)."""
    return 1.0 - np.exp(-np.maximum(resources, 0.0) / scale)


def incremental_success(
    fit: FloatArray,
    resources: FloatArray,
    params: InnovationParams,
    rng: np.random.Generator,
) -> tuple[BoolArray, FloatArray]:
    r"""Draw incremental innovations and their productivity gains.

    Returns
    -------
    success : ndarray of bool
        Drawn with probability :math:`\mathrm{fit} \cdot (1 - e^{-\mathrm{R\&D}/s})`.
    factor : ndarray
        Productivity multiplier, :math:`1 + g\,U(0, 2)` on success (mean gain g), else 1.
    """
    p = np.clip(fit, 0.0, 1.0) * resource_factor(resources, params.incremental_rd_scale)
    success = rng.random(fit.size) < p
    gain = params.incremental_gain * 2.0 * rng.random(fit.size)
    return success, np.where(success, 1.0 + gain, 1.0)


def choose_fields(
    own: FloatArray,
    partner: FloatArray,
    roadmap_weight: FloatArray,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """Pick the pair of fields each attempt recombines.

    Parameters
    ----------
    own, partner : ndarray, shape (m, K)
        Knowledge of the attempting firm and of its chosen partner.
    roadmap_weight : ndarray, shape (m, K)
        Extra weight of roadmap fields (0 outside a roadmap or an organization).
    rng : numpy.random.Generator

    Returns
    -------
    (a, b) : ndarrays of int, shape (m,)
        a: one of the firm's strong fields, chosen by expertise plus noise;
        b: a different field, chosen by :math:`k^{partner}_b (1 - k^{own}_b)(1 + s_b)` plus
        noise (partner strong, firm weak, steered toward the roadmap).
    """
    m, k = own.shape
    a = np.argmax(own + CHOICE_NOISE * rng.gumbel(size=(m, k)), axis=1)
    score = partner * (1.0 - own) * (1.0 + roadmap_weight)
    score = score + CHOICE_NOISE * rng.gumbel(size=(m, k))
    score[np.arange(m), a] = -np.inf
    return a, np.argmax(score, axis=1)


def radical_success_probability(
    distance: FloatArray,
    resources: FloatArray,
    with_university: BoolArray,
    optimum: float,
    params: InnovationParams,
) -> FloatArray:
    r"""Success probability of a recombination attempt.

    Notes
    -----
    :math:`p = \min\{1, p_0\, A(d)\, (1 - e^{-R/s})\, (1 + b\,\mathbb{1}_{univ})\}`,
    with A the absorptive-capacity inverted U, R the R&D resources (own plus pooled
    support) and b the university bonus.
    """
    p = (
        params.radical_base_probability
        * absorptive_capacity(distance, optimum)
        * resource_factor(resources, params.radical_rd_scale)
        * (1.0 + params.university_radical_bonus * with_university)
    )
    return np.minimum(p, 1.0)


def recombination_gain(
    novel: BoolArray, params: InnovationParams, rng: np.random.Generator
) -> FloatArray:
    r"""Productivity multiplier of successful recombinations, :math:`e^{N(\mu, \sigma^2)}`.

    Novel pairs draw from (novel_gain_mean, novel_gain_sd), known pairs from
    (recombination_gain_mean, recombination_gain_sd): novelty raises the variance of value.
    """
    mean = np.where(novel, params.novel_gain_mean, params.recombination_gain_mean)
    sd = np.where(novel, params.novel_gain_sd, params.recombination_gain_sd)
    return np.exp(mean + sd * rng.standard_normal(novel.size))


def pick_partner(
    learner: IntArray, teacher: IntArray, is_uni: BoolArray, rng: np.random.Generator
) -> IntArray:
    """One uniformly random pair index per distinct learner (pairs given as rows)."""
    order = np.lexsort((rng.random(learner.size), learner))
    first = np.ones(order.size, bool)
    first[1:] = learner[order][1:] != learner[order][:-1]
    return order[first]


def run_incremental(ws: WorldState, params: ModelParams, rng: np.random.Generator) -> IntArray:
    """Incremental innovation of all alive firms. Returns the regions of the successes."""
    f = ws.firms
    live = np.flatnonzero(f.alive)
    fit = own_recipe_fit(f.knowledge, ws.industries.recipes, f.industry, live)
    success, factor = incremental_success(
        fit, f.rd_budget[live] + f.rd_support[live], params.innovation, rng
    )
    f.productivity[live] *= factor
    won = live[success]
    ws.events.add(
        "innovation",
        step=np.full(won.size, ws.step),
        firm=f.id[won],
        region=f.region[won],
        cluster=f.cluster[won],
        industry=f.industry[won],
        kind=np.full(won.size, "incremental"),
        field_a=np.full(won.size, -1),
        field_b=np.full(won.size, -1),
        novel=np.zeros(won.size, bool),
        partner_type=np.full(won.size, "none"),
        distance=np.full(won.size, np.nan),
        gain=factor[success] - 1.0,
    )
    return f.region[won]


def roadmap_weights(ws: WorldState, firms_idx: IntArray, params: ModelParams) -> FloatArray:
    """Steering weight of roadmap fields for each firm (0 outside an organization)."""
    orgs, cluster = ws.orgs, ws.firms.cluster[firms_idx]
    out = np.zeros((firms_idx.size, ws.space.n_fields))
    member = cluster >= 0
    if len(orgs) == 0 or not member.any():
        return out
    strength = params.governance.roadmap_steering * capacity_factor(
        orgs.budget, params.governance.partnership_min_budget
    )
    out[member] = orgs.roadmap[cluster[member]] * strength[cluster[member], None]
    return out


def run_radical(
    ws: WorldState, params: ModelParams, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Recombination attempts of firms with partners.

    Returns the regions of the known-pair (recombinant) and of the novel-pair (radical)
    successes.
    """
    f, ip = ws.firms, params.innovation
    # Radical search needs a collaboration partner (firm or university): supply relations
    # teach along the chain (learning) but do not recombine distant knowledge.
    learner, teacher, is_uni = link_pairs(ws, include_supply=False)
    pick = pick_partner(learner, teacher, is_uni, rng)
    pick = pick[rng.random(pick.size) < ip.radical_attempt_rate]
    firm, partner, uni = learner[pick], teacher[pick], is_uni[pick]
    own, other = f.knowledge[firm], ws.node_knowledge(partner, uni)
    a, b = choose_fields(own, other, roadmap_weights(ws, firm, params), rng)
    distance = cognitive_distance_rows(own, other, ws.space.proximity, check_input=False)
    p = radical_success_probability(
        distance,
        f.rd_budget[firm] + f.rd_support[firm],
        uni,
        params.learning.optimal_cognitive_distance,
        ip,
    )
    ok = np.flatnonzero(rng.random(firm.size) < p)
    firm, partner, uni, a, b, distance = (
        firm[ok],
        partner[ok],
        uni[ok],
        a[ok],
        b[ok],
        distance[ok],
    )
    novel, ws.combined = first_combinations(np.column_stack([a, b]), ws.combined)
    gain = recombination_gain(novel, ip, rng)
    f.productivity[firm] *= gain
    jump = ip.knowledge_jump * np.maximum(0.0, other[ok, b] - f.knowledge[firm, b])
    np.add.at(f.knowledge, (firm, b), jump)
    np.clip(f.knowledge, 0.0, 1.0, out=f.knowledge)
    n = firm.size
    ws.events.add(
        "innovation",
        step=np.full(n, ws.step),
        firm=f.id[firm],
        region=f.region[firm],
        cluster=f.cluster[firm],
        industry=f.industry[firm],
        kind=np.where(novel, "radical", "recombinant"),
        field_a=a,
        field_b=b,
        novel=novel,
        partner_type=np.where(uni, "university", "firm"),
        distance=distance,
        gain=gain - 1.0,
    )
    return f.region[firm[~novel]], f.region[firm[novel]]
