"""The teaching app's controls and the model behind the page.

Every control is generated from :func:`clusterlab.model.params.param_specs`: defaults and ranges are
never typed here. :class:`TeachingModel` is the
:class:`~clusterlab.model.cluster_model.ClusterModel` that Mesa's SolaraViz builds from the setup
controls; its policy levers can move while it runs.
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from clusterlab.experiments.app_charts import LeverMark
from clusterlab.experiments.app_names import industry_names
from clusterlab.model.cluster_model import ClusterModel
from clusterlab.model.errors import ClusterLabError, ParameterError
from clusterlab.model.params import ParamSpec, param_specs
from clusterlab.model.presets import PRESETS, preset

__all__ = [
    "APP_MAX_FIRMS",
    "DEFAULT_PRESET",
    "DEFAULT_SEED",
    "DEFAULT_STOP_YEAR",
    "FLOAT_STEP",
    "LABELS",
    "LEVER_HELP",
    "SETUP_PARAMETERS",
    "TeachingModel",
    "label",
    "lever_specs",
    "parse_seed",
    "parse_setup",
    "setup_controls",
    "setup_label",
    "slider_step",
    "snapped",
    "status_text",
]

DEFAULT_PRESET: str = inspect.signature(ClusterModel.__init__).parameters["preset_name"].default
"""The preset the page opens with: the model's own default."""

DEFAULT_SEED = 1
"""Seed the page opens with (and falls back to when a setup cannot be built)."""

DEFAULT_STOP_YEAR = 50
"""Year at which Play stops by itself, unless the page sets another one."""

T = TypeVar("T")

_log = logging.getLogger(__name__)

APP_MAX_FIRMS = 5_000
"""Upper end of the firms slider. The model allows more, but a world of 5,000 firms
already takes seconds per year on a laptop; beyond it the page would stop responding."""

FLOAT_STEP = 0.01
"""Step of a slider over a share (0 to 1): fine enough to reach every preset value."""

SLIDER_POSITIONS = 500
"""About how many positions a slider over a wide range has (see :func:`slider_step`)."""

SETUP_PARAMETERS = ("n_regions", "n_firms", "shock_industry", "shock_year", "shock_size")
"""World parameters the sidebar sets; they apply when Reset builds a new world."""

LABELS: dict[str, str] = {
    "n_regions": "Regions",
    "n_firms": "Firms",
    "shock_industry": "Shock: industry",
    "shock_year": "Shock: year",
    "shock_size": "Shock: size",
    "cross_cluster_subsidy": "Subsidy for links across clusters",
    "intra_cluster_subsidy": "Subsidy for links inside a cluster",
    "university_link_subsidy": "Subsidy for links with universities",
    "interregional_subsidy": "Subsidy for links to other regions",
    "cluster_org_funding": "Funding of each cluster organization",
    "sme_rd_grant": "R&D grant for small firms (SMEs)",
    "challenge_demand": "Public buying of green/digital products",
    "policy_budget": "Policy budget of each region",
    "subsidy_targeting": "Which links the subsidies pay for",
    "allocation": "How the budget is shared when claims exceed it",
}
"""Plain-words label of every control. Setup labels stay short: Mesa writes them inside
the slider, where a long one squeezes the track away."""

LEVER_HELP: dict[str, str] = {
    "cross_cluster_subsidy": "The region pays this share of the yearly fee when firms of two "
    "different clusters work together: different know-how meets.",
    "intra_cluster_subsidy": "Old-style cluster policy: pays part of the fee for links "
    "between firms of the same cluster.",
    "university_link_subsidy": "Pays part of the fee when a firm works with a university, "
    "which knows many fields and teaches fast.",
    "interregional_subsidy": "Pays part of the fee for links with firms in another region: "
    "a way out of the local silo.",
    "cluster_org_funding": "Money for each cluster organization. It pools R&D money for "
    "small firms, introduces firms to partners and steers them toward its roadmap.",
    "sme_rd_grant": "Pays back this share of what small firms spend on research.",
    "challenge_demand": "Each region buys this much from the green and digital "
    "'challenge' industries every year, so they grow faster.",
    "policy_budget": "Every instrument above draws on this yearly budget. When the claims "
    "exceed it, they are cut back (see the allocation below).",
    "subsidy_targeting": "'blanket': every eligible link is subsidised. 'missing_link' "
    "(RIS3): only links bringing know-how for related industries the region still lacks.",
    "allocation": "'pro_rata': every claim is cut back in the same proportion. 'call': a "
    "competitive call funds the proposals that add the most first (links that would not "
    "form without the subsidy before those that would) until the money runs out.",
}
"""What each policy lever does, in plain words for students."""


def lever_specs() -> list[ParamSpec]:
    """Return the policy levers (every field of ``PolicyParams``) in declaration order."""
    return [spec for spec in param_specs().values() if spec.group == "policy"]


