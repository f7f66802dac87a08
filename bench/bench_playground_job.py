"""Workload 2, the Playground job: spiral (250 training points), 2-8-8-8-1 tanh, tanh
output + squared error, batch size 10, lr 0.1, 500 epochs, started from the same
Playground initialisation. fastmlp (float64, float32) against the numpy mini-batch reference,
PyTorch and JAX (float64, float32)."""

import numpy as np
import pytest
from baselines import NumpyMLP, torch_network, torch_train
from conftest import (
    THREAD_IDS,
    TORCH_THREADS,
    fit_job,
    requires_jax,
    requires_torch,
    spiral,
    timed,
    timed_fit,
)
from jax_peer import JaxRun, timed_jax

import fastmlp

EPOCHS, LR, BATCH, ROUNDS = 500, 0.1, 10, 5
#: Rounds of the JAX entry, each paired with a run of fastmlp's (timing.timed_pairs): more
#: than the other entries', as the median of the rounds' ratios decides its target.
JAX_ROUNDS = 15
SIZES = [2, 8, 8, 8, 1]
GROUP = "2 Playground job: spiral 2-8-8-8-1 tanh, batch 10, 500 epochs"
# 12,500 SGD steps at lr 0.1 amplify rounding differences (the summation order differs
# between implementations): the curves agree to 1e-9 for the first 100 epochs, after which
# each run only has to reach a good fit. A float32 run agrees with the float64 reference over
# those epochs to 1e-5, about 80 float32 epsilons (measured: 1.5e-6 at most).
AGREEING_EPOCHS, GOOD_FINAL_LOSS = 100, 0.05
DTYPES = ["float64", "float32"]
RTOL = {"float64": 1e-9, "float32": 1e-5}


def assert_agrees(curve, reference, dtype="float64"):
    np.testing.assert_allclose(curve[:AGREEING_EPOCHS], reference[:AGREEING_EPOCHS],
                               rtol=RTOL[dtype])
    assert curve[-1] < GOOD_FINAL_LOSS


@pytest.fixture(scope="module")
def data():
    X, y = spiral()
    return X[:250], y[:250, None]  # the Playground's 50% training split


@pytest.fixture(scope="module")
def start():
    return fastmlp.MLP(SIZES, activation="tanh", loss="squared_error", output="tanh",
                       init="playground", seed=0)


@pytest.fixture(scope="module")
def reference(start, data):
    X, Y = data
    model = NumpyMLP(start.weights, start.biases, "tanh", "tanh_squared_error")
    return model.train(X, Y, EPOCHS, LR, BATCH)


def network(dtype):
    return fastmlp.MLP(SIZES, activation="tanh", loss="squared_error", output="tanh",
                       dtype=dtype)


FIT_SETTINGS = dict(epochs=EPOCHS, lr=LR, batch_size=BATCH, shuffle=False)


def ours(X, Y, start, dtype="float64"):
    """fastmlp's entry for the job in ``dtype``, for a peer's paired rounds
    (``timing.timed_pairs``)."""
    return {f"bench_fastmlp[{dtype}]": fit_job(network(dtype), start.parameters, X, Y,
                                               **FIT_SETTINGS)}


@pytest.mark.parametrize("dtype", DTYPES)
def bench_fastmlp(benchmark, data, start, reference, dtype):
    X, Y = data
    net = network(dtype)
    benchmark.group = GROUP
    timed_fit(benchmark, net, start.parameters, ROUNDS, X, Y, **FIT_SETTINGS)
    assert_agrees(net.history["loss"], reference, dtype)


def bench_numpy(benchmark, data, start, reference):
    X, Y = data
    benchmark.group = GROUP
    curve = timed(
        benchmark, lambda model: model.train(X, Y, EPOCHS, LR, BATCH), ROUNDS,
        lambda: (NumpyMLP(start.weights, start.biases, "tanh", "tanh_squared_error"),),
        ours(X, Y, start),
    )
    np.testing.assert_array_equal(curve, reference)
    assert curve[-1] < GOOD_FINAL_LOSS


@requires_torch
@pytest.mark.parametrize("torch_threads", TORCH_THREADS, ids=THREAD_IDS)
def bench_pytorch(benchmark, torch_threads, data, start, reference):
    import torch

    X, Y = data
    torch.set_num_threads(torch_threads)
    benchmark.group = GROUP
    curve = timed(
        benchmark,
        lambda model: torch_train(model, X, Y, EPOCHS, LR, BATCH, "tanh_squared_error"),
        ROUNDS,
        lambda: (torch_network(start.weights, start.biases, "tanh", torch.float64),),
        ours(X, Y, start),
    )
    assert_agrees(curve, reference)


@requires_jax
@pytest.mark.parametrize("dtype", DTYPES)
def bench_jax(benchmark, data, start, reference, dtype):
    X, Y = data
    run = JaxRun("tanh", "tanh_squared_error", epochs=EPOCHS, lr=LR, batch_size=BATCH,
                 dtype=dtype)
    benchmark.group = GROUP
    _, curve = timed_jax(benchmark, run, JAX_ROUNDS, start.weights, start.biases, X, Y,
                         ours(X, Y, start, dtype))
    assert_agrees(curve, reference, dtype)
