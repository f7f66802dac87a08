"""Inverted dropout: masks drawn in the kernels, checked against a reference in numpy."""

import naive
import numpy as np
import pytest
from problems import ACTIVATIONS, make_problem

import fastmlp


def masked_objective_and_gradient(net, X, Y, rates, key):
    """The kernels' mean loss and gradient for one batch of X under key ``key``."""
    work = net.workspace(X, parallel=False)
    total = net.summed_loss(X, Y, work, True, None, rates, key)
    return total / X.shape[0], work["group_grads"][0].copy()


def flat(dWs, dbs):
    return np.concatenate([np.concatenate([dW.ravel(), db]) for dW, db in zip(dWs, dbs,
                                                                              strict=True)])


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("head", [("cross_entropy", "softmax"), ("squared_error", "identity"),
                                  ("binary_cross_entropy", "sigmoid")],
                         ids=lambda h: h[0])
def test_gradient_under_a_fixed_mask_equals_numpy_and_central_differences(activation, head,
                                                                          rng):
    net, X, Y = make_problem([3, 6, 5, 2], activation, head, "float64", rng, n_samples=17)
    rates, key = np.array([0.3, 0.5]), int(rng.integers(2**63))
    masks = naive.dropout_masks(net.sizes, rates, key, X.shape[0])
    assert all(0 < (mask == 0).mean() < 1 for mask in masks)  # some kept, some dropped
    loss, gradient = masked_objective_and_gradient(net, X, Y, rates, key)
    Ws, bs, names = list(net.weights), list(net.biases), list(net.activation)
    assert loss == pytest.approx(naive.objective_masked(Ws, bs, names, *head, X, Y, masks),
                                 rel=1e-12)
    np.testing.assert_allclose(gradient, flat(*naive.gradients_masked(Ws, bs, names, *head, X,
                                                                      Y, masks)),
                               rtol=1e-10, atol=1e-13)
    numeric = np.empty_like(gradient)
    theta = net.parameters
    for i in range(theta.size):
        saved = theta[i]
        theta[i] = saved + 1e-6
        plus, _ = masked_objective_and_gradient(net, X, Y, rates, key)
        theta[i] = saved - 1e-6
        minus, _ = masked_objective_and_gradient(net, X, Y, rates, key)
        theta[i] = saved
        numeric[i] = (plus - minus) / 2e-6
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-7)


def test_units_are_kept_with_probability_one_minus_the_rate():
    draws = [naive.dropout_keeps(7, unit, position, 0.3)
             for unit in range(40) for position in range(250)]
    kept = np.mean(draws)
    standard_error = np.sqrt(0.7 * 0.3 / len(draws))
    assert abs(kept - 0.7) < 5 * standard_error


def test_the_mean_of_many_masked_passes_is_the_unmasked_pass(rng):
    """With dropout on the last hidden layer and an identity output, the output bias's
    gradient is the mean of (output - y), linear in the masked activations: over many
    masks it averages to the unmasked gradient, within the sampling error."""
    net, X, Y = make_problem([4, 16, 2], "tanh", ("squared_error", "identity"), "float64",
                             rng, n_samples=25)
    bias = slice(net.parameters.size - 2, None)
    _, unmasked = masked_objective_and_gradient(net, X, Y, None, 0)
    samples = np.array([masked_objective_and_gradient(net, X, Y, np.array([0.5]), key)[1][bias]
                        for key in range(1, 2001)])
    standard_error = samples.std(axis=0) / np.sqrt(len(samples))
    assert np.all(standard_error > 0)
    assert np.all(np.abs(samples.mean(axis=0) - unmasked[bias]) < 5 * standard_error)


@pytest.mark.parametrize("batch_size", [None, 16])
def test_rate_zero_is_bit_identical_to_no_dropout(batch_size, rng):
    net, X, Y = make_problem([3, 8, 6, 2], "relu", ("cross_entropy", "softmax"), "float64",
                             rng, n_samples=64)
    start = net.parameters.copy()
    results = []
    for dropout in (None, 0.0, [0.0, 0.0]):
        model = fastmlp.MLP(net.sizes, activation="relu", loss="cross_entropy", seed=3)
        model.parameters[...] = start
        extra = {} if dropout is None else {"dropout": dropout}
        model.fit(X, Y, epochs=5, lr=0.1, batch_size=batch_size, optimizer="adam", **extra)
        results.append((model.parameters.copy(), model.history["loss"].copy()))
    for parameters, losses in results[1:]:
        np.testing.assert_array_equal(parameters, results[0][0])
        np.testing.assert_array_equal(losses, results[0][1])


