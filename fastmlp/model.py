"""``MLP``: the thin Python layer over the compiled kernels.

It validates inputs, converts them to the network's dtype and layout, allocates every
work buffer once per call, and hands whole epochs to :mod:`fastmlp._kernels.train`.
There are no numeric loops here.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import ArrayLike

from . import _validation as check
from . import export, persistence
from ._config import launch_threads, parallel_calls, single_threaded_blas
from ._epochs import EpochFigures, run_in_calls
from ._interrupt import deferred_interrupt, warn_interrupted
from ._kernels import calls, dense, network, optim, train
from ._kernels.activations import ACTIVATION_CODES
from ._kernels.heads import (
    CANONICAL_OUTPUT,
    EXP_POISSON,
    HEAD_CODES,
    SIGMOID_BCE,
    SOFTMAX_CE,
    TANH_SE,
)

LOSSES = tuple(CANONICAL_OUTPUT)
OUTPUTS = ("sigmoid", "softmax", "identity", "tanh", "exp")
INITS = ("normal", "glorot", "he", "playground")
OPTIMIZERS = tuple(optim.OPTIMIZER_CODES)

#: Samples per chunk of the work buffers: bounds memory for any batch or data size.
CHUNK_SAMPLES = 4096
#: Rows per chunk of prediction, also the unit that prediction splits across threads.
INFERENCE_CHUNK = 1024
#: Fewest multiply-adds (forward pass) in a group of a batch given to its own thread:
#: below this, starting the threads costs more than they save.
MIN_GROUP_WORK = 1 << 17
#: The same for networks with a layer of more than :data:`LOOP_LAYER_MAX` weights, whose
#: groups call BLAS: measured, batches of 32 split in two on digits (64-128-10) trained
#: 5-15% slower than in one thread, batches of 200 on a 54-100-7 table 1.6x faster.
MIN_BLAS_GROUP_WORK = 1 << 19
#: Fewest samples in a group of such a network: each group writes a whole gradient, which
#: for a large network costs as much memory traffic as the products of a few samples.
MIN_BLAS_GROUP_SAMPLES = 64
#: Largest layer (fan_in * fan_out) whose groups run as plain loops.
LOOP_LAYER_MAX = 64 * 64


class DivergenceError(FloatingPointError):
    """Training produced a non-finite loss or weights; the last finite weights were kept."""


def kernel_rows(X, dtype, no_csr=None):
    """Validated rows as the kernels take them, ``(X, data, indices, indptr)``: a dense
    array and three empty arrays (``no_csr``, when given, made by :func:`empty_csr`), or an
    empty placeholder and the CSR arrays of :class:`~fastmlp._validation.SparseRows`
    (see :mod:`fastmlp._kernels.network`)."""
    if isinstance(X, check.SparseRows):
        return (np.empty((0, 0), dtype=dtype), *map(writable, X.kernel_rows()))
    return (writable(X), *(empty_csr(dtype) if no_csr is None else no_csr))


def empty_csr(dtype):
    """The three empty CSR arrays that stand for no sparse rows."""
    return (np.empty(0, dtype=dtype), np.empty(0, dtype=np.int64),
            np.empty(0, dtype=np.int64))


def batch_driver(work, dtype) -> int:
    """The native address of the batch driver for ``work`` (threaded when its buffers have
    several slots), which the compiled loops call (:mod:`fastmlp._kernels.calls`)."""
    driver = (network.threaded_batch_loss_and_gradient if work["threaded"]
              else network.batch_loss_and_gradient)
    return calls.address(driver, calls.BATCH_LOSS_AND_GRADIENT, dtype)


def threaded_update(work, n_params) -> bool:
    """Whether a run with work buffers ``work`` (:meth:`MLP.workspace`) splits its
    parameter update across threads too: when its batches are split and it has at least
    :data:`fastmlp._kernels.optim.THREADED_ADAM_MIN_PARAMS` parameters."""
    return bool(work["threaded"]) and n_params >= optim.THREADED_ADAM_MIN_PARAMS


def writable(array):
    """``array``, or a copy when it is read-only: Numba compiles a kernel anew for a
    read-only array type, so every kernel is compiled for writable arrays only (and
    ``fastmlp compile`` covers every call). The kernels never write to the rows."""
    return array if array.flags.writeable else array.copy()


def kernel_work(work):
    """The work buffers of :meth:`MLP.workspace` as the batch kernels take them."""
    return tuple(work[key] for key in ("a_offsets", "acts", "deltas", "y_buffer", "scratch",
                                       "group_grads", "part_grads", "group_losses",
                                       "min_group"))


class OptimizerState:
    """Optimizer memory carried from one training call to the next.

    ``velocity`` is the momentum buffer (SGD) or Adam's first moment, ``second_moment``
    Adam's second moment and ``step_count`` the number of Adam steps taken.
    """

    def __init__(self, n_params: int, dtype: type) -> None:
        self.velocity = np.zeros(n_params, dtype=dtype)
        self.second_moment = np.zeros(n_params, dtype=dtype)
        self.step_count = np.zeros(1, dtype=np.int64)


@dataclass(frozen=True)
class Optimizer:
    """An optimizer's settings as the training loop takes them.

    ``code`` is the update kernel's (:data:`fastmlp._kernels.optim.OPTIMIZER_CODES`); the
    others are as in :meth:`MLP.fit`. With ``penalty_per_batch``, ``l1`` and ``l2`` are
    divided by each batch's size (or weight sum), as scikit-learn's ``alpha`` is.
    """

    code: int
    momentum: float = 0.0
    nesterov: bool = False
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    l1: float = 0.0
    l2: float = 0.0
    penalty_per_batch: bool = False


class EpochRunner:
    """Everything one training loop over one data set needs, allocated once.

    :meth:`run` hands whole epochs to the compiled loop. The sample order is the
    attribute :attr:`order`: shuffled in compiled code when ``shuffle``, otherwise used
    as it stands, so a caller may set it before each epoch (the estimators do, to
    shuffle with scikit-learn's random streams).

    Parameters
    ----------
    net : MLP
        The network trained in place.
    X, Y, sample_weight : ndarray
        Validated, C-contiguous arrays in the network's dtype (``sample_weight`` empty
        for unweighted samples).
    batch : int
        Samples per update (at most ``n_samples``).
    shuffle : bool
        Reshuffle :attr:`order` at every epoch with the SplitMix64 stream in ``rng_state``.
    rng_state : ndarray of uint64, shape (1,)
    state : OptimizerState
        Updated in place, so it can continue in a later runner.
    optimizer : Optimizer
    dropout : ndarray
        One dropout rate per hidden layer, or empty for none (:func:`dropout_rates`);
        the masks' keys come from ``rng_state``.
    """

    def __init__(self, net, X, Y, sample_weight, batch, shuffle, rng_state, state,
                 optimizer, dropout=None):
        self.net = net
        if not net.parameters.flags.writeable:  # e.g. unpickled from a read-only memory map
            net.parameters = net.parameters.copy()
        self.rows = kernel_rows(X, net.dtype)
        self.targets = (writable(Y), writable(sample_weight))
        self.sparse = check.is_sparse(X)
        self.batch = batch
        self.shuffle = shuffle
        self.rng_state = rng_state
        self.state = state
        self.order = np.arange(X.shape[0], dtype=np.int64)
        self.backup = np.empty_like(net.parameters)
        self.work = net.workspace(X, batch)
        self.blas = net._blas(self.work["capacity"])  # as in the layout of _prepare
        self.optimizer = optimizer
        self.dropout = (np.empty(0, dtype=net.dtype) if dropout is None
                        else np.ascontiguousarray(dropout, dtype=net.dtype))
        self.dropout_key = np.zeros(1, dtype=np.uint64)
        self._prepared = None

    def run(self, n_epochs: int, losses: np.ndarray, lr: float) -> tuple[int, bool]:
        """Train up to ``n_epochs`` epochs at learning rate ``lr``.

        Writes each completed epoch's objective into ``losses`` and returns the number of
        epochs completed and whether training stopped because an epoch diverged (the
        parameters are then those from before that epoch).
        """
        if self._prepared is None:  # the same for every call of this runner
            self._prepared = self._prepare()
        with parallel_calls(self.work["threaded"], self.blas):
            return train.train_epochs(*self._arguments(*self._prepared, n_epochs, losses, lr))

    def _prepare(self):
        """``(layout, driver, update_address)`` of :meth:`run`: the network's steps, the
        batch driver and the optimizer's update, compiled or loaded, and the loop."""
        net, work, dt = self.net, self.work, self.net.dtype
        settings = self.optimizer
        driver = batch_driver(work, dt)
        self.compile()
        update = optim.update_step(settings.code, dt(settings.momentum), settings.nesterov,
                                   threaded_update(work, net.parameters.size))
        update_address = calls.address(update, calls.OPTIMIZER_STEP, dt)
        layout = net.layout(work["capacity"], self.sparse, self.dropout.size > 0)
        return layout, driver, update_address

    def compile(self) -> None:
        """Compile (or load) the training loop for this runner's argument types."""
        compile_loop(train.train_epochs, self.net.dtype, lambda: self._arguments(
            self.net.placeholder_layout(), 0, 0, 0, np.empty(0), 0.0))

    def _arguments(self, layout, driver, update_address, n_epochs, losses, lr):
        dt, settings = self.net.dtype, self.optimizer
        optimizer = (update_address, dt(lr), dt(settings.momentum), dt(settings.beta_1),
                     dt(settings.beta_2), dt(settings.epsilon), dt(settings.l1),
                     dt(settings.l2), settings.penalty_per_batch)
        state = self.state
        return (self.net.parameters, layout, self.rows, self.targets, kernel_work(self.work),
                driver, self.order, n_epochs, self.batch, self.shuffle, self.rng_state,
                optimizer, (state.velocity, state.second_moment, state.step_count),
                (self.dropout, self.dropout_key), self.backup, losses)


