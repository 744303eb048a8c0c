"""The teaching app's controls, generated from the parameter specs, and the model
behind the page (no browser).
"""

import dataclasses
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest

from clusterlab.experiments.app_controls import (
    APP_MAX_FIRMS,
    DEFAULT_PRESET,
    DEFAULT_SEED,
    FLOAT_STEP,
    LABELS,
    LEVER_HELP,
    SETUP_PARAMETERS,
    TeachingModel,
    lever_specs,
    parse_seed,
    parse_setup,
    setup_controls,
    setup_label,
    slider_step,
    snapped,
    status_text,
)
from clusterlab.model import ClusterModel
from clusterlab.model.errors import ParameterError
from clusterlab.model.params import PolicyParams, param_specs
from clusterlab.model.presets import PRESETS

SMALL = {"n_firms": 150, "burn_in": 2}


@pytest.fixture
def teaching_model() -> Iterator[Callable[..., TeachingModel]]:
    """Factory of small TeachingModels, released at teardown."""
    built: list[TeachingModel] = []

    def factory(**controls: Any) -> TeachingModel:
        model = TeachingModel(**(SMALL | controls))
        built.append(model)
        return model

    yield factory
    for model in built:
        model.release()


def test_every_policy_lever_has_a_control_with_label_and_help():
    names = [spec.name for spec in lever_specs()]
    assert names == [f.name for f in dataclasses.fields(PolicyParams)]
    for name in names:
        assert LABELS[name]
        assert len(LEVER_HELP[name]) > 40  # a sentence in plain words


def test_setup_boxes_take_defaults_and_ranges_from_param_specs():
    specs, controls = param_specs(), setup_controls()
    assert list(controls) == ["preset_name", "seed", *SETUP_PARAMETERS]
    for name in SETUP_PARAMETERS:
        spec, box = specs[name], controls[name]
        high = min(spec.high, APP_MAX_FIRMS) if name == "n_firms" else spec.high
        assert box["type"] == "InputText"  # always shows its value, unlike Mesa's sliders
        assert parse_setup(spec, box["value"]) == spec.default
        assert box["label"] == setup_label(spec)
        assert box["label"].startswith(f"{LABELS[name]} ({spec.low:g} to {high:g} {spec.unit}")
    assert setup_label(specs["n_firms"]) == "Firms (20 to 5000 firms)"


def test_parse_setup_reads_typed_numbers_within_the_apps_range():
    specs = param_specs()
    assert parse_setup(specs["n_firms"], " 600 ") == 600
    assert parse_setup(specs["shock_size"], "0.25") == 0.25
    assert parse_setup(specs["shock_industry"], "-1") == -1
    with pytest.raises(ParameterError, match=r"Firms must be a whole number\. Got '1\.5'"):
        parse_setup(specs["n_firms"], "1.5")
    with pytest.raises(ParameterError, match=r"Firms must be in \[20, 5000\] \(firms\)"):
        parse_setup(specs["n_firms"], "100000")
    with pytest.raises(ParameterError, match=r"Shock: size must be a number\. Got 'half'"):
        parse_setup(specs["shock_size"], "half")


def test_slider_steps_suit_each_levers_range():
    steps = {spec.name: slider_step(spec) for spec in lever_specs() if spec.choices is None}
    assert steps["cross_cluster_subsidy"] == FLOAT_STEP  # a share: 0.01
    assert steps["cluster_org_funding"] == pytest.approx(0.1)  # 0-100 M€: 1,000 positions
    assert steps["challenge_demand"] == 1  # 0-1,000 M€
    assert steps["policy_budget"] == 10  # 0-10,000 M€: 50 M€ is on the slider
    assert 50 % steps["policy_budget"] == 0


def test_preset_and_seed_controls_start_at_the_models_defaults():
    controls = setup_controls()
    signature = inspect.signature(ClusterModel.__init__).parameters
    assert controls["preset_name"]["values"] == list(PRESETS)
    assert controls["preset_name"]["value"] == DEFAULT_PRESET == signature["preset_name"].default
    assert controls["seed"]["value"] == str(DEFAULT_SEED)


