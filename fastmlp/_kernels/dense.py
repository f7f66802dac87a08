"""One dense layer: the affine map forward, the weight gradient and the delta backward.

Shapes follow the math: ``W`` is ``(fan_out, fan_in)``, activations and deltas are
feature-major ``(width, batch)``. Small products (the networks of the two-moons experiment and
the Playground) run as loops whose innermost index walks the contiguous batch axis, which
LLVM vectorises; products with at least :data:`BLAS_MIN_WORK` multiply-adds go to BLAS
through ``np.dot`` (SciPy's), which wins once the matrices no longer fit in registers.
"""

import numpy as np

from .._config import jit, jit_inline

#: Multiply-adds (fan_out * fan_in * batch) from which a product is handed to BLAS.
BLAS_MIN_WORK = 1 << 16
#: A threshold no product reaches: every product runs as the loops here.
NO_BLAS = 1 << 62

@jit
def affine_forward(W, b, z_in, z_tilde_out, blas_min_work):
    """``z_tilde_out = W @ z_in + b[:, None]``.

    Parameters
    ----------
    W : ndarray, shape (fan_out, fan_in)
    b : ndarray, shape (fan_out,)
    z_in : ndarray, shape (fan_in, batch)
        Activations of the layer below.
    z_tilde_out : ndarray, shape (fan_out, batch)
        Overwritten with the pre-activations.
    blas_min_work : int
        Multiply-adds from which the product goes to BLAS (:data:`BLAS_MIN_WORK`, or
        :data:`NO_BLAS` to keep every product in the loops here).
    """
    fan_out, fan_in = W.shape
    batch = z_in.shape[1]
    if fan_out * fan_in * batch >= blas_min_work:
        np.dot(W, z_in, z_tilde_out)
        for i in range(fan_out):
            for j in range(batch):
                z_tilde_out[i, j] += b[i]
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
def weight_gradient(delta, z_in, dW, db, blas_min_work):
    """``dW = delta @ z_in.T`` and ``db = delta.sum(axis=1)``.

    This is ``nabla_W = delta^(l+1) z^(l)T`` and ``nabla_b = delta^(l+1)`` summed over the
    batch; with the output delta already divided by the batch size (as
    :func:`~.network.batch_loss_and_gradient` does), these are the batch means.

    Parameters
    ----------
    delta : ndarray, shape (fan_out, batch)
    z_in : ndarray, shape (fan_in, batch)
    dW : ndarray, shape (fan_out, fan_in), overwritten
    db : ndarray, shape (fan_out,), overwritten
    blas_min_work : int
        As in :func:`affine_forward`.
    """
    fan_out, fan_in = dW.shape
    batch = delta.shape[1]
    zero = dW.dtype.type(0.0)
    if fan_out * fan_in * batch >= blas_min_work:
        np.dot(delta, z_in.T, dW)
    else:
        for i in range(fan_out):
            for k in range(fan_in):
                total = zero
                for j in range(batch):
                    total += delta[i, j] * z_in[k, j]
                dW[i, k] = total
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
def backpropagate(W, delta, delta_in, blas_min_work):
    """``delta_in = W.T @ delta``: the first factor of ``delta^(l) = (W^T delta^(l+1)) * phi'``.

    Parameters
    ----------
    W : ndarray, shape (fan_out, fan_in)
    delta : ndarray, shape (fan_out, batch)
    delta_in : ndarray, shape (fan_in, batch), overwritten
    blas_min_work : int
        As in :func:`affine_forward`.
    """
    fan_out, fan_in = W.shape
    batch = delta.shape[1]
    if fan_out * fan_in * batch >= blas_min_work:
        np.dot(W.T, delta, delta_in)
        return
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
