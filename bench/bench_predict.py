"""Workload 10, prediction: ``predict_proba`` of a fitted 40-128-64-5 ReLU classifier on
1, 100 and 10,000 rows, in float64 and float32, the same weights everywhere.

fastmlp's estimator and its ``MLP`` against scikit-learn's ``MLPClassifier`` (the same
weights, through ``to_sklearn()``), onnxruntime running fastmlp's own export
(``to_onnx()``, in the model's dtype) and PyTorch (``torch.inference_mode``, one thread
and two). Each call takes a C-contiguous array of the model's dtype, as a server holding
a batch would pass it; each result is checked against fastmlp's. The scikit-learn and
onnxruntime entries, which the report's targets compare with fastmlp's, are also paired
with fastmlp's entries, call batch by call batch (``timing.paired_calls``).
"""

import warnings

import numpy as np
import pytest
from baselines import torch_network
from conftest import THREAD_IDS, TORCH_THREADS, requires_torch
from timing import paired_calls

import fastmlp

ROWS = (1, 100, 10_000)
DTYPES = ("float64", "float32")
TOLERANCE = {"float64": 1e-10, "float32": 1e-5}


def group(rows, dtype):
    return f"10 predict: 40-128-64-5 relu, {rows} row{'s' * (rows > 1)}, {dtype}"


@pytest.fixture(scope="module")
def fitted():
    """A classifier fitted in each dtype, and a row pool to predict."""
    from sklearn.datasets import make_classification

    X, y = make_classification(20_000, 40, n_informative=20, n_classes=5, random_state=0)
    models = {}
    for dtype in DTYPES:
        model = fastmlp.MLPClassifier((128, 64), max_iter=3, random_state=0, dtype=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # three epochs: it has not converged
            model.fit(X, y)
        models[dtype] = model
    return models, X


def case(fitted, rows, dtype):
    models, X = fitted
    model = models[dtype]
    X = np.ascontiguousarray(X[:rows], dtype=dtype)
    return model, X, model.predict_proba(X)


def ours(model, X, rows, dtype, *entries):
    """fastmlp's ``entries`` (``bench_fastmlp``: the network, ``bench_fastmlp_estimator``)
    predicting ``X``, for a peer's paired calls (``timing.paired_calls``)."""
    calls = {"bench_fastmlp": lambda: model._net.predict_proba(X),
             "bench_fastmlp_estimator": lambda: model.predict_proba(X)}
    return {f"{entry}[{dtype}-{rows}]": calls[entry] for entry in entries}


def check(got, want, dtype):
    scale = np.abs(want).max()
    np.testing.assert_allclose(got, want, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype] * scale)


PARAMS = [(rows, dtype) for dtype in DTYPES for rows in ROWS]
IDS = [f"{dtype}-{rows}" for rows, dtype in PARAMS]


@pytest.mark.parametrize("rows, dtype", PARAMS, ids=IDS)
def bench_fastmlp(benchmark, fitted, rows, dtype):
    """The network itself: ``MLP.predict_proba``."""
    model, X, want = case(fitted, rows, dtype)
    net = model._net
    benchmark.group = group(rows, dtype)
    check(benchmark(net.predict_proba, X), want, dtype)


@pytest.mark.parametrize("rows, dtype", PARAMS, ids=IDS)
def bench_fastmlp_estimator(benchmark, fitted, rows, dtype):
    model, X, want = case(fitted, rows, dtype)
    benchmark.group = group(rows, dtype)
    check(benchmark(model.predict_proba, X), want, dtype)


@pytest.mark.parametrize("rows, dtype", PARAMS, ids=IDS)
def bench_sklearn(benchmark, fitted, rows, dtype):
    model, X, want = case(fitted, rows, dtype)
    twin = model.to_sklearn()
    benchmark.group = group(rows, dtype)
    check(benchmark(twin.predict_proba, X), want, dtype)
    if not benchmark.disabled:
        paired_calls(benchmark, lambda: twin.predict_proba(X),
                     ours(model, X, rows, dtype, "bench_fastmlp_estimator"))


@pytest.mark.parametrize("rows, dtype", PARAMS, ids=IDS)
def bench_onnxruntime(benchmark, fitted, rows, dtype):
    onnxruntime = pytest.importorskip("onnxruntime")
    model, X, want = case(fitted, rows, dtype)
    session = onnxruntime.InferenceSession(model.to_onnx().SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    benchmark.group = group(rows, dtype)
    _, probabilities = benchmark(session.run, None, {"X": X})
    check(probabilities, want, dtype)
    if not benchmark.disabled:
        paired_calls(benchmark, lambda: session.run(None, {"X": X}),
                     ours(model, X, rows, dtype, "bench_fastmlp", "bench_fastmlp_estimator"))


@requires_torch
@pytest.mark.parametrize("torch_threads", TORCH_THREADS, ids=THREAD_IDS)
@pytest.mark.parametrize("rows, dtype", PARAMS, ids=IDS)
def bench_pytorch(benchmark, fitted, rows, dtype, torch_threads):
    import torch

    model, X, want = case(fitted, rows, dtype)
    net = model._net
    network = torch_network(net.weights, net.biases, "relu", getattr(torch, dtype)).eval()
    inputs = torch.from_numpy(X)

    def predict_proba():
        with torch.inference_mode():
            return torch.softmax(network(inputs), dim=1).numpy()

    previous = torch.get_num_threads()
    torch.set_num_threads(torch_threads)
    try:
        benchmark.group = group(rows, dtype)
        got = benchmark(predict_proba)
    finally:
        torch.set_num_threads(previous)
    check(got, want, dtype)
