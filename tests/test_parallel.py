"""Batches split into groups spread across threads: the same bits as the computation in
one thread, and as the reference to rounding.

These tests need at least two Numba threads. Numba takes its thread count from
``NUMBA_NUM_THREADS`` when it is imported, whatever the number of CPUs, so on a runner
where this process has a single thread each test runs again in a child pytest started
with ``NUMBA_NUM_THREADS=2`` (and the same ``NUMBA_CACHE_DIR`` and fastmlp), and passes
or fails with it: they never skip.
"""

import copy
import os
import subprocess
import sys
from pathlib import Path

import naive
import numba
import numpy as np
import pytest
from problems import make_problem

import fastmlp
from fastmlp import model
from fastmlp._kernels import network, optim

#: Set in the child process, which must then have the threads it was started with.
CHILD_MARKER = "FASTMLP_TEST_THREADS_CHILD"


@pytest.fixture(params=[[4, 12, 6, 3], [8, 16, 8, 3]])
def big_batch(rng, request):
    """Enough samples for several parts per slot. On two threads, parts of 1,500 or more
    samples (batches of 3,000 and the whole set) hand the products of the first two layers
    to BLAS (65,536 multiply-adds or more) and compute the last with the threads' own
    loops; the second network also splits batches of 1,000, into parts of 500 whose
    products all run as loops."""
    head = ("cross_entropy", "softmax")
    net, X, Y = make_problem(request.param, "tanh", head, "float64", rng, n_samples=9000)
    return net, X, Y


@pytest.fixture
def serial():
    """Run the body with one Numba thread, then restore the previous count."""
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(previous)


def ran_in_child_with_threads(request):
    """Whether the test ``request`` belongs to has just passed in a child process with two
    Numba threads, because this one has a single thread; the test then returns.

    The child runs the same test with pytest; its failure (or a run that does not pass
    exactly this test) fails the test here, with the child's output.
    """
    if numba.config.NUMBA_NUM_THREADS >= 2:
        return False
    assert CHILD_MARKER not in os.environ, (
        f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS')} was set, yet Numba has "
        f"{numba.config.NUMBA_NUM_THREADS} thread"
    )
    package_root = Path(fastmlp.__file__).resolve().parents[1]  # the fastmlp under test
    path = os.pathsep.join(filter(None, (str(package_root), os.environ.get("PYTHONPATH"))))
    environment = {**os.environ, "NUMBA_NUM_THREADS": "2", CHILD_MARKER: "1",
                   "PYTHONPATH": path}
    command = [sys.executable, "-m", "pytest", request.node.nodeid, "-p", "no:cacheprovider",
               "-q", "-rA"]
    child = subprocess.run(command, cwd=request.config.rootpath, env=environment,
                           capture_output=True, text=True, timeout=1800)
    report = f"{' '.join(command)}\n{child.stdout}\n{child.stderr}"
    assert child.returncode == 0, report
    assert f"PASSED {request.node.nodeid}" in child.stdout, report
    assert "1 passed" in child.stdout and "skipped" not in child.stdout, report
    return True


def test_batch_is_split_into_groups_spread_over_the_threads(big_batch, request):
    if ran_in_child_with_threads(request):
        return
    net, _, _ = big_batch
    work = net.workspace(np.empty((1, net.sizes[0])), 9000)
    n_groups = work["group_grads"].shape[0]
    assert n_groups == network.MAX_GROUPS
    assert work["part_grads"].shape[0] == min(numba.get_num_threads(), n_groups) > 1
    assert work["threaded"]


@pytest.mark.parametrize("m", [1, 63, 64, 127, 128, 129, 700, 9000, 10**6])
@pytest.mark.parametrize("min_group", [1, 7, 64, 373])
def test_group_count_is_a_power_of_two_of_groups_of_min_group_samples(m, min_group):
    n_groups = network.group_count(m, min_group)
    assert n_groups & (n_groups - 1) == 0 and 1 <= n_groups <= network.MAX_GROUPS
    assert n_groups == 1 or m // n_groups >= min_group
    assert n_groups == network.MAX_GROUPS or m // (2 * n_groups) < min_group
    assert n_groups == network.group_count.py_func(m, min_group)


