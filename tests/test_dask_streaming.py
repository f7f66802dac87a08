"""Training on data larger than memory: Dask-ML's ``Incremental`` streams a Dask array
block by block through the estimators' ``partial_fit`` on a ``LocalCluster``, and the
model it returns is exactly the one from calling ``partial_fit`` on the same blocks, as
NumPy arrays, in the same order.

The order is deterministic. ``Incremental(shuffle_blocks=False)`` calls ``partial_fit``
on blocks 0, 1, ..., n - 1 as a chain of tasks, each taking the model the one before
returned, so the calls never overlap. With ``shuffle_blocks=True`` Dask-ML draws the
order as ``check_random_state(random_state).shuffle(list(range(n)))``: a fixed order for
an integer ``random_state``, a new one per call for a ``RandomState`` instance. The tests
reproduce both.
"""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from fastmlp import MLPClassifier, MLPRegressor

da = pytest.importorskip("dask.array", reason="needs the 'dask' extra")
distributed = pytest.importorskip("distributed", reason="needs the 'dask' extra")
wrappers = pytest.importorskip("dask_ml.wrappers", reason="needs the 'dask' extra (dask-ml)")

DOCS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "dask.md"
N_SAMPLES, N_FEATURES, BLOCK = 22 * 64 + 40, 6, 64  # 23 blocks, the last one shorter
CLASSES = np.array([0, 1, 2])


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture
def client():
    """One in-process worker with two threads: quick to start, and blocks can be read while
    another is trained on."""
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def data():
    """float64 features and both kinds of target, in memory; Dask arrays are made from them."""
    rng = np.random.default_rng(2024)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    labels = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] + X[:, 2] > 1)
    targets = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 3]
    return X, {"classifier": labels, "regressor": targets}


def estimator(kind):
    """A classifier with Adam, or a regressor with Nesterov SGD on a schedule that depends
    on ``t_``: either way the state carried from block to block matters."""
    if kind == "classifier":
        return MLPClassifier(hidden_layer_sizes=(12,), batch_size=16, learning_rate_init=0.01,
                             random_state=0)
    return MLPRegressor(hidden_layer_sizes=(10, 5), activation="tanh", solver="sgd",
                        learning_rate="invscaling", learning_rate_init=0.05, batch_size=16,
                        alpha=1e-3, random_state=1)


def fit_kwargs(kind):
    return {"classes": CLASSES} if kind == "classifier" else {}


def dask_arrays(X, y):
    return da.from_array(X, chunks=(BLOCK, -1)), da.from_array(y, chunks=BLOCK)


def numpy_blocks(dask_array, array):
    """``array`` cut where ``dask_array``'s row chunks end."""
    return np.split(array, np.cumsum(dask_array.chunks[0])[:-1])


def partial_fit_in_order(model, X_blocks, y_blocks, order, kwargs):
    for index in order:
        model.partial_fit(X_blocks[index], y_blocks[index], **kwargs)
    return model


def assert_same_model(streamed, local):
    for got, expected in zip(streamed.coefs_ + streamed.intercepts_,
                             local.coefs_ + local.intercepts_, strict=True):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
    assert streamed.loss_curve_ == local.loss_curve_
    assert streamed.loss_ == local.loss_
    assert streamed.t_ == local.t_
    assert streamed.n_iter_ == local.n_iter_


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_streamed_blocks_train_exactly_as_partial_fit_on_numpy_blocks(client, data, kind):
    X, targets = data
    dX, dy = dask_arrays(X, targets[kind])
    assert dX.numblocks[0] == 23
    streamed = wrappers.Incremental(estimator(kind), shuffle_blocks=False).fit(
        dX, dy, **fit_kwargs(kind))
    model = streamed.estimator_
    local = partial_fit_in_order(estimator(kind), numpy_blocks(dX, X),
                                 numpy_blocks(dy, targets[kind]), range(23), fit_kwargs(kind))
    assert_same_model(model, local)
    assert model.t_ == N_SAMPLES and len(model.loss_curve_) == 23  # one epoch per block
    assert model.coefs_[0].dtype == np.float64
    assert not hasattr(streamed.estimator, "coefs_")  # the wrapper trained a clone
    np.testing.assert_array_equal(model.predict(X), local.predict(X))


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_predict_on_a_dask_array_gives_a_dask_array_of_the_same_predictions(client, data,
                                                                            kind):
    """Block by block, as the estimator predicts each block as a NumPy array. (A call on
    all rows at once can differ in the last bit: larger products go to BLAS.)"""
    X, targets = data
    dX, dy = dask_arrays(X, targets[kind])
    streamed = wrappers.Incremental(estimator(kind), shuffle_blocks=False).fit(
        dX, dy, **fit_kwargs(kind))
    model, X_blocks = streamed.estimator_, numpy_blocks(dX, X)
    methods = ["predict", "predict_proba"] if kind == "classifier" else ["predict"]
    for method in methods:
        predicted = getattr(streamed, method)(dX)
        assert isinstance(predicted, da.Array)
        assert predicted.chunks[0] == dX.chunks[0]
        computed = predicted.compute()
        expected = np.concatenate([getattr(model, method)(block) for block in X_blocks])
        assert computed.dtype == expected.dtype
        np.testing.assert_array_equal(computed, expected)


