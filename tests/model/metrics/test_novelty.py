import numpy as np
import pytest

from clusterlab.model.metrics._validation import MetricError
from clusterlab.model.metrics.novelty import (
    ALWAYS,
    NEVER,
    atypicality_z,
    classify_novelty,
    combination_incidence,
    first_combinations,
    last_combined_from,
    recent_combinations,
)


def test_first_combinations_hand_computed():
    seen = np.zeros((4, 4), dtype=bool)
    seen[0, 2] = seen[2, 0] = True
    pairs = np.array([[0, 1], [1, 0], [2, 0], [1, 3], [3, 1], [2, 3]])
    novel, after = first_combinations(pairs, seen)
    # (0,1) new; (1,0) repeats it; (2,0) seen before; (1,3) new; (3,1) repeat; (2,3) new
    assert novel.tolist() == [True, False, False, True, False, True]
    expected = seen.copy()
    for a, b in [(0, 1), (1, 3), (2, 3)]:
        expected[a, b] = expected[b, a] = True
    assert np.array_equal(after, expected)


def test_first_combinations_does_not_mutate_inputs():
    seen = np.zeros((3, 3), dtype=bool)
    pairs = np.array([[2, 1]])
    first_combinations(pairs, seen)
    assert not seen.any()
    assert pairs.tolist() == [[2, 1]]


def test_first_combinations_accepts_integer_seen_and_empty_pairs():
    seen = np.eye(3, dtype=int)
    novel, after = first_combinations(np.zeros((0, 2), dtype=int), seen)
    assert novel.shape == (0,)
    assert np.array_equal(after, seen.astype(bool))


@pytest.mark.parametrize(
    ("pairs", "match"),
    [
        ([[1, 1]], "two distinct fields. Got \\(1, 1\\) in row 0"),
        ([[0, 3]], "fields in \\[0, 2\\]. Got 3 in row 0"),
        ([[0.0, 1.0]], "integer array. Got dtype float64"),
        ([0, 1], "\\(n, 2\\) integer array. Got dtype int64 and shape \\(2,\\)"),
    ],
)
def test_first_combinations_rejects_bad_pairs(pairs, match):
    with pytest.raises(MetricError, match=match):
        first_combinations(pairs, np.zeros((3, 3), dtype=bool))


def test_first_combinations_rejects_asymmetric_seen():
    seen = np.zeros((3, 3), dtype=bool)
    seen[0, 1] = True
    with pytest.raises(MetricError, match=r"'seen' argument of first_combinations .* symm"):
        first_combinations([[0, 1]], seen)


def test_combination_incidence_hand_computed():
    assert combination_incidence([[0, 2], [1, 0]], 3).tolist() == [
        [True, False, True],
        [True, True, False],
    ]


@pytest.mark.parametrize("n_fields", [-1, 2.5, True])
def test_combination_incidence_rejects_bad_n_fields(n_fields):
    with pytest.raises(MetricError, match=r"'n_fields' argument of combination_incidence"):
        combination_incidence([[0, 1]], n_fields)


def test_atypicality_z_hand_computed():
    # N = 4 items, n = (2, 2, 2); mu = 2 * 2 / 4 = 1;
    # var = 2 * 2 * (4 - 2) * (4 - 2) / (4**2 * (4 - 1)) = 1/3
    incidence = [[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]]
    z = atypicality_z(incidence)
    sigma = np.sqrt(2 * 2 * (4 - 2) * (4 - 2) / (4**2 * (4 - 1)))
    expected = [[0, (2 - 1) / sigma, (0 - 1) / sigma]]
    np.testing.assert_allclose(z[0], expected[0])
    np.testing.assert_allclose(z, z.T)
    assert z[1, 2] == pytest.approx((0 - 1) / sigma)


def test_atypicality_z_zero_variance_and_too_few_items():
    # Field 0 is in every item: no variance, z = 0; field 2 in none.
    z = atypicality_z([[1, 1, 0], [1, 0, 0], [1, 1, 0]])
    assert z[0].tolist() == [0, 0, 0]
    assert z[2].tolist() == [0, 0, 0]
    assert not atypicality_z([[1, 1, 0]]).any()
    assert atypicality_z(np.zeros((0, 3))).shape == (3, 3)


def test_atypicality_z_from_pairs():
    pairs = [[0, 1], [0, 1], [2, 3], [2, 3], [0, 2]]
    z = atypicality_z(combination_incidence(pairs, 4))
    assert z[0, 1] > 0
    assert z[1, 3] < 0
    assert np.isfinite(z).all()


