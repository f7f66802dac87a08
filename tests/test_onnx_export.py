"""ONNX export (``to_onnx``) checked against onnxruntime: every activation, head and dtype
of ``MLP``, both estimators, the Playground's feature maps, and scikit-learn's own
converter on the same model.

Values are compared to 1e-5 (float32) and 1e-10 (float64) relative to the largest value
of the output compared: an output near 0 carries the rounding of the larger terms it was
summed from, so an element-wise relative bound would test the summation order instead of
the graph.
"""

import numpy as np
import onnxruntime
import pytest
from sklearn.exceptions import NotFittedError

import fastmlp
from fastmlp._kernels.activations import ACTIVATION_CODES
from fastmlp._kernels.heads import HEAD_CODES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RTOL = {"float32": 1e-5, "float64": 1e-10}
DTYPES = ("float32", "float64")


def run(model, **inputs):
    """The model's outputs from onnxruntime, by name."""
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, inputs), strict=True))


def assert_close(got, want, dtype, what):
    want = np.asarray(want)
    assert got.shape == want.shape, what
    assert got.dtype == want.dtype, what
    scale = np.abs(want).max(initial=0.0)
    np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=RTOL[dtype] * scale,
                               err_msg=what)


def random_network(activation, loss, output, dtype, n_out, seed=0):
    net = fastmlp.MLP([4, 6, 5, n_out], activation=[activation, "tanh"], loss=loss,
                      output=output, dtype=dtype, seed=seed)
    rng = np.random.default_rng(seed)
    net.parameters[:] = rng.normal(scale=0.8, size=net.parameters.size)
    return net


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss, output", sorted(HEAD_CODES))
@pytest.mark.parametrize("activation", sorted(ACTIVATION_CODES))
def test_mlp_graph_gives_what_the_network_gives(activation, loss, output, dtype):
    for n_out in ((1, 3) if loss == "binary_cross_entropy" else (3,)):
        net = random_network(activation, loss, output, dtype, n_out)
        X = np.random.default_rng(1).normal(scale=2.0, size=(64, 4)).astype(dtype)
        got = run(net.to_onnx(), X=X)
        what = f"{activation}, {loss}/{output}, {n_out} outputs, {dtype}"
        if net.is_classifier:
            assert_close(got["outputs"], net.predict_proba(X), dtype, what)
            np.testing.assert_array_equal(got["label"], net.predict(X), err_msg=what)
        else:
            assert set(got) == {"outputs"}
            assert_close(got["outputs"], net.predict(X).reshape(64, -1), dtype, what)


def classification_data(kind):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(120, 5))
    if kind == "binary":
        return X, np.where(X[:, 0] + X[:, 1] > 0, 7, -3)
    if kind == "multiclass":
        return X, np.array(["cat", "dog", "emu"])[np.argmax(X[:, :3], axis=1)]
    return X, (X[:, :3] > 0).astype(int)  # multi-label


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_classifier_graph_gives_labels_and_probabilities(kind, dtype):
    X, y = classification_data(kind)
    model = fastmlp.MLPClassifier(hidden_layer_sizes=(7, 4), activation="relu", max_iter=30,
                                  random_state=0, dtype=dtype).fit(X, y)
    X = X.astype(dtype)
    got = run(model.to_onnx(), X=X)
    assert list(got) == ["label", "probabilities"]
    assert_close(got["probabilities"], model.predict_proba(X), dtype, kind)
    want = model.predict(X)
    np.testing.assert_array_equal(got["label"].astype(want.dtype), want)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss, n_targets", [("squared_error", 1), ("squared_error", 2),
                                              ("poisson", 1)])
def test_regressor_graph_gives_predictions(loss, n_targets, dtype):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 4))
    y = np.abs(X[:, :n_targets] * 2 + 1)
    model = fastmlp.MLPRegressor(hidden_layer_sizes=(8,), activation="tanh", loss=loss,
                                 max_iter=30, random_state=0, dtype=dtype)
    model.fit(X, y[:, 0] if n_targets == 1 else y)
    X = X.astype(dtype)
    got = run(model.to_onnx(), X=X)
    assert list(got) == ["variable"]
    assert_close(got["variable"], model.predict(X).reshape(100, n_targets), dtype, loss)


@pytest.mark.parametrize("features, dataset", [
    (("x1", "x2"), "circle"),
    (("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"), "spiral"),
    (("x1*x2", "sin(x2)"), "xor"),
    (("x2^2", "x1"), "reg_plane"),
])
def test_playground_graph_computes_the_features_and_the_network(features, dataset):
    playground = fastmlp.Playground(dataset, features=features, hidden=(4, 3), seed=4)
    playground.run(20)
    points = np.random.default_rng(5).uniform(-6, 6, size=(200, 2))
    got = run(playground.to_onnx(), points=points)
    assert_close(got["outputs"], playground.predict(points), "float64", dataset)


def test_classifier_graph_matches_scikit_learns_converter():
    skl2onnx = pytest.importorskip("skl2onnx")
    X, y = classification_data("multiclass")
    model = fastmlp.MLPClassifier(hidden_layer_sizes=(7,), max_iter=30, random_state=0,
                                  dtype="float32").fit(X, y)
    X = X.astype(np.float32)
    theirs = skl2onnx.to_onnx(model.to_sklearn(), X[:1],
                              options={"zipmap": False})
    ours, want = run(model.to_onnx(), X=X), run(theirs, X=X)
    assert list(ours) == list(want)
    np.testing.assert_array_equal(ours["label"], want["label"])
    assert_close(ours["probabilities"], want["probabilities"], "float32", "probabilities")


def test_unfitted_estimator_cannot_be_exported():
    with pytest.raises(NotFittedError):
        fastmlp.MLPClassifier().to_onnx()


def test_without_onnx_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "onnx", None)
    with pytest.raises(ModuleNotFoundError, match=r"\[onnx\]"):
        fastmlp.MLP([2, 3, 1]).to_onnx()
