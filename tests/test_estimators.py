"""The scikit-learn estimators against scikit-learn's own MLPs: same maths, same paths."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor

import fastmlp
from fastmlp import MLPClassifier, MLPRegressor


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def classification(n_classes=3, n_samples=240, seed=0):
    return make_classification(n_samples, 8, n_informative=5, n_classes=n_classes,
                               random_state=seed)


def regression(n_targets=1, seed=0):
    X, y = make_regression(240, 8, n_targets=n_targets, noise=5.0, random_state=seed)
    return X, y / 100.0


def multilabel():
    X, Y = make_multilabel_classification(240, 8, n_classes=4, random_state=0)
    return X / X.max(), Y  # word counts up to ~20, scaled as a user would


def all_parameters(estimator):
    return list(estimator.coefs_) + list(estimator.intercepts_)


def assert_same_fit(ours, theirs, rtol=1e-10, atol=1e-12):
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    for got, want in zip(all_parameters(ours), all_parameters(theirs), strict=True):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


TRAJECTORIES = {
    "sgd-nesterov-invscaling": dict(solver="sgd", learning_rate="invscaling",
                                    learning_rate_init=0.1, alpha=1e-2),
    "sgd-momentum-adaptive": dict(solver="sgd", nesterovs_momentum=False,
                                  learning_rate="adaptive", learning_rate_init=0.05,
                                  tol=1e-2, n_iter_no_change=2),
    "sgd-plain-small-batches": dict(solver="sgd", momentum=0.0, batch_size=32,
                                    learning_rate_init=0.05),
    "adam-tanh": dict(activation="tanh", learning_rate_init=0.01),
    "adam-logistic-batch-50": dict(activation="logistic", batch_size=50,
                                   learning_rate_init=0.01),
    "adam-identity-no-shuffle": dict(activation="identity", shuffle=False),
}
TASKS = {
    "binary": (SkClassifier, MLPClassifier, lambda: classification(2)),
    "multiclass": (SkClassifier, MLPClassifier, lambda: classification(3)),
    "multilabel": (SkClassifier, MLPClassifier, multilabel),
    "regression": (SkRegressor, MLPRegressor, regression),
    "multi-output": (SkRegressor, MLPRegressor, lambda: regression(3)),
}


# fastmlp reports the multi-output loss whose gradient both libraries follow (summed over
# the outputs; scikit-learn's is averaged), so the adaptive schedule, driven by that loss,
# decides differently there by design.
PATHS = [(task, settings) for task in TASKS for settings in TRAJECTORIES
         if (task, settings) != ("multi-output", "sgd-momentum-adaptive")]


@pytest.mark.parametrize("task, settings", PATHS)
def test_same_random_state_follows_sklearns_training_path(task, settings):
    """Same initialisation, shuffles, batches, penalty, optimizer and schedule."""
    sk_class, our_class, data = TASKS[task]
    X, y = data()
    params = dict(hidden_layer_sizes=(12, 7), random_state=3, max_iter=25,
                  **TRAJECTORIES[settings])
    if task == "multi-output":  # without a penalty the losses differ by exactly n_outputs
        params["alpha"] = 0.0
    theirs = sk_class(**params).fit(X, y)
    ours = our_class(**params).fit(X, y)
    assert_same_fit(ours, theirs, rtol=1e-9, atol=1e-11)
    factor = 3 if task == "multi-output" else 1
    np.testing.assert_allclose(ours.loss_curve_, np.array(theirs.loss_curve_) * factor,
                               rtol=1e-9)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_sample_weights_follow_sklearns_path(task):
    sk_class, our_class, data = TASKS[task]
    X, y = data()
    weights = np.random.default_rng(0).uniform(0.0, 2.0, len(X))
    params = dict(hidden_layer_sizes=(10,), solver="sgd", batch_size=40, alpha=1e-2,
                  learning_rate_init=0.05, random_state=0, max_iter=15)
    theirs = sk_class(**params).fit(X, y, sample_weight=weights)
    ours = our_class(**params).fit(X, y, sample_weight=weights)
    assert_same_fit(ours, theirs)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)


def test_early_stopping_matches_sklearn_and_restores_the_best_weights():
    X, y = classification(2, n_samples=400)
    params = dict(hidden_layer_sizes=(16,), early_stopping=True, learning_rate_init=0.02,
                  n_iter_no_change=4, random_state=0, max_iter=200)
    theirs = SkClassifier(**params).fit(X, y)
    ours = MLPClassifier(**params).fit(X, y)
    assert ours.n_iter_ < 200
    assert_same_fit(ours, theirs)
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    assert ours.best_validation_score_ == theirs.best_validation_score_
    assert len(ours.val_loss_curve_) == ours.n_iter_
    best_epoch = int(np.argmax(ours.validation_scores_))
    # Restored: the weights are the best epoch's, not the last one's.
    assert best_epoch < ours.n_iter_ - 1


@pytest.mark.parametrize("random_state", range(4))
def test_early_stopping_split_is_stratified_for_multiclass(random_state, rng):
    """The validation set of a multiclass early-stopping fit holds every class in its
    proportion: classes of 150, 90 and 60 samples and ``validation_fraction=0.2`` give
    exactly 30, 18 and 12 validation samples (an unstratified cut of 60 draws them
    hypergeometrically and rarely hits these counts).

    Every sample of a class is the same point, so the validation loss and accuracy of the
    restored (best) weights depend on the validation set only through its class counts,
    and are computed here from those counts and ``predict_proba`` on the three points.
    """
    points = rng.normal(size=(3, 4))
    counts = np.array([150, 90, 60])
    y = rng.permutation(np.repeat(np.arange(3), counts))
    X = points[y]
    ours = MLPClassifier(hidden_layer_sizes=(8,), early_stopping=True, validation_fraction=0.2,
                         learning_rate_init=0.05, max_iter=3, random_state=random_state)
    ours.fit(X, y)
    assert len(ours.validation_scores_) == len(ours.val_loss_curve_) == 3
    best = int(np.argmax(ours.validation_scores_))  # the epoch whose weights were restored
    validation_counts = np.array([30, 18, 12])  # a fifth of each class
    probabilities = ours.predict_proba(points)
    expected_loss = log_loss(np.arange(3), probabilities, sample_weight=validation_counts)
    assert ours.val_loss_curve_[best] == pytest.approx(expected_loss, rel=1e-10)
    correct = validation_counts[ours.predict(points) == np.arange(3)].sum()
    assert ours.validation_scores_[best] == pytest.approx(correct / 60, abs=1e-15)


@pytest.mark.parametrize("task", TASKS)
def test_loss_and_gradients_equal_sklearns_backprop(task):
    """For the same weights and data, fastmlp's objective and gradient (alpha/(2n) sum W^2
    penalty, weighted mean loss) equal scikit-learn's private ``_backprop`` to 1e-10."""
    sk_class, our_class, data = TASKS[task]
    X, y = data()
    weights = np.random.default_rng(1).uniform(0.5, 1.5, len(X))
    theirs = sk_class(hidden_layer_sizes=(9, 6), activation="tanh", alpha=0.3, max_iter=2,
                      random_state=0).fit(X, y)
    ours = fastmlp.from_sklearn(theirs)
    Y = ours._label_binarizer.transform(y) if task in ("binary", "multiclass", "multilabel") else y
    Y = np.asarray(Y, dtype=float).reshape(len(X), -1)
    n_layers = theirs.n_layers_
    activations = [X] + [None] * (n_layers - 1)
    deltas = [None] * (n_layers - 1)
    coef_grads = [np.empty_like(c) for c in theirs.coefs_]
    intercept_grads = [np.empty_like(b) for b in theirs.intercepts_]
    loss, coef_grads, intercept_grads = theirs._backprop(
        X, Y, weights, activations, deltas, coef_grads, intercept_grads
    )
    net = ours._net
    penalty = 0.3 / weights.sum()
    our_loss = net.loss(X, Y, l2=penalty, sample_weight=weights)
    dWs, dbs = net.gradients(X, Y, l2=penalty, sample_weight=weights)
    if task == "multi-output":
        # scikit-learn's reported loss averages over the 3 outputs; its gradient does not.
        data_loss = our_loss - 0.5 * penalty * sum(np.sum(W * W) for W in net.weights)
        sk_data_loss = loss - 0.5 * penalty * sum(np.sum(c * c) for c in theirs.coefs_)
        assert data_loss == pytest.approx(3 * sk_data_loss, rel=1e-10)
    else:
        assert our_loss == pytest.approx(loss, rel=1e-10)
    for dW, coef_grad in zip(dWs, coef_grads, strict=True):
        np.testing.assert_allclose(dW.T, coef_grad, rtol=1e-10, atol=1e-13)
    for db, intercept_grad in zip(dbs, intercept_grads, strict=True):
        np.testing.assert_allclose(db, intercept_grad, rtol=1e-10, atol=1e-13)