def compile_loop(loop, dtype, arguments) -> None:
    """Compile (or load) ``loop`` for the types of ``arguments()`` before the steps it will
    call exist.

    The types of a loop's arguments depend only on the dtype, not on the steps'
    addresses, so a placeholder layout will do; ``arguments`` is called only when the
    loop is not yet ready in this process. When another process compiles the steps
    meanwhile (:func:`fastmlp.compiling.compile_shared`), this one then loads them from
    the disk cache.
    """
    key = (loop, np.dtype(dtype))
    if key not in _LOOP_READY:
        loop.compile(tuple(map(numba.typeof, arguments())))
        _LOOP_READY.add(key)


_LOOP_READY: set = set()
#: Per thread: each model's inference buffers (:meth:`MLP._inference_plan`).
_INFERENCE_PLANS = threading.local()
_PREDICT_POOL = []
_PREDICT_POOL_LOCK = threading.Lock()


def _inference_capacity(n_rows: int) -> int:
    """Rows per chunk of prediction on ``n_rows`` rows: the next power of two, at most
    :data:`INFERENCE_CHUNK`."""
    return min(INFERENCE_CHUNK, 1 << (n_rows - 1).bit_length())


def _predict_pool():
    """The threads that take the other parts of a large prediction (one fewer than
    Numba's threads), started on first use."""
    with _PREDICT_POOL_LOCK:
        if not _PREDICT_POOL:
            _PREDICT_POOL.append(ThreadPoolExecutor(max(1, launch_threads() - 1),
                                                    thread_name_prefix="fastmlp-predict"))
        return _PREDICT_POOL[0]


def dropout_rates(dropout, n_hidden: int) -> np.ndarray:
    """``dropout`` (one rate, or one per hidden layer) as a float64 array of ``n_hidden``
    rates in [0, 1); empty when every rate is 0, so that training runs the exact code
    path of no dropout."""
    if isinstance(dropout, (bool, np.bool_, str, bytes)):
        raise TypeError(f"dropout must be a rate in [0, 1) or one rate per hidden layer, "
                        f"got {dropout!r}")
    if isinstance(dropout, (Sequence, np.ndarray)):
        if len(dropout) != n_hidden:
            raise ValueError(
                f"dropout needs one rate per hidden layer ({n_hidden}), got {len(dropout)}: "
                f"{list(dropout)!r}"
            )
        rates = [check.real(f"dropout[{i}]", rate, minimum=0.0, exclusive_maximum=1.0)
                 for i, rate in enumerate(dropout)]
    else:
        rate = check.real("dropout", dropout, minimum=0.0, exclusive_maximum=1.0)
        if rate > 0 and n_hidden == 0:
            raise ValueError("dropout applies to hidden layers, and this network has none")
        rates = [rate] * n_hidden
    return np.array(rates) if any(rates) else np.empty(0)


