"""Model files: round trips, and every kind of damaged or hostile file refused."""

import io
import json
import pickle
import warnings
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pytest
import sklearn.base
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

import fastmlp
from fastmlp import persistence


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(120, 5, n_informative=3, n_classes=3, random_state=0)
    return X, y


def fitted_models(X, y):
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    Xr, yr = make_regression(120, 5, n_targets=2, random_state=0)
    net = fastmlp.MLP([5, 7, 3], activation=["relu"], loss="cross_entropy", seed=0)
    net.fit(X, y, epochs=5, lr=0.1)
    return {
        "classifier": (fastmlp.MLPClassifier(hidden_layer_sizes=(7,), max_iter=5,
                                             random_state=0).fit(X, labels), X),
        "binary-float32": (fastmlp.MLPClassifier(hidden_layer_sizes=(4, 3), max_iter=5,
                                                 early_stopping=True, random_state=0,
                                                 dtype="float32").fit(X, y == 1), X),
        "regressor": (fastmlp.MLPRegressor(hidden_layer_sizes=(6,), activation="tanh",
                                           max_iter=5, random_state=0).fit(Xr, yr / 100), Xr),
        "mlp": (net, X),
        "classifier-weighted": (fastmlp.MLPClassifier(
            hidden_layer_sizes=(7,), max_iter=5, random_state=0, n_iter_no_change=np.inf,
            class_weight={"setosa": 2.0, "virginica": 0.5}).fit(X, labels), X),
        "poisson": (fastmlp.MLPRegressor(loss="poisson", hidden_layer_sizes=(6,), max_iter=5,
                                         random_state=0).fit(X, np.abs(Xr[:, :2]).round()), X),
    }


def outputs(model, X):
    if isinstance(model, fastmlp.MLPRegressor):
        return model.predict(X)
    return model.predict_proba(X)


MODELS = ("classifier", "binary-float32", "regressor", "mlp", "classifier-weighted", "poisson")


@pytest.mark.parametrize("name", MODELS)
def test_save_and_load_round_trip(name, data, tmp_path):
    model, X = fitted_models(*data)[name]
    path = tmp_path / "model.fastmlp"
    model.save(path)
    loaded = fastmlp.load(path)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(outputs(loaded, X), outputs(model, X))
    if isinstance(model, fastmlp.MLP):
        np.testing.assert_array_equal(loaded.history["loss"], model.history["loss"])
        return
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    for attribute in ("n_iter_", "t_", "loss_curve_", "n_features_in_", "out_activation_",
                      "validation_scores_", "val_loss_curve_", "best_validation_score_"):
        assert getattr(loaded, attribute) == getattr(model, attribute)
    # A loaded estimator keeps training from the saved weights and fitted state: two more
    # epochs extend its curves exactly as the same warm-start fit extends the original's
    # (a warm-start fit starts a fresh optimizer in both), and differ from a fresh start.
    target = model.predict(X)
    saved_parameters = loaded._net.parameters.copy()
    epochs = len(model.loss_curve_)
    fresh = sklearn.base.clone(model).set_params(max_iter=2).fit(X, target)
    for estimator in (loaded, model):
        estimator.set_params(warm_start=True, max_iter=2)
        estimator.fit(X, target)
    assert len(loaded.loss_curve_) == epochs + 2 == 7
    assert loaded.n_iter_ == 2
    assert not np.allclose(loaded._net.parameters, saved_parameters, rtol=1e-6, atol=0.0)
    assert not np.allclose(loaded._net.parameters, fresh._net.parameters, rtol=1e-3, atol=0.0)
    np.testing.assert_array_equal(loaded._net.parameters, model._net.parameters)
    for attribute in ("t_", "loss_curve_", "validation_scores_", "val_loss_curve_",
                      "best_validation_score_", "best_loss_"):
        assert getattr(loaded, attribute) == getattr(model, attribute)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("library", ["pickle", "joblib"])
def test_pickle_and_joblib_round_trip(name, library, data, tmp_path):
    model, X = fitted_models(*data)[name]
    if library == "pickle":
        loaded = pickle.loads(pickle.dumps(model))
    else:
        joblib.dump(model, tmp_path / "model.joblib")
        loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(outputs(loaded, X), outputs(model, X))
    if not isinstance(model, fastmlp.MLP):
        # coefs_ are views into the loaded network again, not detached copies.
        loaded.coefs_[0][:] = 0.0
        assert np.all(loaded._net.weights[0] == 0.0)


