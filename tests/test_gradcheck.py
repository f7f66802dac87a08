"""Central finite differences against the analytic gradients (float64)."""

import numpy as np
import pytest
from problems import ACTIVATIONS, HEADS, make_problem

PENALTIES = {"none": (0.0, 0.0), "l1": (0.03, 0.0), "l2": (0.0, 0.05), "l1+l2": (0.02, 0.04)}
ARCHITECTURES = ([3, 5, 2], [3, 4, 6, 2], [2, 5, 4, 3, 3], [3, 3, 4, 3, 5, 2])


def finite_difference_gradient(net, X, Y, l1, l2, step=1e-6, sample_weight=None):
    theta = net.parameters
    gradient = np.empty_like(theta)
    for i in range(theta.size):
        original = theta[i]
        theta[i] = original + step
        plus = net.loss(X, Y, l1=l1, l2=l2, sample_weight=sample_weight)
        theta[i] = original - step
        minus = net.loss(X, Y, l1=l1, l2=l2, sample_weight=sample_weight)
        theta[i] = original
        gradient[i] = (plus - minus) / (2 * step)
    return gradient


@pytest.mark.parametrize("architecture", ARCHITECTURES, ids=lambda s: f"{len(s) - 2}hidden")
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("head", HEADS, ids=lambda h: f"{h[1]}+{h[0]}")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_match_central_differences(activation, head, penalty, architecture, rng):
    net, X, Y = make_problem(architecture, activation, head, "float64", rng, n_samples=13)
    l1, l2 = PENALTIES[penalty]
    dWs, dbs = net.gradients(X, Y, l1=l1, l2=l2)
    analytic = np.concatenate(
        [np.concatenate([dW.ravel(), db]) for dW, db in zip(dWs, dbs, strict=True)]
    )
    numeric = finite_difference_gradient(net, X, Y, l1, l2)
    # Central differences are accurate to about step^2 * f''' plus rounding (1e-16 / step).
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("head", HEADS, ids=lambda h: f"{h[1]}+{h[0]}")
def test_weighted_gradients_match_central_differences(head, rng):
    net, X, Y = make_problem([3, 5, 4, 2], "tanh", head, "float64", rng, n_samples=13)
    weights = rng.uniform(0.0, 2.0, X.shape[0])
    dWs, dbs = net.gradients(X, Y, l2=0.05, sample_weight=weights)
    analytic = np.concatenate(
        [np.concatenate([dW.ravel(), db]) for dW, db in zip(dWs, dbs, strict=True)]
    )
    numeric = finite_difference_gradient(net, X, Y, 0.0, 0.05, sample_weight=weights)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)