@persistence.model_kind
class MLP:
    """A multi-layer perceptron trained by compiled gradient descent.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first: ``[2, 10, 1]`` is 2 inputs, one hidden layer of 10
        and 1 output.
    activation : str or sequence of str
        Hidden activation: ``"tanh"``, ``"relu"``, ``"sigmoid"``, ``"linear"`` or
        ``"leaky_relu"`` (slope 0.01), for all hidden layers or one name per hidden layer.
    loss : str
        ``"binary_cross_entropy"``, ``"cross_entropy"``, ``"squared_error"``
        (``1/2 ||y_hat - y||^2`` per sample) or ``"poisson"`` (half the Poisson deviance
        ``sum y log(y / y_hat) - y + y_hat`` per sample, for counts and other targets
        ``>= 0``). The objective is the mean loss over the samples plus the penalties.
    output : str or None
        Output activation; ``None`` picks the loss's canonical one (sigmoid, softmax,
        identity, exp). The only other pairing accepted is ``"tanh"`` with squared error
        (targets in [-1, 1], as in the Neural Network Playground).
    init : str
        ``"normal"``: standard normal weights times ``init_scale``, zero biases (the
        two-moons experiment's scheme). ``"glorot"``: uniform on
        ``+-sqrt(6 / (fan_in + fan_out))``, zero biases. ``"he"``: normal with standard
        deviation ``sqrt(2 / fan_in)``, zero biases. ``"playground"``: uniform on
        ``[-0.5, 0.5)``, biases 0.1. Weights are multiplied by ``init_scale`` in every scheme.
    init_scale : float
        Factor applied to the initial weights (not the biases).
    dtype : {"float64", "float32"}
        Arithmetic precision of parameters and training.
    seed : int or None
        Seeds the initial weights and the shuffling of every later ``fit``.

    Attributes
    ----------
    parameters : ndarray, shape (n_params,)
        All weights and biases in one contiguous vector: ``W^(0)``, ``b^(0)``, ``W^(1)``...
    weights : list of ndarray
        ``W^(l)`` of shape ``(fan_out, fan_in)``: writable views into ``parameters``.
    biases : list of ndarray
        ``b^(l)`` of shape ``(fan_out,)``: writable views into ``parameters``.
    history : dict of ndarray
        Per-epoch figures of the last ``fit``: ``"loss"``, the objective averaged over the
        epoch's batches (each evaluated before its update, so for full-batch training the
        objective at the weights the epoch started from); with validation data also
        ``"val_loss"`` (mean loss without penalty, after the epoch) and, for
        classification, ``"val_accuracy"``.

    Notes
    -----
    Derivations of every formula used: docs page "Derivations".
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Sequence[str] = "tanh",
        loss: str = "binary_cross_entropy",
        output: str | None = None,
        init: str = "normal",
        init_scale: float = 1.0,
        dtype: str | type = "float64",
        seed: int | None = 0,
    ) -> None:
        self.sizes = check.layer_sizes(sizes)
        n_hidden = len(self.sizes) - 2
        if isinstance(activation, str):
            names = (check.choice("activation", activation, tuple(ACTIVATION_CODES)),) * n_hidden
        elif isinstance(activation, (Sequence, np.ndarray)) and len(activation) == n_hidden:
            names = tuple(
                check.choice("activation", name, tuple(ACTIVATION_CODES)) for name in activation
            )
        else:
            raise ValueError(
                f"activation must be one name or a list of {n_hidden} names (one per hidden "
                f"layer), got {activation!r}"
            )
        self.activation = names
        self.loss_name = check.choice("loss", loss, LOSSES)
        if output is None:
            output = CANONICAL_OUTPUT[loss]
        check.choice("output", output, OUTPUTS)
        if (loss, output) not in HEAD_CODES:
            pairs = ", ".join(f"{o!r} with {lo!r}" for lo, o in HEAD_CODES)
            raise ValueError(
                f"output {output!r} cannot be paired with loss {loss!r}; supported pairs: {pairs}"
            )
        self.output = output
        self._head = HEAD_CODES[(loss, output)]
        if self._head == SOFTMAX_CE and self.sizes[-1] < 2:
            raise ValueError(
                "cross_entropy with softmax needs at least 2 outputs; for two classes use "
                "2 outputs, or 1 output with loss='binary_cross_entropy'"
            )
        self.init = check.choice("init", init, INITS)
        self.init_scale = check.real("init_scale", init_scale, minimum=0.0)
        self.dtype = check.dtype(dtype)
        if seed is not None:
            check.positive_int("seed", seed, minimum=0)
        self.seed = seed
        self._activation_codes = np.array([ACTIVATION_CODES[a] for a in names], dtype=np.int64)
        self._sizes = np.array(self.sizes, dtype=np.int64)
        fan_products = self._sizes[:-1] * self._sizes[1:] + self._sizes[1:]
        self._w_offsets = np.concatenate(([0], np.cumsum(fan_products)[:-1])).astype(np.int64)
        self._rng = np.random.default_rng(seed)
        self.parameters = np.empty(int(fan_products.sum()), dtype=self.dtype)
        self._initialise()
        self.history: dict[str, np.ndarray] = {}

    # ----------------------------------------------------------------- parameters
    def _initialise(self):
        for W, b in zip(self.weights, self.biases, strict=True):
            fan_out, fan_in = W.shape
            if self.init == "normal":
                values = self._rng.standard_normal((fan_out, fan_in))
            elif self.init == "glorot":
                bound = np.sqrt(6.0 / (fan_in + fan_out))
                values = self._rng.uniform(-bound, bound, (fan_out, fan_in))
            elif self.init == "he":
                values = self._rng.standard_normal((fan_out, fan_in)) * np.sqrt(2.0 / fan_in)
            else:
                values = self._rng.uniform(-0.5, 0.5, (fan_out, fan_in))
            W[...] = values * self.init_scale
            b[...] = 0.1 if self.init == "playground" else 0.0

    @property
    def weights(self) -> list[np.ndarray]:
        """``W^(l)``, shape ``(fan_out, fan_in)``: writable views into :attr:`parameters`."""
        return [W for W, _ in self.parameter_blocks(self.parameters)]

    @property
    def biases(self) -> list[np.ndarray]:
        """``b^(l)``, shape ``(fan_out,)``: writable views into :attr:`parameters`."""
        return [b for _, b in self.parameter_blocks(self.parameters)]

    @property
    def n_outputs(self) -> int:
        """Width of the output layer."""
        return self.sizes[-1]

    @property
    def is_classifier(self) -> bool:
        """True for the cross-entropy losses (labels, probabilities, accuracy)."""
        return self.loss_name in ("binary_cross_entropy", "cross_entropy")

    def __repr__(self):
        return (
            f"MLP({list(self.sizes)}, activation={list(self.activation)!r}, "
            f"loss={self.loss_name!r}, output={self.output!r}, dtype={self.dtype.__name__!r})"
        )

    def save(self, path) -> None:
        """Write the network and its history to ``path`` (safe format, see :func:`fastmlp.load`)."""
        persistence.save(self, path)

    def to_onnx(self):
        """The network as an ONNX model (``onnx.ModelProto``; needs the ``onnx`` package).

        Input ``X`` (n, n_features) in the network's dtype; outputs ``outputs``, the head's
        output (:meth:`predict_proba` for the classification losses, :meth:`predict`
        otherwise), and for the classification losses ``label`` (:meth:`predict`). Save
        it with ``onnx.save_model(model, "model.onnx")``; see :mod:`fastmlp.export`.
        """
        return export.mlp_model(self)

    # ----------------------------------------------------------------- data
    def _features(self, X, name="X"):
        return check.features(X, self.sizes[0], self.dtype, name)

    def inference_rows(self, X) -> np.ndarray | check.SparseRows:
        """``X`` validated for :meth:`outputs`.

        The common case, a C-contiguous array of the network's dtype and width, is let
        through at once (the kernel checks that its values are finite as it reads them);
        anything else is checked and converted here.

        Raises
        ------
        ValueError, TypeError
            When ``X`` is not a non-empty 2-D array (or sparse matrix) of real numbers of
            the network's input width, or holds NaN or infinity.
        """
        if (type(X) is np.ndarray and X.dtype == self.dtype and X.ndim == 2
                and X.shape[0] > 0 and X.shape[1] == self.sizes[0] and X.flags.c_contiguous):
            return X
        return self._features(X)

    def _targets(self, y, n_samples, name="y"):
        """Targets as a C-contiguous ``(n_samples, n_outputs)`` array of the dtype."""
        array = np.asarray(y)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
        if array.ndim not in (1, 2) or array.shape[0] != n_samples:
            raise ValueError(
                f"{name} must have one entry (1-D) or one row (2-D) per sample: expected "
                f"{n_samples} samples, got shape {array.shape}"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        n_outputs = self.n_outputs
        if self._head == SOFTMAX_CE and array.ndim == 1:
            integral = np.array_equal(array, np.round(array))
            if not integral or array.min() < 0 or array.max() >= n_outputs:
                raise ValueError(
                    f"{name} for cross_entropy must be class ids 0..{n_outputs - 1} (1-D) or "
                    f"one-hot / probability rows of width {n_outputs} (2-D)"
                )
            targets = np.zeros((n_samples, n_outputs), dtype=self.dtype)
            targets[np.arange(n_samples), array.astype(np.int64)] = 1.0
            return targets
        if array.ndim == 1:
            array = array.reshape(-1, 1)
        if array.shape[1] != n_outputs:
            hint = ""
            if self._head == SIGMOID_BCE and np.ndim(y) == 1:
                hint = (
                    f". For {n_outputs} classes given as 1-D class ids 0..{n_outputs - 1}, use "
                    "loss='cross_entropy' (softmax outputs); binary_cross_entropy takes one "
                    "0/1 column per output"
                )
            raise ValueError(
                f"{name} has {array.shape[1]} column(s) but the network has {n_outputs} "
                f"output(s){hint}"
            )
        targets = np.ascontiguousarray(array, dtype=self.dtype)
        if self._head == SOFTMAX_CE:
            if targets.min() < 0 or not np.allclose(targets.sum(axis=1), 1.0, atol=1e-6):
                raise ValueError(
                    f"2-D {name} for cross_entropy must have non-negative rows summing to 1 "
                    "(one-hot or class probabilities)"
                )
        elif self._head == SIGMOID_BCE:
            if targets.min() < 0 or targets.max() > 1:
                raise ValueError(
                    f"{name} for binary_cross_entropy must be labels 0/1 (or probabilities in "
                    f"[0, 1]); got values in [{array.min()}, {array.max()}]"
                )
        elif self._head == EXP_POISSON and targets.min() < 0:
            raise ValueError(
                f"{name} for the poisson loss must be non-negative (counts, rates); got a "
                f"minimum of {array.min()}"
            )
        elif self._head == TANH_SE and np.abs(targets).max() > 1:
            raise ValueError(
                f"{name} for a tanh output must lie in [-1, 1] (e.g. labels -1/+1); got values "
                f"in [{array.min()}, {array.max()}]"
            )
        return targets

    def placeholder_layout(self):
        """A layout of :meth:`layout`'s types with no steps (for :func:`compile_loop`)."""
        return self._w_offsets, self._sizes, np.zeros(0, dtype=np.int64)

    def layout(self, capacity, sparse=False, dropout=False, training=True):
        """The network as the kernels take it, ``(w_offsets, sizes, steps)``, for work
        buffers of ``capacity`` samples (see :mod:`fastmlp._kernels.network`): the steps
        it needs (for inference only, without ``training``) are compiled (or loaded from
        the disk cache) on first use."""
        steps = network.network_steps(self.dtype, self._activation_codes, self._head,
                                      self._blas(capacity, training), sparse, dropout,
                                      training)
        return self._w_offsets, self._sizes, steps

    def _blas(self, capacity, training=True):
        """Whether some product may reach BLAS with work buffers of ``capacity`` samples,
        in training (at the threshold of :func:`fastmlp._kernels.dense.training_blas_min_work`)
        or in inference only."""
        threshold = dense.training_blas_min_work() if training else dense.BLAS_MIN_WORK
        return any(dense.reaches_blas.py_func(int(fan_out), int(fan_in), capacity, threshold)
                   for fan_in, fan_out in zip(self._sizes[:-1], self._sizes[1:], strict=True))

    def workspace(self, rows, batch: int | None = None, parallel: bool = True) -> dict:
        """Work buffers for the kernels, for batches of ``rows`` (validated rows, dense or
        sparse, as :func:`fastmlp._validation.features` gives them) of up to ``batch``
        samples (default: all of them); allocated once per call of a public method.

        A batch is split into groups whose number depends only on the batch size and the
        network (:func:`fastmlp._kernels.network.group_count`), each worked through in
        chunks of up to :data:`CHUNK_SAMPLES`; with several Numba threads (and not
        ``parallel=False``, as for inference) the groups are spread over ``n_slots``
        threads. Every large product goes to a BLAS held to one thread, so the result is
        the same bits whatever the thread count. For ``sparse`` input the first layer
        reads the data's rows directly, so the buffers keep no room for the input layer.

        Splitting the batch beats BLAS's own threads at the batch sizes people train with:
        measured on 2 cores with scikit-learn's default settings (batches of 200, 100
        hidden units), a 50,000 x 54 table trains 1.6x faster than with only the products
        split by BLAS, whose threads wait for each other on every small product.
        """
        sparse = check.is_sparse(rows)
        batch = rows.shape[0] if batch is None else batch
        products = self._sizes[:-1] * self._sizes[1:]
        if products.max() <= LOOP_LAYER_MAX:
            min_group = -(-MIN_GROUP_WORK // int(products.sum()))  # samples, rounded up
        else:
            min_group = max(-(-MIN_BLAS_GROUP_WORK // int(products.sum())),
                            MIN_BLAS_GROUP_SAMPLES)
        n_groups = network.group_count.py_func(batch, min_group)
        n_slots = min(launch_threads(), n_groups) if parallel else 1
        capacity = min(batch, CHUNK_SAMPLES)
        widths = self._sizes.copy()
        if sparse:
            widths[0] = 0
        a_offsets = np.concatenate(([0], np.cumsum(widths * capacity)[:-1])).astype(np.int64)
        total = int(widths.sum() * capacity)
        n_params = self.parameters.size
        return {
            "a_offsets": a_offsets,
            "acts": np.empty((n_slots, total), dtype=self.dtype),
            "deltas": np.empty((n_slots, total), dtype=self.dtype),
            "y_buffer": np.empty((n_slots, self.n_outputs * capacity), dtype=self.dtype),
            "scratch": np.empty((n_slots, 5, capacity), dtype=self.dtype),
            "group_grads": np.zeros((n_groups, n_params), dtype=self.dtype),
            "part_grads": np.zeros((n_slots, n_params), dtype=self.dtype),
            "group_losses": np.zeros(n_groups),
            "min_group": min_group,
            "threaded": n_slots > 1,
            "capacity": capacity,
        }

    def summed_loss(self, X, Y, work, with_gradient=False, sample_weight=None,
                    dropout=None, dropout_key=0):
        """Summed (weighted) loss over all rows of X/Y, validated as for :meth:`objective`,
        with ``work`` from :meth:`workspace`.

        With a gradient, the mean-loss gradient (weighted mean with ``sample_weight``)
        lands in ``work["group_grads"][0]``. ``dropout`` (rates per hidden layer) and
        ``dropout_key`` evaluate the network under the masks that training draws for a
        batch of these rows with that key (the rows' positions are their batch positions).
        """
        if sample_weight is None:
            sample_weight = np.empty(0, dtype=self.dtype)
        rates = (np.empty(0, dtype=self.dtype) if dropout is None
                 else np.ascontiguousarray(dropout, dtype=self.dtype))
        total_weight = sample_weight.sum() if sample_weight.size else X.shape[0]
        driver = (network.threaded_batch_loss_and_gradient if work["threaded"]
                  else network.batch_loss_and_gradient)
        n_samples = X.shape[0]
        layout = self.layout(work["capacity"], check.is_sparse(X), rates.size > 0)
        with parallel_calls(work["threaded"], self._blas(work["capacity"])):
            return float(driver(
                writable(self.parameters), layout, kernel_rows(X, self.dtype),
                (writable(Y), writable(sample_weight)),
                np.empty(0, dtype=np.int64), 0, n_samples, self.dtype(1.0 / total_weight),
                with_gradient, kernel_work(work), False,
                (rates, np.array([dropout_key], dtype=np.uint64)),
            ))

    # ----------------------------------------------------------------- objective
    def loss(
        self, X: ArrayLike, y: ArrayLike, l1: float = 0.0, l2: float = 0.0,
        sample_weight: ArrayLike | None = None,
    ) -> float:
        """The objective that :meth:`fit` minimises: mean loss over the samples + penalties.

        ``penalty = (l2 / 2) sum W^2 + l1 sum |W|`` over the weights (not the biases).
        With ``sample_weight`` the mean is weighted: ``sum w_i L_i / sum w_i``.
        """
        value, _ = self._objective(X, y, l1, l2, sample_weight, with_gradient=False)
        return value

    def gradients(
        self, X: ArrayLike, y: ArrayLike, l1: float = 0.0, l2: float = 0.0,
        sample_weight: ArrayLike | None = None,
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradient of :meth:`loss` over the whole data set.

        Returns
        -------
        (list of ndarray, list of ndarray)
            ``dW`` with the shapes of :attr:`weights` and ``db`` with those of :attr:`biases`.
        """
        _, grad = self._objective(X, y, l1, l2, sample_weight, with_gradient=True)
        blocks = self.parameter_blocks(grad)
        return [W.copy() for W, _ in blocks], [b.copy() for _, b in blocks]

    def _objective(self, X, y, l1, l2, sample_weight, with_gradient):
        l1 = check.real("l1", l1, minimum=0.0)
        l2 = check.real("l2", l2, minimum=0.0)
        X = self._features(X)
        Y = self._targets(y, X.shape[0])
        weights = check.sample_weights(sample_weight, X.shape[0], self.dtype)
        return self.objective(X, Y, l1, l2, weights, with_gradient)

    def objective(self, X, Y, l1, l2, weights, with_gradient, work=None):
        """:meth:`loss` on validated rows and targets, and where its gradient lands.

        ``X`` as :meth:`workspace` takes it, ``Y`` a C-contiguous ``(n_samples,
        n_outputs)`` array and ``weights`` the sample weights (empty for none), all in the
        network's dtype; ``work`` from :meth:`workspace` for ``X`` (allocated here when
        None) lets repeated calls reuse the buffers.

        Returns
        -------
        (float, ndarray)
            The objective, and the buffer that holds its gradient with respect to
            :attr:`parameters` when ``with_gradient`` (overwritten by the next call with
            the same ``work``).
        """
        if work is None:
            work = self.workspace(X)
        total_weight = float(weights.sum()) if weights.size else X.shape[0]
        mean_loss = self.summed_loss(X, Y, work, with_gradient, weights) / total_weight
        grad = work["group_grads"][0]
        return mean_loss + self._add_penalty(grad, l1, l2, with_gradient), grad

    def _add_penalty(self, grad, l1, l2, with_gradient) -> float:
        """The penalty ``l1 * |W| + l2 / 2 * W**2`` summed over the weights, with its
        gradient added to ``grad``'s weights when ``with_gradient``.

        numpy rather than the training loop's kernel: called from Python, that kernel would
        compile a copy of its own on the first penalised call, and a few whole-array
        operations cost no more than the compiled loop.
        """
        if not (l1 or l2):
            return 0.0
        l1, l2 = self.dtype(l1), self.dtype(l2)
        penalty = 0.0
        for (W, _), (dW, _) in zip(self.parameter_blocks(self.parameters),
                                   self.parameter_blocks(grad), strict=True):
            penalty += float(l2 / 2 * np.vdot(W, W) + l1 * np.abs(W).sum())
            if with_gradient:
                dW += l2 * W + l1 * np.sign(W)
        return penalty

    def parameter_blocks(self, vector) -> list[tuple[np.ndarray, np.ndarray]]:
        """``vector`` (laid out as :attr:`parameters`) cut into each layer's ``(W, b)``:
        views of shapes ``(fan_out, fan_in)`` and ``(fan_out,)``."""
        blocks = []
        for layer, start in enumerate(self._w_offsets):
            fan_in, fan_out = self.sizes[layer], self.sizes[layer + 1]
            end = start + fan_out * fan_in
            blocks.append((vector[start:end].reshape(fan_out, fan_in),
                           vector[end:end + fan_out]))
        return blocks

    # ----------------------------------------------------------------- training
    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        epochs: int = 1000,
        lr: float = 0.5,
        batch_size: int | None = None,
        optimizer: str = "sgd",
        momentum: float = 0.0,
        nesterov: bool = False,
        l1: float = 0.0,
        l2: float = 0.0,
        shuffle: bool = True,
        validation_data: tuple | None = None,
        callback: Callable[[int, dict], bool | None] | None = None,
        progress: bool = False,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        sample_weight: ArrayLike | None = None,
        dropout: float | Sequence[float] = 0.0,
    ) -> MLP:
        """Train from the current parameters.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
        y : array-like
            0/1 labels (binary cross-entropy, shape ``(n,)`` or ``(n, n_outputs)``),
            class ids ``(n,)`` or one-hot / probability rows (cross-entropy), or real
            targets ``(n,)`` or ``(n, n_outputs)`` (squared error).
        epochs : int
            Passes over the data.
        lr : float
            Learning rate (> 0).
        batch_size : int or None
            Samples per update; ``None`` (or anything >= n_samples) is full-batch
            gradient descent. The last batch of an epoch may be smaller.
        optimizer : {"sgd", "adam"}
        momentum : float in [0, 1)
            SGD momentum (scikit-learn's form ``v = mu v - lr g``).
        nesterov : bool
            Nesterov momentum (needs ``momentum > 0``).
        l1, l2 : float
            Penalties on the weights (not the biases); see :meth:`loss`.
        shuffle : bool
            Reshuffle the samples every epoch (seeded by the model's ``seed``). Has no
            effect in full-batch mode, where the order cannot change the update.
        validation_data : (X_val, y_val) or None
            Evaluated after every epoch into ``history["val_loss"]`` (and
            ``"val_accuracy"`` for classification).
        callback : callable or None
            ``callback(epoch, logs)`` after every epoch (1-based epoch, ``logs`` a dict of
            that epoch's figures); returning ``True`` stops training.
        progress : bool
            Show a progress bar (tqdm) with the epoch and loss.
        beta_1, beta_2, epsilon : float
            Adam's moment decay rates and denominator guard.
        sample_weight : array-like, shape (n_samples,), or None
            Non-negative weight of each sample: every batch's loss becomes the weighted
            mean ``sum w_i L_i / sum w_i``. A batch whose weights are all zero is skipped.
        dropout : float or sequence of float
            Inverted dropout on the hidden layers while training: a rate ``p`` in [0, 1)
            for all of them, or one per hidden layer. Each unit of each sample is kept
            with probability ``1 - p`` and then scaled by ``1 / (1 - p)``, so that the
            layer's expected output is unchanged, or dropped (0). The masks are drawn
            in compiled code from the model's ``seed`` (a fresh mask per batch), so a
            run is reproducible and the thread count does not change it. ``predict``,
            ``loss`` and the validation figures use the whole network. Rate 0 is exactly
            training without dropout.

        Returns
        -------
        MLP
            ``self``.

        Raises
        ------
        DivergenceError
            When an epoch produces a non-finite objective or weights: the parameters are
            those at the end of the last finite epoch and :attr:`history` holds the epochs
            that completed.

        Notes
        -----
        Without validation data, callback or progress bar, the epochs run in compiled
        calls of about 0.2 s each; otherwise Python is re-entered once per epoch. Ctrl-C
        stops training at the end of the current call (or epoch), keeping the weights and
        history of the last completed epoch, with a warning, as scikit-learn's estimators
        do. Optimizer state (momentum, Adam moments) starts fresh at every call.
        """
        with deferred_interrupt() as interrupt:
            epochs = check.positive_int("epochs", epochs)
            lr = check.real("lr", lr, exclusive_minimum=0.0)
            if batch_size is not None:
                batch_size = check.positive_int("batch_size", batch_size)
            optimizer_code = optim.OPTIMIZER_CODES[check.choice("optimizer", optimizer, OPTIMIZERS)]
            momentum = check.real("momentum", momentum, minimum=0.0, exclusive_maximum=1.0)
            nesterov = check.boolean("nesterov", nesterov)
            if nesterov and momentum == 0.0:
                raise ValueError("nesterov=True needs momentum > 0 (e.g. momentum=0.9)")
            l1 = check.real("l1", l1, minimum=0.0)
            l2 = check.real("l2", l2, minimum=0.0)
            shuffle = check.boolean("shuffle", shuffle)
            progress = check.boolean("progress", progress)
            beta_1 = check.real("beta_1", beta_1, minimum=0.0, exclusive_maximum=1.0)
            beta_2 = check.real("beta_2", beta_2, minimum=0.0, exclusive_maximum=1.0)
            epsilon = check.real("epsilon", epsilon, exclusive_minimum=0.0)
            if callback is not None and not callable(callback):
                raise TypeError(
                    f"callback must be callable as callback(epoch, logs), got {callback!r}"
                )
            X = self._features(X)
            Y = self._targets(y, X.shape[0])
            validation = None
            if validation_data is not None:
                if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                    raise TypeError("validation_data must be a pair (X_val, y_val)")
                X_val = self._features(validation_data[0], "validation X")
                validation = (X_val, self._targets(validation_data[1], X_val.shape[0],
                                                   "validation y"))

            weights = check.sample_weights(sample_weight, X.shape[0], self.dtype)
            rates = dropout_rates(dropout, len(self.sizes) - 2)
            n_samples = X.shape[0]
            batch = n_samples if batch_size is None else min(batch_size, n_samples)
            runner = EpochRunner(
                self, X, Y, weights, batch, shuffle and batch < n_samples,
                np.array([self._rng.integers(2**63)], dtype=np.uint64),
                OptimizerState(self.parameters.size, self.dtype),
                Optimizer(optimizer_code, momentum, nesterov, beta_1, beta_2, epsilon, l1, l2),
                dropout=rates,
            )

            figure_names = ["loss"]
            if validation is not None:
                figure_names += ["val_loss", "val_accuracy"] if self.is_classifier else ["val_loss"]
            figures = EpochFigures(len(figure_names))
            if validation is None and callback is None and not progress:
                completed, diverged = run_in_calls(
                    lambda first, count: runner.run(count, figures.block(first, count)[0], lr),
                    epochs, interrupt,
                )
            else:
                completed, diverged = self._fit_epoch_by_epoch(
                    runner, lr, epochs, figures, validation, callback, progress, interrupt
                )
            self.history = dict(zip(figure_names, figures.rows(completed), strict=True))
            if interrupt.requested and not diverged:
                warn_interrupted(completed)
            if diverged:
                raise DivergenceError(
                    f"training diverged in epoch {completed + 1} (non-finite loss or weights) with "
                    f"lr={lr}; the weights after epoch {completed} were kept. Try a smaller "
                    "learning rate."
                )
            return self

    def _fit_epoch_by_epoch(self, runner, lr, epochs, figures, validation, callback, progress,
                            interrupt):
        """Python loop over epochs, for validation, callbacks and progress bars."""
        if validation is not None:
            val_work = self.workspace(validation[0])
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=epochs, desc="fit", unit="epoch")
        completed, diverged = 0, False
        try:
            for epoch in range(epochs):
                if interrupt.requested:
                    break
                column = figures.block(epoch, 1)
                _, diverged = runner.run(1, column[0], lr)
                if diverged:
                    break
                completed = epoch + 1
                logs = {"loss": float(column[0, 0])}
                if validation is not None:
                    X_val, Y_val = validation
                    val_loss = self.summed_loss(X_val, Y_val, val_work) / X_val.shape[0]
                    column[1, 0] = logs["val_loss"] = val_loss
                    if self.is_classifier:
                        column[2, 0] = logs["val_accuracy"] = self._accuracy(X_val, Y_val)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{logs['loss']:.4g}")
                if callback is not None and callback(completed, logs) is True:
                    break
        finally:
            if bar is not None:
                bar.close()
        return completed, diverged

    def _accuracy(self, X, Y):
        """Share of samples whose predicted label (all labels, for multi-label) is right."""
        predicted = self.outputs(X, apply_head=False)
        if self._head == SOFTMAX_CE:
            return float(np.mean(predicted.argmax(axis=1) == Y.argmax(axis=1)))
        return float(np.mean(np.all((predicted >= 0) == (Y >= 0.5), axis=1)))

    # ----------------------------------------------------------------- inference
    def outputs(self, X, apply_head: bool = True) -> np.ndarray:
        """The network's outputs for validated rows ``X`` (as :meth:`workspace` takes
        them; the values of dense rows may still be unchecked: the kernel reports a
        non-finite one), shape ``(n_samples, n_outputs)``: the head's output ``y_hat``
        with ``apply_head``, else the output pre-activations.

        Dense rows are worked through in chunks of :data:`INFERENCE_CHUNK`; from two
        chunks on, whole chunks go to each of Numba's threads (each with its own work
        buffers and BLAS held to one thread), so the result is the same bits whatever
        the thread count.

        Raises
        ------
        ValueError
            When a value of ``X`` is NaN or infinite.
        """
        out = np.empty((X.shape[0], self.n_outputs), dtype=self.dtype)
        sparse = isinstance(X, check.SparseRows)
        theta = writable(self.parameters)
        chunks = -(-X.shape[0] // INFERENCE_CHUNK)
        n_parts = 1 if sparse or chunks < 2 else min(launch_threads(), chunks)
        # The calling thread's plans: part p of every call from this thread uses plan p,
        # whichever thread of the pool runs it.
        plans = self._own_plans()
        if n_parts == 1:
            finite = [self._predict_rows(theta, X, sparse, apply_head, out, plans, 0)]
        else:
            bounds = [min(X.shape[0], INFERENCE_CHUNK * (chunks * part // n_parts))
                      for part in range(n_parts + 1)]
            parts = [(theta, X[start:end], False, apply_head, out[start:end], plans, part)
                     for part, (start, end)
                     in enumerate(zip(bounds[:-1], bounds[1:], strict=True))]
            with single_threaded_blas():
                others = [_predict_pool().submit(self._predict_rows, *part)
                          for part in parts[1:]]
                finite = [self._predict_rows(*parts[0])]
                finite += [other.result() for other in others]
        if not all(finite):
            check.finite("X", X)  # raises, saying what is wrong
        return out

    def _predict_rows(self, theta, X, sparse, apply_head, out, plans, part) -> bool:
        """The kernel's work of :meth:`outputs` on ``X`` into ``out``, in this thread, with
        plan ``part`` of ``plans``; whether every value of ``X`` was finite."""
        layout, a_offsets, acts, scratch, blas, no_csr = self._inference_plan(
            X, sparse, plans, part)
        rows = kernel_rows(X, self.dtype, no_csr)
        # Held to one thread only when a chunk's product reaches BLAS (see dense.py).
        with single_threaded_blas() if blas else nullcontext():
            return network.predict(theta, layout, a_offsets, rows, apply_head, out, acts,
                                   scratch)

    def _own_plans(self) -> dict:
        """The inference plans of this model for calls from the current thread
        (:meth:`_inference_plan`)."""
        by_model = getattr(_INFERENCE_PLANS, "by_model", None)
        if by_model is None:
            by_model = _INFERENCE_PLANS.by_model = weakref.WeakKeyDictionary()
        own = by_model.get(self)
        if own is None:
            own = by_model[self] = {}
        return own

    def _inference_plan(self, X, sparse, plans, part):
        """What :meth:`outputs` hands the kernel besides the rows, made once per calling
        thread, part of the rows, size class and sparseness: ``(layout, a_offsets, acts,
        scratch, blas, no_csr)``, kept in ``plans`` (:meth:`_own_plans`).

        Work buffers hold a chunk of ``INFERENCE_CHUNK`` rows at most, and fewer for fewer
        rows (the next power of two), so that a single row costs neither the allocation
        nor the memory of a large buffer. Each calling thread has its own, so that
        threads can predict with one model at once; within a call, each part of the rows
        has its own, found by its number rather than by the pool thread that runs it, so
        that after a first call of a size no later one allocates, however the pool
        hands out the parts.
        """
        capacity = _inference_capacity(X.shape[0])
        plan = plans.get((capacity, sparse, part))
        if plan is None:
            work = self.workspace(X, capacity, parallel=False)
            layout = self.layout(work["capacity"], sparse, training=False)
            steps = layout[2]
            plan = plans[capacity, sparse, part] = (
                layout, work["a_offsets"], work["acts"][0], work["scratch"][0],
                bool(steps[network.BLAS_PRODUCT] != steps[network.PRODUCT]),
                empty_csr(self.dtype))
        return plan

    def step_jobs(self, capacity: int, training: bool = True) -> dict:
        """The steps that :meth:`layout` compiles for these arguments, one compile job
        each, the largest first (see :meth:`compile_jobs`); keys ``(kernel name, kind)``."""
        return {(kernel.__name__, kind): functools.partial(calls.address, kernel, kind,
                                                           self.dtype)
                for _, kernel, kind in network.network_step_kernels(
                    self._activation_codes, self._head, self._blas(capacity, training),
                    training=training)}

    def _inference_arguments(self, layout, X, apply_head, out, work):
        return (writable(self.parameters), layout, work["a_offsets"],
                kernel_rows(X, self.dtype), apply_head, out, work["acts"][0],
                work["scratch"][0])

    def compile_jobs(self, n_samples: int, batch_size: int | None = None,
                     optimizer: str = "sgd", momentum: float = 0.0, nesterov: bool = False,
                     training: bool = True) -> dict:
        """The compiling that :meth:`fit` on ``n_samples`` dense rows (with these
        settings) and then prediction on ``n_samples`` rows need, cut into one job per
        kernel; with ``training=False``, prediction's only.

        Returns
        -------
        dict
            Maps a key naming each kernel to a function (no arguments) that compiles it,
            or loads it from the disk cache; the loops come first, then the steps the
            loops call, the largest first. Once every job has run, in this process or
            another one on the same cache (:func:`fastmlp.compiling.compile_shared`),
            those calls compile nothing.
        """
        dt, jobs = self.dtype, {}
        n_samples = check.positive_int("n_samples", n_samples)
        if batch_size is not None:
            batch_size = check.positive_int("batch_size", batch_size)
        X = np.zeros((n_samples, self.sizes[0]), dtype=dt)
        Y = np.zeros((n_samples, self.n_outputs), dtype=dt)
        if training:
            code = optim.OPTIMIZER_CODES[check.choice("optimizer", optimizer, OPTIMIZERS)]
            batch = n_samples if batch_size is None else min(batch_size, n_samples)
            runner = EpochRunner(self, X, Y, np.empty(0, dtype=dt), batch, False,
                                 np.zeros(1, dtype=np.uint64),
                                 OptimizerState(self.parameters.size, dt),
                                 Optimizer(code, momentum, nesterov))
            jobs["train_epochs"] = runner.compile
            training_work = runner.work
        inference_work = self.workspace(X, _inference_capacity(n_samples), parallel=False)
        jobs["predict"] = lambda: compile_loop(
            network.predict, dt, lambda: self._inference_arguments(
                self.placeholder_layout(), X, False, Y, inference_work))
        if training:
            jobs["batch driver"] = lambda: batch_driver(training_work, dt)
            update = optim.update_step(code, dt(momentum), nesterov,
                                       threaded_update(training_work, self.parameters.size))
            jobs[update.__name__] = lambda: calls.address(update, calls.OPTIMIZER_STEP, dt)
            jobs.update(self.step_jobs(training_work["capacity"]))
        for key, job in self.step_jobs(inference_work["capacity"], training=False).items():
            jobs.setdefault(key, job)
        order = ("train_epochs", ("group_loss_and_gradient", calls.GROUP_LOSS_AND_GRADIENT))
        return {key: jobs[key] for key in sorted(jobs, key=lambda key: key not in order)}

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Output pre-activations ``z_tilde^(L)``, shape ``(n_samples, n_outputs)``."""
        return self.outputs(self.inference_rows(X), apply_head=False)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape ``(n_samples, n_outputs)`` (cross-entropy losses only).

        Softmax rows for ``cross_entropy``; per-output probabilities of label 1 for
        ``binary_cross_entropy``.
        """
        if not self.is_classifier:
            raise TypeError(
                "predict_proba needs a classification loss ('binary_cross_entropy' or "
                f"'cross_entropy'); use predict for {self.loss_name}"
            )
        return self.outputs(self.inference_rows(X), apply_head=True)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predictions for each row of ``X``.

        * ``cross_entropy``: class ids, shape ``(n_samples,)``.
        * ``binary_cross_entropy``: 0/1 labels (probability >= 0.5), shape
          ``(n_samples,)`` for one output, ``(n_samples, n_outputs)`` otherwise.
        * ``squared_error`` and ``poisson``: the network's outputs (for ``poisson``
          the predicted means ``e^z``), shape ``(n_samples,)`` for one output,
          ``(n_samples, n_outputs)`` otherwise.
        """
        X = self.inference_rows(X)
        if self._head == SOFTMAX_CE:
            return self.outputs(X, apply_head=False).argmax(axis=1)
        if self._head == SIGMOID_BCE:
            labels = (self.outputs(X, apply_head=False) >= 0).astype(np.int64)
        else:
            labels = self.outputs(X, apply_head=True)
        return labels[:, 0] if self.n_outputs == 1 else labels
