"""Region tables (economy = "csv:<path>"): reading, errors, and the world they build."""

from pathlib import Path

import numpy as np
import pytest

from clusterlab.model import ClusterModel
from clusterlab.model.errors import ParameterError, RegionTableError
from clusterlab.model.metrics.specialisation import rca
from clusterlab.model.nace import (
    CHAIN_GROUPS,
    MISSING_DIVISIONS,
    SECTIONS,
    chain_group,
    division_of,
)
from clusterlab.model.params import ModelParams
from clusterlab.model.presets import preset
from clusterlab.model.regions import load_region_table
from clusterlab.model.simulate import simulate
from clusterlab.model.table_economy import table_firm_counts

EXAMPLE = Path(__file__).parents[2] / "experiments" / "files" / "regions_example.csv"

# Hand-made 3 x 3 table; BB02 x J62 is not listed (no employment).
#          C20  C26  J62 | region total
#   AA01   100   50   50 | 200
#   BB02    40   60    0 | 100
#   CC03    30   30  140 | 200
#   total  170  140  190 | 500
TABLE = """\
# a comment line
region,industry,employment
AA01,C20,100
AA01,C26,50
AA01,J62,50
BB02,C20,40
BB02,C26,60
CC03,C20,30
CC03,C26,30
CC03,J62,140
"""
# RCA = (E_rp / E_r) / (E_p / E):
#   AA01: C20 (100/200)/(170/500) = 0.5/0.34 = 1.4706; C26 0.25/0.28 = 0.8929;
#         J62 0.25/0.38 = 0.6579
#   BB02: C20 0.4/0.34 = 1.1765; C26 0.6/0.28 = 2.1429; J62 0
#   CC03: C20 0.15/0.34 = 0.4412; C26 0.15/0.28 = 0.5357; J62 0.7/0.38 = 1.8421
HAND_RCA = np.array(
    [
        [0.5 / 0.34, 0.25 / 0.28, 0.25 / 0.38],
        [0.4 / 0.34, 0.6 / 0.28, 0.0],
        [0.15 / 0.34, 0.15 / 0.28, 0.7 / 0.38],
    ]
)
HAND_DIVERSITY = [1, 2, 1]  # industries with RCA >= 1