def test_saturated_outputs_loss_is_exact_where_sklearn_clips():
    """scikit-learn clips probabilities to [eps, 1 - eps] before its log loss; fastmlp
    computes the loss from the logits, so for saturated outputs it reports the true
    (larger) loss. The gradients, y_hat - y, agree."""
    X, y = classification(2)
    theirs = SkClassifier(hidden_layer_sizes=(5,), max_iter=2, random_state=0).fit(X, y)
    theirs.coefs_[1] *= 400.0  # logits of several hundred: probabilities round to 0 or 1
    ours = fastmlp.from_sklearn(theirs)
    Y = y.reshape(-1, 1).astype(float)
    grads = ([np.empty_like(c) for c in theirs.coefs_],
             [np.empty_like(b) for b in theirs.intercepts_])
    sk_loss, coef_grads, _ = theirs._backprop(X, Y, None, [X, None, None], [None, None],
                                              *grads)
    penalty = theirs.alpha / len(X)
    assert ours._net.loss(X, Y, l2=penalty) > sk_loss + 1.0
    dWs, _ = ours._net.gradients(X, Y, l2=penalty)
    for dW, coef_grad in zip(dWs, coef_grads, strict=True):
        np.testing.assert_allclose(dW.T, coef_grad, rtol=1e-10, atol=1e-13)


