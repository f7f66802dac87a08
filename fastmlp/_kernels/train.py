"""The training loop: whole epochs of (mini-)batch gradient descent in compiled code.

One call runs ``n_epochs`` epochs without returning to Python. Per epoch:

1. keep a copy of ``theta`` (the last finite weights, restored if the epoch diverges);
2. shuffle the sample order (Fisher-Yates driven by a SplitMix64 generator whose state
   lives in ``rng_state``, so a seed reproduces the run and successive calls continue
   one stream);
3. for each batch of ``batch_size`` samples (the last one may be smaller): with dropout,
   draw the batch's mask key from the same stream; forward, head, backward (mean over
   the batch, or weighted mean with sample weights), penalty, one optimizer step;
4. record the epoch's objective: the batch objectives (mean loss + penalty) averaged
   with weights equal to the batch sizes, i.e. for full-batch training the objective at
   the weights the epoch started from.

The penalty coefficients are either constants (the objective ``mean loss + l2/2 sum W^2
+ l1 sum |W|``) or, with ``penalty_per_batch``, divided by each batch's size (or weight
sum) ``S``: scikit-learn's ``mean loss + alpha/(2 S) sum W^2``. A batch whose weights
are all zero has no mean gradient; it is skipped (no update, nothing added to the
epoch's objective).

An epoch whose objective or weights are not finite stops the call: ``theta`` is restored
to its value at the start of that epoch and the call reports how many epochs completed.
"""

import numpy as np

from .._config import jit, jit_inline, jit_variant
from . import optim
from .network import (
    batch_loss_and_gradient,
    gather_transposed,
    group_count,
    layer_view,
    threaded_batch_loss_and_gradient,
)
from .network import training_kernels as network_training_kernels
from .views import as_matrix, copy_vector

#: Compile-time switches, as in :mod:`.network`: True only in :func:`training_kernels`'s
#: variants.
DROPOUT = False
SPARSE_INPUT = False

_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_SHIFT_30, _SHIFT_27, _SHIFT_31 = np.uint64(30), np.uint64(27), np.uint64(31)


@jit_inline
def next_random(rng_state):
    """Next 64-bit output of the SplitMix64 generator whose state is ``rng_state[0]``."""
    rng_state[0] += _GOLDEN_GAMMA
    z = rng_state[0]
    z = (z ^ (z >> _SHIFT_30)) * _MIX_1
    z = (z ^ (z >> _SHIFT_27)) * _MIX_2
    return z ^ (z >> _SHIFT_31)


@jit_inline
def shuffle_in_place(order, rng_state):
    """Fisher-Yates shuffle of ``order`` (int64) driven by :func:`next_random`."""
    for i in range(order.size - 1, 0, -1):
        j = np.int64(next_random(rng_state) % np.uint64(i + 1))
        order[i], order[j] = order[j], order[i]


@jit_inline
def all_finite(values):
    """True when no element of the 1-D array is NaN or infinite."""
    for i in range(values.size):
        if not np.isfinite(values[i]):
            return False
    return True


@jit_inline
def batch_weight(sample_weight, order, start, m):
    """``m``, or the sum of the weights of samples ``order[start:start + m]`` (float64)."""
    if sample_weight.size == 0:
        return float(m)
    total = 0.0
    for j in range(start, start + m):
        total += sample_weight[order[j]]
    return total


