"""Workload 8, threads: eight small estimator fits (moons, 2-32-32 tanh, Adam, batch 32,
50 epochs) one after another, and the same eight in a thread pool of two. The kernels
release the GIL, so on two cores the pool should take about half the time; the Python
bookkeeping between epochs holds it, so the smaller the epochs, the less the pool gains.
The fits give identical weights either way."""

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
import pytest
from conftest import timed

from fastmlp import MLPClassifier

GROUP = "8 threads: 8 fits of 2-32-32 tanh, Adam, batch 32, 50 epochs"
SEEDS = range(8)
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def fit_all(X, y, workers):
    def fit(seed):
        return MLPClassifier(hidden_layer_sizes=(32, 32), activation="tanh", max_iter=50,
                             batch_size=32, random_state=seed, tol=0.0,
                             learning_rate_init=0.01).fit(X, y)

    if workers == 1:
        return [fit(seed) for seed in SEEDS]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fit, SEEDS))


@pytest.mark.parametrize("workers", [1, 2], ids=["fastmlp-one-after-another",
                                                   "fastmlp-two-threads"])
def bench_threads(benchmark, moons, workers):
    X, y = moons
    benchmark.group = GROUP
    benchmark.extra_info["numba_threads"] = numba.get_num_threads()
    # The fits one after another (the target's peer) alternate with the pool's, round by
    # round (timing.timed_pairs).
    ours = {"bench_threads[fastmlp-two-threads]": (lambda: fit_all(X, y, 2), tuple)}
    models = timed(benchmark, lambda: fit_all(X, y, workers), 5,
                   ours=ours if workers == 1 else None)
    reference = fit_all(X, y, 1)
    for model, expected in zip(models, reference, strict=True):
        np.testing.assert_array_equal(model.coefs_[0], expected.coefs_[0])