def test_every_preset_value_can_be_set_with_the_controls():
    specs = param_specs()
    controlled = set(SETUP_PARAMETERS) | {spec.name for spec in lever_specs()}
    for _, overrides in PRESETS.values():
        for name, value in overrides.items():
            if name not in controlled:
                continue
            spec = specs[name]
            if spec.choices is not None:
                assert value in spec.choices
                continue
            # every lever has a number box beside its slider; setup values are typed
            assert spec.low <= value <= spec.high, name


def test_parse_seed_reads_whole_numbers_only():
    assert parse_seed(" 7 ") == 7
    assert parse_seed(0) == 0
    for bad in ("-1", "abc", "1.5", ""):
        with pytest.raises(ParameterError, match="seed must be a whole number"):
            parse_seed(bad)


# --- the model behind the page ----------------------------------------------------------


def test_setup_slider_left_at_default_keeps_the_presets_value(teaching_model):
    kept = teaching_model(preset_name="marche_teaching", n_regions=4)  # 4 is the default
    assert kept.params.world.n_regions == 2  # marche_teaching's own value
    moved = teaching_model(preset_name="marche_teaching", n_regions=3)
    assert moved.params.world.n_regions == 3
    assert moved.build_error is None
    typed = teaching_model(preset_name="marche_teaching", n_regions="3", shock_size="0.25")
    assert (typed.params.world.n_regions, typed.params.market.shock_size) == (3, 0.25)
    assert teaching_model(preset_name="marche_teaching", n_regions="4").params.world.n_regions == 2


@pytest.mark.parametrize(
    ("controls", "message"),
    [
        ({"seed": "abc"}, "seed must be a whole number"),
        ({"preset_name": "marche_teaching", "shock_industry": 50}, "'shock_industry' parameter"),
        ({"shock_size": 1.5}, "Shock: size must be in [0, 1] (share of demand). Got 1.5."),
        ({"n_firms": "many"}, "Firms must be a whole number. Got 'many'."),
    ],
)
def test_a_setup_the_model_rejects_shows_a_message_and_the_default_world(
    teaching_model, controls, message
):
    model = teaching_model(**controls)
    assert model.build_error is not None
    assert message in model.build_error
    assert f"Showing the '{DEFAULT_PRESET}' world" in model.build_error
    assert model.preset_label == DEFAULT_PRESET
    model.step()  # built once more after a failed first try, it still steps normally
    assert model.steps == 1
    assert model.state.step == 1


def test_reset_with_a_scenario_builds_the_typed_setup(teaching_model):
    # Mesa 3.5's SolaraViz Reset adds scenario=Scenario() to the page's setup values
    model = teaching_model(scenario=object(), n_firms="150", seed="4")
    assert model.build_error is None
    assert (model.params.world.n_firms, model.seed_label) == (150, "4")


def test_a_world_rejected_while_built_falls_back_to_the_same_world_as_a_fresh_one(
    teaching_model,
):
    # rejected inside ClusterModel's build (after mesa.Model was set up): the default world
    # is built in the same model, from the default seed, as a fresh default model builds it
    fallback = teaching_model(preset_name="marche_teaching", shock_industry=50)
    fresh = TeachingModel()
    try:
        assert fallback.build_error is not None
        assert fresh.build_error is None
        for model in (fallback, fresh):
            model.step()
        assert fallback.params == fresh.params
        pd.testing.assert_frame_equal(
            pd.DataFrame(fallback.recorder.rows), pd.DataFrame(fresh.recorder.rows)
        )
        assert len(fallback.agents) == len(fresh.agents)
    finally:
        fresh.release()


def test_set_lever_changes_the_running_models_parameter(teaching_model):
    model = teaching_model()
    model.step()
    model.set_lever("cross_cluster_subsidy", 0.3)
    model.set_lever("cross_cluster_subsidy", 0.5)  # same year: one change is kept
    model.set_lever("policy_budget", model.params.policy.policy_budget)  # no change
    model.set_lever("subsidy_targeting", "missing_link")
    assert model.params.policy.cross_cluster_subsidy == 0.5
    assert model.params.policy.subsidy_targeting.value == "missing_link"
    assert model.lever_changes == [
        (2, "cross_cluster_subsidy", 0.5),
        (2, "subsidy_targeting", "missing_link"),
    ]
    assert model.lever_marks()[0] == (2, "cross_cluster_subsidy = 0.5")
    model.step()
    assert model.params.policy.cross_cluster_subsidy == 0.5  # a step keeps it