def test_same_seed_and_thread_count_give_bit_identical_weights(big_batch, request):
    if ran_in_child_with_threads(request):
        return
    assert numba.get_num_threads() > 1
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
    if ran_in_child_with_threads(request):
        return
    assert numba.get_num_threads() > 1
    net, X, Y = big_batch
    parallel = net.gradients(X, Y, l2=0.01)
    ref_dWs, ref_dbs = naive.gradients(list(net.weights), list(net.biases), list(net.activation),
                                       "cross_entropy", "softmax", X, Y, 0.0, 0.01)
    for got, want in zip(parallel[0] + parallel[1], ref_dWs + ref_dbs, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    request.getfixturevalue("serial")
    serial = net.gradients(X, Y, l2=0.01)
    for got, want in zip(parallel[0] + parallel[1], serial[0] + serial[1], strict=True):
        np.testing.assert_array_equal(got, want)


def test_parallel_training_gives_the_bits_of_serial_training(big_batch, request):
    if ran_in_child_with_threads(request):
        return
    assert numba.get_num_threads() > 1
    net, X, Y = big_batch
    start = net.parameters.copy()
    net.fit(X, Y, epochs=2, lr=0.1, batch_size=3000, shuffle=False)
    parallel = net.parameters.copy()
    request.getfixturevalue("serial")
    net.parameters[...] = start
    net.fit(X, Y, epochs=2, lr=0.1, batch_size=3000, shuffle=False)
    np.testing.assert_array_equal(parallel, net.parameters)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_params", [5, 300, 100_003])
def test_threaded_adam_update_gives_the_bits_of_the_serial_one(n_params, dtype, rng):
    """Whatever the thread count: each parameter goes through the same arithmetic."""
    settings = tuple(dtype(value) for value in (1e-3, 0.0, 0.9, 0.999, 1e-8))
    theta = rng.normal(size=n_params).astype(dtype)
    # theta, first moment, second moment, step count: one state per update kernel
    serial, threaded = ([theta.copy(), np.zeros(n_params, dtype), np.zeros(n_params, dtype),
                         np.zeros(1, np.int64)] for _ in range(2))
    for _ in range(3):
        grad = rng.normal(size=n_params).astype(dtype)
        optim.adam_step(serial[0], grad, *serial[1:], *settings)
        optim.threaded_adam_step(threaded[0], grad, *threaded[1:], *settings)
    for want, got in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(got, want)
    assert serial[3][0] == 3
    assert not np.array_equal(serial[0], theta)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_adam_split_across_threads_gives_the_bits_of_serial_training(dtype, request, rng):
    """A network large enough for a threaded update (50,052 parameters), in batches split
    across threads: Adam's update is split too, and the weights are those of one thread."""
    if ran_in_child_with_threads(request):
        return
    assert numba.get_num_threads() > 1
    head = ("cross_entropy", "softmax")
    net, X, Y = make_problem([64, 256, 128, 4], "relu", head, dtype, rng, n_samples=600)
    assert model.threaded_update(net.workspace(X, 256), net.parameters.size)
    start = net.parameters.copy()
    settings = dict(epochs=2, lr=1e-3, batch_size=256, optimizer="adam", shuffle=False)
    net.fit(X, Y, **settings)
    parallel = net.parameters.copy()
    request.getfixturevalue("serial")
    assert not model.threaded_update(net.workspace(X, 256), net.parameters.size)
    net.parameters[...] = start
    net.fit(X, Y, **settings)
    np.testing.assert_array_equal(parallel, net.parameters)
    assert not np.array_equal(start, net.parameters)


def test_dropout_masks_do_not_depend_on_the_split_across_threads(big_batch, request):
    """A mask is a hash of the batch key, the sample's position and the unit: the batch
    split across threads and computed in one thread sees the same masks, so the gradients
    and the training are the same bits."""
    if ran_in_child_with_threads(request):
        return
    assert numba.get_num_threads() > 1
    net, X, Y = big_batch
    rates = np.full(len(net.sizes) - 2, 0.4)

    def masked_gradient():
        work = net.workspace(X)
        net.summed_loss(X, Y, work, True, None, rates, 99)
        return work["threaded"], work["group_grads"][0].copy()

    start, stream = net.parameters.copy(), copy.deepcopy(net._rng)
    threaded, parallel = masked_gradient()
    net.fit(X, Y, epochs=2, lr=0.1, batch_size=3000, dropout=0.4)
    parallel_training = net.parameters.copy()
    request.getfixturevalue("serial")
    net.parameters[...] = start
    one_thread, serial = masked_gradient()
    assert threaded and not one_thread
    np.testing.assert_array_equal(parallel, serial)
    net._rng = stream  # the same shuffles and mask keys again
    net.fit(X, Y, epochs=2, lr=0.1, batch_size=3000, dropout=0.4)
    np.testing.assert_array_equal(parallel_training, net.parameters)


def test_blas_is_held_to_one_thread_by_kernel_calls_from_any_thread():
    """A product's bits can depend on BLAS's thread count, so every kernel call holds BLAS
    to one thread, from whichever thread it is made; the limit is lifted by the last of
    concurrent callers, never under another."""
    import threading

    import scipy.linalg.cython_blas  # noqa: F401  (loads the BLAS that Numba calls)
    from threadpoolctl import threadpool_info, threadpool_limits

    from fastmlp._config import parallel_calls

    def blas_threads():
        return {lib["filepath"]: lib["num_threads"] for lib in threadpool_info()
                if lib["user_api"] == "blas"}

    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        if not before or min(before.values()) < 2:
            pytest.skip(f"BLAS cannot run two threads on this machine: {before}")
        for threaded in (False, True):
            first, second = parallel_calls(threaded), parallel_calls(not threaded)
            first.__enter__()
            second.__enter__()
            assert set(blas_threads().values()) == {1}
            first.__exit__(None, None, None)
            assert set(blas_threads().values()) == {1}
            second.__exit__(None, None, None)
            assert blas_threads() == before
        seen = []

        def call_from_another_thread():
            with parallel_calls(False):
                seen.append(set(blas_threads().values()))

        thread = threading.Thread(target=call_from_another_thread)
        thread.start()
        thread.join()
        assert seen == [{1}]
        assert blas_threads() == before


def test_training_holds_blas_to_one_thread_only_when_a_product_can_reach_it(monkeypatch):
    """A network whose products all stay below BLAS's threshold has no BLAS step, so its
    training leaves BLAS's thread count alone (setting it costs more than a small epoch);
    one with a product above it trains with BLAS held to one thread."""
    import scipy.linalg.cython_blas  # noqa: F401  (loads the BLAS that Numba calls)
    from threadpoolctl import threadpool_info, threadpool_limits

    from fastmlp._kernels import network, train

    def blas_threads():
        return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    seen = []

    class Spy:
        """The training loop, noting BLAS's thread count when it is called."""

        def __init__(self, loop):
            self.loop = loop

        def __call__(self, *args):
            seen.append(blas_threads())
            return self.loop(*args)

        def __getattr__(self, name):
            return getattr(self.loop, name)

    monkeypatch.setattr(train, "train_epochs", Spy(train.train_epochs))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 64))
    y = rng.integers(0, 2, 400).astype(float)
    with threadpool_limits(2, user_api="blas"):
        if min(blas_threads(), default=1) < 2:
            pytest.skip(f"BLAS cannot run two threads on this machine: {threadpool_info()}")
        for sizes, expected in (([64, 2, 1], {2}), ([64, 512, 1], {1})):
            net = fastmlp.MLP(sizes, seed=0)
            steps = net.layout(net.workspace(X)["capacity"])[2]
            assert (steps[network.BLAS_PRODUCT] != steps[network.PRODUCT]) == (expected == {1})
            seen.clear()
            net.fit(X, y, epochs=1, lr=0.1)
            assert seen == [expected]
            assert blas_threads() == {2}