def test_lbfgs_matches_sklearn():
    X, y = classification(3)
    params = dict(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=20, random_state=0)
    theirs = SkClassifier(**params).fit(X, y)
    ours = MLPClassifier(**params).fit(X, y)
    assert_same_fit(ours, theirs, rtol=1e-7, atol=1e-9)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-10)


@pytest.mark.parametrize("task", TASKS)
def test_conversions_both_ways_keep_predictions(task):
    sk_class, our_class, data = TASKS[task]
    X, y = data()
    ours = our_class(hidden_layer_sizes=(11, 5), max_iter=30, random_state=0).fit(X, y)
    theirs = ours.to_sklearn()
    assert isinstance(theirs, sk_class)
    method = "predict_proba" if task in ("binary", "multiclass", "multilabel") else "predict"
    np.testing.assert_allclose(getattr(theirs, method)(X), getattr(ours, method)(X),
                               rtol=1e-12, atol=1e-12)
    if method == "predict_proba":
        np.testing.assert_array_equal(theirs.predict(X), ours.predict(X))
    back = fastmlp.from_sklearn(theirs)
    np.testing.assert_allclose(getattr(back, method)(X), getattr(ours, method)(X),
                               rtol=1e-12, atol=1e-12)
    assert back.get_params() == ours.get_params()
    # The converted scikit-learn estimator keeps training from the converted weights: one
    # more epoch, with a fresh optimizer (optimizer state is not converted), is exactly
    # the epoch that the model converted back takes.
    before = [np.copy(p) for p in all_parameters(theirs)]
    epochs, seen = len(theirs.loss_curve_), theirs.t_
    theirs.partial_fit(X, y)
    back.partial_fit(X, y)
    for model in (theirs, back):
        assert len(model.loss_curve_) == epochs + 1 == 31
        assert model.t_ == seen + len(X)
        assert not any(np.allclose(a, b, rtol=1e-6, atol=0.0)
                       for a, b in zip(all_parameters(model), before, strict=True))
    assert_same_fit(back, theirs)


