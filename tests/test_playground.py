"""The Playground: its data sets and features, its training semantics, sweeps."""

import subprocess
import sys
import warnings

import naive
import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from fastmlp import datasets
from fastmlp.features import ALL_FEATURES, PlaygroundFeatures, playground_features
from fastmlp.playground import APP_DEFAULTS, Playground, sweep

# ---------------------------------------------------------------- data sets


@pytest.mark.parametrize("name", datasets.DATASETS)
def test_default_sizes_and_label_kinds(name):
    X, y = datasets.make_playground(name, seed=0)
    expected = 500 if name in datasets.CLASSIFICATION else 1200
    assert X.shape == (expected, 2) and y.shape == (expected,)
    if name in datasets.CLASSIFICATION:
        assert set(np.unique(y)) == {-1.0, 1.0}
    assert np.abs(X).max() <= 6.0 + 3.0  # the plane, plus the gauss set's tails


def test_circle_radii_and_labels_without_noise():
    X, y = datasets.make_playground("circle", seed=1)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert np.all(radius[:250] < 2.5) and np.all((radius[250:] >= 3.5) & (radius[250:] < 5))
    np.testing.assert_array_equal(y, np.where(radius < 2.5, 1.0, -1.0))


def test_noise_flips_labels_but_does_not_move_circle_or_xor_points():
    for name in ("circle", "xor"):
        X0, y0 = datasets.make_playground(name, seed=3)
        X1, y1 = datasets.make_playground(name, noise=0.5, seed=3)
        assert 0 < np.sum(y0 != y1) < 250
        if name == "xor":
            assert np.all(np.abs(X1) >= 0.3)


def test_xor_gap_and_labels():
    X, y = datasets.make_playground("xor", seed=2)
    assert np.all(np.abs(X) >= 0.3) and np.all(np.abs(X) < 5.3)
    np.testing.assert_array_equal(y, np.where(X[:, 0] * X[:, 1] >= 0, 1.0, -1.0))


def test_gauss_centres_and_variance():
    for noise, variance in ((0.0, 0.5), (0.5, 4.0)):
        X, y = datasets.make_playground("gauss", noise=noise, n_samples=4000, seed=0)
        for label, centre in ((1.0, 2.0), (-1.0, -2.0)):
            points = X[y == label]
            # 2000 points per class: the sample mean and variance are within 5 standard errors.
            np.testing.assert_allclose(points.mean(axis=0), centre,
                                       atol=5 * np.sqrt(variance / 2000))
            np.testing.assert_allclose(points.var(axis=0), variance,
                                       atol=5 * variance * np.sqrt(2 / 2000))


def test_spiral_follows_its_formula_without_noise():
    X, y = datasets.make_playground("spiral", seed=0)
    i = np.arange(250)
    for arm, (delta, label) in enumerate(((0.0, 1.0), (np.pi, -1.0))):
        # The app's dataset.ts: r = i / n * 5, t = 1.75 * i / n * 2 * Math.PI + deltaT,
        # evaluated in its order, so that the points round as the app's do.
        r = i / 250 * 5
        t = 1.75 * i / 250 * 2 * np.pi + delta
        expected = np.column_stack([r * np.sin(t), r * np.cos(t)])
        np.testing.assert_array_equal(X[arm * 250:(arm + 1) * 250], expected)
        assert np.all(y[arm * 250:(arm + 1) * 250] == label)


def test_regression_targets_follow_their_formulas_without_noise():
    X, y = datasets.make_playground("reg_plane", seed=0)
    np.testing.assert_allclose(y, (X[:, 0] + X[:, 1]) / 10)
    X, y = datasets.make_playground("reg_gauss", n_samples=300, seed=0)
    bumps = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    for point, target in zip(X, y, strict=True):
        best = 0.0
        for cx, cy, sign in bumps:
            value = sign * max(0.0, 1 - np.hypot(point[0] - cx, point[1] - cy) / 2)
            if abs(value) > abs(best):
                best = value
        assert target == pytest.approx(best, abs=1e-12)


