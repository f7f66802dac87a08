"""Data sets: the Neural Network Playground's six generators, its split, and two moons.

The Playground's formulas (``U[a, b)`` a uniform draw; ``noise`` in [0, 0.5], the UI's
0-50 % slider divided by 100):

============  =================================================================  ==========
name          points                                                             labels
============  =================================================================  ==========
circle        half with radius ``U[0, 2.5)``, half ``U[3.5, 5)``, angle           +1 inside
              ``U[0, 2 pi)``; label of the point shifted by ``U[-5, 5) noise``    2.5, else -1
xor           ``U[-5, 5)`` per axis, pushed 0.3 away from the axes; label of      sign of x y
              the point shifted by ``U[-5, 5) noise``                             (+1 at 0)
gauss         half around (2, 2) (+1), half around (-2, -2) (-1); variance        by centre
              ``0.5 + 7 noise`` per coordinate
spiral        two arms of ``n/2`` points, ``r = 5 i / (n/2)``, angle              +1 / -1
              ``1.75 (2 pi) i / (n/2)`` (+ pi for the second arm), plus
              ``U[-1, 1) noise`` per coordinate
reg_plane     ``U[-6, 6)`` per axis; target of the point shifted by               (x + y)/10
              ``U[-6, 6) noise``
reg_gauss     as reg_plane; six bumps of height +-1 and radius 2; the target is   largest bump
              the value of largest size at the shifted point
============  =================================================================  ==========

Where the noise only shifts the point a label is computed at, the stored coordinates
are the un-shifted ones, as in the Playground. Defaults: 500 points for classification,
1200 for regression.

:func:`make_moons` and :func:`train_test_split` return, bit for bit, what scikit-learn's
functions of the same names return for the same arguments, without importing
scikit-learn.
"""

from __future__ import annotations

import numbers
from math import ceil

import numpy as np

from . import _validation as check
from ._names import PLAYGROUND_CLASSIFICATION, PLAYGROUND_DATASETS, PLAYGROUND_REGRESSION

CLASSIFICATION = PLAYGROUND_CLASSIFICATION
REGRESSION = PLAYGROUND_REGRESSION
DATASETS = PLAYGROUND_DATASETS
DEFAULT_SAMPLES = {"classification": 500, "regression": 1200}
_GAUSS_BUMPS = ((-4.0, 2.5, 1.0), (0.0, 2.5, -1.0), (4.0, 2.5, 1.0),
                (-4.0, -2.5, -1.0), (0.0, -2.5, 1.0), (4.0, -2.5, -1.0))


def problem_of(name: str) -> str:
    """``"classification"`` or ``"regression"``: the kind of targets data set ``name`` has."""
    check.choice("dataset", name, DATASETS)
    return "classification" if name in CLASSIFICATION else "regression"


def _rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None:
        check.positive_int("seed", seed, minimum=0)
    return np.random.default_rng(seed)


def _circle(n, noise, rng):
    inner = n // 2
    radius = np.concatenate([rng.uniform(0.0, 2.5, inner), rng.uniform(3.5, 5.0, n - inner)])
    angle = rng.uniform(0.0, 2 * np.pi, n)
    points = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    shifted = points + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    labels = np.where(np.hypot(shifted[:, 0], shifted[:, 1]) < 2.5, 1.0, -1.0)
    return points, labels


def _xor(n, noise, rng):
    points = rng.uniform(-5.0, 5.0, (n, 2))
    points += np.where(points > 0, 0.3, -0.3)
    shifted = points + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    labels = np.where(shifted[:, 0] * shifted[:, 1] >= 0, 1.0, -1.0)
    return points, labels


def _gauss(n, noise, rng):
    variance = 0.5 + 7.0 * noise
    positive = n // 2
    centres = np.repeat([[2.0, 2.0], [-2.0, -2.0]], [positive, n - positive], axis=0)
    points = centres + np.sqrt(variance) * rng.standard_normal((n, 2))
    labels = np.repeat([1.0, -1.0], [positive, n - positive])
    return points, labels


def _spiral(n, noise, rng):
    arm = n // 2
    parts, labels = [], []
    for delta, label, count in ((0.0, 1.0, arm), (np.pi, -1.0, n - arm)):
        i = np.arange(count)
        # The Playground's expressions, in its order of operations, so that the points
        # round as its points do.
        radius = i / arm * 5
        angle = 1.75 * i / arm * 2 * np.pi + delta
        jitter = rng.uniform(-1.0, 1.0, (count, 2)) * noise
        parts.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]) + jitter)
        labels.append(np.full(count, label))
    return np.concatenate(parts), np.concatenate(labels)


