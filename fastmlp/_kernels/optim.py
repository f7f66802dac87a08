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

import numpy as np

from .._config import jit_inline, jit_wide
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


@jit_wide
def adam_step(theta, grad, velocity, second_moment, step_count, lr, momentum, beta_1, beta_2,
              epsilon):
    """Adam, with the bias corrections folded into the step size ``lr_t``."""
    one = theta.dtype.type(1.0)
    step_count[0] += 1
    t = step_count[0]
    # beta**t is computed in float64 and the step size rounded once to theta's dtype.
    lr_t = theta.dtype.type(lr * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t))
    for i in range(theta.size):
        g = grad[i]
        m = beta_1 * velocity[i] + (one - beta_1) * g
        v = beta_2 * second_moment[i] + (one - beta_2) * g * g
        velocity[i] = m
        second_moment[i] = v
        theta[i] -= lr_t * m / (np.sqrt(v) + epsilon)


#: Every update kernel.
UPDATES = (sgd_step, momentum_step, nesterov_step, adam_step)


def update_step(optimizer, momentum, nesterov):
    """The update kernel of an optimizer code with its momentum settings."""
    if optimizer == ADAM:
        return adam_step
    if momentum == 0:
        return sgd_step
    return nesterov_step if nesterov else momentum_step
