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

from .._config import jit, jit_inline
from . import calls, optim
from .network import gather_transposed, group_count, layer_view
from .views import as_matrix, copy_vector

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
def train_epochs(theta, layout, rows, targets, work, driver, order, n_epochs, batch_size,
                 shuffle, rng_state, optimizer, state, dropout, backup, epoch_losses):
    """Train for up to ``n_epochs`` epochs; see the module docstring.

    Parameters
    ----------
    theta : ndarray, shape (n_params,)
        Parameters, updated in place.
    layout, rows, targets, work, dropout : tuples
        The network, the training rows (row-major dense ``X`` or CSR arrays, in ``theta``'s
        dtype), the targets and sample weights, the work buffers, and the dropout rates
        and mask key (see :mod:`.network`); the gradient lands in ``work``'s
        ``group_grads[0]``, and each batch's mask key in ``dropout[1][0]``.
    driver : int
        The native address of the batch driver for ``work``:
        :func:`.network.batch_loss_and_gradient`, or its threaded form for work buffers of
        several slots (:mod:`.calls`). One loop serves both, so a run in one thread never
        compiles threaded code.
    order : ndarray of int64, shape (n_samples,)
        Sample order; permuted in place when ``shuffle``.
    rng_state : ndarray of uint64, shape (1,)
    optimizer : tuple ``(update, lr, momentum, beta_1, beta_2, epsilon, l1, l2,
        penalty_per_batch)``
        The native address of the update kernel (:mod:`.optim`), its settings and the
        penalty's coefficients in ``theta``'s dtype, and whether to divide the
        coefficients by each batch's size (or weight sum).
    state : tuple ``(velocity, second_moment, step_count)``
        Optimizer state carried between calls (:mod:`.optim`).
    backup : ndarray, shape (n_params,)
        Work space.
    epoch_losses : ndarray, shape (n_epochs,)
        Receives each completed epoch's objective.

    Returns
    -------
    (int, bool)
        Epochs completed, and whether training stopped on a non-finite epoch.
    """
    w_offsets, sizes, _ = layout
    sparse = rows[3].size > 0
    Y, sample_weight = targets
    a_offsets, acts, _, y_buffer, _, group_grads, _, _, min_group = work
    update, lr, momentum, beta_1, beta_2, epsilon, l1, l2, penalty_per_batch = optimizer
    velocity, second_moment, step_count = state
    rates, key = dropout
    n_samples = Y.shape[0]
    n_outputs = Y.shape[1]
    capacity = y_buffer.shape[1] // n_outputs
    grad = group_grads[0]
    with_gradient = np.bool_(True)
    # One batch of one group in one part that never changes order: gather it once.
    gathered = ((not shuffle) and batch_size >= n_samples and not sparse
                and n_samples <= capacity and group_count(n_samples, min_group) == 1)
    if gathered:
        gather_transposed(rows[0], order, 0, n_samples,
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
            if rates.size > 0:
                key[0] = next_random(rng_state)
            loss_sum = calls.batch_loss_and_gradient(
                driver, (theta, layout, rows, targets, order, start, m,
                         theta.dtype.type(1.0 / weight_sum), with_gradient, work, gathered,
                         dropout),
            )
            if penalty_per_batch:
                penalty = optim.add_penalty(theta, grad, w_offsets, sizes,
                                            theta.dtype.type(l1 / weight_sum),
                                            theta.dtype.type(l2 / weight_sum))
            else:
                penalty = optim.add_penalty(theta, grad, w_offsets, sizes, l1, l2)
            total += m * (loss_sum / weight_sum + penalty)
            calls.optimizer_step(update, (theta, grad, velocity, second_moment, step_count,
                                          lr, momentum, beta_1, beta_2, epsilon))
        epoch_loss = total / n_samples
        if not (np.isfinite(epoch_loss) and all_finite(theta)):
            copy_vector(backup, theta)
            return epoch, True
        epoch_losses[epoch] = epoch_loss
    return n_epochs, False
