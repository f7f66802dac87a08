"""The TensorFlow Neural Network Playground, reproduced: runs, and sweeps of runs.

A :class:`Playground` is one run of the browser app with its settings: the data set
(generated, shuffled and split as the app does), the input features, the network
(weights ``U[-0.5, 0.5)``, biases 0.1, tanh output for classification, linear for
regression), and its training semantics (fixed point order, an update every
``batch_size`` points with leftovers carried into the next epoch, regularisation after
the gradient step, L1 killing the links it drives across zero). All epochs run in one
compiled call (:mod:`fastmlp._kernels.playground`). The figures it reports are the
app's: mean ``1/2 (out - label)^2`` on the training and test sets after every epoch,
and the test accuracy for classification (the app shows no accuracy), from epoch 0
(before training) on.

One seeded stream drives everything, in the app's order: data, shuffle, weights. The
input features are always put in the app's order, whatever order they are given in, so
that a seed draws each feature's weights as the app would.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import product
from types import MappingProxyType

import numpy as np

from . import _validation as check
from . import export
from ._config import parallel_calls
from ._epochs import EpochFigures, run_in_calls
from ._interrupt import deferred_interrupt, warn_interrupted
from ._kernels import calls, network
from ._kernels import playground as kernel
from ._names import PLAYGROUND_ACTIVATIONS
from .datasets import DATASETS, make_playground, playground_split, problem_of
from .features import ALL_FEATURES, feature_names, playground_features
from .model import MLP, batch_driver, compile_loop, kernel_work

#: Hidden activations the Playground offers.
ACTIVATIONS = PLAYGROUND_ACTIVATIONS
REGULARIZATIONS = (None, "l1", "l2")
PROBLEMS = ("classification", "regression")

#: The settings the browser app opens with (its page without any setting changed); the
#: seed is not one of them. :meth:`Playground.app_defaults` makes a run of them.
APP_DEFAULTS = MappingProxyType({
    "dataset": "circle", "noise": 0.0, "train_ratio": 0.5, "features": ("x1", "x2"),
    "hidden": (4, 2), "activation": "tanh", "learning_rate": 0.03, "regularization": None,
    "regularization_rate": 0.0, "batch_size": 10, "problem": None,
})


class Playground:
    """One Playground run.

    The defaults are those of the exercise sheet's spiral task (the spiral, three hidden
    layers of eight, learning rate 0.1), not the app's opening page (circle, layers
    ``(4, 2)``, learning rate 0.03): scripts written against them keep working. For the
    app's opening settings use :meth:`app_defaults` (or :data:`APP_DEFAULTS`).

    Parameters
    ----------
    dataset : {"circle", "xor", "gauss", "spiral", "reg_plane", "reg_gauss"}
    noise : float in [0, 0.5]
        The app's noise slider (0-50 %) divided by 100.
    train_ratio : float in (0, 1)
        Share of the points used for training; the rest are the test set.
    features : sequence of str or comma-separated str
        Inputs among ``x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)``. The network takes
        them in the app's order (the order of this list) whatever order they are given
        in: ``("x2", "x1")`` is the same run as ``("x1", "x2")``, as in the app.
    hidden : sequence of int
        Hidden layer widths (``()`` is a network without hidden layer, as in the app).
    activation : {"tanh", "relu", "sigmoid", "linear"}
        Activation of every hidden layer.
    learning_rate : float > 0
    regularization : {None, "l1", "l2"}
    regularization_rate : float >= 0
    batch_size : int >= 1
    problem : {None, "classification", "regression"}
        ``None`` follows the data set. A classification set trained as regression fits
        the -1/+1 labels with a linear output; a regression set cannot be classified.
    seed : int or None

    Attributes
    ----------
    feature_names : tuple of str
        The input features, in the app's order.
    network : fastmlp.MLP
        The network (its ``parameters`` are the run's weights).
    dead : list of ndarray of bool
        Per layer, shaped like ``network.weights``: links killed by L1.
    history : dict of ndarray
        ``"train_loss"``, ``"test_loss"`` and, for classification, ``"test_accuracy"``:
        entry ``k`` is the figure after epoch ``k``, entry 0 that of the initial weights
        (the app's chart starts there too), so each holds ``epoch + 1`` entries; one more
        after a run diverged, the figures of the epoch that did (``inf`` or NaN).
    X_train, y_train, X_test, y_test : ndarray
        Raw points ``(x1, x2)`` and labels (-1/+1) or targets.
    epoch : int
        Epochs run so far.
    diverged : bool
        True once an epoch produced a loss that is not finite: training then stops, that
        epoch's losses are recorded as they came out (``inf`` where the outputs overflowed,
        NaN where they or the weights became NaN; the app shows "Infinity" and "NaN"),
        and the weights and dead links are those before it.
    """

    def __init__(self, dataset="spiral", noise=0.0, train_ratio=0.5, features=("x1", "x2"),
                 hidden=(8, 8, 8), activation="tanh", learning_rate=0.1, regularization=None,
                 regularization_rate=0.0, batch_size=10, problem=None, seed=0):
        self.dataset = check.choice("dataset", dataset, DATASETS)
        self.noise = check.real("noise", noise, minimum=0.0, maximum=0.5)
        self.train_ratio = check.real("train_ratio", train_ratio, exclusive_minimum=0.0,
                                      exclusive_maximum=1.0)
        chosen = feature_names(features)
        self.feature_names = tuple(name for name in ALL_FEATURES if name in chosen)
        self.hidden = _hidden_sizes(hidden)
        self.activation = check.choice("activation", activation, ACTIVATIONS)
        self.learning_rate = check.real("learning_rate", learning_rate, exclusive_minimum=0.0)
        if regularization not in REGULARIZATIONS:
            raise ValueError(
                f"unknown regularization {regularization!r}; valid choices: None, 'l1', 'l2'"
            )
        self.regularization = regularization
        self.regularization_rate = check.real("regularization_rate", regularization_rate,
                                              minimum=0.0)
        self.batch_size = check.positive_int("batch_size", batch_size)
        natural = problem_of(self.dataset)
        if problem is None:
            problem = natural
        check.choice("problem", problem, PROBLEMS)
        if problem == "classification" and natural == "regression":
            raise ValueError(
                f"{self.dataset} has real-valued targets: it can only be a regression problem"
            )
        self.problem = problem
        if seed is not None:
            check.positive_int("seed", seed, minimum=0)
        self.seed = seed

        rng = np.random.default_rng(seed)
        X, y = make_playground(self.dataset, noise=self.noise, seed=rng)
        self.X_train, self.X_test, self.y_train, self.y_test = playground_split(
            X, y, self.train_ratio, seed=rng)
        classification = problem == "classification"
        self.network = MLP(
            [len(self.feature_names), *self.hidden, 1], activation=self.activation,
            loss="squared_error", output="tanh" if classification else "identity",
            init="playground", seed=0,
        )
        for W, b in zip(self.network.weights, self.network.biases, strict=True):
            W[...] = rng.uniform(-0.5, 0.5, W.size).reshape(W.shape)  # the app's link order
            b[...] = 0.1
        self._inputs = (self.features(self.X_train), self.y_train.reshape(-1, 1).copy(),
                        self.features(self.X_test), self.y_test.reshape(-1, 1).copy())
        n_params = self.network.parameters.size
        self._dead = np.zeros(n_params, dtype=np.bool_)
        self._accumulated = np.zeros(n_params)
        self._count = np.zeros(1, dtype=np.int64)
        self.history = self._initial_figures()
        self.epoch = 0
        self.diverged = False

    @classmethod
    def app_defaults(cls, seed: int | None = 0, **changes) -> Playground:
        """A run with the settings the browser app opens with (:data:`APP_DEFAULTS`).

        Parameters
        ----------
        seed : int or None
        **changes
            Settings that differ from the app's, e.g. ``dataset="xor"``.
        """
        return cls(**{**APP_DEFAULTS, **changes, "seed": seed})

    def _initial_figures(self) -> dict[str, np.ndarray]:
        """The history's entry for epoch 0: the figures of the initial weights."""
        def half_squared_error(points, labels):
            outputs = self.neuron_outputs(points)[-1][:, 0]
            return outputs, np.mean(0.5 * (outputs - labels) ** 2)

        _, train_loss = half_squared_error(self.X_train, self.y_train)
        outputs, test_loss = half_squared_error(self.X_test, self.y_test)
        history = {"train_loss": np.array([train_loss]), "test_loss": np.array([test_loss])}
        if self.problem == "classification":
            history["test_accuracy"] = np.array([np.mean((outputs >= 0) == (self.y_test > 0))])
        return history

    # ------------------------------------------------------------ inputs
    def features(self, points) -> np.ndarray:
        """The run's input features of raw points ``(x1, x2)``, shape (n, n_features)."""
        return playground_features(points, self.feature_names)

    @property
    def dead(self) -> list[np.ndarray]:
        """Per layer, True where L1 killed the link (shaped like ``network.weights``)."""
        return [W for W, _ in self.network.parameter_blocks(self._dead)]

    @property
    def train_loss(self) -> float:
        """The app's training loss after the last epoch (of the initial weights before any)."""
        return float(self.history["train_loss"][-1])

    @property
    def test_loss(self) -> float:
        """The app's test loss after the last epoch (of the initial weights before any)."""
        return float(self.history["test_loss"][-1])

    # ------------------------------------------------------------ training
    def run(self, epochs: int) -> Playground:
        """Train ``epochs`` more epochs; returns ``self``.

        The epochs run in compiled calls of about 0.2 s each. Ctrl-C stops the run at the
        end of the current call, keeping the epochs completed (with a warning).
        """
        with deferred_interrupt() as interrupt:
            epochs = check.positive_int("epochs", epochs)
            if self.diverged:
                warnings.warn(
                    f"this run diverged in epoch {self.epoch + 1}; nothing more to train",
                    RuntimeWarning, stacklevel=2,
                )
                return self
            diverged, weights_finite = self._train(epochs, interrupt)
            if diverged:
                self.diverged = True
                warnings.warn(self._divergence_message(weights_finite), RuntimeWarning,
                              stacklevel=2)
            elif interrupt.requested:
                warn_interrupted(self.epoch)
        return self

    def _divergence_message(self, weights_finite: bool) -> str:
        """What the warning says about the epoch that diverged, in the app's words."""
        losses = {key: self.history[key][-1] for key in ("train_loss", "test_loss")}
        shown = {key: "Infinity" if np.isinf(value) else "NaN" if np.isnan(value)
                 else f"{value:.3f}" for key, value in losses.items()}
        failed = self.epoch + 1
        cause = ("its loss overflowed while the weights were still finite" if weights_finite
                 else "its weights stopped being finite")
        return (f"the run diverged in epoch {failed}: {cause}, so the Playground shows train "
                f"loss {shown['train_loss']} and test loss {shown['test_loss']}. The weights "
                f"after epoch {self.epoch} are kept; lower learning_rate.")

    def _train(self, epochs, interrupt):
        """Up to ``epochs`` epochs in compiled calls; figures appended to :attr:`history`.

        Returns whether an epoch diverged and, if one did, whether its weights were finite.
        """
        net = self.network
        work, inference, figures, arguments = self._loop()
        driver = batch_driver(work, net.dtype)
        predict = calls.address(network.predict, calls.PREDICT, net.dtype)
        compile_loop(kernel.playground_epochs, net.dtype,
                     lambda: arguments(net.placeholder_layout(), 0, 0, 0, 0))
        capacity = max(work["capacity"], inference["capacity"])
        layout = net.layout(capacity)
        blas = net._blas(capacity)
        weights_finite = [True]

        def run(first, count):
            with parallel_calls(work["threaded"], blas):
                done, diverged, weights_finite[0] = kernel.playground_epochs(
                    *arguments(layout, driver, predict, first, count))
            return done, diverged

        completed, diverged = run_in_calls(run, epochs, interrupt)
        recorded = completed + 1 if diverged else completed
        for key, row in zip(("train_loss", "test_loss", "test_accuracy"),
                            figures.rows(recorded), strict=True):
            if key in self.history:
                self.history[key] = np.concatenate([self.history[key], row])
        self.epoch += completed
        return diverged, weights_finite[0]

    def _loop(self):
        """The Playground loop's work buffers (training, inference), its figures, and its
        arguments as a function of ``(layout, driver, predict, first, count)``: the
        network's layout, the batch driver's and inference's addresses, and the epochs."""
        net = self.network
        X_train, Y_train, X_test, Y_test = self._inputs
        work = net.workspace(X_train, self.batch_size)
        inference = net.workspace(max(X_train, X_test, key=len), parallel=False)
        figures = EpochFigures(3)
        outputs = (np.empty((X_train.shape[0], 1)), np.empty((X_test.shape[0], 1)),
                   np.empty_like(net.parameters), np.empty_like(self._dead))
        rule = (self.learning_rate, kernel.REGULARIZATION_CODES[self.regularization],
                self.regularization_rate, self.problem == "classification")
        memory = (self._dead, self._accumulated, self._count)

        def arguments(layout, driver, predict, first, count):
            predicting = (predict, inference["a_offsets"], inference["acts"][0],
                          inference["scratch"][0], *outputs[:2])
            return (net.parameters, layout, (X_train, Y_train), (X_test, Y_test), rule, memory,
                    kernel_work(work), driver, predicting, outputs[2:], count, self.batch_size,
                    tuple(figures.block(first, count)))

        return work, inference, figures, arguments

    def compile_jobs(self) -> dict:
        """The compiling that :meth:`run` needs, one job per kernel, the loop first (as
        :meth:`fastmlp.MLP.compile_jobs`, for :func:`fastmlp.compiling.compile_shared`)."""
        net, dt = self.network, self.network.dtype
        work, inference, _, arguments = self._loop()
        steps = net.step_jobs(max(work["capacity"], inference["capacity"]))
        group = ("group_loss_and_gradient", calls.GROUP_LOSS_AND_GRADIENT)
        return {
            "playground_epochs": lambda: compile_loop(
                kernel.playground_epochs, dt,
                lambda: arguments(net.placeholder_layout(), 0, 0, 0, 0)),
            group: steps.pop(group),
            "batch driver": lambda: batch_driver(work, dt),
            "predict": lambda: calls.address(network.predict, calls.PREDICT, dt),
            **steps,
        }

    def step(self) -> Playground:
        """One epoch (the app's animation frame)."""
        return self.run(1)

    # ------------------------------------------------------------ inference
    def to_onnx(self):
        """The run's network as an ONNX model (``onnx.ModelProto``; needs the ``onnx``
        package) that takes raw points: input ``points`` (n, 2), float64; the run's
        features are computed inside the graph; output ``outputs``, :meth:`predict`'s
        values (n,). See :mod:`fastmlp.export`."""
        return export.playground_model(self.network, self.feature_names)

    def predict(self, points) -> np.ndarray:
        """The network's output for raw points ``(x1, x2)``, shape (n,)."""
        return self.network.outputs(self.features(points))[:, 0]

    def neuron_outputs(self, points) -> list[np.ndarray]:
        """Every neuron's output for raw points: one ``(n, width)`` array per layer,
        the input features first and the network's output last."""
        values = self.features(points)
        layers = [values]
        net = self.network
        n_hidden = len(net.weights) - 1
        for layer, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            z_tilde = values @ W.T + b
            if layer < n_hidden:
                values = _ACTIVATE[self.activation](z_tilde)
            else:
                values = np.tanh(z_tilde) if self.problem == "classification" else z_tilde
            layers.append(values)
        return layers

    def settings(self) -> dict:
        """The run's settings, as :func:`sweep` rows show them."""
        return {
            "dataset": self.dataset, "noise": self.noise, "train_ratio": self.train_ratio,
            "features": ",".join(self.feature_names),
            "hidden": ",".join(map(str, self.hidden)), "activation": self.activation,
            "learning_rate": self.learning_rate, "regularization": self.regularization,
            "regularization_rate": self.regularization_rate, "batch_size": self.batch_size,
            "problem": self.problem, "seed": self.seed,
        }

    def __repr__(self):
        return (f"Playground({self.dataset!r}, epoch={self.epoch}, "
                f"train_loss={self.train_loss:.3f}, test_loss={self.test_loss:.3f})")


# Used for the per-neuron pictures only (numpy; training uses the kernels).
_ACTIVATE = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),
    "linear": lambda z: z,
}


