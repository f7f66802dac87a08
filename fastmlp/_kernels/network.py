"""The whole network: forward pass, backward pass, loss and gradient of a batch, inference.

Memory layout, shared with :mod:`fastmlp.model`:

* ``theta``: every parameter in one contiguous vector. Layer ``l`` (``l = 0 .. L-1``)
  holds ``W^(l)`` (``sizes[l+1] x sizes[l]``, row-major) at ``w_offsets[l]``, followed
  directly by ``b^(l)`` (``sizes[l+1]``). A gradient vector has the same layout.
* ``acts`` and ``deltas``: work buffers, one row per slot (thread). In a row, layer ``l``
  (``l = 0 .. L``, 0 being the input) owns ``sizes[l] * capacity`` elements at
  ``a_offsets[l]``; for a part of ``m`` samples its first ``sizes[l] * m`` elements are
  viewed as a ``(sizes[l], m)`` array. ``acts[L]`` holds the output pre-activations.

The kernels take a few bundles (tuples) rather than long lists of arrays:

* ``layout = (w_offsets, sizes, steps)``: the network. ``steps`` holds the native
  addresses of the step kernels this network uses, at the positions named below
  (:data:`PRODUCT` ... :data:`FIRST_ACTIVATION`), built by :func:`network_steps`; the
  loops call them through :mod:`.calls`, so an activation, a head or an optional step is
  compiled only for the networks that use it, once, whatever loop calls it.
* ``rows = (X, data, indices, indptr)``: the input rows. Dense rows enter row-major, ``X``
  of shape ``(n_samples, n_features)``, and are transposed part by part into ``acts[0]``
  while they are gathered, so no transposed copy of the data set is ever made. Where the
  first layer's product goes to BLAS, even that is skipped (:data:`ROWS_PRODUCT`,
  :data:`ROWS_WEIGHT_GRADIENT`): its product and weight gradient read the rows
  sample-major, where they are when they follow each other in ``X``, else gathered as
  rows into ``acts[0]`` (:func:`first_product_on_rows`). The CSR arrays are then empty.
  Sparse rows enter as the arrays of a CSR matrix (``X`` is then an empty placeholder):
  the first layer's product and weight gradient read the rows' nonzeros directly, and
  ``acts[0]`` is never filled (its buffer may have no room for it).
* ``targets = (Y, sample_weight)``: targets ``(n_samples, n_outputs)`` and an empty array
  (every sample counts once) or one weight per row.
* ``work = (a_offsets, acts, deltas, y_buffer, scratch, group_grads, part_grads,
  group_losses, min_group)``: the work buffers (:func:`batch_loss_and_gradient`).
* ``dropout = (rates, key)``: one rate per hidden layer (``theta``'s dtype), or an empty
  array for none, and a uint64 array of one element holding the batch's mask key.

Dropout (inverted): during training, hidden unit ``k`` of sample ``j`` is kept with
probability ``1 - p`` and its activation scaled by ``1 / (1 - p)``, or dropped (set to 0).
Each keep-or-drop draw is a hash of the batch's key (drawn from the training run's random
stream), the sample's position in the batch and the unit's index among all hidden units,
so a mask depends on nothing else: not on how a batch is split across threads, and the
backward pass recomputes it instead of storing it.

A batch is split into a fixed number of groups (:func:`group_count`: it depends on the
batch size and the network, never on the thread count), each computed in parts of at most
``capacity`` samples by one thread and summed in group order. So memory stays bounded for
any batch size, and a result does not depend on how many threads computed it, nor on
which.
"""

import numba
import numpy as np

from .._config import jit, jit_inline, jit_parallel
from . import activations, calls, dense, heads
from .views import as_matrix, as_vector


@jit_inline
def layer_view(buffer, a_offsets, sizes, layer, m):
    """The ``(sizes[layer], m)`` view of ``layer`` in an ``acts``/``deltas`` buffer."""
    start = a_offsets[layer]
    return as_matrix(buffer[start:start + sizes[layer] * m], sizes[layer], m)


