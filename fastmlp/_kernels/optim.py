"""Penalties and parameter updates, each one pass over the flat parameter vector.

Penalties apply to weights only, never to biases:
``penalty = (l2 / 2) sum W^2 + l1 sum |W|``, gradient ``l2 W + l1 sign(W)``
(``sign(0) = 0``).

Updates (``g`` the gradient of the objective, ``lr`` the learning rate), with
scikit-learn's conventions so that its estimators can be reproduced:

* SGD: ``theta -= lr g``.
* Momentum ``mu``: ``v = mu v - lr g``; ``theta += v``.
* Nesterov: ``v = mu v - lr g``; ``theta += mu v - lr g``.
* Adam: ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
  ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)``, ``theta -= lr_t m / (sqrt(v) + eps)``.

Derivations: docs page "Derivations", section on updates.
"""

import numba
import numpy as np

from .._config import jit_inline, jit_parallel, jit_wide
from .network import weight_view
from .views import as_vector

SGD, ADAM = 0, 1

#: Public optimizer names and their kernel codes.
OPTIMIZER_CODES = {"sgd": SGD, "adam": ADAM}


@jit_inline
def add_penalty(theta, grad, w_offsets, sizes, l1, l2):
    """Add the penalty's gradient to ``grad`` (weights only); return the penalty's value.

    ``l1`` and ``l2`` must have ``theta``'s dtype.
    """
    zero = theta.dtype.type(0.0)
    one = theta.dtype.type(1.0)
    half_l2 = theta.dtype.type(0.5) * l2
    penalty = zero
    if l1 == zero and l2 == zero:
        return penalty
    for layer in range(sizes.shape[0] - 1):
        W = as_vector(weight_view(theta, w_offsets, sizes, layer))
        dW = as_vector(weight_view(grad, w_offsets, sizes, layer))
        for i in range(W.size):
            weight = W[i]
            sign = (one if weight > zero else zero) - (one if weight < zero else zero)
            penalty += half_l2 * weight * weight + l1 * abs(weight)
            dW[i] += l2 * weight + l1 * sign
    return penalty


# Each update below takes ``(theta, grad, velocity, second_moment, step_count, lr, momentum,
# beta_1, beta_2, epsilon)`` and updates ``theta`` in place from ``grad``:
#
# * ``theta, grad, velocity, second_moment``: ndarray, shape (n_params,). ``velocity`` is
#   the momentum buffer (SGD) or the first moment (Adam), ``second_moment`` Adam's second
#   moment; both are updated in place.
# * ``step_count``: int64 array of one element, the number of Adam steps taken so far.
# * ``lr, momentum, beta_1, beta_2, epsilon``: floats in ``theta``'s dtype.
#
# One signature for all, so that the training loop calls whichever the run uses
# (:mod:`.calls`); each reads only its own settings.


@jit_wide
def sgd_step(theta, grad, velocity, second_moment, step_count, lr, momentum, beta_1, beta_2,
             epsilon):
    """``theta -= lr g``."""
    for i in range(theta.size):
        theta[i] -= lr * grad[i]


@jit_wide
def momentum_step(theta, grad, velocity, second_moment, step_count, lr, momentum, beta_1,
                  beta_2, epsilon):
    """``v = mu v - lr g``; ``theta += v``."""
    for i in range(theta.size):
        v = momentum * velocity[i] - lr * grad[i]
        velocity[i] = v
        theta[i] += v


@jit_wide
def nesterov_step(theta, grad, velocity, second_moment, step_count, lr, momentum, beta_1,
                  beta_2, epsilon):
    """``v = mu v - lr g``; ``theta += mu v - lr g``."""
    for i in range(theta.size):
        v = momentum * velocity[i] - lr * grad[i]
        velocity[i] = v
        theta[i] += momentum * v - lr * grad[i]


