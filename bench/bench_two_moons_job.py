"""Workload 1, the two-moons job: 2-10-1 tanh, sigmoid + BCE, full batch, lr 0.5,
1000 epochs. fastmlp (float64, float32) against the exercise sheet's numpy MLP, scikit-learn,
PyTorch and JAX (float64, float32), all started from the same weights and checked to reach the
same loss curve."""

import numpy as np
import pytest
from baselines import NumpyMLP, sklearn_fit, sklearn_from_weights, torch_network, torch_train
from conftest import (
    THREAD_IDS,
    TORCH_THREADS,
    fit_job,
    requires_jax,
    requires_torch,
    timed,
    timed_fit,
)
from jax_peer import JaxRun, timed_jax

import fastmlp

EPOCHS, LR, ROUNDS = 1000, 0.5, 7
#: Rounds of the JAX entry, each paired with a run of fastmlp's (timing.timed_pairs): more
#: than the other entries', as the median of the rounds' ratios decides its target.
JAX_ROUNDS = 21
GROUP = "1 two-moons job: 2-10-1 tanh, full batch, 1000 epochs"


def start_network():
    """The demo's default initial network."""
    return fastmlp.MLP([2, 10, 1], seed=0)


def job(dtype, X, y):
    """``(train, prepare)`` for ``conftest.timed``: the job's fit in ``dtype`` from
    :func:`start_network`, on a network of its own."""
    return fit_job(fastmlp.MLP([2, 10, 1], dtype=dtype), start_network().parameters, X, y,
                   epochs=EPOCHS, lr=LR)


def ours(X, y, *dtypes):
    """fastmlp's entries for the job in ``dtypes``, for a peer's paired rounds
    (``timing.timed_pairs``)."""
    return {f"bench_fastmlp[{dtype}]": job(dtype, X, y) for dtype in dtypes}


@pytest.fixture(scope="module")
def start():
    return start_network()


@pytest.fixture(scope="module")
def reference(start, moons):
    X, y = moons
    return NumpyMLP(start.weights, start.biases).train(X, y[:, None], EPOCHS, LR)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def bench_fastmlp(benchmark, moons, start, reference, dtype):
    X, y = moons
    net = fastmlp.MLP([2, 10, 1], dtype=dtype)
    benchmark.group = GROUP
    timed_fit(benchmark, net, start.parameters, ROUNDS, X, y, epochs=EPOCHS, lr=LR)
    tolerance = 1e-10 if dtype == "float64" else 1e-4
    np.testing.assert_allclose(net.history["loss"], reference, rtol=tolerance)


def bench_sheet_numpy(benchmark, moons, start, reference):
    X, y = moons
    benchmark.group = GROUP
    curve = timed(
        benchmark, lambda model: model.train(X, y[:, None], EPOCHS, LR), ROUNDS,
        lambda: (NumpyMLP(start.weights, start.biases),), ours(X, y, "float64", "float32"),
    )
    np.testing.assert_array_equal(curve, reference)


def bench_sklearn(benchmark, moons, start, reference):
    from sklearn.neural_network import MLPClassifier

    X, y = moons

    def prepare():
        estimator = MLPClassifier(
            hidden_layer_sizes=(10,), activation="tanh", solver="sgd", alpha=0.0,
            batch_size=X.shape[0], learning_rate_init=LR, momentum=0.0, max_iter=EPOCHS,
            shuffle=False, tol=0.0, n_iter_no_change=EPOCHS + 1, warm_start=True,
        )
        return (sklearn_from_weights(estimator, start.weights, start.biases, X, y),)

    benchmark.group = GROUP
    estimator = timed(benchmark, lambda model: sklearn_fit(model, X, y), ROUNDS, prepare,
                      ours(X, y, "float64"))
    np.testing.assert_allclose(estimator.loss_curve_, reference, rtol=1e-9)


@requires_torch
@pytest.mark.parametrize("torch_threads", TORCH_THREADS, ids=THREAD_IDS)
def bench_pytorch(benchmark, torch_threads, moons, start, reference):
    import torch

    X, y = moons
    Y = y[:, None].astype(np.float64)
    torch.set_num_threads(torch_threads)
    benchmark.group = GROUP
    curve = timed(
        benchmark,
        lambda model: torch_train(model, X, Y, EPOCHS, LR, X.shape[0], "bce"),
        ROUNDS,
        lambda: (torch_network(start.weights, start.biases, "tanh", torch.float64),),
        ours(X, y, "float64"),
    )
    np.testing.assert_allclose(curve, reference, rtol=1e-9)


@requires_jax
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def bench_jax(benchmark, moons, start, reference, dtype):
    X, y = moons
    run = JaxRun("tanh", "sigmoid_bce", epochs=EPOCHS, lr=LR, dtype=dtype)
    benchmark.group = GROUP
    _, curve = timed_jax(benchmark, run, JAX_ROUNDS, start.weights, start.biases, X, y,
                         ours(X, y, dtype))
    tolerance = 1e-10 if dtype == "float64" else 1e-4
    np.testing.assert_allclose(curve, reference, rtol=tolerance)
