"""Ctrl-C during a long fit: training stops between epochs and the model is exactly the
model of the epochs it completed, with their history.

No test here depends on timing. The signal is sent by a watcher thread only once training
has demonstrably started (the weights changed, or an epoch was counted), or from inside
the call itself at a chosen point; the epochs asked for are far more than any machine
completes before the watcher reacts.
"""

import os
import signal
import threading
import time
import tracemalloc

import numpy as np
import pytest

import fastmlp
from fastmlp import _epochs
from fastmlp._interrupt import InterruptFlag
from fastmlp.playground import Playground

pytestmark = pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                                reason="signals reach the main thread only")

#: Give up waiting for training to start after this long: the test then fails (no hang).
WATCH_LIMIT_SECONDS = 600


@pytest.fixture
def data(rng):
    X = rng.normal(size=(4000, 10))
    y = (np.sin(X[:, 0]) + X[:, 1] * X[:, 2] > 0).astype(float)
    return X, y


def press_ctrl_c_once(started):
    """Send SIGINT to this process from a thread as soon as ``started()`` is true."""

    def watch():
        deadline = time.monotonic() + WATCH_LIMIT_SECONDS
        while not started():
            if time.monotonic() > deadline:
                return
            time.sleep(0.001)
        os.kill(os.getpid(), signal.SIGINT)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


def weights_changed(parameters):
    """A ``started`` test: true once ``parameters`` (updated in place) differ from now."""
    start = parameters.copy()
    return lambda: not np.array_equal(parameters, start)


@pytest.fixture(autouse=True)
def handler_restored():
    """Every call leaves the SIGINT handler it found (Python's default, or SIG_IGN in a
    background job), not fastmlp's."""
    before = signal.getsignal(signal.SIGINT)
    yield
    assert signal.getsignal(signal.SIGINT) is before


def fit_until_ctrl_c(net, X, y, **settings):
    """``net.fit`` for a million epochs, with Ctrl-C pressed once training has changed the
    weights; checks the interruption warning and returns the number of epochs completed."""
    watcher = press_ctrl_c_once(weights_changed(net.parameters))
    with pytest.warns(UserWarning, match="interrupted by the user after epoch"):
        net.fit(X, y, epochs=1_000_000, **settings)
    watcher.join()
    completed = net.history["loss"].size
    assert 0 < completed < 1_000_000
    return completed


def test_ctrl_c_stops_mlp_fit_after_a_completed_epoch(data):
    X, y = data
    settings = dict(lr=0.05, batch_size=32, optimizer="adam")
    net = fastmlp.MLP([10, 32, 32, 1], activation="relu", init="glorot", seed=0)
    completed = fit_until_ctrl_c(net, X, y, **settings)
    assert np.isfinite(net.history["loss"]).all()
    replay = fastmlp.MLP([10, 32, 32, 1], activation="relu", init="glorot", seed=0)
    replay.fit(X, y, epochs=completed, **settings)
    np.testing.assert_array_equal(net.parameters, replay.parameters)
    np.testing.assert_array_equal(net.history["loss"], replay.history["loss"])


def test_ctrl_c_stops_a_fit_with_validation_after_a_completed_epoch(data):
    X, y = data
    settings = dict(lr=0.05, batch_size=256, validation_data=(X[:500], y[:500]))
    net = fastmlp.MLP([10, 16, 1], activation="tanh", init="glorot", seed=1)
    completed = fit_until_ctrl_c(net, X, y, **settings)
    assert {key: values.size for key, values in net.history.items()} == {
        "loss": completed, "val_loss": completed, "val_accuracy": completed}
    assert np.isfinite(net.history["val_loss"]).all()


def test_ctrl_c_stops_an_estimator_fit_after_a_completed_epoch(data):
    X, y = data
    params = dict(hidden_layer_sizes=(32, 32), batch_size=32, tol=0.0, random_state=0,
                  n_iter_no_change=10**9)
    model = fastmlp.MLPClassifier(max_iter=1_000_000, **params)
    watcher = press_ctrl_c_once(lambda: getattr(model, "n_iter_", 0) >= 1)
    with pytest.warns(UserWarning, match="interrupted by the user after epoch"):
        model.fit(X, y)
    watcher.join()
    assert 0 < model.n_iter_ == len(model.loss_curve_) < 1_000_000
    replay = fastmlp.MLPClassifier(max_iter=model.n_iter_, **params)
    with pytest.warns(UserWarning):  # the ConvergenceWarning at max_iter
        replay.fit(X, y)
    np.testing.assert_array_equal(model.coefs_[0], replay.coefs_[0])
    assert model.loss_curve_ == replay.loss_curve_
    assert model.score(X, y) == replay.score(X, y)


def test_ctrl_c_stops_a_playground_run_after_a_completed_epoch():
    run = Playground("spiral", hidden=(8, 8, 8), seed=0)
    watcher = press_ctrl_c_once(weights_changed(run.network.parameters))
    with pytest.warns(UserWarning, match="interrupted by the user after epoch"):
        run.run(10_000_000)
    watcher.join()
    assert 0 < run.epoch < 10_000_000
    assert run.history["test_loss"].size == run.epoch + 1  # epochs 0 .. run.epoch
    replay = Playground("spiral", hidden=(8, 8, 8), seed=0).run(run.epoch)
    np.testing.assert_array_equal(run.network.parameters, replay.network.parameters)
    np.testing.assert_array_equal(run.history["test_loss"], replay.history["test_loss"])


