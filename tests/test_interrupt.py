"""Ctrl-C during a long fit: training stops between epochs and the model is exactly the
model of the epochs it completed, with their history."""

import os
import signal
import threading

import numpy as np
import pytest

import fastmlp

pytestmark = pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                                reason="signals reach the main thread only")


@pytest.fixture
def data(rng):
    X = rng.normal(size=(4000, 10))
    y = (np.sin(X[:, 0]) + X[:, 1] * X[:, 2] > 0).astype(float)
    return X, y


def press_ctrl_c_after(seconds):
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_ctrl_c_stops_mlp_fit_after_a_completed_epoch(data):
    X, y = data
    settings = dict(lr=0.05, batch_size=32, optimizer="adam")
    net = fastmlp.MLP([10, 32, 32, 1], activation="relu", init="glorot", seed=0)
    timer = press_ctrl_c_after(0.5)
    with pytest.warns(UserWarning, match="interrupted by the user after epoch"):
        net.fit(X, y, epochs=1_000_000, **settings)
    timer.join()
    completed = net.history["loss"].size
    assert 0 < completed < 1_000_000
    assert np.isfinite(net.history["loss"]).all()
    replay = fastmlp.MLP([10, 32, 32, 1], activation="relu", init="glorot", seed=0)
    replay.fit(X, y, epochs=completed, **settings)
    np.testing.assert_array_equal(net.parameters, replay.parameters)
    np.testing.assert_array_equal(net.history["loss"], replay.history["loss"])
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_stops_an_estimator_fit_after_a_completed_epoch(data):
    X, y = data
    params = dict(hidden_layer_sizes=(32, 32), batch_size=32, tol=0.0, random_state=0,
                  n_iter_no_change=10**9)
    model = fastmlp.MLPClassifier(max_iter=1_000_000, **params)
    timer = press_ctrl_c_after(0.5)
    with pytest.warns(UserWarning, match="interrupted by the user after epoch"):
        model.fit(X, y)
    timer.join()
    assert 0 < model.n_iter_ == len(model.loss_curve_) < 1_000_000
    replay = fastmlp.MLPClassifier(max_iter=model.n_iter_, **params)
    with pytest.warns(UserWarning):  # the ConvergenceWarning at max_iter
        replay.fit(X, y)
    np.testing.assert_array_equal(model.coefs_[0], replay.coefs_[0])
    assert model.loss_curve_ == replay.loss_curve_
    assert model.score(X, y) == replay.score(X, y)


def test_ctrl_c_stops_a_playground_run_after_a_completed_epoch():
    from fastmlp.playground import Playground

    run = Playground("spiral", hidden=(8, 8, 8), seed=0)
    timer = press_ctrl_c_after(0.5)
    with pytest.warns(UserWarning, match="interrupted by the user after epoch"):
        run.run(10_000_000)
    timer.join()
    assert 0 < run.epoch < 10_000_000
    assert run.history["test_loss"].size == run.epoch
    replay = Playground("spiral", hidden=(8, 8, 8), seed=0).run(run.epoch)
    np.testing.assert_array_equal(run.network.parameters, replay.network.parameters)
    np.testing.assert_array_equal(run.history["test_loss"], replay.history["test_loss"])


def test_ctrl_c_stops_lbfgs_at_an_iterate(data):
    X, y = data
    model = fastmlp.MLPClassifier(hidden_layer_sizes=(256, 256), solver="lbfgs",
                                  max_iter=100_000, max_fun=10**7, tol=0.0, random_state=0)
    timer = press_ctrl_c_after(1.0)
    with pytest.warns(UserWarning, match="interrupted by the user"):
        model.fit(X, y)
    timer.join()
    assert 0 < model.n_iter_ < 100_000
    assert np.isfinite(model.loss_) and np.isfinite(model.predict_proba(X)).all()
