"""Output heads: an output activation paired with the loss that makes its delta simple.

With the canonical pairings below, the gradient of the loss with respect to the output
pre-activation ``z_tilde`` needs no Jacobian: for all but ``TANH_SE`` it is ``y_hat - y``.
Any other pairing is refused by the Python layer (:data:`HEAD_CODES`), so the kernels
never compute a delta that does not belong to their loss.

============  ==========================  ================================  =======================
code          output y_hat                loss per sample                   delta = dL/dz_tilde
============  ==========================  ================================  =======================
SIGMOID_BCE   1 / (1 + e^-z) per output   -sum y log y_hat                  y_hat - y
                                          + (1 - y) log(1 - y_hat)
SOFTMAX_CE    e^z_i / sum_m e^z_m         -sum_i y_i log y_hat_i            (sum_i y_i) y_hat - y
IDENTITY_SE   z                           1/2 ||y_hat - y||^2               y_hat - y
TANH_SE       tanh(z)                     1/2 ||y_hat - y||^2               (y_hat - y)(1 - y_hat^2)
EXP_POISSON   e^z per output              sum y log(y / y_hat) - y + y_hat  y_hat - y
============  ==========================  ================================  =======================

The Poisson loss is half the Poisson deviance (the log link's canonical loss, as in
scikit-learn's ``MLPRegressor(loss="poisson")``); its term ``y log y`` (0 where ``y = 0``)
does not depend on the weights and only makes a perfect fit score 0.

For one-hot (or any probability-vector) targets ``sum_i y_i = 1`` and the softmax delta
is the familiar ``y_hat - y``; the general form keeps the gradient exact for any target.

The losses are computed from ``z_tilde`` in a form that cannot overflow:
``BCE = max(z, 0) - y z + log1p(e^-|z|)``, ``CE = logsumexp(z) sum_i y_i - sum_i y_i z_i``
(log-sum-exp shifted by the column maximum) and ``Poisson = y log y - y z - y + e^z``.

Arrays are feature-major, shape ``(n_outputs, batch)``, and C-contiguous. Derivations: docs page
"Derivations" (softmax + cross-entropy, sigmoid + binary cross-entropy).
"""

import numpy as np

from .._config import jit
from . import mathfn

SIGMOID_BCE, SOFTMAX_CE, IDENTITY_SE, TANH_SE, EXP_POISSON = 0, 1, 2, 3, 4

#: (loss name, output name) -> kernel code: the only pairings fastmlp accepts.
HEAD_CODES = {
    ("binary_cross_entropy", "sigmoid"): SIGMOID_BCE,
    ("cross_entropy", "softmax"): SOFTMAX_CE,
    ("squared_error", "identity"): IDENTITY_SE,
    ("squared_error", "tanh"): TANH_SE,
    ("poisson", "exp"): EXP_POISSON,
}

#: The output activation used when ``output=None``.
CANONICAL_OUTPUT = {
    "binary_cross_entropy": "sigmoid",
    "cross_entropy": "softmax",
    "squared_error": "identity",
    "poisson": "exp",
}


