"""fit's behaviour: history, validation, callbacks, progress, shuffling, divergence."""

import numpy as np
import pytest

import fastmlp


@pytest.fixture
def blobs(rng):
    X = np.concatenate([rng.normal(-1, 0.7, (60, 2)), rng.normal(1, 0.7, (60, 2))])
    y = np.repeat([0, 1], 60)
    return X, y


def test_history_has_one_loss_per_epoch_and_decreases(blobs):
    X, y = blobs
    net = fastmlp.MLP([2, 8, 1], seed=1).fit(X, y, epochs=200, lr=0.3)
    loss = net.history["loss"]
    assert loss.shape == (200,)
    assert loss[-1] < loss[0] * 0.5
    assert net.loss(X, y) < loss[-1]  # measured after the last update


def test_epoch_by_epoch_path_gives_the_same_result_as_one_call(blobs):
    X, y = blobs
    one_call = fastmlp.MLP([2, 8, 2], loss="cross_entropy", seed=4)
    stepwise = fastmlp.MLP([2, 8, 2], loss="cross_entropy", seed=4)
    settings = dict(epochs=30, lr=0.1, batch_size=16, optimizer="adam")
    one_call.fit(X, y, **settings)
    seen = []
    stepwise.fit(X, y, callback=lambda epoch, logs: seen.append((epoch, logs["loss"])),
                 validation_data=(X, y), **settings)
    np.testing.assert_array_equal(one_call.parameters, stepwise.parameters)
    np.testing.assert_array_equal(one_call.history["loss"], stepwise.history["loss"])
    assert [epoch for epoch, _ in seen] == list(range(1, 31))
    assert stepwise.history["val_loss"].shape == (30,)
    assert 0.9 <= stepwise.history["val_accuracy"][-1] <= 1.0
    # The validation loss is the mean loss at the epoch's final weights.
    assert stepwise.history["val_loss"][-1] == pytest.approx(stepwise.loss(X, y), rel=1e-12)


def test_callback_returning_true_stops_training(blobs):
    X, y = blobs
    net = fastmlp.MLP([2, 4, 1]).fit(X, y, epochs=100, lr=0.1,
                                     callback=lambda epoch, logs: epoch == 7)
    assert net.history["loss"].shape == (7,)


def test_progress_bar_shows_epochs_and_loss(blobs, capsys):
    X, y = blobs
    fastmlp.MLP([2, 4, 1]).fit(X, y, epochs=5, lr=0.1, progress=True)
    err = capsys.readouterr().err
    assert "5/5" in err and "loss=" in err


def test_same_seed_same_weights_and_shuffling_changes_the_run(blobs):
    X, y = blobs

    def train(seed, shuffle):
        return fastmlp.MLP([2, 6, 1], seed=seed).fit(
            X, y, epochs=5, lr=0.1, batch_size=8, shuffle=shuffle
        ).parameters

    np.testing.assert_array_equal(train(3, True), train(3, True))
    assert not np.array_equal(train(3, True), train(3, False))


def test_full_batch_does_not_depend_on_shuffle(blobs):
    X, y = blobs
    runs = [fastmlp.MLP([2, 6, 1], seed=2).fit(X, y, epochs=20, lr=0.2, shuffle=s).parameters
            for s in (True, False)]
    np.testing.assert_array_equal(*runs)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_divergence_stops_with_the_epoch_named_and_last_finite_weights_kept(dtype, rng):
    X = rng.normal(size=(50, 3)) * 100
    y = rng.normal(size=50) * 100
    net = fastmlp.MLP([3, 16, 1], activation="relu", loss="squared_error", dtype=dtype, seed=0)
    snapshots = []
    with pytest.raises(fastmlp.DivergenceError, match=r"epoch \d+.*smaller learning rate"):
        net.fit(X, y, epochs=1000, lr=10.0,
                callback=lambda epoch, logs: snapshots.append(net.parameters.copy()))
    completed = len(net.history["loss"])
    assert completed == len(snapshots)
    assert np.isfinite(net.parameters).all()
    assert np.isfinite(net.history["loss"]).all()
    if completed:
        np.testing.assert_array_equal(net.parameters, snapshots[-1])


def test_divergence_in_one_compiled_call_keeps_finite_weights(rng):
    X = rng.normal(size=(50, 3)) * 100
    y = rng.normal(size=50) * 100
    net = fastmlp.MLP([3, 16, 1], activation="relu", loss="squared_error", seed=0)
    with pytest.raises(fastmlp.DivergenceError) as error:
        net.fit(X, y, epochs=1000, lr=10.0)
    completed = len(net.history["loss"])
    assert f"epoch {completed + 1}" in str(error.value)
    assert np.isfinite(net.parameters).all()


def test_multilabel_binary_cross_entropy(rng):
    X = rng.normal(size=(200, 3))
    Y = np.stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0], axis=1).astype(int)
    net = fastmlp.MLP([3, 8, 2], seed=0).fit(X, Y, epochs=300, lr=0.5)
    assert net.predict(X).shape == (200, 2)
    assert np.mean(net.predict(X) == Y) > 0.95


def test_per_layer_activations_and_regression(rng):
    X = rng.uniform(-2, 2, size=(300, 1))
    y = np.sin(X[:, 0])
    net = fastmlp.MLP([1, 16, 16, 1], activation=["tanh", "leaky_relu"], loss="squared_error",
                      init="glorot", seed=0)
    net.fit(X, y, epochs=300, lr=0.01, batch_size=32, optimizer="adam")
    assert net.activation == ("tanh", "leaky_relu")
    assert net.predict(X).shape == (300,)
    assert np.mean((net.predict(X) - y) ** 2) < 0.01


def test_fit_leaves_the_callers_arrays_untouched(rng):
    X = np.asfortranarray(rng.normal(size=(40, 3)))
    y = rng.integers(0, 3, 40)
    X_copy, y_copy = X.copy(), y.copy()
    X.setflags(write=False)
    net = fastmlp.MLP([3, 5, 3], loss="cross_entropy", dtype="float32")
    net.fit(X, y, epochs=3, lr=0.1, batch_size=7)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    assert net.predict(X).shape == (40,)


def test_weights_are_writable_views_into_the_parameter_vector():
    net = fastmlp.MLP([2, 3, 1])
    net.weights[0][1, 0] = 42.0
    net.biases[1][0] = -7.0
    assert 42.0 in net.parameters and -7.0 in net.parameters
    assert net.weights[0].shape == (3, 2) and net.weights[1].shape == (1, 3)
    assert all(np.shares_memory(W, net.parameters) for W in net.weights + net.biases)
    assert net.parameters.size == 3 * 2 + 3 + 3 + 1


@pytest.mark.parametrize("init", ["normal", "glorot", "he", "playground"])
def test_initialisation_schemes(init):
    net = fastmlp.MLP([50, 200, 1], init=init, seed=0)
    W, b = net.weights[0], net.biases[0]
    expected_std = {"normal": 1.0, "glorot": np.sqrt(6 / 250) / np.sqrt(3),
                    "he": np.sqrt(2 / 50), "playground": 1 / np.sqrt(12)}[init]
    assert W.std() == pytest.approx(expected_std, rel=0.05)
    assert np.all(b == (0.1 if init == "playground" else 0.0))
    if init == "playground":
        assert W.min() >= -0.5 and W.max() < 0.5