def test_a_lever_moved_before_the_first_step_equals_starting_with_it(teaching_model):
    # docs/teaching.md tells students to do this; its numbers come from preset overrides.
    moved = teaching_model()
    moved.set_lever("cross_cluster_subsidy", 0.5)
    started = teaching_model(cross_cluster_subsidy=0.5)
    for _ in range(3):
        moved.step()
        started.step()
    # DataFrame.equals counts NaN (e.g. a KCI of a region without exports) as equal
    assert pd.DataFrame(moved.recorder.rows).equals(pd.DataFrame(started.recorder.rows))


def test_set_lever_rejects_bad_values_and_non_levers(teaching_model):
    model = teaching_model()
    with pytest.raises(ParameterError, match="'cross_cluster_subsidy' parameter of PolicyParams"):
        model.set_lever("cross_cluster_subsidy", 1.5)
    with pytest.raises(ParameterError, match="'n_firms' is not a policy lever"):
        model.set_lever("n_firms", 10)
    assert model.lever_changes == []


def test_status_text_names_the_world_its_shock_and_the_levers_moved(teaching_model):
    model = teaching_model(preset_name="marche_teaching", shock_industry=1, shock_year=5)
    model.set_lever("university_link_subsidy", 0.25)
    text = status_text(model)
    assert "Year 0 of preset 'marche_teaching' (seed 1, 2 regions, 150 firms" in text
    assert "Footwear loses 50% of its demand in year 5" in text
    assert "from year 1: university_link_subsidy = 0.25" in text


def test_play_stops_at_the_stop_year_and_goes_on_when_it_is_raised(teaching_model):
    model = teaching_model()
    model.set_stop_year(2)
    for _ in range(5):  # what Mesa's Play loop does while `running` is True, and more
        model.step()
    assert model.state.step == 2
    assert model.running is False
    model.set_stop_year(3)
    assert model.running is True
    model.step()
    model.step()
    assert model.state.step == 3
    assert "Play stops at year 3." in status_text(model)


def test_a_released_world_stops_and_ignores_late_steps(teaching_model):
    model = teaching_model()
    model.step()
    model.release()
    model.release()  # the page's cleanup and a reset may both release it
    assert model.closed is True
    assert model.running is False
    model.step()  # a Play loop that had not yet seen `running` go False
    assert model.state.step == 1
    model.set_stop_year(100)
    assert model.running is False


def test_drawing_and_stepping_from_two_threads_never_overlap(teaching_model):
    """A drawing reads a consistent snapshot: firm arrays of one length, one year."""
    import threading

    model = teaching_model()
    model.set_stop_year(30)
    seen: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def picture(m: TeachingModel) -> tuple[int, bool]:
        f = m.state.firms
        year = m.state.step
        consistent = len(f.alive) == len(f.employees) == len(f.x) and m.state.step == year
        return year, consistent

    def play() -> None:
        try:
            while model.running:
                model.step()
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)

    player = threading.Thread(target=play)
    player.start()
    while player.is_alive():
        seen.append(model.snapshot(picture))
    player.join()
    assert errors == []
    assert model.state.step == 30
    assert all(ok for _, ok in seen)
    assert [y for y, _ in seen] == sorted(y for y, _ in seen)  # years never go back


def test_a_view_that_raises_shows_a_message_not_a_traceback(teaching_model):
    from clusterlab.experiments.app import drawn

    model = teaching_model()

    def broken(m: TeachingModel) -> None:
        raise IndexError("boolean index did not match")

    assert drawn(model, lambda m: m.state.step, "map") == (0, "")
    picture, message = drawn(model, broken, "link network")
    assert picture is None
    assert message.startswith("The link network could not be drawn at year 0 (IndexError:")
    assert "The rest of the page still works." in message
    assert model.lock.acquire(blocking=False)  # the failed drawing let go of the lock
    model.lock.release()


def test_snapped_puts_a_value_on_the_sliders_grid():
    assert snapped(55, 10) == 60
    assert snapped(0.1 * 3, 0.01) == 0.3
    assert snapped(50, 10) == 50
