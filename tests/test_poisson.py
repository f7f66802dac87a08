"""The Poisson loss (log link, half the Poisson deviance) against scikit-learn's."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.neural_network import MLPRegressor as SkRegressor

import fastmlp
from fastmlp import MLPRegressor


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def counts(n_targets=1, n_samples=240, seed=0):
    """Counts drawn from a log-linear model of 6 features: zeros included."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 6))
    coefficients = rng.normal(scale=0.4, size=(6, n_targets))
    y = rng.poisson(np.exp(X @ coefficients + 0.3)).astype(float)
    return X, (y.ravel() if n_targets == 1 else y)


SETTINGS = {
    "adam": dict(learning_rate_init=0.01),
    "sgd-nesterov-invscaling": dict(solver="sgd", learning_rate="invscaling",
                                    learning_rate_init=0.05, alpha=1e-2),
    "sgd-adaptive": dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.02,
                         tol=1e-2, n_iter_no_change=2, batch_size=32),
    "adam-tanh-early-stopping": dict(activation="tanh", early_stopping=True,
                                     learning_rate_init=0.01),
}


@pytest.mark.parametrize("n_targets", [1, 3])
@pytest.mark.parametrize("settings", SETTINGS)
def test_poisson_follows_sklearns_training_path(settings, n_targets):
    X, y = counts(n_targets)
    assert (y == 0).any()
    params = dict(loss="poisson", hidden_layer_sizes=(10, 6), random_state=2, max_iter=25,
                  **SETTINGS[settings])
    theirs = SkRegressor(**params).fit(X, y)
    ours = MLPRegressor(**params).fit(X, y)
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    assert ours.n_iter_ == theirs.n_iter_ and ours.t_ == theirs.t_
    for got, want in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_,
                         strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)
    # Half the Poisson deviance summed over the outputs: the same figure in both libraries.
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9)
    if ours.early_stopping:
        np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_,
                                   rtol=1e-9)


def test_poisson_lbfgs_follows_sklearn_and_equals_the_glm():
    """scikit-learn's own check: one identity hidden unit makes the net a Poisson GLM."""
    rng = np.random.default_rng(0)
    X = np.linspace(0, 1, 100).reshape(-1, 1)
    y = rng.poisson(np.exp(X.ravel() + 1))
    params = dict(loss="poisson", hidden_layer_sizes=(1,), activation="identity", alpha=0,
                  solver="lbfgs", tol=1e-7)
    ours = MLPRegressor(random_state=np.random.RandomState(1), **params).fit(X, y)
    theirs = SkRegressor(random_state=np.random.RandomState(1), **params).fit(X, y)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6)
    glm = PoissonRegressor(alpha=0, tol=1e-7).fit(X, y)
    np.testing.assert_allclose(ours.predict(X), glm.predict(X), rtol=1e-4)


def test_poisson_loss_and_gradient_equal_sklearns_backprop():
    X, y = counts(2)
    weights = np.random.default_rng(1).uniform(0.5, 1.5, len(X))
    theirs = SkRegressor(loss="poisson", hidden_layer_sizes=(7,), activation="tanh",
                         alpha=0.3, max_iter=2, random_state=0).fit(X, y)
    ours = fastmlp.from_sklearn(theirs)
    assert ours.loss == "poisson"
    coef_grads = [np.empty_like(c) for c in theirs.coefs_]
    intercept_grads = [np.empty_like(b) for b in theirs.intercepts_]
    loss, coef_grads, intercept_grads = theirs._backprop(
        X, y, weights, [X, None, None], [None, None], coef_grads, intercept_grads
    )
    penalty = 0.3 / weights.sum()
    assert ours._net.loss(X, y, l2=penalty, sample_weight=weights) == pytest.approx(
        loss, rel=1e-10)
    dWs, dbs = ours._net.gradients(X, y, l2=penalty, sample_weight=weights)
    for dW, coef_grad in zip(dWs, coef_grads, strict=True):
        np.testing.assert_allclose(dW.T, coef_grad, rtol=1e-10, atol=1e-13)
    for db, intercept_grad in zip(dbs, intercept_grads, strict=True):
        np.testing.assert_allclose(db, intercept_grad, rtol=1e-10, atol=1e-13)


def test_poisson_converts_both_ways_and_round_trips_a_file(tmp_path):
    X, y = counts()
    ours = MLPRegressor(loss="poisson", hidden_layer_sizes=(5,), max_iter=10,
                        random_state=0).fit(X, y)
    theirs = ours.to_sklearn()
    assert theirs.loss == "poisson"
    np.testing.assert_allclose(theirs.predict(X), ours.predict(X), rtol=1e-12)
    back = fastmlp.from_sklearn(theirs)
    assert back.get_params() == ours.get_params()
    path = tmp_path / "poisson.npz"
    ours.save(path)
    loaded = fastmlp.load(path)
    assert loaded.loss == "poisson"
    np.testing.assert_array_equal(loaded.predict(X), ours.predict(X))


def test_poisson_predictions_are_positive_means_fitting_the_counts():
    X, y = counts(n_samples=2000)
    model = MLPRegressor(loss="poisson", hidden_layer_sizes=(16,), max_iter=60,
                         learning_rate_init=0.01, random_state=0).fit(X, y)
    predicted = model.predict(X)
    assert predicted.min() > 0
    # The log link's fit matches the total count on the training data (a property of
    # the canonical link at a stationary point, approached here to within a few percent).
    assert predicted.sum() == pytest.approx(y.sum(), rel=0.05)


def test_poisson_refuses_negative_targets_with_advice():
    X, y = counts()
    y[3] = -1.0
    with pytest.raises(ValueError, match=r"y >= 0.*squared_error"):
        MLPRegressor(loss="poisson", max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="non-negative"):
        fastmlp.MLP([6, 4, 1], loss="poisson").fit(X, y, epochs=1)


def test_core_mlp_poisson_head_trains_by_gradient_descent():
    X, y = counts()
    net = fastmlp.MLP([6, 8, 1], activation="tanh", loss="poisson", init="glorot", seed=0)
    assert net.output == "exp" and not net.is_classifier
    net.fit(X, y, epochs=200, lr=0.05)
    assert net.history["loss"][-1] < 0.8 * net.history["loss"][0]
    np.testing.assert_allclose(net.predict(X), np.exp(net.decision_function(X)).ravel(),
                               rtol=1e-12)
