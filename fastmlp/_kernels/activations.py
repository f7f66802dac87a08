"""Hidden-layer activations: the forward map and the derivative, side by side.

Activations of a layer are stored feature-major, ``z`` of shape ``(width, batch)``:
column ``j`` is the activation vector of sample ``j``, as in the math's column vectors,
so every loop below runs along the long, contiguous batch axis and vectorises.

Each derivative is written in terms of the forward *output* ``z = phi(z_tilde)``, so the
backward pass needs no pre-activations (exact for every activation here):

============  ===========================  ===========================================
code          phi(z_tilde)                 phi'(z_tilde) from z
============  ===========================  ===========================================
LINEAR        z_tilde                      1
TANH          tanh(z_tilde)                1 - z^2
RELU          max(z_tilde, 0)              1 if z > 0 else 0 (so phi'(0) = 0)
SIGMOID       1 / (1 + e^-z_tilde)         z (1 - z)
LEAKY_RELU    z_tilde if > 0 else a z      1 if z > 0 else a  (a = LEAKY_SLOPE)
============  ===========================  ===========================================

Derivations: docs page "Derivations", sections on the recursion, ReLU and tanh.
"""

from .._config import jit, jit_inline, jit_variant, jit_wide
from . import dense, mathfn
from .views import as_vector

LINEAR, TANH, RELU, SIGMOID, LEAKY_RELU = 0, 1, 2, 3, 4

#: Public names of the hidden activations and their kernel codes.
ACTIVATION_CODES = {
    "linear": LINEAR,
    "tanh": TANH,
    "relu": RELU,
    "sigmoid": SIGMOID,
    "leaky_relu": LEAKY_RELU,
}

#: Negative-side slope of leaky ReLU (PyTorch's default).
LEAKY_SLOPE = 0.01


@jit_wide
def tanh(z):
    """``z <- tanh(z)`` in place (``z`` of shape ``(width, batch)``, C-contiguous)."""
    flat = as_vector(z)
    for i in range(flat.size):
        flat[i] = mathfn.tanh(flat[i])


@jit_inline
def tanh_times_derivative(delta, z, ft):
    """``delta * (1 - z^2)``: times tanh' from its output ``z`` (``ft``: the float type)."""
    return delta * (ft(1.0) - z * z)


@jit_wide
def tanh_derivative(z, delta):
    """``delta <- delta * (1 - z^2)``: tanh' from its output ``z``."""
    z_flat, delta_flat = as_vector(z), as_vector(delta)
    ft = z_flat.dtype.type
    for i in range(z_flat.size):
        delta_flat[i] = tanh_times_derivative(delta_flat[i], z_flat[i], ft)


@jit_wide
def relu(z):
    """``z <- max(z, 0)`` in place."""
    flat = as_vector(z)
    zero = flat.dtype.type(0.0)
    for i in range(flat.size):
        flat[i] = max(mathfn.opaque(flat[i]), zero)  # a plain store: see mathfn.opaque


@jit_inline
def relu_times_derivative(delta, z, ft):
    """``delta * [z > 0]`` (``phi'(0) = 0``), as a choice: 0 even for an infinite delta."""
    zero = ft(0.0)
    return delta if z > zero else zero


@jit_wide
def relu_derivative(z, delta):
    """``delta <- delta * [z > 0]``: ReLU' from its output (``phi'(0) = 0``)."""
    z_flat, delta_flat = as_vector(z), as_vector(delta)
    ft = z_flat.dtype.type
    for i in range(z_flat.size):
        kept = mathfn.opaque(delta_flat[i])  # stored by a plain store: see mathfn.opaque
        delta_flat[i] = relu_times_derivative(kept, z_flat[i], ft)


@jit_wide
def sigmoid(z):
    """``z <- 1 / (1 + e^-z)`` in place."""
    flat = as_vector(z)
    for i in range(flat.size):
        flat[i] = mathfn.sigmoid(flat[i])