@jit_inline
def weight_view(theta, w_offsets, sizes, layer):
    """``W^(layer)`` as a ``(sizes[layer + 1], sizes[layer])`` view into ``theta``."""
    start = w_offsets[layer]
    fan_in, fan_out = sizes[layer], sizes[layer + 1]
    return as_matrix(theta[start:start + fan_out * fan_in], fan_out, fan_in)


@jit_inline
def bias_view(theta, w_offsets, sizes, layer):
    """``b^(layer)`` as a view into ``theta``."""
    start = w_offsets[layer] + sizes[layer + 1] * sizes[layer]
    return theta[start:start + sizes[layer + 1]]


#: Samples per block of :func:`gather_transposed`.
_GATHER_BLOCK = 16


@jit_inline
def rows_view(X, order, start, m, buffer, in_place):
    """The ``(m, width)`` sample-major view of rows ``order[start:start + m]`` of ``X``
    (``start:start + m`` when ``order`` is empty): ``X``'s own rows with ``in_place``, else
    the front of ``buffer`` (a 1-D work buffer), where :func:`first_product_on_rows`
    gathered them."""
    width = X.shape[1]
    if in_place:
        first = order[start] if order.size > 0 else start
        return as_matrix(as_vector(X)[first * width:], m, width)
    return as_matrix(buffer, m, width)


@jit
def first_product_on_rows(theta, layout, X, order, start, m, buffer, z_tilde_out):
    """The first layer's product in BLAS on the input rows as they come, sample-major
    (:data:`ROWS_PRODUCT`): rows ``order[start:start + m]`` of ``X`` (``start:start + m``
    when ``order`` is empty) are read where they are when they follow each other there,
    else first gathered as rows into ``buffer``; returns which (for :func:`rows_view`).

    Kept out of the group's code, which the small networks' many short batches run
    through: inlined there, its loops made the Playground's training 4-5% slower.
    """
    w_offsets, sizes, steps = layout
    width = X.shape[1]
    first = order[start] if order.size > 0 else start
    in_place = True
    if order.size > 0:
        for j in range(1, m):
            if order[start + j] != first + j:
                in_place = False
                break
    if not in_place:
        rows = as_matrix(buffer, m, width)
        for j in range(m):
            row = order[start + j]
            for k in range(width):
                rows[j, k] = X[row, k]
    calls.product(steps[ROWS_PRODUCT],
                  (weight_view(theta, w_offsets, sizes, 0), bias_view(theta, w_offsets, sizes, 0),
                   rows_view(X, order, start, m, buffer, in_place), z_tilde_out))
    return in_place


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
    # In blocks of _GATHER_BLOCK samples, each feature's block a run of the target row:
    # sample by sample, the writes down a column are a power of two of bytes apart for
    # the usual capacities, all in one set of the L1 cache, which they then evict.
    for first in range(0, m, _GATHER_BLOCK):
        last = min(m, first + _GATHER_BLOCK)
        for k in range(width):
            for j in range(first, last):
                row = order[start + j] if use_order else start + j
                target[k, j] = source[row, k]


# ------------------------------------------------------------------ the optional steps
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


@jit
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


@jit
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
            kept = dropout_keeps(key, first_unit + k, first_position + j, threshold)
            delta[k, j] = delta[k, j] * scale if kept else z.dtype.type(0.0)
            z[k, j] *= keep if kept else one  # all stored: no masked store (mathfn.opaque)


@jit
def sparse_affine_forward(W, b, data, indices, indptr, order, start, m, z_tilde_out):
    """``z_tilde_out = W x + b`` for the CSR rows ``order[start:start + m]`` (or
    ``start:start + m`` when ``order`` is empty): each nonzero ``x_k`` adds ``W[:, k] x_k``."""
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


@jit
def sparse_weight_gradient(delta, data, indices, indptr, order, start, m, dW, db):
    """``dW = delta X^T`` and ``db = delta 1`` for the CSR rows of :func:`sparse_affine_forward`:
    only the columns of ``dW`` that a nonzero touches get anything but 0."""
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


