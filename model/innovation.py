"""Innovation: incremental improvement and radical recombination with a partner.

Incremental innovation comes from own R&D and recipe fit and raises productivity a
little. Recombination joins one of the firm's strong fields with a second field drawn
either from its partner (strong there, the firm weak) or from its region's knowledge pool
(fields in which the region's employment is strong: Castaldi, Frenken & Los 2015; Frenken,
Van Oort & Verburg 2007), each knowledge family met in proportion to the region's
employment in it (Glaeser et al. 1992), so that unrelated variety sets how often unrelated
fields are combined; its success follows the inverted U of cognitive distance, rises
with R&D resources and with a university partner. A recombination whose field pair was
not combined anywhere in the economy within the last ``novelty_memory`` years is a radical
(novel, new-to-world) innovation, with a more variable payoff (Fleming 2001); one made
elsewhere but not recently in its own region is new to the region.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clusterlab.model.governance import capacity_factor
from clusterlab.model.kernels import own_recipe_fit
from clusterlab.model.knowledge import absorptive_capacity, cognitive_distance_rows
from clusterlab.model.learning import link_pairs
from clusterlab.model.local_search import absorptive_base, frontier_knowledge, unpartnered_firms
from clusterlab.model.metrics.novelty import classify_novelty
from clusterlab.model.params import InnovationParams, ModelParams
from clusterlab.model.state import WorldState

__all__ = [
    "attempt_rate",
    "breakthroughs",
    "choose_fields",
    "choose_pool_fields",
    "family_encounter_weight",
    "incremental_success",
    "radical_success_probability",
    "recombination_gain",
    "regional_pool",
    "resource_factor",
    "run_incremental",
    "run_radical",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

CHOICE_NOISE = 0.1
"""Scale of the Gumbel noise in field choice: search is boundedly rational."""

POOL_STRONG = 0.5
"""Expertise at which an actor is strong in a field (as networking's STRONG)."""


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


def regional_pool(
    knowledge: FloatArray, employees: FloatArray, region: IntArray, n_regions: int
) -> tuple[FloatArray, FloatArray]:
    r"""Knowledge pool of each region: where its employment is strong, and how strong.

    Parameters
    ----------
    knowledge : ndarray, shape (n, K)
        Expertise of the region's (alive) firms.
    employees : ndarray, shape (n,)
    region : ndarray of int, shape (n,)
    n_regions : int

    Returns
    -------
    share : ndarray, shape (R, K)
        :math:`S_{rb} = \sum_{i \in r} e_i \mathbb{1}[k_{ib} \ge 0.5] / \sum_{i \in r} e_i`,
        the share of the region's employment in firms strong in field b (0 for an empty
        region).
    best : ndarray, shape (R, K)
        Highest expertise in each field among the region's firms (0 for an empty region).

    Notes
    -----
    Weighting by employment makes the pool follow the same regional employment whose
    entropy across knowledge families is unrelated variety (Frenken, Van Oort & Verburg
    2007): a region whose employment is spread over more families holds strong
    expertise in more distant fields.
    """
    n_fields = knowledge.shape[1]
    held, best = np.zeros((n_regions, n_fields)), np.zeros((n_regions, n_fields))
    order = np.argsort(region, kind="stable")  # rows by region: segment sums and maxima
    start = np.searchsorted(region[order], np.arange(n_regions))
    filled = np.bincount(region, minlength=n_regions) > 0
    if filled.any():
        rows, emp = knowledge[order], employees[order]
        strong = (rows >= POOL_STRONG) * emp[:, None]
        held[filled] = np.add.reduceat(strong, start[filled], axis=0)
        best[filled] = np.maximum.reduceat(rows, start[filled], axis=0)
    total = np.bincount(region, weights=employees, minlength=n_regions)
    share = np.divide(held, total[:, None], out=np.zeros_like(held), where=total[:, None] > 0)
    return share, best


def choose_pool_fields(
    own: FloatArray,
    pool: FloatArray,
    a: IntArray,
    roadmap_weight: FloatArray,
    min_share: float,
    rng: np.random.Generator,
    family_weight: FloatArray | None = None,
) -> IntArray:
    r"""Draw the second field of each attempt from the region's knowledge pool.

    Parameters
    ----------
    own : ndarray, shape (m, K)
        Knowledge of the attempting firms.
    pool : ndarray, shape (m, K)
        Pool share :math:`S_{rb}` of each firm's region (:func:`regional_pool`).
    a : ndarray of int, shape (m,)
        The firm's own field of each attempt (never drawn again).
    roadmap_weight : ndarray, shape (m, K)
        Extra weight :math:`s_b` of roadmap fields.
    min_share : float
        Least pool share :math:`\underline{S}` of a field the region holds.
    rng : numpy.random.Generator
    family_weight : ndarray, shape (m, K), optional
        Extra factor :math:`v_b` of each field (:func:`family_encounter_weight`); 1 if
        omitted.

    Returns
    -------
    ndarray of int, shape (m,)
        Field b drawn with probability proportional to
        :math:`w_b = \mathbb{1}[S_{rb} \ge \underline{S},\ S_{rb} > 0]\,
        (1 - k^{own}_b)(1 + s_b)\, v_b`, :math:`b \ne a` (a Gumbel-max draw); -1 where every
        weight is 0 (the region holds no other field).

    Notes
    -----
    The region's knowledge base is the set of fields it holds, each with the same
    chance (scaled by the firm's weakness in it): a region whose employment spans more
    knowledge families holds more distant fields, so its firms try more distinct, and
    more often unrelated, pairs (Castaldi, Frenken & Los 2015). A draw in proportion to
    :math:`S_{rb}` would instead be dominated by the region's largest family.
    """
    m = own.shape[0]
    held = (pool >= min_share) & (pool > 0.0)
    weight = held * (1.0 - own) * (1.0 + roadmap_weight)
    if family_weight is not None:
        weight = weight * family_weight
    weight[np.arange(m), a] = 0.0
    with np.errstate(divide="ignore"):
        score = np.log(weight) + rng.gumbel(size=weight.shape)
    b = np.argmax(score, axis=1)
    return np.where(weight.max(axis=1, initial=0.0) > 0.0, b, -1)


def family_encounter_weight(
    family_employment: FloatArray,
    held: BoolArray,
    field_family: IntArray,
    exponent: float,
) -> FloatArray:
    r"""Chance of meeting each pool field, from the region's employment by knowledge family.

    Parameters
    ----------
    family_employment : ndarray, shape (R, G)
        Employment of each region in the industries of each knowledge family (the
        grouping of unrelated variety).
    held : ndarray of bool, shape (R, K)
        Fields each region's pool holds.
    field_family : ndarray of int, shape (K,)
        Family of each field.
    exponent : float
        :math:`\theta`; 0 gives every held field the same weight.

    Returns
    -------
    ndarray, shape (R, K)
        :math:`v_{rb} = (P_{r,g(b)} / n_{r,g(b)})^{\theta}` for held fields, 0 elsewhere:
        :math:`P_{rg}` is family g's share of the region's employment and
        :math:`n_{rg}` the number of held fields of g. With :math:`\theta = 1` a family is
        met in proportion to its employment, so a firm of family g draws a field of
        another family with probability :math:`1 - P_{rg}` (before its own weakness and
        the roadmap reweight), and over a region's firms the share of unrelated pairs is
        :math:`1 - \sum_g P_{rg}^2`, which rises with the entropy of the family shares,
        unrelated variety.

    Notes
    -----
    Local knowledge spills over through encounters between the people who hold it
    (Jacobs externalities: Glaeser et al. 1992, Journal of Political Economy 100(6):
    1126-1152); a family employing more of the region is met more often. Unrelated
    variety then supplies the unrelated knowledge whose recombination yields
    breakthroughs (Castaldi, Frenken & Los 2015, Regional Studies 49(5): 767-781,
    https://doi.org/10.1080/00343404.2014.940305), while combinations within one
    family are familiar and rarely novel (Fleming 2001).
    """
    total = family_employment.sum(axis=1, keepdims=True)
    share = np.divide(
        family_employment, total, out=np.zeros_like(family_employment), where=total > 0
    )
    n_groups = family_employment.shape[1]
    count = np.stack([(held & (field_family == g)).sum(axis=1) for g in range(n_groups)], 1)
    per_field = np.divide(share, count, out=np.zeros_like(share), where=count > 0)
    return held * per_field[:, field_family] ** exponent


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


def attempt_rate(
    family_employment: FloatArray,
    region: IntArray,
    family: IntArray,
    base_rate: float,
    exponent: float,
) -> FloatArray:
    r"""Yearly chance that each partnered firm attempts a recombination.

    Parameters
    ----------
    family_employment : ndarray, shape (R, G)
        Employment of each region in the industries of each knowledge family.
    region, family : ndarray of int, shape (m,)
        Region and knowledge family (its industry's) of each firm.
    base_rate : float
        :math:`p_{att}`, the rate of a firm whose region is evenly spread over families.
    exponent : float
        :math:`\lambda`; 0 gives every firm the rate :math:`p_{att}`.

    Returns
    -------
    ndarray, shape (m,)
        :math:`\min\{1,\ p_{att}\,[(1 - P_{r,g}) / (1 - 1/G)]^{\lambda}\}`, with
        :math:`P_{rg}` the share of region r's employment in family g (0 in an empty
        region, where the exposure is taken as even).

    Notes
    -----
    Exposure to unrelated knowledge triggers recombinant search: people meet the
    knowledge around them (Jacobs externalities: Glaeser et al. 1992, Journal of
    Political Economy 100(6): 1126-1152), and unrelated knowledge in a region is the
    raw material of breakthroughs (Castaldi, Frenken & Los 2015, Regional Studies
    49(5): 767-781). A firm whose region employs few people outside its own family has
    little unrelated knowledge to recombine and searches less; with an even spread over
    the G families the exposure factor is 1.

    Examples
    --------
    >>> emp = np.array([[5.0, 5.0], [9.0, 1.0]])
    >>> attempt_rate(emp, np.array([0, 1, 1]), np.array([0, 0, 1]), 0.3, 1.0).round(2)
    array([0.3 , 0.06, 0.54])
    """
    n_groups = family_employment.shape[1]
    total = family_employment.sum(axis=1, keepdims=True)
    even = np.full_like(family_employment, 1.0 / n_groups)
    share = np.divide(family_employment, total, out=even, where=total > 0)
    outside = (1.0 - share[region, family]) / (1.0 - 1.0 / n_groups)
    return np.minimum(1.0, base_rate * outside**exponent)


def breakthroughs(
    novel: BoolArray,
    unrelated: BoolArray,
    related_share: float,
    rng: np.random.Generator,
) -> BoolArray:
    r"""Which new-to-world combinations are radical (breakthrough) innovations.

    Parameters
    ----------
    novel : ndarray of bool, shape (m,)
        New-to-world combinations (:func:`_classify`).
    unrelated : ndarray of bool, shape (m,)
        Whether the two fields belong to different knowledge families.
    related_share : float in [0, 1]
        :math:`\rho`, chance that a new pair of two fields of one family counts.
    rng : numpy.random.Generator
        Drawn from only when :math:`0 < \rho < 1`.

    Returns
    -------
    ndarray of bool
        :math:`\mathrm{novel} \wedge (\mathrm{unrelated} \vee U < \rho)`.

    Notes
    -----
    Radical novelty comes from recombining knowledge of unrelated fields (Castaldi,
    Frenken & Los 2015, Regional Studies 49(5): 767-781,
    https://doi.org/10.1080/00343404.2014.940305); a new pair of fields of one family
    recombines components that are used together routinely, a local search whose
    outcome is an improvement, not a breakthrough (Fleming 2001, Management Science
    47(1): 117-132, https://doi.org/10.1287/mnsc.47.1.117.10671). The family is the
    grouping of unrelated variety (Frenken, Van Oort & Verburg 2007).

    Examples
    --------
    >>> g = np.random.default_rng(0)
    >>> breakthroughs(np.array([True, True, False]), np.array([True, False, True]), 0.0, g)
    array([ True, False, False])
    """
    if related_share >= 1.0:
        return novel.copy()
    counts = unrelated
    if related_share > 0.0:
        counts = unrelated | (rng.random(novel.size) < related_share)
    return novel & counts


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
        novelty=np.full(won.size, "none"),
        field_b_source=np.full(won.size, "none"),
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


def _family_employment(ws: WorldState, live: IntArray) -> FloatArray:
    """Employment of each region in the industries of each knowledge family, (R, G).

    The grouping of unrelated variety: an industry belongs to its dominant family.
    """
    f = ws.firms
    out = np.zeros((ws.geo.n_regions, len(ws.space.family_names)))
    np.add.at(out, (f.region[live], ws.industries.family[f.industry[live]]), f.employees[live])
    return out


def _second_fields(
    ws: WorldState,
    params: ModelParams,
    firm: IntArray,
    own: FloatArray,
    other: FloatArray,
    rng: np.random.Generator,
    alone: BoolArray | None = None,
) -> tuple[IntArray, IntArray, BoolArray, FloatArray]:
    """Fields of each attempt: own field a; b from the partner or the regional pool.

    ``alone`` marks attempts without a partner (their b always comes from the pool when
    the region holds another field). Returns a, b, whether b came from the pool, and the
    expertise of b's source (the partner, or the region's most expert firm).
    """
    f = ws.firms
    road = roadmap_weights(ws, firm, params)
    a, b = choose_fields(own, other, road, rng)
    live = np.flatnonzero(f.alive)
    share, best = regional_pool(
        f.knowledge[live], f.employees[live], f.region[live], ws.geo.n_regions
    )
    region = f.region[firm]
    ip = params.innovation
    held = (share >= ip.pool_min_share) & (share > 0.0)
    visit = family_encounter_weight(
        _family_employment(ws, live), held, ws.space.family, ip.pool_family_exponent
    )
    pool_b = choose_pool_fields(own, share[region], a, road, ip.pool_min_share, rng, visit[region])
    use = rng.random(firm.size) < ip.regional_pool_share
    if alone is not None:
        use |= alone
    use &= pool_b >= 0
    b = np.where(use, pool_b, b)
    source = np.where(use, best[region, b], other[np.arange(firm.size), b])
    return a, b, use, source


def _classify(
    ws: WorldState,
    a: IntArray,
    b: IntArray,
    region: IntArray,
    rng: np.random.Generator,
    memory: int,
) -> tuple[BoolArray, BoolArray]:
    """New-to-world and new-to-region flags; who came first within a year is random."""
    order = rng.permutation(a.size)
    world, local, ws.last_combined, ws.region_last_combined = classify_novelty(
        np.column_stack([a[order], b[order]]),
        region[order],
        ws.last_combined,
        ws.region_last_combined,
        ws.step,
        memory,
    )
    new_world, new_region = np.empty_like(world), np.empty_like(local)
    new_world[order], new_region[order] = world, local
    return new_world, new_region


def _exposed_rate(
    ws: WorldState, family_emp: FloatArray, firm: IntArray, base: float, ip: InnovationParams
) -> FloatArray:
    """Attempt rate of firms ``firm`` at base rate ``base``, scaled by their exposure."""
    f = ws.firms
    family = ws.industries.family[f.industry[firm]]
    return attempt_rate(family_emp, f.region[firm], family, base, ip.unrelated_exposure_exponent)


def _local_searchers(
    ws: WorldState,
    family_emp: FloatArray,
    learner: IntArray,
    ip: InnovationParams,
    rng: np.random.Generator,
) -> IntArray:
    """Unpartnered firms that search their region's knowledge pool this year.

    Each alive firm without a collaboration or university partner attempts with
    probability ``local_search_rate`` times its exposure factor (:func:`attempt_rate`);
    no draw at all when the rate is 0 (the partnered path is then unchanged).
    """
    if ip.local_search_rate <= 0.0:
        return np.zeros(0, np.int64)
    solo = unpartnered_firms(ws.firms.alive, learner)
    rate = _exposed_rate(ws, family_emp, solo, ip.local_search_rate, ip)
    return solo[rng.random(solo.size) < rate]


def _region_best(ws: WorldState) -> FloatArray:
    """Highest expertise in each field among each region's alive firms, (R, K)."""
    f = ws.firms
    live = np.flatnonzero(f.alive)
    return regional_pool(f.knowledge[live], f.employees[live], f.region[live], ws.geo.n_regions)[1]


def run_radical(
    ws: WorldState, params: ModelParams, rng: np.random.Generator
) -> tuple[IntArray, IntArray, IntArray]:
    """Recombination attempts of firms with partners.

    Returns the regions of the successes that are not new to the world (recombinant,
    including those new to their region), of the new-to-world (radical) ones, and of
    the new-to-region ones.
    """
    f, ip = ws.firms, params.innovation
    # Radical search needs a collaboration partner (firm or university): supply relations
    # teach along the chain (learning) but do not recombine distant knowledge.
    learner, teacher, is_uni = link_pairs(ws, include_supply=False)
    pick = pick_partner(learner, teacher, is_uni, rng)
    family_emp = _family_employment(ws, np.flatnonzero(f.alive))
    rate = _exposed_rate(ws, family_emp, learner[pick], ip.radical_attempt_rate, ip)
    pick = pick[rng.random(pick.size) < rate]
    firm, uni = learner[pick], is_uni[pick]
    own, other = f.knowledge[firm], ws.node_knowledge(teacher[pick], uni)
    solo = _local_searchers(ws, family_emp, learner, ip, rng)
    if (
        solo.size
    ):  # no partner: the region's frontier stands in for one (clusterlab.model.local_search)
        firm, uni = np.concatenate([firm, solo]), np.concatenate([uni, np.zeros(solo.size, bool)])
        frontier = frontier_knowledge(_region_best(ws), f.region[solo])
        own, other = f.knowledge[firm], np.concatenate([other, frontier])
    alone = np.arange(firm.size) >= pick.size
    a, b, pooled, source = _second_fields(ws, params, firm, own, other, rng, alone)
    distance = cognitive_distance_rows(own, other, ws.space.proximity, check_input=False)
    p = radical_success_probability(
        distance,
        f.rd_budget[firm] + f.rd_support[firm],
        uni,
        params.learning.optimal_cognitive_distance,
        ip,
    )
    if ip.unrelated_absorption_exponent > 0.0:  # new unrelated pairs need the home base
        base = absorptive_base(family_emp, ip.unrelated_absorption_exponent)
        fresh = ws.step - ws.last_combined[a, b] > ip.novelty_memory
        new_unrelated = fresh & (ws.space.family[a] != ws.space.family[b])
        p = np.where(new_unrelated, p * base[f.region[firm]], p)
    ok = np.flatnonzero(rng.random(firm.size) < p)
    firm, uni, a, b, pooled, source, distance = (
        x[ok] for x in (firm, uni, a, b, pooled, source, distance)
    )
    novel, regional = _classify(ws, a, b, f.region[firm], rng, ip.novelty_memory)
    gain = recombination_gain(novel, ip, rng)
    family = ws.space.family
    radical = breakthroughs(novel, family[a] != family[b], ip.related_breakthrough_share, rng)
    f.productivity[firm] *= gain
    np.add.at(
        f.knowledge, (firm, b), ip.knowledge_jump * np.maximum(0.0, source - f.knowledge[firm, b])
    )
    np.clip(f.knowledge, 0.0, 1.0, out=f.knowledge)
    _log(ws, firm, a, b, (novel, radical, regional), (uni, alone[ok]), pooled, distance, gain)
    region = f.region[firm]
    return region[~radical], region[radical], region[regional]


def _log(
    ws: WorldState,
    firm: IntArray,
    a: IntArray,
    b: IntArray,
    flags: tuple[BoolArray, BoolArray, BoolArray],
    partner: tuple[BoolArray, BoolArray],
    pooled: BoolArray,
    distance: FloatArray,
    gain: FloatArray,
) -> None:
    """Record the successful recombinations as innovation events.

    ``flags``: new to the world, radical (a new-to-world breakthrough), new to the region;
    ``partner``: whether the partner is a university, whether there is none (local search).
    """
    (novel, radical, regional), (uni, alone), f, n = flags, partner, ws.firms, firm.size
    ws.events.add(
        "innovation",
        step=np.full(n, ws.step),
        firm=f.id[firm],
        region=f.region[firm],
        cluster=f.cluster[firm],
        industry=f.industry[firm],
        kind=np.where(radical, "radical", "recombinant"),
        field_a=a,
        field_b=b,
        novel=novel,
        novelty=np.where(novel, "world", np.where(regional, "region", "none")),
        field_b_source=np.where(pooled, "region", "partner"),
        partner_type=np.where(alone, "none", np.where(uni, "university", "firm")),
        distance=distance,
        gain=gain - 1.0,
    )
