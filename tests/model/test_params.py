import dataclasses
import re

import numpy as np
import pytest

from clusterlab.model.errors import ClusterLabError, ParameterError
from clusterlab.model.params import (
    GROUPS,
    Economy,
    ModelParams,
    PolicyParams,
    SubsidyTargeting,
    WorldParams,
    param_specs,
    parse_value,
    suggest,
)

SPECS = param_specs()
NUMERIC = [name for name, spec in SPECS.items() if spec.choices is None]
CHOICES = [name for name, spec in SPECS.items() if spec.choices is not None]


# --- one parametrised test over every parameter field ------------------------------------


def test_param_specs_cover_every_field_of_every_group_once():
    fields = [f.name for cls in GROUPS.values() for f in dataclasses.fields(cls)]
    assert len(fields) == len(set(fields)), "parameter names must be unique across groups"
    assert sorted(SPECS) == sorted(fields)
    assert {spec.group for spec in SPECS.values()} == set(GROUPS)


@pytest.mark.parametrize("name", list(SPECS))
def test_every_parameter_has_range_unit_doc_and_a_valid_default(name):
    spec = SPECS[name]
    assert spec.unit.strip(), f"{name} has no unit"
    assert len(spec.doc.strip()) > 10, f"{name} has no meaning"
    assert spec.doc.strip().endswith("."), f"{name}'s doc is not a sentence"
    if spec.choices is not None:
        assert len(spec.choices) >= 2
        assert spec.default.value in spec.choices
    else:
        assert spec.kind in (int, float)
        assert isinstance(spec.default, spec.kind)
        assert spec.low is not None
        assert spec.high is not None
        assert spec.low < spec.high
        assert spec.low <= spec.default <= spec.high
    # The default survives validation unchanged.
    params = ModelParams().replace(**{name: spec.default})
    assert params.to_flat()[name] == getattr(spec.default, "value", spec.default)


@pytest.mark.parametrize("name", list(SPECS))
def test_every_parameter_rejects_an_out_of_range_value_naming_it(name):
    spec = SPECS[name]
    where = f"The '{name}' parameter of {spec.owner} must be"
    if spec.choices is not None:
        with pytest.raises(ParameterError, match=f"{where} one of .* Got 'no-such-choice'"):
            ModelParams().replace(**{name: "no-such-choice"})
        return
    for bad in (spec.high + 1, spec.low - 1):
        with pytest.raises(ParameterError, match=f"{where} .*\\({re.escape(spec.unit)}\\)\\. Got"):
            ModelParams().replace(**{name: bad})


@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "0.5", True, None])
def test_every_numeric_parameter_rejects_nan_inf_strings_bools_and_none(name, bad):
    spec = SPECS[name]
    with pytest.raises(ParameterError, match=f"The '{name}' parameter of {spec.owner}"):
        ModelParams().replace(**{name: bad})


# --- messages ----------------------------------------------------------------------------


def test_out_of_range_message_is_one_line_with_range_unit_and_value():
    with pytest.raises(ParameterError) as info:
        PolicyParams(cross_cluster_subsidy=1.5)
    assert str(info.value) == (
        "The 'cross_cluster_subsidy' parameter of PolicyParams must be a number in [0, 1] "
        "(share of link fee). Got 1.5."
    )


def test_unknown_parameter_gets_did_you_mean():
    with pytest.raises(
        ParameterError,
        match=r"Unknown parameter 'cross_cluster_subsidyy'\. Did you mean "
        r"'cross_cluster_subsidy'\? Run 'clusterlab params'",
    ):
        ModelParams().replace(cross_cluster_subsidyy=0.5)


def test_unknown_parameter_far_from_any_name_gets_no_suggestion():
    with pytest.raises(ParameterError, match=r"^Unknown parameter 'zzzz'\. Run 'clusterlab"):
        ModelParams().replace(zzzz=1)


def test_unknown_group_qualified_name_is_reported_as_given():
    with pytest.raises(ParameterError, match=r"Unknown parameter 'policy\.budget'\. Did you"):
        ModelParams().replace(**{"policy.budget": 1.0})


def test_suggest_hand_examples():
    assert suggest("n_firm", ["n_firms", "n_regions"]) == " Did you mean 'n_firms'?"
    assert suggest("qqq", ["n_firms"]) == ""


def test_parameter_error_is_a_value_error_and_a_clusterlab_error():
    assert issubclass(ParameterError, ValueError)
    assert issubclass(ParameterError, ClusterLabError)


# --- types -------------------------------------------------------------------------------


def test_integer_parameter_rejects_a_fraction_and_accepts_an_integral_float():
    with pytest.raises(
        ParameterError, match=r"must be an integer in \[20, 200000\] \(firms\)\. Got 100\.5\."
    ):
        WorldParams(n_firms=100.5)
    world = WorldParams(n_firms=100.0)
    assert world.n_firms == 100
    assert type(world.n_firms) is int