def label(spec: ParamSpec) -> str:
    """Label of a control with its unit, e.g. "Policy budget of each region (M€/region/year)"."""
    return f"{LABELS[spec.name]} ({spec.unit})"


def slider_step(spec: ParamSpec) -> float:
    """Step of a lever's slider: 1 for whole numbers, :data:`FLOAT_STEP` over a share.

    Over a wider range, the power of ten that gives at most about
    :data:`SLIDER_POSITIONS` positions: 0.1 over 0-100 M€, 10 over 0-10,000 M€ (50 M€
    is then three presses of an arrow key from 20). The number box beside it takes any value.
    """
    if spec.kind is int:
        return 1
    span = spec.high - spec.low
    if span <= 1:
        return FLOAT_STEP
    return 10.0 ** math.floor(math.log10(span / SLIDER_POSITIONS))


def snapped(value: float, step: float) -> float:
    """``value`` on a slider's grid of ``step``: ``snapped(55, 10) == 60``, ``snapped(5, 10) == 0``.

    Rounded to 12 decimals, so that 0.1 * 3 shows as 0.3.
    """
    return round(round(value / step) * step, 12)


def _setup_high(spec: ParamSpec) -> int | float:
    return min(spec.high, APP_MAX_FIRMS) if spec.name == "n_firms" else spec.high


def setup_label(spec: ParamSpec) -> str:
    """Label of a typed setup box with its range and unit, e.g. "Firms (20 to 5000 firms)"."""
    text = f"{LABELS[spec.name]} ({spec.low:g} to {_setup_high(spec):g} {spec.unit}"
    if spec.name == "shock_industry":
        text += "; -1: none; numbers listed under the charts"
    return text + ")"


def parse_setup(spec: ParamSpec, value: Any) -> int | float:
    """Read a setup value typed in the page (a number as text) in the type of ``spec``.

    Raises
    ------
    ParameterError
        If it is not a number of the parameter's kind within the app's range.
    """
    text, high = str(value).strip(), _setup_high(spec)
    try:
        number = spec.kind(text) if spec.kind is float else int(text)
    except ValueError:
        kind = "a whole number" if spec.kind is int else "a number"
        raise ParameterError(f"{LABELS[spec.name]} must be {kind}. Got {text!r}.") from None
    if not spec.low <= number <= high:
        raise ParameterError(
            f"{LABELS[spec.name]} must be in [{spec.low:g}, {high:g}] ({spec.unit}). Got {text}."
        )
    return number


def setup_controls() -> dict[str, Any]:
    """Mesa ``model_params`` of the world: preset, seed and :data:`SETUP_PARAMETERS`.

    Every setup value is a typed box that always shows its value (Mesa's setup sliders
    show theirs only while dragged), labelled with its range and unit.
    """
    specs = param_specs()
    controls: dict[str, Any] = {
        "preset_name": {
            "type": "Select",
            "value": DEFAULT_PRESET,
            "values": list(PRESETS),
            "label": "Preset (a policy mix, or the teaching economy)",
        },
        "seed": {"type": "InputText", "value": str(DEFAULT_SEED), "label": "Seed (whole number)"},
    }
    return controls | {
        name: {
            "type": "InputText",
            "value": f"{specs[name].default:g}",
            "label": setup_label(specs[name]),
        }
        for name in SETUP_PARAMETERS
    }


def parse_seed(value: int | str) -> int:
    """Read a seed typed in the page.

    Raises
    ------
    ParameterError
        If it is not a whole number >= 0.
    """
    text = str(value).strip()
    if not text.isdigit():
        raise ParameterError(f"The seed must be a whole number >= 0. Got {text!r}.")
    return int(text)


def _changed_setup(values: dict[str, Any]) -> dict[str, Any]:
    """Return the setup values that override the preset: those away from their default."""
    specs, out = param_specs(), {}
    for name, typed in values.items():
        value = parse_setup(specs[name], typed) if name in SETUP_PARAMETERS else typed
        if name not in specs or value != specs[name].default:
            out[name] = value
    return out