LAUNCH_SPY = """
import json, os, sys
from numba.np.ufunc import parallel

seen = []
launch = parallel._launch_threads
def spy():
    seen.append(os.environ.get("GOMP_SPINCOUNT"))
    launch()
parallel._launch_threads = spy

import numpy as np
import fastmlp

rng = np.random.default_rng(0)
fastmlp.MLPClassifier(max_iter=1).fit(rng.standard_normal((300, 4)), rng.integers(0, 2, 300))
print(json.dumps({"at_launch": seen[0], "after": os.environ.get("GOMP_SPINCOUNT")}))
"""


@pytest.mark.parametrize("own", [None, "777"])
def test_threads_start_with_a_short_openmp_spin_unless_the_user_chose_one(own):
    """libgomp reads GOMP_SPINCOUNT once, when Numba starts its threads: fastmlp sets its
    short spin for that moment only, and never over a user's own setting."""
    import json

    from fastmlp._config import OMP_SPIN_COUNT

    environment = {key: value for key, value in os.environ.items()
                   if key not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    if own is not None:
        environment["GOMP_SPINCOUNT"] = own
    child = subprocess.run([sys.executable, "-c", LAUNCH_SPY], env=environment,
                           capture_output=True, text=True, timeout=900)
    assert child.returncode == 0, child.stderr
    seen = json.loads(child.stdout.strip().splitlines()[-1])
    assert seen["at_launch"] == (own or str(OMP_SPIN_COUNT))
    assert seen["after"] == own
