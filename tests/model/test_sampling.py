import numpy as np
import pytest
from scipy import stats

from clusterlab.model import sampling
from clusterlab.model.sampling import successive_sample

P_MIN = 1e-4
"""A frequency test fails below this p-value (fixed seeds: the outcome is deterministic)."""

# five candidates at known cells, of known sizes
XY = (np.array([0, 3, 10, 11, 40]), np.array([0, 4, 2, 12, 40]))
SIZE = np.array([5.0, 1.0, 20.0, 3.0, 400.0])

PATHS = {
    "numpy_reference": {},  # the numpy backend: the Gumbel top-k draw (the definition)
    "default": {},
    "outside_strips": {"TAIL_SHARE": 1e9},  # rings stop early: strips outside them draw
    "dense": {"MAX_FAILS": 0},  # every customer finished by the dense draw
}


@pytest.fixture(params=list(PATHS))
def path(request, monkeypatch, use_kernels):
    """Run a test through each way the sampler can reach its winners, on each backend."""
    use_kernels("numpy" if request.param == "numpy_reference" else "numba")
    for name, value in PATHS[request.param].items():
        monkeypatch.setattr(sampling, name, value)
    return request.param


def log_weight(cell, xy=XY, size=SIZE, scale=6.0, taken=()):
    log_w = np.log(size) - np.hypot(cell[0] - xy[0], cell[1] - xy[1]) / scale
    log_w[list(taken)] = -np.inf
    return log_w


def first_probabilities(log_w):
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def pair_probabilities(log_w):
    """P(a first, b second) of successive sampling, shape (n, n)."""
    p = first_probabilities(log_w)
    out = np.zeros((p.size, p.size))
    for a in np.flatnonzero(p):
        rest = log_w.copy()
        rest[a] = -np.inf
        if np.isfinite(rest).any():
            out[a] = p[a] * first_probabilities(rest)
    return out


def frequency_pvalue(observed, expected):
    """Chi-square p-value; cells expected below 5 are pooled, none expected never seen."""
    observed, expected = np.ravel(observed).astype(float), np.ravel(expected)
    assert observed[expected == 0].sum() == 0, "a pair of probability 0 was drawn"
    small = expected < 5
    obs = np.append(observed[~small], observed[small].sum())
    exp = np.append(expected[~small], expected[small].sum())
    if exp[-1] < 5:  # too small to stand alone: into the smallest other cell
        k = np.argmin(exp[:-1])
        obs[k] += obs[-1]
        exp[k] += exp[-1]
        obs, exp = obs[:-1], exp[:-1]
    if obs.size < 2:
        return 1.0
    return stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue


def draw_same_customer(cell, k, draws, scale, seed, xy=XY, size=SIZE, taken=()):
    """``draws`` customers at ``cell``, each drawing k: winners as a (draws, k) array."""
    taken = np.asarray(taken, np.int64)
    start = np.arange(draws + 1) * taken.size
    row, col = successive_sample(
        (np.full(draws, cell[0]), np.full(draws, cell[1])),
        xy,
        size,
        scale,
        np.full(draws, k),
        np.random.default_rng(seed),
        (start, np.tile(taken, draws)),
    )
    assert (np.bincount(row, minlength=draws) == k).all()
    return col.reshape(draws, k)


@pytest.mark.parametrize("scale", [0.5, 2.0, 6.0, 200.0])
def test_first_draw_frequencies_are_the_weights(path, scale):
    draws = 10_000
    for cell in [(2, 3), (20, 20), (-60, 25), (300, 310)]:  # near, inside, outside, far
        won = draw_same_customer(cell, 1, draws, scale, seed=1)[:, 0]
        expected = draws * first_probabilities(log_weight(cell, scale=scale))
        assert frequency_pvalue(np.bincount(won, minlength=5), expected) > P_MIN


@pytest.mark.parametrize("scale", [0.5, 3.0, 30.0])
@pytest.mark.parametrize("taken", [(), (4, 2)])
def test_pair_frequencies_are_successive_sampling(path, scale, taken):
    # P(a, then b) = w_a / W * w_b / (W - w_a), taken candidates weigh nothing
    draws = 10_000
    for cell in [(2, 3), (45, -3)]:
        won = draw_same_customer(cell, 2, draws, scale, seed=2, taken=taken)
        observed = np.zeros((5, 5))
        np.add.at(observed, (won[:, 0], won[:, 1]), 1)
        expected = draws * pair_probabilities(log_weight(cell, scale=scale, taken=taken))
        assert frequency_pvalue(observed, expected) > P_MIN