def test_feature_names_are_kept(tmp_path):
    pandas = pytest.importorskip("pandas")
    X, y = make_classification(60, 3, n_informative=2, n_redundant=0, random_state=0)
    frame = pandas.DataFrame(X, columns=["height", "weight", "age"])
    model = fastmlp.MLPClassifier(hidden_layer_sizes=(3,), max_iter=3).fit(frame, y)
    model.save(tmp_path / "m")
    loaded = fastmlp.load(tmp_path / "m")
    assert loaded.feature_names_in_.tolist() == ["height", "weight", "age"]
    with pytest.warns(UserWarning, match="feature names"):
        loaded.predict(X)


@pytest.fixture
def saved(data, tmp_path):
    model, _ = fitted_models(*data)["classifier"]
    path = tmp_path / "model.fastmlp"
    model.save(path)
    return path


def read_members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_members(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def npy_bytes(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def rewrite(path, change_metadata=None, parameters=None, extra=None, drop=None):
    members = read_members(path)
    metadata = json.loads(members["metadata.json"])
    if change_metadata:
        change_metadata(metadata)
    members["metadata.json"] = json.dumps(metadata)
    if parameters is not None:
        members["parameters.npy"] = npy_bytes(parameters)
    members.update(extra or {})
    if drop:
        del members[drop]
    write_members(path, members)


def parameters_of(path):
    with np.load(path, allow_pickle=False) as archive:
        return archive["parameters"]


def test_truncated_file_is_refused(saved):
    content = saved.read_bytes()
    for length in (0, 10, len(content) // 2, len(content) - 1):
        saved.write_bytes(content[:length])
        with pytest.raises(ValueError, match="damaged or truncated"):
            fastmlp.load(saved)


def test_bit_flips_are_refused_or_harmless(saved, data):
    """A flipped bit in the stored content fails a CRC-32 or the SHA-256; a flip in zip
    bookkeeping that changes no content (a timestamp, say) loads the very same model.
    Never a different model."""
    X, _ = data
    original = fastmlp.load(saved)
    content = bytes(saved.read_bytes())
    rng = np.random.default_rng(0)
    refused = 0
    for position in rng.choice(len(content), 300, replace=False):
        flipped = bytearray(content)
        flipped[position] ^= 1 << int(rng.integers(8))
        saved.write_bytes(bytes(flipped))
        try:
            loaded = fastmlp.load(saved)
        except ValueError:
            refused += 1
            continue
        np.testing.assert_array_equal(loaded._net.parameters, original._net.parameters)
        np.testing.assert_array_equal(loaded.predict_proba(X), original.predict_proba(X))
        assert loaded.get_params() == original.get_params()
    assert refused >= 250  # the content is almost all of the file


def test_altered_parameters_fail_the_checksum(saved):
    parameters = parameters_of(saved)
    parameters[3] += 1e-9
    rewrite(saved, parameters=parameters)
    with pytest.raises(ValueError, match="checksum"):
        fastmlp.load(saved)


def test_non_finite_parameters_are_refused_even_with_a_matching_checksum(saved):
    parameters = parameters_of(saved)
    parameters[0] = np.nan
    digest = persistence._digest(parameters)
    rewrite(saved, lambda m: m.update(parameters_sha256=digest), parameters=parameters)
    with pytest.raises(ValueError, match="NaN or infinity"):
        fastmlp.load(saved)


def test_parameters_of_the_wrong_shape_or_dtype_are_refused(saved):
    parameters = parameters_of(saved)
    for wrong in (parameters[:-1], parameters.astype(np.float32), parameters.reshape(-1, 1)):
        digest = persistence._digest(wrong)
        rewrite(saved, lambda m, d=digest: m.update(parameters_sha256=d), parameters=wrong)
        with pytest.raises(ValueError, match="do not fit the network"):
            fastmlp.load(saved)


@pytest.mark.parametrize("kind", ["classifier", "regressor", "mlp"])
def test_files_of_format_version_1_still_load(kind, tmp_path):
    """Files written by the release before format 2, for models trained the same way here:
    the loaded model holds the file's weights, which are those of the same training here,
    and it saves again in the current format."""
    X, y = make_classification(120, 5, n_informative=3, n_classes=3, random_state=0)
    Xr, yr = make_regression(120, 5, random_state=0)
    if kind == "classifier":
        trained = fastmlp.MLPClassifier(hidden_layer_sizes=(6,), max_iter=5, random_state=0)
        trained.fit(X, np.array(["ant", "bee", "cow"])[y])
    elif kind == "regressor":
        trained = fastmlp.MLPRegressor(hidden_layer_sizes=(6,), max_iter=5, random_state=0,
                                       early_stopping=True).fit(Xr, yr / 100)
    else:
        trained = fastmlp.MLP([5, 4, 1], loss="squared_error", seed=0)
        trained.fit(Xr, yr / 100, epochs=3, lr=0.01)
    path = Path(__file__).parent / "data" / f"format1-{kind}.fastmlp"
    with zipfile.ZipFile(path) as archive:
        assert json.loads(archive.read("metadata.json"))["format_version"] == 1
    loaded = fastmlp.load(path)
    network, trained_network = (loaded, trained) if kind == "mlp" else (loaded._net,
                                                                      trained._net)
    np.testing.assert_array_equal(network.parameters, parameters_of(path))
    # The same training here gives those weights up to the last bits of its sums, which
    # the CPU that ran it decides (Numba compiles for the machine it runs on, and its
    # vector width and unrolling set the order of a sum; training's bits are promised
    # on one machine only: docs/engine.md). Bit for bit on the CPU that wrote the files.
    scale = np.abs(trained_network.parameters).max()
    np.testing.assert_allclose(network.parameters, trained_network.parameters, rtol=1e-12,
                               atol=1e-12 * scale)
    inputs = X if kind == "classifier" else Xr
    predict = (lambda model: model.predict(inputs)) if kind == "mlp" else (
        lambda model: outputs(model, inputs))
    np.testing.assert_allclose(predict(loaded), predict(trained), rtol=1e-12, atol=1e-12)
    if kind != "mlp":
        assert loaded.get_params() == trained.get_params()
        # The curve is the one stored in the file, again up to the last bits of the sums.
        np.testing.assert_allclose(loaded.loss_curve_, trained.loss_curve_, rtol=1e-13)
    loaded.save(tmp_path / "again.fastmlp")
    with zipfile.ZipFile(tmp_path / "again.fastmlp") as archive:
        assert json.loads(archive.read("metadata.json"))["format_version"] == 2


def test_unknown_format_version_is_refused(saved):
    rewrite(saved, lambda m: m.update(format_version=3))
    with pytest.raises(ValueError, match="format_version 3 is not supported"):
        fastmlp.load(saved)


def test_other_files_are_refused(saved, tmp_path):
    np.savez(tmp_path / "plain.npz", parameters=np.zeros(3))
    with pytest.raises(ValueError, match="missing metadata.json"):
        fastmlp.load(tmp_path / "plain.npz")
    (tmp_path / "text.txt").write_text("hello")
    with pytest.raises(ValueError, match="not a fastmlp model file"):
        fastmlp.load(tmp_path / "text.txt")
    rewrite(saved, lambda m: m.update(format="something else"))
    with pytest.raises(ValueError, match="does not declare the fastmlp format"):
        fastmlp.load(saved)


def test_mismatched_metadata_is_refused(saved):
    rewrite(saved, lambda m: m["network"].update(sizes=[5, 8, 3]))
    with pytest.raises(ValueError, match="do not fit the network"):
        fastmlp.load(saved)


def test_mismatched_classes_are_refused(saved):
    rewrite(saved, extra={"classes.npy": npy_bytes(np.array(["a", "b"]))})
    with pytest.raises(ValueError, match="classes do not match"):
        fastmlp.load(saved)


class Boom:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


def test_pickle_carrying_files_are_refused_without_running_code(saved, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hostile = npy_bytes(np.array([Boom()], dtype=object), allow_pickle=True)
    rewrite(saved, extra={"classes.npy": hostile})
    with pytest.raises(ValueError):
        fastmlp.load(saved)
    rewrite(saved, extra={"payload.npy": hostile})
    with pytest.raises(ValueError, match="unexpected members"):
        fastmlp.load(saved)
    write_members(saved, {"metadata.json": pickle.dumps(Boom()),
                          "parameters.npy": npy_bytes(np.zeros(3))})
    with pytest.raises(ValueError):
        fastmlp.load(saved)
    assert not (tmp_path / "PWNED").exists()


def test_unknown_kind_and_bad_parameters_are_refused(saved):
    rewrite(saved, lambda m: m.update(kind="os.system"))
    with pytest.raises(ValueError, match="unknown model kind"):
        fastmlp.load(saved)
    rewrite(saved, lambda m: m.update(kind="MLPClassifier", params={"alpha": -1}))
    with pytest.raises(ValueError, match="invalid estimator parameters"):
        fastmlp.load(saved)


def test_save_refuses_unfitted_models_and_other_objects(tmp_path):
    with pytest.raises(ValueError, match="not fitted"):
        fastmlp.MLPClassifier().save(tmp_path / "m")
    with pytest.raises(TypeError, match="MLP, MLPClassifier or MLPRegressor"):
        fastmlp.save(object(), tmp_path / "m")


def test_failed_save_leaves_an_existing_file_intact(data, tmp_path):
    model, _ = fitted_models(*data)["classifier"]
    path = tmp_path / "model.fastmlp"
    model.save(path)
    before = path.read_bytes()
    model.classes_ = np.array([1, "b", 3.0], dtype=object)  # cannot be stored safely
    with pytest.raises(ValueError, match="mixes types"):
        model.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.fastmlp"]
