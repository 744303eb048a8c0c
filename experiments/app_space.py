"""The teaching app's map and link network, and how agents are portrayed on them.

Each picture is a plain function of a :class:`~clusterlab.model.cluster_model.ClusterModel`
returning a
:class:`Picture`: a title, a matplotlib :class:`~matplotlib.figure.Figure` (no pyplot, no
global state) and its legend as data. The app writes titles and legends as HTML and only
the drawing as PNG: matplotlib's text layout is most of its drawing time, and the page
redraws every year. The app, the benchmark and the tests draw the same pictures.

Firms, universities and cluster organizations are drawn the Mesa way: a portrayal
function per agent (:func:`portray_by_cluster`, :func:`portray_by_industry`) returning
Mesa's ``AgentPortrayalStyle``, applied to every agent on the grid (:func:`portrayal_data`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from mesa.visualization.components import AgentPortrayalStyle

from clusterlab.experiments.app_names import cluster_names, industry_names, region_names
from clusterlab.model.agents import ClusterOrganization, Firm, University
from clusterlab.model.cluster_model import ClusterModel
from clusterlab.model.state import LinkKind

__all__ = [
    "INSTITUTIONS",
    "LINK_STYLES",
    "PALETTE",
    "UNCLUSTERED",
    "ColourBy",
    "LegendEntry",
    "Picture",
    "cluster_colour",
    "cluster_labels",
    "draw_agents",
    "figure_png",
    "firm_marker_size",
    "industry_colour",
    "link_masks",
    "link_segments",
    "map_picture",
    "network_picture",
    "palette_colour",
    "portray_by_cluster",
    "portray_by_industry",
    "portrayal_data",
    "region_colour",
]

DPI = 80
"""Resolution of the pictures sent to the browser (dots per inch)."""

UNCLUSTERED = "#b5b5b5"
"""Colour of firms outside any initial cluster."""


@dataclass(frozen=True, slots=True)
class LegendEntry:
    """One line of a legend: a symbol in a colour, and what it stands for.

    ``symbol`` is a matplotlib marker ("o", "^", "*", "s") or a line style ("-", "--").
    """

    label: str
    colour: str
    symbol: str = "o"

    def __post_init__(self) -> None:
        """Store the colour as #rrggbb, which HTML understands (unlike 'tab:blue')."""
        object.__setattr__(self, "colour", to_hex(self.colour))


@dataclass(frozen=True, slots=True)
class Picture:
    """A titled figure and its legend."""

    title: str
    figure: Figure
    legend: tuple[LegendEntry, ...] = ()


class ColourBy(StrEnum):
    """What the colour of a firm on the map shows."""

    CLUSTER = "cluster"
    INDUSTRY = "industry"


LINK_STYLES: dict[str, tuple[str, float, str, str]] = {
    "supply": ("#d3d3d3", 0.5, "-", "supply (a firm buys from another)"),
    "collaboration": ("tab:blue", 1.0, "-", "collaboration inside a cluster"),
    "cross_cluster": ("tab:orange", 1.2, "-", "collaboration across clusters"),
    "university": ("tab:green", 1.2, "-", "firm-university"),
    "interregional": ("tab:red", 1.2, "--", "collaboration or university link to another region"),
}
"""Kind of link -> (colour, line width, line style, legend text), in drawing order."""

PALETTE: tuple[str, ...] = tuple(
    to_hex(colormaps["tab20"](i)) for i in (*range(0, 20, 2), *range(1, 20, 2)) if i not in (14, 15)
)
"""18 distinct colours, the strong ones first; tab20 without its greys (grey is for firms
in no cluster)."""


def palette_colour(name: str, i: int) -> str:
    """Colour ``i`` of a matplotlib colour map, cycling, as #rrggbb."""
    cmap = colormaps[name]
    return to_hex(cmap(i % cmap.N))


def cluster_colour(cluster: int) -> str:
    """Colour of a cluster (grey for -1, no cluster); cycles after 18 clusters."""
    return UNCLUSTERED if cluster < 0 else PALETTE[cluster % len(PALETTE)]


def industry_colour(industry: int) -> str:
    """Colour of an industry index; cycles after 18 industries."""
    return PALETTE[industry % len(PALETTE)]


def region_colour(region: int) -> str:
    """Colour of a region's line on the charts; cycles after 8 regions."""
    return palette_colour("Dark2", region)


MARKER_AREA_PER_EMPLOYEE = 1.5
"""Marker area (points²) per employee on the map."""

MARKER_AREA_RANGE = (4.0, 300.0)
"""Smallest and largest marker area (points²): tiny firms stay visible, giants do not
cover a region."""


