import itertools

import numpy as np
import pytest

from clusterlab.model.metrics import entry_exit
from clusterlab.model.metrics._validation import MetricError
from clusterlab.model.metrics.persistence import persistent_specialisation, persistent_update


def _cell(values):
    """An RCA path of one region x one industry, shape (T, 1, 1)."""
    return np.asarray(values, float)[:, None, None]


def test_three_upward_crossings_give_one_persistent_entry():
    # t:     0    1    2    3    4    5     6    7
    rca = [0.8, 1.2, 0.9, 1.1, 1.2, 0.95, 1.3, 1.05]
    # Raw: RCA crosses 1 upward at t = 1, 3, 6 and downward at t = 2, 5.
    raw_up = sum(a < 1 <= b for a, b in itertools.pairwise(rca))
    assert raw_up == 3
    # L = 2: t1 above (run 1), t2 below (run 0), t3-t4 above (run 2 -> entry at t4);
    # then specialised: t5 below (run 1), t6 above (run 0): no exit, no second entry.
    p = persistent_specialisation(_cell(rca), persistence=2)
    assert p.entries[:, 0, 0].astype(int).tolist() == [0, 0, 0, 0, 1, 0, 0, 0]
    assert not p.exits.any()
    assert p.status[:, 0, 0].astype(int).tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


def test_an_entry_counts_again_only_after_a_persistent_exit():
    # L = 2: above at t1-t2 (entry t2), below t3-t4 (exit t4), above t5-t6 (entry t6).
    rca = [0.5, 1.5, 1.5, 0.5, 0.5, 1.5, 1.5]
    p = persistent_specialisation(_cell(rca), persistence=2)
    assert np.flatnonzero(p.entries[:, 0, 0]).tolist() == [2, 6]
    assert np.flatnonzero(p.exits[:, 0, 0]).tolist() == [4]


def test_band_hysteresis_worked_example():
    # Band [0.9, 1.1), L = 1. S0 = [0.8 >= (0.9 + 1.1) / 2] = 0.
    # t1 1.05 inside the band: no entry; t2 1.15 >= 1.1: entry; t3 0.95 >= 0.9: no exit;
    # t4 0.85 < 0.9: exit; t5 1.0 inside the band: nothing; t6 1.12: entry.
    rca = [0.8, 1.05, 1.15, 0.95, 0.85, 1.0, 1.12]
    p = persistent_specialisation(_cell(rca), persistence=1, lower=0.9, upper=1.1)
    assert np.flatnonzero(p.entries[:, 0, 0]).tolist() == [2, 6]
    assert np.flatnonzero(p.exits[:, 0, 0]).tolist() == [4]
    # A year inside the band breaks a spell: L = 2 needs two years >= 1.1 in a row.
    rca = [0.8, 1.15, 1.0, 1.15, 1.2]
    p = persistent_specialisation(_cell(rca), persistence=2, lower=0.9, upper=1.1)
    assert np.flatnonzero(p.entries[:, 0, 0]).tolist() == [4]


def test_start_status_is_the_plain_threshold_and_first_entry_needs_l_years():
    rca = _cell([1.0, 0.5, 0.5, 0.5, 0.5, 0.5])
    p = persistent_specialisation(rca, persistence=5)
    assert p.status[0, 0, 0]  # RCA = 1 at t = 0: specialised (ties count)
    assert np.flatnonzero(p.exits[:, 0, 0]).tolist() == [5]  # five years below, t1..t5


@pytest.mark.parametrize("seed", range(5))
def test_persistence_one_without_band_is_the_raw_entry_exit(seed):
    rng = np.random.default_rng(seed)
    rca = rng.uniform(0.5, 1.5, size=(12, 3, 4))
    p = persistent_specialisation(rca, persistence=1)
    for t in range(1, rca.shape[0]):
        entries, exits = entry_exit(rca[t - 1] >= 1, rca[t] >= 1)
        np.testing.assert_array_equal(p.entries[t], entries)
        np.testing.assert_array_equal(p.exits[t], exits)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("persistence", "lower", "upper"), [(3, 1.0, 1.0), (2, 0.9, 1.1)])
