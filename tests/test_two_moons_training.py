"""The two-moons experiment (the exercise sheet's numpy network): 2-10-1 tanh/sigmoid on
make_moons(500, noise=0.2), full-batch gradient descent at learning rate 0.5."""

import naive
import numpy as np
import pytest

import fastmlp
from fastmlp.datasets import make_moons, train_test_split


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(n_samples=500, noise=0.2, random_state=42)
    return train_test_split(X, y, test_size=0.3, random_state=42)


def test_full_batch_training_follows_the_sheets_numpy_network_step_for_step(moons):
    X_train, _, y_train, _ = moons
    net = fastmlp.MLP([2, 10, 1], activation="tanh", loss="binary_cross_entropy", seed=3)
    start = [a.copy() for a in (net.weights[0], net.biases[0], net.weights[1], net.biases[1])]
    net.fit(X_train, y_train, epochs=1000, lr=0.5)
    curve, final = naive.sheet_numpy_training(
        *start, X_train.T, y_train.reshape(1, -1), lr=0.5, epochs=1000
    )
    np.testing.assert_allclose(net.history["loss"], curve, rtol=0, atol=1e-10)
    for got, want in zip((net.weights[0], net.biases[0], net.weights[1], net.biases[1]), final,
                         strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


def test_two_moons_network_reaches_99_percent_test_accuracy_for_most_seeds(moons):
    X_train, X_test, y_train, y_test = moons
    accuracies = []
    for seed in range(50):
        net = fastmlp.MLP([2, 10, 1], activation="tanh", seed=seed)
        net.fit(X_train, y_train, epochs=1000, lr=0.5)
        accuracies.append(np.mean(net.predict(X_test) == y_test))
    accuracies = np.array(accuracies)
    # The demo's default seed reaches 99%; so do most initialisations (the exercise sheet's
    # 99.33% came from one unseeded draw), and none misclassifies more than 3 of 150.
    assert accuracies[0] >= 0.99
    assert np.mean(accuracies >= 0.99) >= 0.75, accuracies
    assert accuracies.min() >= 0.98, accuracies


def test_float32_tracks_float64_on_two_moons(moons):
    X_train, X_test, y_train, _ = moons
    nets = {dtype: fastmlp.MLP([2, 10, 1], dtype=dtype, seed=0) for dtype in ("float64", "float32")}
    np.testing.assert_allclose(nets["float32"].parameters, nets["float64"].parameters, rtol=1e-7)
    for net in nets.values():
        net.fit(X_train, y_train, epochs=300, lr=0.5)
    np.testing.assert_allclose(
        nets["float32"].history["loss"], nets["float64"].history["loss"], rtol=1e-4
    )
    np.testing.assert_allclose(
        nets["float32"].predict_proba(X_test), nets["float64"].predict_proba(X_test), atol=1e-4
    )
    assert nets["float32"].parameters.dtype == np.float32
