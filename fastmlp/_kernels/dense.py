"""One dense layer: the affine map forward, the weight gradient and the delta backward.

Shapes follow the math: ``W`` is ``(fan_out, fan_in)``, activations and deltas are
feature-major ``(width, batch)``. Each product comes in two forms with one signature, so
that a loop can call either (:mod:`.calls`): as loops whose innermost index walks the
contiguous batch axis, which LLVM vectorises (the networks of the two-moons experiment and
the Playground), and in BLAS through ``np.dot`` (SciPy's), which wins once the matrices no
longer fit in registers: products of at least :data:`BLAS_MIN_WORK` multiply-adds. A
network whose products never reach that size never compiles the BLAS forms.

Where OpenBLAS runs on its AVX-512 kernels, training hands products to it earlier
(:func:`training_blas_min_work`): from :data:`EARLY_BLAS_MIN_WORK` multiply-adds, when no
side of the product is thinner than :data:`BLAS_MIN_SIDE`. Measured on an AVX-512 Xeon
(OpenBLAS 0.3.30, SkylakeX kernels), the three products of a layer together took
0.3-0.8x the loops' time from 8,192 multiply-adds on (e.g. 10 x 128 x 32, 16 x 16 x 64,
32 x 32 x 8), while for a fan of 1 or 2 the loops stayed faster up to 45,000; on the same
machine with OpenBLAS's Haswell (AVX2) kernels, BLAS was 1.1-1.4x slower at 8,000-10,000
and even at 16,000-41,000, so elsewhere the threshold stays :data:`BLAS_MIN_WORK`.
Inference keeps :data:`BLAS_MIN_WORK`: its products are single rows or whole chunks.
"""

import numpy as np

from .. import _config
from .._config import jit, jit_blas, jit_inline
from .views import as_vector

#: Multiply-adds (fan_out * fan_in * batch) from which a product is handed to BLAS.
BLAS_MIN_WORK = 1 << 16
#: The same in training, where BLAS runs small products fast (:func:`training_blas_min_work`).
EARLY_BLAS_MIN_WORK = 1 << 13
#: Below :data:`BLAS_MIN_WORK`, a product goes to BLAS only if its fan-in, fan-out and
#: batch are all at least this.
BLAS_MIN_SIDE = 4
#: OpenBLAS kernels (threadpoolctl's ``architecture``, lower case) that run small products
#: fast: the AVX-512 ones.
EARLY_BLAS_KERNELS = frozenset({"skylakex", "cooperlake", "sapphirerapids"})
#: A threshold no product reaches: every product runs as the loops here.
NO_BLAS = 1 << 62


def blas_min_work_for(kernels):
    """The training threshold for BLAS libraries ``kernels`` (as
    :func:`fastmlp._config.blas_kernels` gives them): :data:`EARLY_BLAS_MIN_WORK` when there
    are OpenBLAS libraries and all of them run kernels of :data:`EARLY_BLAS_KERNELS`, else
    :data:`BLAS_MIN_WORK`.

    Other libraries (MKL, BLIS) do not count: one that another package loads before the
    first fit (PyTorch brings MKL) must not change the threshold, and with it the last
    bits of a result, from what it is when that package is imported later.
    """
    openblas = [str(architecture).lower() for api, architecture in kernels
                if api == "openblas"]
    early = bool(openblas) and all(name in EARLY_BLAS_KERNELS for name in openblas)
    return EARLY_BLAS_MIN_WORK if early else BLAS_MIN_WORK


def training_blas_min_work():
    """Multiply-adds from which training hands a product (none of whose sides is thinner
    than :data:`BLAS_MIN_SIDE`) to BLAS in this process (see the module docstring)."""
    return blas_min_work_for(_config.blas_kernels())


@jit_inline
def reaches_blas(fan_out, fan_in, m, blas_min_work):
    """Whether a product of these sides goes to BLAS for threshold ``blas_min_work``
    (:data:`BLAS_MIN_WORK`, :data:`EARLY_BLAS_MIN_WORK` or :data:`NO_BLAS`)."""
    work = fan_out * fan_in * m
    if work < blas_min_work:
        return False
    return work >= BLAS_MIN_WORK or min(fan_out, fan_in, m) >= BLAS_MIN_SIDE


