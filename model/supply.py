"""Supply links: customers in downstream industries buy from firms of upstream industries.

Supply links are market relations, free of fees and subsidies. Each firm of an industry
that has suppliers keeps ``suppliers_per_firm`` of them; a customer that lacks some (a new
firm, or one whose supplier exited) chooses new ones among the firms of its upstream
industries with weights that rise with the supplier's size and fall with distance.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from model.sampling import top_k
from model.state import FirmTable, Instrument, LinkKind, LinkTable

__all__ = ["rewire_supply"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NEVER = np.iinfo(np.int64).max // 2
"""Expiry step of links that do not expire."""


def supply_need(
    firms: FirmTable, links: LinkTable, has_upstream: BoolArray, per_firm: int
) -> IntArray:
    """Count the suppliers each firm still needs (0 in industries without suppliers)."""
    active = links.active & (links.kind == LinkKind.SUPPLY)
    have = np.bincount(links.a[active], minlength=len(firms))
    need = np.where(firms.alive & has_upstream[firms.industry], per_firm - have, 0)
    return np.maximum(need, 0)


def current_suppliers(links: LinkTable, customers: IntArray, candidates: IntArray) -> BoolArray:
    """Mark, for each customer and candidate, whether the customer already buys from it.

    Returns a bool array of shape (customers, candidates); both index arrays must be sorted
    (as ``np.flatnonzero`` returns them).
    """
    live = links.active & (links.kind == LinkKind.SUPPLY)
    a, b = links.a[live], links.b[live]
    size = 1 + max(int(rows.max(initial=0)) for rows in (a, b, customers, candidates))
    is_customer, is_candidate = np.zeros(size, bool), np.zeros(size, bool)
    is_customer[customers] = True
    is_candidate[candidates] = True
    keep = is_customer[a] & is_candidate[b]
    taken = np.zeros((customers.size, candidates.size), dtype=bool)
    taken[np.searchsorted(customers, a[keep]), np.searchsorted(candidates, b[keep])] = True
    return taken


def choose_suppliers(
    customers: IntArray,
    need: IntArray,
    candidates: IntArray,
    firms: FirmTable,
    distance_scale: float,
    rng: np.random.Generator,
    taken: BoolArray | None = None,
) -> tuple[IntArray, IntArray]:
    r"""Weighted sampling without replacement of suppliers for each customer.

    Weights are :math:`E_j \exp(-d_{ij}/\lambda)`; sampling uses the Gumbel top-k trick
    (:mod:`model.sampling`: one Gumbel per customer-candidate pair, row by row, keys
    computed only where they can win, customers in blocks so that memory stays bounded).
    ``taken`` (customers x candidates) marks current suppliers, which are not drawn again.
    Returns paired arrays (customer, supplier).
    """
    if customers.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    row, col = top_k(
        (firms.x[customers], firms.y[customers]),
        (firms.x[candidates], firms.y[candidates]),
        np.log(firms.employees[candidates] + 1e-9),
        distance_scale,
        min(int(need.max()), candidates.size),
        rng,
        taken,
    )
    # each customer's winners come in decreasing key order: keep as many as it needs
    keep = np.arange(row.size) - np.searchsorted(row, row, "left") < need[row]
    return customers[row[keep]], candidates[col[keep]]


def rewire_supply(
    firms: FirmTable,
    links: LinkTable,
    supplies: BoolArray,
    per_firm: int,
    distance_scale: float,
    step: int,
    rng: np.random.Generator,
) -> int:
    """Give every customer firm the suppliers it lacks. Returns the number of new links."""
    has_upstream = supplies.any(axis=0)
    need = supply_need(firms, links, has_upstream, per_firm)
    new_a, new_b = [], []
    needy = np.flatnonzero(need > 0)
    alive = np.flatnonzero(firms.alive)
    needy_industry, alive_industry = firms.industry[needy], firms.industry[alive]
    for q in np.flatnonzero(has_upstream):
        customers = needy[needy_industry == q]
        candidates = alive[supplies[alive_industry, q]]
        if customers.size == 0 or candidates.size == 0:
            continue
        taken = current_suppliers(links, customers, candidates)
        a, b = choose_suppliers(
            customers, need[customers], candidates, firms, distance_scale, rng, taken
        )
        new_a.append(a)
        new_b.append(b)
    if not new_a:
        return 0
    a, b = np.concatenate(new_a), np.concatenate(new_b)
    same_cluster = (firms.cluster[a] >= 0) & (firms.cluster[a] == firms.cluster[b])
    links.append(
        a=a,
        b=b,
        kind=np.full(a.size, LinkKind.SUPPLY),
        formed=np.full(a.size, step),
        expires=np.full(a.size, NEVER),
        cross_cluster=~same_cluster,
        interregional=firms.region[a] != firms.region[b],
        fee=np.zeros(a.size),
        instrument=np.full(a.size, Instrument.NONE),
        eligible_share=np.zeros(a.size),
        active=np.ones(a.size, bool),
    )
    return int(a.size)
