"""Workload 5, scaling: one epoch of mini-batch SGD (batch 256) on a 2-w-w-1 tanh
regression network for n = 10^3 ... 10^6 samples and widths w = 8 ... 512. Time should
grow linearly in n; ``bench/report.py`` draws the curves and checks that every 10x in n
costs at most 11x the time once n >= 10^4."""

import numpy as np
import pytest
from conftest import timed_fit

import fastmlp

SAMPLES = (1_000, 10_000, 100_000, 1_000_000)
WIDTHS = (8, 32, 128, 512)
# 10^6 samples at width 512 is 1.6 TFLOP per epoch, minutes on two cores: left out.
SKIPPED = {(1_000_000, 512)}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("n_samples", SAMPLES)
def bench_scaling(benchmark, n_samples, width):
    if (n_samples, width) in SKIPPED:
        pytest.skip("1.6 TFLOP per epoch: too long for this suite")
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (n_samples, 2))
    y = np.sin(3 * X[:, 0]) * X[:, 1]
    net = fastmlp.MLP([2, width, width, 1], activation="tanh", loss="squared_error",
                      init="glorot", seed=0)
    benchmark.group = f"5 scaling: 2-{width}-{width}-1, batch 256, 1 epoch"
    benchmark.extra_info.update(n_samples=n_samples, width=width)
    rounds = 5 if n_samples * width <= 10_000_000 else 1
    timed_fit(benchmark, net, net.parameters.copy(), rounds, X, y, epochs=1, lr=0.05,
              batch_size=256)
    assert np.isfinite(net.history["loss"]).all() and np.isfinite(net.parameters).all()
