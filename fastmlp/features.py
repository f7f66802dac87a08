"""The Playground's seven input features of a point ``(x1, x2)``.

======== ===========
name     value
======== ===========
x1       x1
x2       x2
x1^2     x1 squared
x2^2     x2 squared
x1*x2    x1 times x2
sin(x1)  sin x1
sin(x2)  sin x2
======== ===========

Available as a function, :func:`playground_features`, and as a scikit-learn transformer,
:class:`PlaygroundFeatures`, both selecting features by name in the order given. The
transformer is defined in :mod:`fastmlp._sklearn_features` and loaded on first use, so
that the Playground, which only needs the function, does not load scikit-learn (about two
seconds of imports).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as check
from ._names import PLAYGROUND_FEATURES

FEATURES = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}
#: All seven, in the Playground's order (the keys of :data:`FEATURES`).
ALL_FEATURES = PLAYGROUND_FEATURES


def feature_names(names: str | Sequence[str]) -> tuple[str, ...]:
    """Validated feature names: a sequence, or one comma-separated string (``"x1,x2"``)."""
    if isinstance(names, str):
        names = [part.strip() for part in names.split(",")]
    if not isinstance(names, (Sequence, np.ndarray)) or len(names) == 0:
        raise ValueError(
            f"features must name at least one of {', '.join(ALL_FEATURES)}; got {names!r}"
        )
    names = tuple(check.choice("feature", name, ALL_FEATURES) for name in names)
    if len(set(names)) != len(names):
        raise ValueError(f"features must not repeat a name; got {list(names)}")
    return names


def playground_features(X: ArrayLike, names: str | Sequence[str] = ("x1", "x2")) -> np.ndarray:
    """The named features of each point.

    Parameters
    ----------
    X : array-like, shape (n_samples, 2)
        Points ``(x1, x2)``.
    names : sequence of str or comma-separated str
        Feature names from :data:`ALL_FEATURES`, in the order wanted.

    Returns
    -------
    ndarray, shape (n_samples, len(names)), float64
    """
    names = feature_names(names)
    X = check.numeric_array("X", X, np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n_samples, 2): points (x1, x2); got {X.shape}")
    check.finite("X", X)
    x1, x2 = X[:, 0], X[:, 1]
    return np.column_stack([FEATURES[name](x1, x2) for name in names])


def __getattr__(name):
    if name == "PlaygroundFeatures":
        from ._sklearn_features import PlaygroundFeatures

        return PlaygroundFeatures
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), "PlaygroundFeatures"})
