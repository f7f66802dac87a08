"""Slow, obviously correct references for every compiled kernel.

Plain numpy in the math's column-vector layout (one column per sample), written for
reading, not speed. The output delta is computed with the general chain rule through the
output activation's Jacobian, ``dL/dz_tilde = J^T dL/dy_hat``, *not* with the
``y_hat - y`` shortcuts the kernels use, so agreement checks those derivations too.
"""

import numpy as np

LEAKY_SLOPE = 0.01


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


ACTIVATIONS = {
    "linear": lambda a: a,
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0.0),
    "sigmoid": sigmoid,
    "leaky_relu": lambda a: np.where(a > 0, a, LEAKY_SLOPE * a),
}

# Derivatives with respect to the pre-activation a (not in terms of the output).
DERIVATIVES = {
    "linear": lambda a: np.ones_like(a),
    "tanh": lambda a: 1.0 - np.tanh(a) ** 2,
    "relu": lambda a: (a > 0).astype(a.dtype),
    "sigmoid": lambda a: sigmoid(a) * (1.0 - sigmoid(a)),
    "leaky_relu": lambda a: np.where(a > 0, 1.0, LEAKY_SLOPE).astype(a.dtype),
}


def softmax(a):
    shifted = np.exp(a - a.max(axis=0, keepdims=True))
    return shifted / shifted.sum(axis=0, keepdims=True)


OUTPUTS = {
    "sigmoid": sigmoid,
    "softmax": softmax,
    "identity": lambda a: a,
    "tanh": np.tanh,
    "exp": np.exp,
}


def per_sample_loss(loss, y_hat, Y):
    """Loss of each column (sample)."""
    if loss == "binary_cross_entropy":
        return -(Y * np.log(y_hat) + (1.0 - Y) * np.log(1.0 - y_hat)).sum(axis=0)
    if loss == "cross_entropy":
        return -(Y * np.log(y_hat)).sum(axis=0)
    if loss == "poisson":
        # Half the Poisson deviance; y log(y / y_hat) is 0 where y is 0.
        ratio_term = np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1.0) / y_hat), 0.0)
        return (ratio_term - Y + y_hat).sum(axis=0)
    return 0.5 * ((y_hat - Y) ** 2).sum(axis=0)


def loss_gradient_wrt_output(loss, y_hat, Y):
    """dL/dy_hat for each sample."""
    if loss == "binary_cross_entropy":
        return -Y / y_hat + (1.0 - Y) / (1.0 - y_hat)
    if loss == "cross_entropy":
        return -Y / y_hat
    if loss == "poisson":
        return 1.0 - Y / y_hat
    return y_hat - Y


def output_delta(loss, output, z_tilde, Y):
    """dL/dz_tilde through the output activation's Jacobian, column by column."""
    y_hat = OUTPUTS[output](z_tilde)
    upstream = loss_gradient_wrt_output(loss, y_hat, Y)
    delta = np.empty_like(z_tilde)
    for j in range(z_tilde.shape[1]):
        p = y_hat[:, j]
        if output == "softmax":
            jacobian = np.diag(p) - np.outer(p, p)
        elif output == "sigmoid":
            jacobian = np.diag(p * (1.0 - p))
        elif output == "tanh":
            jacobian = np.diag(1.0 - p**2)
        elif output == "exp":
            jacobian = np.diag(p)
        else:
            jacobian = np.eye(p.size)
        delta[:, j] = jacobian.T @ upstream[:, j]
    return delta


def forward(Ws, bs, activations, X):
    """Pre-activations and activations of every layer; X is (n_samples, n_features).

    Returns lists ``z_tildes`` (index l = 1..L, position 0 unused) and ``zs``
    (``zs[0] = X.T``); the last entry of ``zs`` is the output pre-activation.
    """
    zs = [X.T]
    z_tildes = [None]
    for layer, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        z_tilde = W @ zs[-1] + b[:, None]
        z_tildes.append(z_tilde)
        hidden = layer < len(Ws) - 1
        zs.append(ACTIVATIONS[activations[layer]](z_tilde) if hidden else z_tilde)
    return z_tildes, zs


def penalty(Ws, l1, l2):
    return sum(0.5 * l2 * np.sum(W * W) + l1 * np.sum(np.abs(W)) for W in Ws)


def objective(Ws, bs, activations, loss, output, X, Y, l1=0.0, l2=0.0, sample_weight=None):
    """(Weighted) mean loss over the samples plus penalties; Y is (n_samples, n_outputs)."""
    _, zs = forward(Ws, bs, activations, X)
    y_hat = OUTPUTS[output](zs[-1])
    losses = per_sample_loss(loss, y_hat, Y.T)
    return np.average(losses, weights=sample_weight) + penalty(Ws, l1, l2)


