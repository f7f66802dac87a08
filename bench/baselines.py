"""The implementations fastmlp races against, each set up to do exactly the same work.

* :class:`NumpyMLP`: the exercise sheet's plain-numpy MLP (its two-moons algorithm:
  vectorised numpy in the column layout, one matrix product per layer and direction),
  generalised to any depth and to mini-batches.
* scikit-learn's ``MLPClassifier`` / ``MLPRegressor`` started from the same weights.
* PyTorch (CPU, optional): ``nn.Sequential`` + ``torch.optim.SGD`` from the same weights.

Starting every implementation from one set of weights makes their results comparable to
tight tolerances, so a benchmark can assert that they agree before it reports a ratio.
"""

import warnings

import numpy as np

HIDDEN = {
    "tanh": (np.tanh, lambda z: 1.0 - z**2),
    "relu": (lambda a: np.maximum(a, 0.0), lambda z: (z > 0).astype(z.dtype)),
}


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _sigmoid_bce(z_tilde, Y):
    """The sheet's head: sigmoid output, BCE on clipped probabilities, delta y_hat - y."""
    y_hat = _sigmoid(z_tilde)
    clipped = np.clip(y_hat, 1e-15, 1 - 1e-15)
    loss = -np.mean(np.sum(Y * np.log(clipped) + (1 - Y) * np.log(1 - clipped), axis=0))
    return loss, y_hat - Y


def _tanh_squared_error(z_tilde, Y):
    """Playground head: tanh output, half squared error, delta (y_hat - y)(1 - y_hat^2)."""
    y_hat = np.tanh(z_tilde)
    difference = y_hat - Y
    return 0.5 * np.mean(np.sum(difference**2, axis=0)), difference * (1 - y_hat**2)


HEADS = {"sigmoid_bce": _sigmoid_bce, "tanh_squared_error": _tanh_squared_error}


class NumpyMLP:
    """Plain-numpy MLP trained by (mini-)batch gradient descent, as the exercise sheet does.

    Parameters
    ----------
    weights, biases : lists of ndarray
        ``W^(l)`` of shape (fan_out, fan_in) and ``b^(l)`` of shape (fan_out,); copied.
    hidden : {"tanh", "relu"}
    head : {"sigmoid_bce", "tanh_squared_error"}
    """

    def __init__(self, weights, biases, hidden="tanh", head="sigmoid_bce"):
        self.weights = [W.astype(np.float64).copy() for W in weights]
        self.biases = [b.astype(np.float64).reshape(-1, 1).copy() for b in biases]
        self.activation, self.derivative = HIDDEN[hidden]
        self.head = HEADS[head]

    def train(self, X, Y, epochs, lr, batch_size=None):
        """Train on X (n_samples, n_features), Y (n_samples, n_outputs) in the data's order.

        Returns the per-epoch loss (batch losses averaged with batch sizes as weights).
        """
        X_columns, Y_columns = X.T.copy(), Y.T.copy()
        n_samples = X.shape[0]
        batch_size = batch_size or n_samples
        losses = np.empty(epochs)
        for epoch in range(epochs):
            total = 0.0
            for start in range(0, n_samples, batch_size):
                Xb = X_columns[:, start:start + batch_size]
                Yb = Y_columns[:, start:start + batch_size]
                total += Xb.shape[1] * self._step(Xb, Yb, lr)
            losses[epoch] = total / n_samples
        return losses

    def _step(self, Xb, Yb, lr):
        m = Xb.shape[1]
        zs = [Xb]
        for W, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            zs.append(self.activation(W @ zs[-1] + b))
        loss, delta = self.head(self.weights[-1] @ zs[-1] + self.biases[-1], Yb)
        for layer in range(len(self.weights) - 1, -1, -1):
            dW = delta @ zs[layer].T / m
            db = delta.sum(axis=1, keepdims=True) / m
            if layer > 0:
                delta = (self.weights[layer].T @ delta) * self.derivative(zs[layer])
            self.weights[layer] -= lr * dW
            self.biases[layer] -= lr * db
        return loss


def synthetic_mnist(n_samples, n_features, n_classes, seed=0):
    """float32 pixels in [0, 1) and labels from a random linear teacher (learnable)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n_samples, n_features), dtype=np.float32)
    teacher = rng.normal(size=(n_features, n_classes)).astype(np.float32)
    return X, (X @ teacher).argmax(axis=1)


def sklearn_from_weights(estimator, weights, biases, X, y):
    """Give a scikit-learn MLP the weights of a fastmlp network before its timed fit.

    The estimator must have ``warm_start=True``: one short fit creates its fitted state,
    then ``coefs_`` (fan_in, fan_out) and ``intercepts_`` are overwritten.
    """
    max_iter = estimator.max_iter
    estimator.set_params(max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X, y)
    estimator.coefs_ = [W.T.astype(np.float64).copy() for W in weights]
    estimator.intercepts_ = [b.astype(np.float64).copy() for b in biases]
    estimator.set_params(max_iter=max_iter)
    estimator.loss_curve_ = []
    return estimator


def sklearn_fit(estimator, X, y):
    """Fit, ignoring the ConvergenceWarning a fixed number of epochs always raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X, y)


def torch_available():
    """Whether PyTorch is installed (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def torch_network(weights, biases, hidden, dtype):
    """``nn.Sequential`` of Linear layers and ``hidden`` activations holding these weights."""
    import torch
    from torch import nn

    layers = []
    for index, (W, b) in enumerate(zip(weights, biases, strict=True)):
        linear = nn.Linear(W.shape[1], W.shape[0]).to(dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.asarray(W)))
            linear.bias.copy_(torch.from_numpy(np.asarray(b)))
        layers.append(linear)
        if index < len(weights) - 1:
            layers.append(nn.Tanh() if hidden == "tanh" else nn.ReLU())
    return nn.Sequential(*layers)


def torch_train(model, X, Y, epochs, lr, batch_size, loss_name, optimizer="sgd"):
    """Mini-batch training in the data's order; returns the per-epoch mean loss."""
    import torch

    X, Y = torch.from_numpy(X), torch.from_numpy(Y)
    if optimizer == "adam":
        step = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        step = torch.optim.SGD(model.parameters(), lr=lr)
    if loss_name == "bce":
        criterion = torch.nn.BCEWithLogitsLoss()
    elif loss_name == "cross_entropy":
        criterion = torch.nn.CrossEntropyLoss()
    else:
        def criterion(z_tilde, target):
            return 0.5 * ((torch.tanh(z_tilde) - target) ** 2).sum(dim=1).mean()
    n_samples = X.shape[0]
    losses = np.empty(epochs)
    for epoch in range(epochs):
        total = 0.0
        for start in range(0, n_samples, batch_size):
            xb, yb = X[start:start + batch_size], Y[start:start + batch_size]
            step.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            step.step()
            total += loss.item() * xb.shape[0]
        losses[epoch] = total / n_samples
    return losses
