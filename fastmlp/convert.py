"""Fitted models across libraries: ``from_sklearn`` and ``to_sklearn``.

A converted model holds the same weights, so its predictions are those of the original
up to rounding (the kernels sum in a different order from numpy's BLAS calls). Parameters
that only shape training carry over where scikit-learn has them: ``solver="gd"`` becomes
``"sgd"`` (set ``batch_size`` to the number of samples to keep full-batch updates), and
fastmlp's ``l1``, ``dtype`` and ``init`` have no scikit-learn counterpart. Optimizer
state is not converted: further fitting starts a fresh optimizer.

The fitted attributes copied across are listed in :mod:`fastmlp._fitted`; the scikit-learn
estimator is built by :mod:`fastmlp._sklearn_twin`, which the estimators' ``to_sklearn``
calls, so that this module imports the estimators and not the other way round.
"""

from __future__ import annotations

import copy

from . import _fitted
from ._sklearn_twin import SKLEARN_PARAMS
from .estimators import OUTPUT_LOSSES, MLPClassifier, MLPRegressor, _BaseMLP
from .model import MLP


def from_sklearn(estimator):
    """The fastmlp estimator equivalent to a fitted scikit-learn MLP.

    Parameters
    ----------
    estimator : sklearn.neural_network.MLPClassifier or MLPRegressor, fitted

    Returns
    -------
    fastmlp.MLPClassifier or fastmlp.MLPRegressor
        Same parameters and fitted attributes; ``coefs_``/``intercepts_`` copied into the
        network in the dtype of the scikit-learn weights.
    """
    from sklearn.neural_network import MLPClassifier as SkClassifier
    from sklearn.neural_network import MLPRegressor as SkRegressor

    if isinstance(estimator, SkClassifier):
        target = MLPClassifier
    elif isinstance(estimator, SkRegressor):
        target = MLPRegressor
    else:
        raise TypeError(
            "from_sklearn needs a scikit-learn MLPClassifier or MLPRegressor, got "
            f"{type(estimator).__name__}"
        )
    if not hasattr(estimator, "coefs_"):
        raise ValueError("the scikit-learn estimator is not fitted; call its fit first")
    params = {name: getattr(estimator, name) for name in SKLEARN_PARAMS}
    params["random_state"] = copy.deepcopy(params["random_state"])
    if target is MLPRegressor:
        params["loss"] = estimator.loss
    model = target(activation=estimator.activation, solver=estimator.solver, **params)
    dtype = estimator.coefs_[0].dtype
    sizes = [estimator.coefs_[0].shape[0]] + [c.shape[1] for c in estimator.coefs_]
    n_hidden = len(sizes) - 2
    activation = model._hidden_activations(n_hidden)
    net = MLP(sizes, activation=activation, loss=OUTPUT_LOSSES[estimator.out_activation_],
              init="glorot", dtype=dtype.type, seed=0)
    for W, b, coef, intercept in zip(net.weights, net.biases, estimator.coefs_,
                                     estimator.intercepts_, strict=True):
        W[...] = coef.T
        b[...] = intercept
    for name in _fitted.CONVERTED:
        if hasattr(estimator, name):
            setattr(model, name, copy.deepcopy(getattr(estimator, name)))
    model.val_loss_curve_ = [] if getattr(estimator, "validation_scores_", None) else None
    model._no_improvement_count = getattr(estimator, "_no_improvement_count", 0)
    if target is MLPClassifier:
        model._label_binarizer = copy.deepcopy(estimator._label_binarizer)
        model.classes_ = model._label_binarizer.classes_
    model._set_network(net)
    return model


def to_sklearn(model: _BaseMLP):
    """The fitted scikit-learn estimator equivalent to a fitted fastmlp estimator (the same
    as ``model.to_sklearn()``).

    Raises
    ------
    TypeError
        When ``model`` is not a fastmlp estimator.
    ValueError
        When the model is not fitted, or uses something scikit-learn cannot represent: an
        activation other than identity, logistic, tanh and relu, or different activations
        per layer.
    """
    if not isinstance(model, _BaseMLP):
        raise TypeError(f"to_sklearn needs a fastmlp estimator, got {type(model).__name__}")
    return model.to_sklearn()
