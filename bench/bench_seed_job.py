"""The seed experiment (moons, 2-10-1 tanh/sigmoid, full-batch GD, lr 0.5, 1000 epochs):
fastmlp in float64 and float32 against the seed sheet's numpy algorithm."""

import naive
import pytest
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

import fastmlp

EPOCHS = 1000


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(n_samples=500, noise=0.2, random_state=42)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=42)
    return X_train, y_train


@pytest.mark.parametrize("implementation", ["fastmlp-float64", "fastmlp-float32", "numpy"])
def bench_seed_job(benchmark, moons, implementation):
    X, y = moons
    benchmark.group = f"seed job ({EPOCHS} epochs)"
    if implementation == "numpy":
        net = fastmlp.MLP([2, 10, 1], seed=0)
        start = [a.copy() for a in (net.weights[0], net.biases[0], net.weights[1], net.biases[1])]
        curve, _ = benchmark(naive.seed_exercise_training, *start, X.T, y.reshape(1, -1),
                             0.5, EPOCHS)
    else:
        dtype = implementation.split("-")[1]
        net = fastmlp.MLP([2, 10, 1], dtype=dtype, seed=0)
        initial = net.parameters.copy()

        def train():
            net.parameters[...] = initial
            return net.fit(X, y, epochs=EPOCHS, lr=0.5).history["loss"]

        train()
        curve = benchmark(train)
    assert curve.shape == (EPOCHS,) and curve[-1] < 0.1
