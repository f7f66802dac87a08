"""Networks, data and targets shared by the tests."""

import numpy as np

import fastmlp

ACTIVATIONS = ("linear", "tanh", "relu", "sigmoid", "leaky_relu")
HEADS = (
    ("binary_cross_entropy", "sigmoid"),
    ("cross_entropy", "softmax"),
    ("squared_error", "identity"),
    ("squared_error", "tanh"),
    ("poisson", "exp"),
)
DTYPES = ("float64", "float32")
# Relative tolerance of a comparison with the float64 reference, per dtype.
RTOL = {"float64": 1e-10, "float32": 2e-4}



def make_targets(loss, output, n_samples, n_outputs, rng):
    """Targets the head accepts, as the (n_samples, n_outputs) float64 matrix."""
    if loss == "cross_entropy":
        return np.eye(n_outputs)[rng.integers(0, n_outputs, n_samples)]
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, (n_samples, n_outputs)).astype(float)
    if loss == "poisson":
        return rng.poisson(1.5, (n_samples, n_outputs)).astype(float)  # counts, zeros too
    if output == "tanh":
        return rng.uniform(-1, 1, (n_samples, n_outputs))
    return rng.normal(size=(n_samples, n_outputs))


def make_problem(sizes, activation, head, dtype, rng, n_samples=37, init="glorot"):
    """A network with random (non-zero) biases, data and valid targets."""
    loss, output = head
    net = fastmlp.MLP(sizes, activation=activation, loss=loss, output=output, init=init,
                      dtype=dtype, seed=int(rng.integers(1 << 30)))
    for b in net.biases:
        b[...] = rng.normal(scale=0.3, size=b.shape)
    X = rng.normal(size=(n_samples, sizes[0]))
    Y = make_targets(loss, output, n_samples, sizes[-1], rng)
    return net, X, Y


def parameters_float64(net):
    return [W.astype(np.float64) for W in net.weights], [b.astype(np.float64) for b in net.biases]
