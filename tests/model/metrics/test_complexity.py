import importlib

import numpy as np
import pytest

from clusterlab.model.metrics._validation import MetricError
from clusterlab.model.metrics.complexity import complexity

NESTED = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0]])


@pytest.mark.parametrize("method", ["eigenvector", "reflections"])
def test_complexity_hand_computed_nested_matrix(method):
    # D = diag(3, 2, 1), U = diag(3, 2, 1); M~ = D^-1 M U^-1 M^T =
    #   [[11/18, 5/18, 2/18], [5/12, 5/12, 2/12], [1/3, 1/3, 1/3]],
    # eigenvalues 1, 1/4, 1/9; v = (2/3, -1/3, -4/3) gives M~ v = v / 4.
    # z-score of v (equally spaced): (sqrt(3/2), 0, -sqrt(3/2)).
    # TCI ~ U^-1 M^T v = (-1/3, 1/6, 2/3), also equally spaced.
    kci, tci = complexity(NESTED, method=method)
    z = np.sqrt(3 / 2)
    np.testing.assert_allclose(kci, [z, 0, -z], atol=1e-9)
    np.testing.assert_allclose(tci, [-z, 0, z], atol=1e-9)


def test_hand_computed_eigenvector_is_an_eigenvector():
    tilde = np.array([[11 / 18, 5 / 18, 2 / 18], [5 / 12, 5 / 12, 2 / 12], [1 / 3] * 3])
    d = NESTED.sum(axis=1)
    u = NESTED.sum(axis=0)
    np.testing.assert_allclose(tilde, (NESTED / d[:, None]) @ (NESTED / u).T)
    v = np.array([2 / 3, -1 / 3, -4 / 3])
    np.testing.assert_allclose(tilde @ v, v / 4)


def _random_m(seed, shape=(30, 40), p=0.3):
    return np.random.default_rng(seed).random(shape) < p


@pytest.mark.parametrize(("seed", "shape"), [(1, (30, 40)), (2, (30, 40)), (3, (40, 30))])
def test_reflections_agree_with_eigenvector(seed, shape):
    # (40, 30) has more regions than industries: the eigenproblem is solved on the
    # industry side and KCI derived from TCI.
    m = _random_m(seed, shape)
    kci_e, tci_e = complexity(m)
    kci_r, tci_r = complexity(m, method="reflections")
    np.testing.assert_allclose(kci_r, kci_e, atol=1e-6)
    np.testing.assert_allclose(tci_r, tci_e, atol=1e-6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kci_is_z_scored_and_positively_correlated_with_diversity(seed):
    m = _random_m(seed)
    kci, tci = complexity(m)
    np.testing.assert_allclose([kci.mean(), kci.std()], [0, 1], atol=1e-12)
    np.testing.assert_allclose([tci.mean(), tci.std()], [0, 1], atol=1e-12)
    assert np.corrcoef(kci, m.sum(axis=1))[0, 1] > 0


def test_kci_is_the_mean_tci_of_the_region_up_to_an_affine_map():
    # k_r = sum_i M_ri k_i / k_r0 holds for the eigenvectors; z-scoring is affine.
    m = _random_m(4)
    kci, tci = complexity(m)
    mean_tci = (m @ tci) / m.sum(axis=1)
    assert np.corrcoef(kci, mean_tci)[0, 1] == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["eigenvector", "reflections"])
def test_zero_diversity_regions_and_zero_ubiquity_industries_get_zero(method):
    m = _random_m(6, shape=(10, 12))
    m[:, 0] = True  # keep every region active
    padded = np.zeros((12, 13), dtype=bool)
    padded[1:11, 1:] = m  # region 0, region 11 and industry 0 are empty
    kci, tci = complexity(padded, method=method)
    kci_core, tci_core = complexity(m, method=method)
    assert kci[0] == kci[11] == tci[0] == 0.0
    np.testing.assert_allclose(kci[1:11], kci_core, atol=1e-9)
    np.testing.assert_allclose(tci[1:], tci_core, atol=1e-9)
    assert np.isfinite(kci).all()
    assert np.isfinite(tci).all()


@pytest.mark.parametrize("method", ["eigenvector", "reflections"])
@pytest.mark.parametrize(
    "m",
    [
        np.zeros((4, 3)),  # no region active
        [[1, 0, 1]],  # single region
        [[1, 0, 1], [0, 0, 0]],  # one active region
        [[1, 1, 0], [1, 1, 0]],  # identical portfolios: second eigenvalue 0
        [[1, 1, 1], [1, 1, 1], [1, 1, 1]],  # everyone does everything
        np.zeros((0, 3)),  # no regions at all
    ],
)
def test_degenerate_inputs_give_zeros(m, method):
    kci, tci = complexity(m, method=method)
    m = np.asarray(m)
    assert kci.shape == (m.shape[0],)
    assert tci.shape == (m.shape[1],)
    assert not kci.any()
    assert not tci.any()


def test_two_different_regions_give_plus_and_minus_one():
    # The more diverse region gets +1; its exclusive industry gets +1 too.
    kci, tci = complexity([[1, 1], [1, 0]])
    np.testing.assert_allclose(kci, [1, -1])
    np.testing.assert_allclose(tci, [-1, 1])


def test_reflections_warn_when_not_converged(monkeypatch):
    module = importlib.import_module("clusterlab.model.metrics.complexity")
    monkeypatch.setattr(module, "_MAX_REFLECTIONS", 2)
    with pytest.warns(RuntimeWarning, match=r"did not converge in 2 iterations"):
        kci, _ = complexity(_random_m(7), method="reflections")
    assert np.isfinite(kci).all()


def test_complexity_rejects_bad_method_and_non_binary():
    with pytest.raises(MetricError, match=r"one of 'eigenvector', 'reflections'. Got 'pca'"):
        complexity(NESTED, method="pca")
    with pytest.raises(MetricError, match=r"'m' argument of complexity .* Got 0.5"):
        complexity([[0.5, 1]])
