import copy
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from clusterlab.model.state import FirmTable, Instrument, LinkKind, LinkTable
from clusterlab.model.supply import (
    NEVER,
    choose_suppliers,
    current_suppliers,
    rewire_supply,
    supply_need,
)

# industry 0 supplies industry 1; industry 2 buys from nobody
SUPPLIES = np.array([[False, True, False], [False, False, False], [False, False, False]])


def firm_table(industry, x=None, y=None, employees=None):
    n = len(industry)
    firms = FirmTable.empty(2)
    cols = {name: np.zeros(n) for name in FirmTable.__dataclass_fields__}
    cols |= {
        "alive": np.ones(n, bool),
        "industry": industry,
        "x": np.arange(n) if x is None else x,
        "y": np.zeros(n) if y is None else y,
        "employees": np.full(n, 10.0) if employees is None else employees,
        "cluster": np.full(n, -1),
        "knowledge": np.zeros((n, 2)),
    }
    firms.append(**cols)
    return firms


def active_supply(links):
    live = links.active & (links.kind == LinkKind.SUPPLY)
    return links.a[live], links.b[live]


def test_supply_need_counts_missing_suppliers_of_downstream_firms():
    firms = firm_table([0, 1, 1, 2, 1])
    firms.alive[4] = False
    links = LinkTable.empty(0)
    links.append(
        a=[1],
        b=[0],
        kind=[LinkKind.SUPPLY],
        formed=[0],
        expires=[NEVER],
        cross_cluster=[True],
        interregional=[False],
        fee=[0.0],
        instrument=[Instrument.NONE],
        eligible_share=[0.0],
        active=[True],
        viable_unsubsidised=[True],
    )
    # firm 1 has one of two; firm 2 none; upstream, unrelated and dead firms need none
    assert supply_need(firms, links, SUPPLIES.any(axis=0), 2).tolist() == [0, 1, 2, 0, 0]


def test_choose_suppliers_distinct_and_as_many_as_needed(rng):
    firms = firm_table([1, 1, 0, 0, 0, 0], x=np.array([0, 9, 0, 3, 6, 9]))
    customers, candidates = np.array([0, 1]), np.array([2, 3, 4, 5])
    a, b = choose_suppliers(customers, np.array([3, 1]), candidates, firms, 1e3, rng)
    assert Counter(a.tolist()) == {0: 3, 1: 1}
    assert set(b.tolist()) <= set(candidates.tolist())
    pairs = list(zip(a.tolist(), b.tolist(), strict=True))
    assert len(set(pairs)) == len(pairs)


def test_choose_suppliers_prefers_near_suppliers(rng):
    # customer at x=0; suppliers at x=0 and x=30 of equal size; distance scale 2 cells
    firms = firm_table([1, 0, 0], x=np.array([0, 0, 30]))
    picks = [
        choose_suppliers(np.array([0]), np.array([1]), np.array([1, 2]), firms, 2.0, rng)[1][0]
        for _ in range(200)
    ]
    assert picks.count(1) > 190


def test_choose_suppliers_draws_by_size_and_distance():
    # five upstream firms at known cells; weights (E + 1e-9) exp(-d / 4); 10,000 customers
    x, y = np.array([0, 0, 3, 10, 11, 40]), np.array([0, 0, 4, 2, 12, 40])
    employees = np.array([1.0, 5.0, 1.0, 20.0, 3.0, 400.0])
    n = 10_000
    firms = firm_table(
        np.r_[0, 0, 0, 0, 0, np.ones(n, int)],
        x=np.r_[x[1:], np.full(n, 2)],
        y=np.r_[y[1:], np.full(n, 3)],
        employees=np.r_[employees[1:], np.ones(n)],
    )
    customers, candidates = np.arange(5, 5 + n), np.arange(5)
    w = employees[1:] * np.exp(-np.hypot(2 - x[1:], 3 - y[1:]) / 4.0)
    rng = np.random.default_rng(3)
    a, b = choose_suppliers(customers, np.ones(n, int), candidates, firms, 4.0, rng)
    np.testing.assert_array_equal(a, customers)
    assert stats.chisquare(np.bincount(b, minlength=5), n * w / w.sum()).pvalue > 1e-4
    # two each: ordered pairs as successive sampling, P(j, k) = w_j / W * w_k / (W - w_j)
    a, b = choose_suppliers(customers, np.full(n, 2), candidates, firms, 4.0, rng)
    first, second = b[::2], b[1::2]
    observed = np.bincount(first * 5 + second, minlength=25)
    expected = (w[:, None] / w.sum() * w[None, :] / (w.sum() - w[:, None])).ravel()
    expected[::6] = 0.0  # never the same firm twice
    assert observed[::6].sum() == 0
    big = n * expected >= 5
    observed = np.append(observed[big], observed[~big].sum())
    expected = n * np.append(expected[big], expected[~big].sum())
    assert stats.chisquare(observed, expected).pvalue > 1e-4


def test_current_suppliers_marks_active_supply_pairs(rng):
    firms = firm_table([0, 0, 0, 1, 1])
    links = LinkTable.empty(0)
    rewire_supply(firms, links, SUPPLIES, 1, 5.0, step=0, rng=rng)
    a, b = active_supply(links)
    taken = current_suppliers(links, np.array([3, 4]), np.array([0, 1, 2]))
    expected = np.zeros((2, 3), bool)
    expected[a - 3, b] = True
    np.testing.assert_array_equal(taken, expected)
    links.active[:] = False
    assert not current_suppliers(links, np.array([3, 4]), np.array([0, 1, 2])).any()


