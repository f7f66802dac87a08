"""Batches split across threads: deterministic for a given thread count, and equal (to
rounding) to the serial computation."""

import naive
import numba
import numpy as np
import pytest
from problems import make_problem

import fastmlp


@pytest.fixture
def big_batch(rng):
    """Enough samples for several parts per slot; layers small enough to be split."""
    head = ("cross_entropy", "softmax")
    net, X, Y = make_problem([4, 12, 6, 3], "tanh", head, "float64", rng, n_samples=9000)
    return net, X, Y


@pytest.fixture
def serial():
    """Run the body with one Numba thread, then restore the previous count."""
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(previous)


def parallel_available():
    return numba.config.NUMBA_NUM_THREADS > 1


pytestmark = pytest.mark.skipif(not parallel_available(), reason="a single Numba thread")


def test_batch_is_split_into_parts_per_thread(big_batch):
    net, _, _ = big_batch
    work = net._workspace(9000)
    assert work["slot_grads"].shape[0] == numba.get_num_threads() > 1


def test_same_seed_and_thread_count_give_bit_identical_weights(big_batch):
    net, X, Y = big_batch
    start = net.parameters.copy()
    runs = []
    for _ in range(2):
        model = fastmlp.MLP(net.sizes, activation="tanh", loss="cross_entropy", seed=5)
        model.parameters[...] = start
        model.fit(X, Y, epochs=3, lr=0.1, batch_size=1000, optimizer="adam")
        runs.append(model.parameters.copy())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_parallel_gradient_equals_reference_and_serial(big_batch, request):
    net, X, Y = big_batch
    parallel = net.gradients(X, Y, l2=0.01)
    ref_dWs, ref_dbs = naive.gradients(list(net.weights), list(net.biases), list(net.activation),
                                       "cross_entropy", "softmax", X, Y, 0.0, 0.01)
    for got, want in zip(parallel[0] + parallel[1], ref_dWs + ref_dbs, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    request.getfixturevalue("serial")
    serial = net.gradients(X, Y, l2=0.01)
    for got, want in zip(parallel[0] + parallel[1], serial[0] + serial[1], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_parallel_training_matches_serial_training_to_rounding(big_batch, request):
    net, X, Y = big_batch
    start = net.parameters.copy()
    net.fit(X, Y, epochs=2, lr=0.1, batch_size=3000, shuffle=False)
    parallel = net.parameters.copy()
    request.getfixturevalue("serial")
    net.parameters[...] = start
    net.fit(X, Y, epochs=2, lr=0.1, batch_size=3000, shuffle=False)
    np.testing.assert_allclose(parallel, net.parameters, rtol=1e-10, atol=1e-12)
