import numpy as np
import pytest

from model.state import (
    SPENDING_INSTRUMENTS,
    EventLog,
    FirmTable,
    Instrument,
    LinkKind,
    LinkTable,
)


def link_rows(n, **changes):
    cols = {
        "a": np.arange(n),
        "b": np.arange(n) + 1,
        "kind": np.full(n, LinkKind.COLLABORATION),
        "formed": np.zeros(n),
        "expires": np.full(n, 3),
        "cross_cluster": np.zeros(n, bool),
        "interregional": np.zeros(n, bool),
        "fee": np.full(n, 0.03),
        "instrument": np.full(n, Instrument.CROSS_CLUSTER),
        "eligible_share": np.zeros(n),
        "active": np.ones(n, bool),
    }
    return cols | changes


def test_empty_tables_have_typed_columns():
    firms = FirmTable.empty(5)
    assert len(firms) == 0
    assert firms.knowledge.shape == (0, 5)
    assert firms.alive.dtype == np.bool_
    assert firms.region.dtype == np.int64
    assert firms.cash.dtype == np.float64


def test_append_returns_the_new_rows_and_casts_to_column_types():
    links = LinkTable.empty(0)
    first = links.append(**link_rows(2))
    second = links.append(**link_rows(3, formed=np.full(3, 1.0)))
    assert first.tolist() == [0, 1]
    assert second.tolist() == [2, 3, 4]
    assert len(links) == 5
    assert links.formed.dtype == np.int64
    assert links.formed.tolist() == [0, 0, 1, 1, 1]


def test_append_reshapes_matrix_columns():
    firms = FirmTable.empty(3)
    cols = {name: np.zeros(2) for name in FirmTable.__dataclass_fields__}
    cols["knowledge"] = np.arange(6) / 10
    firms.append(**cols)
    assert firms.knowledge.tolist() == [[0.0, 0.1, 0.2], [0.3, 0.4, 0.5]]


def test_append_without_every_column_raises():
    cols = link_rows(1)
    del cols["fee"], cols["active"]
    with pytest.raises(KeyError, match=r"missing columns \['active', 'fee'\]"):
        LinkTable.empty(0).append(**cols)


def test_many_appends_keep_every_row_and_edits_in_place():
    links = LinkTable.empty(0)
    for i in range(40):
        links.append(**link_rows(3, formed=np.full(3, i)))
        links.active[0] = False  # an edit in place survives later appends
    assert len(links) == 120
    assert links.formed.tolist() == [i for i in range(40) for _ in range(3)]
    assert links.active.sum() == 119
    assert not links.active[0]


def test_append_after_a_column_was_replaced_keeps_the_new_values():
    firms = FirmTable.empty(2)
    cols = {name: np.zeros(2) for name in FirmTable.__dataclass_fields__}
    cols["knowledge"] = np.zeros((2, 2))
    firms.append(**cols)
    firms.knowledge = np.ones((2, 2))  # as learning does each year
    firms.append(**cols)
    assert firms.knowledge.tolist() == [[1, 1], [1, 1], [0, 0], [0, 0]]
    kept = firms.cash  # a column held before an append is not changed by it
    firms.append(**cols)
    assert kept.shape == (4,)


def test_append_with_columns_of_different_lengths_raises():
    with pytest.raises(ValueError, match="differ in length"):
        LinkTable.empty(0).append(**link_rows(2, fee=np.zeros(3)))


def test_event_log_concatenates_batches_and_skips_empty_ones():
    log = EventLog()
    log.add("birth", step=[1, 1], firm=[10, 11])
    log.add("birth", step=np.zeros(0), firm=np.zeros(0))
    log.add("birth", step=2, firm=12)  # scalars become one event
    log.add("death", step=[3], firm=[10])
    assert log.kinds() == ["birth", "death"]
    cols = log.columns("birth")
    assert cols["step"].tolist() == [1, 1, 2]
    assert cols["firm"].tolist() == [10, 11, 12]
    assert log.columns("innovation") == {}


def test_event_log_rejects_columns_of_different_lengths():
    with pytest.raises(ValueError, match="columns of 'birth' differ in length"):
        EventLog().add("birth", step=[1, 2], firm=[1])


def test_spending_instruments_are_all_but_none_in_order():
    assert Instrument.NONE not in SPENDING_INSTRUMENTS
    assert list(SPENDING_INSTRUMENTS) == sorted(SPENDING_INSTRUMENTS)
    assert len(SPENDING_INSTRUMENTS) == len(Instrument) - 1


def test_node_knowledge_reads_firm_and_university_rows(make_model):
    ws = make_model(n_firms=100, burn_in=0).state
    nodes = np.array([5, 0, 7])
    university = np.array([False, True, False])
    out = ws.node_knowledge(nodes, university)
    np.testing.assert_array_equal(out[0], ws.firms.knowledge[5])
    np.testing.assert_array_equal(out[1], ws.unis.knowledge[0])
    np.testing.assert_array_equal(out[2], ws.firms.knowledge[7])
    out[0] = -1.0  # a copy: the tables are untouched
    assert (ws.firms.knowledge[5] >= 0).all()
