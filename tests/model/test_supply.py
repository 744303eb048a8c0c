from collections import Counter

import numpy as np
import pytest

from model.state import FirmTable, Instrument, LinkKind, LinkTable
from model.supply import NEVER, choose_suppliers, current_suppliers, rewire_supply, supply_need

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
