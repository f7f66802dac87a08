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
"""

from __future__ import annotations

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
        i = np.arange(count) / arm
        radius = 5.0 * i
        angle = 1.75 * i * 2 * np.pi + delta
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
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X must be (n, n_features) and y (n,) with the same n; got {X.shape} and {y.shape}"
        )
    order = _rng(seed).permutation(X.shape[0])
    n_train = int(np.floor(X.shape[0] * train_ratio))
    if n_train < 1 or n_train >= X.shape[0]:
        raise ValueError(
            f"train_ratio={train_ratio} leaves {n_train} of {X.shape[0]} points for training; "
            "both sets need at least one point"
        )
    train, test = order[:n_train], order[n_train:]
    return X[train], X[test], y[train], y[test]


def make_moons(n_samples: int = 100, noise: float | None = None, random_state=None):
    """scikit-learn's two interleaving half circles (``sklearn.datasets.make_moons``)."""
    from sklearn.datasets import make_moons as sklearn_make_moons

    return sklearn_make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
