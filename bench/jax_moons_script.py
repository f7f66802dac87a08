"""JAX's counterpart of ``fastmlp demo``: the two-moons experiment as a JAX user writes it.

    python bench/jax_moons_script.py OUT.png

The demo's job (2-10-1 tanh network, sigmoid output, binary cross-entropy, standard-normal
initial weights and zero biases, full-batch gradient descent at learning rate 0.5, 1000
epochs, float64) on ``make_moons(500, noise=0.2)`` split 70/30: the whole run is one
``jax.jit`` function, a ``lax.fori_loop`` over the epochs whose body takes ``jax.grad``
of the loss. Prints the test accuracy and XLA's compile time, and saves the same two
panels as the demo with ``bench/sklearn_moons_script.py``'s drawing. ``bench/first_run.py``
times this process beside the demo's.
"""

import sys
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402  (after the float64 switch)
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402
from sklearn.datasets import make_moons  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn_moons_script import plot  # noqa: E402

EPOCHS, LEARNING_RATE = 1000, 0.5


def forward(params, X):
    """Output pre-activations, shape (n,), of the 2-10-1 tanh network."""
    W1, b1, W2, b2 = params
    return (jnp.tanh(X @ W1.T + b1) @ W2.T + b2)[:, 0]


def loss(params, X, y):
    """Mean binary cross-entropy of sigmoid outputs, from the pre-activations."""
    z = forward(params, X)
    return jnp.mean(jnp.logaddexp(0.0, z) - y * z)


@jax.jit
def train(params, X, y):
    """Full-batch gradient descent; returns the parameters and each epoch's loss."""
    def epoch(index, state):
        params, history = state
        value, grads = jax.value_and_grad(loss)(params, X, y)
        params = jax.tree_util.tree_map(lambda p, g: p - LEARNING_RATE * g, params, grads)
        return params, history.at[index].set(value)

    return lax.fori_loop(0, EPOCHS, epoch, (params, jnp.zeros(EPOCHS)))


class Fitted:
    """The trained network with what ``plot`` reads: ``predict_proba`` and ``loss_curve_``."""

    def __init__(self, params, history):
        self.params, self.loss_curve_ = params, list(np.asarray(history))

    def predict_proba(self, X):
        probability = np.asarray(jax.nn.sigmoid(forward(self.params, jnp.asarray(X))))
        return np.column_stack([1 - probability, probability])


def main(argv):
    """Train, print the test accuracy and XLA's compile time, save the figure to ``argv[1]``."""
    if len(argv) != 2:
        sys.exit(f"usage: python {argv[0]} OUT.png")
    X, y = make_moons(500, noise=0.2, random_state=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=42)
    rng = np.random.default_rng(0)
    params = (jnp.asarray(rng.standard_normal((10, 2))), jnp.zeros(10),
              jnp.asarray(rng.standard_normal((1, 10))), jnp.zeros(1))
    arguments = (params, jnp.asarray(X_train), jnp.asarray(y_train, dtype=jnp.float64))
    start = time.perf_counter()
    compiled = train.lower(*arguments).compile()
    compile_seconds = time.perf_counter() - start
    params, history = compiled(*arguments)
    model = Fitted(params, history)
    accuracy = float(np.mean((model.predict_proba(X_test)[:, 1] >= 0.5) == y_test))
    print(f"test accuracy {accuracy:.1%}  (XLA compiled the training in {compile_seconds:.2f} s)")
    plot(model, X_test, y_test, accuracy, argv[1])
    print(f"saved {argv[1]}")


if __name__ == "__main__":
    main(sys.argv)