@jit
def affine_forward(W, b, z_in, z_tilde_out):
    """``z_tilde_out = W @ z_in + b[:, None]``, as loops.

    Parameters
    ----------
    W : ndarray, shape (fan_out, fan_in)
    b : ndarray, shape (fan_out,)
    z_in : ndarray, shape (fan_in, batch)
        Activations of the layer below.
    z_tilde_out : ndarray, shape (fan_out, batch)
        Overwritten with the pre-activations.
    """
    fan_out, fan_in = W.shape
    batch = z_in.shape[1]
    if batch == 1:  # one sample (a single row to predict): a dot product per output
        column = as_vector(z_in)
        for i in range(fan_out):
            total = W.dtype.type(0.0)
            for k in range(fan_in):
                total += W[i, k] * column[k]
            z_tilde_out[i, 0] = b[i] + total
        return
    # z_tilde_out[i, :] = b[i] + sum_k W[i, k] z_in[k, :], four k per pass over the row
    # (a quarter of the loads and stores of the output row). The first pass writes the
    # bias with the fan_in % 4 leftover k, so no pass adds a single k. (Folding four k
    # into the bias pass as well, when there is no leftover, was measured 1.2-2x slower
    # for fan_in of 54 to 128.)
    left = fan_in % 4
    for i in range(fan_out):
        bias = b[i]
        if left == 0:
            for j in range(batch):
                z_tilde_out[i, j] = bias
        elif left == 1:
            w0 = W[i, 0]
            for j in range(batch):
                z_tilde_out[i, j] = bias + w0 * z_in[0, j]
        elif left == 2:
            w0, w1 = W[i, 0], W[i, 1]
            for j in range(batch):
                z_tilde_out[i, j] = bias + (w0 * z_in[0, j] + w1 * z_in[1, j])
        else:
            w0, w1, w2 = W[i, 0], W[i, 1], W[i, 2]
            for j in range(batch):
                z_tilde_out[i, j] = bias + ((w0 * z_in[0, j] + w1 * z_in[1, j])
                                            + w2 * z_in[2, j])
        for k in range(left, fan_in, 4):
            w0, w1, w2, w3 = W[i, k], W[i, k + 1], W[i, k + 2], W[i, k + 3]
            for j in range(batch):
                z_tilde_out[i, j] += ((w0 * z_in[k, j] + w1 * z_in[k + 1, j])
                                      + (w2 * z_in[k + 2, j] + w3 * z_in[k + 3, j]))


@jit_blas
def blas_affine_forward(W, b, z_in, z_tilde_out):
    """:func:`affine_forward` with the product in BLAS."""
    np.dot(W, z_in, z_tilde_out)
    add_bias(b, z_tilde_out)


@jit_blas
def blas_rows_forward(W, b, rows, z_tilde_out):
    """:func:`blas_affine_forward` on input rows as they come, sample-major:
    ``z_tilde_out = W @ rows.T + b[:, None]``, ``rows`` of shape ``(batch, fan_in)``.

    BLAS reads ``rows.T`` in place (a transposed operand is a flag to it), so the input
    is never copied into the feature-major layout: in inference that copy took about a
    sixth of a 1,024-row chunk's time for a 40-128-64-5 network, and in training on
    MNIST-shaped data (784 features, groups of 64 rows) 67 us of a group's 1.1 ms.
    """
    np.dot(W, rows.T, z_tilde_out)
    add_bias(b, z_tilde_out)


@jit_inline
def add_bias(b, z_tilde_out):
    """``z_tilde_out += b[:, None]``."""
    for i in range(z_tilde_out.shape[0]):
        for j in range(z_tilde_out.shape[1]):
            z_tilde_out[i, j] += b[i]


@jit
def weight_gradient(delta, z_in, dW, db):
    """``dW = delta @ z_in.T`` and ``db = delta.sum(axis=1)``, as loops.

    This is ``nabla_W = delta^(l+1) z^(l)T`` and ``nabla_b = delta^(l+1)`` summed over the
    batch; with the output delta already divided by the batch size (as
    :func:`~.network.batch_loss_and_gradient` does), these are the batch means.

    Parameters
    ----------
    delta : ndarray, shape (fan_out, batch)
    z_in : ndarray, shape (fan_in, batch)
    dW : ndarray, shape (fan_out, fan_in), overwritten
    db : ndarray, shape (fan_out,), overwritten
    """
    fan_out, fan_in = dW.shape
    batch = delta.shape[1]
    zero = dW.dtype.type(0.0)
    # Two k per pass over the delta row; the first pass also sums the row for the bias
    # and takes k = 0 alone when fan_in is odd.
    first = 1 if fan_in % 2 else min(2, fan_in)
    for i in range(fan_out):
        bias_total = zero
        if first == 0:
            for j in range(batch):
                bias_total += delta[i, j]
        elif first == 1:
            s0 = zero
            for j in range(batch):
                d = delta[i, j]
                bias_total += d
                s0 += d * z_in[0, j]
            dW[i, 0] = s0
        else:
            s0 = s1 = zero
            for j in range(batch):
                d = delta[i, j]
                bias_total += d
                s0 += d * z_in[0, j]
                s1 += d * z_in[1, j]
            dW[i, 0], dW[i, 1] = s0, s1
        db[i] = bias_total
        for k in range(first, fan_in, 2):
            s0 = s1 = zero
            for j in range(batch):
                d = delta[i, j]
                s0 += d * z_in[k, j]
                s1 += d * z_in[k + 1, j]
            dW[i, k], dW[i, k + 1] = s0, s1


@jit_blas
def blas_weight_gradient(delta, z_in, dW, db):
    """:func:`weight_gradient` with the product in BLAS."""
    np.dot(delta, z_in.T, dW)
    bias_gradient(delta, db)


