"""One dense layer: the affine map forward, the weight gradient and the delta backward.

Shapes follow the math: ``W`` is ``(fan_out, fan_in)``, activations and deltas are
feature-major ``(width, batch)``. Each product comes in two forms with one signature, so
that a loop can call either (:mod:`.calls`): as loops whose innermost index walks the
contiguous batch axis, which LLVM vectorises (the networks of the two-moons experiment and
the Playground), and in BLAS through ``np.dot`` (SciPy's), which wins once the matrices no
longer fit in registers: products of at least :data:`BLAS_MIN_WORK` multiply-adds. A
network whose products never reach that size never compiles the BLAS forms.
"""

import numpy as np

from .._config import jit, jit_inline
from .views import as_vector

#: Multiply-adds (fan_out * fan_in * batch) from which a product is handed to BLAS.
BLAS_MIN_WORK = 1 << 16
#: A threshold no product reaches: every product runs as the loops here.
NO_BLAS = 1 << 62

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
    for i in range(fan_out):
        for j in range(batch):
            z_tilde_out[i, j] = b[i]
        # z_tilde_out[i, :] += W[i, k] * z_in[k, :] for every k, four k per pass over the
        # row: a quarter of the loads and stores of the output row.
        unrolled = fan_in - fan_in % 4
        for k in range(0, unrolled, 4):
            w0, w1, w2, w3 = W[i, k], W[i, k + 1], W[i, k + 2], W[i, k + 3]
            for j in range(batch):
                z_tilde_out[i, j] += ((w0 * z_in[k, j] + w1 * z_in[k + 1, j])
                                      + (w2 * z_in[k + 2, j] + w3 * z_in[k + 3, j]))
        for k in range(unrolled, fan_in):
            weight = W[i, k]
            for j in range(batch):
                z_tilde_out[i, j] += weight * z_in[k, j]


@jit
def blas_affine_forward(W, b, z_in, z_tilde_out):
    """:func:`affine_forward` with the product in BLAS."""
    np.dot(W, z_in, z_tilde_out)
    for i in range(W.shape[0]):
        for j in range(z_in.shape[1]):
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
    for i in range(fan_out):
        for k in range(fan_in):
            total = zero
            for j in range(batch):
                total += delta[i, j] * z_in[k, j]
            dW[i, k] = total
    bias_gradient(delta, db)


@jit
def blas_weight_gradient(delta, z_in, dW, db):
    """:func:`weight_gradient` with the product in BLAS."""
    np.dot(delta, z_in.T, dW)
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
    fan_out, fan_in = W.shape
    batch = delta.shape[1]
    zero = W.dtype.type(0.0)
    for k in range(fan_in):
        for j in range(batch):
            delta_in[k, j] = zero
        # delta_in[k, :] += W[i, k] * delta[i, :] for every i, four i per pass (as in
        # affine_forward).
        unrolled = fan_out - fan_out % 4
        for i in range(0, unrolled, 4):
            w0, w1, w2, w3 = W[i, k], W[i + 1, k], W[i + 2, k], W[i + 3, k]
            for j in range(batch):
                delta_in[k, j] += ((w0 * delta[i, j] + w1 * delta[i + 1, j])
                                   + (w2 * delta[i + 2, j] + w3 * delta[i + 3, j]))
        for i in range(unrolled, fan_out):
            weight = W[i, k]
            for j in range(batch):
                delta_in[k, j] += weight * delta[i, j]


@jit
def blas_backpropagate(W, delta, delta_in):
    """:func:`backpropagate` with the product in BLAS."""
    np.dot(W.T, delta, delta_in)
