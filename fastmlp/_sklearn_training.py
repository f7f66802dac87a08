"""scikit-learn's training rules around fastmlp's compiled epochs.

:mod:`fastmlp.estimators` holds the estimators' parameters and their checks, the network
and the public API. What scikit-learn's MLPs do around each epoch is here, as functions of
the estimator being fitted (``model``): they read its parameters and update its fitted
attributes, in the order scikit-learn does, so that both follow the same path.

* :func:`fit_lbfgs`: L-BFGS, scipy's minimiser on the full-batch objective.
* :func:`fit_stochastic`: ``"sgd"``, ``"adam"`` and ``"gd"``: the optimizer state, the
  batch size, the validation set, then :func:`_run_epochs`, the loop that shuffles, runs
  one compiled epoch at a time and records the curves.
* Stopping: :func:`_count_no_improvement` counts the epochs without improvement of the
  training loss or, with early stopping, of the validation score (and keeps the best
  validated weights); :func:`stopped_early` ends later ``partial_fit`` calls.
* Learning rates: ``invscaling`` after every epoch (:func:`_invscaling`), ``adaptive``'s
  division by 5 when progress stalls (:func:`_stop_or_slow_down`).
* Validation: scikit-learn's held-out part of ``X`` (:func:`_split_validation`), or a
  validation set of the caller's own (:func:`check_validation_data`,
  :func:`validation_arrays`).
* Divergence: a ``ValueError`` (:func:`_divergence_error`) or, with a validation set,
  scikit-learn's quiet stop (:func:`_stop_diverged`).
* What the user sees: ``verbose`` lines, the progress bar, warnings.

From the estimator these functions use its parameters, its fitted attributes (names in
:mod:`fastmlp._fitted`), the network (``_network()``, ``_net``), ``_random_state`` and
the hooks each estimator class defines: ``_validation_targets``, ``_validation_score``,
``_weights_with_classes`` and a classifier's ``_label_binarizer``.

Imports: this module uses :mod:`fastmlp.model`, never :mod:`fastmlp.estimators` (which
imports it), so the import graph stays acyclic (see :mod:`fastmlp.estimators`).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.optimize
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import validate_data

from . import _validation as check
from ._interrupt import deferred_interrupt, warn_interrupted
from ._kernels import optim
from .model import EpochRunner, Optimizer, OptimizerState, dropout_rates

#: ``stacklevel`` that makes a warning name the caller's line (``model.fit(...)``) when it
#: is raised in a function that ``_BaseMLP._fit_uninterrupted`` calls: the frames are
#: this function, ``_fit_uninterrupted``, ``_fit``, ``fit`` or ``partial_fit``, the caller.
#: Each further call between adds one.
_CALLER = 5


# ---------------------------------------------------------------- validation sets
def validates(model):
    """Early stopping on a validation set (stochastic solvers only, as upstream)."""
    return model.early_stopping and model.solver != "lbfgs"


def check_validation_data(model, validation_data, incremental):
    """True when the caller gave a validation set (checked against the settings)."""
    X_val, y_val, sample_weight_val = validation_data
    given = X_val is not None or y_val is not None
    if given and (X_val is None or y_val is None):
        raise ValueError("X_val and y_val go together: pass both, or neither")
    if sample_weight_val is not None and not given:
        raise ValueError("sample_weight_val needs X_val and y_val")
    if given and not validates(model):
        raise ValueError(
            "X_val and y_val are for early stopping: set early_stopping=True (with a "
            "stochastic solver: 'adam', 'sgd' or 'gd') to use them, or leave them out"
        )
    if incremental and validates(model) and not given:
        raise ValueError(
            "partial_fit does not support early_stopping=True without a validation set "
            "of your own: pass X_val and y_val (the same ones on every call), since a "
            "part of each block would be a different validation set every time"
        )
    return given


def validation_arrays(model, validation_data, dtype, n_outputs):
    """The caller's X_val, y_val, sample_weight_val, checked like X, y, sample_weight."""
    X_val, y_val, sample_weight_val = validation_data
    X_val = validate_data(model, X_val, reset=False, dtype=(np.float64, np.float32),
                          accept_sparse="csr")
    Y_val = model._validation_targets(y_val)
    if Y_val.shape[0] != X_val.shape[0]:
        raise ValueError(
            f"X_val has {X_val.shape[0]} samples but y_val has {Y_val.shape[0]}"
        )
    if X_val.shape[0] < 1:
        raise ValueError("X_val is empty: the validation set needs at least one sample")
    X_val = check.rows(X_val, dtype, "X_val")
    Y_val = np.ascontiguousarray(Y_val.reshape(len(Y_val), -1), dtype=dtype)
    if Y_val.shape[1] != n_outputs:
        raise ValueError(
            f"y_val has {Y_val.shape[1]} output(s) but y has {n_outputs}"
        )
    weights = check.sample_weights(sample_weight_val, X_val.shape[0], dtype)
    weights = model._weights_with_classes(weights, Y_val, incremental=False)
    return X_val, Y_val, (weights if weights.size else None)


