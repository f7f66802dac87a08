"""scikit-learn estimators: drop-in ``MLPClassifier`` and ``MLPRegressor``.

They take scikit-learn's parameters with scikit-learn's meaning and train with its
algorithms (the same initialisation, random streams, batches, penalty scaling,
optimizers, learning-rate schedules and stopping rules), so that for the same
``random_state`` they follow the same path, while every epoch runs in fastmlp's
compiled loop. Sparse input (CSR, as a ``OneHotEncoder`` gives it) is read sparsely by
the kernels. Extras: ``class_weight``, ``dropout``, validation sets of one's own
(``X_val``, ``y_val``) and early stopping in ``partial_fit``, ``solver="gd"``
(full-batch gradient descent), the ``"leaky_relu"`` activation and one activation per
hidden layer, an L1 penalty, float32 training, other initialisations,
``val_loss_curve_``, a progress bar, and safe files (:meth:`save` / :func:`fastmlp.load`).

Where fastmlp differs on purpose:

* Multi-output regression reports the loss whose gradient is followed: half the
  squared error summed over the outputs, averaged over the samples. scikit-learn
  reports it averaged over the outputs too, while its gradient is not; the training
  path is the same, ``loss_curve_`` differs by the factor ``n_outputs``.
* A diverging fit raises ``ValueError`` as soon as an epoch turns non-finite and keeps
  the last finite weights, so the model stays usable. With ``early_stopping`` it stops
  there instead, with a ``ConvergenceWarning``, and keeps the best validated weights, as
  scikit-learn ends such a run.

Where things are: this module holds the parameters and their checks, the network
(scikit-learn's initialisation; ``coefs_`` and ``intercepts_`` as views into it), the
input checks, inference and the public API, with what differs between the two estimators
(labels and ``class_weight``, the validation score, the regression losses) in
``MLPClassifier`` and ``MLPRegressor``. How they train, scikit-learn's rules around
fastmlp's compiled epochs (the epoch loop, L-BFGS, early stopping, learning-rate
schedules, validation sets, divergence, verbose output), is in
:mod:`fastmlp._sklearn_training`; the names of the fitted attributes that model files
and conversions carry are in :mod:`fastmlp._fitted`.

Imports: what each of these modules imports when it loads (helpers such as
``_validation`` left out) forms an acyclic graph::

    _fitted             nothing
    persistence         _fitted (the model classes register with it)
    _sklearn_twin       _fitted
    model               persistence, the compiled kernels
    _sklearn_training   model
    estimators          model, _sklearn_training, persistence, _sklearn_twin
    convert             _fitted, model, estimators, _sklearn_twin

No module imports one of these the other way, not even inside a function:
``tests/test_import_graph.py`` keeps it that way.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data

from . import _sklearn_training as training
from . import _validation as check
from . import export, persistence
from ._interrupt import deferred_interrupt
from ._sklearn_twin import sklearn_twin
from .model import INITS, MLP, dropout_rates

#: scikit-learn's activation names and fastmlp's own, mapped to fastmlp's kernels.
ACTIVATION_NAMES = {
    "identity": "linear",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "linear": "linear",
    "sigmoid": "sigmoid",
    "leaky_relu": "leaky_relu",
}
SOLVERS = ("adam", "sgd", "gd", "lbfgs")
#: The float types X is taken in as it is (others are converted).
_FLOAT_TYPES = (np.dtype(np.float64), np.dtype(np.float32))
#: Sparse input is taken as CSR (other formats are converted): the kernels read its rows.
SPARSE_FORMATS = "csr"
STOCHASTIC_SOLVERS = ("adam", "sgd", "gd")
LEARNING_RATES = ("constant", "invscaling", "adaptive")
#: Output activation (scikit-learn's name) -> fastmlp loss.
OUTPUT_LOSSES = {
    "logistic": "binary_cross_entropy",
    "softmax": "cross_entropy",
    "identity": "squared_error",
    "exp": "poisson",
}
#: MLPRegressor's losses (scikit-learn's names) -> output activation (scikit-learn's name).
REGRESSION_OUTPUTS = {"squared_error": "identity", "poisson": "exp"}


class _BaseMLP(BaseEstimator):
    """Parameters, network, inference and public API shared by the two estimators.

    Training follows scikit-learn's rules in :mod:`fastmlp._sklearn_training`.
    """

    _output_activation: str = ""

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        l1=0.0,
        dtype=None,
        init="glorot",
        dropout=0.0,
        progress_bar=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.l1 = l1
        self.dtype = dtype
        self.init = init
        self.dropout = dropout
        self.progress_bar = progress_bar

    # ------------------------------------------------------------ hyper-parameters
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
            raise TypeError(
                "hidden_layer_sizes must be an int or a sequence of ints such as (100,) or "
                f"(64, 32), got {sizes!r}"
            )
        return tuple(
            check.positive_int(f"hidden_layer_sizes[{i}]", size) for i, size in enumerate(sizes)
        )

    def _hidden_activations(self, n_hidden):
        names = tuple(ACTIVATION_NAMES)
        if isinstance(self.activation, str):
            name = check.choice("activation", self.activation, names)
            return (ACTIVATION_NAMES[name],) * n_hidden
        if (isinstance(self.activation, (Sequence, np.ndarray))
                and len(self.activation) == n_hidden):
            return tuple(ACTIVATION_NAMES[check.choice("activation", name, names)]
                         for name in self.activation)
        raise ValueError(
            f"activation must be one name or a list of {n_hidden} names (one per hidden layer), "
            f"got {self.activation!r}"
        )

    def _check_hyperparameters(self):
        """Validate every hyper-parameter; returns the resolved network settings."""
        hidden = self._hidden_sizes()
        activations = self._hidden_activations(len(hidden))
        check.choice("solver", self.solver, SOLVERS)
        if dropout_rates(self.dropout, len(hidden)).size and self.solver == "lbfgs":
            raise ValueError(
                "dropout needs a stochastic solver ('adam', 'sgd' or 'gd'): lbfgs minimises "
                "one fixed objective, and dropout makes every batch's objective a different "
                "random one. Use solver='adam', or dropout=0 with lbfgs."
            )
        check.real("alpha", self.alpha, minimum=0.0)
        check.real("l1", self.l1, minimum=0.0)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            check.positive_int("batch_size", self.batch_size)
        check.choice("learning_rate", self.learning_rate, LEARNING_RATES)
        check.real("learning_rate_init", self.learning_rate_init, exclusive_minimum=0.0)
        check.real("power_t", self.power_t, minimum=0.0)
        check.positive_int("max_iter", self.max_iter)
        check.boolean("shuffle", self.shuffle)
        check.real("tol", self.tol, minimum=0.0)
        if isinstance(self.verbose, bool) or not isinstance(self.verbose, numbers.Integral):
            check.boolean("verbose", self.verbose)
        check.boolean("warm_start", self.warm_start)
        check.real("momentum", self.momentum, minimum=0.0, maximum=1.0)
        check.boolean("nesterovs_momentum", self.nesterovs_momentum)
        check.boolean("early_stopping", self.early_stopping)
        check.real("validation_fraction", self.validation_fraction, minimum=0.0,
                   exclusive_maximum=1.0)
        check.real("beta_1", self.beta_1, minimum=0.0, exclusive_maximum=1.0)
        check.real("beta_2", self.beta_2, minimum=0.0, exclusive_maximum=1.0)
        check.real("epsilon", self.epsilon, exclusive_minimum=0.0)
        if not (isinstance(self.n_iter_no_change, numbers.Real)
                and self.n_iter_no_change == np.inf):
            check.positive_int("n_iter_no_change", self.n_iter_no_change)
        check.positive_int("max_fun", self.max_fun)
        check.choice("init", self.init, INITS)
        check.boolean("progress_bar", self.progress_bar)
        if self.dtype is not None:
            check.dtype(self.dtype)
        if self.random_state is not None and not isinstance(
            self.random_state, (numbers.Integral, np.random.RandomState)
        ):
            raise TypeError(
                "random_state must be None, an int or a numpy RandomState, got "
                f"{self.random_state!r}"
            )
        return hidden, activations

    # ------------------------------------------------------------ parameters
    def _set_network(self, net):
        """Make ``net`` the model; ``coefs_``/``intercepts_`` become views into it."""
        self._net = net
        self.coefs_ = [W.T for W in net.weights]
        self.intercepts_ = list(net.biases)
        self._views = (list(self.coefs_), list(self.intercepts_))

    def _network(self):
        """The fitted network, first taking in any arrays assigned to coefs_/intercepts_."""
        net = self._net
        coef_views, intercept_views = self._views
        current = list(self.coefs_) + list(self.intercepts_)
        if len(current) == len(coef_views) * 2 and all(
            a is b for a, b in zip(current, coef_views + intercept_views, strict=True)
        ):
            return net
        expected = [W.T.shape for W in net.weights] + [b.shape for b in net.biases]
        if len(current) != len(expected):
            raise ValueError(
                f"coefs_ and intercepts_ must hold {len(expected) // 2} arrays each, like the "
                "fitted network"
            )
        for array, shape in zip(current, expected, strict=True):
            if np.shape(array) != shape:
                raise ValueError(
                    f"coefs_/intercepts_ shapes must stay {expected}; got an array of shape "
                    f"{np.shape(array)}"
                )
        values = [np.asarray(a, dtype=net.dtype) for a in current]
        for value in values:
            check.finite("coefs_/intercepts_", value)
        n_layers = len(net.weights)
        for W, value in zip(net.weights, values[:n_layers], strict=True):
            W[...] = value.T
        for b, value in zip(net.biases, values[n_layers:], strict=True):
            b[...] = value
        self._set_network(net)
        return net

    def __getstate__(self):
        state = super().__getstate__()
        if "_net" in state:
            self._network()
            state = dict(state)
            for key in ("coefs_", "intercepts_", "_views"):
                state.pop(key, None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "_net" in state:
            self._set_network(self._net)

    def _weights_with_classes(self, weights, Y, incremental):
        """Sample weights after any class weights (a classifier's ``class_weight``)."""
        return weights

    def _initial_network(self, sizes, activations, dtype):
        """A new network initialised as scikit-learn does (for ``init="glorot"``).

        Glorot uniform on ``+-sqrt(factor / (fan_in + fan_out))`` for weights and
        intercepts alike, drawn from ``random_state`` layer by layer (coefficients, then
        intercepts); ``factor`` is 2 where the layer's activation is logistic, else 6
        (the output layer takes the last hidden layer's factor, as scikit-learn does).
        """
        glorot = self.init == "glorot"
        seed = 0 if glorot else int(self._random_state.randint(np.iinfo(np.int32).max))
        net = MLP(sizes, activation=activations, loss=OUTPUT_LOSSES[self.out_activation_],
                  init=self.init, dtype=dtype, seed=seed)
        if glorot:
            factors = [2.0 if a == "sigmoid" else 6.0 for a in activations]
            factors.append(factors[-1] if factors else 6.0)
            for layer, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
                fan_out, fan_in = W.shape
                bound = np.sqrt(factors[layer] / (fan_in + fan_out))
                W[...] = self._random_state.uniform(-bound, bound, (fan_in, fan_out)).T
                b[...] = self._random_state.uniform(-bound, bound, fan_out)
        return net

    # ------------------------------------------------------------ data
    def _settings_dtype(self, X):
        if self.dtype is not None:
            return check.dtype(self.dtype)
        dtype = X.dtype if hasattr(X, "dtype") else np.asarray(X).dtype
        return np.float32 if dtype == np.float32 else np.float64

    def _outputs(self, X):
        """Validated X through the network: output activations, (n_samples, n_outputs)."""
        if (type(X) is np.ndarray and X.dtype in _FLOAT_TYPES and hasattr(self, "_net")
                and not hasattr(self, "feature_names_in_")):
            # A float array with no feature names on either side: scikit-learn's checks
            # would give what the network's own give (its width is the fitted one).
            # Anything refused goes the full way below, for scikit-learn's message.
            net = self._network()
            try:
                return net.outputs(net.inference_rows(X.astype(net.dtype, copy=False)))
            except ValueError:
                pass
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32),
                          accept_sparse=SPARSE_FORMATS)
        net = self._network()
        X = check.features(X, net.sizes[0], net.dtype)
        return net.outputs(X)

    # ------------------------------------------------------------ training
    def _fit(self, X, y, sample_weight, incremental, validation_data=(None, None, None)):
        # Ctrl-C from here on stops training cleanly (before the first epoch, if it comes
        # while the data are prepared) instead of leaving a half-reset estimator.
        with deferred_interrupt():
            return self._fit_uninterrupted(X, y, sample_weight, incremental, validation_data)

    def _check_solver(self):
        """True when ``partial_fit`` is available (scikit-learn's ``available_if`` test)."""
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for the stochastic solvers ('sgd', 'adam', "
                f"'gd'); {self.solver} is not stochastic"
            )
        return True

    def _fit_uninterrupted(self, X, y, sample_weight, incremental, validation_data):
        """Check the arguments, start or continue the network, then train by scikit-learn's
        rules (:mod:`fastmlp._sklearn_training`)."""
        hidden, activations = self._check_hyperparameters()
        if incremental:
            self._check_solver()
        own_validation = training.check_validation_data(self, validation_data, incremental)
        if incremental and training.stopped_early(self):
            return self
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, Y = self._validate_input(X, y, incremental, reset=first_pass)
        dtype = self._settings_dtype(X) if first_pass else self._net.dtype
        Y = np.ascontiguousarray(Y.reshape(len(Y), -1), dtype=dtype)
        weights = self._weights_with_classes(
            check.sample_weights(sample_weight, X.shape[0], dtype), Y, incremental)
        sizes = (X.shape[1], *hidden, Y.shape[1])
        self._random_state = check_random_state(self.random_state)
        if own_validation:
            validation_data = training.validation_arrays(self, validation_data, dtype,
                                                         Y.shape[1])
        else:
            validation_data = None
        if first_pass:
            self.n_outputs_ = Y.shape[1]
            self.n_layers_ = len(sizes)
            self.out_activation_ = self._output_name()
            self._set_network(self._initial_network(sizes, activations, dtype))
            training.reset_training_state(self)
        else:
            net = self._network()
            if net.sizes != sizes or tuple(net.activation) != activations:
                raise ValueError(
                    f"warm_start/partial_fit continue the fitted network {list(net.sizes)} "
                    f"({', '.join(net.activation)}); the data and parameters now describe "
                    f"{list(sizes)} ({', '.join(activations)}). Set warm_start=False to "
                    "start afresh."
                )
        if self.solver == "lbfgs":
            training.fit_lbfgs(self, X, Y, weights)
        else:
            training.fit_stochastic(self, X, Y, weights, incremental, validation_data)
        return self

    # ------------------------------------------------------------ public API
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None, *,
            X_val: ArrayLike | None = None, y_val: ArrayLike | None = None,
            sample_weight_val: ArrayLike | None = None):
        """Fit the model to ``X`` and ``y``.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
        y : array-like, shape (n_samples,) or (n_samples, n_outputs)
            Class labels (classification) or real targets (regression).
        sample_weight : array-like, shape (n_samples,), optional
            Non-negative weights: each batch's loss is the weighted mean and the penalty
            is divided by the batch's weight sum, as in scikit-learn.
        X_val, y_val : array-like, optional
            A validation set of your own for ``early_stopping=True`` (the convention of
            scikit-learn's ``HistGradientBoosting`` estimators): all of ``X`` trains,
            and the score on ``X_val`` after every epoch fills ``validation_scores_``,
            its loss ``val_loss_curve_``, and decides when to stop. Without them,
            ``validation_fraction`` of ``X`` is held out, as in scikit-learn.
        sample_weight_val : array-like, shape (n_val,), optional
            Weights of the validation samples in its score and loss.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            On invalid input or hyper-parameters, and when training diverges (the
            weights of the last finite epoch are kept and the model stays usable).
        """
        return self._fit(X, y, sample_weight, incremental=False,
                         validation_data=(X_val, y_val, sample_weight_val))

    def save(self, path) -> None:
        """Write the fitted model to ``path`` in fastmlp's safe format (:func:`fastmlp.load`)."""
        persistence.save(self, path)

    def to_sklearn(self):
        """The equivalent fitted scikit-learn estimator (same weights and predictions)."""
        return sklearn_twin(self)

    def to_onnx(self):
        """The fitted model as an ONNX model (``onnx.ModelProto``; needs the ``onnx``
        package), with the inputs and outputs scikit-learn's converters give
        (``skl2onnx`` with ``zipmap=False``): input ``X`` in the model's dtype; a
        classifier's outputs ``label`` (:meth:`predict`) and ``probabilities``
        (:meth:`predict_proba`), a regressor's ``variable`` (:meth:`predict`, shape
        ``(n_samples, n_outputs)``). See :mod:`fastmlp.export`.
        """
        check_is_fitted(self)
        return self._onnx_model(self._network())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


