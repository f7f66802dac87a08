"""JAX (XLA on the CPU), the compiling peer: a training run written as a JAX user writes it.

The whole run is one ``jax.jit`` function: ``lax.fori_loop`` over the epochs, ``lax.scan``
over an epoch's mini-batches (a last, shorter batch is one more step after the scan, since
a scan needs one shape), ``jax.value_and_grad`` of the batch loss, and the update written
out: plain gradient descent, or Adam as scikit-learn defines it (step
``lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)``). A workload that
reshuffles draws ``jax.random.permutation`` inside the loop. float64 runs with
``jax_enable_x64``; a float32 run keeps every array in float32. The parameters are donated
to the compiled call; XLA's CPU backend spreads its products over the cores by itself.

The network starts from fastmlp's weights (``W`` of shape (fan_out, fan_in)), held the way
a JAX user holds them, ``X @ W + b`` with ``W`` (fan_in, fan_out), so that every peer of a
workload starts from the same point and, where they take the same steps, can be checked to
reach the same loss curve.
"""

import importlib.util
import time

import numpy as np
from timing import timed

BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-8


def jax_available():
    """Whether JAX is installed (without importing it)."""
    return importlib.util.find_spec("jax") is not None


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def _batch_loss(jnp, jax, head, z, Y):
    """Mean over the batch of the head's loss, from the output pre-activations ``z``."""
    if head == "sigmoid_bce":
        return jnp.mean(jnp.sum(jnp.logaddexp(0.0, z) - Y * z, axis=1))
    if head == "softmax_ce":  # Y one-hot
        return jnp.mean(jax.nn.logsumexp(z, axis=1) - jnp.sum(Y * z, axis=1))
    if head == "tanh_squared_error":
        return 0.5 * jnp.mean(jnp.sum((jnp.tanh(z) - Y) ** 2, axis=1))
    if head == "squared_error":  # scikit-learn's: half the mean over every element
        return 0.5 * jnp.mean((z - Y) ** 2)
    raise ValueError(f"unknown head {head!r}")


