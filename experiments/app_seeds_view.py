"""The teaching app's "several seeds" panel: one setting, many draws, the spread shown.

The runs are :class:`clusterlab.experiments.app_seeds.SeedRuns` batches (a background thread per
browser session); this module lays out the panel and redraws it as seeds finish.
"""

from __future__ import annotations

import itertools
from typing import Any

import solara

from clusterlab.experiments.app_controls import SETUP_PARAMETERS, TeachingModel, lever_specs
from clusterlab.experiments.app_seeds import (
    MAX_SEEDS,
    OUTCOMES,
    BatchStatus,
    SeedRuns,
    spread_chart,
)
from clusterlab.model.presets import preset

__all__ = ["DEFAULT_SEEDS", "SeedsPanel", "setting_label"]

DEFAULT_SEEDS = 5
"""Seeds a batch runs unless the page asks for another number."""

EXPLANATION = (
    "One run is one draw: the same setting with another seed (another starting world and "
    "luck) gives other numbers. Run seeds 1 to N of the setting now on the page (preset, "
    "setup and levers as they are now, from year 1) up to the 'Play until' year, then "
    "change a lever and run again: the two settings are shown side by side, one dot per "
    "seed and a bar at the mean. An effect is worth believing when the clouds of dots are "
    "apart, not when one dot is above another."
)


def setting_label(model: TeachingModel) -> str:
    """Name the page's setting: its preset and every setup value or lever set otherwise."""
    try:
        base = preset(model.preset_label).to_flat()
    except Exception:  # an unknown preset: name it without the differences
        return model.preset_label
    now = model.params.to_flat()
    names = [*SETUP_PARAMETERS, *(spec.name for spec in lever_specs())]
    moved = [f"{n} = {_shown(now[n])}" for n in names if now[n] != base[n]]
    return ", ".join([model.preset_label, *moved])


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(getattr(value, "value", value))


def _status(runs: SeedRuns) -> str:
    batch = runs.current
    if batch is None:
        return "No seeds run yet."
    text = f"Setting {'B' if runs.previous else 'A'} ({batch.label}), {batch.years} years: "
    text += f"{len(batch.results)} of {len(batch.seeds)} seeds done; {batch.status.value}."
    if batch.status is BatchStatus.FAILED:
        text += f" {batch.error}"
    return text


@solara.component
def SeedsPanel(model: TeachingModel) -> None:  # noqa: N802 - Solara components are PascalCase
    """Run seeds 1..N of the page's setting in the background and show their spread."""
    tick = solara.use_reactive(0)
    counter = solara.use_memo(itertools.count, [])
    runs = solara.use_memo(lambda: SeedRuns(lambda: tick.set(next(counter) + 1)), [])
    n_seeds, set_n_seeds = solara.use_state(DEFAULT_SEEDS)
    # A closed page stops its batch (without waiting for the year in progress).
    solara.use_effect(lambda: lambda: runs.cancel(wait=0), [])

    def start() -> None:
        runs.start(model.params, setting_label(model), n_seeds, model.stop_year)
        tick.set(next(counter) + 1)

    def cancel() -> None:
        runs.cancel(wait=0)
        tick.set(next(counter) + 1)

    _ = tick.value  # read, so that the panel redraws when a batch moves on
    batches = [b for b in (runs.previous, runs.current) if b is not None]
    with solara.Card("Several seeds: an effect, or noise?", classes=["cl-seeds"]):
        solara.Text(EXPLANATION, style="font-size:13px")
        with solara.Row(style="align-items:center"):
            solara.InputInt(
                f"Seeds (1 to {MAX_SEEDS})",
                value=n_seeds,
                on_value=lambda v: set_n_seeds(min(MAX_SEEDS, max(1, v or 1))),
                classes=["cl-seeds-n"],
                style="max-width:140px",
            )
            solara.Button("Run seeds", on_click=start, classes=["cl-seeds-run"], color="primary")
            solara.Button("Cancel", on_click=cancel, disabled=not runs.running)
            solara.Text(_status(runs), classes=["cl-seeds-status"], style="font-size:14px")
        if batches and any(b.results for b in batches):
            with solara.Columns([1] * len(OUTCOMES)):
                for outcome in OUTCOMES:
                    chart = spread_chart(batches, outcome)
                    with solara.Column(gap="2px", classes=[f"cl-seeds-{outcome}"]):
                        solara.Text(chart.title, style="font-weight:bold;font-size:14px")
                        solara.FigureEcharts(
                            option=chart.option,
                            attributes={"style": "height: 260px; width: 100%"},
                            responsive=True,
                        )