def _reg_plane(n, noise, rng):
    points = rng.uniform(-6.0, 6.0, (n, 2))
    shifted = points + rng.uniform(-6.0, 6.0, (n, 2)) * noise
    return points, (shifted[:, 0] + shifted[:, 1]) / 10.0


def _reg_gauss(n, noise, rng):
    points = rng.uniform(-6.0, 6.0, (n, 2))
    shifted = points + rng.uniform(-6.0, 6.0, (n, 2)) * noise
    targets = np.zeros(n)
    for cx, cy, sign in _GAUSS_BUMPS:
        value = sign * np.maximum(0.0, 1.0 - np.hypot(shifted[:, 0] - cx, shifted[:, 1] - cy) / 2)
        larger = np.abs(value) > np.abs(targets)  # ties keep the earlier bump
        targets = np.where(larger, value, targets)
    return points, targets


_GENERATORS = {"circle": _circle, "xor": _xor, "gauss": _gauss, "spiral": _spiral,
               "reg_plane": _reg_plane, "reg_gauss": _reg_gauss}


def make_playground(name: str, n_samples: int | None = None, noise: float = 0.0,
                    seed: int | np.random.Generator | None = None):
    """One of the Playground's data sets.

    Parameters
    ----------
    name : {"circle", "xor", "gauss", "spiral", "reg_plane", "reg_gauss"}
    n_samples : int or None
        Number of points; ``None`` is the Playground's 500 (classification) or 1200
        (regression).
    noise : float in [0, 0.5]
        The Playground's noise (its 0-50 % slider divided by 100).
    seed : int, numpy Generator or None
        Seeds the draw (a Generator is used, and advanced, as it is).

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
        Coordinates in the Playground's plane (about [-6, 6]^2).
    y : ndarray, shape (n_samples,)
        Labels -1/+1 for the classification sets, real targets for the regression sets.
        Points come in generation order (for example the spiral's first arm first):
        :func:`playground_split` shuffles them.
    """
    problem = problem_of(name)
    n = DEFAULT_SAMPLES[problem] if n_samples is None else check.positive_int(
        "n_samples", n_samples, minimum=2)
    noise = check.real("noise", noise, minimum=0.0, maximum=0.5)
    return _GENERATORS[name](n, noise, _rng(seed))


def playground_split(X, y, train_ratio: float = 0.5,
                     seed: int | np.random.Generator | None = None):
    """Shuffle, then cut: the first ``floor(n * train_ratio)`` points train, the rest test.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        New arrays (the inputs are not modified), in scikit-learn's order.
    """
    train_ratio = check.real("train_ratio", train_ratio, exclusive_minimum=0.0,
                             exclusive_maximum=1.0)
    X, y = _points_and_targets(X, y)
    order = _rng(seed).permutation(X.shape[0])
    n_train = int(np.floor(X.shape[0] * train_ratio))
    if n_train < 1 or n_train >= X.shape[0]:
        raise ValueError(
            f"train_ratio={train_ratio} leaves {n_train} of {X.shape[0]} points for training; "
            "both sets need at least one point"
        )
    train, test = order[:n_train], order[n_train:]
    return X[train], X[test], y[train], y[test]


def _points_and_targets(X, y):
    """``X`` and ``y`` as arrays, ``X`` of shape ``(n, n_features)`` and ``y`` of ``(n,)``."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X must be (n, n_features) and y (n,) with the same n; got {X.shape} and {y.shape}"
        )
    return X, y


def _legacy_seed(value):
    """``random_state`` as an int seed of numpy's ``RandomState``: from 0 to ``2**32 - 1``."""
    value = check.positive_int("random_state", value, minimum=0)
    if value > 2**32 - 1:
        raise ValueError(f"random_state must be at most 2**32 - 1, got {value}")
    return value


def _random_state(random_state):
    """What scikit-learn's ``check_random_state`` returns: the ``RandomState`` to draw from.

    For ``None``, the ``np.random`` module: its functions draw from numpy's global
    ``RandomState``.
    """
    if random_state is None:
        return np.random
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise TypeError(
            "random_state must be an int, a numpy RandomState or None, got "
            f"{random_state!r} ({type(random_state).__name__})"
        )
    return np.random.RandomState(_legacy_seed(random_state))


def _moon_sizes(n_samples):
    """``(n_outer, n_inner)``: the points of the outer (label 0) and inner (label 1) moon."""
    if isinstance(n_samples, tuple):
        if len(n_samples) != 2:
            raise ValueError(
                f"n_samples must be an int or a tuple (n_outer, n_inner); got {n_samples!r}"
            )
        return tuple(check.positive_int(f"n_samples[{index}]", size, minimum=0)
                     for index, size in enumerate(n_samples))
    n_samples = check.positive_int("n_samples", n_samples)
    return n_samples // 2, n_samples - n_samples // 2