# --------------------------------------------------------------------- the steps table
#: Positions in a network's ``steps`` (:func:`network_steps`): the products as loops and in BLAS
#: (the same kernel when no product of the network can reach BLAS), the head's loss and output (0:
#: none), the sparse first layer and dropout (0 when not used), the work of one group of a batch
#: (:func:`group_loss_and_gradient`, for training), the first layer's BLAS product and (for
#: training) weight gradient on dense rows as they come (0 when not used: sparse rows, or no product
#: that reaches BLAS), the multiply-adds from which the batch drivers hand a product to BLAS
#: (:func:`.dense.training_blas_min_work`, a number rather than an address), then hidden layer
#: ``l``'s activation at ``FIRST_ACTIVATION + STEPS_PER_LAYER l`` (0 for a linear layer), its
#: derivative at the next position (0 where never used: for a linear layer, and unless a product may
#: reach BLAS or there is dropout) and the loops that backpropagate through it
#: (:data:`.activations.STEPS`) at the one after.
(PRODUCT, BLAS_PRODUCT, WEIGHT_GRADIENT, BLAS_WEIGHT_GRADIENT, BACKPROPAGATE,
 BLAS_BACKPROPAGATE, LOSS_AND_DELTA, APPLY_OUTPUT, SPARSE_PRODUCT, SPARSE_WEIGHT_GRADIENT,
 DROP_UNITS, DROP_DELTAS, GROUP_LOSS_AND_GRADIENT, ROWS_PRODUCT, ROWS_WEIGHT_GRADIENT,
 TRAINING_BLAS_WORK, FIRST_ACTIVATION) = range(17)
#: Positions of each hidden layer in ``steps``: activation, derivative, backpropagation.
STEPS_PER_LAYER = 3

PRODUCT_STEPS = (
    (PRODUCT, BLAS_PRODUCT, calls.PRODUCT, dense.affine_forward, dense.blas_affine_forward),
    (WEIGHT_GRADIENT, BLAS_WEIGHT_GRADIENT, calls.WEIGHT_GRADIENT, dense.weight_gradient,
     dense.blas_weight_gradient),
    (BACKPROPAGATE, BLAS_BACKPROPAGATE, calls.BACKPROPAGATE, dense.backpropagate,
     dense.blas_backpropagate),
)


#: The steps of an option, ``(position, kind, kernel)``: compiled only for runs that use it
#: ("rows": dense rows, in a network whose products can reach BLAS; the first layer's
#: product and weight gradient read them sample-major when the layer's product does).
OPTIONAL_STEPS = {
    "sparse": ((SPARSE_PRODUCT, calls.SPARSE_PRODUCT, sparse_affine_forward),
               (SPARSE_WEIGHT_GRADIENT, calls.SPARSE_WEIGHT_GRADIENT, sparse_weight_gradient)),
    "dropout": ((DROP_UNITS, calls.DROP_UNITS, drop_units),
                (DROP_DELTAS, calls.DROP_DELTAS, drop_deltas)),
    "rows": ((ROWS_PRODUCT, calls.PRODUCT, dense.blas_rows_forward),
             (ROWS_WEIGHT_GRADIENT, calls.WEIGHT_GRADIENT, dense.blas_rows_weight_gradient)),
}


def network_steps(dtype, activation_codes, head_code, blas=False, sparse=False,
                  dropout=False, training=True):
    """The ``steps`` array of a network: native addresses of the step kernels it uses.

    Each kernel is compiled (or loaded from the disk cache) the first time a process
    needs it, for ``dtype`` only.

    Parameters
    ----------
    dtype : numpy dtype
        The network's float type.
    activation_codes : sequence of int
        One activation code per hidden layer (:data:`.activations.ACTIVATION_CODES`).
    head_code : int
        The output head (:data:`.heads.HEAD_CODES`).
    blas : bool
        Some product may reach BLAS (:func:`.dense.reaches_blas`, with the work buffers'
        capacity): the BLAS forms are then compiled and used for those products.
    sparse, dropout : bool
        The rows are CSR arrays; some hidden layer has a dropout rate.
    training : bool
        Also the steps of the backward pass and the loss; without them (0 in their
        positions) the steps serve :func:`predict` only.

    Returns
    -------
    ndarray of int64
        Shared by every call with the same arguments in this process: not to be modified.
        Addresses are the process's own, so they are never saved or sent elsewhere.
    """
    key = (np.dtype(dtype), tuple(int(code) for code in activation_codes), int(head_code),
           bool(blas), bool(sparse), bool(dropout), bool(training))
    if key not in _STEPS:
        _STEPS[key] = _build_steps(*key)
    return _STEPS[key]


