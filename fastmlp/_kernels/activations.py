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

from .._config import jit_wide
from . import mathfn
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


@jit_wide
def tanh_derivative(z, delta):
    """``delta <- delta * (1 - z^2)``: tanh' from its output ``z``."""
    z_flat, delta_flat = as_vector(z), as_vector(delta)
    one = z_flat.dtype.type(1.0)
    for i in range(z_flat.size):
        delta_flat[i] *= one - z_flat[i] * z_flat[i]


@jit_wide
def relu(z):
    """``z <- max(z, 0)`` in place."""
    flat = as_vector(z)
    zero = flat.dtype.type(0.0)
    for i in range(flat.size):
        flat[i] = max(mathfn.opaque(flat[i]), zero)  # a plain store: see mathfn.opaque


@jit_wide
def relu_derivative(z, delta):
    """``delta <- delta * [z > 0]``: ReLU' from its output (``phi'(0) = 0``)."""
    z_flat, delta_flat = as_vector(z), as_vector(delta)
    zero = z_flat.dtype.type(0.0)
    for i in range(z_flat.size):
        kept = mathfn.opaque(delta_flat[i])  # stored by a plain store: see mathfn.opaque
        delta_flat[i] = kept if z_flat[i] > zero else zero


@jit_wide
def sigmoid(z):
    """``z <- 1 / (1 + e^-z)`` in place."""
    flat = as_vector(z)
    for i in range(flat.size):
        flat[i] = mathfn.sigmoid(flat[i])


@jit_wide
def sigmoid_derivative(z, delta):
    """``delta <- delta * z (1 - z)``: the sigmoid's derivative from its output."""
    z_flat, delta_flat = as_vector(z), as_vector(delta)
    one = z_flat.dtype.type(1.0)
    for i in range(z_flat.size):
        delta_flat[i] *= z_flat[i] * (one - z_flat[i])


@jit_wide
def leaky_relu(z):
    """``z <- z if z > 0 else a z`` in place (``a`` = :data:`LEAKY_SLOPE`)."""
    flat = as_vector(z)
    zero = flat.dtype.type(0.0)
    slope = flat.dtype.type(LEAKY_SLOPE)
    for i in range(flat.size):
        value = mathfn.opaque(flat[i])  # a plain store: see mathfn.opaque
        flat[i] = value if value > zero else slope * value


@jit_wide
def leaky_relu_derivative(z, delta):
    """``delta <- delta * (1 if z > 0 else a)``."""
    z_flat, delta_flat = as_vector(z), as_vector(delta)
    one = z_flat.dtype.type(1.0)
    zero = z_flat.dtype.type(0.0)
    slope = z_flat.dtype.type(LEAKY_SLOPE)
    for i in range(z_flat.size):
        delta_flat[i] *= one if z_flat[i] > zero else slope


#: Code -> ``(forward map, derivative)``: each applied in place to a ``(width, batch)``
#: array; the derivative multiplies ``delta`` (``W^T delta_next`` on entry) by
#: ``phi'(z_tilde)`` written in terms of the forward output ``z``. ``LINEAR`` has neither
#: (both are the identity), so a linear layer costs nothing.
STEPS = {
    LINEAR: (None, None),
    TANH: (tanh, tanh_derivative),
    RELU: (relu, relu_derivative),
    SIGMOID: (sigmoid, sigmoid_derivative),
    LEAKY_RELU: (leaky_relu, leaky_relu_derivative),
}