def test_ctrl_c_stops_lbfgs_at_an_iterate(data):
    X, y = data
    model = fastmlp.MLPClassifier(hidden_layer_sizes=(256, 256), solver="lbfgs",
                                  max_iter=100_000, max_fun=10**7, tol=0.0, random_state=0)
    first_seen = {}

    def iterating():
        net = getattr(model, "_net", None)
        if net is None:
            return False
        first_seen.setdefault("parameters", net.parameters.copy())
        return not np.array_equal(net.parameters, first_seen["parameters"])

    watcher = press_ctrl_c_once(iterating)
    with pytest.warns(UserWarning, match="interrupted by the user") as caught:
        model.fit(X, y)
    watcher.join()
    assert caught[0].filename == __file__  # the warning names the caller's line
    assert 0 < model.n_iter_ < 100_000
    assert np.isfinite(model.loss_) and np.isfinite(model.predict_proba(X)).all()


class PressesCtrlCWhenRead:
    """Array-like data that sends SIGINT when the call converts it (before any epoch)."""

    def __init__(self, array):
        self.array = array

    def __array__(self, dtype=None, copy=None):
        os.kill(os.getpid(), signal.SIGINT)
        return self.array if dtype is None else self.array.astype(dtype)


def test_ctrl_c_while_fit_reads_its_data_stops_before_the_first_epoch(data):
    X, y = data
    net = fastmlp.MLP([10, 8, 1], seed=0)
    net.fit(X, y, epochs=3, lr=0.1)
    parameters, history = net.parameters.copy(), dict(net.history)
    with pytest.warns(UserWarning, match="after epoch 0"):
        net.fit(PressesCtrlCWhenRead(X), y, epochs=1_000_000, lr=0.1)
    np.testing.assert_array_equal(net.parameters, parameters)
    assert net.history["loss"].size == 0 and history["loss"].size == 3


def test_ctrl_c_while_an_estimator_reads_its_data_leaves_a_consistent_model(data):
    X, y = data
    model = fastmlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=1_000_000, tol=0.0,
                                  n_iter_no_change=10**9, random_state=0)
    with pytest.warns(UserWarning, match="after epoch 0"):
        model.fit(PressesCtrlCWhenRead(X), y)
    assert model.n_iter_ == 0 and model.loss_curve_ == []
    assert model.predict(X).shape == y.shape  # initialised, usable, trained 0 epochs


def test_history_memory_follows_the_epochs_run_not_the_epochs_asked_for():
    run = Playground("spiral", hidden=(8, 8, 8), seed=0)
    run.run(1)  # compiled (or loaded) outside the measurement
    watcher = press_ctrl_c_once(weights_changed(run.network.parameters))
    tracemalloc.start()
    try:
        with pytest.warns(UserWarning, match="interrupted by the user"):
            run.run(10**9)  # 24 GB if its figures were reserved up front
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    watcher.join()
    bytes_per_epoch = 3 * 8
    assert peak < 8 * 2**20 + 4 * bytes_per_epoch * run.epoch
    assert run.history["test_loss"].size == run.epoch + 1 < 10**9


def test_fit_history_memory_follows_the_epochs_run(data):
    X, y = data
    net = fastmlp.MLP([10, 4, 1], seed=0)
    net.fit(X[:64], y[:64], epochs=1, lr=0.1)
    watcher = press_ctrl_c_once(weights_changed(net.parameters))
    tracemalloc.start()
    try:
        with pytest.warns(UserWarning, match="interrupted by the user"):
            net.fit(X[:64], y[:64], epochs=10**9, lr=0.1)  # 8 GB of losses if reserved
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    watcher.join()
    assert peak < 8 * 2**20 + 4 * 8 * net.history["loss"].size


def calls_of_run_in_calls(monkeypatch, epochs, seconds_of_call):
    """The epoch counts of the compiled calls that ``run_in_calls`` makes for ``epochs``
    epochs when a call of ``count`` epochs (the ``index``-th) takes
    ``seconds_of_call(index, count)`` seconds on a simulated clock."""
    clock = [0.0]
    monkeypatch.setattr(_epochs, "perf_counter", lambda: clock[0])
    counts = []

    def run(first, count):
        assert first == sum(counts)
        clock[0] += seconds_of_call(len(counts), count)
        counts.append(count)
        return count, False

    completed, diverged = _epochs.run_in_calls(run, epochs, InterruptFlag())
    assert (completed, diverged) == (epochs, False)
    assert sum(counts) == epochs
    return counts


def test_a_fast_job_runs_in_two_compiled_calls(monkeypatch):
    # The two-moons job's scale: a call's fixed cost of 100 us, 7 us per epoch.
    counts = calls_of_run_in_calls(monkeypatch, 1000, lambda index, count: 1e-4 + 7e-6 * count)
    assert counts == [1, 999]


def test_slow_epochs_keep_every_call_near_the_time_aimed_at(monkeypatch):
    epoch_seconds = 0.05
    counts = calls_of_run_in_calls(monkeypatch, 100, lambda index, count: epoch_seconds * count)
    fitting = round(_epochs.CALL_SECONDS / epoch_seconds)
    assert counts[0] == 1
    # Rounding may leave a call one epoch short of the time aimed at, never past it.
    assert all(fitting - 1 <= count <= fitting for count in counts[1:-1])
    assert counts[-1] <= fitting


def test_a_first_call_slowed_by_compiling_does_not_size_the_rest(monkeypatch):
    epoch_seconds = 1e-3
    counts = calls_of_run_in_calls(
        monkeypatch, 5000,
        lambda index, count: (5.0 if index == 0 else 0.0) + epoch_seconds * count)
    fitting = round(_epochs.CALL_SECONDS / epoch_seconds)
    assert counts[:2] == [1, 1]
    assert all(fitting - 1 <= count <= fitting for count in counts[2:-1])
