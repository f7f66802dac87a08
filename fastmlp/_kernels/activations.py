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

from .._config import jit
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


@jit
def activate(code, z):
    """Apply the activation ``code`` in place: ``z <- phi(z)``.

    Parameters
    ----------
    code : int
        One of the codes in :data:`ACTIVATION_CODES`.
    z : ndarray, shape (width, batch), float32 or float64, C-contiguous
        Pre-activations on entry, activations on return.
    """
    flat = as_vector(z)
    zero = flat.dtype.type(0.0)
    slope = flat.dtype.type(LEAKY_SLOPE)
    if code == TANH:
        for i in range(flat.size):
            flat[i] = mathfn.tanh(flat[i])
    elif code == RELU:
        for i in range(flat.size):
            flat[i] = max(flat[i], zero)
    elif code == SIGMOID:
        for i in range(flat.size):
            flat[i] = mathfn.sigmoid(flat[i])
    elif code == LEAKY_RELU:
        for i in range(flat.size):
            value = flat[i]
            flat[i] = value if value > zero else slope * value


@jit
def multiply_by_derivative(code, z, delta):
    """``delta <- delta * phi'(z_tilde)``, with ``phi'`` written in terms of ``z``.

    Parameters
    ----------
    code : int
        One of the codes in :data:`ACTIVATION_CODES`.
    z : ndarray, shape (width, batch)
        The activations that :func:`activate` produced in the forward pass.
    delta : ndarray, same shape and dtype as ``z``
        ``W^T delta_next`` on entry, the layer's delta on return (modified in place).
    """
    z_flat = as_vector(z)
    delta_flat = as_vector(delta)
    one = z_flat.dtype.type(1.0)
    zero = z_flat.dtype.type(0.0)
    slope = z_flat.dtype.type(LEAKY_SLOPE)
    if code == TANH:
        for i in range(z_flat.size):
            delta_flat[i] *= one - z_flat[i] * z_flat[i]
    elif code == RELU:
        for i in range(z_flat.size):
            delta_flat[i] = delta_flat[i] if z_flat[i] > zero else zero
    elif code == SIGMOID:
        for i in range(z_flat.size):
            delta_flat[i] *= z_flat[i] * (one - z_flat[i])
    elif code == LEAKY_RELU:
        for i in range(z_flat.size):
            delta_flat[i] *= one if z_flat[i] > zero else slope
