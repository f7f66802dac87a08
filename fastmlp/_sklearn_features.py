"""The scikit-learn transformer of the Playground's input features, in a module of its own
so that :mod:`fastmlp.features` (and the Playground through it) loads without
scikit-learn; :mod:`fastmlp.features` hands it out as ``PlaygroundFeatures``."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .features import feature_names, playground_features


class PlaygroundFeatures(TransformerMixin, BaseEstimator):
    """scikit-learn transformer: points ``(x1, x2)`` to the named Playground features.

    Parameters
    ----------
    features : sequence of str, default ("x1", "x2")
        Names from :data:`fastmlp.features.ALL_FEATURES`, in output order.
    """

    def __init__(self, features=("x1", "x2")):
        self.features = features

    def fit(self, X, y=None):
        """Check the names and that ``X`` has two columns."""
        feature_names(self.features)
        X = validate_data(self, X, dtype=np.float64)
        if X.shape[1] != 2:
            raise ValueError(f"X must have 2 columns (x1, x2); got {X.shape[1]}")
        return self

    def transform(self, X):
        """The features of each row of ``X``, shape ``(n_samples, len(features))``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return playground_features(X, self.features)

    def get_feature_names_out(self, input_features=None):
        """The feature names, as scikit-learn's output naming expects."""
        check_is_fitted(self)
        return np.asarray(feature_names(self.features), dtype=object)