def test_from_sklearn_then_further_training_is_sklearns_training():
    X, y = classification(3)
    params = dict(hidden_layer_sizes=(10,), solver="sgd", random_state=0, max_iter=5,
                  warm_start=True)
    theirs = SkClassifier(**params).fit(X, y)
    ours = fastmlp.from_sklearn(theirs)
    theirs.fit(X, y)
    ours.fit(X, y)
    assert_same_fit(ours, theirs)


def test_to_sklearn_refuses_what_sklearn_cannot_represent():
    X, y = classification(2)
    model = MLPClassifier(hidden_layer_sizes=(4, 4), activation=["relu", "tanh"],
                          max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="one hidden activation"):
        model.to_sklearn()
    model = MLPClassifier(hidden_layer_sizes=(4,), activation="leaky_relu", max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="leaky_relu"):
        model.to_sklearn()


def test_partial_fit_continues_like_sklearn():
    X, y = classification(3)
    params = dict(hidden_layer_sizes=(10,), solver="sgd", random_state=0)
    theirs, ours = SkClassifier(**params), MLPClassifier(**params)
    for start in range(0, 240, 80):
        batch = slice(start, start + 80)
        theirs.partial_fit(X[batch], y[batch], classes=[0, 1, 2])
        ours.partial_fit(X[batch], y[batch], classes=[0, 1, 2])
    assert_same_fit(ours, theirs)


def test_partial_fit_needs_classes_first_and_refuses_unseen_classes():
    X, y = classification(3)
    model = MLPClassifier(hidden_layer_sizes=(5,))
    with pytest.raises(ValueError, match="classes must be passed"):
        model.partial_fit(X, y)
    model.partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    with pytest.raises(ValueError, match="classes not in classes_"):
        model.partial_fit(X, y)


def test_warm_start_continues_from_the_fitted_weights():
    X, y = regression()
    params = dict(hidden_layer_sizes=(8,), solver="sgd", random_state=0, max_iter=4)
    warm = MLPRegressor(warm_start=True, **params).fit(X, y)
    first_weights = warm.coefs_[0].copy()
    warm.fit(X, y)
    theirs = SkRegressor(warm_start=True, **params).fit(X, y).fit(X, y)
    assert not np.allclose(warm.coefs_[0], first_weights)
    assert_same_fit(warm, theirs)
    cold = MLPRegressor(**params).fit(X, y)
    cold.fit(X, y)
    np.testing.assert_allclose(cold.coefs_[0], first_weights)


def test_warm_start_refuses_a_different_architecture():
    X, y = regression()
    model = MLPRegressor(hidden_layer_sizes=(8,), warm_start=True, max_iter=2).fit(X, y)
    model.set_params(hidden_layer_sizes=(9,))
    with pytest.raises(ValueError, match="warm_start=False"):
        model.fit(X, y)


def test_convergence_warning_at_max_iter():
    X, y = classification(2)
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, tol=0.0)
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        model.fit(X, y)
    assert model.n_iter_ == 3


