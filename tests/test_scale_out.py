"""Parallel sweeps: joblib processes, a Dask cluster, and plain threads give the results
of running the same fits one after another."""

from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from fastmlp import MLPClassifier

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


def test_fits_in_threads_equal_fits_one_after_another(data):
    X, y = data
    settings = [dict(hidden_layer_sizes=(width,), random_state=seed, max_iter=20,
                     solver=solver, learning_rate_init=0.01)
                for width, seed, solver in [(8, 0, "adam"), (16, 1, "sgd"), (12, 2, "adam"),
                                            (20, 3, "gd"), (8, 4, "sgd"), (10, 5, "adam")]]

    def fit(params):
        return MLPClassifier(**params).fit(X, y)

    one_by_one = [fit(params) for params in settings]
    with ThreadPoolExecutor(max_workers=len(settings)) as pool:
        threaded = list(pool.map(fit, settings))
    for a, b in zip(one_by_one, threaded, strict=True):
        for got, want in zip(b.coefs_ + b.intercepts_, a.coefs_ + a.intercepts_, strict=True):
            np.testing.assert_array_equal(got, want)
        assert b.loss_curve_ == a.loss_curve_
