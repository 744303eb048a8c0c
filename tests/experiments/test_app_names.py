"""Readable names of regions, industries and clusters in the teaching app."""

import pytest

from clusterlab.experiments.app_names import cluster_names, industry_names, region_names, stage_word


def test_stage_words_run_from_inputs_to_final_goods():
    assert [stage_word(s, 3) for s in range(3)] == ["inputs", "parts", "final goods"]
    assert [stage_word(s, 2) for s in range(2)] == ["inputs", "final goods"]


def test_generic_names_become_words(make_model):
    model = make_model()
    ind = model.state.industries
    names = industry_names(model)
    assert len(names) == ind.n
    for p, name in enumerate(names):
        if ind.chain[p] >= 0:  # "C2.3": chain 2, stage 3
            assert name.startswith(f"Value chain {int(ind.chain[p]) + 1}: ")
        else:
            assert name.startswith("Green/digital challenge ")
    last = ind.chain_industries(0)[-1]
    assert names[last] == "Value chain 1: final goods"
    assert names[0] == "Value chain 1: inputs"
    assert region_names(model) == [f"Region {r + 1}" for r in range(model.state.geo.n_regions)]
    clusters = cluster_names(model)
    assert len(clusters) == len(model.state.orgs)
    chain, region = int(model.state.orgs.chain[0]), int(model.state.orgs.region[0])
    assert clusters[0] == f"Value chain {chain + 1} cluster, Region {region + 1}"
    assert all(not c.startswith("C") and "(" not in c for c in clusters)


@pytest.mark.parametrize("preset_name", ["marche_teaching"])
def test_hand_written_names_are_kept(make_model, preset_name):
    model = make_model(preset_name=preset_name)
    assert industry_names(model) == list(model.state.industries.names)
    assert region_names(model) == list(model.state.geo.region_names)
    assert cluster_names(model)[0].endswith(f"cluster, {model.state.geo.region_names[0]}")
