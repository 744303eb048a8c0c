import importlib

import numpy as np
import pytest

from clusterlab.model.metrics._validation import MetricError
from clusterlab.model.metrics.entries import classify_by_density, classify_entries, entry_exit


def test_entry_exit_hand_computed():
    entries, exits = entry_exit([[1, 0, 1, 0]], [[0, 1, 1, 0]])
    assert entries.tolist() == [[False, True, False, False]]
    assert exits.tolist() == [[True, False, False, False]]


def test_entry_exit_rejects_shape_mismatch():
    with pytest.raises(MetricError, match=r"'m_after' argument of entry_exit .* \(1, 2\)"):
        entry_exit([[1, 0]], [[1, 0, 0]])


def test_classify_entries_median_of_non_specialised_cells():
    # Candidates (not specialised at the start): densities 80, 20, 40 -> median 40.
    before = [[1, 0, 0, 0]]
    after = [[1, 1, 1, 0]]
    density = [[50, 80, 20, 40]]
    related, unrelated = classify_entries(before, after, density)
    assert related.tolist() == [[False, True, False, False]]
    assert unrelated.tolist() == [[False, False, True, False]]


def test_classify_entries_threshold_ties_are_related():
    related, unrelated = classify_entries([[0, 0]], [[1, 1]], [[30, 29.5]], threshold=30)
    assert related.tolist() == [[True, False]]
    assert unrelated.tolist() == [[False, True]]


def test_classify_entries_when_everything_is_specialised_at_the_start():
    related, unrelated = classify_entries([[1, 1]], [[1, 1]], [[10, 20]])
    assert not related.any()
    assert not unrelated.any()


def test_classify_entries_rejects_bad_threshold_and_density():
    with pytest.raises(MetricError, match=r"'threshold' argument of classify_entries"):
        classify_entries([[0]], [[1]], [[1]], threshold=np.nan)
    with pytest.raises(MetricError, match=r"'density_before' argument .* shape"):
        classify_entries([[0]], [[1]], [[1, 2]])


def test_entry_functions_are_importable_from_relatedness():
    # The package re-exports the function relatedness, which shadows the submodule
    # as an attribute of clusterlab.model.metrics; import_module finds the module itself.
    relatedness_module = importlib.import_module("clusterlab.model.metrics.relatedness")
    assert relatedness_module.entry_exit is entry_exit
    assert relatedness_module.classify_entries is classify_entries


def test_classify_by_density_hand_computed():
    # Candidates: cells 1, 2, 3 with densities 80, 20, 40 -> median 40; cell 0 is not a
    # candidate (its density 90 does not enter the median).
    entries = [[0, 1, 1, 1]]
    related, unrelated = classify_by_density(entries, [[90, 80, 20, 40]], [[0, 1, 1, 1]])
    assert related.tolist() == [[False, True, False, True]]  # 40 >= 40: ties are related
    assert unrelated.tolist() == [[False, False, True, False]]
    related, unrelated = classify_by_density(entries, [[90, 80, 20, 40]], [[0, 0, 0, 0]])
    assert not related.any()  # no candidate: the median is undefined
    assert not unrelated.any()


def test_classify_entries_is_classify_by_density_of_the_crossings():
    rng = np.random.default_rng(3)
    before, after = rng.random((3, 6)) < 0.5, rng.random((3, 6)) < 0.5
    density = rng.uniform(0, 100, (3, 6))
    expected = classify_by_density(~before & after, density, ~before)
    for got, want in zip(classify_entries(before, after, density), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_classify_by_density_rejects_shape_mismatch():
    with pytest.raises(MetricError, match=r"'candidates' argument of classify_by_density"):
        classify_by_density([[1, 0]], [[1, 2]], [[1]])