def write(tmp_path: Path, text: str, name: str = "t.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return f"csv:{path}"


def table_params(economy: str, **overrides) -> ModelParams:
    base = {"n_firms": 60, "burn_in": 0, "n_challenge_industries": 0}
    return preset("baseline", economy=economy, **(base | overrides))


def test_table_is_read_with_missing_cells_as_zero(tmp_path):
    t = load_region_table(write(tmp_path, TABLE))
    assert t.regions == ("AA01", "BB02", "CC03")
    assert t.industries == ("C20", "C26", "J62")
    assert t.employment.tolist() == [[100, 50, 50], [40, 60, 0], [30, 30, 140]]
    assert (t.firms, t.universities, t.cluster_org) == (None, None, None)


def test_year_zero_reproduces_the_tables_employment_rca_and_diversity(tmp_path):
    result = simulate(table_params(write(tmp_path, TABLE)), seed=3, steps=1)
    panel = result.panel[result.panel["step"] == 0]
    emp = panel.pivot(index="region", columns="industry", values="employment")
    emp = emp.loc[["AA01", "BB02", "CC03"], ["C20", "C26", "J62"]].to_numpy()
    np.testing.assert_allclose(emp, [[100, 50, 50], [40, 60, 0], [30, 30, 140]], atol=1e-9)
    np.testing.assert_allclose(rca(emp), HAND_RCA, atol=1e-9)
    ts = result.timeseries
    regions = ts[(ts["step"] == 0) & (ts["scope"] != "economy")].set_index("scope")
    assert regions.loc[["AA01", "BB02", "CC03"], "diversity"].tolist() == HAND_DIVERSITY
    assert result.regions == ["AA01", "BB02", "CC03"]
    assert result.params["n_regions"] == 3  # the table sets the regions


def test_firm_counts_of_the_table_are_kept_and_every_firm_employs_one_or_more(tmp_path):
    text = TABLE.replace("employment\n", "employment,firms\n")
    counts = {"100": 10, "50": 5, "40": 4, "60": 6, "30": 3, "140": 14}
    lines = [text.splitlines()[0], text.splitlines()[1]]
    for line in text.splitlines()[2:]:
        lines.append(f"{line},{counts[line.rsplit(',', 1)[1]]}")
    economy = write(tmp_path, "\n".join(lines) + "\n")
    model = ClusterModel(params=table_params(economy), rng=5)
    try:
        f = model.state.firms
        by_cell = np.zeros((3, 3), int)
        np.add.at(by_cell, (f.region, f.industry), 1)
        assert by_cell.tolist() == [[10, 5, 5], [4, 6, 0], [3, 3, 14]]
        assert model.params.world.n_firms == 50  # the table's count, not n_firms=60
        assert f.employees.min() >= 1.0
    finally:
        model.release()


def test_n_firms_is_shared_out_by_employment_with_one_firm_per_nonempty_cell(tmp_path):
    t = load_region_table(write(tmp_path, TABLE))
    counts = table_firm_counts(t, 50)
    # quota 50 * E / 500 = E / 10: 10, 5, 5 / 4, 6, 0 / 3, 3, 14 (all whole numbers)
    assert counts.tolist() == [[10, 5, 5], [4, 6, 0], [3, 3, 14]]
    small = table_firm_counts(t, 8)  # fewer firms than cells: at least one per cell
    assert (small[t.employment > 0] >= 1).all()
    assert small[1, 2] == 0


def test_same_seeds_give_identical_worlds_and_runs(tmp_path):
    params = table_params(write(tmp_path, TABLE), burn_in=2, n_challenge_industries=2)
    a, b = simulate(params, seed=7, steps=3), simulate(params, seed=7, steps=3)
    assert a.timeseries.equals(b.timeseries)
    assert a.panel.equals(b.panel)
    assert a.summary == pytest.approx(b.summary, nan_ok=True)


def test_challenge_industries_get_a_few_firms_and_the_tables_cells_stay_exact(tmp_path):
    params = table_params(write(tmp_path, TABLE), n_challenge_industries=2, n_firms=400)
    model = ClusterModel(params=params, rng=1)
    try:
        f = model.state.firms
        assert model.state.industries.names[-2:] == ("Challenge 1", "Challenge 2")
        challenge = model.state.industries.is_challenge[f.industry]
        # 0.5% of the table's 400 firms, rounded: 2 firms in each challenge industry
        assert np.bincount(f.industry[challenge]).tolist()[-2:] == [2, 2]
        emp = np.zeros((3, 5))
        np.add.at(emp, (f.region, f.industry), f.employees)
        np.testing.assert_allclose(emp[:, :3], [[100, 50, 50], [40, 60, 0], [30, 30, 140]])
    finally:
        model.release()


def test_example_table_builds_its_clusters_and_universities():
    t = load_region_table(f"csv:{EXAMPLE}")
    assert (len(t.regions), len(t.industries), t.firms.sum()) == (5, 10, 1004)
    model = ClusterModel(params=preset("baseline", economy=f"csv:{EXAMPLE}", burn_in=0), rng=1)
    try:
        ws = model.state
        assert len(ws.unis) == int(t.universities.sum())
        assert len(ws.orgs) == 10  # chains flagged in cluster_org, region by region
        assert ws.geo.region_names == t.regions
    finally:
        model.release()


def test_every_nace_division_has_a_chain():
    for section, (low, high) in SECTIONS.items():
        for d in range(low, high + 1):
            if d not in MISSING_DIVISIONS:
                assert division_of(f"{section}{d:02d}") == d
                assert 0 <= chain_group(d) < len(CHAIN_GROUPS)


def test_csv_economy_is_a_valid_parameter_value_and_a_bad_one_says_so():
    assert ModelParams().replace(economy="csv:x.csv").world.economy == "csv:x.csv"
    with pytest.raises(ParameterError, match=r"one of 'generic', 'marche' or 'csv:<path>'"):
        ModelParams().replace(economy="excel:x.xlsx")


HEADER = "region,industry,employment\n"
BAD_TABLES = [
    ("", r"t\.csv: the table is empty"),
    ("# only a comment\n", r"the table is empty"),
    (HEADER, r"header but no rows"),
    ("region,industry\nAA01,C20\n", r"row 1: the header lacks column\(s\) employment"),
    (
        "region,industry,employees\n",
        r"row 1: unknown column 'employees'\. Did you mean 'employment'",
    ),
    (HEADER + "AA01,C20,10\nAA01,C99,5\n", r"row 3: industry 'C99' is not a NACE Rev\. 2 division"),
    (HEADER + "AA01,X20,10\n", r"row 2: industry 'X20' is not a NACE"),
    (HEADER + "Marche,C20,10\n", r"row 2: region 'Marche' is not a NUTS-2 code"),
    (HEADER + "AA01,C20,-5\nAA01,C26,5\n", r"row 2: employment must be a number >= 0\. Got '-5'"),
    (HEADER + "AA01,C20,\nAA01,C26,5\n", r"row 2: employment is missing"),
    (HEADER + "AA01,C20,:\n", r"row 2: employment is missing.*Eurostat"),
    (HEADER + "AA01,C20,ten\n", r"row 2: employment must be a number >= 0\. Got 'ten'"),
    (
        HEADER + "AA01,C20,10\nAA01,C26,5\nAA01,C20,7\n",
        r"row 4: duplicates row 2 \(region AA01, industry C20\)",
    ),
    (HEADER + "AA01,C20,10,3\n", r"row 2: 4 values for 3 columns"),
    ("region,industry,employment,firms\nAA01,C20,10,20\n", r"row 2: 20 firms for 10 employed"),
    ("region,industry,employment,firms\nAA01,C20,10,2.5\n", r"row 2: firms must be an integer"),
    (HEADER + "AA01,C20,10\nBB02,C26,0\n", r"region BB02 has no employment"),
    (HEADER + "AA01,C20,10\nAA01,C26,0\n", r"industry C26 has no employment in any region"),
    (HEADER + "AA01,C20,10\n", r"one industry only"),
]


@pytest.mark.parametrize(("text", "message"), BAD_TABLES)
def test_malformed_tables_raise_one_line_naming_the_row(tmp_path, text, message):
    with pytest.raises(RegionTableError, match=message) as info:
        load_region_table(write(tmp_path, text))
    assert "\n" not in str(info.value)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(RegionTableError, match=r"Cannot read region table .*nope\.csv"):
        load_region_table(f"csv:{tmp_path / 'nope.csv'}")


def test_a_bad_table_stops_the_model_build_with_the_row(tmp_path):
    economy = write(tmp_path, HEADER + "AA01,C20,10\nAA01,C26,-1\n")
    with pytest.raises(RegionTableError, match=r"row 3: employment must be"):
        ClusterModel(params=table_params(economy), rng=1)
