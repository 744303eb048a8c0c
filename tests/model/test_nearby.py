from collections import Counter
from itertools import combinations

import numpy as np
import pytest
from scipy import stats

from clusterlab.model.nearby import row_spans, sample_nearby


def in_reach(searcher, pool, x, y, radius, zone=None):
    """The definition: pool firms of the searcher's zone within the radius, not itself."""
    zone = np.zeros(x.size, int) if zone is None else zone
    return {
        int(c)
        for c in pool
        if c != searcher
        and zone[c] == zone[searcher]
        and np.hypot(x[searcher] - x[c], y[searcher] - y[c]) <= radius
    }


def random_world(rng, n=150, span=25):
    x = rng.integers(0, span, n)
    y = rng.integers(0, span, n)
    pool = rng.permutation(rng.choice(n, n // 2 + 10, replace=False))
    searchers = rng.choice(n, 40, replace=False)
    return searchers, pool, x, y


@pytest.mark.parametrize(
    ("radius", "k"), [(0.0, 2), (1.0, 1), (2.5, 3), (4.0, 4), (7.3, 2), (3.0, 100)]
)
def test_each_searcher_gets_min_k_distinct_firms_in_reach(rng, radius, k):
    searchers, pool, x, y = random_world(rng)
    s, c = sample_nearby(searchers, pool, x, y, radius, k, rng)
    for searcher in searchers:
        mine = c[s == searcher].tolist()
        reach = in_reach(searcher, pool, x, y, radius)
        assert set(mine) <= reach
        assert len(mine) == len(set(mine)) == min(k, len(reach))


def test_crowded_cell_and_searchers_outside_the_pool(rng):
    x = np.r_[np.zeros(500, int), 40]  # 500 firms in one cell, one far away
    y = np.r_[np.zeros(500, int), 40]
    pool = np.arange(250)  # the searchers 250.. are not in the pool
    s, c = sample_nearby(np.array([0, 300, 500]), pool, x, y, 1.0, 5, rng)
    assert s.tolist() == [0] * 5 + [300] * 5  # firm 500 has nobody in reach
    assert 0 not in c[:5]
    assert len(set(c[:5])) == len(set(c[5:])) == 5
    assert set(c) <= set(pool.tolist())


def test_row_spans_follow_the_distance_between_cells():
    for radius in (0.0, 0.5, 1.0, 1.5, 2.0, 2.9, 4.0, 7.3):
        spans = row_spans(radius)
        reach = spans.size // 2
        for dx in range(-reach - 1, reach + 2):
            for dy in range(-reach - 1, reach + 2):
                inside = abs(dx) <= reach and abs(dy) <= spans[dx + reach]
                assert inside == (np.hypot(dx, dy) <= radius), (radius, dx, dy)


def test_every_set_equally_likely_and_first_firm_uniform():
    """A searcher with 6 firms in reach and k = 2: the 15 pairs, chi-square test."""
    x = np.array([5, 5, 6, 4, 5, 5, 7, 9])  # firm 7 is out of reach
    y = np.array([5, 6, 5, 5, 4, 3, 7, 9])
    rng = np.random.default_rng(7)
    sets, first = Counter(), Counter()
    draws = 15_000
    for _ in range(draws):
        _, c = sample_nearby(np.array([0]), np.arange(8), x, y, 3.0, 2, rng)
        sets[frozenset(c.tolist())] += 1
        first[int(c[0])] += 1
    assert set(sets) == {frozenset(p) for p in combinations(range(1, 7), 2)}
    assert stats.chisquare(list(sets.values())).pvalue > 1e-4
    assert sorted(first) == list(range(1, 7))
    assert stats.chisquare(list(first.values())).pvalue > 1e-4


def test_many_in_reach_few_drawn_uniform(rng):
    """Rejection of repeats (many firms in reach): each firm equally often."""
    x = np.r_[0, rng.integers(-3, 4, 60)]
    y = np.r_[0, rng.integers(-3, 4, 60)]
    hits = Counter()
    for _ in range(3000):
        _, c = sample_nearby(np.array([0]), np.arange(61), x, y, 10.0, 3, rng)
        hits.update(c.tolist())
    assert sorted(hits) == list(range(1, 61))
    assert stats.chisquare(list(hits.values())).pvalue > 1e-4


def test_zones_searchers_find_only_their_zone_sorted_by_zone_then_row(rng):
    searchers, pool, x, y = random_world(rng)
    zone = rng.integers(0, 3, x.size)
    s, c = sample_nearby(searchers, pool, x, y, 6.0, 3, rng, zone)
    assert (zone[s] == zone[c]).all()
    assert np.all(np.diff(zone[s] * 10_000 + s) >= 0)
    for searcher in searchers:
        reach = in_reach(searcher, pool, x, y, 6.0, zone)
        assert len(c[s == searcher]) == min(3, len(reach))


def test_a_firm_listed_twice_searches_once(rng):
    searchers, pool, x, y = random_world(rng)
    twice = np.r_[searchers, searchers[:5]]
    s1, c1 = sample_nearby(twice, pool, x, y, 4.0, 3, np.random.default_rng(3))
    s2, c2 = sample_nearby(np.sort(searchers), pool, x, y, 4.0, 3, np.random.default_rng(3))
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(c1, c2)


def test_same_seed_same_sample_and_int32_coordinates(rng):
    searchers, pool, x, y = random_world(rng)
    a = sample_nearby(searchers, pool, x, y, 4.0, 3, np.random.default_rng(11))
    b = sample_nearby(
        searchers, pool, x.astype(np.int32), y.astype(np.int32), 4.0, 3, np.random.default_rng(11)
    )
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_nothing_to_find_draws_nothing(rng):
    x, y = np.array([0, 50]), np.array([0, 50])
    state = rng.bit_generator.state
    s, c = sample_nearby(np.array([0]), np.array([1]), x, y, 2.0, 3, rng)
    assert s.size == c.size == 0
    assert rng.bit_generator.state == state


def test_a_negative_radius_is_refused(rng):
    with pytest.raises(ValueError, match="radius"):
        sample_nearby(
            np.array([0]), np.array([1]), np.zeros(2, int), np.zeros(2, int), -1.0, 1, rng
        )
