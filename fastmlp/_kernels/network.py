"""The whole network: forward pass, backward pass, loss and gradient of a batch, inference.

Memory layout, shared with :mod:`fastmlp.model`:

* ``theta``: every parameter in one contiguous vector. Layer ``l`` (``l = 0 .. L-1``)
  holds ``W^(l)`` (``sizes[l+1] x sizes[l]``, row-major) at ``w_offsets[l]``, followed
  directly by ``b^(l)`` (``sizes[l+1]``). A gradient vector has the same layout.
* ``acts`` and ``deltas``: work buffers, one row per slot (thread). In a row, layer ``l``
  (``l = 0 .. L``, 0 being the input) owns ``sizes[l] * capacity`` elements at
  ``a_offsets[l]``; for a part of ``m`` samples its first ``sizes[l] * m`` elements are
  viewed as a ``(sizes[l], m)`` array. ``acts[L]`` holds the output pre-activations.

Data enter row-major, ``X`` of shape ``(n_samples, n_features)``, and are transposed
part by part into ``acts[0]`` while they are gathered, so no transposed copy of the data
set is ever made. A batch is processed in parts of at most ``capacity`` samples, spread
over the slots and summed in a fixed order, so memory stays bounded for any batch size
and results do not depend on thread scheduling.
"""

import numba
import numpy as np

from .._config import jit, jit_parallel
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
def gather_transposed(source, order, start, m, use_order, target):
    """``target[:, j] = source[row_j]`` for ``j < m``, rows ``order[start + j]`` or ``start + j``.

    Parameters
    ----------
    source : ndarray, shape (n_samples, width), row-major
    order : ndarray of int64, shape (n_samples,)
        Sample order (ignored unless ``use_order``).
    target : ndarray, shape (width, m), overwritten
    """
    width = source.shape[1]
    for j in range(m):
        row = order[start + j] if use_order else start + j
        for k in range(width):
            target[k, j] = source[row, k]


@jit
def forward(theta, w_offsets, a_offsets, sizes, activation_codes, acts, m, blas_min_work):
    """Forward pass over the ``m`` samples already in ``acts[0]``.

    Fills ``acts[l] = phi(W^(l-1) acts[l-1] + b^(l-1))`` for the hidden layers and
    ``acts[L] = z_tilde^(L)`` (no output activation: the head applies it).
    """
    n_layers = sizes.shape[0] - 1
    for layer in range(n_layers):
        z_out = layer_view(acts, a_offsets, sizes, layer + 1, m)
        dense.affine_forward(
            weight_view(theta, w_offsets, sizes, layer),
            bias_view(theta, w_offsets, sizes, layer),
            layer_view(acts, a_offsets, sizes, layer, m),
            z_out,
            blas_min_work,
        )
        if layer < n_layers - 1:
            activations.activate(activation_codes[layer], z_out)


@jit
def backward(theta, grad, w_offsets, a_offsets, sizes, activation_codes, acts, deltas, m,
             blas_min_work):
    """Backward pass from the output delta in ``deltas[L]``; writes the gradient to ``grad``.

    For ``l = L-1 .. 0``: ``dW^(l) = delta^(l+1) z^(l)T``, ``db^(l) = sum_j delta^(l+1)``,
    then ``delta^(l) = (W^(l)T delta^(l+1)) * phi'(z_tilde^(l))``. Sums over the ``m``
    samples: an output delta divided by the batch size gives the batch-mean gradient.
    """
    n_layers = sizes.shape[0] - 1
    for layer in range(n_layers - 1, -1, -1):
        delta = layer_view(deltas, a_offsets, sizes, layer + 1, m)
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
            activations.multiply_by_derivative(activation_codes[layer - 1], z_in, delta_in)