def _split_validation(model, X, Y, weights):
    """scikit-learn's validation split: ``validation_fraction`` of the samples held out.

    Returns the training part of ``X``, ``Y`` and ``weights``, and the validation set
    ``(X_val, Y_val, val_weights, workspace)``; the current weights become the best so far.
    """
    # Stratified for single-label classification (scikit-learn stratifies binary
    # targets only); multi-label rows are too varied to stratify.
    single_label = (is_classifier(model)
                    and model._label_binarizer.y_type_ != "multilabel-indicator")
    # Booleans, as scikit-learn passes them: the split and its messages are the same.
    stratify = Y.astype(bool) if single_label else None
    arrays = (X, Y) if weights.size == 0 else (X, Y, weights)
    parts = train_test_split(*arrays, random_state=model._random_state,
                             test_size=model.validation_fraction, stratify=stratify)
    X_train, X_val, Y_train, Y_val = parts[:4]
    if weights.size:
        weights, val_weights = parts[4], np.ascontiguousarray(parts[5])
    else:
        val_weights = None
    if X_val.shape[0] < 2:
        raise ValueError(
            "The validation set is too small (fewer than 2 samples). Increase "
            "'validation_fraction' or the size of your dataset."
        )
    model._best_parameters = model._net.parameters.copy()
    dtype = model._net.dtype
    X_val = check.rows(X_val, dtype)
    work = model._net.workspace(X_val)
    return (check.rows(X_train, dtype), np.ascontiguousarray(Y_train),
            np.ascontiguousarray(weights), (X_val, Y_val, val_weights, work))


# ---------------------------------------------------------------- stopping rules
def reset_training_state(model):
    """Empty curves, a zero no-improvement count and no best value yet (a fresh fit)."""
    model.n_iter_ = 0
    model.t_ = 0
    model.loss_curve_ = []
    model._no_improvement_count = 0
    model._early_stopped = False
    if validates(model):
        model.validation_scores_ = []
        model.val_loss_curve_ = []
        model.best_validation_score_ = -np.inf
        model.best_loss_ = None
    else:
        model.validation_scores_ = None
        model.val_loss_curve_ = None
        model.best_validation_score_ = None
        model.best_loss_ = np.inf


def stopped_early(model):
    """True, with a warning, when early stopping has ended a run of ``partial_fit`` calls."""
    if not getattr(model, "_early_stopped", False):
        return False
    warnings.warn(
        f"early stopping ended training after epoch {len(model.loss_curve_)}, when the "
        f"validation score had not improved for {model.n_iter_no_change} epochs, and "
        "restored the best weights; this partial_fit call changes nothing. Call fit "
        "to train afresh.", UserWarning, stacklevel=_CALLER,
    )
    return True


def _count_no_improvement(model, validation):
    """After an epoch: the training loss, or the validation loss and score, against the best.

    ``_no_improvement_count`` grows while the loss does not fall below ``best_loss_ - tol``
    (or the score does not rise above ``best_validation_score_ + tol``), else restarts at
    0. With a validation set, a better score also saves the weights as the best ones.
    """
    if validation is None:
        if model.loss_curve_[-1] > model.best_loss_ - model.tol:
            model._no_improvement_count += 1
        else:
            model._no_improvement_count = 0
        model.best_loss_ = min(model.best_loss_, model.loss_curve_[-1])
        return
    X_val, Y_val, weights, work = validation
    net = model._net
    total = float(weights.sum()) if weights is not None else X_val.shape[0]
    model.val_loss_curve_.append(net.summed_loss(X_val, Y_val, work, False, weights) / total)
    score = model._validation_score(X_val, Y_val, weights)
    model.validation_scores_.append(score)
    if score < model.best_validation_score_ + model.tol:
        model._no_improvement_count += 1
    else:
        model._no_improvement_count = 0
    if score > model.best_validation_score_:
        model.best_validation_score_ = score
        model._best_parameters[:] = net.parameters