class TeachingModel(ClusterModel):
    """A :class:`ClusterModel` built from the page's controls; levers move while it runs.

    A setup the model rejects does not break the page: the default world is built
    instead and ``build_error`` says why, in one line.

    Parameters
    ----------
    preset_name : str
        Named preset.
    seed : int or str
        Seed, as typed in the page.
    scenario : object, optional
        Not used. Mesa 3.5's SolaraViz passes a new (empty) ``Scenario`` on Reset to a
        model whose ``__init__`` takes keywords; the world comes from the page's controls
        and ``seed`` alone.
    **kwargs
        Values of the setup boxes (numbers, or numbers as typed), by parameter name. One
        left at its parameter's default keeps the preset's value; another overrides it.
        (Mesa's SolaraViz accepts extra keyword parameters only under this name.)
    """

    def __init__(
        self,
        *,
        preset_name: str = DEFAULT_PRESET,
        seed: int | str = DEFAULT_SEED,
        scenario: object | None = None,
        **kwargs: Any,
    ) -> None:
        self.build_error: str | None = None
        self.preset_label, self.seed_label = preset_name, str(seed)
        self.lever_changes: list[tuple[int, str, Any]] = []
        # Play, Step and Reset run in Solara's worker threads while the page draws in
        # another: one lock per world makes a step and a drawing never overlap.
        self.lock = threading.RLock()
        self.closed = False
        self.stop_year = DEFAULT_STOP_YEAR
        try:
            rng = parse_seed(seed)
            params = preset(preset_name, **_changed_setup(kwargs))
        except ClusterLabError as exc:  # rejected before anything was built
            self._fall_back(exc)
            super().__init__(preset_name=DEFAULT_PRESET, rng=DEFAULT_SEED)
            return
        try:
            super().__init__(params=params, rng=rng)
        except ClusterLabError as exc:  # rejected while the world was built
            # mesa.Model was set up (it must be once only): build the default world in it
            # from the default seed, as a fresh model would.
            self._fall_back(exc)
            self.reset_rng(DEFAULT_SEED)
            self._build(None, DEFAULT_PRESET, {})

    def _fall_back(self, exc: ClusterLabError) -> None:
        """Say why the setup was rejected; label the page with the default world."""
        self.build_error = (
            f"Could not build this world: {exc} Showing the '{DEFAULT_PRESET}' world "
            f"with seed {DEFAULT_SEED} instead; change the setting and press Reset."
        )
        self.preset_label, self.seed_label = DEFAULT_PRESET, str(DEFAULT_SEED)
        self.closed = False  # a failed build released itself; this world is new
        self.running = True

    def step(self) -> None:
        """Advance one year, unless the page is gone or the stop year is reached.

        Sets ``running`` to False at the stop year (and once closed), which ends Mesa's
        Play loop; Step then does nothing until the stop year is raised.
        """
        with self.lock:
            if not self.closed and self.state.step < self.stop_year:
                super().step()
            self.running = not self.closed and self.state.step < self.stop_year

    def set_stop_year(self, year: int) -> None:
        """Let Play run until ``year`` (a later year lets a finished world go on)."""
        with self.lock:
            self.stop_year = int(year)
            self.running = not self.closed and self.state.step < self.stop_year

    def snapshot(self, draw: Callable[[TeachingModel], T]) -> T:
        """Return ``draw(self)`` computed while no step runs: a consistent picture."""
        with self.lock:
            return draw(self)

    def release(self) -> None:
        """Stop this world for good (its page closed or was reset) and free it.

        A Play loop still running in a worker thread then finds ``running`` False and
        ends; a late Step does nothing.
        """
        with self.lock:
            if self.closed:
                return
            self.closed = True
            self.running = False
            year = self.state.step if hasattr(self, "state") else None
            _log.info("ClusterLab app: released a world at year %s", year)
            super().release()

    def set_lever(self, name: str, value: Any) -> None:
        """Change a policy lever; it acts from the next year on (waits for a running year).

        Raises
        ------
        ParameterError
            If ``name`` is not a policy lever or the value is out of its range.
        """
        if name not in {spec.name for spec in lever_specs()}:
            raise ParameterError(f"'{name}' is not a policy lever.")
        with self.lock:  # never in the middle of a year: a step reads the levers throughout
            new = self.params.replace(**{name: value})
            value = new.to_flat()[name]
            if value == self.params.to_flat()[name]:
                return
            self.params = new
            year = self.state.step + 1
            self.lever_changes = [c for c in self.lever_changes if c[:2] != (year, name)]
            self.lever_changes.append((year, name, value))

    def lever_marks(self) -> list[LeverMark]:
        """Chart markers: the first year under each changed lever value."""
        return [(year, f"{name} = {value}") for year, name, value in self.lever_changes]


def status_text(model: TeachingModel) -> str:
    """Describe the running world, its demand shock and the levers moved, in one paragraph."""
    w, m = model.params.world, model.params.market
    text = (
        f"Year {model.state.step} of preset '{model.preset_label}' (seed {model.seed_label}, "
        f"{w.n_regions} regions, {w.n_firms} firms at the start). "
        f"{PRESETS[model.preset_label][0]}"
    )
    if m.shock_industry >= 0:
        name = industry_names(model)[m.shock_industry]
        text += f" Demand shock: {name} loses {m.shock_size:.0%} of its demand in year "
        text += f"{m.shock_year}."
    text += f" Play stops at year {model.stop_year}."
    if model.lever_changes:
        moves = "; ".join(f"from year {y}: {n} = {v}" for y, n, v in model.lever_changes)
        text += f" Levers moved: {moves}."
    return text
