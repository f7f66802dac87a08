"""Bad input gets a ValueError/TypeError that says what to do, before compiled code runs."""

import re

import numpy as np
import pytest

import fastmlp

X = np.random.default_rng(0).normal(size=(20, 2))
Y = (X[:, 0] > 0).astype(int)


def net(**kwargs):
    return fastmlp.MLP([2, 4, 1], **kwargs)


def softmax_net():
    return fastmlp.MLP([2, 4, 3], loss="cross_entropy")


def with_nan(array):
    array = array.astype(float)
    array[3] = np.nan
    return array


CONSTRUCTION = {
    "unknown activation": (lambda: net(activation="gelu"), ValueError,
                           "valid choices for activation"),
    "unknown loss": (lambda: net(loss="hinge"), ValueError, "valid choices for loss"),
    "unknown output": (lambda: net(output="softplus"), ValueError, "valid choices for output"),
    "unknown init": (lambda: net(init="xavier"), ValueError, "valid choices for init"),
    "unpaired output": (lambda: net(output="softmax"), ValueError, "supported pairs"),
    "softmax with one output": (lambda: fastmlp.MLP([2, 1], loss="cross_entropy"), ValueError,
                                "at least 2 outputs"),
    "too few activations": (lambda: fastmlp.MLP([2, 3, 3, 1], activation=["tanh"]),
                            ValueError, "one per hidden layer"),
    "sizes too short": (lambda: fastmlp.MLP([3]), ValueError, "at least an input"),
    "zero width": (lambda: fastmlp.MLP([2, 0, 1]), ValueError, "at least 1"),
    "float width": (lambda: fastmlp.MLP([2, 2.5, 1]), TypeError, "integer"),
    "sizes not a list": (lambda: fastmlp.MLP("2,3,1"), TypeError, "list of layer widths"),
    "unknown dtype": (lambda: net(dtype="float16"), ValueError, "float32' or 'float64"),
    "negative seed": (lambda: net(seed=-1), ValueError, "seed"),
    "negative init_scale": (lambda: net(init_scale=-1.0), ValueError, "init_scale"),
}

FIT = {
    "lr zero": (dict(lr=0.0), ValueError, "lr must be > 0"),
    "lr negative": (dict(lr=-0.1), ValueError, "lr must be > 0"),
    "lr nan": (dict(lr=float("nan")), ValueError, "lr must be finite"),
    "lr string": (dict(lr="0.1"), TypeError, "lr must be a real number"),
    "batch_size zero": (dict(batch_size=0), ValueError, "batch_size must be at least 1"),
    "batch_size float": (dict(batch_size=2.0), TypeError, "batch_size must be an integer"),
    "epochs float": (dict(epochs=10.5), TypeError, "epochs must be an integer"),
    "epochs zero": (dict(epochs=0), ValueError, "epochs must be at least 1"),
    "epochs bool": (dict(epochs=True), TypeError, "epochs must be an integer"),
    "unknown optimizer": (dict(optimizer="rmsprop"), ValueError, "valid choices for optimizer"),
    "momentum one": (dict(momentum=1.0), ValueError, "momentum must be < 1"),
    "nesterov without momentum": (dict(nesterov=True), ValueError, "needs momentum > 0"),
    "negative l2": (dict(l2=-1.0), ValueError, "l2 must be >= 0"),
    "shuffle not bool": (dict(shuffle="yes"), TypeError, "shuffle must be True or False"),
    "callback not callable": (dict(callback=3), TypeError, "callback must be callable"),
    "validation not a pair": (dict(validation_data=X), TypeError, "pair"),
    "validation wrong width": (dict(validation_data=(X[:, :1], Y)), ValueError,
                               "validation X has 1 features"),
}

DATA = {
    "X 1-D": (lambda m: m.fit(X[:, 0], Y), ValueError, "one row per sample"),
    "X wrong width": (lambda m: m.fit(X[:, :1], Y), ValueError, "has 1 features"),
    "X empty": (lambda m: m.fit(np.empty((0, 2)), np.empty(0)), ValueError, "empty"),
    "X nan": (lambda m: m.fit(with_nan(X), Y), ValueError, "NaN or infinite"),
    "X inf": (lambda m: m.fit(X * np.inf, Y), ValueError, "NaN or infinite"),
    "X strings": (lambda m: m.fit(X.astype(str), Y), TypeError, "real numbers"),
    "X objects": (lambda m: m.fit(X.astype(object), Y), TypeError, "real numbers"),
    "X complex": (lambda m: m.fit(X + 1j, Y), TypeError, "real numbers"),
    "y too short": (lambda m: m.fit(X, Y[:5]), ValueError, "expected 20 samples"),
    "y nan": (lambda m: m.fit(X, with_nan(Y)), ValueError, "NaN or infinite"),
    "y labels 2 for BCE": (lambda m: m.fit(X, Y + 1), ValueError, "labels 0/1"),
    "y strings": (lambda m: m.fit(X, Y.astype(str)), TypeError, "numbers"),
    "y too many columns": (lambda m: m.fit(X, np.stack([Y, Y], 1)), ValueError,
                           "2 column\\(s\\) but the network has 1"),
    "predict wrong width": (lambda m: m.predict(X[:, :1]), ValueError, "has 1 features"),
    "loss nan": (lambda m: m.loss(with_nan(X), Y), ValueError, "NaN or infinite"),
    "gradients negative l1": (lambda m: m.gradients(X, Y, l1=-1), ValueError, "l1 must be"),
    "float32 overflow": (lambda m: fastmlp.MLP([2, 1], dtype="float32").fit(X * 1e300, Y),
                         ValueError, "too large for float32"),
}