def _stop_or_slow_down(model, validated):
    """scikit-learn's rule once the loss (or score) stops improving: True stops.

    ``learning_rate="adaptive"`` (solvers other than Adam) divides the learning rate by 5
    instead, until it falls to 1e-6 or below.
    """
    if model.verbose:
        what = "Validation score" if validated else "Training loss"
        message = (f"{what} did not improve more than tol={model.tol:f} for "
                   f"{model.n_iter_no_change} consecutive epochs.")
    if model.solver == "adam" or model.learning_rate != "adaptive":
        if model.verbose:
            print(f"{message} Stopping.")
        return True
    if model._learning_rate <= 1e-6:
        if model.verbose:
            print(f"{message} Learning rate too small. Stopping.")
        return True
    model._learning_rate /= 5.0
    if model.verbose:
        print(f"{message} Setting learning rate to {model._learning_rate:f}")
    return False


def _invscaling(model):
    """After an epoch, ``learning_rate="invscaling"`` (solvers other than Adam) sets the
    learning rate to ``learning_rate_init / (t_ + 1) ** power_t``."""
    if model.solver != "adam" and model.learning_rate == "invscaling":
        model._learning_rate = model.learning_rate_init / (model.t_ + 1) ** model.power_t


# ---------------------------------------------------------------- divergence
def _divergence_error(model):
    """The ``ValueError`` for an epoch that turned non-finite (its weights were not kept).

    A first epoch that diverges still leaves a ``loss_`` (NaN).
    """
    message = (
        "Solver produced non-finite parameter weights. The input data may contain large "
        f"values and need to be preprocessed. Training diverged in epoch {model.n_iter_ + 1} "
        f"(non-finite loss or weights) and the weights after epoch {model.n_iter_} were "
        "kept: lower learning_rate_init or scale the input data."
    )
    if model.n_iter_ == 0 and not hasattr(model, "loss_"):
        model.loss_ = float("nan")
    return ValueError(message)


def _stop_diverged(model, n_samples):
    """End a diverging epoch under early stopping as scikit-learn does: no exception.

    The epoch is recorded with a non-finite loss and a NaN validation score, and
    training stops; the best validated weights are restored by the caller.
    """
    model.n_iter_ += 1
    model.t_ += n_samples
    model.loss_ = float("nan")
    model.loss_curve_.append(model.loss_)
    model.val_loss_curve_.append(float("nan"))
    model.validation_scores_.append(float("nan"))
    warnings.warn(
        f"training diverged in epoch {model.n_iter_} (non-finite loss or weights); it "
        "stopped there and kept the weights with the best validation score. Lower "
        "learning_rate_init or scale the input data.",
        ConvergenceWarning, stacklevel=_CALLER + 2,
    )


# ---------------------------------------------------------------- the solvers
def progress_bar(model, total):
    """A tqdm bar of ``total`` epochs with ``progress_bar=True``, else None."""
    if not model.progress_bar:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=type(model).__name__, unit="epoch")


def fit_lbfgs(model, X, Y, weights):
    """scikit-learn's L-BFGS: scipy's minimiser on the full-batch objective."""
    net = model._network()
    X = check.rows(X, net.dtype)
    work = net.workspace(X)
    total_weight = float(weights.sum()) if weights.size else float(X.shape[0])
    l1, l2 = model.l1 / total_weight, model.alpha / total_weight
    bar = progress_bar(model, model.max_iter)

    def objective(theta):
        net.parameters[:] = theta
        value, grad = net.objective(X, Y, l1, l2, weights, True, work)
        return value, grad.astype(np.float64)

    def step(_):
        if bar is not None:
            bar.update(1)
        if interrupt.requested:
            raise StopIteration  # scipy stops and returns the last iterate

    try:
        with deferred_interrupt() as interrupt:
            result = scipy.optimize.minimize(
                objective, net.parameters.astype(np.float64), method="L-BFGS-B",
                jac=True, callback=step,
                options={"maxfun": model.max_fun, "maxiter": model.max_iter,
                         "gtol": model.tol},
            )
    finally:
        if bar is not None:
            bar.close()
    if interrupt.requested:
        warn_interrupted(int(result.nit), stacklevel=_CALLER + 1)
    elif result.status != 0:
        warnings.warn(
            f"lbfgs failed to converge after {result.nit} iterations "
            f"({result.message}); increase max_iter or scale the data.",
            ConvergenceWarning, stacklevel=_CALLER,
        )
    if not np.all(np.isfinite(result.x)):
        raise ValueError(
            "lbfgs produced non-finite weights; scale the input data or raise alpha"
        )
    net.parameters[:] = result.x
    model.n_iter_ = min(int(result.nit), model.max_iter)
    model.loss_ = float(result.fun)
    model.loss_curve_ = None
    model.best_loss_ = None