def test_shuffled_block_order_is_the_permutation_drawn_from_random_state(client, data):
    X, targets = data
    dX, dy = dask_arrays(X, targets["classifier"])
    streamed = wrappers.Incremental(estimator("classifier"), random_state=5).fit(
        dX, dy, classes=CLASSES)
    order = list(range(dX.numblocks[0]))
    check_random_state(5).shuffle(order)
    X_blocks, y_blocks = numpy_blocks(dX, X), numpy_blocks(dy, targets["classifier"])
    local = partial_fit_in_order(estimator("classifier"), X_blocks, y_blocks, order,
                                 {"classes": CLASSES})
    assert_same_model(streamed.estimator_, local)
    in_order = partial_fit_in_order(estimator("classifier"), X_blocks, y_blocks,
                                    sorted(order), {"classes": CLASSES})
    assert not np.array_equal(local.coefs_[0], in_order.coefs_[0])  # the order matters


def test_each_partial_fit_of_the_wrapper_is_one_more_epoch(client, data):
    """Three epochs, each over the blocks in a new order drawn from one ``RandomState``."""
    X, targets = data
    dX, dy = dask_arrays(X, targets["regressor"])
    streamed = wrappers.Incremental(estimator("regressor"),
                                    random_state=np.random.RandomState(3))
    streamed.fit(dX, dy)
    for _ in range(2):
        streamed.partial_fit(dX, dy)
    blocks = numpy_blocks(dX, X), numpy_blocks(dy, targets["regressor"])
    local, orders = estimator("regressor"), np.random.RandomState(3)
    for _ in range(3):
        order = list(range(dX.numblocks[0]))
        orders.shuffle(order)
        partial_fit_in_order(local, *blocks, order, {})
    assert_same_model(streamed.estimator_, local)
    assert streamed.estimator_.t_ == 3 * N_SAMPLES


def test_groups_of_blocks_fed_one_after_another_equal_one_pass(client, data):
    """The docs' way to bound how many blocks Dask reads ahead: a few blocks per call."""
    X, targets = data
    dX, dy = dask_arrays(X, targets["classifier"])
    one_pass = wrappers.Incremental(estimator("classifier"), shuffle_blocks=False)
    one_pass.fit(dX, dy, classes=CLASSES)
    grouped = wrappers.Incremental(estimator("classifier"), shuffle_blocks=False)
    for first in range(0, dX.numblocks[0], 4):
        grouped.partial_fit(dX.blocks[first:first + 4], dy.blocks[first:first + 4],
                            classes=CLASSES)
    assert_same_model(grouped.estimator_, one_pass.estimator_)


def test_float32_blocks_train_in_float32(client, data):
    X, targets = data
    X32 = X.astype(np.float32)
    dX, dy = dask_arrays(X32, targets["regressor"])
    streamed = wrappers.Incremental(estimator("regressor"), shuffle_blocks=False).fit(dX, dy)
    local = partial_fit_in_order(estimator("regressor"), numpy_blocks(dX, X32),
                                 numpy_blocks(dy, targets["regressor"]), range(23), {})
    assert streamed.estimator_.coefs_[0].dtype == np.float32
    assert_same_model(streamed.estimator_, local)
    assert streamed.predict(dX).dtype == np.float32


def test_a_full_length_sample_weight_is_refused_with_a_clear_error(client, data):
    X, targets = data
    dX, dy = dask_arrays(X, targets["regressor"])
    with pytest.raises(ValueError, match="one weight per sample"):
        wrappers.Incremental(estimator("regressor"), shuffle_blocks=False).fit(
            dX, dy, sample_weight=np.ones(N_SAMPLES))


def test_worker_processes_give_the_same_model(data):
    """The model is pickled to and from worker processes (and between the two workers when
    the scheduler moves it) with its optimizer state: training continues exactly."""
    X, targets = data
    dX, dy = dask_arrays(X, targets["classifier"])
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster),
    ):
        streamed = wrappers.Incremental(estimator("classifier"), shuffle_blocks=False)
        streamed.fit(dX, dy, classes=CLASSES)
        streamed.partial_fit(dX, dy, classes=CLASSES)
        predicted = streamed.predict(dX).compute()
    blocks = numpy_blocks(dX, X), numpy_blocks(dy, targets["classifier"])
    local = estimator("classifier")
    for _ in range(2):
        partial_fit_in_order(local, *blocks, range(23), {"classes": CLASSES})
    assert_same_model(streamed.estimator_, local)
    np.testing.assert_array_equal(predicted, local.predict(X))


def documented_example():
    """The code block that follows the docs page's marker comment."""
    text = DOCS_PAGE.read_text()
    found = re.search(r"<!-- the test suite runs this block[^\n]*-->\n```python\n(.*?)\n```",
                      text, re.DOTALL)
    assert found, f"{DOCS_PAGE} lost its tested example"
    return found.group(1)


def test_the_documented_example_trains_what_it_says(tmp_path, monkeypatch, capsys):
    """The docs' example, run as written (in a scratch directory): five epochs over the
    twenty blocks it writes give the model of five in-order passes of ``partial_fit``."""
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(documented_example(), str(DOCS_PAGE), "exec"), namespace)
    X, y = namespace["X"], namespace["y"]
    assert X.numblocks[0] == 20 and X.shape == (100_000, 10)
    local = MLPClassifier(hidden_layer_sizes=(32,), random_state=0)
    X_blocks, y_blocks = numpy_blocks(X, X.compute()), numpy_blocks(y, y.compute())
    for _ in range(5):
        partial_fit_in_order(local, X_blocks, y_blocks, range(20), {"classes": [0, 1]})
    model = namespace["model"].estimator_
    assert_same_model(model, local)
    accuracy = np.mean(local.predict(X.compute()) == y.compute())
    assert namespace["accuracy"] == accuracy
    assert capsys.readouterr().out == (
        f"{5 * 100_000} samples seen, training accuracy {accuracy:.3f}\n")