_STEPS: dict = {}


def _build_steps(dtype, activation_codes, head_code, blas, sparse, dropout, training):
    steps = np.zeros(FIRST_ACTIVATION + STEPS_PER_LAYER * len(activation_codes),
                     dtype=np.int64)
    listed = network_step_kernels(activation_codes, head_code, blas, sparse, dropout,
                                  training)
    for position, kernel, kind in listed:
        steps[position] = calls.address(kernel, kind, dtype)
    if not blas:  # the BLAS positions hold the loops
        for loops_at, blas_at, *_ in PRODUCT_STEPS:
            steps[blas_at] = steps[loops_at]
    steps[TRAINING_BLAS_WORK] = dense.training_blas_min_work() if blas else dense.NO_BLAS
    return steps


def network_step_kernels(activation_codes, head_code, blas=False, sparse=False,
                         dropout=False, training=True):
    """The step kernels of a network, as ``(position, kernel, kind)``, the largest first.

    Takes the arguments of :func:`network_steps` but the dtype, and compiles nothing:
    the list says what :func:`network_steps` compiles, so that several processes can
    share that work (:func:`fastmlp.compiling.compile_shared`). A kernel used by several
    hidden layers is listed at each of its positions.
    """
    listed = []
    if training:
        listed.append((GROUP_LOSS_AND_GRADIENT, group_loss_and_gradient,
                       calls.GROUP_LOSS_AND_GRADIENT))
    loss, output = heads.STEPS[head_code]
    if training:
        listed.append((LOSS_AND_DELTA, loss, calls.LOSS_AND_DELTA))
    if output is not None:
        listed.append((APPLY_OUTPUT, output, calls.APPLY_OUTPUT))
    for layer, code in enumerate(activation_codes):
        forward_map, derivative, through = activations.STEPS[code]
        at = FIRST_ACTIVATION + STEPS_PER_LAYER * layer
        if forward_map is not None:
            listed.append((at, forward_map, calls.ACTIVATE))
        if training:
            listed.append((at + 2, through, calls.BACKPROPAGATE_THROUGH))
            # The derivative alone follows a product in BLAS or the dropout mask.
            if derivative is not None and (blas or dropout):
                listed.append((at + 1, derivative, calls.DERIVATIVE))
    for loops_at, blas_at, kind, loops, in_blas in PRODUCT_STEPS:
        if training or kind == calls.PRODUCT:
            # The plain product as loops backpropagates only ahead of the dropout mask.
            if kind != calls.BACKPROPAGATE or dropout:
                listed.append((loops_at, loops, kind))
            if blas:
                listed.append((blas_at, in_blas, kind))
    # The first layer on dense rows as they come, when its products can reach BLAS.
    rows_product = blas and not sparse
    for option, used in (("sparse", sparse), ("dropout", dropout), ("rows", rows_product)):
        for position, kind, kernel in OPTIONAL_STEPS[option] if used else ():
            if training or kind in INFERENCE_KINDS:
                listed.append((position, kernel, kind))
    return listed


#: The kinds of step that inference calls.
INFERENCE_KINDS = (calls.PRODUCT, calls.ACTIVATE, calls.APPLY_OUTPUT, calls.SPARSE_PRODUCT)


@jit_inline
def product_step(steps, position, fan_out, fan_in, m, blas_min_work):
    """The address of the product at ``position`` of a ``(fan_out, fan_in)`` layer over
    ``m`` samples: its BLAS form (the next position) when :func:`.dense.reaches_blas`."""
    in_blas = dense.reaches_blas(fan_out, fan_in, m, blas_min_work)
    return steps[position + 1] if in_blas else steps[position]


