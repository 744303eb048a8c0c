import math

import numpy as np
import pytest

from model import nearby
from model.nearby import sample_nearby


def listing_sample(searchers, pool, x, y, radius, k, rng):
    """The definition (module docstring): list every pair, draw a key each, keep k smallest."""
    side = max(1, math.ceil(radius))
    bx, by = x // side, y // side
    order = np.argsort(bx[pool] * 10**6 + by[pool], kind="stable")  # blocks, pool order
    blocks = pool[order]
    pairs = [
        (s, c)
        for dx in (-1, 0, 1)
        for dy in (-1, 0, 1)
        for s in searchers
        for c in blocks
        if bx[c] == bx[s] + dx
        and by[c] == by[s] + dy
        and c != s
        and np.hypot(x[s] - x[c], y[s] - y[c]) <= radius
    ]
    s = np.array([p[0] for p in pairs], dtype=np.int64)
    c = np.array([p[1] for p in pairs], dtype=np.int64)
    order = np.lexsort((rng.random(s.size), s))
    s, c = s[order], c[order]
    keep = np.arange(s.size) - np.searchsorted(s, s, "left") < k
    return s[keep], c[keep]


@pytest.fixture(autouse=True, params=["walk", "count"])
def strategy(request, monkeypatch):
    """Run every test with each way of drawing the sample (module docstring of nearby)."""
    limit = np.inf if request.param == "walk" else -1
    monkeypatch.setattr(nearby, "WALK_PER_SEARCHER", limit)
    return request.param


def random_world(rng, n=150, span=25):
    x = rng.integers(0, span, n)
    y = rng.integers(0, span, n)
    pool = rng.permutation(rng.choice(n, n // 2 + 10, replace=False))
    searchers = rng.choice(n, 40, replace=False)
    return searchers, pool, x, y


@pytest.mark.parametrize(("radius", "k"), [(1.0, 1), (2.5, 3), (4.0, 4), (7.3, 2), (3.0, 100)])
def test_same_sample_and_draws_as_the_listing(rng, radius, k):
    searchers, pool, x, y = random_world(rng)
    seed = int(rng.integers(1 << 30))
    ref, fast = np.random.default_rng(seed), np.random.default_rng(seed)
    expected = listing_sample(searchers, pool, x, y, radius, k, ref)
    got = sample_nearby(searchers, pool, x, y, radius, k, fast)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert ref.random() == fast.random()  # the same number of draws


def test_crowded_world_many_pairs_per_searcher_matches_the_listing(rng):
    # 300 firms on 10 x 10 cells: each searcher has dozens of pairs, most keys rejected
    searchers, pool, x, y = random_world(rng, n=300, span=10)
    seed = int(rng.integers(1 << 30))
    ref, fast = np.random.default_rng(seed), np.random.default_rng(seed)
    expected = listing_sample(searchers, pool, x, y, 3.0, 4, ref)
    got = sample_nearby(searchers, pool, x, y, 3.0, 4, fast)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert ref.random() == fast.random()


def test_a_firm_listed_twice_as_searcher_keeps_k_over_both_listings(rng):
    searchers, pool, x, y = random_world(rng)
    searchers = np.concatenate([searchers, searchers[:5]])
    seed = int(rng.integers(1 << 30))
    ref, fast = np.random.default_rng(seed), np.random.default_rng(seed)
    expected = listing_sample(searchers, pool, x, y, 4.0, 3, ref)
    got = sample_nearby(searchers, pool, x, y, 4.0, 3, fast)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert np.bincount(got[0]).max() <= 3


def test_zones_give_one_call_per_zone_in_zone_order(rng):
    searchers, pool, x, y = random_world(rng)
    zone = (x >= 12).astype(np.int64)  # two regions side by side
    seed = int(rng.integers(1 << 30))
    one, apart = np.random.default_rng(seed), np.random.default_rng(seed)
    got = sample_nearby(searchers, pool, x, y, 4.0, 3, one, zone)
    parts = [
        sample_nearby(searchers[zone[searchers] == z], pool[zone[pool] == z], x, y, 4.0, 3, apart)
        for z in (0, 1)
    ]
    np.testing.assert_array_equal(got[0], np.concatenate([p[0] for p in parts]))
    np.testing.assert_array_equal(got[1], np.concatenate([p[1] for p in parts]))
    assert (zone[got[0]] == zone[got[1]]).all()


def test_nothing_to_find_draws_nothing(rng):
    x, y = np.array([0, 50]), np.array([0, 50])
    state = rng.bit_generator.state
    s, c = sample_nearby(np.array([0]), np.array([1]), x, y, 2.0, 3, rng)
    assert s.size == c.size == 0
    assert rng.bit_generator.state == state


def test_small_chunks_rare_replay_and_no_lookup_table_change_nothing(rng, monkeypatch):
    searchers, pool, x, y = random_world(rng, n=300, span=10)  # crowded: many pairs each
    seed = int(rng.integers(1 << 30))
    expected = sample_nearby(searchers, pool, x, y, 3.0, 4, np.random.default_rng(seed))
    monkeypatch.setattr(nearby, "CHUNK_KEYS", 7)
    monkeypatch.setattr(nearby, "KEEP_PER_K", 0.01)  # almost every searcher short: replay
    monkeypatch.setattr(nearby, "TABLE_SIDE", 0)
    got = sample_nearby(searchers, pool, x, y, 3.0, 4, np.random.default_rng(seed))
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


def test_the_default_preset_walks_and_crowded_cores_count(monkeypatch):
    """Which way a call takes follows the firms in the searchers' blocks."""
    taken = []
    for name in ("_sample_by_walking", "_sample_by_counting"):
        original = getattr(nearby, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            taken.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(nearby, name, spy)
    monkeypatch.setattr(nearby, "WALK_PER_SEARCHER", 1500)
    rng = np.random.default_rng(0)
    sparse = rng.integers(0, 200, 400), rng.integers(0, 200, 400)
    sample_nearby(np.arange(50), np.arange(400), *sparse, 4.0, 4, rng)
    crowded = rng.integers(0, 12, 6000), rng.integers(0, 12, 6000)
    sample_nearby(np.arange(50), np.arange(6000), *crowded, 4.0, 4, rng)
    assert taken == ["_sample_by_walking", "_sample_by_counting"]
