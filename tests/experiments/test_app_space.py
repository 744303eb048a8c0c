"""The teaching app's map, link network and portrayals, on small models (no browser)."""

import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection

from clusterlab.experiments.app_names import industry_names
from clusterlab.experiments.app_space import (
    INSTITUTIONS,
    LINK_STYLES,
    PALETTE,
    UNCLUSTERED,
    ColourBy,
    LegendEntry,
    cluster_colour,
    draw_agents,
    figure_png,
    firm_marker_size,
    industry_colour,
    link_masks,
    link_segments,
    map_picture,
    network_picture,
    portray_by_cluster,
    portray_by_industry,
    portrayal_data,
)
from clusterlab.model.agents import ClusterOrganization, Firm, University
from clusterlab.model.state import LinkKind


def _points(ax) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


def test_marker_area_is_proportional_to_employees_within_bounds():
    assert firm_marker_size(20) == pytest.approx(1.5 * 20)
    assert firm_marker_size(0) == 4.0  # the floor keeps tiny firms visible
    assert firm_marker_size(10_000) == 300.0  # the cap keeps giants from covering a region
    sizes = [firm_marker_size(e) for e in (3, 10, 50, 150)]
    assert sizes == sorted(sizes)


def test_palette_has_no_grey_and_cluster_minus_one_is_grey():
    assert len(set(PALETTE)) == len(PALETTE) == 18
    assert "#7f7f7f" not in PALETTE
    assert "#c7c7c7" not in PALETTE
    assert cluster_colour(-1) == UNCLUSTERED
    assert cluster_colour(0) != cluster_colour(1)
    assert cluster_colour(18) == cluster_colour(0)  # cycles
    assert industry_colour(3) == PALETTE[3]


def test_legend_entry_stores_html_colours():
    assert LegendEntry("x", "tab:blue").colour == "#1f77b4"
    assert LegendEntry("x", "gold").colour == "#ffd700"


def test_portrayals_colour_firms_by_cluster_or_industry_and_mark_institutions(make_model):
    model = make_model()
    firms = [a for a in model.agents if isinstance(a, Firm)]
    clustered = next(a for a in firms if a.cluster >= 0)
    loose = next(a for a in firms if a.cluster < 0)
    assert portray_by_cluster(clustered).color == cluster_colour(clustered.cluster)
    assert portray_by_cluster(loose).color == UNCLUSTERED
    assert portray_by_industry(loose).color == industry_colour(loose.industry)
    assert portray_by_cluster(clustered).size == firm_marker_size(clustered.employees)
    uni = next(a for a in model.agents if isinstance(a, University))
    org = next(a for a in model.agents if isinstance(a, ClusterOrganization))
    for portray in (portray_by_cluster, portray_by_industry):
        assert portray(uni).marker == "^"
        assert portray(org).marker == "*"
        assert portray(org).zorder > portray(clustered).zorder


def test_portrayal_data_places_each_agent_at_its_cell_with_its_style(make_model):
    model = make_model()
    data = portrayal_data(model, portray_by_cluster)
    agents = list(model.grid.agents)
    assert len(agents) == len(model.agents)
    assert data["loc"].tolist() == [list(a.cell.coordinate) for a in agents]
    for name in ("s", "c", "marker", "zorder", "alpha", "linewidths"):
        assert len(data[name]) == len(agents)
    styles = [portray_by_cluster(a) for a in agents]
    assert data["c"].tolist() == [s.color for s in styles]
    # edges: as set (institutions), else the fill colour (firms)
    assert data["edgecolors"].tolist() == [s.edgecolors or s.color for s in styles]
    assert set(data["marker"].tolist()) == {"o", "^", "*"}