def gradients(Ws, bs, activations, loss, output, X, Y, l1=0.0, l2=0.0, sample_weight=None):
    """Gradients of :func:`objective` by backpropagation (the recursion of the derivations)."""
    z_tildes, zs = forward(Ws, bs, activations, X)
    m = X.shape[0]
    weights = np.ones(m) if sample_weight is None else np.asarray(sample_weight, float)
    # Each sample's delta carries its share w_i / sum(w) of the mean.
    delta = output_delta(loss, output, zs[-1], Y.T) * (weights / weights.sum())
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for layer in range(len(Ws) - 1, -1, -1):
        dWs[layer] = delta @ zs[layer].T + l2 * Ws[layer] + l1 * np.sign(Ws[layer])
        dbs[layer] = delta.sum(axis=1)
        if layer > 0:
            delta = (Ws[layer].T @ delta) * DERIVATIVES[activations[layer - 1]](z_tildes[layer])
    return dWs, dbs


class Optimizer:
    """scikit-learn-style SGD (plain, momentum, Nesterov) and Adam on a list of arrays."""

    def __init__(self, name, lr, momentum=0.0, nesterov=False, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8):
        self.name, self.lr, self.momentum, self.nesterov = name, lr, momentum, nesterov
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.state = None
        self.t = 0

    def step(self, params, grads):
        if self.state is None:
            self.state = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
        self.t += 1
        for p, g, (first, second) in zip(params, grads, self.state, strict=True):
            if self.name == "adam":
                first[...] = self.beta_1 * first + (1 - self.beta_1) * g
                second[...] = self.beta_2 * second + (1 - self.beta_2) * g * g
                lr_t = self.lr * np.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
                p -= lr_t * first / (np.sqrt(second) + self.epsilon)
            elif self.momentum == 0:
                p -= self.lr * g
            else:
                first[...] = self.momentum * first - self.lr * g
                p += self.momentum * first - self.lr * g if self.nesterov else first


def train(Ws, bs, activations, loss, output, X, Y, epochs, batch_size, optimizer,
          l1=0.0, l2=0.0, sample_weight=None, penalty_per_batch=False):
    """Mini-batch training in the data's order (no shuffling); returns per-epoch objectives.

    Updates ``Ws`` and ``bs`` in place. An epoch's figure is the batch objectives
    averaged with the batch sizes as weights. With ``penalty_per_batch`` the penalty
    coefficients are divided by each batch's size (or weight sum), as scikit-learn's alpha.
    """
    n = X.shape[0]
    weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    curve = []
    for _ in range(epochs):
        total = 0.0
        for start in range(0, n, batch_size):
            Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
            wb = weights[start:start + batch_size]
            divisor = wb.sum() if penalty_per_batch else 1.0
            l1b, l2b = l1 / divisor, l2 / divisor
            total += len(Xb) * objective(Ws, bs, activations, loss, output, Xb, Yb, l1b, l2b, wb)
            dWs, dbs = gradients(Ws, bs, activations, loss, output, Xb, Yb, l1b, l2b, wb)
            optimizer.step(list(Ws) + list(bs), dWs + dbs)
        curve.append(total / n)
    return np.array(curve)


def sheet_numpy_training(W0, b0, W1, b1, X, y, lr, epochs):
    """The exercise sheet's numpy network on two moons: 2-layer tanh/sigmoid, full-batch GD.

    Column layout (``X`` is (n_features, n_samples), ``y`` is (1, n_samples)), binary
    cross-entropy on probabilities clipped to [1e-15, 1 - 1e-15], output delta
    ``y_hat - y``, gradients averaged over the batch. Returns the loss of every epoch
    (computed before that epoch's update) and the final parameters.
    """
    W0, b0, W1, b1 = (a.copy() for a in (W0, b0.reshape(-1, 1), W1, b1.reshape(-1, 1)))
    m = X.shape[1]
    losses = []
    for _ in range(epochs):
        z1 = np.tanh(W0 @ X + b0)
        y_hat = sigmoid(W1 @ z1 + b1)
        clipped = np.clip(y_hat, 1e-15, 1 - 1e-15)
        losses.append(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)))
        delta2 = y_hat - y
        delta1 = (W1.T @ delta2) * (1 - z1**2)
        W1 -= lr * (delta2 @ z1.T) / m
        b1 -= lr * delta2.sum(axis=1, keepdims=True) / m
        W0 -= lr * (delta1 @ X.T) / m
        b0 -= lr * delta1.sum(axis=1, keepdims=True) / m
    return np.array(losses), (W0, b0.ravel(), W1, b1.ravel())