def clustered_market(rng, n, span=120):
    centre = rng.integers(0, span, (5, 2))
    xy = np.rint(centre[rng.integers(0, 5, n)] + 4 * rng.standard_normal((n, 2)))
    size = np.exp(np.log(10) + 1.5 * rng.standard_normal(n))
    return (xy[:, 0].astype(np.int64), xy[:, 1].astype(np.int64)), size


@pytest.mark.parametrize("scale", [0.5, 3.0, 20.0])
def test_first_draw_frequencies_in_a_clustered_market(path, scale):
    rng = np.random.default_rng(3)
    xy, size = clustered_market(rng, 300)
    for cell in [(xy[0][0], xy[1][0]), (-30, 200)]:  # a candidate's cell, outside
        draws = 5_000
        won = draw_same_customer(cell, 1, draws, scale, 4, xy, size)[:, 0]
        expected = draws * first_probabilities(log_weight(cell, xy, size, scale))
        assert frequency_pvalue(np.bincount(won, minlength=300), expected) > P_MIN


def test_the_frequency_test_detects_a_biased_sampler():
    # draws that ignore distance, or the exclusion of taken candidates, fail the test
    draws, cell = 10_000, (2, 3)
    rng = np.random.default_rng(5)
    no_decay = rng.choice(5, draws, p=SIZE / SIZE.sum())
    expected = draws * first_probabilities(log_weight(cell, scale=6.0))
    assert frequency_pvalue(np.bincount(no_decay, minlength=5), expected) < P_MIN
    won = draw_same_customer(cell, 1, draws, 6.0, seed=1)[:, 0]  # taken 1 ignored
    expected = draws * first_probabilities(log_weight(cell, scale=6.0, taken=(1,)))
    with pytest.raises(AssertionError, match="probability 0"):
        frequency_pvalue(np.bincount(won, minlength=5), expected)
    # a slightly wrong decay length is detected as well
    expected = draws * first_probabilities(log_weight(cell, scale=5.0))
    assert frequency_pvalue(np.bincount(won, minlength=5), expected) < P_MIN


def random_draw(rng, m=200, n=300, seed=7, int_type=np.int64, scale=4.0):
    xy, size = clustered_market(rng, n)
    cxy, _ = clustered_market(rng, m)
    taken = rng.random((m, n)) < 0.3
    taken[0] = True  # nothing left for customer 0
    taken[1] = np.arange(n) >= 5  # 5 candidates left for customer 1
    need = rng.integers(0, 8, m)
    need[1] = 7
    row, col = np.nonzero(taken)
    rows = np.searchsorted(row, np.arange(m + 1)), col
    xy, cxy = tuple(c.astype(int_type) for c in xy), tuple(c.astype(int_type) for c in cxy)
    got = successive_sample(cxy, xy, size, scale, need, np.random.default_rng(seed), rows)
    return got, taken, need


def test_winners_distinct_never_taken_as_many_as_allowed(path, rng):
    (row, col), taken, need = random_draw(rng)
    assert not taken[row, col].any()
    pairs = row * 1000 + col
    assert np.unique(pairs).size == pairs.size
    allowed = (~taken).sum(axis=1)
    np.testing.assert_array_equal(np.bincount(row, minlength=200), np.minimum(need, allowed))
    assert np.all(np.diff(row) >= 0), "customer by customer"
    assert allowed[0] == 0
    assert allowed[1] == 5


def test_same_seed_same_winners_and_int32_cells(rng):
    state = rng.bit_generator.state
    first, _, _ = random_draw(rng)
    rng.bit_generator.state = state
    again, _, _ = random_draw(rng)
    rng.bit_generator.state = state
    narrow, _, _ = random_draw(rng, int_type=np.int32)
    rng.bit_generator.state = state
    other, _, _ = random_draw(rng, seed=8)
    for got in (again, narrow):
        np.testing.assert_array_equal(got[0], first[0])
        np.testing.assert_array_equal(got[1], first[1])
    assert not np.array_equal(other[1], first[1])


