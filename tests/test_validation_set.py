"""A validation set of one's own: fit(..., X_val, y_val) and early stopping in partial_fit."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score

import fastmlp
from fastmlp import MLPClassifier, MLPRegressor


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def split_classification(seed=0):
    X, y = make_classification(400, 6, n_informative=4, n_classes=3, random_state=seed)
    return X[:300], y[:300], X[300:], y[300:]


PARAMS = dict(hidden_layer_sizes=(10,), random_state=0, learning_rate_init=0.01)


def test_validation_scores_are_each_epochs_score_on_the_given_set():
    """All of X trains (no split, no extra random draws), and the score recorded after
    epoch k is the score of the model trained for k epochs without early stopping."""
    X, y, X_val, y_val = split_classification()
    model = MLPClassifier(early_stopping=True, n_iter_no_change=100, max_iter=6, **PARAMS)
    model.fit(X, y, X_val=X_val, y_val=y_val)
    assert model.t_ == 6 * len(X)
    scores = []
    for epochs in range(1, 7):
        plain = MLPClassifier(max_iter=epochs, **PARAMS).fit(X, y)
        scores.append(plain.score(X_val, y_val))
        np.testing.assert_allclose(model.val_loss_curve_[epochs - 1],
                                   plain._net.loss(X_val, plain._label_binarizer.transform(y_val)),
                                   rtol=1e-12)
    assert model.validation_scores_ == scores
    best = int(np.argmax(scores))
    assert model.best_validation_score_ == scores[best]
    at_best = MLPClassifier(max_iter=best + 1, **PARAMS).fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X_val), at_best.predict_proba(X_val))


def test_sample_weight_val_weights_the_score():
    X, y, X_val, y_val = split_classification()
    weights = np.random.default_rng(0).uniform(0.0, 3.0, len(y_val))
    model = MLPClassifier(early_stopping=True, max_iter=3, n_iter_no_change=100, **PARAMS)
    model.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=weights)
    last = MLPClassifier(max_iter=3, **PARAMS).fit(X, y)
    expected = accuracy_score(y_val, last.predict(X_val), sample_weight=weights)
    assert model.validation_scores_[-1] == pytest.approx(expected, rel=1e-12)


def test_regressor_with_a_validation_set_of_its_own():
    X, y = make_regression(300, 5, noise=3.0, random_state=0)
    y = y / 100
    model = MLPRegressor(early_stopping=True, max_iter=30, n_iter_no_change=3, **PARAMS)
    model.fit(X[:200], y[:200], X_val=X[200:], y_val=y[200:])
    assert len(model.validation_scores_) == model.n_iter_ <= 30
    assert model.score(X[200:], y[200:]) == pytest.approx(model.best_validation_score_,
                                                          rel=1e-12)


def stream(X, y, n_blocks):
    return zip(np.array_split(X, n_blocks), np.array_split(y, n_blocks), strict=True)


def test_partial_fit_stops_across_calls_and_restores_the_best_weights():
    X, y, X_val, y_val = split_classification()
    patience = 3
    # tol=1 (a whole accuracy point) makes every call after the first count as "no
    # improvement", so the stop comes at call patience + 2, whatever the scores are.
    settings = dict(PARAMS, tol=1.0, n_iter_no_change=patience)
    plain = MLPClassifier(**settings)
    weights, scores = [], []
    for X_block, y_block in stream(X, y, 10):
        plain.partial_fit(X_block, y_block, classes=[0, 1, 2])
        weights.append(plain._net.parameters.copy())
        scores.append(plain.score(X_val, y_val))
    model = MLPClassifier(early_stopping=True, **settings)
    for call, (X_block, y_block) in enumerate(stream(X, y, 10)):
        if call <= patience + 1:
            model.partial_fit(X_block, y_block, classes=[0, 1, 2], X_val=X_val, y_val=y_val)
            continue
        before = model._net.parameters.copy()
        with pytest.warns(UserWarning, match="early stopping ended training"):
            model.partial_fit(X_block, y_block, X_val=X_val, y_val=y_val)
        np.testing.assert_array_equal(model._net.parameters, before)
    stop = patience + 2
    assert model.validation_scores_ == scores[:stop]
    best = int(np.argmax(scores[:stop]))
    np.testing.assert_array_equal(model._net.parameters, weights[best])
    assert model.t_ == sum(len(b) for b in np.array_split(y, 10)[:stop])


def test_partial_fit_keeps_training_while_the_score_improves():
    """Before a stop, partial_fit continues from the current weights (not the best)."""
    X, y, X_val, y_val = split_classification()
    plain, model = MLPClassifier(**PARAMS), MLPClassifier(early_stopping=True, **PARAMS)
    for X_block, y_block in stream(X, y, 4):
        plain.partial_fit(X_block, y_block, classes=[0, 1, 2])
        model.partial_fit(X_block, y_block, classes=[0, 1, 2], X_val=X_val, y_val=y_val)
    np.testing.assert_array_equal(model._net.parameters, plain._net.parameters)
    assert len(model.validation_scores_) == 4 and not model._early_stopped


def test_streaming_state_survives_a_model_file(tmp_path):
    X, y, X_val, y_val = split_classification()
    model = MLPClassifier(early_stopping=True, tol=1.0, n_iter_no_change=1, **PARAMS)
    blocks = list(stream(X, y, 6))
    for X_block, y_block in blocks[:2]:
        model.partial_fit(X_block, y_block, classes=[0, 1, 2], X_val=X_val, y_val=y_val)
    model.save(tmp_path / "streaming.fastmlp")
    loaded = fastmlp.load(tmp_path / "streaming.fastmlp")
    np.testing.assert_array_equal(loaded._best_parameters, model._best_parameters)
    assert loaded._no_improvement_count == model._no_improvement_count == 1
    assert loaded.validation_scores_ == model.validation_scores_
    # One more call runs out the patience in both (the loaded model continues with a fresh
    # optimizer, so its third epoch differs), and both end on their best validated weights.
    for estimator in (loaded, model):
        estimator.partial_fit(*blocks[2], X_val=X_val, y_val=y_val)
        assert estimator._early_stopped
        scores = estimator.validation_scores_
        assert len(scores) == 3
        np.testing.assert_array_equal(estimator._net.parameters, estimator._best_parameters)
        assert estimator.best_validation_score_ == max(scores)
    assert loaded.validation_scores_[:2] == model.validation_scores_[:2]
    loaded.save(tmp_path / "stopped.fastmlp")
    stopped = fastmlp.load(tmp_path / "stopped.fastmlp")
    with pytest.warns(UserWarning, match="changes nothing"):
        stopped.partial_fit(*blocks[3], X_val=X_val, y_val=y_val)


@pytest.mark.parametrize(
    "model, arguments, message",
    [
        (MLPClassifier(), dict(X_val="X", y_val="y"), "set early_stopping=True"),
        (MLPClassifier(early_stopping=True), dict(X_val="X"), "pass both"),
        (MLPClassifier(early_stopping=True), dict(sample_weight_val="w"), "needs X_val"),
        (MLPClassifier(early_stopping=True, solver="lbfgs"), dict(X_val="X", y_val="y"),
         "stochastic solver"),
        (MLPClassifier(early_stopping=True), dict(X_val="X", y_val="unseen"),
         r"y_val has classes not in classes_ \[0 1 2\]: \[7\]"),
        (MLPClassifier(early_stopping=True), dict(X_val="narrow", y_val="y"),
         "has 5 features"),
        (MLPClassifier(early_stopping=True), dict(X_val="X", y_val="short"),
         "X_val has 100 samples but y_val has 10"),
        (MLPRegressor(early_stopping=True, loss="poisson"), dict(X_val="X", y_val="negative"),
         "targets y_val >= 0"),
    ],
    ids=["no-early-stopping", "X-alone", "weights-alone", "lbfgs", "unseen-class",
         "wrong-width", "wrong-length", "poisson-negative"],
)
def test_bad_validation_sets_are_refused_with_advice(model, arguments, message):
    X, y, X_val, y_val = split_classification()
    values = {"X": X_val, "y": y_val, "w": np.ones(len(y_val)), "unseen": np.full(100, 7),
              "narrow": X_val[:, 1:], "short": y_val[:10], "negative": -np.ones(100)}
    arguments = {name: values[value] for name, value in arguments.items()}
    target = np.abs(y) if isinstance(model, MLPRegressor) else y
    with pytest.raises(ValueError, match=message):
        model.set_params(max_iter=2).fit(X, target, **arguments)


def test_partial_fit_with_early_stopping_needs_a_validation_set():
    X, y, _, _ = split_classification()
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True "
                                         "without a validation set of your own"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
