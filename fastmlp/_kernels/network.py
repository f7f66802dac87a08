"""The whole network: forward pass, backward pass, loss and gradient of a batch, inference.

Memory layout, shared with :mod:`fastmlp.model`:

* ``theta``: every parameter in one contiguous vector. Layer ``l`` (``l = 0 .. L-1``)
  holds ``W^(l)`` (``sizes[l+1] x sizes[l]``, row-major) at ``w_offsets[l]``, followed
  directly by ``b^(l)`` (``sizes[l+1]``). A gradient vector has the same layout.
* ``acts`` and ``deltas``: work buffers, one row per slot (thread). In a row, layer ``l``
  (``l = 0 .. L``, 0 being the input) owns ``sizes[l] * capacity`` elements at
  ``a_offsets[l]``; for a part of ``m`` samples its first ``sizes[l] * m`` elements are
  viewed as a ``(sizes[l], m)`` array. ``acts[L]`` holds the output pre-activations.

Dropout (inverted): during training, hidden unit ``k`` of sample ``j`` is kept with
probability ``1 - p`` and its activation scaled by ``1 / (1 - p)``, or dropped (set to 0).
Each keep-or-drop draw is a hash of the batch's key (drawn from the training run's random
stream), the sample's position in the batch and the unit's index among all hidden units,
so a mask depends on nothing else: not on how a batch is split across threads, and the
backward pass recomputes it instead of storing it. ``dropout_rates`` holds one rate per
hidden layer (in ``theta``'s dtype).

Data enter row-major, ``X`` of shape ``(n_samples, n_features)``, and are transposed
part by part into ``acts[0]`` while they are gathered, so no transposed copy of the data
set is ever made. Sparse data enter as ``X_sparse = (data, indices, indptr)``, the arrays of
a CSR matrix (``X`` is then an empty placeholder, and ``X_sparse``'s arrays are empty for
dense data): the first layer's product and weight gradient then read the rows' nonzeros
directly, and ``acts[0]`` is never filled (its buffer may have no room for it).

Both are compile-time switches, :data:`DROPOUT` and :data:`SPARSE_INPUT`: the kernels
defined here have neither (their arguments are then ignored), and :func:`training_kernels`
gives the variants that have them, compiled only when a run uses them. So the common
path compiles and runs exactly as without these options.

A batch is split into a fixed number of groups (:func:`group_count`: it depends on the
batch size and the network, never on the thread count), each computed in parts of at most
``capacity`` samples by one thread and summed in group order. So memory stays bounded for
any batch size, and a result does not depend on how many threads computed it, nor on
which.
"""

import numba
import numpy as np

from .._config import jit, jit_inline, jit_parallel, jit_variant
from . import activations, dense, heads
from .views import as_matrix, as_vector


@jit
def layer_view(buffer, a_offsets, sizes, layer, m):
    """The ``(sizes[layer], m)`` view of ``layer`` in an ``acts``/``deltas`` buffer."""
    start = a_offsets[layer]
    return as_matrix(buffer[start:start + sizes[layer] * m], sizes[layer], m)


@jit
def weight_view(theta, w_offsets, sizes, layer):
    """``W^(layer)`` as a ``(sizes[layer + 1], sizes[layer])`` view into ``theta``."""
    start = w_offsets[layer]
    fan_in, fan_out = sizes[layer], sizes[layer + 1]
    return as_matrix(theta[start:start + fan_out * fan_in], fan_out, fan_in)


@jit
def bias_view(theta, w_offsets, sizes, layer):
    """``b^(layer)`` as a view into ``theta``."""
    start = w_offsets[layer] + sizes[layer + 1] * sizes[layer]
    return theta[start:start + sizes[layer + 1]]


