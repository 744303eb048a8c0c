"""Tests of experiments/sensitivity_checks.py: warnings in words and convergence."""

import numpy as np
import pandas as pd
import pytest

from clusterlab.experiments.sensitivity import sobol_indices
from clusterlab.experiments.sensitivity_checks import (
    convergence_table,
    index_warnings,
    prefix_sizes,
)


def sobol_table(**columns) -> pd.DataFrame:
    base = {
        "parameter": ["a", "b"],
        "S1": [0.5, 0.2],
        "S1_conf": [0.05, 0.05],
        "ST": [0.6, 0.3],
        "ST_conf": [0.05, 0.05],
    }
    return pd.DataFrame(base | columns)


def test_sound_indices_raise_no_warning():
    assert index_warnings(sobol_table(), "sobol") == []


def test_negative_first_order_index_is_named():
    (warning,) = index_warnings(sobol_table(S1=[0.5, -0.02], S1_conf=[0.05, 0.01]), "sobol", "X")
    assert warning.startswith("First-order indices for X are negative for b (-0.02 ± 0.01)")
    assert "take more samples" in warning


def test_total_index_above_one_is_named():
    (warning,) = index_warnings(sobol_table(ST=[1.2, 0.3]), "sobol")
    assert "Total indices exceed 1 for a (1.2 ± 0.05)" in warning


def test_intervals_wider_than_the_index_are_named():
    warnings = index_warnings(sobol_table(S1_conf=[0.05, 0.3], ST_conf=[0.7, 0.05]), "sobol")
    assert len(warnings) == 2
    assert warnings[0].startswith("S1 intervals are wider than the index for b (0.2 ± 0.3)")
    assert warnings[1].startswith("ST intervals are wider than the index for a (0.6 ± 0.7)")


def test_morris_interval_wider_than_mu_star():
    table = pd.DataFrame(
        {"parameter": ["a", "b"], "mu_star": [2.0, 0.1], "mu_star_conf": [0.5, 0.2]}
    )
    (warning,) = index_warnings(table, "morris")
    assert "mu* intervals are wider than mu* for b (0.1 ± 0.2)" in warning


def test_prefix_sizes_double_up_to_the_sample():
    assert prefix_sizes(32) == [4, 8, 16, 32]
    assert prefix_sizes(24) == [4, 8, 16, 24]
    assert prefix_sizes(4) == [4]


def test_convergence_ends_at_the_full_sample_and_narrows():
    # y = 4 a + b on [0, 1]^2: V = 16/12 + 1/12, S1(a) = 16/17, S1(b) = 1/17.
    from SALib.sample import sobol

    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    x = sobol.sample(problem, 256, calc_second_order=False, seed=1)
    y = 4 * x[:, 0] + x[:, 1]
    table = convergence_table(problem, y, "sobol")
    assert sorted(table["n"].unique()) == [4, 8, 16, 32, 64, 128, 256]
    last = table[table["n"] == 256].reset_index(drop=True)
    pd.testing.assert_frame_equal(last.drop(columns="n"), sobol_indices(problem, y))
    assert last["S1"].to_numpy() == pytest.approx([16 / 17, 1 / 17], abs=0.03)
    first = table[table["n"] == 4]
    assert (last["S1_conf"].to_numpy() < first["S1_conf"].to_numpy()).all()
    assert np.isfinite(table["ST"]).all()


def test_morris_convergence_uses_whole_trajectories():
    from SALib.sample import morris

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    x = morris.sample(problem, 16, num_levels=4, seed=2)
    y = 3 * x[:, 0] + x[:, 1]  # c does nothing
    table = convergence_table(problem, y, "morris", x, levels=4)
    assert sorted(table["n"].unique()) == [4, 8, 16]  # trajectories of D + 1 = 4 rows
    last = table[table["n"] == 16].set_index("parameter")
    assert last.loc["a", "mu_star"] == pytest.approx(3.0)
    assert last.loc["b", "mu_star"] == pytest.approx(1.0)
    assert last.loc["c", "mu_star"] == pytest.approx(0.0)
