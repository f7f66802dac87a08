"""The scikit-learn estimator that holds a fitted fastmlp estimator's weights: the work of
``to_sklearn`` (see :mod:`fastmlp.convert`).

This module imports neither the estimators nor :mod:`fastmlp.convert`, so the estimators
can call it without an import cycle.
"""

from __future__ import annotations

import copy

import numpy as np
from sklearn.base import is_classifier

from . import _fitted

_SKLEARN_ACTIVATIONS = {"linear": "identity", "sigmoid": "logistic", "tanh": "tanh",
                        "relu": "relu"}
#: The parameters that fastmlp's estimators and scikit-learn's share.
SKLEARN_PARAMS = (
    "hidden_layer_sizes", "alpha", "batch_size", "learning_rate", "learning_rate_init",
    "power_t", "max_iter", "shuffle", "random_state", "tol", "verbose", "warm_start",
    "momentum", "nesterovs_momentum", "early_stopping", "validation_fraction", "beta_1",
    "beta_2", "epsilon", "n_iter_no_change", "max_fun",
)


def sklearn_twin(model):
    """A fitted ``sklearn.neural_network.MLPClassifier`` or ``MLPRegressor`` with the
    weights, parameters and fitted attributes of the fastmlp estimator ``model``.

    Raises
    ------
    ValueError
        When ``model`` is not fitted, or uses something scikit-learn cannot represent: an
        activation other than identity, logistic, tanh and relu, or different
        activations per layer.
    """
    from sklearn.neural_network import MLPClassifier as SkClassifier
    from sklearn.neural_network import MLPRegressor as SkRegressor

    if not hasattr(model, "_net"):
        raise ValueError(f"this {type(model).__name__} is not fitted yet; call fit first")
    net = model._network()
    names = set(net.activation)
    if len(names) > 1 or not names <= set(_SKLEARN_ACTIVATIONS):
        raise ValueError(
            f"scikit-learn's MLP has one hidden activation among identity, logistic, tanh "
            f"and relu; this model uses {list(net.activation)}"
        )
    activation = _SKLEARN_ACTIVATIONS[names.pop()] if names else "relu"
    params = {name: model.get_params()[name] for name in SKLEARN_PARAMS}
    params["random_state"] = copy.deepcopy(params["random_state"])
    solver = "sgd" if model.solver == "gd" else model.solver
    if is_classifier(model):
        estimator = SkClassifier(activation=activation, solver=solver, **params)
        estimator._label_binarizer = copy.deepcopy(model._label_binarizer)
        estimator.classes_ = estimator._label_binarizer.classes_
    else:
        estimator = SkRegressor(loss=model.loss, activation=activation, solver=solver,
                                **params)
    estimator.coefs_ = [np.array(W.T) for W in net.weights]
    estimator.intercepts_ = [np.array(b) for b in net.biases]
    for name in _fitted.CONVERTED:
        if hasattr(model, name):
            setattr(estimator, name, copy.deepcopy(getattr(model, name)))
    estimator._no_improvement_count = getattr(model, "_no_improvement_count", 0)
    estimator._best_coefs = [c.copy() for c in estimator.coefs_]
    estimator._best_intercepts = [i.copy() for i in estimator.intercepts_]
    return estimator