@jit
def gather_transposed(source, order, start, m, target):
    """``target[:, j] = source[row_j]`` for ``j < m``: rows ``order[start + j]``, or
    ``start + j`` when ``order`` is empty.

    Parameters
    ----------
    source : ndarray, shape (n_samples, width), row-major
    order : ndarray of int64, shape (n_samples,) or (0,)
        Sample order, or empty for the rows in their own order.
    target : ndarray, shape (width, m), overwritten
    """
    width = source.shape[1]
    use_order = order.size > 0
    for j in range(m):
        row = order[start + j] if use_order else start + j
        for k in range(width):
            target[k, j] = source[row, k]


#: Compile-time switches (see the module docstring); True only in their variants.
DROPOUT = False
SPARSE_INPUT = False

_DROP_POSITION = np.uint64(0xD1B54A32D192ED03)
_DROP_UNIT = np.uint64(0xAEF17502108EF2D9)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_SHIFT_30, _SHIFT_27, _SHIFT_31 = np.uint64(30), np.uint64(27), np.uint64(31)
_TWO_TO_THE_64 = 18446744073709551616.0


@jit_inline
def _mix(z):
    """SplitMix64's output function: a bijection of 64-bit words that scatters every bit."""
    z = (z ^ (z >> _SHIFT_30)) * _MIX_1
    z = (z ^ (z >> _SHIFT_27)) * _MIX_2
    return z ^ (z >> _SHIFT_31)


@jit_inline
def dropout_keeps(key, unit, position, threshold):
    """Whether the mask of batch ``key`` keeps hidden unit ``unit`` (its index among all
    hidden units) for the sample at ``position`` in the batch: a uniform 64-bit hash of
    the three, compared with ``threshold = p 2^64``, so ``P(keep) = 1 - p``."""
    z = _mix(key ^ (np.uint64(position) * _DROP_POSITION))
    return _mix(z ^ (np.uint64(unit) * _DROP_UNIT)) >= threshold


@jit_inline
def hidden_units_before(sizes, layer):
    """The index, among all hidden units, of the first unit of layer ``layer`` (>= 1)."""
    first = 0
    for hidden in range(1, layer):
        first += sizes[hidden]
    return first


@jit_inline
def drop_units(z, first_unit, rate, key, first_position):
    """Apply the dropout mask to hidden activations ``z`` (units, m) in place: kept units
    are scaled by ``1 / (1 - rate)``, dropped ones set to 0."""
    threshold = np.uint64(rate * z.dtype.type(_TWO_TO_THE_64))  # exact: a power of two
    one = z.dtype.type(1.0)
    scale = one / (one - rate)
    for k in range(z.shape[0]):
        for j in range(z.shape[1]):
            if dropout_keeps(key, first_unit + k, first_position + j, threshold):
                z[k, j] *= scale
            else:
                z[k, j] = z.dtype.type(0.0)


@jit_inline
def drop_deltas(z, delta, first_unit, rate, key, first_position):
    """The backward side of :func:`drop_units`, before the activation's derivative: a kept
    unit's delta is scaled by ``1 / (1 - rate)`` and its activation unscaled (by
    ``1 - rate``) for the derivative; a dropped unit's delta is 0."""
    threshold = np.uint64(rate * z.dtype.type(_TWO_TO_THE_64))  # exact: a power of two
    one = z.dtype.type(1.0)
    keep = one - rate
    scale = one / keep
    for k in range(z.shape[0]):
        for j in range(z.shape[1]):
            if dropout_keeps(key, first_unit + k, first_position + j, threshold):
                delta[k, j] *= scale
                z[k, j] *= keep
            else:
                delta[k, j] = z.dtype.type(0.0)


@jit_inline
def sparse_affine_forward(W, b, X_sparse, order, start, m, z_tilde_out):
    """``z_tilde_out = W x + b`` for the CSR rows ``order[start:start + m]`` (or
    ``start:start + m`` when ``order`` is empty): each nonzero ``x_k`` adds ``W[:, k] x_k``."""
    data, indices, indptr = X_sparse
    fan_out = W.shape[0]
    use_order = order.size > 0
    for j in range(m):
        for i in range(fan_out):
            z_tilde_out[i, j] = b[i]
        row = order[start + j] if use_order else start + j
        for position in range(indptr[row], indptr[row + 1]):
            k, value = indices[position], data[position]
            for i in range(fan_out):
                z_tilde_out[i, j] += W[i, k] * value