def firm_marker_size(employees: float) -> float:
    """Marker area (points²) of a firm: proportional to its employees, within bounds.

    ``clip(1.5 * employees, 4, 300)``: a firm of 20 employees gets area 30, one of 80
    area 120.
    """
    low, high = MARKER_AREA_RANGE
    return float(np.clip(MARKER_AREA_PER_EMPLOYEE * employees, low, high))


def _portray_institution(agent: University | ClusterOrganization) -> AgentPortrayalStyle:
    if isinstance(agent, University):
        return AgentPortrayalStyle(
            color="black", marker="^", size=110, zorder=4, edgecolors="white", linewidths=0.8
        )
    return AgentPortrayalStyle(
        color="gold", marker="*", size=260, zorder=5, edgecolors="black", linewidths=0.8
    )


def portray_by_cluster(agent: Firm | University | ClusterOrganization) -> AgentPortrayalStyle:
    """Portray an agent on the map, firms coloured by their initial cluster."""
    if not isinstance(agent, Firm):
        return _portray_institution(agent)
    return AgentPortrayalStyle(
        color=cluster_colour(agent.cluster),
        size=firm_marker_size(agent.employees),
        alpha=0.85,
        zorder=2 if agent.cluster >= 0 else 1,
        linewidths=0,
    )


def portray_by_industry(agent: Firm | University | ClusterOrganization) -> AgentPortrayalStyle:
    """Portray an agent on the map, firms coloured by their industry."""
    if not isinstance(agent, Firm):
        return _portray_institution(agent)
    return AgentPortrayalStyle(
        color=industry_colour(agent.industry),
        size=firm_marker_size(agent.employees),
        alpha=0.85,
        zorder=2,
        linewidths=0,
    )


def cluster_labels(model: ClusterModel) -> list[str]:
    """Readable name of each cluster (:func:`clusterlab.experiments.app_names.cluster_names`)."""
    return cluster_names(model)


INSTITUTIONS = (
    LegendEntry("university", "black", "^"),
    LegendEntry("cluster organization", "gold", "*"),
)


def _space_figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(5.2, 5.2), dpi=DPI)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    return fig, fig.add_subplot()


