"""Parallel sweeps: joblib processes, a Dask cluster, and plain threads give the results
of running the same fits one after another.

Numba's ``workqueue`` threading layer (its fallback without omp or tbb) is not safe for
parallel calls from several threads at once: fastmlp serialises them there.
"""

from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

import fastmlp
from fastmlp import MLPClassifier
from fastmlp.playground import Playground

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

GRID = {"hidden_layer_sizes": [(8,), (16,)], "alpha": [1e-4, 1e-2]}


@pytest.fixture(scope="module")
def data():
    return make_classification(300, 10, n_informative=6, n_classes=3, random_state=0)


def search(n_jobs=None):
    return GridSearchCV(MLPClassifier(max_iter=30, random_state=0, learning_rate_init=0.01),
                        GRID, cv=3, n_jobs=n_jobs)


@pytest.fixture(scope="module")
def serial_scores(data):
    return search().fit(*data).cv_results_["mean_test_score"]


def test_grid_search_in_worker_processes_matches_the_serial_search(data, serial_scores):
    # Each loky worker imports fastmlp and loads the compiled kernels from the disk cache.
    parallel = search(n_jobs=-1).fit(*data)
    np.testing.assert_array_equal(parallel.cv_results_["mean_test_score"], serial_scores)


def test_grid_search_on_a_dask_cluster_matches_the_serial_search(data, serial_scores):
    distributed = pytest.importorskip("distributed", reason="needs the 'dask' extra")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster),
        joblib.parallel_backend("dask"),
    ):
        result = search(n_jobs=-1).fit(*data)
    np.testing.assert_array_equal(result.cv_results_["mean_test_score"], serial_scores)


def test_eight_fits_in_threads_equal_fits_one_after_another(data):
    """Estimators, networks (one with batches big enough to use threads of its own) and
    Playground runs, eight at once."""
    X, y = data
    big_X = np.tile(X, (20, 1))
    big_y = np.tile(y, 20)

    def estimator(width, seed, solver):
        return lambda: MLPClassifier(hidden_layer_sizes=(width,), random_state=seed,
                                     max_iter=20, solver=solver,
                                     learning_rate_init=0.01).fit(X, y)

    def network(batch_size, X, y):
        def fit():
            net = fastmlp.MLP([10, 32, 3], activation="relu", loss="cross_entropy", seed=1)
            return net.fit(X, y, epochs=15, lr=0.05, batch_size=batch_size)
        return fit

    def playground(dataset, seed):
        return lambda: Playground(dataset, hidden=(6, 6), seed=seed).run(60)

    jobs = [estimator(8, 0, "adam"), estimator(16, 1, "sgd"), estimator(20, 3, "gd"),
            estimator(10, 5, "adam"), network(16, X, y), network(None, big_X, big_y),
            playground("spiral", 0), playground("circle", 1)]
    one_by_one = [job() for job in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda job: job(), jobs))
    for a, b in zip(one_by_one, threaded, strict=True):
        np.testing.assert_array_equal(parameters(b), parameters(a))


def parameters(model):
    if isinstance(model, MLPClassifier):
        return np.concatenate([p.ravel() for p in model.coefs_ + model.intercepts_])
    if isinstance(model, Playground):
        return np.concatenate([model.network.parameters, model.history["test_loss"]])
    return np.concatenate([model.parameters, model.history["loss"]])


CONCURRENT_FITS = """
from concurrent.futures import ThreadPoolExecutor
import numba
import numpy as np
import fastmlp

rng = np.random.default_rng(0)
X = rng.normal(size=(20000, 10))
y = (X[:, 0] > 0).astype(float)

def fit(seed):  # batches this large are split across Numba's threads
    return fastmlp.MLP([10, 32, 1], activation="relu", seed=seed).fit(
        X, y, epochs=3, lr=0.1).parameters

serial = [fit(seed) for seed in range(4)]
with ThreadPoolExecutor(4) as pool:
    threaded = list(pool.map(fit, range(4)))
print(numba.threading_layer(), all(np.array_equal(a, b) for a, b in zip(serial, threaded)))
"""


def test_threads_are_safe_even_on_numbas_workqueue_layer():
    """Without omp or tbb Numba falls back to workqueue, which kills the process when two
    threads start parallel work at once; fastmlp then serialises those calls."""
    import os
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", CONCURRENT_FITS], capture_output=True,
                            text=True, timeout=600,
                            env={**os.environ, "NUMBA_THREADING_LAYER": "workqueue"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["workqueue", "True"]
