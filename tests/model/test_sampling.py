import numpy as np
import pytest

from model import sampling
from model.sampling import dense_top_k, top_k


def random_market(rng, m=60, n=400, span=80, clustered=True):
    if clustered:  # firms crowd around a few centres, as in the model
        centre = rng.integers(0, span, (4, 2))
        pick = rng.integers(0, 4, m + n)
        xy = np.clip(np.rint(centre[pick] + 3 * rng.standard_normal((m + n, 2))), 0, span - 1)
        x, y = xy[:, 0].astype(np.int64), xy[:, 1].astype(np.int64)
    else:
        x, y = rng.integers(0, span, m + n), rng.integers(0, span, m + n)
    log_size = np.log(np.exp(np.log(10) + rng.standard_normal(n)) + 1e-9)
    return (x[:m], y[:m]), (x[m:], y[m:]), log_size


@pytest.mark.parametrize("scale", [0.5, 6.0, 200.0])
@pytest.mark.parametrize("clustered", [True, False])
@pytest.mark.parametrize("bucketed", [True, False])
def test_lazy_draws_are_the_dense_draws(rng, monkeypatch, scale, clustered, bucketed):
    monkeypatch.setattr(sampling, "CHUNK_PAIRS", 5000)  # several customer blocks
    monkeypatch.setattr(sampling, "BLOCK_MIN_PAIRS", 0 if bucketed else 1 << 40)
    customers, candidates, log_size = random_market(rng, clustered=clustered)
    taken = rng.random((60, 400)) < 0.05
    for k in (1, 2, 5):
        seed = int(rng.integers(1 << 30))
        dense_rng, lazy_rng = np.random.default_rng(seed), np.random.default_rng(seed)
        expected = [
            dense_top_k(
                (customers[0][i : i + 12], customers[1][i : i + 12]),
                candidates,
                log_size,
                scale,
                k,
                dense_rng,
                taken[i : i + 12],
            )
            for i in range(0, 60, 12)  # 5000 // 400 = 12 customers a block
        ]
        row = np.concatenate([r + i for (r, _), i in zip(expected, range(0, 60, 12), strict=True)])
        col = np.concatenate([c for _, c in expected])
        got = top_k(customers, candidates, log_size, scale, k, lazy_rng, taken)
        np.testing.assert_array_equal(got[0], row)
        np.testing.assert_array_equal(got[1], col)
        assert dense_rng.random() == lazy_rng.random()


def test_winners_in_decreasing_key_order_never_taken(rng):
    customers, candidates, log_size = random_market(rng, m=5, n=30)
    taken = np.zeros((5, 30), bool)
    taken[:, :25] = True  # only 5 candidates left for everyone
    row, col = top_k(customers, candidates, log_size, 6.0, 8, rng, taken)
    assert (col >= 25).all()
    assert np.bincount(row, minlength=5).tolist() == [5] * 5


def test_a_zero_uniform_falls_back_to_the_dense_draw(rng):
    # numpy's gumbel rejects a zero uniform and draws again; the lazy path must too
    customers, candidates, log_size = random_market(rng, m=4, n=50)

    class ZeroFirst:
        def __init__(self, rng):
            self.bit_generator = rng.bit_generator
            self.rng = rng

        def random(self, out):
            self.rng.random(out=out)
            out[0, 0] = 0.0
            return out

        def gumbel(self, size):
            return self.rng.gumbel(size=size)

    seed = int(rng.integers(1 << 30))
    expected = dense_top_k(customers, candidates, log_size, 6.0, 2, np.random.default_rng(seed))
    got = top_k(customers, candidates, log_size, 6.0, 2, ZeroFirst(np.random.default_rng(seed)))
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


@pytest.mark.parametrize("k", [1, 3, 40])
def test_crowded_and_sparse_candidates_many_customers(rng, k):
    # one customer block, candidates both crowded and far apart, k beyond some rows' pool
    customers, candidates, log_size = random_market(rng, m=200, n=300, span=400)
    taken = rng.random((200, 300)) < 0.3
    seed = int(rng.integers(1 << 30))
    dense_rng, lazy_rng = np.random.default_rng(seed), np.random.default_rng(seed)
    expected = dense_top_k(customers, candidates, log_size, 3.0, k, dense_rng, taken)
    got = top_k(customers, candidates, log_size, 3.0, k, lazy_rng, taken)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert dense_rng.random() == lazy_rng.random()


def test_no_candidates_draws_nothing(rng):
    state = rng.bit_generator.state
    empty = np.zeros(0, np.int64)
    row, col = top_k((np.arange(3), np.arange(3)), (empty, empty), np.zeros(0), 6.0, 0, rng)
    assert row.size == col.size == 0
    assert rng.bit_generator.state == state


@pytest.mark.parametrize("case", ["int32", "minus_inf", "k_above_n"])
def test_edge_inputs_give_the_dense_result(rng, case):
    customers, candidates, log_size = random_market(rng, m=7, n=12)
    k = 3
    if case == "int32":
        customers = tuple(c.astype(np.int32) for c in customers)
        candidates = tuple(c.astype(np.int32) for c in candidates)
    elif case == "minus_inf":
        log_size[[2, 5]] = -np.inf  # weight 0: never drawn
    else:
        k = 1000
    seed = int(rng.integers(1 << 30))
    dense_rng, lazy_rng = np.random.default_rng(seed), np.random.default_rng(seed)
    expected = dense_top_k(customers, candidates, log_size, 6.0, k, dense_rng)
    got = top_k(customers, candidates, log_size, 6.0, k, lazy_rng)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert dense_rng.random() == lazy_rng.random()