def test_split_shuffles_then_cuts_by_ratio():
    X, y = datasets.make_playground("spiral", seed=0)
    X_train, X_test, y_train, y_test = datasets.playground_split(X, y, 0.3, seed=0)
    assert len(X_train) == 150 and len(X_test) == 350
    together = np.concatenate([X_train, X_test])
    assert sorted(map(tuple, together)) == sorted(map(tuple, X))
    assert not np.array_equal(X_train, X[:150])  # shuffled before the cut
    assert set(np.unique(y_train)) == {-1.0, 1.0}


# ---------------------------------------------------------------- features


def test_the_seven_features():
    points = np.array([[0.5, -2.0], [3.0, 1.0]])
    values = playground_features(points, ALL_FEATURES)
    x1, x2 = points.T
    expected = np.column_stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])
    np.testing.assert_allclose(values, expected)
    np.testing.assert_allclose(playground_features(points, "sin(x2),x1"),
                               expected[:, [6, 0]])


def test_features_transformer_in_a_pipeline():
    from fastmlp import MLPClassifier

    X, y = datasets.make_playground("circle", seed=0)
    model = make_pipeline(PlaygroundFeatures(["x1^2", "x2^2"]),
                          MLPClassifier(hidden_layer_sizes=(), max_iter=200, random_state=0,
                                        learning_rate_init=0.05))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    # Squares make the circle linearly separable: no hidden layer needed.
    assert model.score(X, y) > 0.95
    assert model[0].get_feature_names_out().tolist() == ["x1^2", "x2^2"]


@pytest.mark.parametrize("names, message", [
    ("x3", "valid choices for feature"),
    ([], "at least one"),
    ("x1,x1", "must not repeat"),
])
def test_bad_feature_names(names, message):
    with pytest.raises(ValueError, match=message):
        playground_features(np.zeros((2, 2)), names)


# ---------------------------------------------------------------- training semantics


