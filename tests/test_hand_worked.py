"""A 2-2-1 network small enough to work through by hand.

One sample x = (1, 2), label y = 1; ReLU hidden layer, sigmoid output, binary
cross-entropy.

    W0 = [[ 0.1, 0.2],     b0 = [0.0, 0.1]      W1 = [[1.0, -2.0]]     b1 = [0.3]
          [-0.3, 0.4]]

Forward
    z_tilde1 = W0 x + b0 = [0.1 + 0.4 + 0.0, -0.3 + 0.8 + 0.1]  = [0.5, 0.6]
    z1       = relu(z_tilde1)                                   = [0.5, 0.6]
    z_tilde2 = W1 z1 + b1  = 0.5 - 1.2 + 0.3                    = -0.4
    y_hat    = 1 / (1 + e^0.4)                                  = 0.401312339887548
    loss     = -log(y_hat)                                      = 0.913015252399953

Backward
    delta2 = y_hat - y                                          = -0.598687660112452
    dW1    = delta2 z1^T = [0.5 delta2, 0.6 delta2]             = [-0.299343830056226,
                                                                   -0.359212596067471]
    db1    = delta2                                             = -0.598687660112452
    delta1 = (W1^T delta2) * relu'(z_tilde1) = [1, -2] delta2 * [1, 1]
                                                                = [-0.598687660112452,
                                                                    1.197375320224904]
    dW0    = delta1 x^T = [[delta1_0, 2 delta1_0], [delta1_1, 2 delta1_1]]
                        = [[-0.598687660112452, -1.197375320224904],
                           [ 1.197375320224904,  2.394750640449808]]
    db0    = delta1

One gradient step with lr = 0.1 moves every parameter by -0.1 times its gradient.
"""

import numpy as np
import pytest

import fastmlp


@pytest.fixture
def hand_net():
    net = fastmlp.MLP([2, 2, 1], activation="relu", loss="binary_cross_entropy")
    net.weights[0][...] = [[0.1, 0.2], [-0.3, 0.4]]
    net.biases[0][...] = [0.0, 0.1]
    net.weights[1][...] = [[1.0, -2.0]]
    net.biases[1][...] = [0.3]
    return net


X = np.array([[1.0, 2.0]])
Y = np.array([1])


def test_forward_numbers(hand_net):
    assert hand_net.decision_function(X)[0, 0] == pytest.approx(-0.4, rel=1e-14)
    assert hand_net.predict_proba(X)[0, 0] == pytest.approx(0.401312339887548, rel=1e-13)
    assert hand_net.loss(X, Y) == pytest.approx(0.913015252399953, rel=1e-13)
    assert hand_net.predict(X)[0] == 0


def test_backward_numbers(hand_net):
    (dW0, dW1), (db0, db1) = hand_net.gradients(X, Y)
    np.testing.assert_allclose(dW1, [[-0.299343830056226, -0.359212596067471]], rtol=1e-13)
    np.testing.assert_allclose(db1, [-0.598687660112452], rtol=1e-13)
    np.testing.assert_allclose(
        dW0,
        [[-0.598687660112452, -1.197375320224904], [1.197375320224904, 2.394750640449808]],
        rtol=1e-13,
    )
    np.testing.assert_allclose(db0, [-0.598687660112452, 1.197375320224904], rtol=1e-13)


def test_one_gradient_step(hand_net):
    hand_net.fit(X, Y, epochs=1, lr=0.1)
    np.testing.assert_allclose(hand_net.weights[1], [[1.0299343830056226, -1.9640787403932529]],
                               rtol=1e-13)
    np.testing.assert_allclose(hand_net.biases[0], [0.0598687660112452, -0.0197375320224904],
                               rtol=1e-13)
    assert hand_net.history["loss"][0] == pytest.approx(0.913015252399953, rel=1e-13)
