"""Region tables in experiment files, firm/link outputs, GraphML, per-region effects."""

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from clusterlab.experiments.cli import EXIT_BAD_INPUT, main
from clusterlab.experiments.design import load_experiment
from clusterlab.experiments.design_checks import ExperimentError
from clusterlab.experiments.network import collaboration_graph, write_network
from clusterlab.experiments.region_effects import REGION_OUTCOMES, region_effects, region_outcomes
from clusterlab.experiments.report import compare_report
from clusterlab.experiments.runner import run_experiment
from clusterlab.experiments.store import load_results
from clusterlab.model.errors import RegionTableError
from clusterlab.model.regions import load_region_table

TABLE = """\
region,industry,employment,firms
AA01,C20,300,12
AA01,C26,150,10
AA01,J62,150,15
BB02,C20,120,8
BB02,C26,180,12
BB02,J62,60,6
CC03,C20,90,6
CC03,C26,90,6
CC03,J62,420,25
"""
"""100 firms in 3 regions x 3 industries."""

TOML = """\
name = "own"
economy = "csv:data/regions.csv"
steps = 4
replicates = 2
seed = 5
outputs = ["timeseries", "firms", "links"]
fixed = {{ burn_in = 2 }}

[design]
type = "scenarios"

[[design.scenarios]]
preset = "baseline"

[[design.scenarios]]
name = "linked"
set = {{ cross_cluster_subsidy = {subsidy}, university_link_subsidy = {subsidy} }}
"""


def _files(root: Path, table: str = TABLE, subsidy: float = 0.8) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "regions.csv").write_text(table)
    path = root / "own.toml"
    path.write_text(TOML.format(subsidy=subsidy))
    return path


@pytest.fixture(scope="module")
def own_results(tmp_path_factory):
    root = tmp_path_factory.mktemp("own")
    path = _files(root)
    out = root / "results"
    run_experiment(load_experiment(path), out, executor=None, source=path)
    return load_results(out)


def test_table_path_is_read_relative_to_the_experiment_file(tmp_path, monkeypatch):
    path = _files(tmp_path / "study")
    monkeypatch.chdir(tmp_path)  # not the file's folder
    runs = load_experiment(Path("study") / "own.toml").runs()
    economy = {r.overrides["economy"] for r in runs}
    assert economy == {f"csv:{tmp_path / 'study' / 'data' / 'regions.csv'}"}
    assert path.is_file()


def test_a_malformed_table_stops_the_experiment_at_load_naming_the_row(tmp_path):
    path = _files(tmp_path, TABLE.replace("BB02,C26,180,12", "BB02,C26,-180,12"))
    with pytest.raises(
        ExperimentError, match=r"'economy' names a table .*regions\.csv, row 6: employment"
    ):
        load_experiment(path)


def test_changing_the_table_changes_the_fingerprint(tmp_path):
    path = _files(tmp_path)
    before = load_experiment(path).fingerprint()
    assert load_experiment(path).fingerprint() == before
    _files(tmp_path, TABLE.replace("AA01,C20,300,12", "AA01,C20,301,12"))
    assert load_experiment(path).fingerprint() != before


def test_cli_exits_2_with_one_line_on_a_malformed_table(tmp_path, capsys):
    path = _files(tmp_path, TABLE + "AA01,C20,5,1\n")
    code = main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "0"])
    assert code == EXIT_BAD_INPUT
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert "row 11: duplicates row 2 (region AA01, industry C20)" in err[0]
    assert not (tmp_path / "out").exists()