def test_a_current_supplier_is_never_drawn_again():
    # the taken supplier is next door and large; the other is far and small
    firms = firm_table([1, 0, 0], x=np.array([0, 0, 50]), employees=np.array([1.0, 1e4, 1.0]))
    taken = np.array([[True, False]])
    for seed in range(50):
        rng = np.random.default_rng(seed)
        _, b = choose_suppliers(
            np.array([0]), np.array([1]), np.array([1, 2]), firms, 2.0, rng, taken
        )
        assert b.tolist() == [2]
    # asking for more than the untaken candidates gives only those
    _, b = choose_suppliers(np.array([0]), np.array([2]), np.array([1, 2]), firms, 2.0, rng, taken)
    assert b.tolist() == [2]


def test_rewire_gives_each_customer_its_suppliers_from_upstream(rng):
    industry = np.array([0, 0, 0, 0, 1, 1, 1, 2])
    firms = firm_table(industry)
    links = LinkTable.empty(0)
    made = rewire_supply(firms, links, SUPPLIES, 2, 5.0, step=4, rng=rng)
    assert made == 6
    a, b = active_supply(links)
    assert Counter(a.tolist()) == {4: 2, 5: 2, 6: 2}
    assert (industry[b] == 0).all()
    assert len(set(zip(a.tolist(), b.tolist(), strict=True))) == 6
    assert (links.fee == 0).all()
    assert (links.instrument == Instrument.NONE).all()
    assert (links.expires == NEVER).all()
    assert (links.formed == 4).all()
    # nothing is missing, so nothing more is made
    assert rewire_supply(firms, links, SUPPLIES, 2, 5.0, step=5, rng=rng) == 0


def test_rewire_replaces_a_lost_supplier_with_a_new_one(rng):
    industry = np.array([0, 0, 0, 1])
    firms = firm_table(industry)
    links = LinkTable.empty(0)
    rewire_supply(firms, links, SUPPLIES, 2, 5.0, step=0, rng=rng)
    _, before = active_supply(links)
    lost = before[0]
    firms.alive[lost] = False
    links.active[links.b == lost] = False
    assert rewire_supply(firms, links, SUPPLIES, 2, 5.0, step=1, rng=rng) == 1
    _, after = active_supply(links)
    assert sorted(after.tolist()) == sorted(set(after.tolist())), "a supplier twice"
    assert lost not in after.tolist()
    assert after.size == 2


@pytest.mark.parametrize("seed", [1, 2])
def test_in_a_run_every_customer_keeps_distinct_upstream_suppliers(make_model, seed):
    model = make_model("baseline", rng=seed, n_firms=300)
    for _ in range(10):
        model.step()
    ws = model.state
    f, per_firm = ws.firms, model.params.networking.suppliers_per_firm
    a, b = active_supply(ws.links)
    assert f.alive[a].all()
    assert f.alive[b].all()
    assert ws.industries.supplies[f.industry[b], f.industry[a]].all(), "supplier not upstream"
    pairs = list(zip(a.tolist(), b.tolist(), strict=True))
    assert len(pairs) == len(set(pairs)), "a customer buys twice from one supplier"
    has_upstream = ws.industries.supplies.any(axis=0)
    counts = np.bincount(a, minlength=len(f))
    customers = np.flatnonzero(f.alive & has_upstream[f.industry])
    for q in np.unique(f.industry[customers]):
        sellers = (f.alive & ws.industries.supplies[f.industry, q]).sum()
        in_q = customers[f.industry[customers] == q]
        assert (counts[in_q] == min(per_firm, sellers)).all()
    assert not counts[f.alive & ~has_upstream[f.industry]].any()


def test_no_supply_links_when_suppliers_per_firm_is_zero(rng):
    firms = firm_table([0, 0, 1, 1])
    links = LinkTable.empty(0)
    assert rewire_supply(firms, links, SUPPLIES, 0, 5.0, step=0, rng=rng) == 0
    assert len(links) == 0


def test_rewire_draws_as_choose_suppliers_industry_by_industry(make_model):
    # one call of the sampler for every industry gives what one call per industry gives
    model = make_model("baseline", rng=3, n_firms=300)
    for _ in range(3):
        model.step()
    ws, p = model.state, model.params.networking
    live = np.flatnonzero(ws.links.active & (ws.links.kind == LinkKind.SUPPLY))
    ws.links.active[live[::3]] = False  # customers that keep one supplier and lose one
    links = copy.deepcopy(ws.links)
    f, supplies = ws.firms, ws.industries.supplies
    made = rewire_supply(f, links, supplies, p.suppliers_per_firm, 6.0, 9, np.random.default_rng(4))
    need = supply_need(f, ws.links, supplies.any(axis=0), p.suppliers_per_firm)
    rng = np.random.default_rng(4)
    expected_a, expected_b = [], []
    for q in np.flatnonzero(supplies.any(axis=0)):
        customers = np.flatnonzero((need > 0) & (f.industry == q))
        candidates = np.flatnonzero(f.alive & supplies[f.industry, q])
        if customers.size:
            taken = current_suppliers(ws.links, customers, candidates)
            a, b = choose_suppliers(customers, need[customers], candidates, f, 6.0, rng, taken)
            expected_a.append(a)
            expected_b.append(b)
    new = slice(len(ws.links), None)
    assert made == len(links) - len(ws.links) > 0
    np.testing.assert_array_equal(links.a[new], np.concatenate(expected_a))
    np.testing.assert_array_equal(links.b[new], np.concatenate(expected_b))
