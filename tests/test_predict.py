"""Prediction: the fast path for the common input gives what the checked path gives,
large inputs split across threads give the same bits as one thread, and many threads
predicting with one model at once get what one thread gets."""

import threading
import warnings

import numpy as np
import pytest

import fastmlp
from fastmlp.model import INFERENCE_CHUNK


@pytest.fixture(scope="module")
def models():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 12))
    y = rng.integers(0, 3, 400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = fastmlp.MLPClassifier((32, 16), max_iter=5, random_state=0).fit(X, y)
    net = fastmlp.MLP([12, 64, 3], activation="tanh", loss="cross_entropy", seed=1)
    return net, estimator


@pytest.mark.parametrize("rows", [1, 2, 37, 2 * INFERENCE_CHUNK + 5, 5 * INFERENCE_CHUNK])
def test_rows_split_across_threads_give_the_bits_of_one_chunk_at_a_time(models, rows):
    net, _ = models
    X = np.random.default_rng(rows).normal(size=(rows, 12))
    chunk_by_chunk = np.vstack([net.predict_proba(X[start:start + INFERENCE_CHUNK])
                                for start in range(0, rows, INFERENCE_CHUNK)])
    np.testing.assert_array_equal(net.predict_proba(X), chunk_by_chunk)


@pytest.mark.parametrize("layout", ["C", "F", "float32", "list"])
def test_any_input_form_gives_the_checked_result(models, layout):
    net, estimator = models
    X = np.random.default_rng(3).normal(size=(50, 12))
    given = {"C": X, "F": np.asfortranarray(X), "float32": X.astype(np.float32),
             "list": X.tolist()}[layout]
    same = X.astype(np.float32).astype(np.float64) if layout == "float32" else X
    np.testing.assert_array_equal(net.predict_proba(given), net.predict_proba(same))
    np.testing.assert_array_equal(estimator.predict_proba(given), estimator.predict_proba(same))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("rows", [1, 3 * INFERENCE_CHUNK])
def test_a_non_finite_value_is_refused_on_the_fast_path(models, bad, rows):
    net, estimator = models
    X = np.random.default_rng(4).normal(size=(rows, 12))
    X[rows // 2, 5] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        net.predict(X)
    with pytest.raises(ValueError, match="NaN|infinity"):  # scikit-learn's message
        estimator.predict(X)


def test_many_threads_predicting_at_once_get_what_one_thread_gets(models):
    net, estimator = models
    rng = np.random.default_rng(5)
    inputs = [rng.normal(size=(rows, 12)) for rows in (1, 7, 300, 3 * INFERENCE_CHUNK)]
    expected = [(net.predict_proba(X), estimator.predict_proba(X)) for X in inputs]
    failures = []
    start = threading.Barrier(8)

    def work(seed):
        order = np.random.default_rng(seed).integers(0, len(inputs), 40)
        start.wait()
        for index in order:
            got = (net.predict_proba(inputs[index]), estimator.predict_proba(inputs[index]))
            if not all(np.array_equal(a, b) for a, b in zip(got, expected[index],
                                                             strict=True)):
                failures.append(index)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