def test_cli_run_with_a_bad_table_exits_2_naming_the_row(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("region,industry,employment\nAA01,C20,10\nAA01,C77x,5\n")
    args = ["run", "--set", f"economy=csv:{bad}", "--steps", "1", "--out", str(tmp_path / "o")]
    assert main(args) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert "bad.csv, row 3: industry 'C77x' is not a NACE Rev. 2 division" in err[0]
    with pytest.raises(RegionTableError, match="row 3"):  # the model's own error class
        load_region_table(f"csv:{bad}")


def test_firm_and_link_tables_match_the_runs_summary(own_results):
    firms, links = own_results.table("firms"), own_results.table("links")
    ts = own_results.timeseries
    last = ts[(ts["scope"] == "economy") & (ts["step"] == ts["step"].max())]
    for row in own_results.summary.itertuples():
        f = firms[firms["run_id"] == row.run_id]
        assert len(f) == row.final_firms
        assert set(f["region"]) <= {"AA01", "BB02", "CC03"}
        counts = links[links["run_id"] == row.run_id]["kind"].value_counts()
        end = last[last["run_id"] == row.run_id].iloc[0]
        for kind in ("supply", "collaboration", "university"):
            assert counts.get(kind, 0) == end[f"links_{kind}"]
        assert f["employees"].sum() == pytest.approx(end["employment"])


def test_yearly_firm_tables_hold_every_year_and_match_the_time_series():
    from clusterlab.model.presets import preset
    from clusterlab.model.simulate import simulate

    params = preset("baseline", n_firms=120, burn_in=1)
    keep = ("firms_yearly", "links_yearly", "links")
    result = simulate(params, seed=2, steps=3, snapshots=keep)
    firms, links = result.snapshots["firms_yearly"], result.snapshots["links_yearly"]
    eco = result.timeseries[result.timeseries["scope"] == "economy"].set_index("step")
    assert firms.groupby("step").size().tolist() == eco["firms"].tolist()
    per_year = links[links["kind"] == "collaboration"].groupby("step").size()
    assert per_year.reindex(eco.index, fill_value=0).tolist() == eco["links_collaboration"].tolist()
    final = links[links["step"] == 3].drop(columns="step").reset_index(drop=True)
    pd.testing.assert_frame_equal(final, result.snapshots["links"].drop(columns="step"))
    assert "firms" not in result.snapshots


def test_links_join_alive_firms_and_universities(own_results):
    firms, links = own_results.table("firms"), own_results.table("links")
    for run_id, lk in links.groupby("run_id"):
        alive = set(firms[firms["run_id"] == run_id]["firm"])
        assert set(lk["source_firm"]) <= alive
        to_firm = lk[lk["kind"] != "university"]
        assert set(to_firm["target_firm"]) <= alive
        assert (lk[lk["kind"] == "university"]["target_university"] >= 0).all()


def test_graphml_loads_in_networkx_with_every_firm_and_knowledge_link(own_results, tmp_path):
    out = tmp_path / "net.graphml"
    graph = write_network(own_results.root, 1, out)
    loaded = nx.read_graphml(out)
    firms = own_results.table("firms").query("run_id == 1")
    links = own_results.table("links").query("run_id == 1")
    knowledge = links[links["kind"].isin(["collaboration", "university"])]
    n_unis = knowledge["target_university"][knowledge["target_university"] >= 0].nunique()
    assert loaded.number_of_nodes() == len(firms) + n_unis == graph.number_of_nodes()
    assert loaded.number_of_edges() == graph.number_of_edges() > 0
    assert loaded.number_of_edges() <= len(knowledge)
    node = loaded.nodes[f"F{firms['firm'].iloc[0]}"]
    assert node["region"] == firms["region"].iloc[0]
    assert node["type"] == "firm"


def test_network_cli_writes_graphml_and_refuses_runs_without_tables(own_results, tmp_path, capsys):
    out = tmp_path / "n.graphml"
    assert main(["network", str(own_results.root), "--run", "0", "--out", str(out)]) == 0
    assert nx.read_graphml(out).number_of_nodes() > 0
    capsys.readouterr()
    for run in ("99", "-1"):  # no such run: said so, not "kept no table"
        assert main(["network", str(own_results.root), "--run", run, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"has runs 0 to {own_results.manifest['n_runs'] - 1}; got --run {run}" in err
    (own_results.root / "runs" / "000001.links.parquet").rename(tmp_path / "links.parquet")
    try:
        assert main(["network", str(own_results.root), "--run", "1", "--out", str(out)]) == 2
        assert "run 1 has not finished; finish the sweep" in capsys.readouterr().err
    finally:
        (tmp_path / "links.parquet").rename(own_results.root / "runs" / "000001.links.parquet")


def test_collaboration_graph_hand_made():
    firms = pd.DataFrame(
        {
            "firm": [1, 2, 3],
            "region": ["A", "A", "B"],
            "industry": ["C20"] * 3,
            "cluster": [0, 0, -1],
            "employees": [5.0, 6.0, 7.0],
            "x": [0, 1, 2],
            "y": [0, 1, 2],
            "origin": ["initial"] * 3,
        }
    )
    links = pd.DataFrame(
        {
            "source_firm": [1, 2, 1],
            "target_firm": [2, -1, 3],
            "target_university": [-1, 0, -1],
            "target_region": ["A", "A", "B"],
            "kind": ["collaboration", "university", "supply"],
            "instrument": ["none"] * 3,
            "formed": [1, 2, 3],
            "cross_cluster": [False] * 3,
            "interregional": [False, False, True],
        }
    )
    g = collaboration_graph(firms, links)
    assert sorted(g.nodes) == ["F1", "F2", "F3", "U0"]  # firm 3 is an isolate
    assert sorted(map(sorted, g.edges)) == [["F1", "F2"], ["F2", "U0"]]  # no supply link


def test_region_effects_are_paired_differences_of_each_regions_outcome(own_results):
    ts = own_results.timeseries
    table = region_effects(ts, "baseline", paired=True)
    assert len(table) == 3 * len(REGION_OUTCOMES)  # 1 scenario x 3 regions x outcomes
    per_run = region_outcomes(ts)
    for outcome in REGION_OUTCOMES:
        wide = per_run.pivot_table(
            index=["region", "replicate"], columns="scenario", values=outcome
        )
        want = (wide["linked"] - wide["baseline"]).groupby("region").mean()
        got = table[table["outcome"] == outcome].set_index("region")["diff"]
        np.testing.assert_allclose(got.loc[want.index], want, equal_nan=True)
    # the regions add up to the economy: persistent entries of one run
    s = own_results.summary.set_index("run_id")["persistent_entries"]
    by_run = per_run.groupby("run_id")["persistent_entries"].sum()
    assert (by_run == s.loc[by_run.index]).all()


def test_compare_report_has_effects_by_region(own_results):
    compare_report(own_results.root)
    text = (own_results.root / "report.md").read_text()
    assert "## Effects by region (against 'baseline')" in text
    assert (own_results.root / "tables" / "region_effects.csv").is_file()
    assert (own_results.root / "figures" / "region_effects_net_specialisations.png").is_file()