def _draw_regions(ax: Axes, model: ClusterModel) -> None:
    """Outline each region's rectangle and write its name in its corner."""
    geo = model.state.geo
    for (x0, x1, y0, y1), name in zip(geo.bounds, region_names(model), strict=True):
        ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, lw=2, zorder=6))
        ax.text(x0, y1 - 1, name, fontsize=10, weight="bold", va="top", zorder=7)
    ax.set_xlim(-0.5, geo.side - 0.5)
    ax.set_ylim(-0.5, geo.side - 0.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


PORTRAYAL_COLUMNS = ("loc", "s", "c", "marker", "zorder", "alpha", "edgecolors", "linewidths")
"""Columns of :func:`portrayal_data`, named as matplotlib's ``scatter`` arguments."""


def portrayal_data(
    model: ClusterModel,
    portrayal: Callable[[Firm | University | ClusterOrganization], AgentPortrayalStyle],
) -> dict[str, npt.NDArray]:
    """Portray every agent on the grid; one column per style field (:data:`PORTRAYAL_COLUMNS`).

    The same columns Mesa's own map drawing collects, read through Mesa's public API (the
    grid's agents, in cell order, and each one's ``AgentPortrayalStyle``): an agent sits at
    its cell unless its portrayal sets ``x`` and ``y``; edges take the fill colour unless
    set.
    """
    rows = []
    for agent in model.grid.agents:
        style = portrayal(agent)
        place = agent.cell.coordinate if style.x is None else (style.x, style.y)
        edge = style.color if style.edgecolors is None else style.edgecolors
        rows.append(
            (
                place,
                style.size,
                style.color,
                style.marker,
                style.zorder,
                style.alpha,
                edge,
                style.linewidths,
            )
        )
    columns = dict(zip(PORTRAYAL_COLUMNS, zip(*rows, strict=True), strict=False))
    data = {name: np.asarray(columns.get(name, ())) for name in PORTRAYAL_COLUMNS}
    data["loc"] = data["loc"].reshape(-1, 2).astype(float)
    data["marker"] = np.asarray(columns.get("marker", ()), dtype=object)
    return data


def draw_agents(ax: Axes, agents: dict[str, npt.NDArray]) -> None:
    """Scatter the agents' portrayals, one call per marker and z-order.

    ``agents`` is what :func:`portrayal_data` returns. Mesa 3.3.1's own drawing reads
    ``z == zorder & mask`` as ``z == (zorder & mask)``, so it drops every agent whose
    z-order is not 1, and it ignores ``alpha``; it also draws the whole canvas once more.
    Hence this short replacement.
    """
    markers = np.asarray(agents["marker"], dtype=str)
    zorders = np.asarray(agents["zorder"])
    for marker, zorder in sorted(set(zip(markers.tolist(), zorders.tolist(), strict=True))):
        mask = (markers == marker) & (zorders == zorder)
        ax.scatter(
            agents["loc"][mask, 0],
            agents["loc"][mask, 1],
            s=agents["s"][mask],
            c=list(agents["c"][mask]),
            alpha=agents["alpha"][mask],
            edgecolors=list(agents["edgecolors"][mask]),
            linewidths=agents["linewidths"][mask],
            marker=marker,
            zorder=zorder,
        )


def map_picture(model: ClusterModel, colour_by: ColourBy = ColourBy.CLUSTER) -> Picture:
    """Draw the grid map: firms, universities, cluster organizations, region borders.

    A firm's colour is its initial cluster or its industry, its area its employment.
    """
    fig, ax = _space_figure()
    portrayal = portray_by_cluster if colour_by is ColourBy.CLUSTER else portray_by_industry
    draw_agents(ax, portrayal_data(model, portrayal))
    _draw_regions(ax, model)
    if colour_by is ColourBy.CLUSTER:
        legend = [
            LegendEntry(lab, cluster_colour(c)) for c, lab in enumerate(cluster_labels(model))
        ]
        legend.append(LegendEntry("in no cluster", UNCLUSTERED))
    else:
        names = industry_names(model)
        legend = [LegendEntry(name, industry_colour(p)) for p, name in enumerate(names)]
    title = f"Map, year {model.state.step}: firms coloured by {colour_by.value}"
    return Picture(title, fig, (*legend, *INSTITUTIONS))


def link_masks(model: ClusterModel) -> dict[str, npt.NDArray[np.bool_]]:
    """Active links split into the kinds of :data:`LINK_STYLES` (each link in one kind).

    A collaboration or university link that crosses a region border is "interregional"
    (the links the inter-regional subsidy pays for); supply links are "supply" wherever
    they go.
    """
    links = model.state.links
    supply = links.active & (links.kind == LinkKind.SUPPLY)
    knowledge = links.active & ~supply
    local = knowledge & ~links.interregional
    collab = local & (links.kind == LinkKind.COLLABORATION)
    return {
        "supply": supply,
        "collaboration": collab & ~links.cross_cluster,
        "cross_cluster": collab & links.cross_cluster,
        "university": local & (links.kind == LinkKind.UNIVERSITY),
        "interregional": knowledge & links.interregional,
    }


def link_segments(model: ClusterModel, mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """Line segments of the selected links, shape (n, 2, 2): ``[[xa, ya], [xb, yb]]``.

    The ``b`` end of a university link is a university row, of any other link a firm row.
    """
    ws = model.state
    links, firms, unis = ws.links, ws.firms, ws.unis
    a, b = links.a[mask], links.b[mask]
    to_uni = links.kind[mask] == LinkKind.UNIVERSITY
    firm_b = np.where(to_uni, 0, b)
    xb, yb = firms.x[firm_b], firms.y[firm_b]
    xb[to_uni], yb[to_uni] = unis.x[b[to_uni]], unis.y[b[to_uni]]
    start = np.column_stack([firms.x[a], firms.y[a]])
    end = np.column_stack([xb, yb])
    return np.stack([start, end], axis=1).astype(np.float64)


def network_picture(model: ClusterModel) -> Picture:
    """Draw the link network on the map: one line per active link, styled by kind."""
    ws = model.state
    fig, ax = _space_figure()
    alive = ws.firms.alive
    ax.scatter(ws.firms.x[alive], ws.firms.y[alive], s=4, c="#707070", lw=0, zorder=1)
    ax.scatter(ws.unis.x, ws.unis.y, s=110, c="black", marker="^", ec="white", zorder=4)
    legend = []
    for kind, mask in link_masks(model).items():
        colour, width, style, label = LINK_STYLES[kind]
        segments = link_segments(model, mask)
        ax.add_collection(
            LineCollection(segments, colors=colour, linewidths=width, linestyles=style, zorder=2)
        )
        legend.append(LegendEntry(f"{label}: {len(segments)}", colour, style))
    _draw_regions(ax, model)
    return Picture(f"Links, year {ws.step}", fig, (*legend, INSTITUTIONS[0]))


PNG_COMPRESS_LEVEL = 1
"""zlib level of the PNGs: the fastest; the files are a little larger, but they only
travel to a browser on the same machine or network, and encoding at the default level
took a third of the drawing time."""


def figure_png(fig: Figure) -> bytes:
    """Render a figure to PNG bytes (what the browser receives)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    return buffer.getvalue()