@jit_blas
def blas_rows_weight_gradient(delta, rows, dW, db):
    """:func:`blas_weight_gradient` on input rows as they come, sample-major:
    ``dW = delta @ rows`` and ``db = delta.sum(axis=1)``, ``rows`` of shape
    ``(batch, fan_in)``: the first layer's weight gradient when its product reads the rows
    in place (:func:`blas_rows_forward`)."""
    np.dot(delta, rows, dW)
    bias_gradient(delta, db)


@jit_inline
def bias_gradient(delta, db):
    """``db = delta.sum(axis=1)``: ``nabla_b = delta^(l+1)`` summed over the batch."""
    zero = db.dtype.type(0.0)
    for i in range(delta.shape[0]):
        total = zero
        for j in range(delta.shape[1]):
            total += delta[i, j]
        db[i] = total


@jit_inline
def unchanged(value, z, ft):
    """The finish of a product that no activation's derivative follows: ``value``."""
    return value


@jit
def backpropagate(W, delta, delta_in):
    """``delta_in = W.T @ delta``, as loops: the first factor of
    ``delta^(l) = (W^T delta^(l+1)) * phi'``.

    Parameters
    ----------
    W : ndarray, shape (fan_out, fan_in)
    delta : ndarray, shape (fan_out, batch)
    delta_in : ndarray, shape (fan_in, batch), overwritten
    """
    backpropagate_rows(W, delta, delta_in, delta_in, unchanged)


@jit_inline
def backpropagate_rows(W, delta, z, delta_in, finish):
    """``delta_in[k, j] = finish(sum_i W[i, k] delta[i, j], z[k, j], ft)``, as loops, ``ft``
    being the arrays' float type.

    ``finish`` is applied in the pass that completes each sum, so that an activation's
    derivative (the ``*_backpropagate`` kernels of :mod:`.activations`) costs no pass of
    its own over ``delta_in``; :func:`unchanged` leaves the plain product.
    """
    fan_out, fan_in = W.shape
    batch = delta.shape[1]
    ft = delta_in.dtype.type
    # delta_in[k, :] = sum_i W[i, k] delta[i, :], four i per pass (as in affine_forward):
    # the first pass writes the row from the fan_out % 4 leftover i (four when none is
    # left over), the others add four i each; the last pass finishes the row.
    first = fan_out % 4 if fan_out % 4 else min(4, fan_out)
    last = fan_out - 4  # the first i of the last pass, when there are several
    for k in range(fan_in):
        if first == fan_out:  # a single pass
            if first == 1:
                w0 = W[0, k]
                for j in range(batch):
                    delta_in[k, j] = finish(w0 * delta[0, j], z[k, j], ft)
            elif first == 2:
                w0, w1 = W[0, k], W[1, k]
                for j in range(batch):
                    delta_in[k, j] = finish(w0 * delta[0, j] + w1 * delta[1, j], z[k, j], ft)
            elif first == 3:
                w0, w1, w2 = W[0, k], W[1, k], W[2, k]
                for j in range(batch):
                    delta_in[k, j] = finish((w0 * delta[0, j] + w1 * delta[1, j])
                                            + w2 * delta[2, j], z[k, j], ft)
            else:
                w0, w1, w2, w3 = W[0, k], W[1, k], W[2, k], W[3, k]
                for j in range(batch):
                    delta_in[k, j] = finish((w0 * delta[0, j] + w1 * delta[1, j])
                                            + (w2 * delta[2, j] + w3 * delta[3, j]),
                                            z[k, j], ft)
            continue
        if first == 1:
            w0 = W[0, k]
            for j in range(batch):
                delta_in[k, j] = w0 * delta[0, j]
        elif first == 2:
            w0, w1 = W[0, k], W[1, k]
            for j in range(batch):
                delta_in[k, j] = w0 * delta[0, j] + w1 * delta[1, j]
        elif first == 3:
            w0, w1, w2 = W[0, k], W[1, k], W[2, k]
            for j in range(batch):
                delta_in[k, j] = (w0 * delta[0, j] + w1 * delta[1, j]) + w2 * delta[2, j]
        else:
            w0, w1, w2, w3 = W[0, k], W[1, k], W[2, k], W[3, k]
            for j in range(batch):
                delta_in[k, j] = ((w0 * delta[0, j] + w1 * delta[1, j])
                                  + (w2 * delta[2, j] + w3 * delta[3, j]))
        for i in range(first, last, 4):
            w0, w1, w2, w3 = W[i, k], W[i + 1, k], W[i + 2, k], W[i + 3, k]
            for j in range(batch):
                delta_in[k, j] += ((w0 * delta[i, j] + w1 * delta[i + 1, j])
                                   + (w2 * delta[i + 2, j] + w3 * delta[i + 3, j]))
        w0, w1, w2, w3 = W[last, k], W[last + 1, k], W[last + 2, k], W[last + 3, k]
        for j in range(batch):
            delta_in[k, j] = finish(
                delta_in[k, j] + ((w0 * delta[last, j] + w1 * delta[last + 1, j])
                                  + (w2 * delta[last + 2, j] + w3 * delta[last + 3, j])),
                z[k, j], ft)


@jit_blas
def blas_backpropagate(W, delta, delta_in):
    """:func:`backpropagate` with the product in BLAS."""
    np.dot(W.T, delta, delta_in)
