"""Check every public metric against one set of input rules (sklearn-style)."""

import inspect

import numpy as np
import pytest

from clusterlab.model import metrics
from clusterlab.model.errors import ClusterLabError
from clusterlab.model.metrics._validation import MetricError, parse_choice
from clusterlab.model.metrics.relatedness import RelatednessMethod

X = np.array([[4.0, 1.0, 0.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
M = np.array([[1, 0, 0], [1, 1, 1], [0, 1, 0]])
PSI = np.array([[1.0, 0.2, 0.0], [0.2, 1.0, 0.1], [0.0, 0.1, 1.0]])

# name -> (valid positional arguments, name of the first argument)
VALID_CALLS = {
    "rca": ((X,), "x"),
    "specialisation_matrix": ((X,), "x"),
    "diversity": ((M,), "m"),
    "ubiquity": ((M,), "m"),
    "herfindahl": ((X,), "x"),
    "krugman_index": ((X,), "x"),
    "locational_gini": ((X,), "x"),
    "co_occurrence": ((M,), "m"),
    "relatedness": ((M.T @ M,), "c"),
    "proximity": ((M,), "m"),
    "relatedness_density": ((M, PSI), "m"),
    "density_inside_outside": ((M, X), "m"),
    "entry_exit": ((M, M), "m_before"),
    "classify_entries": ((M, M, X), "m_before"),
    "entropy": ((X,), "x"),
    "variety_decomposition": ((X, np.array([0, 0, 1])), "x"),
    "complexity": ((M,), "m"),
    "cognitive_distance": ((PSI[0], PSI[1], PSI), "a"),
    "cognitive_distance_rows": ((PSI, PSI, PSI), "a"),
    "pairwise_cognitive_distance": ((PSI, PSI, PSI), "a"),
    "technological_heterogeneity": ((PSI, PSI), "knowledge"),
    "group_heterogeneity": ((PSI, PSI, np.array([0, 0, 1]), 2), "knowledge"),
    "knowledge_entropy": ((PSI,), "knowledge"),
    "atypicality_z": ((M,), "incidence"),
    "absolute_diversity": ((X,), "x"),
    "classify_by_density": ((M, X, M), "entries"),
    "persistent_update": ((M, np.zeros((3, 3)), M, 1 - M), "status"),
    "persistent_specialisation": ((np.stack([X, X, X]),), "rca_path"),
    "unit_incidence": ((np.array([0.0, 0.0, 1.0]), np.array([0, 2, 1]), 3), "unit"),
    "revealed_relatedness": ((M.T @ M,), "c"),
    "relatedness_correlation": ((PSI, PSI), "phi_a"),
}
# These take integer combinations (or a boolean record) first; their errors are tested in
# test_novelty.py.
INTEGER_FIRST = {
    "first_combinations",
    "combination_incidence",
    "recent_combinations",
    "classify_novelty",
}


def _public_functions():
    return sorted(name for name in metrics.__all__ if inspect.isfunction(getattr(metrics, name)))


def test_every_public_function_is_covered():
    assert set(_public_functions()) == set(VALID_CALLS) | INTEGER_FIRST


def test_metric_error_hierarchy():
    assert issubclass(MetricError, ClusterLabError)
    assert issubclass(MetricError, ValueError)


def _leaves(result):
    if isinstance(result, tuple):
        for item in result:
            yield from _leaves(item)
    else:
        yield np.asarray(result, dtype=float)


@pytest.mark.parametrize("name", sorted(VALID_CALLS))
def test_valid_input_gives_finite_output(name):
    args, _ = VALID_CALLS[name]
    result = getattr(metrics, name)(*args)
    assert all(np.isfinite(leaf).all() for leaf in _leaves(result))


@pytest.mark.parametrize("name", sorted(VALID_CALLS))
def test_nan_in_first_argument_is_rejected_in_one_line(name):
    args, arg_name = VALID_CALLS[name]
    bad = np.array(args[0], dtype=float)
    bad.flat[0] = np.nan
    with pytest.raises(MetricError, match=rf"^The '{arg_name}' argument of {name} must") as info:
        getattr(metrics, name)(bad, *args[1:])
    assert "\n" not in str(info.value)
    assert "Got nan" in str(info.value)


@pytest.mark.parametrize("name", sorted(VALID_CALLS))
def test_inputs_are_not_mutated(name):
    args, _ = VALID_CALLS[name]
    copies = [np.array(a, copy=True) for a in args]
    getattr(metrics, name)(*args)
    for original, copy in zip(args, copies, strict=True):
        assert np.array_equal(original, copy)


def test_parse_choice_is_case_insensitive_and_lists_choices():
    assert parse_choice("COSINE", RelatednessMethod, "method", "f") is RelatednessMethod.COSINE
    with pytest.raises(MetricError, match=r"^The 'method' argument of f must be one of"):
        parse_choice("x", RelatednessMethod, "method", "f")