CLASSES = {
    "class id out of range": (lambda m: m.fit(X, Y + 2), ValueError, "class ids 0..2"),
    "negative class id": (lambda m: m.fit(X, Y - 1), ValueError, "class ids 0..2"),
    "fractional class id": (lambda m: m.fit(X, Y + 0.5), ValueError, "class ids 0..2"),
    "rows not summing to 1": (lambda m: m.fit(X, np.ones((20, 3))), ValueError, "summing to 1"),
}


def assert_clear(error, pattern):
    message = str(error.value)
    assert "numba" not in message.lower() and "Traceback" not in message
    assert error.match(pattern)


@pytest.mark.parametrize("case", CONSTRUCTION)
def test_construction(case):
    build, kind, pattern = CONSTRUCTION[case]
    with pytest.raises(kind) as error:
        build()
    assert_clear(error, pattern)


@pytest.mark.parametrize("case", FIT)
def test_fit_arguments(case):
    kwargs, kind, pattern = FIT[case]
    model = net()
    before = model.parameters.copy()
    with pytest.raises(kind) as error:
        model.fit(X, Y, epochs=kwargs.pop("epochs", 5), **kwargs)
    assert_clear(error, pattern)
    np.testing.assert_array_equal(model.parameters, before)


@pytest.mark.parametrize("case", DATA)
def test_data(case):
    call, kind, pattern = DATA[case]
    with pytest.raises(kind) as error:
        call(net())
    assert_clear(error, pattern)


@pytest.mark.parametrize("case", CLASSES)
def test_class_labels(case):
    call, kind, pattern = CLASSES[case]
    with pytest.raises(kind) as error:
        call(softmax_net())
    assert_clear(error, pattern)


def test_finite_values_whose_sum_overflows_are_accepted_and_a_nan_among_them_is_not():
    """The finiteness check sums the data first: a sum that overflows from finite values
    must fall back to the exact check, not refuse the data."""
    from fastmlp import _validation as check

    big = np.full((4, 3), 3e38, dtype=np.float32)
    assert not np.isfinite(big.sum())
    check.finite("X", big)  # accepted
    for bad in (np.nan, np.inf, -np.inf):
        data = big.copy()
        data[2, 1] = bad
        with pytest.raises(ValueError, match="NaN or infinite"):
            check.finite("X", data)


def test_predict_proba_is_refused_for_regression():
    model = fastmlp.MLP([2, 3, 1], loss="squared_error")
    with pytest.raises(TypeError, match="use predict"):
        model.predict_proba(X)


def test_tanh_output_refuses_targets_outside_its_range():
    model = fastmlp.MLP([2, 3, 1], loss="squared_error", output="tanh")
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        model.fit(X, Y * 3.0)