@jit_inline
def sparse_weight_gradient(delta, X_sparse, order, start, m, dW, db):
    """``dW = delta X^T`` and ``db = delta 1`` for the CSR rows of :func:`sparse_affine_forward`:
    only the columns of ``dW`` that a nonzero touches get anything but 0."""
    data, indices, indptr = X_sparse
    fan_out = dW.shape[0]
    zero = dW.dtype.type(0.0)
    flat = as_vector(dW)
    for i in range(flat.size):
        flat[i] = zero
    use_order = order.size > 0
    for j in range(m):
        row = order[start + j] if use_order else start + j
        for position in range(indptr[row], indptr[row + 1]):
            k, value = indices[position], data[position]
            for i in range(fan_out):
                dW[i, k] += delta[i, j] * value
    dense.bias_gradient(delta, db)


@jit_inline
def forward(theta, w_offsets, a_offsets, sizes, activation_codes, acts, m, blas_min_work,
            dropout_rates, dropout_key, first_position, X_sparse, order, row_start):
    """Forward pass over the ``m`` samples already in ``acts[0]`` (or, for sparse data,
    rows ``order[row_start:row_start + m]`` of ``X_sparse``).

    Fills ``acts[l] = phi(W^(l-1) acts[l-1] + b^(l-1))`` for the hidden layers and
    ``acts[L] = z_tilde^(L)`` (no output activation: the head applies it). With dropout
    (:data:`DROPOUT`), each hidden layer's activations are masked
    (:func:`drop_units`) for batch key ``dropout_key[0]``, the samples being at positions
    ``first_position, first_position + 1, ...`` of their batch.
    """
    n_layers = sizes.shape[0] - 1
    for layer in range(n_layers):
        z_out = layer_view(acts, a_offsets, sizes, layer + 1, m)
        if SPARSE_INPUT and layer == 0:
            sparse_affine_forward(weight_view(theta, w_offsets, sizes, 0),
                                  bias_view(theta, w_offsets, sizes, 0), X_sparse, order,
                                  row_start, m, z_out)
        else:
            dense.affine_forward(
                weight_view(theta, w_offsets, sizes, layer),
                bias_view(theta, w_offsets, sizes, layer),
                layer_view(acts, a_offsets, sizes, layer, m),
                z_out,
                blas_min_work,
            )
        if layer < n_layers - 1:
            activations.activate(activation_codes[layer], z_out)
            if DROPOUT and dropout_rates[layer] > 0:
                drop_units(z_out, hidden_units_before(sizes, layer + 1),
                           dropout_rates[layer], dropout_key[0], first_position)


