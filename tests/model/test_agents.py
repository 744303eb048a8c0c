import numpy as np

from clusterlab.model.agents import ClusterOrganization, Firm, University


def test_firm_agent_reads_its_row(make_model):
    model = make_model(n_firms=100, burn_in=1)
    f = model.state.firms
    agent = model.firm_agents[7]
    assert isinstance(agent, Firm)
    assert agent.idx == 7
    assert agent.industry == f.industry[7]
    assert agent.region == f.region[7]
    assert agent.cluster == f.cluster[7]
    assert agent.employees == f.employees[7]
    assert agent.productivity == f.productivity[7]
    assert agent.cash == f.cash[7]
    np.testing.assert_array_equal(agent.knowledge, f.knowledge[7])
    assert agent.cell.coordinate == (f.x[7], f.y[7])


def test_firm_agent_is_a_live_view_and_knowledge_a_copy(make_model):
    model = make_model(n_firms=100, burn_in=0)
    f = model.state.firms
    agent = model.firm_agents[3]
    f.cash[3] = 42.0
    assert agent.cash == 42.0
    k = agent.knowledge
    k[:] = -1.0
    assert (f.knowledge[3] >= 0).all()


def test_is_sme_follows_the_size_limit(make_model):
    model = make_model(n_firms=100, burn_in=0, sme_employee_limit=50.0)
    f = model.state.firms
    agent = model.firm_agents[0]
    f.employees[0] = 49.9
    assert agent.is_sme
    f.employees[0] = 50.0
    assert not agent.is_sme


def test_university_and_organization_agents(make_model):
    model = make_model(n_firms=150, burn_in=0)
    ws = model.state
    unis = sorted(model.agents_by_type[University], key=lambda a: a.idx)
    assert [u.idx for u in unis] == list(range(len(ws.unis)))
    for u in unis:
        assert u.region == ws.unis.region[u.idx]
        np.testing.assert_array_equal(u.knowledge, ws.unis.knowledge[u.idx])
        assert u.cell.coordinate == (ws.unis.x[u.idx], ws.unis.y[u.idx])
    orgs = sorted(model.agents_by_type[ClusterOrganization], key=lambda a: a.idx)
    ws.orgs.budget[:] = np.arange(len(ws.orgs)) / 10
    ws.orgs.partner[0] = 1
    for o in orgs:
        assert o.cluster == o.idx
        assert o.budget == o.idx / 10
        assert o.cell.coordinate == (ws.orgs.x[o.idx], ws.orgs.y[o.idx])
    assert orgs[0].partner == 1


def test_a_firm_agent_follows_its_firm_when_rows_move(make_model):
    model = make_model(n_firms=200, burn_in=0)
    survivors = []
    for _ in range(6):
        watched = {a.firm_id: (a, a.idx) for a in model.firm_agents.values()}  # read now
        model.step()
        f = model.state.firms
        for firm_id, (agent, old_row) in watched.items():
            if firm_id in model.firm_agents:  # still alive
                assert agent.idx == int(f.rows_of(firm_id))
                assert agent.employees == f.employees[agent.idx]
                survivors.append(agent.idx != old_row)
    assert any(survivors), "rows must have moved for this test to mean anything"