def test_bool_is_not_an_integer():
    with pytest.raises(ParameterError, match=r"'n_firms' .* Got True of type bool"):
        WorldParams(n_firms=True)


def test_string_is_not_a_float():
    with pytest.raises(ParameterError, match=r"'policy_budget' .* Got '5' of type str"):
        PolicyParams(policy_budget="5")


def test_float_parameter_given_an_int_is_stored_as_float():
    policy = PolicyParams(cross_cluster_subsidy=1)
    assert policy.cross_cluster_subsidy == 1.0
    assert type(policy.cross_cluster_subsidy) is float


def test_numpy_scalars_are_accepted_and_normalised():
    # Sweep designs hand over numpy scalars; they are numbers like any other.
    params = ModelParams().replace(n_firms=np.int64(300), cross_cluster_subsidy=np.float64(0.25))
    assert params.world.n_firms == 300
    assert type(params.world.n_firms) is int
    assert type(params.policy.cross_cluster_subsidy) is float


def test_choice_is_parsed_to_its_enum_and_rejects_other_strings():
    params = ModelParams().replace(subsidy_targeting="missing_link", economy="marche")
    assert params.policy.subsidy_targeting is SubsidyTargeting.MISSING_LINK
    assert params.world.economy is Economy.MARCHE
    with pytest.raises(
        ParameterError,
        match=r"'subsidy_targeting' parameter of PolicyParams must be one of 'blanket', "
        r"'missing_link'\. Got 'targeted'\.",
    ):
        ModelParams().replace(subsidy_targeting="targeted")


# --- groups ------------------------------------------------------------------------------


def test_groups_are_frozen_and_keyword_only():
    policy = PolicyParams()
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign"):
        policy.policy_budget = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional"):
        PolicyParams(0.5)  # type: ignore[misc]


def test_replace_returns_a_copy_and_accepts_group_qualified_names():
    base = ModelParams()
    changed = base.replace(**{"policy.cross_cluster_subsidy": 0.5}, n_firms=300)
    assert changed.policy.cross_cluster_subsidy == 0.5
    assert changed.world.n_firms == 300
    assert base.policy.cross_cluster_subsidy == 0.0
    assert base.world.n_firms == 1000
    assert changed.market == base.market


def test_flat_round_trip():
    params = ModelParams().replace(subsidy_targeting="missing_link", n_regions=3)
    flat = params.to_flat()
    assert flat["subsidy_targeting"] == "missing_link"
    assert isinstance(flat["subsidy_targeting"], str)
    assert ModelParams.from_flat(flat) == params
    assert set(flat) == set(SPECS)


def test_min_clusters_above_max_clusters_is_rejected():
    with pytest.raises(
        ParameterError,
        match=r"'min_clusters_per_region' parameter of WorldParams must be at most "
        r"max_clusters_per_region \(2\)\. Got 3\.",
    ):
        ModelParams().replace(min_clusters_per_region=3, max_clusters_per_region=2)


def test_generic_economy_needs_a_chain_per_cluster():
    with pytest.raises(ParameterError, match=r"'n_chains' .* at least max_clusters_per_region"):
        ModelParams().replace(n_chains=2, max_clusters_per_region=3)
    # The Marche economy has its own chains, so n_chains does not constrain it.
    marche = ModelParams().replace(economy="marche", n_chains=2, max_clusters_per_region=3)
    assert marche.world.n_chains == 2


# --- parse_value (command-line strings) ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("n_firms", "300", 300),
        ("cross_cluster_subsidy", "0.5", 0.5),
        ("policy_budget", "1e2", 100.0),
        ("subsidy_targeting", "missing_link", "missing_link"),
    ],
)
def test_parse_value_converts_to_the_parameter_type(name, text, expected):
    value = parse_value(name, text)
    assert value == expected
    assert type(value) is type(expected)


def test_parse_value_rejects_text_of_the_wrong_type():
    with pytest.raises(ParameterError, match=r"'n_firms' parameter of WorldParams .* Got '1.5'"):
        parse_value("n_firms", "1.5")
    with pytest.raises(ParameterError, match=r"'policy_budget' .* Got 'lots'"):
        parse_value("policy_budget", "lots")


def test_parse_value_rejects_unknown_names_with_a_hint():
    with pytest.raises(
        ParameterError, match=r"Unknown parameter 'n_firmz'\. Did you mean 'n_firms'"
    ):
        parse_value("n_firmz", "3")


def test_allowed_says_what_is_allowed():
    assert SPECS["n_firms"].allowed() == "an integer in [20, 200000]"
    assert SPECS["payout_share"].allowed() == "a number in [0, 1]"
    assert SPECS["economy"].allowed() == "one of 'generic', 'marche' or 'csv:<path>'"
    assert CHOICES == ["economy", "subsidy_targeting", "allocation"]