def test_invariants_on_random_paths(seed, persistence, lower, upper):
    rng = np.random.default_rng(seed)
    rca = rng.uniform(0.6, 1.4, size=(30, 3, 5))
    p = persistent_specialisation(rca, persistence, lower, upper)
    # entries - exits add up to the change of status
    net = p.entries.sum(axis=0).astype(int) - p.exits.sum(axis=0)
    np.testing.assert_array_equal(net, p.status[-1].astype(int) - p.status[0])
    # entries and exits alternate, so a cell never enters twice in a row
    assert not (p.entries & p.exits).any()
    # an entry at t had RCA >= upper in each of the last L years; an exit < lower
    for t, r, i in np.argwhere(p.entries):
        assert t >= persistence
        assert (rca[t - persistence + 1 : t + 1, r, i] >= upper).all()
    for t, r, i in np.argwhere(p.exits):
        assert (rca[t - persistence + 1 : t + 1, r, i] < lower).all()
    # never more persistent entries than raw upward crossings of the plain threshold
    raw = ((rca[:-1] < 1) & (rca[1:] >= 1)).sum(axis=0)
    if lower == upper:
        assert (p.entries.sum(axis=0) <= raw).all()


def test_persistent_update_hand_computed():
    # Cell 0: not specialised, run 2, above -> run 3 = L: entry, run reset to 0.
    # Cell 1: specialised, run 1, below -> run 2 < L. Cell 2: not specialised, below: run 0.
    u = persistent_update([[0, 1, 0]], [[2, 1, 4]], [[1, 0, 0]], [[0, 1, 1]], persistence=3)
    assert u.status.tolist() == [[True, True, False]]
    assert u.run.tolist() == [[0, 2, 0]]
    assert u.entries.tolist() == [[True, False, False]]
    assert u.exits.tolist() == [[False, False, False]]


def test_persistent_update_rejects_bad_input():
    with pytest.raises(MetricError, match=r"'above' and 'below' arguments of persistent_upd"):
        persistent_update([[0]], [[0]], [[1]], [[1]])
    with pytest.raises(MetricError, match=r"'persistence' argument .* integer >= 1\. Got 0"):
        persistent_update([[0]], [[0]], [[1]], [[0]], persistence=0)
    with pytest.raises(MetricError, match=r"'persistence' argument .* Got True"):
        persistent_update([[0]], [[0]], [[1]], [[0]], persistence=True)
    with pytest.raises(MetricError, match=r"'run' argument of persistent_update"):
        persistent_update([[0]], [[-1]], [[1]], [[0]])
    with pytest.raises(MetricError, match=r"'run' argument of persistent_update .* integers"):
        persistent_update([[0]], [[0.5]], [[1]], [[0]])
    with pytest.raises(MetricError, match=r"'below' argument of persistent_update .* shape"):
        persistent_update([[0]], [[0]], [[1]], [[0, 0]])


def test_persistent_specialisation_rejects_bad_band_and_shape():
    with pytest.raises(MetricError, match=r"'lower' argument .* <= 'upper'"):
        persistent_specialisation(_cell([1.0]), lower=1.2, upper=1.0)
    with pytest.raises(MetricError, match=r"'rca_path' argument .* 3-D array"):
        persistent_specialisation([[1.0]])
    with pytest.raises(MetricError, match=r"'upper' argument .* > 0"):
        persistent_specialisation(_cell([1.0]), lower=0.5, upper=np.inf)


def test_empty_and_single_year_paths():
    p = persistent_specialisation(np.zeros((0, 2, 3)))
    assert p.status.shape == (0, 2, 3)
    p = persistent_specialisation(_cell([1.3]))
    assert p.status.tolist() == [[[True]]]
    assert not p.entries.any()