def make_moons(n_samples: int | tuple[int, int] = 100, noise: float | None = None,
               random_state: int | np.random.RandomState | None = None):
    """Two interleaving half circles, drawn exactly as scikit-learn draws them.

    Returns the same arrays, bit for bit, as ``sklearn.datasets.make_moons(n_samples,
    shuffle=True, noise=noise, random_state=random_state)``: the points of the two half
    circles are shuffled by one ``RandomState.shuffle`` of their indices, then the noise
    is drawn from the same ``RandomState``.

    Parameters
    ----------
    n_samples : int or tuple of two int
        Number of points, at least 1: ``n_samples // 2`` on the outer moon, the rest on
        the inner one. A tuple ``(n_outer, n_inner)`` gives both counts (each may be 0).
    noise : float or None
        Standard deviation of the Gaussian noise added to every coordinate; ``None``
        adds none and draws none.
    random_state : int, numpy RandomState or None
        An int from 0 to ``2**32 - 1`` seeds a new ``RandomState``; a ``RandomState`` is
        used, and advanced, as it is; ``None`` uses numpy's global ``RandomState`` (the
        one ``np.random.seed`` seeds), as scikit-learn does.

    Returns
    -------
    X : ndarray of float64, shape (n_samples, 2)
        The points: the outer moon is the upper half of the unit circle, the inner one
        the lower half shifted by (1, 0.5).
    y : ndarray of intp, shape (n_samples,)
        0 for a point of the outer moon, 1 for the inner one.

    Raises
    ------
    TypeError
        When ``n_samples`` is neither an int nor a tuple of ints, ``noise`` is not a real
        number, or ``random_state`` is neither an int, a ``RandomState`` nor ``None``.
    ValueError
        When ``n_samples`` is below 1 (a count in the tuple below 0, or a tuple of another
        length), ``noise`` is negative or not finite, or an int ``random_state`` is
        outside ``[0, 2**32 - 1]``.
    """
    n_outer, n_inner = _moon_sizes(n_samples)
    if noise is not None:
        noise = check.real("noise", noise, minimum=0.0)
    generator = _random_state(random_state)
    outer = np.linspace(0, np.pi, n_outer)
    inner = np.linspace(0, np.pi, n_inner)
    X = np.column_stack([np.append(np.cos(outer), 1 - np.cos(inner)),
                         np.append(np.sin(outer), 1 - np.sin(inner) - 0.5)])
    y = np.concatenate([np.zeros(n_outer, dtype=np.intp), np.ones(n_inner, dtype=np.intp)])
    order = np.arange(n_outer + n_inner)
    generator.shuffle(order)
    X, y = X[order], y[order]
    if noise is not None:
        X += generator.normal(scale=noise, size=X.shape)
    return X, y


def train_test_split(X, y, *, test_size: float = 0.25, random_state: int):
    """Shuffle, then split off a test set, exactly as scikit-learn does.

    Returns the same arrays, bit for bit, as ``sklearn.model_selection.train_test_split(X,
    y, test_size=test_size, random_state=random_state)`` for a float ``test_size`` and an
    int ``random_state``: of ``RandomState(random_state).permutation(n)``, the first
    ``ceil(test_size * n)`` indices are the test set and the rest the training set.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    y : array_like, shape (n_samples,)
    test_size : float in (0, 1)
        Share of the points held out for testing, rounded up to a whole point.
    random_state : int
        Seed of the permutation, from 0 to ``2**32 - 1``.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        New arrays (the inputs are not modified), in scikit-learn's order.

    Raises
    ------
    TypeError
        When ``test_size`` is not a real number or ``random_state`` not an int.
    ValueError
        When ``X`` and ``y`` do not have the shapes above, ``test_size`` is outside
        (0, 1), ``random_state`` outside ``[0, 2**32 - 1]``, or no point is left for
        training.
    """
    check.real("test_size", test_size, exclusive_minimum=0.0, exclusive_maximum=1.0)
    seed = _legacy_seed(random_state)
    X, y = _points_and_targets(X, y)
    n_samples = X.shape[0]
    n_test = ceil(test_size * n_samples)  # in the precision of test_size, as scikit-learn
    if n_test >= n_samples:
        raise ValueError(
            f"test_size={test_size} leaves {n_samples - n_test} of {n_samples} points for "
            "training; the training set needs at least one point"
        )
    order = np.random.RandomState(seed).permutation(n_samples)
    train, test = order[n_test:], order[:n_test]
    return X[train], X[test], y[train], y[test]