@jit_inline
def backward(theta, grad, w_offsets, a_offsets, sizes, activation_codes, acts, deltas, m,
             blas_min_work, dropout_rates, dropout_key, first_position, X_sparse, order,
             row_start):
    """Backward pass from the output delta in ``deltas[L]``; writes the gradient to ``grad``.

    For ``l = L-1 .. 0``: ``dW^(l) = delta^(l+1) z^(l)T``, ``db^(l) = sum_j delta^(l+1)``,
    then ``delta^(l) = (W^(l)T delta^(l+1)) * phi'(z_tilde^(l))``. Sums over the ``m``
    samples: an output delta divided by the batch size gives the batch-mean gradient.
    With dropout, ``z^(l)`` is the masked activation of the forward pass, and the mask
    (recomputed) multiplies ``delta^(l)`` too (:func:`drop_deltas`); the hidden
    activations in ``acts`` are left unmasked. For sparse data the first layer's weight
    gradient reads the rows of ``X_sparse`` as :func:`forward` does.
    """
    n_layers = sizes.shape[0] - 1
    for layer in range(n_layers - 1, -1, -1):
        delta = layer_view(deltas, a_offsets, sizes, layer + 1, m)
        if SPARSE_INPUT and layer == 0:
            sparse_weight_gradient(delta, X_sparse, order, row_start, m,
                                   weight_view(grad, w_offsets, sizes, 0),
                                   bias_view(grad, w_offsets, sizes, 0))
            continue
        z_in = layer_view(acts, a_offsets, sizes, layer, m)
        dense.weight_gradient(
            delta,
            z_in,
            weight_view(grad, w_offsets, sizes, layer),
            bias_view(grad, w_offsets, sizes, layer),
            blas_min_work,
        )
        if layer > 0:
            delta_in = layer_view(deltas, a_offsets, sizes, layer, m)
            dense.backpropagate(weight_view(theta, w_offsets, sizes, layer), delta, delta_in,
                                blas_min_work)
            if DROPOUT and dropout_rates[layer - 1] > 0:
                drop_deltas(z_in, delta_in, hidden_units_before(sizes, layer),
                            dropout_rates[layer - 1], dropout_key[0], first_position)
            activations.multiply_by_derivative(activation_codes[layer - 1], z_in, delta_in)


#: Most groups a batch is split into (see :func:`group_count`).
MAX_GROUPS = 8


