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

from .._config import jit_inline, jit_wide
from . import activations, mathfn
from .views import as_vector

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


@jit_inline
def _clear(sample_loss, batch):
    zero = sample_loss.dtype.type(0.0)
    for j in range(batch):
        sample_loss[j] = zero


@jit_inline
def _total(sample_loss, batch):
    total = sample_loss.dtype.type(0.0)
    for j in range(batch):
        total += sample_loss[j]
    return total


# Each ``*_loss`` kernel below takes ``(z_tilde, y, delta, scratch)``:
#
# * ``z_tilde``: output pre-activations, shape ``(n_outputs, batch)`` (not modified);
# * ``y``: targets, same shape and dtype;
# * ``delta``: written with ``dL/dz_tilde`` per sample (not yet divided by the batch size);
# * ``scratch``: shape ``(4, batch)`` or wider; rows 0-2 are the heads' work space (the
#   softmax head's sums, the sigmoid head's exponentials), row 3 receives each sample's
#   loss (summed over the outputs), for callers that weight the samples;
#
# and returns the loss summed over the batch, in the arrays' dtype.


@jit_wide
def sigmoid_bce_loss(z_tilde, y, delta, scratch):
    """Binary cross-entropy of sigmoid outputs, ``max(z, 0) - y z + log1p(e^-|z|)``."""
    n_outputs, batch = z_tilde.shape
    zero = z_tilde.dtype.type(0.0)
    one = z_tilde.dtype.type(1.0)
    sample_loss = scratch[3]
    exps = scratch[0]
    _clear(sample_loss, batch)
    # Three passes over the batch rather than one loop doing it all: the same deltas, and
    # measured a sixth to a fifth faster on 350 samples (a Zen 3 core, both dtypes).
    for i in range(n_outputs):
        for j in range(batch):
            exps[j] = mathfn.exp(-abs(z_tilde[i, j]))
        for j in range(batch):
            e = exps[j]
            delta[i, j] = (one if z_tilde[i, j] >= zero else e) / (one + e) - y[i, j]
        for j in range(batch):
            z = z_tilde[i, j]
            sample_loss[j] += max(z, zero) - y[i, j] * z + mathfn.log1p_unit(exps[j])
    return _total(sample_loss, batch)


@jit_wide
def softmax_ce_loss(z_tilde, y, delta, scratch):
    """Cross-entropy of softmax outputs, ``logsumexp(z) sum_i y_i - sum_i y_i z_i``."""
    n_outputs, batch = z_tilde.shape
    zero = z_tilde.dtype.type(0.0)
    sample_loss = scratch[3]
    _clear(sample_loss, batch)
    column_max = scratch[0]
    column_sum = scratch[1]
    target_sum = scratch[2]
    for j in range(batch):
        column_max[j] = z_tilde[0, j]
        column_sum[j] = zero
        target_sum[j] = zero
    for i in range(1, n_outputs):
        for j in range(batch):
            column_max[j] = max(mathfn.opaque(column_max[j]), z_tilde[i, j])  # mathfn.opaque
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
    return _total(sample_loss, batch)


@jit_wide
def identity_se_loss(z_tilde, y, delta, scratch):
    """Squared error of identity outputs, ``1/2 ||z - y||^2``."""
    n_outputs, batch = z_tilde.shape
    half = z_tilde.dtype.type(0.5)
    sample_loss = scratch[3]
    _clear(sample_loss, batch)
    for i in range(n_outputs):
        for j in range(batch):
            difference = z_tilde[i, j] - y[i, j]
            sample_loss[j] += half * difference * difference
            delta[i, j] = difference
    return _total(sample_loss, batch)


@jit_wide
def tanh_se_loss(z_tilde, y, delta, scratch):
    """Squared error of tanh outputs, ``1/2 ||tanh(z) - y||^2``."""
    n_outputs, batch = z_tilde.shape
    one = z_tilde.dtype.type(1.0)
    half = z_tilde.dtype.type(0.5)
    sample_loss = scratch[3]
    _clear(sample_loss, batch)
    for i in range(n_outputs):
        for j in range(batch):
            y_hat = mathfn.tanh(z_tilde[i, j])
            difference = y_hat - y[i, j]
            sample_loss[j] += half * difference * difference
            delta[i, j] = difference * (one - y_hat * y_hat)
    return _total(sample_loss, batch)


@jit_wide
def exp_poisson_loss(z_tilde, y, delta, scratch):
    """Half the Poisson deviance of exp outputs, ``y log y - y z - y + e^z``."""
    n_outputs, batch = z_tilde.shape
    zero = z_tilde.dtype.type(0.0)
    sample_loss = scratch[3]
    _clear(sample_loss, batch)
    # libm's exp and log (not mathfn's inlined polynomials): they compile in a fraction of
    # the time, for a head only regression on counts uses.
    for i in range(n_outputs):
        for j in range(batch):
            target = y[i, j]
            y_hat = np.exp(z_tilde[i, j])
            own = target * np.log(target) if target > zero else zero
            sample_loss[j] += own - target * z_tilde[i, j] - target + y_hat
            delta[i, j] = y_hat - target
    return _total(sample_loss, batch)


# Each ``*_output`` kernel turns output pre-activations ``z`` (``(n_outputs, batch)``) into
# outputs in place, ``z <- y_hat``; ``scratch`` (``(3, batch)`` or wider) is the softmax
# head's work space.


@jit_wide
def sigmoid_output(z, scratch):
    """``y_hat = 1 / (1 + e^-z)`` per output: the hidden layers' sigmoid."""
    activations.sigmoid(z)


@jit_wide
def softmax_output(z, scratch):
    """``y_hat_i = e^z_i / sum_m e^z_m`` per column, shifted by the column maximum."""
    n_outputs, batch = z.shape
    column_max = scratch[0]
    column_sum = scratch[1]
    for j in range(batch):
        column_max[j] = z[0, j]
        column_sum[j] = z.dtype.type(0.0)
    for i in range(1, n_outputs):
        for j in range(batch):
            column_max[j] = max(mathfn.opaque(column_max[j]), z[i, j])  # mathfn.opaque
    for i in range(n_outputs):
        for j in range(batch):
            z[i, j] = mathfn.exp(z[i, j] - column_max[j])
            column_sum[j] += z[i, j]
    for i in range(n_outputs):
        for j in range(batch):
            z[i, j] = z[i, j] / column_sum[j]


@jit_wide
def tanh_output(z, scratch):
    """``y_hat = tanh(z)`` per output: the hidden layers' tanh."""
    activations.tanh(z)


@jit_wide
def exp_output(z, scratch):
    """``y_hat = e^z`` per output (libm's, as in :func:`exp_poisson_loss`)."""
    flat = as_vector(z)
    for i in range(flat.size):
        flat[i] = np.exp(flat[i])


#: Code -> ``(loss and delta, output)``. The identity head has no output step (its
#: outputs are the pre-activations).
STEPS = {
    SIGMOID_BCE: (sigmoid_bce_loss, sigmoid_output),
    SOFTMAX_CE: (softmax_ce_loss, softmax_output),
    IDENTITY_SE: (identity_se_loss, None),
    TANH_SE: (tanh_se_loss, tanh_output),
    EXP_POISSON: (exp_poisson_loss, exp_output),
}