@jit
def train_epochs(
    theta, w_offsets, a_offsets, sizes, activation_codes, head_code, X, X_sparse, Y,
    sample_weight, n_epochs, batch_size, shuffle, rng_state, order,
    optimizer, lr, momentum, nesterov, beta_1, beta_2, epsilon, l1, l2, penalty_per_batch,
    group_grads, part_grads, velocity, second_moment, step_count,
    acts, deltas, y_buffer, scratch, group_losses, min_group, backup, epoch_losses,
    dropout_rates, dropout_key,
):
    """Train for up to ``n_epochs`` epochs; see the module docstring.

    Parameters
    ----------
    theta : ndarray, shape (n_params,)
        Parameters, updated in place.
    X, Y : ndarray, shapes (n_samples, n_features) and (n_samples, n_outputs)
        Row-major training data and targets, in ``theta``'s dtype.
    X_sparse : tuple of three ndarray
        The data as CSR arrays ``(data, indices, indptr)`` instead of ``X`` (which is
        then empty), or three empty arrays (see :mod:`.network`).
    sample_weight : ndarray, shape (0,) or (n_samples,)
        Empty, or each sample's weight (``theta``'s dtype, non-negative).
    order : ndarray of int64, shape (n_samples,)
        Sample order; permuted in place when ``shuffle``.
    lr, momentum, beta_1, beta_2, epsilon, l1, l2 : float, in ``theta``'s dtype
    penalty_per_batch : bool
        Divide ``l1`` and ``l2`` by each batch's size (or weight sum).
    velocity, second_moment, backup : ndarray, shape (n_params,)
        ``velocity``/``second_moment``/``step_count`` carry optimizer state between calls.
    group_grads, part_grads, acts, deltas, y_buffer, scratch, group_losses, min_group :
        work buffers and the smallest group worth a thread (see
        :func:`.network.batch_loss_and_gradient`); the gradient lands in ``group_grads[0]``.
    epoch_losses : ndarray, shape (n_epochs,)
        Receives each completed epoch's objective.
    dropout_rates, dropout_key : ndarray
        One dropout rate per hidden layer (``theta``'s dtype), and a uint64 array of one
        element that receives each batch's mask key (used only in the variants with
        dropout, :func:`training_kernels`).

    Returns
    -------
    (int, bool)
        Epochs completed, and whether training stopped on a non-finite epoch.
    """
    n_samples = Y.shape[0]
    n_outputs = Y.shape[1]
    capacity = y_buffer.shape[1] // n_outputs
    grad = group_grads[0]
    # A run-time bool rather than the literal True: the batch driver is then compiled for
    # the very signature that MLP.loss and MLP.gradients call it with, and shared.
    with_gradient = np.bool_(True)
    # One batch of one group in one part that never changes order: gather it once.
    gathered = ((not shuffle) and batch_size >= n_samples and not SPARSE_INPUT
                and n_samples <= capacity and group_count(n_samples, min_group) == 1)
    if gathered:
        gather_transposed(X, order, 0, n_samples,
                          layer_view(acts[0], a_offsets, sizes, 0, n_samples))
        gather_transposed(Y, order, 0, n_samples, as_matrix(y_buffer[0], n_outputs, n_samples))
    for epoch in range(n_epochs):
        copy_vector(theta, backup)
        if shuffle:
            shuffle_in_place(order, rng_state)
        total = 0.0  # bookkeeping only: accumulated in float64 for any dtype
        for start in range(0, n_samples, batch_size):
            m = min(batch_size, n_samples - start)
            weight_sum = batch_weight(sample_weight, order, start, m)
            if weight_sum == 0.0:  # every weight zero: no mean gradient, no update
                continue
            if DROPOUT:
                dropout_key[0] = next_random(rng_state)
            loss_sum = batch_loss_and_gradient(
                theta, w_offsets, a_offsets, sizes, activation_codes, head_code,
                X, X_sparse, Y, sample_weight, order, start, m, theta.dtype.type(1.0 / weight_sum),
                with_gradient, group_grads, part_grads, acts, deltas, y_buffer, scratch,
                group_losses, min_group, gathered, dropout_rates, dropout_key,
            )
            if penalty_per_batch:
                penalty = optim.add_penalty(theta, grad, w_offsets, sizes,
                                            theta.dtype.type(l1 / weight_sum),
                                            theta.dtype.type(l2 / weight_sum))
            else:
                penalty = optim.add_penalty(theta, grad, w_offsets, sizes, l1, l2)
            total += m * (loss_sum / weight_sum + penalty)
            optim.step(optimizer, theta, grad, velocity, second_moment, step_count,
                       lr, momentum, nesterov, beta_1, beta_2, epsilon)
        epoch_loss = total / n_samples
        if not (np.isfinite(epoch_loss) and all_finite(theta)):
            copy_vector(backup, theta)
            return epoch, True
        epoch_losses[epoch] = epoch_loss
    return n_epochs, False


#: :func:`train_epochs` with each batch split across threads
#: (:func:`.network.threaded_batch_loss_and_gradient`), for work buffers of several slots.
#: A separate compiled function, so that runs in one thread never compile the threaded code.
threaded_train_epochs = jit_variant(
    train_epochs, "threaded_train_epochs",
    batch_loss_and_gradient=threaded_batch_loss_and_gradient,
)


def training_kernels(threaded, dropout, sparse):
    """:func:`train_epochs` (or :data:`threaded_train_epochs`) with or without dropout and
    sparse input (see :func:`.network.training_kernels`)."""
    if not dropout and not sparse:
        return threaded_train_epochs if threaded else train_epochs
    key = (bool(threaded), bool(dropout), bool(sparse))
    if key not in _VARIANTS:
        serial, parallel, _ = network_training_kernels(dropout, sparse)
        name = ("threaded_" * key[0] + "train_epochs" + "_dropout" * key[1]
                + "_sparse" * key[2])
        _VARIANTS[key] = jit_variant(train_epochs, name,
                                     batch_loss_and_gradient=parallel if threaded else serial,
                                     DROPOUT=key[1], SPARSE_INPUT=key[2])
    return _VARIANTS[key]


_VARIANTS: dict = {}