def test_draw_agents_draws_every_zorder():
    # Mesa 3.3.1's own scatter keeps only z-order 1; all three points must be drawn here.
    from matplotlib.figure import Figure

    agents = {
        "loc": np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]),
        "s": np.array([10.0, 20.0, 30.0]),
        "c": np.array(["#ff0000", "#00ff00", "#0000ff"], dtype=object),
        "marker": np.array(["o", "o", "*"], dtype=object),
        "zorder": np.array([1, 2, 5]),
        "alpha": np.array([1.0, 0.5, 1.0]),
        "edgecolors": np.array(["#000000"] * 3, dtype=object),
        "linewidths": np.array([0.0, 0.0, 1.0]),
    }
    ax = Figure().add_subplot()
    draw_agents(ax, agents)
    assert _points(ax) == 3
    assert sorted(c.get_zorder() for c in ax.collections) == [1, 2, 5]


def test_map_draws_every_agent_and_a_legend_per_colouring(make_model):
    model = make_model()
    model.step()
    by_cluster = map_picture(model, ColourBy.CLUSTER)
    assert _points(by_cluster.figure.axes[0]) == len(model.agents)
    n_clusters = len(model.state.orgs)
    assert len(by_cluster.legend) == n_clusters + 1 + len(INSTITUTIONS)
    assert by_cluster.legend[n_clusters].colour == UNCLUSTERED
    by_industry = map_picture(model, ColourBy.INDUSTRY)
    assert [e.label for e in by_industry.legend[: model.state.industries.n]] == industry_names(
        model
    )
    assert "year 1" in by_cluster.title
    # region borders: one rectangle per region
    assert len(by_cluster.figure.axes[0].patches) == model.state.geo.n_regions


def test_link_masks_split_the_active_links_into_disjoint_kinds(make_model, add_link):
    model = make_model()
    ws = model.state
    f = ws.firms
    a = int(np.flatnonzero(f.alive & (f.region == 0))[0])
    far = int(np.flatnonzero(f.alive & (f.region == 1))[0])
    near = int(np.flatnonzero(f.alive & (f.region == 0))[1])
    inter = add_link(ws, a, far, LinkKind.COLLABORATION)
    supply_inter = add_link(ws, a, far, LinkKind.SUPPLY)
    cross = add_link(ws, a, near, LinkKind.COLLABORATION, cross_cluster=True)
    dead = add_link(ws, a, near, LinkKind.COLLABORATION, active=False)
    masks = link_masks(model)
    assert list(masks) == list(LINK_STYLES)
    stacked = np.stack(list(masks.values()))
    assert (stacked.sum(axis=0) == ws.links.active).all()  # each active link in one kind
    assert masks["interregional"][inter]
    assert masks["supply"][supply_inter]  # supply links stay grey wherever they go
    assert masks["cross_cluster"][cross]
    assert not stacked[:, dead].any()


def test_university_link_ends_at_the_university(make_model, add_link):
    model = make_model()
    ws = model.state
    firm = int(np.flatnonzero(ws.firms.alive)[0])
    row = add_link(ws, firm, 1, LinkKind.UNIVERSITY)
    mask = np.zeros(len(ws.links), bool)
    mask[row] = True
    segment = link_segments(model, mask)
    assert segment.shape == (1, 2, 2)
    assert segment[0].tolist() == [
        [ws.firms.x[firm], ws.firms.y[firm]],
        [ws.unis.x[1], ws.unis.y[1]],
    ]


def test_network_draws_one_line_per_active_link(make_model):
    model = make_model()
    model.step()
    picture = network_picture(model)
    lines = [c for c in picture.figure.axes[0].collections if isinstance(c, LineCollection)]
    assert sum(len(c.get_segments()) for c in lines) == int(model.state.links.active.sum())
    counts = [int(e.label.rsplit(": ", 1)[1]) for e in picture.legend[: len(LINK_STYLES)]]
    assert sum(counts) == int(model.state.links.active.sum())


def test_figure_png_is_a_png(make_model):
    model = make_model()
    assert figure_png(map_picture(model).figure)[:8] == b"\x89PNG\r\n\x1a\n"