@pytest.mark.parametrize(
    "activation, regularization, rate, batch_size, lr",
    [("tanh", None, 0.0, 10, 0.1), ("relu", "l1", 0.05, 7, 0.1), ("sigmoid", "l2", 0.03, 4, 0.1),
     ("linear", "l1", 10.0, 23, 0.003)],
    ids=["tanh-none-batch10", "relu-l1-carry", "sigmoid-l2-carry", "linear-l1-one-update"],
)
@pytest.mark.parametrize("problem", ["classification", "regression"])
def test_training_matches_the_point_by_point_reference(activation, regularization, rate,
                                                       batch_size, lr, problem):
    """23 training points: batches that do not divide them carry points into the next
    epoch; L1 kills links; everything equals the browser's algorithm, point by point."""
    dataset = "xor" if problem == "classification" else "reg_gauss"
    playground = _small_playground(dataset, activation, regularization, rate, batch_size,
                                   problem, lr)
    net = playground.network
    Ws = [W.copy() for W in net.weights]
    bs = [b.copy() for b in net.biases]
    X = playground.features(playground.X_train)
    output = "tanh" if problem == "classification" else "identity"
    dead = naive.playground_train(Ws, bs, activation, output, X, playground.y_train, 6,
                                  batch_size, lr, regularization, rate)
    playground.run(4).run(2)  # two calls: the carried gradient survives between them
    for got, want in zip(net.weights + net.biases, Ws + bs, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    for got, want in zip(playground.dead, dead, strict=True):
        np.testing.assert_array_equal(got, want)
    if regularization == "l1":
        assert any(mask.any() for mask in dead)
        for W, mask in zip(net.weights, playground.dead, strict=True):
            assert np.all(W[mask] == 0.0)


def _small_playground(dataset, activation, regularization, rate, batch_size, problem, lr):
    playground = Playground(dataset, features="x1,x2,x1*x2", hidden=(5, 4),
                            activation=activation, learning_rate=lr,
                            regularization=regularization, regularization_rate=rate,
                            batch_size=batch_size, problem=problem, seed=4)
    # Keep 23 training points (the test set stays as generated).
    playground.X_train, playground.y_train = playground.X_train[:23], playground.y_train[:23]
    playground._inputs = (playground.features(playground.X_train),
                          playground.y_train.reshape(-1, 1).copy(), *playground._inputs[2:])
    return playground


def test_reported_losses_are_the_apps():
    playground = Playground("circle", hidden=(4, 2), learning_rate=0.03, seed=0).run(3)
    out = playground.predict(playground.X_test)
    expected = np.mean(0.5 * (out - playground.y_test) ** 2)
    assert playground.test_loss == pytest.approx(expected, rel=1e-12)
    accuracy = np.mean((out >= 0) == (playground.y_test > 0))
    assert playground.history["test_accuracy"][-1] == pytest.approx(accuracy)
    assert [len(v) for v in playground.history.values()] == [4, 4, 4]


def test_history_starts_at_epoch_0_with_the_initial_weights_figures():
    playground = Playground("circle", hidden=(4, 2), learning_rate=0.03, seed=0)
    out = playground.predict(playground.X_test)
    initial = {
        "train_loss": np.mean(0.5 * (playground.predict(playground.X_train)
                                     - playground.y_train) ** 2),
        "test_loss": np.mean(0.5 * (out - playground.y_test) ** 2),
        "test_accuracy": np.mean((out >= 0) == (playground.y_test > 0)),
    }
    assert list(playground.history) == list(initial)
    for key, value in initial.items():
        assert playground.history[key].shape == (1,)
        assert playground.history[key][0] == pytest.approx(value, rel=1e-12)
    assert playground.test_loss == playground.history["test_loss"][0]
    playground.run(5)
    for key, value in initial.items():
        assert playground.history[key].shape == (6,)
        assert playground.history[key][0] == pytest.approx(value, rel=1e-12)
    assert playground.history["test_loss"][5] == playground.test_loss
    assert "test_accuracy" not in Playground("reg_plane", hidden=(3,), seed=0).history


@pytest.mark.parametrize("given", [("sin(x2)", "x1*x2", "x2", "x1"), "x2,x1,sin(x2),x1*x2",
                                   ("x1*x2", "x1", "sin(x2)", "x2")])
def test_features_are_put_in_the_apps_order_so_a_seed_draws_the_same_weights(given):
    apps_order = ("x1", "x2", "x1*x2", "sin(x2)")
    reference = Playground("xor", features=apps_order, hidden=(3,), seed=2)
    playground = Playground("xor", features=given, hidden=(3,), seed=2)
    assert playground.feature_names == apps_order
    assert playground.settings()["features"] == "x1,x2,x1*x2,sin(x2)"
    np.testing.assert_array_equal(playground.network.parameters, reference.network.parameters)
    points = np.array([[0.5, -2.0], [3.0, 1.0]])
    np.testing.assert_array_equal(playground.features(points),
                                  playground_features(points, apps_order))
    reference.run(20)
    playground.run(20)
    np.testing.assert_array_equal(playground.network.parameters, reference.network.parameters)
    for key in reference.history:
        np.testing.assert_array_equal(playground.history[key], reference.history[key])


def test_app_defaults_are_the_apps_opening_page_and_the_class_keeps_its_own():
    app = Playground.app_defaults()
    opening = dict(dataset="circle", noise=0.0, train_ratio=0.5, features="x1,x2",
                   hidden="4,2", activation="tanh", learning_rate=0.03, regularization=None,
                   regularization_rate=0.0, batch_size=10, problem="classification", seed=0)
    assert app.settings() == opening
    assert tuple(app.network.sizes) == (2, 4, 2, 1)
    same = Playground(**APP_DEFAULTS, seed=0)
    np.testing.assert_array_equal(app.network.parameters, same.network.parameters)
    changed = Playground.app_defaults(seed=5, dataset="xor", learning_rate=0.1)
    assert changed.settings() == {**opening, "dataset": "xor", "learning_rate": 0.1, "seed": 5}
    ours = Playground().settings()
    assert (ours["dataset"], ours["hidden"], ours["learning_rate"]) == ("spiral", "8,8,8", 0.1)
    with pytest.raises(TypeError):
        APP_DEFAULTS["dataset"] = "spiral"


def test_initialisation_and_outputs():
    playground = Playground("reg_plane", hidden=(3,), seed=0)
    assert playground.problem == "regression" and playground.network.output == "identity"
    assert "test_accuracy" not in playground.history
    for W, b in zip(playground.network.weights, playground.network.biases, strict=True):
        assert np.all((W >= -0.5) & (W < 0.5)) and np.all(b == 0.1)
    layers = playground.neuron_outputs(np.array([[1.0, 2.0], [-3.0, 0.5]]))
    assert [layer.shape for layer in layers] == [(2, 2), (2, 3), (2, 1)]
    np.testing.assert_allclose(layers[-1][:, 0], playground.predict([[1.0, 2.0], [-3.0, 0.5]]))


def test_same_seed_same_run_and_seeds_differ():
    a = Playground("spiral", seed=3).run(20)
    b = Playground("spiral", seed=3).run(20)
    c = Playground("spiral", seed=4).run(20)
    np.testing.assert_array_equal(a.network.parameters, b.network.parameters)
    np.testing.assert_array_equal(a.history["test_loss"], b.history["test_loss"])
    assert not np.array_equal(a.network.parameters, c.network.parameters)


def test_divergence_is_flagged_with_nan_like_the_app():
    playground = Playground("reg_plane", hidden=(8, 8), activation="linear", learning_rate=10.0,
                            seed=0)
    with pytest.warns(RuntimeWarning, match="diverged in epoch 1: its weights stopped being "
                      "finite, so the Playground shows train loss NaN and test loss NaN"):
        playground.run(200)
    assert playground.diverged and playground.epoch == 0
    assert np.isnan(playground.history["test_loss"][-1])
    assert len(playground.history["test_loss"]) == playground.epoch + 2
    assert np.isfinite(playground.network.parameters).all()
    assert np.isfinite(playground.predict(playground.X_test)).all()
    with pytest.warns(RuntimeWarning, match="nothing more to train"):
        playground.run(5)


# A ReLU network at learning rate 3 whose regression outputs grow until, in epoch 9, the
# loss overflows while every weight is still finite; L1 kills links on the way there.
OVERFLOWING = dict(dataset="reg_plane", hidden=(8, 8), activation="relu", learning_rate=3.0,
                   regularization="l1", regularization_rate=0.001, seed=0)


def test_divergence_by_overflow_is_reported_as_infinity_like_the_app():
    playground = Playground(**OVERFLOWING)
    with pytest.warns(RuntimeWarning) as caught:
        playground.run(100)
    assert playground.diverged and playground.epoch > 0
    message = str(caught[0].message)
    assert message.startswith(f"the run diverged in epoch {playground.epoch + 1}: its loss "
                              "overflowed while the weights were still finite, so the "
                              "Playground shows train loss Infinity and test loss Infinity")
    assert f"weights after epoch {playground.epoch} are kept" in message
    assert np.isposinf(playground.history["train_loss"][-1])
    assert np.isposinf(playground.history["test_loss"][-1])
    assert np.isfinite(playground.history["test_loss"][:-1]).all()


def test_a_diverged_epoch_puts_back_the_dead_links_with_the_weights():
    playground = Playground(**OVERFLOWING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        playground.run(100)
    assert playground.diverged and playground.epoch > 0
    before = Playground(**OVERFLOWING).run(playground.epoch)  # stops before the failed epoch
    assert not before.diverged
    assert sum(mask.sum() for mask in before.dead) > 0
    for got, want in zip(playground.dead, before.dead, strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(playground.network.parameters, before.network.parameters)
    for W, mask in zip(playground.network.weights, playground.dead, strict=True):
        assert np.all(W[mask] == 0.0)


# ------------------------------------------------ the exercise sheet's spiral experiments


def test_spiral_with_8_8_8_tanh_reaches_test_loss_0_1_within_500_epochs_for_most_seeds():
    """The exercise sheet's spiral: X1 and X2, 3 x 8 tanh, lr 0.1, batch 10, 500 epochs."""
    rows = sweep({}, seeds=range(12), epochs=500, dataset="spiral", hidden=(8, 8, 8),
                 learning_rate=0.1)
    assert [row["seed"] for row in rows] == list(range(12))
    reached = []
    for row in rows:
        playground = Playground("spiral", hidden=(8, 8, 8), learning_rate=0.1,
                                seed=row["seed"]).run(500)
        assert playground.test_loss == row["test_loss"]  # threads give the serial result
        reached.append(playground.history["test_loss"].min() <= 0.1)
    print(f"spiral test loss <= 0.1 within 500 epochs: {sum(reached)} of {len(reached)} seeds")
    assert sum(reached) > len(reached) / 2


def test_spiral_regularisation_comparison_l1_kills_links_and_l2_shrinks_weights():
    """The exercise sheet's regularisation task on the spiral: all 7 features, 6 x 8 relu,
    lr 0.03, 20 % training data; none, L1 0.003, L2 0.001."""
    settings = dict(features=ALL_FEATURES, hidden=(8,) * 6, activation="relu",
                    learning_rate=0.03, train_ratio=0.2, seed=0)
    runs = {
        "none": Playground("spiral", **settings).run(500),
        "l1 0.003": Playground("spiral", regularization="l1", regularization_rate=0.003,
                               **settings).run(500),
        "l2 0.001": Playground("spiral", regularization="l2", regularization_rate=0.001,
                               **settings).run(500),
    }
    print({name: round(run.test_loss, 3) for name, run in runs.items()})
    for run in runs.values():
        assert len(run.X_train) == 100 and np.isfinite(run.test_loss)
    assert not any(mask.any() for mask in runs["none"].dead)
    assert sum(mask.sum() for mask in runs["l1 0.003"].dead) > 0
    l2_norm = sum(np.sum(W**2) for W in runs["l2 0.001"].network.weights)
    assert l2_norm < sum(np.sum(W**2) for W in runs["none"].network.weights)


# ---------------------------------------------------------------- sweeps and bad input


def test_sweep_rows_cover_the_grid_and_match_single_runs():
    rows = sweep({"learning_rate": [0.03, 0.3], "hidden": [(4,), (4, 4)]}, seeds=[0, 1],
                 epochs=30, dataset="xor", workers=2)
    assert len(rows) == 8
    assert {(r["learning_rate"], r["hidden"], r["seed"]) for r in rows} == {
        (lr, h, s) for lr in (0.03, 0.3) for h in ("4", "4,4") for s in (0, 1)}
    single = Playground("xor", learning_rate=0.3, hidden=(4, 4), seed=1).run(30)
    row = next(r for r in rows if (r["learning_rate"], r["hidden"], r["seed"]) == (0.3, "4,4", 1))
    assert row["test_loss"] == single.test_loss
    assert row["test_accuracy"] == single.history["test_accuracy"][-1]
    assert all(r["seconds"] > 0 and not r["diverged"] for r in rows)


@pytest.mark.parametrize("settings, error, message", [
    (dict(dataset="moons"), ValueError, "valid choices for dataset: 'circle'"),
    (dict(features=("x1", "cos(x1)")), ValueError, "valid choices for feature"),
    (dict(activation="softmax"), ValueError, "valid choices for activation"),
    (dict(noise=0.6), ValueError, "noise must be <= 0.5"),
    (dict(noise=-0.1), ValueError, "noise must be >= 0"),
    (dict(train_ratio=0.0), ValueError, "train_ratio must be > 0"),
    (dict(train_ratio=1.0), ValueError, "train_ratio must be < 1"),
    (dict(hidden=(8, 0)), ValueError, "hidden\\[1\\] must be at least 1"),
    (dict(hidden="8,,8"), ValueError, "empty entry"),
    (dict(hidden=8), TypeError, "sequence of layer widths"),
    (dict(batch_size=0), ValueError, "batch_size must be at least 1"),
    (dict(learning_rate=0.0), ValueError, "learning_rate must be > 0"),
    (dict(regularization="l3"), ValueError, "valid choices: None, 'l1', 'l2'"),
    (dict(regularization_rate=-1.0), ValueError, "regularization_rate must be >= 0"),
    (dict(dataset="reg_plane", problem="classification"), ValueError, "real-valued targets"),
    (dict(train_ratio=0.001), ValueError, "both sets need at least one point"),
])
def test_bad_settings_are_refused_with_advice(settings, error, message):
    with pytest.raises(error, match=message):
        Playground(**settings)


#: Trains a small Playground network, then tells whether scikit-learn was loaded.
PLAYGROUND_IMPORTS = """
import sys
from fastmlp.playground import Playground
run = Playground("circle", hidden=(3,), seed=0).run(5)
print("epochs:", run.epoch)
print("scikit-learn loaded:", "sklearn" in sys.modules)
"""


def test_the_playground_runs_without_scikit_learn():
    """The Playground needs the feature function only; its scikit-learn transformer (and
    the seconds of importing scikit-learn) is loaded when it is asked for."""
    completed = subprocess.run([sys.executable, "-c", PLAYGROUND_IMPORTS],
                               capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[-2:] == ["epochs: 5", "scikit-learn loaded: False"]