@jit_inline
def adam_step_size(theta, lr, beta_1, beta_2, t):
    """Adam's step size at step ``t``, ``lr sqrt(1 - beta_2^t) / (1 - beta_1^t)``: computed
    in float64 and rounded once to ``theta``'s dtype."""
    return theta.dtype.type(lr * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t))


@jit_wide
def adam_update(theta, grad, velocity, second_moment, lr_t, beta_1, beta_2, epsilon):
    """Adam's update of every parameter with step size ``lr_t``."""
    one = theta.dtype.type(1.0)
    for i in range(theta.size):
        g = grad[i]
        m = beta_1 * velocity[i] + (one - beta_1) * g
        v = beta_2 * second_moment[i] + (one - beta_2) * g * g
        velocity[i] = m
        second_moment[i] = v
        theta[i] -= lr_t * m / (np.sqrt(v) + epsilon)


@jit_wide
def adam_step(theta, grad, velocity, second_moment, step_count, lr, momentum, beta_1, beta_2,
              epsilon):
    """Adam, with the bias corrections folded into the step size ``lr_t``."""
    step_count[0] += 1
    lr_t = adam_step_size(theta, lr, beta_1, beta_2, step_count[0])
    adam_update(theta, grad, velocity, second_moment, lr_t, beta_1, beta_2, epsilon)


#: Elements per unit of a threaded update's pieces: a multiple of every vectorised loop's
#: stride (at most 16 lanes times 4 interleaved registers), so that each parameter goes
#: through the same code as in the serial update.
UPDATE_ALIGNMENT = 256
#: Pieces of a threaded update: a fixed number (the thread count is read only by Numba's
#: scheduler, whose code cannot be cached), shared evenly by 2, 4 or 8 threads.
UPDATE_PIECES = 8
#: Parameters from which a run whose batches are split across threads also splits Adam's
#: update (:func:`threaded_adam_step`). Measured on two AVX-512 cores, the serial update
#: of 9,610 float64 parameters took 24 us and the threaded one 23 us (starting the threads
#: costs about 10 us); of 47,495, 111 us and 60 us (float32: 31 us and 22 us).
THREADED_ADAM_MIN_PARAMS = 1 << 15


@jit_parallel
def threaded_adam_step(theta, grad, velocity, second_moment, step_count, lr, momentum, beta_1,
                       beta_2, epsilon):
    """:func:`adam_step` with the parameters cut into :data:`UPDATE_PIECES` pieces, which
    Numba's threads share.

    Every piece goes through :func:`adam_update`, as the serial step's parameters do, and
    starts at a multiple of :data:`UPDATE_ALIGNMENT`: each parameter's update is the same
    arithmetic as in the serial step, so the bits do not depend on the thread count.
    Adam's square root and division take a good part of a network's step once its
    batches are split across the cores.
    """
    step_count[0] += 1
    lr_t = adam_step_size(theta, lr, beta_1, beta_2, step_count[0])
    n = theta.size
    n_pieces = UPDATE_PIECES
    for piece in numba.prange(n_pieces):
        start = (piece * n // n_pieces) // UPDATE_ALIGNMENT * UPDATE_ALIGNMENT
        stop = n if piece == n_pieces - 1 else (
            (piece + 1) * n // n_pieces) // UPDATE_ALIGNMENT * UPDATE_ALIGNMENT
        adam_update(theta[start:stop], grad[start:stop], velocity[start:stop],
                    second_moment[start:stop], lr_t, beta_1, beta_2, epsilon)


#: Every update kernel.
UPDATES = (sgd_step, momentum_step, nesterov_step, adam_step, threaded_adam_step)


def update_step(optimizer, momentum, nesterov, threaded=False):
    """The update kernel of an optimizer code with its momentum settings; with
    ``threaded`` (batches split across threads, at least :data:`THREADED_ADAM_MIN_PARAMS`
    parameters), Adam's is :func:`threaded_adam_step`."""
    if optimizer == ADAM:
        return threaded_adam_step if threaded else adam_step
    if momentum == 0:
        return sgd_step
    return nesterov_step if nesterov else momentum_step