@jit_inline
def group_count(m, min_group):
    """How many groups a batch of ``m`` samples is split into.

    The largest power of two, at most :data:`MAX_GROUPS`, that gives every group at least
    ``min_group`` samples (the fewest worth a thread of their own), or 1: a power of two,
    so that 2, 4 or 8 threads share the groups evenly. It depends on nothing but ``m``
    and the network (through ``min_group``): not on the thread count, so neither does
    any sum over the groups.
    """
    fits = min(MAX_GROUPS, m // min_group)
    n_groups = 1
    while 2 * n_groups <= fits:
        n_groups *= 2
    return n_groups


@jit_inline
def sum_groups(n_groups, with_gradient, group_grads, group_losses):
    """Add the groups' losses and (with ``with_gradient``) gradients in group order, the
    gradient into ``group_grads[0]``; return the total loss."""
    total = group_losses[0]
    grad = group_grads[0]
    for group in range(1, n_groups):
        total += group_losses[group]
        if with_gradient:
            row = group_grads[group]
            for i in range(grad.size):
                grad[i] += row[i]
    return total


@jit_inline
def group_loss_and_gradient(
    group, n_groups, theta, w_offsets, a_offsets, sizes, activation_codes,
    head_code, X, X_sparse, Y, sample_weight, order, start, m, scale, with_gradient, grad,
    part_grad, acts, deltas, y_buffer, scratch, gathered, blas_min_work, dropout_rates,
    dropout_key,
):
    """Summed loss of one group of a batch, and its gradient.

    The batch (``m`` samples from ``start``) is split into ``n_groups`` groups of nearly
    equal size (:func:`group_count`); this computes group ``group``, in parts of at most
    the buffers' capacity, in order, each by a forward pass, the head's loss and delta and
    a backward pass. The samples are rows ``order[start:start + m]`` of ``X``/``Y``, or rows
    ``start:start + m`` when ``order`` is empty. With ``with_gradient``, ``grad`` is
    overwritten with ``scale * sum dL/dtheta`` over the group (``scale = 1/m``, or
    ``1 / sum w`` with weights); ``part_grad`` is work space. ``sample_weight`` is empty
    (every sample counts once) or holds one weight per row of ``X``, multiplying that
    sample's loss and delta. ``gathered`` says that ``acts[0]`` and ``y_buffer`` already
    hold the batch (one group of one part). ``acts``, ``deltas``, ``y_buffer``,
    ``scratch``: the calling thread's rows of the work buffers. ``dropout_rates``,
    ``dropout_key``: see the module docstring (positions count from ``start``).

    Returns
    -------
    float
        The summed (not averaged) loss of the group, weighted by ``sample_weight``.
    """
    n_layers = sizes.shape[0] - 1
    n_outputs = sizes[n_layers]
    use_order = order.size > 0
    weighted = sample_weight.size > 0
    capacity = y_buffer.shape[0] // n_outputs
    group_start = start + group * m // n_groups
    group_size = start + (group + 1) * m // n_groups - group_start
    n_parts = (group_size + capacity - 1) // capacity
    total = 0.0
    for part in range(n_parts):
        part_start = group_start + part * group_size // n_parts
        size = group_start + (part + 1) * group_size // n_parts - part_start
        target = grad if part == 0 else part_grad
        y_part = as_matrix(y_buffer, n_outputs, size)
        if not gathered:
            if not SPARSE_INPUT:
                gather_transposed(X, order, part_start, size,
                                  layer_view(acts, a_offsets, sizes, 0, size))
            gather_transposed(Y, order, part_start, size, y_part)
        forward(theta, w_offsets, a_offsets, sizes, activation_codes, acts, size, blas_min_work,
                dropout_rates, dropout_key, part_start - start, X_sparse, order, part_start)
        output_delta = layer_view(deltas, a_offsets, sizes, n_layers, size)
        part_total = heads.loss_and_delta(
            head_code, layer_view(acts, a_offsets, sizes, n_layers, size), y_part,
            output_delta, scratch,
        )
        if weighted:
            sample_loss = scratch[3]
            part_total = theta.dtype.type(0.0)
            for j in range(size):
                weight = sample_weight[order[part_start + j] if use_order else part_start + j]
                part_total += weight * sample_loss[j]
                scratch[4, j] = weight * scale
        total += part_total
        if not with_gradient:
            continue
        # d(mean loss)/dz_tilde = delta / m (or w_j delta / sum w): backprop is linear in
        # delta, so every gradient below comes out as the batch mean with no more scaling.
        if weighted:
            for i in range(n_outputs):
                for j in range(size):
                    output_delta[i, j] *= scratch[4, j]
        else:
            flat_delta = as_vector(output_delta)
            for i in range(flat_delta.size):
                flat_delta[i] *= scale
        backward(theta, target, w_offsets, a_offsets, sizes, activation_codes, acts, deltas,
                 size, blas_min_work, dropout_rates, dropout_key, part_start - start, X_sparse,
                 order, part_start)
        if part > 0:
            for i in range(grad.size):
                grad[i] += target[i]
    return total


@jit
def batch_loss_and_gradient(
    theta, w_offsets, a_offsets, sizes, activation_codes, head_code,
    X, X_sparse, Y, sample_weight, order, start, m, scale, with_gradient, group_grads,
    part_grads, acts, deltas, y_buffer, scratch, group_losses, min_group, gathered,
    dropout_rates, dropout_key,
):
    """Summed loss of ``m`` samples and (optionally) their mean-loss gradient, in one thread.

    The samples are rows ``order[start:start + m]`` of ``X``/``Y`` (rows ``start:start + m``
    when ``order`` is empty). They are split into :func:`group_count` groups, computed one
    after the other by :func:`group_loss_and_gradient` and summed in order
    (:func:`sum_groups`); large products go to BLAS. The work buffers have one slot (first
    axis). :func:`threaded_batch_loss_and_gradient` takes the same arguments and spreads the
    groups over threads; as the groups and the order of their sum are the same, the two
    give identical bits. The Python layer picks one of them, so a run that never uses a
    second thread never compiles the threaded one.

    Parameters
    ----------
    X, X_sparse : ndarray, and tuple of three ndarray
        The rows: dense, or CSR (see the module docstring).
    sample_weight : ndarray, shape (0,) or (n_samples,)
        Empty, or one weight per row of ``X`` multiplying that sample's loss and delta.
    scale : float, in ``theta``'s dtype
        Factor on the summed gradient: ``1/m``, or ``1 / sum w`` over the batch.
    group_grads : ndarray, shape (n_groups, n_params)
        One gradient per group, for the largest batch. With ``with_gradient``,
        ``group_grads[0]`` receives ``scale * sum_samples w dL/dtheta`` (no penalty).
    part_grads : ndarray, shape (n_slots, n_params)
        Work space, one row per thread.
    acts, deltas, y_buffer, scratch : per-thread work buffers (first axis: slot); each
        slot's ``scratch`` has 5 rows (softmax work space, per-sample losses, weights).
    group_losses : ndarray, shape (n_groups,), float64 work space.
    min_group : int
        Fewest samples worth a thread of their own (see :func:`group_count`).
    gathered : bool
        ``acts[0]`` and ``y_buffer[0]`` already hold the whole batch (one group of one part).
    dropout_rates : ndarray, shape (n_hidden_layers,) (or any, without dropout)
        Each hidden layer's rate, ``theta``'s dtype (read only with :data:`DROPOUT`).
    dropout_key : ndarray of uint64, shape (1,)
        The batch's mask key (read only with :data:`DROPOUT`).

    Returns
    -------
    float
        The summed (not averaged) loss, each sample's weighted by ``sample_weight``.
    """
    n_groups = group_count(m, min_group)
    for group in range(n_groups):
        group_losses[group] = group_loss_and_gradient(
            group, n_groups, theta, w_offsets, a_offsets, sizes, activation_codes, head_code,
            X, X_sparse, Y, sample_weight, order, start, m, scale, with_gradient,
            group_grads[group], part_grads[0], acts[0], deltas[0], y_buffer[0], scratch[0],
            gathered, dense.BLAS_MIN_WORK, dropout_rates, dropout_key,
        )
    return sum_groups(n_groups, with_gradient, group_grads, group_losses)


#: :func:`group_loss_and_gradient` compiled as a function of its own, for the threaded
#: driver: inlined into a ``prange`` loop (twice) it would make that driver slower to compile.
threaded_group_loss_and_gradient = jit_variant(group_loss_and_gradient,
                                               "threaded_group_loss_and_gradient")


@jit_parallel
def threaded_batch_loss_and_gradient(
    theta, w_offsets, a_offsets, sizes, activation_codes, head_code,
    X, X_sparse, Y, sample_weight, order, start, m, scale, with_gradient, group_grads,
    part_grads, acts, deltas, y_buffer, scratch, group_losses, min_group, gathered,
    dropout_rates, dropout_key,
):
    """:func:`batch_loss_and_gradient` with the groups spread over threads.

    Each of the ``n_slots`` slots (the first axis of the per-thread buffers) takes groups
    ``s, s + n_slots, ...`` in a ``prange`` loop, each into its own row of
    ``group_grads``; the groups are then summed in order, as in the serial driver. So the
    result does not depend on the thread count or on which thread computed which group.
    Each thread hands its large products to BLAS, which the caller holds to one thread
    meanwhile (:func:`fastmlp._config.parallel_calls`). A batch of a single group runs in
    the calling thread.
    """
    n_groups = group_count(m, min_group)
    used = min(acts.shape[0], n_groups)
    # Both calls pass the group as an int64 (not prange's unsigned index), so that they
    # share one compiled signature. The single-group case calls the compiled group
    # function rather than batch_loss_and_gradient, which would bring a second, inlined
    # copy of it into this driver.
    if used == 1:  # no thread pool for a single group: its start-up would dominate
        group_losses[0] = threaded_group_loss_and_gradient(
            np.int64(0), n_groups, theta, w_offsets, a_offsets, sizes, activation_codes,
            head_code, X, X_sparse, Y, sample_weight, order, start, m, scale, with_gradient,
            group_grads[0], part_grads[0], acts[0], deltas[0], y_buffer[0], scratch[0],
            gathered, dense.BLAS_MIN_WORK, dropout_rates, dropout_key,
        )
        return group_losses[0]
    for slot in numba.prange(used):
        for group in range(np.int64(slot), n_groups, used):
            group_losses[group] = threaded_group_loss_and_gradient(
                group, n_groups, theta, w_offsets, a_offsets, sizes, activation_codes,
                head_code, X, X_sparse, Y, sample_weight, order, start, m, scale,
                with_gradient, group_grads[group], part_grads[slot], acts[slot], deltas[slot],
                y_buffer[slot], scratch[slot], gathered, dense.BLAS_MIN_WORK, dropout_rates,
                dropout_key,
            )
    return sum_groups(n_groups, with_gradient, group_grads, group_losses)


@jit
def predict(theta, w_offsets, a_offsets, sizes, activation_codes, head_code, apply_head, X,
            X_sparse, out, acts, scratch):
    """Network outputs for every row of ``X``, chunk by chunk.

    Parameters
    ----------
    X, X_sparse : ndarray, shape (n_samples, n_features), and tuple of three ndarray
        The rows: dense, or CSR (see the module docstring).
    out : ndarray, shape (n_samples, n_outputs), overwritten with ``z_tilde^(L)``, or
        with the head's output ``y_hat`` when ``apply_head``.
    acts : work buffer whose capacity (samples per chunk) is ``scratch.shape[1]``.
    """
    n_samples = X_sparse[2].size - 1 if SPARSE_INPUT else X.shape[0]
    n_layers = sizes.shape[0] - 1
    n_outputs = sizes[n_layers]
    capacity = scratch.shape[1]
    no_order = np.empty(0, dtype=np.int64)
    # Inference has no dropout: its two arguments are never read (any arrays will do).
    for chunk_start in range(0, n_samples, capacity):
        chunk = min(capacity, n_samples - chunk_start)
        if not SPARSE_INPUT:
            gather_transposed(
                X, no_order, chunk_start, chunk, layer_view(acts, a_offsets, sizes, 0, chunk)
            )
        forward(theta, w_offsets, a_offsets, sizes, activation_codes, acts, chunk,
                dense.BLAS_MIN_WORK, theta, no_order, 0, X_sparse, no_order, chunk_start)
        z_out = layer_view(acts, a_offsets, sizes, n_layers, chunk)
        if apply_head:
            heads.apply_output(head_code, z_out, scratch)
        for j in range(chunk):
            for i in range(n_outputs):
                out[chunk_start + j, i] = z_out[i, j]


def training_kernels(dropout, sparse):
    """The batch drivers and ``predict`` of the training path with or without dropout and
    sparse input: ``(batch_loss_and_gradient, threaded_batch_loss_and_gradient,
    predict)``, compiled (when first called) and cached under names of their own."""
    if not dropout and not sparse:
        return batch_loss_and_gradient, threaded_batch_loss_and_gradient, predict
    key = (bool(dropout), bool(sparse))
    if key not in _VARIANTS:
        switches = {"DROPOUT": key[0], "SPARSE_INPUT": key[1]}
        suffix = "_dropout" * key[0] + "_sparse" * key[1]
        fwd = jit_variant(forward, f"forward{suffix}", jit_inline, **switches)
        bwd = jit_variant(backward, f"backward{suffix}", jit_inline, **switches)
        steps = {"forward": fwd, "backward": bwd, **switches}
        group = jit_variant(group_loss_and_gradient, f"group_loss_and_gradient{suffix}",
                            jit_inline, **steps)
        threaded_group = jit_variant(group_loss_and_gradient,
                                     f"threaded_group_loss_and_gradient{suffix}", **steps)
        _VARIANTS[key] = (
            jit_variant(batch_loss_and_gradient, f"batch_loss_and_gradient{suffix}",
                        group_loss_and_gradient=group),
            jit_variant(threaded_batch_loss_and_gradient,
                        f"threaded_batch_loss_and_gradient{suffix}", jit_parallel,
                        threaded_group_loss_and_gradient=threaded_group),
            jit_variant(predict, f"predict{suffix}", forward=fwd, **switches),
        )
    return _VARIANTS[key]


_VARIANTS: dict = {}