@persistence.model_kind
class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's ``MLPClassifier``, compiled.

    Binary and multi-label targets get logistic outputs with binary cross-entropy,
    multi-class targets a softmax with cross-entropy.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (100,)
        Width of each hidden layer.
    activation : str or sequence of str, default "relu"
        ``"identity"``, ``"logistic"``, ``"tanh"``, ``"relu"`` (scikit-learn's names),
        ``"leaky_relu"`` (slope 0.01), or one name per hidden layer.
    solver : {"adam", "sgd", "gd", "lbfgs"}, default "adam"
        ``"gd"`` is full-batch gradient descent (``batch_size`` ignored; momentum as
        in ``"sgd"``).
    alpha : float, default 1e-4
        L2 penalty ``alpha / (2 S) sum W^2`` per batch of size (or weight sum) ``S``.
    batch_size : int or "auto", default "auto"
        ``"auto"`` is ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default "constant"
        Schedule for the SGD solvers, as in scikit-learn.
    learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose,
    warm_start, momentum, nesterovs_momentum, early_stopping, validation_fraction,
    beta_1, beta_2, epsilon, n_iter_no_change, max_fun :
        As in scikit-learn. ``verbose`` prints scikit-learn's ``Iteration N, loss = ...``
        line after every epoch and its messages when training stops or slows down;
        ``n_iter_no_change`` may be ``np.inf`` (never stop before ``max_iter``).
    class_weight : None, "balanced" or dict, default None
        Classifier only. Each sample's weight (1, or its ``sample_weight``) is multiplied
        by its class's weight, as in scikit-learn's other classifiers: a dict maps class
        labels to weights (missing classes weigh 1); ``"balanced"`` weighs each class by
        ``n_samples / (n_classes * count)`` from the labels passed to ``fit``. It also
        weights the early-stopping validation score. Not for multi-label targets, and
        ``"balanced"`` not in ``partial_fit`` (pass the weights as a dict).
    l1 : float, default 0
        L1 penalty ``l1 / S sum |W|`` per batch, scaled like ``alpha``.
    dtype : {None, "float32", "float64"}, default None
        Training precision; ``None`` follows ``X`` (float32 stays float32, anything else
        becomes float64).
    init : {"glorot", "he", "normal", "playground"}, default "glorot"
        ``"glorot"`` is scikit-learn's initialisation, drawn from ``random_state``
        exactly as scikit-learn draws it; the others are :class:`fastmlp.MLP`'s schemes.
    progress_bar : bool, default False
        Show a progress bar (tqdm) with the epoch and the loss while fitting.

    Attributes
    ----------
    classes_, coefs_, intercepts_, loss_, best_loss_, loss_curve_, validation_scores_,
    best_validation_score_, n_iter_, t_, n_layers_, n_outputs_, out_activation_,
    n_features_in_, feature_names_in_ :
        As in scikit-learn; ``coefs_[i]`` has shape ``(fan_in, fan_out)``.
    val_loss_curve_ : list of float or None
        With ``early_stopping``, the validation loss (mean loss without the penalty)
        after every epoch.
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        class_weight=None,
        l1=0.0,
        dtype=None,
        init="glorot",
        dropout=0.0,
        progress_bar=False,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver,
            alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change,
            max_fun=max_fun, l1=l1, dtype=dtype, init=init, dropout=dropout,
            progress_bar=progress_bar,
        )
        self.class_weight = class_weight

    def _output_name(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _weights_with_classes(self, weights, Y, incremental):
        """Each sample's weight times its class's weight (``class_weight``)."""
        class_weight = self.class_weight
        if class_weight is None:
            return weights
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            raise ValueError(
                "class_weight is not supported for multi-label targets (each sample has "
                "several classes); weight the samples with sample_weight instead"
            )
        classes = self.classes_
        index = Y[:, 0].astype(np.int64) if Y.shape[1] == 1 else Y.argmax(axis=1)
        if isinstance(class_weight, str) and class_weight == "balanced":
            if incremental:
                raise ValueError(
                    "class_weight='balanced' is not supported in partial_fit: a block of data "
                    "does not show the classes' overall frequencies. Compute the weights once "
                    "with sklearn.utils.class_weight.compute_class_weight('balanced', "
                    "classes=classes, y=y) on all the labels and pass them as a dict."
                )
            per_class = compute_class_weight("balanced", classes=classes,
                                             y=classes[index])
        elif isinstance(class_weight, dict):
            unknown = [key for key in class_weight if key not in set(classes.tolist())]
            if unknown:
                raise ValueError(
                    f"class_weight has keys {unknown} that are not classes; the classes are "
                    f"{classes.tolist()}"
                )
            per_class = np.array([check.real(f"class_weight[{c!r}]", class_weight.get(c, 1.0),
                                             minimum=0.0) for c in classes.tolist()])
        else:
            raise ValueError(
                "class_weight must be None, 'balanced' or a dict {class label: weight}, got "
                f"{class_weight!r}"
            )
        by_sample = per_class[index].astype(weights.dtype)
        if weights.size:
            by_sample *= weights
        if not by_sample.any():
            raise ValueError("class_weight and sample_weight leave every sample with weight 0")
        return np.ascontiguousarray(by_sample)

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, multi_output=True, dtype=(np.float64, np.float32),
                             reset=reset, accept_sparse=SPARSE_FORMATS)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"y has classes not in classes_ {self.classes_}: y has {classes}. Pass "
                    "every class in classes= on the first partial_fit call."
                )
        return X, self._label_binarizer.transform(y)

    @available_if(_BaseMLP._check_solver)
    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
                    classes: ArrayLike | None = None, *, X_val: ArrayLike | None = None,
                    y_val: ArrayLike | None = None, sample_weight_val: ArrayLike | None = None):
        """One epoch over ``X``, ``y``, continuing the model (and its optimizer state).

        ``classes`` (every class that will ever appear) is required on the first call.

        With ``early_stopping=True``, pass a validation set of your own, the same
        ``X_val``, ``y_val`` (and ``sample_weight_val``) on every call: after each call's
        epoch the validation score is recorded, ``n_iter_no_change`` counts across calls,
        and when it runs out the best validated weights are restored and later calls
        change nothing (with a warning).
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight, incremental=True,
                         validation_data=(X_val, y_val, sample_weight_val))

    def _validation_targets(self, y_val):
        y_val = check_array(y_val, ensure_2d=False, dtype=None, input_name="y_val")
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val)
        if self._label_binarizer.y_type_ != "multilabel-indicator":
            unseen = np.setdiff1d(unique_labels(y_val), self.classes_)
            if unseen.size:
                raise ValueError(
                    f"y_val has classes not in classes_ {self.classes_}: {unseen}"
                )
        return self._label_binarizer.transform(y_val)

    def _validation_score(self, X_val, Y_val, weights):
        probabilities = self._net.outputs(X_val)
        if not np.isfinite(probabilities).all():
            return np.nan
        predicted = self._labels(probabilities)
        truth = self._labels(Y_val)
        return float(accuracy_score(truth, predicted, sample_weight=weights))

    def _onnx_model(self, net):
        multilabel = self._label_binarizer.y_type_ == "multilabel-indicator"
        return export.classifier_model(net, self.classes_, multilabel)

    def _labels(self, outputs):
        if self.n_outputs_ == 1:
            outputs = outputs.ravel()
        return self._label_binarizer.inverse_transform(outputs)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted class labels (label indicator rows for multi-label targets)."""
        return self._labels(self._outputs(X))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape ``(n_samples, n_classes)``, columns in ``classes_`` order."""
        outputs = self._outputs(X)
        if self.n_outputs_ == 1:
            positive = outputs.ravel()
            return np.vstack([1 - positive, positive]).T
        return outputs

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """``log(predict_proba(X))``."""
        probabilities = self.predict_proba(X)
        return np.log(probabilities, out=probabilities)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


@persistence.model_kind
class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor: scikit-learn's ``MLPRegressor``, compiled.

    One output per target column. Parameters and attributes as :class:`MLPClassifier`
    (without ``classes_``), plus ``loss``:

    * ``"squared_error"`` (default): identity outputs, half the squared error;
    * ``"poisson"``: exponential outputs (a log link), half the Poisson deviance
      ``y log(y / y_hat) - y + y_hat`` summed over the outputs, for targets ``>= 0``
      (counts, rates); ``predict`` returns the predicted means.
    """

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        l1=0.0,
        dtype=None,
        init="glorot",
        dropout=0.0,
        progress_bar=False,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver,
            alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change,
            max_fun=max_fun, l1=l1, dtype=dtype, init=init, dropout=dropout,
            progress_bar=progress_bar,
        )
        self.loss = loss

    def _check_hyperparameters(self):
        check.choice("loss", self.loss, tuple(REGRESSION_OUTPUTS))
        return super()._check_hyperparameters()

    def _output_name(self):
        return REGRESSION_OUTPUTS[self.loss]

    def _check_targets(self, y, name="y"):
        """Refuse text targets and, for the Poisson loss, negative ones, with advice."""
        targets = y if hasattr(y, "dtype") else np.asarray(y)
        if getattr(targets, "dtype", None) is not None and targets.dtype.kind in "OSU":
            try:
                targets = np.asarray(targets, dtype=np.float64)
            except (TypeError, ValueError):
                example = next((v for v in np.ravel(targets) if isinstance(v, (str, bytes))),
                               np.ravel(targets)[:1])
                raise ValueError(
                    f"MLPRegressor needs numeric targets, but {name} holds values such as "
                    f"'{example}'. For class labels use MLPClassifier; for numbers stored as "
                    f"text, convert them first, e.g. {name}.astype(float)."
                ) from None
        if self.loss == "poisson" and np.size(targets) and np.nanmin(targets) < 0:
            raise ValueError(
                f"loss='poisson' needs targets {name} >= 0 (counts, rates); {name} has a "
                f"minimum of {np.nanmin(targets)}. Use loss='squared_error' for targets of "
                "either sign."
            )

    def _validate_input(self, X, y, incremental, reset):
        self._check_targets(y)
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True,
                             accept_sparse=SPARSE_FORMATS,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _validation_targets(self, y_val):
        self._check_targets(y_val, "y_val")
        return check_array(y_val, ensure_2d=False, dtype=np.float64, input_name="y_val")

    @available_if(_BaseMLP._check_solver)
    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
                    *, X_val: ArrayLike | None = None, y_val: ArrayLike | None = None,
                    sample_weight_val: ArrayLike | None = None):
        """One epoch over ``X``, ``y``, continuing the model (and its optimizer state).

        With ``early_stopping=True``, pass the same ``X_val``, ``y_val`` on every call (see
        :meth:`MLPClassifier.partial_fit`).
        """
        return self._fit(X, y, sample_weight, incremental=True,
                         validation_data=(X_val, y_val, sample_weight_val))

    def _validation_score(self, X_val, Y_val, weights):
        predicted = self._net.outputs(X_val)
        if not np.isfinite(predicted).all():
            return np.nan
        return float(r2_score(Y_val, predicted, sample_weight=weights))

    def _onnx_model(self, net):
        return export.regressor_model(net)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted targets, shape ``(n_samples,)`` for one output, else (n_samples, n_outputs)."""
        outputs = self._outputs(X)
        return outputs.ravel() if outputs.shape[1] == 1 else outputs
