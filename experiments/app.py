"""ClusterLab teaching app: watch clusters evolve and pull the policy levers live.

Start it with ``clusterlab app`` (or ``solara run experiments/app.py``) and open the
address it prints. The page is Mesa's :func:`~mesa.visualization.SolaraViz`: the sidebar
has Mesa's step, play and reset buttons, the setup of the world (preset, seed, regions,
firms, a demand shock; typed, applied on Reset) and the policy levers (a slider and a
number box each), which act on the running model from the next year on. The main area
shows the map, the link network, eight live charts, a guide for students and the
several-seeds panel. This module only lays out and wires: the controls and the model are
in :mod:`clusterlab.experiments.app_controls`, the pictures in
:mod:`clusterlab.experiments.app_space` and
:mod:`clusterlab.experiments.app_charts`, the several seeds in
:mod:`clusterlab.experiments.app_seeds` and
:mod:`clusterlab.experiments.app_seeds_view`.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter

from clusterlab.experiments.app_box import TypedBox
from clusterlab.experiments.app_charts import CHARTS, Chart
from clusterlab.experiments.app_controls import (
    LABELS,
    LEVER_HELP,
    SETUP_PARAMETERS,
    TeachingModel,
    label,
    lever_specs,
    setup_controls,
    slider_step,
    snapped,
    status_text,
)
from clusterlab.experiments.app_names import industry_names
from clusterlab.experiments.app_seeds_view import SeedsPanel
from clusterlab.experiments.app_space import (
    ColourBy,
    LegendEntry,
    Picture,
    figure_png,
    map_picture,
    network_picture,
)
from clusterlab.model.errors import ParameterError
from clusterlab.model.params import ParamSpec

__all__ = ["Page", "drawn", "legend_html", "typed_number"]

TITLE = "ClusterLab: clusters, links and cluster policy"

T = TypeVar("T")

_log = logging.getLogger(__name__)


def drawn(
    model: TeachingModel, draw: Callable[[TeachingModel], T], what: str
) -> tuple[T | None, str]:
    """Draw one view from a consistent snapshot of the model, or say why it could not.

    Returns ``(drawing, "")``, or ``(None, message)`` when drawing raised: the message is
    shown in that view only, so the rest of the page (and its buttons) stays usable.
    """
    try:
        return model.snapshot(draw), ""
    except Exception as exc:  # the boundary of one view: logged in full, shown in one line
        _log.exception("ClusterLab app: could not draw the %s", what)
        return None, (
            f"The {what} could not be drawn at year {model.state.step} "
            f"({type(exc).__name__}: {exc}). The rest of the page still works."
        )


@solara.component
def ViewError(message: str) -> None:  # noqa: N802 - Solara components are PascalCase
    """Show why a view could not be drawn, in place of that view."""
    solara.Error(message, classes=["cl-view-error"])


def legend_html(entries: Sequence[LegendEntry]) -> str:
    """Write a legend as HTML: a coloured symbol and its (escaped) label per entry."""
    items = []
    for entry in entries:
        colour, text = html.escape(entry.colour), html.escape(entry.label)
        if entry.symbol in ("-", "--"):
            border = "solid" if entry.symbol == "-" else "dashed"
            symbol = f'<span style="display:inline-block;width:22px;border-top:3px {border} '
            symbol += f'{colour};vertical-align:middle"></span>'
        else:
            glyph = {"^": "&#9650;", "*": "&#9733;", "s": "&#9632;"}.get(entry.symbol, "&#9679;")
            symbol = f'<span style="color:{colour};font-size:16px">{glyph}</span>'
        items.append(f'<span style="margin-right:14px;white-space:nowrap">{symbol} {text}</span>')
    return '<div style="font-size:13px;line-height:1.7">' + " ".join(items) + "</div>"


def _render(picture: Picture) -> tuple[str, bytes, str]:
    return picture.title, figure_png(picture.figure), legend_html(picture.legend)


@solara.component
def PictureView(title: str, png: bytes, legend: str, name: str) -> None:  # noqa: N802 - Solara components are PascalCase
    """Show a titled picture with its legend underneath."""
    with solara.Column(classes=[f"cl-{name}"], gap="4px"):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=html.escape(title),
            classes=["cl-title"],
            style="font-weight:bold;font-size:15px",
        )
        solara.Image(png, width="100%")
        solara.HTML(tag="div", unsafe_innerHTML=legend)


@solara.component
def StatusBar(model: TeachingModel) -> None:  # noqa: N802 - Solara components are PascalCase
    """Say which world is running, and why if the setup could not be built."""
    update_counter.get()
    if model.build_error:
        solara.Error(model.build_error, classes=["cl-build-error"])
    solara.Text(status_text(model), classes=["cl-status"], style="font-size:15px")


@solara.component
def MapView(model: TeachingModel) -> None:  # noqa: N802 - Solara components are PascalCase
    """Show the map, coloured by cluster or by industry (a toggle)."""
    counter = update_counter.get()
    colour_by, set_colour_by = solara.use_state(ColourBy.CLUSTER.value)
    rendered, error = solara.use_memo(
        lambda: drawn(model, lambda m: _render(map_picture(m, ColourBy(colour_by))), "map"),
        [model, counter, colour_by],
    )
    with solara.Column(gap="0px"):
        solara.ToggleButtonsSingle(colour_by, [c.value for c in ColourBy], on_value=set_colour_by)
        if error:
            ViewError(error)
        else:
            PictureView(*rendered, name="map")


@solara.component
def NetworkView(model: TeachingModel) -> None:  # noqa: N802 - Solara components are PascalCase
    """Show the link network."""
    counter = update_counter.get()
    rendered, error = solara.use_memo(
        lambda: drawn(model, lambda m: _render(network_picture(m)), "link network"),
        [model, counter],
    )
    if error:
        ViewError(error)
    else:
        PictureView(*rendered, name="network")


CHART_STYLE = "height: 300px; width: 100%"


@solara.component
def ChartView(model: TeachingModel, chart: Callable[..., Chart]) -> None:  # noqa: N802 - Solara components are PascalCase
    """Show one live chart, with a dotted line at each year a lever changed."""
    counter = update_counter.get()
    shown, error = solara.use_memo(
        lambda: drawn(model, lambda m: chart(m, m.lever_marks()), "chart"), [model, counter]
    )
    if error:
        ViewError(error)
        return
    with solara.Column(classes=[f"cl-{chart.__name__.replace('_', '-')}"], gap="4px"):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=html.escape(shown.title),
            classes=["cl-title"],
            style="font-weight:bold;font-size:15px",
        )
        solara.FigureEcharts(
            option=shown.option, attributes={"style": CHART_STYLE}, responsive=True
        )


@solara.component
def LeverSlider(  # noqa: N802 - Solara components are PascalCase
    world: solara.Reactive[TeachingModel],
    spec: ParamSpec,
    current: Any,
    on_value: Callable[[Any], None],
) -> None:
    """Show a lever's slider at the point of its grid nearest to ``current``.

    The browser's slider snaps its value to its grid and reports the snapped value as a
    move (a typed 55 M€ would become 50 M€); only a value away from the current world's
    (read when the move arrives, not when the slider was drawn) is a move.
    """
    step = slider_step(spec)
    shown = snapped(current, step)

    def moved(value: Any) -> None:
        now = snapped(world.value.params.to_flat()[spec.name], step)
        if not math.isclose(value, now, rel_tol=1e-9, abs_tol=1e-12):
            on_value(value)

    # The label stays outside the slider: inside, a long one squeezes the track.
    slider = solara.SliderInt if spec.kind is int else solara.SliderFloat
    with solara.Column(style="flex:3"):
        slider("", value=shown, min=spec.low, max=spec.high, step=step, on_value=moved)


def typed_number(spec: ParamSpec, text: str) -> int | float | None:
    """Read a number typed in a lever's box ("0,4" is 0.4); None for an emptied box.

    Raises
    ------
    ParameterError
        If the text is not a number of the lever's kind.
    """
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return spec.kind(text)
    except ValueError:
        kind = "a whole number" if spec.kind is int else "a number"
        raise ParameterError(f"{LABELS[spec.name]} must be {kind}. Got {text!r}.") from None


@solara.component
def ChoiceButtons(spec: ParamSpec, current: Any, on_value: Callable[[Any], None]) -> None:  # noqa: N802 - Solara components are PascalCase
    """Show a choice lever as one button per choice, the one in force filled.

    Every click hands its choice on, even the one shown as in force: after a Reset the
    page may still show the old world's choice, and the click must reach the new world.
    """
    with solara.Row(gap="4px", classes=["cl-lever-choices"]):
        for choice in spec.choices or ():
            solara.Button(
                str(choice),
                on_click=lambda choice=choice: on_value(choice),
                color="primary",
                outlined=choice != current,
                small=True,
                classes=[f"cl-choice-{choice}"],
            )


@solara.component
def LeverControl(  # noqa: N802 - Solara components are PascalCase
    world: solara.Reactive[TeachingModel],
    spec: ParamSpec,
    current: Any,
    on_moved: Callable[[], None],
) -> None:
    """Show one lever: a slider with a number box beside it (or a choice).

    Both show ``current``, the value when the card was drawn. A move or a typed value acts
    on the world current when it arrives (after a Reset: the new one, even before the page
    has drawn it); a typed value out of range shows a message under the lever and changes
    nothing.
    """
    error, set_error = solara.use_state("")

    def change(value: Any) -> None:
        if value is None:  # an emptied box
            return
        try:
            world.value.set_lever(spec.name, value)
        except ParameterError as exc:
            set_error(str(exc))
            return
        set_error("")
        on_moved()

    def typed(text: str) -> None:
        try:
            change(typed_number(spec, text))
        except ParameterError as exc:
            set_error(str(exc))

    with solara.Column(gap="0px", classes=[f"cl-lever-{spec.name}"]):
        value = current if spec.choices is not None else f"{current:g}"
        solara.Text(f"{label(spec)}: {value}", classes=["cl-lever-value"])
        if spec.choices is not None:
            ChoiceButtons(spec, current, change)
        else:
            with solara.Row(gap="8px", style="align-items:center"):
                LeverSlider(world, spec, current, change)
                with solara.Column(style="flex:2"):
                    TypedBox(spec.unit, f"{current:g}", typed, ["cl-lever-box"])
        if error:
            solara.Error(error, classes=["cl-lever-error"], dense=True)
        solara.Text(LEVER_HELP[spec.name], style="font-size:12px;color:#555")


@solara.component
def LeverSidebar(world: solara.Reactive[TeachingModel]) -> None:  # noqa: N802 - Solara components are PascalCase
    """Show every policy lever in a sidebar card; each acts on the session's current world.

    ``world`` is the session's reactive world (Reset replaces its value), never one world:
    a control drawn before a Reset still acts on the world after it. The card redraws
    when a lever moves or the world is replaced, not every year.
    """
    _, set_moves = solara.use_state(0)

    def moved() -> None:
        set_moves(lambda moves: moves + 1)
        force_update()  # the charts mark the move, the status bar lists it

    def stop_at(text: str) -> None:
        text = text.strip()
        if text.isdigit():
            world.value.set_stop_year(int(text))
            moved()

    values = world.value.params.to_flat()
    with solara.Sidebar():
        with solara.Card("Run", classes=["cl-run"]):
            TypedBox(
                "Play until year (Play stops there; Enter to set)",
                str(world.value.stop_year),
                stop_at,
                ["cl-stop-year"],
            )
        with solara.Card("Policy levers (act from next year)", classes=["cl-levers"]):
            for spec in lever_specs():
                LeverControl(world, spec, values[spec.name], moved)


@solara.component
def LeverPanel(world: solara.Reactive[TeachingModel]) -> None:  # noqa: N802 - Solara components are PascalCase
    """Place the lever card below Mesa's sidebar cards.

    The sidebar orders its parts by how deep in the page their component sits; the card
    is one level deeper than SolaraViz's own, hence this wrapper.
    """
    LeverSidebar(world)


GUIDE = """
<p><b>Map.</b> Each dot is a firm; its area grows with its employees. Colour: the cluster it
started in (grey: in no cluster) or its industry (the buttons above the map). Black
triangles are universities, gold stars cluster organizations, black boxes regions.</p>
<p><b>Links.</b> Grey: a firm buys from a supplier. Blue: firms of one cluster work
together. Orange: firms of <i>different</i> clusters work together. Green: a firm works with
a university. Red dashed: a collaboration or university link to another region.</p>
<p><b>Charts.</b> A <i>radical</i> innovation combines two fields of knowledge nobody
combined before. A <i>new specialisation</i>: a region becomes relatively strong in an
industry (its share of the region's jobs exceeds the industry's share of all jobs).
<i>Heterogeneity</i>: how different the know-how inside a cluster is; a cluster that only
learns from itself becomes uniform and stagnates. Spending shows where the money goes.
<i>Jobs</i>: employees by region and by industry; a red dashed line marks the year of the
demand shock. <i>Partners abroad</i>: cluster organizations that work with an
organization of another region. A dotted line marks the first year under a lever you
moved.</p>
<p><b>Buttons.</b> Step: one year. Play/pause: year after year. Reset: a new world from
the setup under "Model Parameters": preset, seed, number of regions and firms, and a
demand shock (which industry, by its number below, -1 for none; the year; the share of its
demand lost): type a value and press Enter; one left at its start keeps the preset's
value. Levers act on the running world from the next year: drag the slider or type the
value in the box beside it (with its unit) and press Enter. Subsidies change the fee of
links formed or renewed (links last 3 years).</p>
"""


@solara.component
def GuideView(model: TeachingModel) -> None:  # noqa: N802 - Solara components are PascalCase
    """Explain how to read the page."""
    solara.HTML(
        tag="div",
        unsafe_innerHTML="<b style='font-size:15px'>How to read this page</b>" + GUIDE,
        classes=["cl-guide"],
        style="font-size:14px",
    )


@solara.component
def IndustryView(model: TeachingModel) -> None:  # noqa: N802 - Solara components are PascalCase
    """List the industries by number (for the demand shock) and the levers in force."""
    update_counter.get()
    names = industry_names(model)
    items = "".join(f"<li>{i}: {html.escape(n)}</li>" for i, n in enumerate(names))
    levers = ", ".join(
        f"{k} = {v}"
        for k, v in model.params.to_flat().items()
        if k in LABELS and k not in SETUP_PARAMETERS
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            "<b style='font-size:15px'>Industries by number</b> (for the demand shock)"
            f"<ul style='columns:2;list-style:none;padding-left:4px'>{items}</ul>"
            f"<p><b>Levers in force:</b> {html.escape(levers)}.</p>"
        ),
        classes=["cl-industries"],
        style="font-size:14px",
    )


@solara.component
def MainArea(model: TeachingModel) -> None:  # noqa: N802 - Solara components are PascalCase
    """Lay out status, map, links and guide on top; the charts and industries below."""
    with solara.Column(style="padding:8px"):
        StatusBar(model)
        with solara.Columns([1, 1, 1]):
            MapView(model)
            NetworkView(model)
            GuideView(model)
        for first in range(0, 6, 3):
            with solara.Columns([1, 1, 1]):
                for chart in CHARTS[first : first + 3]:
                    ChartView(model, chart)
        with solara.Columns([1, 1, 1]):
            for chart in CHARTS[6:]:
                ChartView(model, chart)
            IndustryView(model)
        SeedsPanel(model)


@solara.component
def Page() -> None:  # noqa: N802 - Solara components are PascalCase
    """Build the app: one world per browser session, released when replaced or closed.

    Mesa's SolaraViz draws the app bar and the sidebar (step, play, reset, the setup);
    the main area is laid out here rather than in SolaraViz's draggable grid, whose
    fixed-height cells cut the map off.
    """
    first = solara.use_memo(TeachingModel, [])
    model = solara.use_reactive(first)
    # Mesa < 3.5 keeps every model alive in a class-level registry until released.
    solara.use_effect(lambda: model.value.release, [model.value])
    solara.Title(TITLE)
    SolaraViz(model, model_params=setup_controls(), name=TITLE)
    LeverPanel(model)  # the session's world, whichever it is when a lever moves
    MainArea(model.value)
