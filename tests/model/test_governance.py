import numpy as np
import pytest

from clusterlab.model.governance import (
    capacity_factor,
    fund_organizations,
    org_knowledge,
    update_partnerships,
)
from clusterlab.model.params import GovernanceParams


def test_capacity_factor_hand_values():
    budget = np.array([0.0, 0.1, 0.2, 0.4])
    np.testing.assert_allclose(capacity_factor(budget, 0.2), [0.0, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(capacity_factor(budget, 0.0), [1.0, 1.0, 1.0, 1.0])


def test_fund_organizations_budget_brokerage_and_pooled_rd(make_model):
    ws = make_model(n_firms=200).state
    f, orgs = ws.firms, ws.orgs
    gov = GovernanceParams(
        member_fee_per_year=0.01, pooled_rd_share=0.5, brokerage_base=2, brokerage_per_meur=10.0
    )
    f.alive[np.flatnonzero(f.cluster == 0)[:3]] = False  # dead members neither pay nor get
    sme = f.employees < np.median(f.employees)
    public = np.linspace(0.0, 0.5, len(orgs))
    fund_organizations(ws, public, sme, gov)
    for c in range(len(orgs)):
        members = f.alive & (f.cluster == c)
        budget = public[c] + 0.01 * members.sum()
        assert orgs.budget[c] == pytest.approx(budget)
        assert orgs.public_funding[c] == public[c]
        assert orgs.brokerage[c] == int(np.floor(2 + 10 * budget))
        smes = members & sme
        # the pool is shared equally among alive SME members, nothing to anybody else
        np.testing.assert_allclose(f.rd_support[smes], 0.5 * budget / smes.sum())
        assert not f.rd_support[members & ~sme].any()
    assert not f.rd_support[f.cluster < 0].any()
    assert not f.rd_support[~f.alive].any()


def test_an_organization_without_sme_members_pools_nothing(make_model):
    ws = make_model(n_firms=200).state
    sme = np.zeros(len(ws.firms), bool)
    fund_organizations(ws, np.full(len(ws.orgs), 1.0), sme, GovernanceParams())
    assert not ws.firms.rd_support.any()
    assert (ws.orgs.budget >= 1.0).all()


def test_org_knowledge_is_the_mean_of_alive_members(make_model):
    ws = make_model(n_firms=200).state
    f = ws.firms
    out = org_knowledge(ws)
    for c in range(len(ws.orgs)):
        members = f.alive & (f.cluster == c)
        np.testing.assert_allclose(out[c], f.knowledge[members].mean(axis=0))


def test_partnerships_are_mutual_and_across_regions(make_model):
    ws = make_model(n_firms=200, n_regions=4).state
    orgs = ws.orgs
    orgs.partner[:] = -1
    orgs.budget[:] = 1.0  # everyone can afford a partner
    update_partnerships(ws, 0.15, GovernanceParams(partnership_min_budget=0.2))
    has = np.flatnonzero(orgs.partner >= 0)
    assert has.size >= len(orgs) - 1
    assert (orgs.partner[orgs.partner[has]] == has).all()
    assert (orgs.region[orgs.partner[has]] != orgs.region[has]).all()


def test_partnerships_need_a_budget(make_model):
    ws = make_model(n_firms=200).state
    orgs = ws.orgs
    orgs.budget[:] = 0.1
    update_partnerships(ws, 0.15, GovernanceParams(partnership_min_budget=0.2))
    assert (orgs.partner == -1).all()


def test_dropping_both_ends_of_a_partnership_leaves_other_partnerships_intact(make_model):
    ws = make_model(n_firms=300, n_regions=4).state
    orgs = ws.orgs
    n = len(orgs)
    assert n >= 4
    last = n - 1
    other = int(np.flatnonzero(orgs.region != orgs.region[last])[0])
    poor_a, poor_b = _two_poor(orgs, last, other)
    orgs.partner[:] = -1
    orgs.partner[[poor_a, poor_b]] = [poor_b, poor_a]
    orgs.partner[[last, other]] = [other, last]
    orgs.budget[:] = 0.0  # nobody else may seek a partner
    orgs.budget[[last, other]] = 1.0
    update_partnerships(ws, 0.15, GovernanceParams(partnership_min_budget=0.2))
    # the poor pair both lose their partner; the funded pair keeps theirs
    assert orgs.partner[poor_a] == orgs.partner[poor_b] == -1
    assert orgs.partner[last] == other
    assert orgs.partner[other] == last


def _two_poor(orgs, last, other):
    """Two organizations of different regions, neither ``last`` nor ``other``."""
    rest = [c for c in range(len(orgs)) if c not in (last, other)]
    a = rest[0]
    b = next(c for c in rest[1:] if orgs.region[c] != orgs.region[a])
    return a, b


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_partnerships_stay_mutual_through_a_governance_run(make_model, seed):
    model = make_model("governance", rng=seed, n_firms=250, policy_budget=1.0)
    orgs = model.state.orgs
    ever = 0
    for _ in range(12):
        model.step()
        has = np.flatnonzero(orgs.partner >= 0)
        ever += has.size
        assert (orgs.partner[orgs.partner[has]] == has).all()
        assert (orgs.region[orgs.partner[has]] != orgs.region[has]).all()
        assert (orgs.budget[has] >= model.params.governance.partnership_min_budget).all()
    assert ever > 0
