import pytest

from clusterlab.model.errors import ParameterError
from clusterlab.model.params import Economy, ModelParams, SubsidyTargeting
from clusterlab.model.presets import PRESETS, preset, preset_names
from clusterlab.model.record import SPEND_COLUMNS
from clusterlab.model.simulate import simulate

LEVERS = (
    "cross_cluster_subsidy",
    "intra_cluster_subsidy",
    "university_link_subsidy",
    "interregional_subsidy",
    "cluster_org_funding",
    "sme_rd_grant",
    "challenge_demand",
)

SPENDS_ON = {
    "baseline": set(),
    "intra_cluster": {"spend_intra_cluster", "spend_cluster_org"},
    "ris3_relatedness": {"spend_cross_cluster", "spend_university_link"},
    "ris3_targeted": {"spend_cross_cluster", "spend_university_link"},
    "outward_looking": {"spend_interregional"},
    "governance": {"spend_cluster_org", "spend_sme_rd_grant"},
    "mission": {"spend_procurement"},
    "marche_teaching": set(),
}


def test_the_required_presets_exist():
    required = {
        "baseline",
        "intra_cluster",
        "ris3_relatedness",
        "outward_looking",
        "governance",
        "mission",
    }
    assert required <= set(preset_names())
    assert preset_names() == list(PRESETS)
    assert set(SPENDS_ON) == set(PRESETS), "a preset was added: say what it spends on"


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_is_valid_documented_and_applies_its_overrides(name):
    doc, overrides = PRESETS[name]
    assert len(doc) > 20
    params = preset(name)
    flat = params.to_flat()
    for key, value in overrides.items():
        assert flat[key] == value
    untouched = ModelParams().to_flat()
    assert {k for k in flat if flat[k] != untouched[k]} == set(overrides)


def test_presets_compare_at_equal_budget():
    budgets = {preset(name).policy.policy_budget for name in PRESETS}
    assert budgets == {ModelParams().policy.policy_budget}


def test_baseline_has_no_policy():
    policy = preset("baseline").policy
    assert all(getattr(policy, lever) == 0 for lever in LEVERS)


def test_targeted_and_teaching_presets():
    assert preset("ris3_targeted").policy.subsidy_targeting is SubsidyTargeting.MISSING_LINK
    assert preset("marche_teaching").world.economy is Economy.MARCHE
    assert "NOT CALIBRATED" in PRESETS["marche_teaching"][0]


def test_overrides_win_over_the_preset_values():
    params = preset("marche_teaching", n_firms=120, n_regions=3)
    assert params.world.n_firms == 120
    assert params.world.n_regions == 3
    assert params.world.economy is Economy.MARCHE
    assert preset("ris3_relatedness", cross_cluster_subsidy=0.1).policy.cross_cluster_subsidy == 0.1


def test_unknown_preset_gets_did_you_mean_and_the_list():
    with pytest.raises(
        ParameterError,
        match=r"Unknown preset 'baselin'\. Did you mean 'baseline'\? Choose one of: baseline, ",
    ):
        preset("baselin")


def test_unknown_override_in_a_preset_is_rejected():
    with pytest.raises(ParameterError, match=r"Unknown parameter 'cross_cluster'\. Did you mean"):
        preset("baseline", cross_cluster=0.5)


def test_bad_override_value_in_a_preset_is_rejected():
    with pytest.raises(ParameterError, match=r"'cross_cluster_subsidy' parameter of PolicyParams"):
        preset("ris3_relatedness", cross_cluster_subsidy=2.0)


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_spends_only_on_its_own_instruments(name):
    result = simulate(preset(name, n_firms=150, burn_in=2), seed=3, steps=6)
    spend = result.timeseries[result.timeseries["scope"] == "economy"][list(SPEND_COLUMNS)].sum()
    allowed = SPENDS_ON[name]
    assert (spend.drop(list(allowed)) == 0).all(), spend[spend > 0].to_dict()
    if allowed:
        assert spend[list(allowed)].sum() > 0
