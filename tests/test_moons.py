"""Two moons and their train/test split, drawn without scikit-learn: bit for bit its arrays."""

import numpy as np
import pytest
from sklearn.datasets import make_moons as sklearn_make_moons
from sklearn.model_selection import train_test_split as sklearn_train_test_split

from fastmlp.datasets import make_moons, train_test_split


def assert_same_arrays(got, want):
    """Equal values, shapes and dtypes, array by array."""
    assert len(got) == len(want)
    for got_array, want_array in zip(got, want, strict=True):
        np.testing.assert_array_equal(got_array, want_array, strict=True)


@pytest.mark.parametrize("n_samples", [1, 2, 3, 100, 101, 500, (0, 3), (3, 0), (4, 7), (0, 0)])
@pytest.mark.parametrize("noise", [None, 0, 0.2])
@pytest.mark.parametrize("random_state", [0, 42, 2**32 - 1])
def test_make_moons_equals_scikit_learn_for_an_int_seed(n_samples, noise, random_state):
    assert_same_arrays(make_moons(n_samples, noise=noise, random_state=random_state),
                       sklearn_make_moons(n_samples, noise=noise, random_state=random_state))


@pytest.mark.parametrize("noise", [None, 0.2])
def test_make_moons_draws_from_a_random_state_as_scikit_learn_does(noise):
    ours, theirs = np.random.RandomState(7), np.random.RandomState(7)
    for n_samples in (50, 51, (5, 9)):  # the state advances identically from call to call
        assert_same_arrays(make_moons(n_samples, noise=noise, random_state=ours),
                           sklearn_make_moons(n_samples, noise=noise, random_state=theirs))
    assert ours.randint(2**31) == theirs.randint(2**31)


def test_make_moons_without_a_seed_draws_from_numpys_global_random_state():
    # The legacy global state is what random_state=None means here, as in scikit-learn.
    saved = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(5)  # noqa: NPY002
        ours = make_moons(61, noise=0.1)
        np.random.seed(5)  # noqa: NPY002
        theirs = sklearn_make_moons(61, noise=0.1)
    finally:
        np.random.set_state(saved)  # noqa: NPY002
    assert_same_arrays(ours, theirs)


def test_make_moons_without_a_seed_returns_two_labelled_moons():
    X, y = make_moons(9, noise=0.05)
    assert (X.shape, X.dtype, y.shape, y.dtype) == ((9, 2), np.float64, (9,), np.intp)
    assert np.bincount(y).tolist() == [4, 5]


@pytest.mark.parametrize("n_samples", [2, 3, 10, 101, 500])
@pytest.mark.parametrize("test_size", [0.1, 0.25, 0.3, 0.5, 0.9])
@pytest.mark.parametrize("random_state", [0, 42, 2**32 - 1])
def test_split_equals_scikit_learn(n_samples, test_size, random_state):
    rng = np.random.default_rng(n_samples)
    X = rng.normal(size=(n_samples, 3)).astype(np.float32)
    y = rng.integers(0, 2, n_samples)
    try:
        want = sklearn_train_test_split(X, y, test_size=test_size, random_state=random_state)
    except ValueError:  # no point left for training
        with pytest.raises(ValueError, match="training set needs at least one point"):
            train_test_split(X, y, test_size=test_size, random_state=random_state)
        return
    got = train_test_split(X, y, test_size=test_size, random_state=random_state)
    assert_same_arrays(got, want)


def test_split_of_the_two_moons_experiment_equals_scikit_learn():
    X, y = make_moons(500, noise=0.2, random_state=42)
    got = train_test_split(X, y, test_size=0.3, random_state=42)
    assert [part.shape[0] for part in got] == [350, 150, 350, 150]
    assert_same_arrays(got, sklearn_train_test_split(X, y, test_size=0.3, random_state=42))


def test_split_leaves_its_inputs_unchanged():
    X, y = make_moons(20, random_state=0)
    X_before, y_before = X.copy(), y.copy()
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.5, random_state=0)
    X_train[:] = 0
    y_train[:] = 0
    assert_same_arrays((X, y), (X_before, y_before))


X_TEN, Y_TEN = np.zeros((10, 2)), np.zeros(10)


@pytest.mark.parametrize(("arguments", "error", "message"), [
    (dict(n_samples=0), ValueError, "n_samples must be at least 1"),
    (dict(n_samples=2.5), TypeError, "n_samples must be an integer"),
    (dict(n_samples=True), TypeError, "n_samples must be an integer"),
    (dict(n_samples=[3, 4]), TypeError, "n_samples must be an integer"),
    (dict(n_samples=(1, 2, 3)), ValueError, r"an int or a tuple \(n_outer, n_inner\)"),
    (dict(n_samples=(-1, 3)), ValueError, r"n_samples\[0\] must be at least 0"),
    (dict(n_samples=(2, 1.5)), TypeError, r"n_samples\[1\] must be an integer"),
    (dict(noise=-0.1), ValueError, "noise must be >= 0"),
    (dict(noise=np.inf), ValueError, "noise must be finite"),
    (dict(noise="0.2"), TypeError, "noise must be a real number"),
    (dict(random_state=-1), ValueError, "random_state must be at least 0"),
    (dict(random_state=2**32), ValueError, r"random_state must be at most 2\*\*32 - 1"),
    (dict(random_state=1.5), TypeError, "an int, a numpy RandomState or None"),
    (dict(random_state=np.random.default_rng(0)), TypeError,
     "an int, a numpy RandomState or None"),
])
def test_make_moons_rejects_bad_input(arguments, error, message):
    with pytest.raises(error, match=message):
        make_moons(**arguments)


@pytest.mark.parametrize(("arguments", "error", "message"), [
    (dict(test_size=0.0), ValueError, "test_size must be > 0"),
    (dict(test_size=1.0), ValueError, "test_size must be < 1"),
    (dict(test_size=30), ValueError, "test_size must be < 1"),
    (dict(test_size="0.3"), TypeError, "test_size must be a real number"),
    (dict(test_size=0.95), ValueError, "leaves 0 of 10 points for training"),
    (dict(random_state=None), TypeError, "random_state must be an integer"),
    (dict(random_state=-1), ValueError, "random_state must be at least 0"),
    (dict(random_state=2**32), ValueError, r"random_state must be at most 2\*\*32 - 1"),
    (dict(X=np.zeros(10)), ValueError, r"X must be \(n, n_features\)"),
    (dict(y=np.zeros(9)), ValueError, "with the same n"),
    (dict(X=np.zeros((1, 2)), y=np.zeros(1)), ValueError, "leaves 0 of 1 points"),
])
def test_split_rejects_bad_input(arguments, error, message):
    arguments = dict(X=X_TEN, y=Y_TEN, test_size=0.3, random_state=0) | arguments
    X, y = arguments.pop("X"), arguments.pop("y")
    with pytest.raises(error, match=message):
        train_test_split(X, y, **arguments)