def playground_train(Ws, bs, activation, output, X, y, epochs, batch_size, lr,
                     regularization=None, rate=0.0):
    """The Playground's training, point by point as its browser code does it.

    Updates ``Ws``/``bs`` in place; returns the dead-link masks. ``output`` is "tanh" or
    "identity"; the loss is 1/2 (out - y)^2.
    """
    dead = [np.zeros(W.shape, dtype=bool) for W in Ws]
    acc_W = [np.zeros_like(W) for W in Ws]
    acc_b = [np.zeros_like(b) for b in bs]
    count = 0
    for _ in range(epochs):
        for i in range(X.shape[0]):
            z_tildes, zs = forward(Ws, bs, [activation] * (len(Ws) - 1), X[i:i + 1])
            out = OUTPUTS[output](zs[-1]) if output == "tanh" else zs[-1]
            delta = out - y[i]
            if output == "tanh":
                delta = delta * (1.0 - out * out)
            for layer in range(len(Ws) - 1, -1, -1):
                acc_W[layer] += np.where(dead[layer], 0.0, delta @ zs[layer].T)
                acc_b[layer] += delta[:, 0]
                if layer > 0:
                    delta = (Ws[layer].T @ delta) * DERIVATIVES[activation](z_tildes[layer])
            count += 1
            if (i + 1) % batch_size == 0:
                for W, b, dW, db, mask in zip(Ws, bs, acc_W, acc_b, dead, strict=True):
                    for index in np.ndindex(W.shape):
                        if mask[index]:
                            continue
                        w_old = W[index]
                        w = w_old - lr / count * dW[index]
                        if regularization == "l2":
                            new = w - lr * rate * w_old
                        elif regularization == "l1":
                            new = w - lr * rate * np.sign(w_old)
                            if w * new < 0:
                                new, mask[index] = 0.0, True
                        else:
                            new = w
                        W[index] = new
                    b -= lr / count * db
                    dW[...] = 0.0
                    db[...] = 0.0
                count = 0
    return dead


# --------------------------------------------------------------------------- dropout
MASK64 = (1 << 64) - 1


def splitmix_output(z):
    """SplitMix64's output function on a Python int, modulo 2^64."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def dropout_keeps(key, unit, position, rate):
    """The kernels' keep-or-drop draw, in integer arithmetic: a hash of the batch key, the
    sample's position in its batch and the unit's index among all hidden units, kept when
    it is at least ``rate * 2^64`` (so with probability ``1 - rate``)."""
    z = splitmix_output(key ^ ((position * 0xD1B54A32D192ED03) & MASK64))
    z = splitmix_output(z ^ ((unit * 0xAEF17502108EF2D9) & MASK64))
    return z >= int(rate * 2.0**64)


def dropout_masks(sizes, rates, key, n_samples):
    """Multipliers of each hidden layer's activations: ``1 / (1 - p)`` where kept, else 0;
    shapes ``(sizes[l], n_samples)`` for the hidden layers ``l = 1 .. L-1``."""
    masks, first_unit = [], 0
    for layer, rate in enumerate(rates, start=1):
        keep = np.array([[dropout_keeps(key, first_unit + k, j, rate) for j in range(n_samples)]
                         for k in range(sizes[layer])])
        masks.append(np.where(keep, 1.0 / (1.0 - rate), 0.0))
        first_unit += sizes[layer]
    return masks


def forward_masked(Ws, bs, activations, X, masks):
    """:func:`forward` with each hidden layer's activations multiplied by its mask."""
    zs = [X.T]
    z_tildes = [None]
    for layer, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        z_tilde = W @ zs[-1] + b[:, None]
        z_tildes.append(z_tilde)
        if layer < len(Ws) - 1:
            zs.append(ACTIVATIONS[activations[layer]](z_tilde) * masks[layer])
        else:
            zs.append(z_tilde)
    return z_tildes, zs


def objective_masked(Ws, bs, activations, loss, output, X, Y, masks):
    _, zs = forward_masked(Ws, bs, activations, X, masks)
    return per_sample_loss(loss, OUTPUTS[output](zs[-1]), Y.T).mean()


def gradients_masked(Ws, bs, activations, loss, output, X, Y, masks):
    """Gradients of :func:`objective_masked`: the recursion with the mask as one more
    factor, ``delta^(l) = (W^(l)T delta^(l+1)) * mask^(l) * phi'(z_tilde^(l))``."""
    z_tildes, zs = forward_masked(Ws, bs, activations, X, masks)
    delta = output_delta(loss, output, zs[-1], Y.T) / X.shape[0]
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for layer in range(len(Ws) - 1, -1, -1):
        dWs[layer] = delta @ zs[layer].T
        dbs[layer] = delta.sum(axis=1)
        if layer > 0:
            derivative = DERIVATIVES[activations[layer - 1]](z_tildes[layer])
            delta = (Ws[layer].T @ delta) * masks[layer - 1] * derivative
    return dWs, dbs