# ------------------------------------------------------------------ the passes
@jit_inline
def forward(theta, layout, a_offsets, acts, m, blas_min_work, rows, order, row_start, dropout,
            first_position, first_done):
    """Forward pass over the ``m`` samples already in ``acts[0]`` (or, for sparse rows,
    rows ``order[row_start:row_start + m]`` of the CSR arrays in ``rows``; or, with
    ``first_done``, from the first layer's pre-activations, already in ``acts[1]``).

    Fills ``acts[l] = phi(W^(l-1) acts[l-1] + b^(l-1))`` for the hidden layers and
    ``acts[L] = z_tilde^(L)`` (no output activation: the head applies it). With dropout,
    each hidden layer's activations are masked (:func:`drop_units`) for batch key
    ``dropout[1][0]``, the samples being at positions ``first_position, first_position + 1,
    ...`` of their batch.
    """
    w_offsets, sizes, steps = layout
    _, data, indices, indptr = rows
    rates, key = dropout
    n_layers = sizes.shape[0] - 1
    for layer in range(n_layers):
        W = weight_view(theta, w_offsets, sizes, layer)
        b = bias_view(theta, w_offsets, sizes, layer)
        z_out = layer_view(acts, a_offsets, sizes, layer + 1, m)
        if layer == 0 and first_done:
            pass  # the caller computed it
        elif layer == 0 and indptr.size > 0:
            calls.sparse_product(steps[SPARSE_PRODUCT],
                                 (W, b, data, indices, indptr, order, row_start, m, z_out))
        else:
            calls.product(product_step(steps, PRODUCT, W.shape[0], W.shape[1], m,
                                       blas_min_work),
                          (W, b, layer_view(acts, a_offsets, sizes, layer, m), z_out))
        if layer < n_layers - 1:
            activate = steps[FIRST_ACTIVATION + STEPS_PER_LAYER * layer]
            if activate != 0:
                calls.activate(activate, (z_out,))
            if rates.size > 0 and rates[layer] > 0:
                calls.drop_units(steps[DROP_UNITS],
                                 (z_out, hidden_units_before(sizes, layer + 1), rates[layer],
                                  key[0], first_position))


@jit_inline
def backward(theta, grad, layout, a_offsets, acts, deltas, m, blas_min_work, rows, order,
             row_start, dropout, first_position, rows_first, in_place):
    """Backward pass from the output delta in ``deltas[L]``; writes the gradient to ``grad``.

    For ``l = L-1 .. 0``: ``dW^(l) = delta^(l+1) z^(l)T``, ``db^(l) = sum_j delta^(l+1)``,
    then ``delta^(l) = (W^(l)T delta^(l+1)) * phi'(z_tilde^(l))``, in one kernel when the
    product runs as loops (the layer's backpropagation step), else as the product (in
    BLAS), the dropout mask and the derivative, one after the other. Sums over the ``m``
    samples: an output delta divided by the batch size gives the batch-mean gradient.
    With dropout, ``z^(l)`` is the masked activation of the forward pass, and the mask
    (recomputed) multiplies ``delta^(l)`` too (:func:`drop_deltas`); the hidden
    activations in ``acts`` are left unmasked. For sparse rows the first layer's weight
    gradient reads the CSR arrays as :func:`forward` does. With ``rows_first``, it reads
    the input rows sample-major where :func:`first_product_on_rows` read them (in ``X``
    with ``in_place``, else in ``acts[0]``).
    """
    w_offsets, sizes, steps = layout
    _, data, indices, indptr = rows
    rates, key = dropout
    n_layers = sizes.shape[0] - 1
    for layer in range(n_layers - 1, -1, -1):
        delta = layer_view(deltas, a_offsets, sizes, layer + 1, m)
        dW = weight_view(grad, w_offsets, sizes, layer)
        db = bias_view(grad, w_offsets, sizes, layer)
        if layer == 0 and indptr.size > 0:
            calls.sparse_weight_gradient(steps[SPARSE_WEIGHT_GRADIENT],
                                         (delta, data, indices, indptr, order, row_start, m,
                                          dW, db))
            continue
        if layer == 0 and rows_first:
            inputs = rows_view(rows[0], order, row_start, m, acts[a_offsets[0]:], in_place)
            calls.weight_gradient(steps[ROWS_WEIGHT_GRADIENT], (delta, inputs, dW, db))
            continue
        z_in = layer_view(acts, a_offsets, sizes, layer, m)
        calls.weight_gradient(product_step(steps, WEIGHT_GRADIENT, dW.shape[0], dW.shape[1],
                                           m, blas_min_work),
                              (delta, z_in, dW, db))
        if layer > 0:
            W = weight_view(theta, w_offsets, sizes, layer)
            delta_in = layer_view(deltas, a_offsets, sizes, layer, m)
            at = FIRST_ACTIVATION + STEPS_PER_LAYER * (layer - 1)
            dropped = rates.size > 0 and rates[layer - 1] > 0
            if not (dropped or dense.reaches_blas(W.shape[0], W.shape[1], m, blas_min_work)):
                # The product and the derivative in one kernel.
                calls.backpropagate_through(steps[at + 2], (W, delta, z_in, delta_in))
                continue
            calls.backpropagate(product_step(steps, BACKPROPAGATE, W.shape[0], W.shape[1], m,
                                             blas_min_work),
                                (W, delta, delta_in))
            if dropped:
                calls.drop_deltas(steps[DROP_DELTAS],
                                  (z_in, delta_in, hidden_units_before(sizes, layer),
                                   rates[layer - 1], key[0], first_position))
            if steps[at + 1] != 0:
                calls.derivative(steps[at + 1], (z_in, delta_in))


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


