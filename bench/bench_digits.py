"""Workload 3, real data: scikit-learn's digits (1797 x 64, 10 classes, 75/25 split),
64-128-10 ReLU, softmax + cross-entropy, Adam (lr 1e-3), mini-batches of 32, 50 epochs.
fastmlp against scikit-learn's MLPClassifier doing the same epochs (no penalty, no early
stopping), PyTorch and JAX optional; each must reach a test accuracy of at least 0.96 and
within one point of scikit-learn's."""

import numpy as np
import pytest
from baselines import sklearn_fit, torch_network, torch_train
from conftest import (
    THREAD_IDS,
    TORCH_THREADS,
    fit_job,
    requires_jax,
    requires_torch,
    timed,
    timed_fit,
)
from jax_peer import JaxRun, one_hot, timed_jax

import fastmlp

EPOCHS, LR, BATCH, ROUNDS = 50, 1e-3, 32, 5
#: Rounds of the JAX entry, each paired with a run of fastmlp's (timing.timed_pairs): more
#: than the other entries', as the median of the rounds' ratios decides its target.
JAX_ROUNDS = 9
GROUP = "3 digits: 64-128-10 relu, Adam, batch 32, 50 epochs"


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0)


@pytest.fixture(scope="module")
def sklearn_accuracy(digits):
    X_train, X_test, y_train, y_test = digits
    return sklearn_fit(make_sklearn(), X_train, y_train).score(X_test, y_test)


def make_sklearn():
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(
        hidden_layer_sizes=(128,), activation="relu", solver="adam", alpha=0.0,
        batch_size=BATCH, learning_rate_init=LR, max_iter=EPOCHS, shuffle=True,
        random_state=0, tol=0.0, n_iter_no_change=EPOCHS + 1,
    )


def assert_accuracy(accuracy, sklearn_accuracy):
    assert accuracy >= 0.96
    assert abs(accuracy - sklearn_accuracy) <= 0.01


def network():
    return fastmlp.MLP([64, 128, 10], activation="relu", loss="cross_entropy", init="glorot",
                       seed=0)


FIT_SETTINGS = dict(epochs=EPOCHS, lr=LR, batch_size=BATCH, optimizer="adam")


def estimator_job(X, y):
    """``(train, prepare)`` for ``conftest.timed``: fastmlp's MLPClassifier with
    scikit-learn's settings, fitted to ``X, y``."""
    params = make_sklearn().get_params()
    return (lambda model: sklearn_fit(model, X, y)), (
        lambda: (fastmlp.MLPClassifier(**params),))


def ours(X, y, *entries):
    """fastmlp's ``entries`` (``bench_fastmlp``, ``bench_fastmlp_estimator``), for a peer's
    paired rounds (``timing.timed_pairs``)."""
    jobs = {"bench_fastmlp": fit_job(network(), network().parameters, X, y, **FIT_SETTINGS),
            "bench_fastmlp_estimator": estimator_job(X, y)}
    return {entry: jobs[entry] for entry in entries}


def bench_fastmlp(benchmark, digits, sklearn_accuracy):
    X_train, X_test, y_train, y_test = digits
    net = network()
    benchmark.group = GROUP
    timed_fit(benchmark, net, net.parameters.copy(), ROUNDS, X_train, y_train, **FIT_SETTINGS)
    assert_accuracy(np.mean(net.predict(X_test) == y_test), sklearn_accuracy)


def bench_fastmlp_estimator(benchmark, digits, sklearn_accuracy):
    """fastmlp's drop-in MLPClassifier with scikit-learn's exact settings and path."""
    X_train, X_test, y_train, y_test = digits
    benchmark.group = GROUP
    train, prepare = estimator_job(X_train, y_train)
    estimator = timed(benchmark, train, ROUNDS, prepare)
    assert estimator.n_iter_ == EPOCHS
    # Same random_state, same path: the very same accuracy as scikit-learn's.
    assert estimator.score(X_test, y_test) == sklearn_accuracy


def bench_sklearn(benchmark, digits, sklearn_accuracy):
    X_train, X_test, y_train, y_test = digits
    benchmark.group = GROUP
    estimator = timed(benchmark, lambda model: sklearn_fit(model, X_train, y_train), ROUNDS,
                      lambda: (make_sklearn(),),
                      ours(X_train, y_train, "bench_fastmlp", "bench_fastmlp_estimator"))
    assert estimator.n_iter_ == EPOCHS
    assert_accuracy(estimator.score(X_test, y_test), sklearn_accuracy)


@requires_torch
@pytest.mark.parametrize("torch_threads", TORCH_THREADS, ids=THREAD_IDS)
def bench_pytorch(benchmark, torch_threads, digits, sklearn_accuracy):
    import torch

    X_train, X_test, y_train, y_test = digits
    start = network()
    torch.set_num_threads(torch_threads)

    def train(model):
        torch_train(model, X_train, y_train, EPOCHS, LR, BATCH, "cross_entropy", "adam")
        return model

    benchmark.group = GROUP
    model = timed(benchmark, train, ROUNDS,
                  lambda: (torch_network(start.weights, start.biases, "relu", torch.float64),))
    with torch.no_grad():
        predicted = model(torch.from_numpy(X_test)).argmax(dim=1).numpy()
    assert_accuracy(np.mean(predicted == y_test), sklearn_accuracy)


@requires_jax
def bench_jax(benchmark, digits, sklearn_accuracy):
    X_train, X_test, y_train, y_test = digits
    start = network()
    run = JaxRun("relu", "softmax_ce", epochs=EPOCHS, lr=LR, batch_size=BATCH,
                 optimizer="adam", shuffle=True)
    benchmark.group = GROUP
    (weights, biases), _ = timed_jax(benchmark, run, JAX_ROUNDS, start.weights, start.biases,
                                     X_train, one_hot(y_train, 10),
                                     ours(X_train, y_train, "bench_fastmlp"))
    hidden = np.maximum(X_test @ weights[0].T + biases[0], 0.0)
    predicted = (hidden @ weights[1].T + biases[1]).argmax(axis=1)
    assert_accuracy(np.mean(predicted == y_test), sklearn_accuracy)