class JaxRun:
    """One workload's whole training run, compiled by XLA once and called per round.

    Parameters
    ----------
    hidden : {"tanh", "relu"}
    head : {"sigmoid_bce", "softmax_ce", "tanh_squared_error", "squared_error"}
    epochs, lr, batch_size : the run's settings (``batch_size=None`` or larger than the
        set: the whole set, as scikit-learn clips it).
    optimizer : {"sgd", "adam"}
    alpha : float
        scikit-learn's L2 term, ``alpha / (2 * batch) * sum(W**2)`` added to each batch's
        loss (biases not penalised).
    shuffle : bool
        Draw a new sample order every epoch (``jax.random``, seeded by ``seed``).
    dtype : {"float64", "float32"}
    """

    def __init__(self, hidden, head, *, epochs, lr, batch_size=None, optimizer="sgd",
                 alpha=0.0, shuffle=False, seed=0, dtype="float64"):
        if optimizer not in ("sgd", "adam"):
            raise ValueError(f"unknown optimizer {optimizer!r}")
        self.settings = dict(hidden=hidden, head=head, epochs=epochs, lr=lr,
                             batch_size=batch_size, optimizer=optimizer, alpha=alpha,
                             shuffle=shuffle, seed=seed)
        self.dtype = np.dtype(dtype)
        self.jax = _jax()
        self._compiled = None
        self.compile_seconds = None

    def arguments(self, weights, biases, X, Y):
        """Fresh device arrays for one call: ``(params, X, Y)`` (the params are donated)."""
        jnp = self.jax.numpy
        params = tuple((jnp.asarray(np.asarray(W, self.dtype).T.copy()),
                        jnp.asarray(np.asarray(b, self.dtype)))
                       for W, b in zip(weights, biases, strict=True))
        Y = np.asarray(Y, self.dtype)
        return params, jnp.asarray(np.asarray(X, self.dtype)), jnp.asarray(Y.reshape(len(Y), -1))

    def compile(self, arguments):
        """Compile for these shapes; returns (and keeps) XLA's compile time in seconds."""
        train = self.jax.jit(self._training(arguments[1].shape[0]), donate_argnums=(0,))
        start = time.perf_counter()
        self._compiled = train.lower(*arguments).compile()
        self.compile_seconds = time.perf_counter() - start
        return self.compile_seconds

    def __call__(self, arguments):
        """Train; returns the final ``(weights, biases)`` in fastmlp's shapes and the
        per-epoch loss (batch losses weighted by batch size)."""
        if self._compiled is None:
            self.compile(arguments)
        params, losses = self.jax.block_until_ready(self._compiled(*arguments))
        weights = [np.asarray(W).T for W, _ in params]
        return (weights, [np.asarray(b) for _, b in params]), np.asarray(losses)

    def _training(self, n_samples):
        jax, s = self.jax, self.settings
        jnp, lax = jax.numpy, jax.lax
        act = jnp.tanh if s["hidden"] == "tanh" else jax.nn.relu
        batch = min(s["batch_size"] or n_samples, n_samples)
        n_full, tail = divmod(n_samples, batch)
        lr, alpha, dtype = s["lr"], s["alpha"], self.dtype

        def loss(params, Xb, Yb):
            A = Xb
            for W, b in params[:-1]:
                A = act(A @ W + b)
            W, b = params[-1]
            value = _batch_loss(jnp, jax, s["head"], A @ W + b, Yb)
            if alpha:
                value += alpha / (2 * Xb.shape[0]) * sum(jnp.sum(W * W) for W, _ in params)
            return value

        value_and_grad = jax.value_and_grad(loss)

        def step(state, batch_data):
            params, moments = state
            value, grads = value_and_grad(params, *batch_data)
            if s["optimizer"] == "sgd":
                params = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
            else:
                m, v, t = moments
                t = t + 1
                m = jax.tree_util.tree_map(lambda m, g: BETA_1 * m + (1 - BETA_1) * g, m, grads)
                v = jax.tree_util.tree_map(lambda v, g: BETA_2 * v + (1 - BETA_2) * g * g,
                                           v, grads)
                rate = lr * jnp.sqrt(1 - BETA_2**t) / (1 - BETA_1**t)
                params = jax.tree_util.tree_map(
                    lambda p, m, v: p - rate * m / (jnp.sqrt(v) + EPSILON), params, m, v)
                moments = (m, v, t)
            return (params, moments), value

        def train(params, X, Y):
            moments = ()  # plain gradient descent keeps no state
            if s["optimizer"] == "adam":
                zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
                moments = (zeros, zeros, jnp.zeros((), dtype))

            def epoch(index, carry):
                params, moments, losses, key = carry
                if s["shuffle"]:
                    key, draw = jax.random.split(key)
                    order = jax.random.permutation(draw, n_samples)
                    Xe, Ye = X[order], Y[order]
                else:
                    Xe, Ye = X, Y
                head = n_full * batch
                batches = (Xe[:head].reshape(n_full, batch, -1),
                           Ye[:head].reshape(n_full, batch, -1))
                (params, moments), values = lax.scan(step, (params, moments), batches)
                total = jnp.sum(values) * batch
                if tail:
                    (params, moments), value = step((params, moments), (Xe[head:], Ye[head:]))
                    total += value * tail
                return params, moments, losses.at[index].set(total / n_samples), key

            carry = (params, moments, jnp.zeros(s["epochs"], dtype),
                     jax.random.PRNGKey(s["seed"]))
            params, _, losses, _ = lax.fori_loop(0, s["epochs"], epoch, carry)
            return params, losses

        return train


def one_hot(y, n_classes):
    """Labels as the one-hot rows the softmax head takes."""
    return np.eye(n_classes)[np.asarray(y)]


def timed_jax(benchmark, run, rounds, weights, biases, X, Y, ours=None):
    """Time ``run`` over ``rounds`` rounds from the same start; returns the last round's result.

    The run is compiled first, untimed, and XLA's compile time goes to
    ``benchmark.extra_info["compile_seconds"]``. ``ours`` is fastmlp's entries for the same
    job, entry name to ``(train, prepare)``: with timing enabled, JAX's rounds alternate
    with theirs (``timing.timed_pairs``).
    """

    def arguments():
        return run.arguments(weights, biases, X, Y)

    run.compile(arguments())
    benchmark.extra_info["compile_seconds"] = run.compile_seconds
    return timed(benchmark, run, rounds, lambda: (arguments(),), ours)
