"""Cross-check against the Growth Lab's ``ecomplexity`` on a random 30 x 40 matrix.

Alignments: ecomplexity keeps phi_ii = 1 (we return 0) and its density has no factor
100, so its density is ours computed with phi + I, divided by 100. Its ECI is z-scored
with the population std as ours is; its PCI is rescaled with the ECI's mean and std,
so we z-score it before comparing. Both sign ECI to correlate positively with
diversity.
"""

import warnings

import numpy as np
import pytest

from clusterlab.model.metrics import (
    complexity,
    diversity,
    proximity,
    rca,
    relatedness_density,
    specialisation_matrix,
    ubiquity,
)

ecomplexity = pytest.importorskip(
    "ecomplexity", reason="ecomplexity (optional dev dependency) is not installed"
)
pd = pytest.importorskip("pandas")

N_REGIONS, N_INDUSTRIES = 30, 40
COLS = {"time": "year", "loc": "region", "prod": "industry", "val": "employment"}


@pytest.fixture(scope="module")
def employment():
    # Gamma(0.5) is skewed, so RCA >= 1 is far from a coin toss; all values are > 0.
    return np.random.default_rng(20240501).gamma(0.5, 10.0, (N_REGIONS, N_INDUSTRIES))


@pytest.fixture(scope="module")
def long_table(employment):
    region, industry = np.meshgrid(np.arange(N_REGIONS), np.arange(N_INDUSTRIES), indexing="ij")
    return pd.DataFrame(
        {
            "year": 2020,
            "region": region.ravel(),
            "industry": industry.ravel(),
            "employment": employment.ravel(),
        }
    )


def _quietly(function, *args, **kwargs):
    # ecomplexity 0.5.3 uses DataFrame.set_index(inplace=True), deprecated in pandas 3
    # (Pandas4Warning), and proximity() prints the year.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


@pytest.fixture(scope="module")
def theirs(long_table):
    out = _quietly(
        ecomplexity.ecomplexity,
        long_table,
        COLS,
        verbose=False,
        check_logsupermodularity=False,
    )
    return {
        column: out.pivot(index="region", columns="industry", values=column).to_numpy()
        for column in ["rca", "mcp", "diversity", "ubiquity", "density", "eci", "pci"]
    }


@pytest.fixture(scope="module")
def their_proximity(long_table):
    out = _quietly(ecomplexity.proximity, long_table, COLS)
    return out.pivot(index="industry_1", columns="industry_2", values="proximity").to_numpy()


def _zscore(v):
    return (v - v.mean()) / v.std()


def test_rca_and_m_agree(employment, theirs):
    np.testing.assert_allclose(rca(employment), theirs["rca"], rtol=1e-12)
    m = specialisation_matrix(employment)
    assert np.array_equal(m, theirs["mcp"] == 1)
    assert 0.2 < m.mean() < 0.5  # a non-trivial specialisation pattern


def test_diversity_and_ubiquity_agree(employment, theirs):
    m = specialisation_matrix(employment)
    assert np.array_equal(diversity(m), theirs["diversity"][:, 0])
    assert np.array_equal(ubiquity(m), theirs["ubiquity"][0, :])


def test_proximity_agrees_off_the_diagonal(employment, their_proximity):
    phi = proximity(specialisation_matrix(employment))
    off = ~np.eye(N_INDUSTRIES, dtype=bool)
    np.testing.assert_allclose(phi[off], their_proximity[off], rtol=1e-12)
    np.testing.assert_allclose(np.diag(their_proximity), 1.0)
    assert not np.diag(phi).any()


def test_density_agrees_after_aligning_diagonal_and_scale(employment, theirs):
    m = specialisation_matrix(employment)
    phi_with_self = proximity(m) + np.eye(N_INDUSTRIES)
    ours = relatedness_density(m, phi_with_self) / 100
    np.testing.assert_allclose(ours, theirs["density"], rtol=1e-10)


@pytest.mark.parametrize("method", ["eigenvector", "reflections"])
def test_eci_and_pci_agree(employment, theirs, method):
    kci, tci = complexity(specialisation_matrix(employment), method=method)
    np.testing.assert_allclose(kci, theirs["eci"][:, 0], atol=1e-6)
    np.testing.assert_allclose(tci, _zscore(theirs["pci"][0, :]), atol=1e-6)