def test_diverging_fit_raises_value_error_and_keeps_a_usable_model():
    X, y = regression()
    model = MLPRegressor(hidden_layer_sizes=(32, 32), solver="sgd", learning_rate_init=1e6,
                         momentum=0.0, max_iter=50, random_state=0)
    with pytest.raises(ValueError, match="diverged in epoch"):
        model.fit(X * 1e3, y * 1e3)
    assert np.isfinite(model.predict(X)).all()
    assert len(model.loss_curve_) == model.n_iter_


def test_diverging_fit_with_early_stopping_keeps_the_best_validated_weights():
    """As scikit-learn: no exception, and the weights of the best validation score."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    params = dict(hidden_layer_sizes=100, activation="identity", solver="sgd",
                  learning_rate_init=0.03, max_iter=20, early_stopping=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # r2_score of huge predictions
        theirs = SkRegressor(**params).fit(X, y)
        with pytest.warns(ConvergenceWarning, match="diverged in epoch"):
            ours = MLPRegressor(**params).fit(X, y)
    scores = ours.validation_scores_
    assert np.isnan(scores[-1]) and np.isnan(ours.loss_curve_[-1])
    assert len(scores) == len(ours.loss_curve_) == len(ours.val_loss_curve_) == ours.n_iter_
    # scikit-learn runs on through NaN epochs; the scores up to the divergence are equal.
    np.testing.assert_allclose(scores[:-1], theirs.validation_scores_[:len(scores) - 1],
                               rtol=1e-9)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_,
                                                        rel=1e-12)
    for got, want in zip(all_parameters(ours), all_parameters(theirs), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_float32_input_trains_in_float32_unless_told_otherwise():
    X, y = classification(2)
    model = MLPClassifier(hidden_layer_sizes=(6,), max_iter=5).fit(X.astype(np.float32), y)
    assert model.coefs_[0].dtype == np.float32
    model = MLPClassifier(hidden_layer_sizes=(6,), max_iter=5, dtype="float64")
    assert model.fit(X.astype(np.float32), y).coefs_[0].dtype == np.float64
    params = dict(hidden_layer_sizes=(6,), max_iter=5, random_state=0)
    model = MLPClassifier(dtype="float32", **params).fit(X, y)
    assert model.coefs_[0].dtype == np.float32
    reference = MLPClassifier(dtype="float64", **params).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-4)


def test_extras_per_layer_activations_l1_gd_and_inits():
    X, y = classification(2)
    dense = MLPClassifier(hidden_layer_sizes=(12, 6), activation=["leaky_relu", "tanh"],
                          solver="gd", learning_rate_init=0.5, max_iter=60, random_state=0,
                          init="he").fit(X, y)
    assert dense.score(X, y) > 0.85
    sparse = MLPClassifier(hidden_layer_sizes=(12, 6), activation=["leaky_relu", "tanh"],
                           solver="gd", learning_rate_init=0.5, max_iter=60, random_state=0,
                           init="he", l1=2.0, momentum=0.0).fit(X, y)
    assert np.abs(sparse.coefs_[0]).sum() < 0.5 * np.abs(dense.coefs_[0]).sum()


def test_coefs_are_views_and_assigned_arrays_are_used():
    X, y = classification(3)
    model = MLPClassifier(hidden_layer_sizes=(6,), max_iter=5, random_state=0).fit(X, y)
    assert model.coefs_[0].shape == (8, 6)
    probabilities = model.predict_proba(X)
    model.coefs_[1] = np.zeros((6, 3))
    model.intercepts_[1] = np.array([0.0, 5.0, 0.0])
    assert (model.predict(X) == model.classes_[1]).all()
    model.coefs_[1][:] = 0.0  # in place on the (new) views works as well
    model.intercepts_[1][:] = [7.0, 0.0, 0.0]
    assert (model.predict(X) == model.classes_[0]).all()
    assert not np.allclose(model.predict_proba(X), probabilities)
    model.coefs_[0] = np.zeros((5, 6))
    with pytest.raises(ValueError, match="shapes must stay"):
        model.predict(X)


def test_string_labels_and_predict_log_proba():
    X, y = classification(3)
    labels = np.array(["cat", "dog", "emu"])[y]
    params = dict(hidden_layer_sizes=(10,), max_iter=50, random_state=0)
    model = MLPClassifier(**params).fit(X, labels)
    assert model.classes_.tolist() == ["cat", "dog", "emu"]
    theirs = SkClassifier(**params).fit(X, labels)
    np.testing.assert_array_equal(model.predict(X), theirs.predict(X))
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X)), model.predict_proba(X))


def test_progress_bar_shows_the_epoch_and_the_loss(capsys):
    X, y = classification(2)
    MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, progress_bar=True, tol=0.0).fit(X, y)
    captured = capsys.readouterr()
    assert "MLPClassifier" in captured.err and "loss=" in captured.err and "3/3" in captured.err
    assert captured.out == ""
    MLPClassifier(hidden_layer_sizes=(4,), max_iter=3).fit(X, y)
    assert capsys.readouterr() == ("", "")
    with pytest.raises(TypeError, match="progress_bar must be True or False"):
        MLPClassifier(progress_bar="yes").fit(X, y)


def test_verbose_prints_sklearns_lines_with_the_same_figures(capsys):
    """Scripts that read scikit-learn's verbose output read fastmlp's the same way."""
    X, y = classification(2)
    params = dict(hidden_layer_sizes=(4,), solver="sgd", learning_rate="adaptive", tol=0.5,
                  n_iter_no_change=2, max_iter=30, verbose=True, random_state=0)
    SkClassifier(**params).fit(X, y)
    theirs = capsys.readouterr().out
    MLPClassifier(**params).fit(X, y)
    ours = capsys.readouterr().out
    assert "Iteration 1, loss = " in ours and "Setting learning rate to" in ours
    assert ours.splitlines() == theirs.splitlines()


BAD_HYPERPARAMETERS = {
    "alpha": (-1.0, "alpha must be >= 0"),
    "hidden_layer_sizes": ((10, 0), "hidden_layer_sizes\\[1\\] must be at least 1"),
    "activation": ("softsign", "valid choices for activation"),
    "solver": ("newton", "valid choices for solver"),
    "batch_size": (0, "batch_size must be at least 1"),
    "learning_rate": ("cyclic", "valid choices for learning_rate"),
    "learning_rate_init": (0.0, "learning_rate_init must be > 0"),
    "max_iter": (0, "max_iter must be at least 1"),
    "momentum": (1.5, "momentum must be <= 1"),
    "validation_fraction": (1.0, "validation_fraction must be < 1"),
    "beta_1": (1.0, "beta_1 must be < 1"),
    "epsilon": (0.0, "epsilon must be > 0"),
    "n_iter_no_change": (0, "n_iter_no_change must be at least 1"),
    "l1": (-0.1, "l1 must be >= 0"),
    "dtype": ("float16", "use 'float32' or 'float64'"),
    "init": ("zeros", "valid choices for init"),
    "tol": (float("nan"), "tol must be finite"),
}


@pytest.mark.parametrize("name", BAD_HYPERPARAMETERS)
def test_invalid_hyperparameters_name_the_parameter_and_range(name):
    X, y = classification(2)
    value, message = BAD_HYPERPARAMETERS[name]
    with pytest.raises(ValueError, match=message):
        MLPClassifier(**{name: value}).fit(X, y)


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.ones(10), "one weight per sample"),
        (-np.ones(240), "non-negative"),
        (np.full(240, np.nan), "NaN"),
        (np.zeros(240), "all zero"),
    ],
    ids=["wrong-length", "negative", "nan", "all-zero"],
)
def test_bad_sample_weights_are_refused(weights, message):
    X, y = classification(2)
    with pytest.raises(ValueError, match=message):
        MLPClassifier(max_iter=2).fit(X, y, sample_weight=weights)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_sparse_input_follows_sklearns_path(early_stopping):
    """A OneHotEncoder-like sparse matrix: read sparsely, on scikit-learn's path."""
    import scipy.sparse
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    categories = rng.integers(0, 12, (300, 4))
    y = (categories[:, 0] + categories[:, 1] > 11).astype(int)
    encoded = OneHotEncoder().fit_transform(categories)
    assert scipy.sparse.issparse(encoded)
    params = dict(hidden_layer_sizes=(8,), max_iter=8, random_state=0,
                  early_stopping=early_stopping, learning_rate_init=0.01)
    theirs = SkClassifier(**params).fit(encoded, y)
    ours = MLPClassifier(**params).fit(encoded, y)
    assert_same_fit(ours, theirs, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(ours.predict_proba(encoded.tocsc()), theirs.predict_proba(encoded),
                               rtol=1e-9)
    pipeline = make_pipeline(OneHotEncoder(), MLPClassifier(**params)).fit(categories, y)
    np.testing.assert_array_equal(pipeline.predict(categories), ours.predict(encoded))


def test_fit_does_not_modify_the_callers_data():
    X, y = classification(2)
    weights = np.linspace(0.5, 1.5, len(X))
    copies = X.copy(), y.copy(), weights.copy()
    MLPClassifier(max_iter=3, early_stopping=True).fit(X, y, sample_weight=weights)
    for original, copy in zip((X, y, weights), copies, strict=True):
        np.testing.assert_array_equal(original, copy)


def test_sklearns_hand_worked_sgd_step():
    """scikit-learn's worked example (its test_fit, which sets private state): one SGD step
    of a 3-2-1 logistic network from given weights, with alpha 0.1 and lr 0.1."""
    X, y = np.array([[0.6, 0.8, 0.7]]), np.array([0])
    model = MLPClassifier(solver="sgd", learning_rate_init=0.1, alpha=0.1,
                          activation="logistic", random_state=1, hidden_layer_sizes=2,
                          momentum=0)
    model.partial_fit(X, y, classes=[0, 1])
    model.coefs_ = [np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0.0]]), np.array([[0.1], [0.2]])]
    model.intercepts_ = [np.array([0.1, 0.1]), np.array([1.0])]
    model.partial_fit(X, y)
    # The figures worked out by hand in scikit-learn's test, to its 3 decimals.
    np.testing.assert_almost_equal(
        model.coefs_[0], [[0.098, 0.195756], [0.2956664, 0.096008], [0.4939998, -0.002244]],
        decimal=3)
    np.testing.assert_almost_equal(model.coefs_[1], [[0.04706], [0.154089]], decimal=3)
    np.testing.assert_almost_equal(model.intercepts_[0], [0.098333, 0.09626], decimal=3)
    np.testing.assert_almost_equal(model.intercepts_[1], [0.9235], decimal=3)
    np.testing.assert_almost_equal(model.predict_proba(X)[0, 1], 0.739, decimal=3)
    # The same step by the same arithmetic, done in numpy: sigmoid layers, delta = p - y,
    # gradients plus alpha * W (batch of one), lr 0.1.
    W0, W1 = np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0.0]]), np.array([[0.1], [0.2]])
    b0, b1 = np.array([0.1, 0.1]), np.array([1.0])
    hidden = 1 / (1 + np.exp(-(X @ W0 + b0)))
    delta1 = 1 / (1 + np.exp(-(hidden @ W1 + b1))) - y[:, None]
    delta0 = (delta1 @ W1.T) * hidden * (1 - hidden)
    expected = [W0 - 0.1 * (X.T @ delta0 + 0.1 * W0), W1 - 0.1 * (hidden.T @ delta1 + 0.1 * W1),
                b0 - 0.1 * delta0.sum(axis=0), b1 - 0.1 * delta1.sum(axis=0)]
    for got, want in zip(all_parameters(model), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13)