def _batch_size(model, n_samples):
    """Samples per batch: all for ``"gd"``, ``batch_size`` (``"auto"``: 200) clipped."""
    if model.solver == "gd":
        return n_samples
    if isinstance(model.batch_size, str):
        return min(200, n_samples)
    if model.batch_size > n_samples:
        warnings.warn(
            f"batch_size={model.batch_size} is larger than the {n_samples} samples; it is "
            "clipped to the number of samples", stacklevel=_CALLER + 1,
        )
    return min(model.batch_size, n_samples)


def fit_stochastic(model, X, Y, weights, incremental, validation_data):
    """``max_iter`` epochs (``fit``) or one (``partial_fit``) of sgd, adam or gd.

    ``validation_data`` is the caller's validation set from :func:`validation_arrays`,
    or None (with early stopping, a part of ``X`` is then held out).
    """
    net = model._network()
    if not incremental or not hasattr(model, "_optimizer_state"):
        model._optimizer_state = OptimizerState(net.parameters.size, net.dtype)
        model._learning_rate = float(model.learning_rate_init)
    validation = None
    if validation_data is not None:
        if not incremental or getattr(model, "_best_parameters", None) is None:
            model._best_parameters = net.parameters.copy()
        X_val, Y_val, val_weights = validation_data
        validation = (X_val, Y_val, val_weights,
                      net.workspace(X_val))
    elif validates(model):
        X, Y, weights, validation = _split_validation(model, X, Y, weights)
    X = check.rows(X, net.dtype)
    n_samples = X.shape[0]
    batch = _batch_size(model, n_samples)
    shuffle = model.shuffle and batch < n_samples
    optimizer_code = optim.OPTIMIZER_CODES["adam" if model.solver == "adam" else "sgd"]
    momentum = 0.0 if model.solver == "adam" else model.momentum
    rates = dropout_rates(model.dropout, len(net.sizes) - 2)
    # The dropout masks' stream is seeded from random_state, and only with dropout, so
    # that without it the random draws (and the path) stay scikit-learn's.
    mask_seed = model._random_state.randint(np.iinfo(np.int64).max) if rates.size else 0
    runner = EpochRunner(
        net, X, Y, weights, batch, False, np.array([mask_seed], dtype=np.uint64),
        model._optimizer_state,
        Optimizer(optimizer_code, momentum, model.nesterovs_momentum and momentum > 0,
                  model.beta_1, model.beta_2, model.epsilon, model.l1, model.alpha,
                  penalty_per_batch=True),
        dropout=rates,
    )
    epochs = 1 if incremental else model.max_iter
    model.n_iter_ = 0  # counts this call's epochs, as scikit-learn does (t_ accumulates)
    bar = progress_bar(model, epochs)
    loss = np.zeros(1)
    with deferred_interrupt() as interrupt:
        _run_epochs(model, net, runner, epochs, shuffle, n_samples, validation, incremental,
                    loss, bar, interrupt)
    if interrupt.requested:
        warn_interrupted(model.n_iter_, stacklevel=_CALLER + 1)


def _run_epochs(model, net, runner, epochs, shuffle, n_samples, validation, incremental,
                loss, bar, interrupt):
    """The epoch loop of the stochastic solvers (Ctrl-C checked between epochs)."""
    try:
        for _ in range(epochs):
            if interrupt.requested:
                break
            if shuffle:
                # sklearn.utils.shuffle's draw, without its per-call validation: it shuffles
                # an arange and takes the rows in that order. A shuffle's swaps do not
                # depend on the values swapped, so shuffling the order itself gives the
                # same permutation of it, without the arange and the copy.
                model._random_state.shuffle(runner.order)
            _, diverged = runner.run(1, loss, model._learning_rate)
            if diverged:
                if validation is None:
                    raise _divergence_error(model)
                _stop_diverged(model, n_samples)
                model._early_stopped = True
                break
            model.n_iter_ += 1
            model.loss_ = float(loss[0])
            model.t_ += n_samples
            model.loss_curve_.append(model.loss_)
            if model.verbose:
                print(f"Iteration {model.n_iter_}, loss = {model.loss_:.8f}")
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{model.loss_:.6g}")
            _count_no_improvement(model, validation)
            _invscaling(model)
            if model._no_improvement_count > model.n_iter_no_change:
                if _stop_or_slow_down(model, validation is not None):
                    model._early_stopped = validation is not None
                    break
                model._no_improvement_count = 0
            if not incremental and model.n_iter_ == model.max_iter:
                warnings.warn(
                    f"Stochastic optimizer: maximum iterations ({model.max_iter}) reached "
                    "and the optimization has not converged yet.",
                    ConvergenceWarning, stacklevel=_CALLER + 1,
                )
    finally:
        if bar is not None:
            bar.close()
        # fit ends on the best validated weights; partial_fit only once it stops.
        if validation is not None and (not incremental or model._early_stopped):
            net.parameters[:] = model._best_parameters