def _hidden_sizes(hidden):
    if isinstance(hidden, str):
        parts = [part.strip() for part in hidden.split(",")] if hidden.strip() else []
        if any(part == "" for part in parts):
            raise ValueError(f"hidden layers {hidden!r} has an empty entry; use e.g. '8,8,8'")
        try:
            hidden = [int(part) for part in parts]
        except ValueError:
            raise ValueError(
                f"hidden layers must be widths such as '8,8,8'; got {hidden!r}"
            ) from None
    if not isinstance(hidden, (Sequence, np.ndarray)):
        raise TypeError(f"hidden must be a sequence of layer widths such as (8, 8); got {hidden!r}")
    return tuple(check.positive_int(f"hidden[{i}]", width) for i, width in enumerate(hidden))


def playground_jobs(settings: Mapping) -> dict:
    """The compile jobs of ``Playground(**settings).run`` (:meth:`Playground.compile_jobs`):
    ``fastmlp playground`` shares them between two processes before it runs."""
    return Playground(**settings).compile_jobs()


def sweep(grid: Mapping[str, Sequence], seeds: Sequence[int] = (0,), epochs: int = 500,
          workers: int | None = None, **fixed) -> list[dict]:
    """Train every combination of settings for every seed, spread over the cores.

    Parameters
    ----------
    grid : mapping of setting name -> sequence of values
        Any :class:`Playground` parameters, e.g. ``{"learning_rate": [0.03, 0.1],
        "hidden": [(8, 8), (8, 8, 8)]}``.
    seeds : sequence of int
        Every combination runs once per seed.
    epochs : int
        Epochs per run.
    workers : int or None
        Threads (the compiled loop releases the GIL); ``None`` uses one per core.
    **fixed
        Settings shared by all runs (for example ``dataset="xor"``).

    Returns
    -------
    list of dict
        One row per run, in grid order: the settings, ``"train_loss"``, ``"test_loss"``,
        ``"test_accuracy"`` (NaN for regression), ``"diverged"`` and ``"seconds"``. Pass it
        to ``pandas.DataFrame`` for a frame.
    """
    epochs = check.positive_int("epochs", epochs)
    if not isinstance(grid, Mapping):
        raise TypeError("grid must map setting names to lists of values")
    if "seed" in grid or "seed" in fixed:
        raise ValueError("give the seeds as sweep(..., seeds=[...]), not as a setting")
    names = list(grid)
    combinations = [dict(zip(names, values, strict=True))
                    for values in product(*(list(grid[name]) for name in names))]
    runs = [{**fixed, **combination, "seed": seed}
            for combination in combinations for seed in seeds]
    playgrounds = [Playground(**settings) for settings in runs]  # validates everything first

    def train(playground):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            playground.run(epochs)
        seconds = time.perf_counter() - start
        accuracy = playground.history.get("test_accuracy", np.array([np.nan]))
        return {**playground.settings(), "train_loss": playground.train_loss,
                "test_loss": playground.test_loss,
                "test_accuracy": float(accuracy[-1]) if accuracy.size else float("nan"),
                "diverged": playground.diverged, "seconds": seconds}

    workers = workers or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(train, playgrounds))