def test_dropout_runs_are_reproducible_and_differ_from_no_dropout(rng):
    net, X, Y = make_problem([3, 8, 6, 2], "tanh", ("cross_entropy", "softmax"), "float64",
                             rng, n_samples=64)
    runs = []
    for dropout in (0.3, 0.3, 0.0):
        model = fastmlp.MLP(net.sizes, activation="tanh", loss="cross_entropy", seed=3)
        model.fit(X, Y, epochs=3, lr=0.1, batch_size=16, dropout=dropout)
        runs.append(model.parameters.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])


def test_dropout_reduces_overfitting_on_held_out_data():
    """A wide network on few noisy points: without dropout it fits the noise."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (400, 10))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.6, size=400) > 0).astype(float)
    X_train, y_train, X_test, y_test = X[:100], y[:100], X[100:], y[100:]
    held_out = {}
    for dropout in (0.0, 0.5):
        net = fastmlp.MLP([10, 256, 256, 1], activation="relu", init="he", seed=1)
        net.fit(X_train, y_train, epochs=300, lr=1e-3, batch_size=20, optimizer="adam",
                dropout=dropout)
        held_out[dropout] = net.loss(X_test, y_test)
    assert held_out[0.5] < 0.9 * held_out[0.0], held_out


@pytest.mark.parametrize(
    "dropout, error, message",
    [
        (1.0, ValueError, r"dropout must be < 1"),
        (-0.1, ValueError, r"dropout must be >= 0"),
        ([0.1], ValueError, r"one rate per hidden layer \(2\)"),
        ("0.5", TypeError, "dropout must be a rate"),
        ([0.1, float("nan")], ValueError, r"dropout\[1\] must be finite"),
    ],
)
def test_bad_rates_are_refused(dropout, error, message, rng):
    net, X, Y = make_problem([3, 4, 4, 2], "tanh", ("cross_entropy", "softmax"), "float64",
                             rng, n_samples=8)
    with pytest.raises(error, match=message):
        net.fit(X, Y, epochs=1, lr=0.1, dropout=dropout)
    with pytest.raises(ValueError, match="has none"):
        fastmlp.MLP([3, 2], loss="cross_entropy").fit(X, Y, epochs=1, lr=0.1, dropout=0.5)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_estimators_take_dropout_reproducibly_and_round_trip(tmp_path):
    import pickle

    from sklearn.base import clone
    from sklearn.datasets import make_classification

    X, y = make_classification(300, 8, n_informative=5, random_state=0)
    params = dict(hidden_layer_sizes=(16, 8), max_iter=5, random_state=0)
    plain = fastmlp.MLPClassifier(**params).fit(X, y)
    zero = fastmlp.MLPClassifier(dropout=0.0, **params).fit(X, y)
    np.testing.assert_array_equal(zero._net.parameters, plain._net.parameters)
    first = fastmlp.MLPClassifier(dropout=[0.2, 0.4], **params).fit(X, y)
    again = clone(first).fit(X, y)
    np.testing.assert_array_equal(first._net.parameters, again._net.parameters)
    assert not np.allclose(first._net.parameters, plain._net.parameters)
    path = tmp_path / "dropout.fastmlp"
    first.save(path)
    for copy in (fastmlp.load(path), pickle.loads(pickle.dumps(first))):
        assert copy.get_params()["dropout"] == [0.2, 0.4]
        np.testing.assert_array_equal(copy.predict_proba(X), first.predict_proba(X))
    # Inference uses the whole network, so scikit-learn's MLP predicts the same.
    np.testing.assert_allclose(first.to_sklearn().predict_proba(X), first.predict_proba(X),
                               rtol=1e-12)
    streamed = fastmlp.MLPRegressor(hidden_layer_sizes=(8,), dropout=0.3, random_state=0)
    for block in np.array_split(np.arange(300), 3):
        streamed.partial_fit(X[block], y[block].astype(float))
    assert len(streamed.loss_curve_) == 3


def test_estimators_refuse_dropout_with_lbfgs():
    from sklearn.datasets import make_classification

    X, y = make_classification(50, 4, random_state=0)
    with pytest.raises(ValueError, match="dropout needs a stochastic solver"):
        fastmlp.MLPClassifier(solver="lbfgs", dropout=0.2).fit(X, y)
    with pytest.raises(ValueError, match="dropout must be < 1"):
        fastmlp.MLPClassifier(dropout=1.0).fit(X, y)
