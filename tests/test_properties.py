"""Properties over random networks (hypothesis): architectures of 1-5 hidden layers of
1-64 units, every activation and head, penalties, batch sizes and dtypes.

The examples come from the profile set in conftest.py: 40 fixed examples per property
by default, so every run (and CI) checks the same ones; ``--hypothesis-profile=wide``
searches 300 random ones.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from problems import ACTIVATIONS, HEADS, make_targets

import fastmlp


@st.composite
def problems(draw, dtype="float64", max_samples=40):
    n_hidden = draw(st.integers(1, 5))
    widths = draw(st.lists(st.integers(1, 64), min_size=n_hidden, max_size=n_hidden))
    n_inputs = draw(st.integers(1, 6))
    loss, output = draw(st.sampled_from(HEADS))
    n_outputs = draw(st.integers(2 if loss == "cross_entropy" else 1, 4))
    activation = draw(st.lists(st.sampled_from(ACTIVATIONS), min_size=n_hidden,
                               max_size=n_hidden))
    n_samples = draw(st.integers(1, max_samples))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    net = fastmlp.MLP([n_inputs, *widths, n_outputs], activation=activation, loss=loss,
                      output=output, init="glorot", dtype=dtype, seed=seed)
    for b in net.biases:
        b[...] = rng.normal(scale=0.2, size=b.shape)
    X = rng.normal(size=(n_samples, n_inputs))
    Y = make_targets(loss, output, n_samples, n_outputs, rng)
    return net, X, Y, rng


def flat(dWs, dbs):
    return np.concatenate([np.concatenate([dW.ravel(), db]) for dW, db in zip(dWs, dbs,
                                                                               strict=True)])


@given(problems(), st.sampled_from([(0.0, 0.0), (0.0, 0.05), (0.01, 0.02)]))
def test_gradients_match_central_differences(problem, penalty):
    net, X, Y, rng = problem
    l1, l2 = penalty
    analytic = flat(*net.gradients(X, Y, l1=l1, l2=l2))
    theta = net.parameters
    step = 1e-6
    for i in rng.choice(theta.size, size=min(theta.size, 12), replace=False):
        original = theta[i]
        theta[i] = original + step
        plus = net.loss(X, Y, l1=l1, l2=l2)
        theta[i] = original - step
        minus = net.loss(X, Y, l1=l1, l2=l2)
        theta[i] = original
        numeric = (plus - minus) / (2 * step)
        # Kinks (relu at 0, |w| at 0) are met with probability zero by random data;
        # central differences are exact to about step^2 plus 1e-16 / step.
        assert abs(analytic[i] - numeric) <= 1e-5 * max(1.0, abs(numeric)), (i, analytic[i],
                                                                               numeric)


@given(problems())
def test_float32_tracks_float64(problem):
    net, X, Y, _ = problem
    single = fastmlp.MLP(net.sizes, activation=list(net.activation), loss=net.loss_name,
                         output=net.output, dtype="float32")
    single.parameters[:] = net.parameters
    X32 = X.astype(np.float32).astype(np.float64)
    loss64 = net.loss(X32, Y)
    assert abs(single.loss(X32, Y) - loss64) <= 1e-4 * max(1.0, abs(loss64))
    g64 = flat(*net.gradients(X32, Y))
    g32 = flat(*single.gradients(X32, Y))
    scale = max(1.0, np.abs(g64).max())
    assert np.abs(g32 - g64).max() <= 2e-3 * scale


@given(problems(), st.sampled_from([0.0, 0.01]))
def test_a_small_full_batch_step_never_raises_the_objective(problem, l2):
    net, X, Y, _ = problem
    before = net.loss(X, Y, l2=l2)
    gradient = flat(*net.gradients(X, Y, l2=l2))
    norm = np.linalg.norm(gradient)
    lr = min(1e-2, 1e-4 / max(norm, 1e-12))  # a step of length at most 1e-4
    net.fit(X, Y, epochs=1, lr=lr, l2=l2)
    # In full-batch mode the epoch's figure is the objective at the starting weights.
    assert np.isclose(net.history["loss"][0], before, rtol=1e-12)
    after = net.loss(X, Y, l2=l2)
    assert after <= before + 1e-12 * max(1.0, abs(before))


@given(problems(max_samples=300), st.integers(1, 64), st.sampled_from(["sgd", "adam"]),
       st.sampled_from(["float64", "float32"]))
def test_same_seed_gives_bit_identical_weights(problem, batch_size, optimizer, dtype):
    net, X, Y, _ = problem

    def train():
        copy = fastmlp.MLP(net.sizes, activation=list(net.activation), loss=net.loss_name,
                           output=net.output, init="glorot", dtype=dtype, seed=7)
        try:
            copy.fit(X, Y, epochs=3, lr=1e-3, batch_size=batch_size, optimizer=optimizer)
        except fastmlp.DivergenceError:
            pass  # a run that diverges must do so identically too
        return copy.parameters, copy.history["loss"]

    first, second = train(), train()
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


@given(problems(max_samples=400), st.data())
def test_predictions_do_not_depend_on_how_the_rows_are_chunked(problem, data):
    net, X, _, _ = problem
    cut = data.draw(st.integers(0, X.shape[0]))
    whole = net.decision_function(X)
    parts = [net.decision_function(part) for part in (X[:cut], X[cut:]) if len(part)]
    np.testing.assert_allclose(np.concatenate(parts), whole, rtol=1e-12, atol=1e-12)