@jit
def group_loss_and_gradient(group, n_groups, theta, layout, rows, targets, order, start, m,
                            scale, with_gradient, grad, a_offsets, slot, gathered,
                            blas_min_work, dropout):
    """Summed loss of one group of a batch, and its gradient.

    The batch (``m`` samples from ``start``) is split into ``n_groups`` groups of nearly
    equal size (:func:`group_count`); this computes group ``group``, in parts of at most
    the buffers' capacity, in order, each by a forward pass, the head's loss and delta and
    a backward pass. The samples are rows ``order[start:start + m]`` of ``rows``/``targets``,
    or rows ``start:start + m`` when ``order`` is empty. With ``with_gradient``, ``grad`` is
    overwritten with ``scale * sum dL/dtheta`` over the group (``scale = 1/m``, or
    ``1 / sum w`` with weights). Each sample's loss and delta are multiplied by its weight,
    if ``targets`` has weights. ``slot = (acts, deltas, y_buffer, scratch, part_grad)``:
    the calling thread's rows of the work buffers. ``gathered`` says that ``acts[0]`` and
    ``y_buffer`` already hold the batch (one group of one part). Dropout positions count
    from ``start``.

    Returns
    -------
    float
        The summed (not averaged) loss of the group, weighted by the sample weights.
    """
    _, sizes, steps = layout
    X = rows[0]
    sparse = rows[3].size > 0
    Y, sample_weight = targets
    acts, deltas, y_buffer, scratch, part_grad = slot
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
        # A first product in BLAS reads the rows sample-major, else they are gathered
        # feature-major into acts[0], unless they are there already.
        rows_first = (not sparse and steps[ROWS_PRODUCT] != 0
                      and dense.reaches_blas(sizes[1], sizes[0], size, blas_min_work))
        in_place = False
        if rows_first:
            in_place = first_product_on_rows(theta, layout, X, order, part_start, size,
                                             acts[a_offsets[0]:],
                                             layer_view(acts, a_offsets, sizes, 1, size))
        elif not (gathered or sparse):
            gather_transposed(X, order, part_start, size,
                              layer_view(acts, a_offsets, sizes, 0, size))
        if not gathered:
            gather_transposed(Y, order, part_start, size, y_part)
        forward(theta, layout, a_offsets, acts, size, blas_min_work, rows, order, part_start,
                dropout, part_start - start, rows_first)
        output_delta = layer_view(deltas, a_offsets, sizes, n_layers, size)
        part_total = calls.loss_and_delta(
            steps[LOSS_AND_DELTA],
            (layer_view(acts, a_offsets, sizes, n_layers, size), y_part, output_delta, scratch),
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
        backward(theta, target, layout, a_offsets, acts, deltas, size, blas_min_work, rows,
                 order, part_start, dropout, part_start - start, rows_first, in_place)
        if part > 0:
            for i in range(grad.size):
                grad[i] += target[i]
    return total


@jit
def batch_loss_and_gradient(theta, layout, rows, targets, order, start, m, scale,
                            with_gradient, work, gathered, dropout):
    """Summed loss of ``m`` samples and (optionally) their mean-loss gradient, in one thread.

    The samples are rows ``order[start:start + m]`` of ``rows``/``targets`` (rows
    ``start:start + m`` when ``order`` is empty). They are split into :func:`group_count`
    groups, computed one after the other by :func:`group_loss_and_gradient` and summed in
    order (:func:`sum_groups`); large products go to BLAS. The work buffers have one slot
    (first axis). :func:`threaded_batch_loss_and_gradient` takes the same arguments and
    spreads the groups over threads; as the groups and the order of their sum are the
    same, the two give identical bits. The Python layer picks one of them, so a run that
    never uses a second thread never compiles the threaded one.

    Parameters
    ----------
    theta : ndarray, shape (n_params,)
    layout, rows, targets, dropout : tuples
        The network, the input rows, the targets and sample weights, the dropout rates
        and mask key (see the module docstring).
    order : ndarray of int64, shape (n_samples,) or (0,)
    start, m : int
    scale : float, in ``theta``'s dtype
        Factor on the summed gradient: ``1/m``, or ``1 / sum w`` over the batch.
    with_gradient : bool
    work : tuple ``(a_offsets, acts, deltas, y_buffer, scratch, group_grads, part_grads,
        group_losses, min_group)``
        ``acts``, ``deltas``, ``y_buffer``: one row per slot (thread); ``scratch``: 5 rows
        per slot (softmax work space, per-sample losses, weights); ``group_grads``: one
        gradient per group for the largest batch, ``group_grads[0]`` receiving
        ``scale * sum_samples w dL/dtheta`` (no penalty) with ``with_gradient``;
        ``part_grads``: one row per slot; ``group_losses``: float64, one per group;
        ``min_group``: the fewest samples worth a thread of their own
        (:func:`group_count`).
    gathered : bool
        ``acts[0]`` and ``y_buffer[0]`` already hold the whole batch (one group of one part).

    Returns
    -------
    float
        The summed (not averaged) loss, each sample's weighted by its weight.
    """
    a_offsets, acts, deltas, y_buffer, scratch, group_grads, part_grads, group_losses, \
        min_group = work
    group_step = layout[2][GROUP_LOSS_AND_GRADIENT]
    blas_min_work = layout[2][TRAINING_BLAS_WORK]
    slot = (acts[0], deltas[0], y_buffer[0], scratch[0], part_grads[0])
    n_groups = group_count(m, min_group)
    for group in range(n_groups):
        group_losses[group] = calls.group_loss_and_gradient(group_step, (
            group, n_groups, theta, layout, rows, targets, order, start, m, scale,
            with_gradient, group_grads[group], a_offsets, slot, gathered, blas_min_work,
            dropout,
        ))
    return sum_groups(n_groups, with_gradient, group_grads, group_losses)


@jit_parallel
def threaded_batch_loss_and_gradient(theta, layout, rows, targets, order, start, m, scale,
                                     with_gradient, work, gathered, dropout):
    """:func:`batch_loss_and_gradient` with the groups spread over threads.

    Each of the ``n_slots`` slots (the first axis of the per-thread buffers) takes groups
    ``s, s + n_slots, ...`` in a ``prange`` loop, each into its own row of
    ``group_grads``; the groups are then summed in order, as in the serial driver. So the
    result does not depend on the thread count or on which thread computed which group.
    Each thread hands its large products to BLAS, which the caller holds to one thread
    meanwhile (:func:`fastmlp._config.parallel_calls`). A batch of a single group runs in
    the calling thread.
    """
    a_offsets, acts, deltas, y_buffer, scratch, group_grads, part_grads, group_losses, \
        min_group = work
    group_step = layout[2][GROUP_LOSS_AND_GRADIENT]
    blas_min_work = layout[2][TRAINING_BLAS_WORK]
    n_groups = group_count(m, min_group)
    used = min(acts.shape[0], n_groups)
    if used == 1:  # no thread pool for a single group: its start-up would dominate
        group_losses[0] = calls.group_loss_and_gradient(group_step, (
            0, n_groups, theta, layout, rows, targets, order, start, m, scale,
            with_gradient, group_grads[0], a_offsets,
            (acts[0], deltas[0], y_buffer[0], scratch[0], part_grads[0]), gathered,
            blas_min_work, dropout,
        ))
        return group_losses[0]
    for slot in numba.prange(used):
        for group in range(np.int64(slot), n_groups, used):
            group_losses[group] = calls.group_loss_and_gradient(group_step, (
                group, n_groups, theta, layout, rows, targets, order, start, m, scale,
                with_gradient, group_grads[group], a_offsets,
                (acts[slot], deltas[slot], y_buffer[slot], scratch[slot], part_grads[slot]),
                gathered, blas_min_work, dropout,
            ))
    return sum_groups(n_groups, with_gradient, group_grads, group_losses)


@jit
def predict(theta, layout, a_offsets, rows, apply_head, out, acts, scratch):
    """Network outputs for every row, chunk by chunk.

    Parameters
    ----------
    layout, rows : tuples
        The network and the input rows (see the module docstring).
    out : ndarray, shape (n_samples, n_outputs), overwritten with ``z_tilde^(L)``, or
        with the head's output ``y_hat`` when ``apply_head``.
    acts : work buffer whose capacity (samples per chunk) is ``scratch.shape[1]``.

    Returns
    -------
    bool
        Whether every value of dense rows was finite (read as they are gathered, so the
        caller need not check them first); always True for CSR rows, whose values are
        checked when they are prepared.
    """
    _, sizes, steps = layout
    X, _, _, indptr = rows
    sparse = indptr.size > 0
    n_samples = indptr.size - 1 if sparse else X.shape[0]
    n_layers = sizes.shape[0] - 1
    n_outputs = sizes[n_layers]
    capacity = scratch.shape[1]
    # Empty views rather than new arrays: inference allocates nothing. The dropout key
    # is never read without rates.
    no_order = a_offsets[:0]
    no_dropout = (theta[:0], a_offsets[:1].view(np.uint64))
    finite = True
    n_inputs = sizes[0]
    first_work = sizes[1] * n_inputs
    for chunk_start in range(0, n_samples, capacity):
        chunk = min(capacity, n_samples - chunk_start)
        # A first product large enough for BLAS reads the rows where they are; smaller
        # ones run as loops on the rows gathered feature-major.
        direct = (not sparse and steps[ROWS_PRODUCT] != 0
                  and first_work * chunk >= dense.BLAS_MIN_WORK)
        if direct:
            inputs = as_matrix(as_vector(X)[chunk_start * n_inputs:], chunk, n_inputs)
            calls.product(steps[ROWS_PRODUCT],
                          (weight_view(theta, layout[0], sizes, 0),
                           bias_view(theta, layout[0], sizes, 0), inputs,
                           layer_view(acts, a_offsets, sizes, 1, chunk)))
        elif not sparse:
            inputs = layer_view(acts, a_offsets, sizes, 0, chunk)
            gather_transposed(X, no_order, chunk_start, chunk, inputs)
        if not sparse:
            values = as_vector(inputs)
            for k in range(values.size):
                if not np.isfinite(values[k]):
                    finite = False
        forward(theta, layout, a_offsets, acts, chunk, dense.BLAS_MIN_WORK, rows, no_order,
                chunk_start, no_dropout, 0, direct)
        z_out = layer_view(acts, a_offsets, sizes, n_layers, chunk)
        if apply_head and steps[APPLY_OUTPUT] != 0:
            calls.apply_output(steps[APPLY_OUTPUT], (z_out, scratch))
        for j in range(chunk):
            for i in range(n_outputs):
                out[chunk_start + j, i] = z_out[i, j]
    return finite