@jit_inline
def sigmoid_times_derivative(delta, z, ft):
    """``delta * z (1 - z)``: times the sigmoid's derivative from its output."""
    return delta * (z * (ft(1.0) - z))


@jit_wide
def sigmoid_derivative(z, delta):
    """``delta <- delta * z (1 - z)``: the sigmoid's derivative from its output."""
    z_flat, delta_flat = as_vector(z), as_vector(delta)
    ft = z_flat.dtype.type
    for i in range(z_flat.size):
        delta_flat[i] = sigmoid_times_derivative(delta_flat[i], z_flat[i], ft)


@jit_wide
def leaky_relu(z):
    """``z <- z if z > 0 else a z`` in place (``a`` = :data:`LEAKY_SLOPE`)."""
    flat = as_vector(z)
    zero = flat.dtype.type(0.0)
    slope = flat.dtype.type(LEAKY_SLOPE)
    for i in range(flat.size):
        value = mathfn.opaque(flat[i])  # a plain store: see mathfn.opaque
        flat[i] = value if value > zero else slope * value


@jit_inline
def leaky_relu_times_derivative(delta, z, ft):
    """``delta * (1 if z > 0 else a)``."""
    return delta * (ft(1.0) if z > ft(0.0) else ft(LEAKY_SLOPE))


@jit_wide
def leaky_relu_derivative(z, delta):
    """``delta <- delta * (1 if z > 0 else a)``."""
    z_flat, delta_flat = as_vector(z), as_vector(delta)
    ft = z_flat.dtype.type
    for i in range(z_flat.size):
        delta_flat[i] = leaky_relu_times_derivative(delta_flat[i], z_flat[i], ft)


# The product W^T delta and the derivative in one kernel (the derivative applied in the
# product's last pass over each row, dense.backpropagate_rows): a pass over the hidden
# layer's deltas fewer. Taken when the product runs as loops and the layer has no dropout;
# otherwise dense.backpropagate (or its BLAS form) is followed by the derivative above.
_times_derivative = dense.unchanged  # swapped per activation in the copies below


@jit
def linear_backpropagate(W, delta, z, delta_in):
    """``delta_in = (W^T delta) * phi'`` with ``phi'`` from the layer's output ``z``, as
    loops; for a linear layer the plain product (``z`` unread). The other activations'
    kernels are copies of this one (:func:`fastmlp._config.jit_variant`)."""
    dense.backpropagate_rows(W, delta, z, delta_in, _times_derivative)


tanh_backpropagate = jit_variant(linear_backpropagate, "tanh_backpropagate",
                                 _times_derivative=tanh_times_derivative)
relu_backpropagate = jit_variant(linear_backpropagate, "relu_backpropagate",
                                 _times_derivative=relu_times_derivative)
sigmoid_backpropagate = jit_variant(linear_backpropagate, "sigmoid_backpropagate",
                                    _times_derivative=sigmoid_times_derivative)
leaky_relu_backpropagate = jit_variant(linear_backpropagate, "leaky_relu_backpropagate",
                                       _times_derivative=leaky_relu_times_derivative)


#: Code -> ``(forward map, derivative, backpropagation through it)``: the forward map and
#: the derivative are each applied in place to a ``(width, batch)`` array; the derivative
#: multiplies ``delta`` (``W^T delta_next`` on entry) by ``phi'(z_tilde)`` written in
#: terms of the forward output ``z``; the third computes ``delta = (W^T delta_next) *
#: phi'`` from ``W``, ``delta_next`` and ``z`` as loops. ``LINEAR`` has neither of the
#: first two (both are the identity, so a linear layer costs nothing) and backpropagates
#: by the plain product.
STEPS = {
    LINEAR: (None, None, linear_backpropagate),
    TANH: (tanh, tanh_derivative, tanh_backpropagate),
    RELU: (relu, relu_derivative, relu_backpropagate),
    SIGMOID: (sigmoid, sigmoid_derivative, sigmoid_backpropagate),
    LEAKY_RELU: (leaky_relu, leaky_relu_derivative, leaky_relu_backpropagate),
}