@jit
def loss_and_delta(code, z_tilde, y, delta, scratch):
    """Summed loss over the batch, each sample's loss, and the output delta.

    Parameters
    ----------
    code : int
        One of the codes in :data:`HEAD_CODES`.
    z_tilde : ndarray, shape (n_outputs, batch)
        Output pre-activations (not modified).
    y : ndarray, shape (n_outputs, batch)
        Targets, same dtype.
    delta : ndarray, shape (n_outputs, batch)
        Written with ``dL/dz_tilde`` per sample (not yet divided by the batch size).
    scratch : ndarray, shape (4, batch) or larger in the second axis
        Rows 0-2: work space for the softmax head. Row 3 receives each sample's loss
        (summed over the outputs), for callers that weight the samples.

    Returns
    -------
    float
        ``sum over the batch of the per-sample loss``, in the arrays' dtype.
    """
    n_outputs, batch = z_tilde.shape
    zero = z_tilde.dtype.type(0.0)
    one = z_tilde.dtype.type(1.0)
    half = z_tilde.dtype.type(0.5)
    sample_loss = scratch[3]
    for j in range(batch):
        sample_loss[j] = zero
    if code == SIGMOID_BCE:
        for i in range(n_outputs):
            for j in range(batch):
                z = z_tilde[i, j]
                e = mathfn.exp(-abs(z))
                y_hat = (one if z >= zero else e) / (one + e)
                sample_loss[j] += max(z, zero) - y[i, j] * z + mathfn.log1p(e)
                delta[i, j] = y_hat - y[i, j]
    elif code == SOFTMAX_CE:
        column_max = scratch[0]
        column_sum = scratch[1]
        target_sum = scratch[2]
        for j in range(batch):
            column_max[j] = z_tilde[0, j]
            column_sum[j] = zero
            target_sum[j] = zero
        for i in range(1, n_outputs):
            for j in range(batch):
                column_max[j] = max(column_max[j], z_tilde[i, j])
        for i in range(n_outputs):
            for j in range(batch):
                e = mathfn.exp(z_tilde[i, j] - column_max[j])
                delta[i, j] = e
                column_sum[j] += e
                target_sum[j] += y[i, j]
                sample_loss[j] -= y[i, j] * z_tilde[i, j]
        for j in range(batch):
            log_sum_exp = mathfn.log(column_sum[j]) + column_max[j]
            sample_loss[j] += log_sum_exp * target_sum[j]
            column_sum[j] = target_sum[j] / column_sum[j]
        for i in range(n_outputs):
            for j in range(batch):
                delta[i, j] = delta[i, j] * column_sum[j] - y[i, j]
    elif code == IDENTITY_SE:
        for i in range(n_outputs):
            for j in range(batch):
                difference = z_tilde[i, j] - y[i, j]
                sample_loss[j] += half * difference * difference
                delta[i, j] = difference
    elif code == TANH_SE:
        for i in range(n_outputs):
            for j in range(batch):
                y_hat = mathfn.tanh(z_tilde[i, j])
                difference = y_hat - y[i, j]
                sample_loss[j] += half * difference * difference
                delta[i, j] = difference * (one - y_hat * y_hat)
    elif code == EXP_POISSON:
        # libm's exp and log (not mathfn's inlined polynomials): they compile in a
        # fraction of the time, for a head only regression on counts uses.
        for i in range(n_outputs):
            for j in range(batch):
                target = y[i, j]
                y_hat = np.exp(z_tilde[i, j])
                own = target * np.log(target) if target > zero else zero
                sample_loss[j] += own - target * z_tilde[i, j] - target + y_hat
                delta[i, j] = y_hat - target
    total = zero
    for j in range(batch):
        total += sample_loss[j]
    return total


@jit
def apply_output(code, z, scratch):
    """Turn output pre-activations into outputs in place: ``z <- y_hat``.

    Parameters
    ----------
    code : int
        One of the codes in :data:`HEAD_CODES`.
    z : ndarray, shape (n_outputs, batch)
        Pre-activations on entry, outputs on return.
    scratch : ndarray, shape (3, batch) or larger in the second axis
        Work space for the softmax head.
    """
    n_outputs, batch = z.shape
    if code == SIGMOID_BCE:
        for i in range(n_outputs):
            for j in range(batch):
                z[i, j] = mathfn.sigmoid(z[i, j])
    elif code == TANH_SE:
        for i in range(n_outputs):
            for j in range(batch):
                z[i, j] = mathfn.tanh(z[i, j])
    elif code == EXP_POISSON:
        for i in range(n_outputs):
            for j in range(batch):
                z[i, j] = np.exp(z[i, j])
    elif code == SOFTMAX_CE:
        column_max = scratch[0]
        column_sum = scratch[1]
        for j in range(batch):
            column_max[j] = z[0, j]
            column_sum[j] = z.dtype.type(0.0)
        for i in range(1, n_outputs):
            for j in range(batch):
                column_max[j] = max(column_max[j], z[i, j])
        for i in range(n_outputs):
            for j in range(batch):
                z[i, j] = mathfn.exp(z[i, j] - column_max[j])
                column_sum[j] += z[i, j]
        for i in range(n_outputs):
            for j in range(batch):
                z[i, j] = z[i, j] / column_sum[j]