@pytest.mark.parametrize("scale", [0.5, 200.0])
def test_all_candidates_in_one_cell_drawn_by_size(scale):
    xy = (np.full(6, 7), np.full(6, 9))
    size = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 1e-9])
    for cell in [(7, 9), (8, 9), (500, -400)]:
        won = draw_same_customer(cell, 1, 10_000, scale, 9, xy, size)[:, 0]
        expected = 10_000 * size / size.sum()
        assert frequency_pvalue(np.bincount(won, minlength=6), expected) > P_MIN
        every = draw_same_customer(cell, 6, 50, scale, 9, xy, size)
        assert (np.sort(every, axis=1) == np.arange(6)).all()


def test_far_customers_with_a_tiny_decay_length_still_get_every_candidate():
    # weights exp(-d / 0.5) underflow to zero 500 cells away: the draw must not care
    xy = (np.array([0, 1, 2, 300]), np.array([0, 0, 0, 300]))
    size = np.array([1.0, 2.0, 4.0, 1e6])
    won = draw_same_customer((-500, 0), 4, 2000, 0.5, 10, xy, size)
    # distances 500, 501, 502, ~900: the far giant always comes last
    assert (won[:, 3] == 3).all()
    first = np.bincount(won[:, 0], minlength=4)
    expected = 2000 * first_probabilities(log_weight((-500, 0), xy, size, 0.5))
    assert frequency_pvalue(first, expected) > P_MIN


def test_the_dense_finish_takes_over_when_the_near_giant_is_taken():
    # nearly all the weight is one taken candidate: proposals fail until the dense draw
    xy = (np.array([0, 0, 5, 9, 30]), np.array([0, 1, 5, 0, 30]))
    size = np.array([1e6, 1.0, 2.0, 3.0, 50.0])
    cell = (0, 0)
    won = draw_same_customer(cell, 2, 10_000, 2.0, 11, xy, size, taken=(0,))
    observed = np.zeros((5, 5))
    np.add.at(observed, (won[:, 0], won[:, 1]), 1)
    expected = 10_000 * pair_probabilities(log_weight(cell, xy, size, 2.0, taken=(0,)))
    assert frequency_pvalue(observed, expected) > P_MIN


def test_empty_inputs_draw_nothing(rng):
    empty = np.zeros(0, np.int64)
    cells = (np.arange(3), np.arange(3))
    for customers, candidates, need in [
        ((empty, empty), cells, empty),
        (cells, (empty, empty), np.full(3, 2)),
        (cells, cells, np.zeros(3, np.int64)),
    ]:
        state = rng.bit_generator.state
        size = np.ones(candidates[0].size)
        row, col = successive_sample(customers, candidates, size, 6.0, need, rng)
        assert row.size == col.size == 0
        assert rng.bit_generator.state == state


def test_groups_draw_as_separate_calls(rng):
    # customers 0..3 among candidates 0..4, none of 4..5 (an empty group), 6.. among 5..
    xy, size = clustered_market(rng, 12)
    cxy, _ = clustered_market(rng, 9)
    need = rng.integers(1, 4, 9)
    groups = np.array([0, 4, 6, 9]), np.array([0, 5, 5, 12])
    # customer 0 buys from candidate 2, customer 6 from 7 and 8, 8 from 11; 6's 3 is not
    # among its group's candidates: ignored
    taken = np.array([0, 1, 1, 1, 1, 1, 1, 4, 4, 5]), np.array([2, 7, 3, 8, 11])
    got = successive_sample(cxy, xy, size, 3.0, need, np.random.default_rng(1), taken, groups)
    alone = np.random.default_rng(1)
    part = [
        successive_sample(
            (cxy[0][:4], cxy[1][:4]),
            (xy[0][:5], xy[1][:5]),
            size[:5],
            3.0,
            need[:4],
            alone,
            (np.array([0, 1, 1, 1, 1]), np.array([2])),
        ),
        successive_sample(
            (cxy[0][6:], cxy[1][6:]),
            (xy[0][5:], xy[1][5:]),
            size[5:],
            3.0,
            need[6:],
            alone,
            (np.array([0, 2, 2, 3]), np.array([7, 8, 11]) - 5),
        ),
    ]
    np.testing.assert_array_equal(got[0], np.concatenate([part[0][0], part[1][0] + 6]))
    np.testing.assert_array_equal(got[1], np.concatenate([part[0][1], part[1][1] + 5]))
    assert not ((got[0] >= 4) & (got[0] < 6)).any()