@jit
def part_count(m, capacity, n_slots, min_part):
    """How many parts a batch of ``m`` samples is split into.

    Enough parts to fit the buffers' ``capacity``, rounded up to a multiple of the slots
    (threads) worth using, that is those that still get ``min_part`` samples each, so the
    threads share the work evenly. Depends on nothing else, so a given batch size and
    thread count always split the same way.
    """
    by_capacity = (m + capacity - 1) // capacity
    threads = min(n_slots, max(1, m // min_part))
    return (by_capacity + threads - 1) // threads * threads


@jit
def part_loss_and_gradient(
    theta, w_offsets, a_offsets, sizes, activation_codes, head_code,
    X, Y, sample_weight, order, use_order, start, size, scale, with_gradient, grad,
    acts, deltas, y_buffer, scratch, gathered, blas_min_work,
):
    """Summed loss of one part (``size`` samples from ``start``) and its gradient share.

    With ``with_gradient``, ``grad`` is overwritten with ``scale * sum dL/dtheta`` over
    the part (``scale = 1/m`` for a batch of ``m``, or ``1 / sum w`` with weights).
    ``sample_weight`` is empty (every sample counts once) or holds one weight per row
    of ``X``; each sample's loss and delta are then multiplied by its weight.
    ``gathered`` says that ``acts[0]`` and ``y_buffer`` already hold the part.
    """
    n_layers = sizes.shape[0] - 1
    n_outputs = sizes[n_layers]
    y_part = as_matrix(y_buffer, n_outputs, size)
    if not gathered:
        gather_transposed(X, order, start, size, use_order,
                          layer_view(acts, a_offsets, sizes, 0, size))
        gather_transposed(Y, order, start, size, use_order, y_part)
    forward(theta, w_offsets, a_offsets, sizes, activation_codes, acts, size, blas_min_work)
    output_delta = layer_view(deltas, a_offsets, sizes, n_layers, size)
    total = heads.loss_and_delta(
        head_code, layer_view(acts, a_offsets, sizes, n_layers, size), y_part, output_delta,
        scratch,
    )
    weighted = sample_weight.size > 0
    if weighted:
        sample_loss = scratch[3]
        total = theta.dtype.type(0.0)
        for j in range(size):
            weight = sample_weight[order[start + j] if use_order else start + j]
            total += weight * sample_loss[j]
            scratch[4, j] = weight * scale
    if with_gradient:
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
        backward(theta, grad, w_offsets, a_offsets, sizes, activation_codes, acts, deltas,
                 size, blas_min_work)
    return total


@jit
def slot_loss_and_gradient(
    slot, n_parts, theta, w_offsets, a_offsets, sizes, activation_codes, head_code,
    X, Y, sample_weight, order, use_order, start, m, scale, with_gradient, slot_grads,
    part_grads, acts, deltas, y_buffer, scratch, slot_losses, gathered, blas_min_work,
):
    """One slot's share of a batch: parts ``slot, slot + n_slots, ...``, summed in order
    into ``slot_losses[slot]`` and ``slot_grads[slot]`` (see :func:`batch_loss_and_gradient`).
    """
    n_slots = slot_grads.shape[0]
    slot_losses[slot] = 0.0
    for part in range(slot, n_parts, n_slots):
        part_start = part * m // n_parts
        size = (part + 1) * m // n_parts - part_start
        target = slot_grads[slot] if part == slot else part_grads[slot]
        slot_losses[slot] += part_loss_and_gradient(
            theta, w_offsets, a_offsets, sizes, activation_codes, head_code,
            X, Y, sample_weight, order, use_order, start + part_start, size, scale,
            with_gradient, target, acts[slot], deltas[slot], y_buffer[slot], scratch[slot],
            gathered, blas_min_work,
        )
        if with_gradient and part != slot:
            for i in range(target.size):
                slot_grads[slot, i] += target[i]


@jit_parallel
def batch_loss_and_gradient(
    theta, w_offsets, a_offsets, sizes, activation_codes, head_code,
    X, Y, sample_weight, order, use_order, start, m, scale, with_gradient, slot_grads,
    part_grads, acts, deltas, y_buffer, scratch, slot_losses, min_part, gathered,
):
    """Summed loss of ``m`` samples and (optionally) their mean-loss gradient.

    The samples are rows ``order[start:start + m]`` of ``X``/``Y`` (or ``start:start + m``
    when ``use_order`` is false). They are split into :func:`part_count` parts of nearly
    equal size; each of the ``n_slots`` slots (the first axis of every work buffer) takes
    parts ``s, s + n_slots, ...`` in a ``prange`` loop, accumulating its loss and gradient
    in its own buffers; the slots are then summed in order into ``slot_grads[0]``. The
    split and every sum's order depend only on ``m`` and ``n_slots``: a given thread count
    gives bit-identical results. Parts computed in threads never call BLAS, whose own
    threads would oversubscribe the cores.

    Parameters
    ----------
    sample_weight : ndarray, shape (0,) or (n_samples,)
        Empty, or one weight per row of ``X`` multiplying that sample's loss and delta.
    scale : float, in ``theta``'s dtype
        Factor on the summed gradient: ``1/m``, or ``1 / sum w`` over the batch.
    slot_grads, part_grads : ndarray, shape (n_slots, n_params)
        Per-slot gradient sums and scratch. With ``with_gradient``, ``slot_grads[0]``
        receives ``scale * sum_samples w dL/dtheta`` (no penalty).
    acts, deltas, y_buffer, scratch : per-slot work buffers (first axis: slot); each
        slot's ``scratch`` has 5 rows (softmax work space, per-sample losses, weights).
    slot_losses : ndarray, shape (n_slots,), float64 work space.
    gathered : bool
        ``acts[0]`` and ``y_buffer[0]`` already hold the whole batch (one part).

    Returns
    -------
    float
        The summed (not averaged) loss, each sample's weighted by ``sample_weight``.
    """
    n_slots = slot_grads.shape[0]
    n_outputs = sizes[sizes.shape[0] - 1]
    capacity = y_buffer.shape[1] // n_outputs
    n_parts = part_count(m, capacity, n_slots, min_part)
    used = min(n_slots, n_parts)
    if used == 1:  # no thread pool for a single slot: its start-up would dominate small batches
        slot_loss_and_gradient(
            0, n_parts, theta, w_offsets, a_offsets, sizes, activation_codes, head_code,
            X, Y, sample_weight, order, use_order, start, m, scale, with_gradient,
            slot_grads, part_grads, acts, deltas, y_buffer, scratch, slot_losses, gathered,
            dense.BLAS_MIN_WORK,
        )
    else:  # BLAS's threads stay off inside ours
        for slot in numba.prange(used):
            slot_loss_and_gradient(
                slot, n_parts, theta, w_offsets, a_offsets, sizes, activation_codes,
                head_code, X, Y, sample_weight, order, use_order, start, m, scale,
                with_gradient, slot_grads, part_grads, acts, deltas, y_buffer, scratch,
                slot_losses, gathered, dense.NO_BLAS,
            )
    total = slot_losses[0]
    for slot in range(1, used):
        total += slot_losses[slot]
        if with_gradient:
            for i in range(slot_grads.shape[1]):
                slot_grads[0, i] += slot_grads[slot, i]
    return total


@jit
def predict(theta, w_offsets, a_offsets, sizes, activation_codes, head_code, apply_head, X,
            out, acts, scratch):
    """Network outputs for every row of ``X``, chunk by chunk.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
    out : ndarray, shape (n_samples, n_outputs), overwritten with ``z_tilde^(L)``, or
        with the head's output ``y_hat`` when ``apply_head``.
    acts : work buffer whose capacity (samples per chunk) is ``scratch.shape[1]``.
    """
    n_samples = X.shape[0]
    n_layers = sizes.shape[0] - 1
    n_outputs = sizes[n_layers]
    capacity = scratch.shape[1]
    no_order = np.empty(0, dtype=np.int64)
    for chunk_start in range(0, n_samples, capacity):
        chunk = min(capacity, n_samples - chunk_start)
        gather_transposed(
            X, no_order, chunk_start, chunk, False, layer_view(acts, a_offsets, sizes, 0, chunk)
        )
        forward(theta, w_offsets, a_offsets, sizes, activation_codes, acts, chunk,
                dense.BLAS_MIN_WORK)
        z_out = layer_view(acts, a_offsets, sizes, n_layers, chunk)
        if apply_head:
            heads.apply_output(head_code, z_out, scratch)
        for j in range(chunk):
            for i in range(n_outputs):
                out[chunk_start + j, i] = z_out[i, j]