def test_valid_non_contiguous_and_read_only_inputs_simply_work():
    import warnings

    rng = np.random.default_rng(1)
    base = rng.normal(size=(40, 6))
    contiguous = np.ascontiguousarray(base[:, ::3])
    labels = (contiguous[:, 0] * contiguous[:, 1] > 0).astype(int)
    read_only = contiguous.copy()
    read_only.flags.writeable = False
    read_only_labels = labels.copy()
    read_only_labels.flags.writeable = False
    variants = {"strided": base[:, ::3], "fortran": np.asfortranarray(contiguous),
                "read-only": read_only}

    def results(X, y):
        net = fastmlp.MLP([2, 5, 1], seed=0).fit(X, y, epochs=20, lr=0.3, batch_size=8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator = fastmlp.MLPClassifier(hidden_layer_sizes=(5,), max_iter=5,
                                              random_state=0).fit(X, y)
        return net.predict_proba(X), estimator.predict_proba(X)

    expected = results(contiguous, labels)
    for name, X in variants.items():
        y = read_only_labels if name == "read-only" else labels
        for got, want in zip(results(X, y), expected, strict=True):
            np.testing.assert_array_equal(got, want, err_msg=name)
    assert not read_only.flags.writeable and np.array_equal(read_only, contiguous)


def _unfitted_sklearn():
    from sklearn.neural_network import MLPClassifier as SkClassifier

    return SkClassifier()


OTHER_ENTRY_POINTS = {
    "compile jobs of no rows": (lambda: fastmlp.MLP([2, 3, 1]).compile_jobs(0), ValueError,
                                "n_samples"),
    "compile jobs of a bad batch": (lambda: fastmlp.MLP([2, 3, 1]).compile_jobs(10, 0),
                                    ValueError, "batch_size"),
    "inference rows of the wrong width": (
        lambda: fastmlp.MLP([2, 3, 1]).inference_rows(np.ones((4, 3))), ValueError,
        "3 features"),
    "dataset name": (lambda: fastmlp.datasets.make_playground("moons"), ValueError,
                     "valid choices for dataset"),
    "dataset noise": (lambda: fastmlp.datasets.make_playground("xor", noise=2.0), ValueError,
                      "noise must be <= 0.5"),
    "dataset size": (lambda: fastmlp.datasets.make_playground("xor", n_samples=1), ValueError,
                     "n_samples must be at least 2"),
    "split ratio": (lambda: fastmlp.datasets.playground_split(X, Y, 1.5), ValueError,
                    "train_ratio must be < 1"),
    "split lengths": (lambda: fastmlp.datasets.playground_split(X, Y[:5]), ValueError,
                      "same n"),
    "features of 3 columns": (lambda: fastmlp.features.playground_features(np.ones((4, 3))),
                              ValueError, "shape \\(n_samples, 2\\)"),
    "features with NaN": (lambda: fastmlp.features.playground_features(with_nan(X)),
                          ValueError, "NaN"),
    "sweep seed in grid": (lambda: fastmlp.playground.sweep({"seed": [1]}), ValueError,
                           "seeds=\\[...\\]"),
    "sweep grid list": (lambda: fastmlp.playground.sweep([("lr", 1)]), TypeError,
                        "grid must map"),
    "sweep bad setting": (lambda: fastmlp.playground.sweep({"hidden": [(0,)]}), ValueError,
                          "hidden\\[0\\] must be at least 1"),
    "from_sklearn other object": (lambda: fastmlp.from_sklearn(object()), TypeError,
                                  "MLPClassifier or MLPRegressor"),
    "from_sklearn unfitted": (lambda: fastmlp.from_sklearn(_unfitted_sklearn()), ValueError,
                              "not fitted"),
    "to_sklearn unfitted": (lambda: fastmlp.MLPClassifier().to_sklearn(), ValueError,
                            "not fitted"),
    "predict before fit": (lambda: fastmlp.MLPRegressor().predict(X), ValueError,
                           "not fitted"),
    "plot loss without losses": (lambda: fastmlp.plot_loss({"accuracy": [0.5]}), ValueError,
                                 "loss"),
    "load a directory name that does not exist": (
        lambda: fastmlp.load("/nonexistent/model.fastmlp"), FileNotFoundError, "No such file"),
}


@pytest.mark.parametrize("case", OTHER_ENTRY_POINTS)
def test_other_entry_points(case):
    call, error, message = OTHER_ENTRY_POINTS[case]
    with pytest.raises(error, match=message):
        call()


def test_one_sample_given_1d_gets_the_reshape_that_fits():
    """A 1-D row of as many values as the network has inputs is one sample."""
    two_inputs = fastmlp.MLP([2, 3, 1])
    with pytest.raises(ValueError, match=re.escape("X.reshape(1, -1) for a single sample")):
        two_inputs.predict(np.array([0.1, 0.2]))
    one_input = fastmlp.MLP([1, 3, 1])
    with pytest.raises(ValueError, match=re.escape("X.reshape(-1, 1) for one value per sample")):
        one_input.predict(np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="takes 2 features per sample") as error:
        two_inputs.predict(np.array([0.1, 0.2, 0.3]))
    assert "reshape" not in str(error.value)


def test_binary_cross_entropy_given_class_ids_for_3_outputs_suggests_cross_entropy():
    net = fastmlp.MLP([2, 3, 3], loss="binary_cross_entropy")
    with pytest.raises(ValueError, match="use loss='cross_entropy'"):
        net.fit(X, np.arange(len(X)) % 3, epochs=1)


def test_regressor_given_string_targets_points_to_the_classifier():
    with pytest.raises(ValueError, match="numeric targets.*'low'.*MLPClassifier"):
        fastmlp.MLPRegressor(max_iter=1).fit(X, np.array(["low", "high"] * 10))
    with pytest.raises(ValueError, match="numeric targets"):
        fastmlp.MLPRegressor(max_iter=1).fit(X, ["low", "high"] * 10)


def test_files_that_are_not_model_files_are_named_so(tmp_path):
    """Not numpy's advice to load with allow_pickle: these are simply not model files."""
    import pickle

    files = {"model.pkl": pickle.dumps({"weights": [1, 2]}),
             "array.npy": b"", "notes.txt": b"hello"}
    for name, content in files.items():
        path = tmp_path / name
        if name.endswith(".npy"):
            np.save(path, np.arange(3))
        else:
            path.write_bytes(content)
        with pytest.raises(ValueError, match="is not a fastmlp model file") as error:
            fastmlp.load(path)
        assert "allow_pickle" not in str(error.value)
