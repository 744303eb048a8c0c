import numpy as np
import pandas as pd
import pytest

from clusterlab.model.state import (
    SPENDING_INSTRUMENTS,
    EventLog,
    FirmTable,
    Instrument,
    LinkKind,
    LinkTable,
    WorldState,
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
        "viable_unsubsidised": np.ones(n, bool),
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
    log.add("link", step=np.zeros(0, np.int64), partner_is_university=np.zeros(0, bool))
    empty = log.columns("link")  # never happened, but its columns are known
    assert list(empty) == ["step", "partner_is_university"]
    assert [a.dtype for a in empty.values()] == [np.int64, np.bool_]
    assert all(a.size == 0 for a in empty.values())
    assert "link" not in log.kinds()


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


# --- compaction: exited firms and ended links are dropped at the start of a year ---------------


def test_compact_drops_exited_firms_and_ended_links_and_renumbers_link_ends(make_model):
    ws = make_model(n_firms=60, burn_in=0).state
    f, links = ws.firms, ws.links
    # three firm-firm links and one university link, on known firms
    links.append(
        **link_rows(4)
        | {
            "a": [10, 11, 40, 41],
            "b": [20, 30, 50, 0],
            "kind": [LinkKind.COLLABORATION] * 3 + [LinkKind.UNIVERSITY],
        }
    )
    added = np.arange(len(links) - 4, len(links))
    links.active[:] = False
    links.active[added] = True
    links.active[added[1]] = False  # an ended link (10 is not its end, 11 is)
    f.alive[[5, 30, 55]] = False  # firm 30 exits with its link (already ended above)
    before = {name: getattr(f, name).copy() for name in ("id", "cash", "knowledge")}
    ws.compact()
    kept = np.setdiff1d(np.arange(60), [5, 30, 55])
    assert len(f) == 57
    assert f.alive.all()
    np.testing.assert_array_equal(f.id, before["id"][kept])
    np.testing.assert_array_equal(f.cash, before["cash"][kept])
    np.testing.assert_array_equal(f.knowledge, before["knowledge"][kept])
    assert len(links) == 3
    assert links.active.all()
    # the same firms (by id) at the ends, rows renumbered; a university end is not a firm row
    assert f.id[links.a].tolist() == [10, 40, 41]
    assert f.id[links.b[:2]].tolist() == [20, 50]
    assert links.b[2] == 0
    assert links.kind[2] == LinkKind.UNIVERSITY
    assert f.rows_of([10, 59]).tolist() == [9, 56]
    with pytest.raises(KeyError, match=r"firm ids \[30\] are not in the firm table"):
        f.rows_of([30])
    assert int(f.rows_of(41)) == 39  # one id gives one row


def test_compact_refuses_a_link_to_an_exited_firm(make_model):
    ws = make_model(n_firms=30, burn_in=0).state
    ws.links.append(**link_rows(1) | {"a": [3], "b": [4]})
    ws.firms.alive[4] = False  # exited without its link being ended: a broken state
    with pytest.raises(RuntimeError, match="exited firm"):
        ws.compact()


def test_new_firms_get_new_ids_and_a_division_its_parents_group(make_model):
    model = make_model(n_firms=40, burn_in=0)
    ws, f = model.state, model.state.firms
    issued = ws.firm_ids_issued
    f.alive[:10] = False
    ws.links.active[:] = False  # as exits would have ended their links
    ws.compact()  # row 0 is now firm 10
    from clusterlab.model.demography import add_firms
    from clusterlab.model.state import Origin

    new = add_firms(
        ws,
        model.params,
        x=[1, 2, 3],
        y=[1, 2, 3],
        industry=[0, 0, 0],
        origin=[Origin.DIVISION, Origin.SPINOFF, Origin.ACADEMIC_SPINOFF],
        parent=[0, 0, -1 - 2],  # parents by row
        cluster=[-1, -1, -1],
        knowledge=np.zeros((3, ws.space.n_fields)),
        productivity=[1.0, 1.0, 1.0],
        employees=[5.0, 5.0, 5.0],
        cash=[1.0, 1.0, 1.0],
    )
    assert f.id[new].tolist() == [issued, issued + 1, issued + 2]
    assert ws.firm_ids_issued == issued + 3
    assert f.parent[new].tolist() == [10, 10, -3]  # the table keeps the parent's id
    assert f.group[new].tolist() == [f.group[0], issued + 1, issued + 2]
    assert ws.events.columns("birth")["firm"][-3:].tolist() == f.id[new].tolist()


def test_compaction_changes_no_result(
    make_model, monkeypatch, assert_frames_close, assert_arrays_close
):
    """A run that never drops a row gives the same outputs: compaction is bookkeeping only.

    The same events, ids and counts; floats to the suite's tolerance, not to the bit: with
    fewer rows some sums run over tables of another length and round differently in the
    last bit. (OpenBLAS's FMA kernels compute the last row of ``knowledge @ proximity`` in
    another order when the number of firms plus universities is odd, so a university's
    projected knowledge moves by an ulp: 4 of 884 panel cells by 1.4e-14 after 12 years on
    an AVX2 machine, none with a non-FMA kernel. docs/reproducibility.md.)
    """

    def run():
        model = make_model("ris3_relatedness", rng=4, n_firms=250, burn_in=2)
        for _ in range(12):
            model.step()
        ws, recorder = model.state, model.recorder
        clusters, panel = pd.DataFrame(recorder.cluster_rows), np.stack(recorder.panel)
        return ws, pd.DataFrame(recorder.rows), ws.events, clusters, panel

    compacted, rows, events, clusters, panel = run()
    assert compacted.firm_ids_issued > len(compacted.firms), "some rows must have been dropped"
    with monkeypatch.context() as m:
        m.setattr(WorldState, "compact", lambda self: None)
        full, full_rows, full_events, full_clusters, full_panel = run()
    assert len(full.firms) == full.firm_ids_issued
    assert_frames_close(rows, full_rows, obj="time series")
    assert_frames_close(clusters, full_clusters, obj="clusters")
    assert_arrays_close(panel, full_panel)
    assert events.kinds() == full_events.kinds()
    for kind in events.kinds():
        assert_frames_close(
            pd.DataFrame(events.columns(kind)), pd.DataFrame(full_events.columns(kind)), obj=kind
        )
    kept = full.firms.rows_of(compacted.firms.id)
    assert_arrays_close(full.firms.knowledge[kept], compacted.firms.knowledge)
    assert_arrays_close(full.firms.cash[kept], compacted.firms.cash)
    live = full.links.active
    ends = full.firms.id[full.links.a[live]]
    ends_compacted = compacted.links.a[compacted.links.active]
    np.testing.assert_array_equal(ends, compacted.firms.id[ends_compacted])


def test_arrays_read_before_a_compaction_or_an_append_keep_their_values(make_model):
    ws = make_model(n_firms=30, burn_in=0).state
    ws.links.active[:] = False
    cash = ws.firms.cash  # a column as read before (no copy)
    before = cash.copy()
    ws.firms.alive[[0, 1]] = False
    ws.compact()
    np.testing.assert_array_equal(cash, before)
    np.testing.assert_array_equal(ws.firms.cash, before[2:])
    column = ws.firms.cash
    ws.firms.append(**{k: getattr(ws.firms, k)[:2] for k in ws.firms.__dataclass_fields__})
    np.testing.assert_array_equal(column, before[2:])
    np.testing.assert_array_equal(ws.firms.cash[:-2], before[2:])


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_table_keeps_its_changes_through_an_append(how):
    import copy
    import pickle

    links = LinkTable.empty(0)
    links.append(**link_rows(3))
    links.append(**link_rows(1))  # the columns now live in buffers with room to grow
    twin = copy.deepcopy(links) if how == "deepcopy" else pickle.loads(pickle.dumps(links))
    twin.active[0] = False  # changed in place in the copy
    twin.append(**link_rows(1))
    assert twin.active.tolist() == [False, True, True, True, True]
    assert links.active.tolist() == [True, True, True, True]  # the original is untouched