# --- recency: novelty that regenerates --------------------------------------------------------


def test_recent_combinations_hand_computed():
    last = np.full((4, 4), NEVER)
    np.fill_diagonal(last, 0)
    last[0, 1] = last[1, 0] = 5  # combined in year 5
    last[2, 3] = last[3, 2] = ALWAYS  # permanently familiar (a recipe pair)
    pairs = np.array([[0, 1], [1, 0], [0, 2], [2, 0], [3, 2]])
    # year 15, memory 10: 15 - 5 = 10 is not > 10, so (0,1) is still familiar;
    # (0,2) never combined: novel at its first occurrence only; (2,3) never novel
    novel, after = recent_combinations(pairs, last, 15, 10)
    assert novel.tolist() == [False, False, True, False, False]
    assert after[0, 1] == after[1, 0] == 15
    assert after[0, 2] == after[2, 0] == 15
    assert after[2, 3] == ALWAYS  # a later use never lowers the record
    # year 16: 16 - 5 = 11 > 10, so (0,1) is novel again (on the record before year 15)
    assert recent_combinations([[1, 0]], last, 16, 10)[0].tolist() == [True]
    assert last[0, 1] == 5  # not mutated


def test_recent_combinations_with_long_memory_is_first_combinations(rng):
    pairs = np.array([[0, 1], [1, 2], [0, 1], [2, 3], [3, 2], [1, 3]])
    seen = np.zeros((4, 4), bool)
    seen[1, 2] = seen[2, 1] = True
    novel, _ = recent_combinations(pairs, last_combined_from(seen), 50, 1000)
    expected, _ = first_combinations(pairs, seen)
    assert novel.tolist() == expected.tolist()


@pytest.mark.parametrize(
    ("last", "match"),
    [
        (np.zeros((3, 3)), "integer array of years.*Got dtype float64"),
        (np.zeros((3, 2), np.int64), "square in its last two axes"),
        (np.triu(np.ones((3, 3), np.int64)), "must be symmetric"),
    ],
)
def test_recent_combinations_rejects_bad_records(last, match):
    with pytest.raises(MetricError, match=match):
        recent_combinations([[0, 1]], last, 1, 5)


def test_classify_novelty_new_to_world_and_new_to_region_hand_computed():
    # 3 fields, 2 regions, year 10, memory 5.
    world = np.full((3, 3), NEVER)
    regional = np.full((2, 3, 3), NEVER)
    world[0, 1] = world[1, 0] = 8  # made in region 1 two years ago
    regional[1, 0, 1] = regional[1, 1, 0] = 8
    world[0, 2] = world[2, 0] = 2  # made in region 0 eight years ago: forgotten
    regional[0, 0, 2] = regional[0, 2, 0] = 2
    pairs = [[0, 1], [1, 0], [0, 1], [2, 0], [1, 2], [2, 1]]
    region = [0, 0, 1, 0, 1, 0]
    w, r, world_after, region_after = classify_novelty(pairs, region, world, regional, 10, 5)
    # (0,1) r0: recent in the world, never in r0 -> new to region; repeated in r0 -> none;
    # (0,1) r1: recent in r1 -> none; (2,0) r0: 10 - 2 > 5 -> new to world;
    # (1,2) r1: never -> new to world; (2,1) r0: made by r1 this year -> new to region
    assert w.tolist() == [False, False, False, True, True, False]
    assert r.tolist() == [True, False, False, False, False, True]
    assert world_after[0, 1] == world_after[0, 2] == world_after[1, 2] == 10
    assert region_after[0, 0, 1] == region_after[0, 1, 2] == region_after[1, 1, 2] == 10
    assert region_after[1, 0, 2] == NEVER  # region 1 never made (0,2)
    assert (region_after == np.swapaxes(region_after, 1, 2)).all()
    assert regional[0, 0, 1] == NEVER  # inputs untouched


def test_classify_novelty_rejects_bad_regions():
    world, regional = np.full((3, 3), NEVER), np.full((2, 3, 3), NEVER)
    with pytest.raises(MetricError, match=r"'region' argument of classify_novelty.*\[0, 1\]"):
        classify_novelty([[0, 1]], [2], world, regional, 1, 5)
    with pytest.raises(MetricError, match="must have 3 fields like 'world_last'"):
        classify_novelty([[0, 1]], [0], world, np.full((2, 4, 4), NEVER), 1, 5)
