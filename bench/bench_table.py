"""Workload 9, tables: what a user switching from scikit-learn tries first. scikit-learn's
default MLPClassifier / MLPRegressor settings (hidden (100,), relu, Adam with lr 1e-3,
alpha 1e-4, batch_size "auto" = min(200, n), shuffled every epoch) for a fixed number of
epochs (tol 0, no early stop) on synthetic tables of realistic shapes:

* covertype: 50,000 x 54, 7 classes;
* HIGGS: 200,000 x 28, binary;
* regression: 100,000 x 20, one target (MLPRegressor);
* deep: hidden (256, 128) on the covertype table.

Features are standard normal (already standardised); the targets come from a random
teacher network (one tanh layer of 32 units), with Gumbel noise on the class scores and
Gaussian noise on the regression target (a fifth of its variance), from a seeded numpy
Generator.

Entries of each table's group:

* ``bench_fastmlp[float64]``: fastmlp's estimator, defaults, ``random_state=0``: it follows
  scikit-learn's training path, so its ``coefs_``, ``intercepts_`` and ``loss_curve_``
  must equal scikit-learn's to rtol 1e-9.
* ``bench_fastmlp[float32]``: the same with ``dtype="float32"`` (the float64 table is
  converted inside the fit); its last epoch's loss must be within 2e-3 (relative) of
  float64's.
* ``bench_sklearn``: scikit-learn's estimator, same settings: the same weights as the
  reference fit, and a loss that falls by more than a tenth over the epochs.
* ``bench_pytorch[float64]``, ``[float32]``: ``nn.Sequential`` trained by Adam (lr 1e-3,
  weight decay alpha / 200 on the weights: scikit-learn's L2 gradient), batches of 200
  gathered from a permutation drawn every epoch, from fastmlp's Glorot initial weights,
  with 2 threads (both cores). Its initialisation and sample order differ from
  scikit-learn's, so its last epoch's loss must only be within 10% of scikit-learn's.
* ``bench_jax[float64]``, ``[float32]``: the whole run as one ``jax.jit`` function
  (``jax_peer.JaxRun``): Adam as scikit-learn defines it, with its L2 term, batches of 200
  from a permutation drawn every epoch (``jax.random``), from the same Glorot weights as
  PyTorch; checked as PyTorch is. ``test_jax_follows_sklearn_path`` shows that it takes
  scikit-learn's very steps: from the same weights and without shuffling, two epochs on the
  first 2,000 rows give scikit-learn's loss curve to rtol 1e-10 and its weights to 1e-8.
* ``bench_blas_floor[float64]``, ``[float32]``: the floor: only the matrix products
  scikit-learn's backpropagation makes, done by numpy's BLAS (2 threads) on the same
  shapes for the same epochs (contiguous batches, no elementwise work); ``extra_info``
  holds their FLOPs.

With timing disabled (the test suite runs every benchmark once that way), every table is
cut to its first 10,000 rows so the file runs in well under a minute; the group names
give the shapes timed with ``--benchmark-enable``.
"""

from functools import cache

import numpy as np
import pytest
from baselines import sklearn_fit, sklearn_from_weights, torch_network
from conftest import requires_jax, requires_torch, timed
from jax_peer import JaxRun, one_hot, timed_jax

import fastmlp

ALPHA, LR, BATCH, SEED, ROUNDS, CI_ROWS = 1e-4, 1e-3, 200, 0, 3, 10_000
#: Rounds of the JAX entry, each paired with a run of fastmlp's (timing.timed_pairs): more
#: than the other entries', as the median of the rounds' ratios decides its target.
JAX_ROUNDS = 7
PATH_ROWS, PATH_EPOCHS = 2_000, 2  # test_jax_follows_sklearn_path
# name: (rows, features, classes (0: regression), hidden layers, epochs)
TABLES = {
    "covertype": (50_000, 54, 7, (100,), 5),
    "higgs": (200_000, 28, 2, (100,), 5),
    "regression": (100_000, 20, 0, (100,), 5),
    "deep": (50_000, 54, 7, (256, 128), 5),
}
DTYPES = ["float64", "float32"]
pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.parametrize("table", list(TABLES)),
]


def group(table):
    rows, features, classes, hidden, epochs = TABLES[table]
    sizes = "-".join(map(str, (features, *hidden, n_outputs(table))))
    target = f"{classes} classes" if classes else "regression"
    return (f"9 table {table}: {rows}x{features}, {target}, {sizes} relu, Adam, "
            f"batch {BATCH}, {epochs} epochs")


def n_outputs(table):
    classes = TABLES[table][2]
    return 1 if classes <= 2 else classes


def sizes(table):
    _, features, _, hidden, _ = TABLES[table]
    return [features, *hidden, n_outputs(table)]


def start_network(table, dtype="float64"):
    """fastmlp's Glorot initial network for ``table``: the start of PyTorch and JAX."""
    classes = TABLES[table][2]
    loss_name = "cross_entropy" if classes > 2 else "binary_cross_entropy"
    return fastmlp.MLP(sizes(table), activation="relu", init="glorot", dtype=dtype,
                       loss=loss_name if classes else "squared_error", seed=SEED)


def rows(table, benchmark):
    return CI_ROWS if benchmark.disabled else TABLES[table][0]


@cache
def data(table, n_rows):
    """Standard normal features; labels or target from a random tanh teacher network."""
    _, features, classes, _, _ = TABLES[table]
    rng = np.random.default_rng([SEED, features, classes])
    X = rng.standard_normal((TABLES[table][0], features))
    teacher = np.tanh(X @ rng.standard_normal((features, 32)) / np.sqrt(features))
    scores = teacher @ rng.standard_normal((32, max(classes, 1)))
    if classes:
        y = (3.0 * scores + rng.gumbel(size=scores.shape)).argmax(axis=1)
    else:
        target = scores[:, 0] + 0.5 * scores.std() * rng.standard_normal(len(X))
        y = (target - target.mean()) / target.std()
    return X[:n_rows], y[:n_rows]


def settings(table):
    """scikit-learn's defaults, with a fixed number of epochs."""
    _, _, _, hidden, epochs = TABLES[table]
    return dict(hidden_layer_sizes=hidden, activation="relu", solver="adam", alpha=ALPHA,
                batch_size="auto", learning_rate_init=LR, shuffle=True, random_state=SEED,
                max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1)


def estimator(library, table, **extra):
    if library == "sklearn":
        from sklearn.neural_network import MLPClassifier, MLPRegressor
    else:
        from fastmlp import MLPClassifier, MLPRegressor
    kind = MLPClassifier if TABLES[table][2] else MLPRegressor
    return kind(**settings(table), **extra)


@cache
def reference(table, n_rows):
    """scikit-learn's fit, which every entry is checked against."""
    return sklearn_fit(estimator("sklearn", table), *data(table, n_rows))


def fit_job(table, library, X, y, **extra):
    """``(train, prepare)`` for ``conftest.timed``: a fresh estimator of ``library`` for
    ``table`` fitted to ``X, y``."""
    return (lambda model: sklearn_fit(model, X, y)), (
        lambda: (estimator(library, table, **extra),))


def ours(table, X, y, *dtypes):
    """fastmlp's entries for ``table`` in ``dtypes``, for a peer's paired rounds
    (``timing.timed_pairs``)."""
    return {f"bench_fastmlp[{dtype}-{table}]": fit_job(table, "fastmlp", X, y, dtype=dtype)
            for dtype in dtypes}


def fit_timed(benchmark, table, library, paired_with=(), **extra):
    """Time ``library``'s estimator on ``table``, its rounds paired with those of fastmlp's
    entries in the dtypes ``paired_with``."""
    X, y = data(table, rows(table, benchmark))
    benchmark.group = group(table)
    train, prepare = fit_job(table, library, X, y, **extra)
    model = timed(benchmark, train, ROUNDS, prepare, ours(table, X, y, *paired_with))
    assert model.n_iter_ == TABLES[table][4]
    return model


@pytest.mark.parametrize("dtype", DTYPES)
def bench_fastmlp(benchmark, table, dtype):
    # float64's rounds alternate with float32's, for the target float32 / float64
    paired_with = ("float32",) if dtype == "float64" else ()
    model = fit_timed(benchmark, table, "fastmlp", paired_with, dtype=dtype)
    theirs = reference(table, rows(table, benchmark))
    assert model.coefs_[0].dtype == np.dtype(dtype)
    if dtype == "float64":  # same random_state, same training path
        for got, want in zip(model.coefs_ + model.intercepts_,
                             theirs.coefs_ + theirs.intercepts_, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(model.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    else:
        assert model.loss_curve_[-1] == pytest.approx(theirs.loss_curve_[-1], rel=2e-3)


def bench_sklearn(benchmark, table):
    model = fit_timed(benchmark, table, "sklearn", DTYPES)
    theirs = reference(table, rows(table, benchmark))
    for got, want in zip(model.coefs_, theirs.coefs_, strict=True):
        np.testing.assert_array_equal(got, want)
    assert model.loss_curve_[-1] < 0.9 * model.loss_curve_[0]  # the teacher's signal is there


def torch_epochs(model, X, y, table, epochs):
    """Adam with scikit-learn's L2 gradient as weight decay; per-epoch mean loss."""
    import torch

    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    step = torch.optim.Adam([{"params": weights, "weight_decay": ALPHA / BATCH},
                             {"params": biases}], lr=LR)
    classes = TABLES[table][2]
    if classes > 2:
        criterion = torch.nn.CrossEntropyLoss()
    elif classes:
        criterion = torch.nn.BCEWithLogitsLoss()
    else:
        def criterion(output, target):  # scikit-learn's squared loss, halved
            return 0.5 * torch.nn.functional.mse_loss(output, target)
    generator = torch.Generator().manual_seed(SEED)
    n_samples = X.shape[0]
    losses = np.empty(epochs)
    for epoch in range(epochs):
        order = torch.randperm(n_samples, generator=generator)
        total = 0.0
        for start in range(0, n_samples, BATCH):
            batch = order[start:start + BATCH]
            step.zero_grad()
            loss = criterion(model(X[batch]), y[batch])
            loss.backward()
            step.step()
            total += loss.item() * len(batch)
        losses[epoch] = total / n_samples
    return losses


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
def bench_pytorch(benchmark, table, dtype):
    import torch

    torch.set_num_threads(2)
    X, y = data(table, rows(table, benchmark))
    torch_dtype = getattr(torch, dtype)
    X = torch.from_numpy(X.astype(dtype))
    classes = TABLES[table][2]
    if classes > 2:
        y = torch.from_numpy(y)
    else:
        y = torch.from_numpy(y.astype(dtype).reshape(-1, 1))
    start = start_network(table, dtype)
    epochs = TABLES[table][4]
    benchmark.group = group(table)
    losses = timed(benchmark, lambda model: torch_epochs(model, X, y, table, epochs), ROUNDS,
                   lambda: (torch_network(start.weights, start.biases, "relu", torch_dtype),))
    theirs = reference(table, rows(table, benchmark))
    assert losses[-1] == pytest.approx(theirs.loss_curve_[-1], rel=0.1)


def jax_head(table, y):
    """``JaxRun``'s head for ``table`` and the targets it takes: one-hot rows for more than
    two classes, else ``y`` (one column)."""
    classes = TABLES[table][2]
    if classes > 2:
        return "softmax_ce", one_hot(y, classes)
    return ("sigmoid_bce" if classes else "squared_error"), y


@requires_jax
@pytest.mark.parametrize("dtype", DTYPES)
def bench_jax(benchmark, table, dtype):
    X, y = data(table, rows(table, benchmark))
    head, Y = jax_head(table, y)
    start = start_network(table, dtype)
    run = JaxRun("relu", head, epochs=TABLES[table][4], lr=LR, batch_size=BATCH,
                 optimizer="adam", alpha=ALPHA, shuffle=True, seed=SEED, dtype=dtype)
    benchmark.group = group(table)
    _, losses = timed_jax(benchmark, run, JAX_ROUNDS, start.weights, start.biases, X, Y,
                          ours(table, X, y, dtype))
    theirs = reference(table, rows(table, benchmark))
    assert losses[-1] == pytest.approx(theirs.loss_curve_[-1], rel=0.1)


@requires_jax
def test_jax_follows_sklearn_path(table):
    """From the same weights and without shuffling, ``JaxRun`` takes scikit-learn's steps:
    the same loss curve (L2 term included) and the same weights after two epochs."""
    X, y = data(table, PATH_ROWS)
    start = start_network(table)
    model = estimator("sklearn", table, warm_start=True)
    model.set_params(shuffle=False, max_iter=PATH_EPOCHS)
    sklearn_fit(sklearn_from_weights(model, start.weights, start.biases, X, y), X, y)
    head, Y = jax_head(table, y)
    run = JaxRun("relu", head, epochs=PATH_EPOCHS, lr=LR, batch_size=BATCH, optimizer="adam",
                 alpha=ALPHA)
    (weights, biases), losses = run(run.arguments(start.weights, start.biases, X, Y))
    np.testing.assert_allclose(losses, model.loss_curve_, rtol=1e-10)
    for got, want in zip(weights + biases, [W.T for W in model.coefs_] + model.intercepts_,
                         strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12)


def epoch_flops(n_samples, layer_sizes):
    """Multiply-adds of one epoch, 2 FLOPs each: per layer of fan_in x fan_out, the
    forward product (n x fan_in @ fan_in x fan_out) and the weight gradient
    (fan_in x n @ n x fan_out), plus the delta product (n x fan_out @ fan_out x fan_in)
    for every layer but the first. Per epoch: 54-100-7 on 50,000 rows, 1.29 GFLOP;
    28-100-1 on 200,000 rows, 2.36 GFLOP; 20-100-1 on 100,000 rows, 0.86 GFLOP;
    54-256-128-7 on 50,000 rows, 12.9 GFLOP."""
    total = 0
    for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:],
                                                  strict=True)):
        total += (3 if layer > 0 else 2) * 2 * n_samples * fan_in * fan_out
    return total


@pytest.mark.parametrize("dtype", DTYPES)
def bench_blas_floor(benchmark, table, dtype):
    """scikit-learn's products per batch: forward ``A[l] @ W[l]``; backward
    ``A[l].T @ D[l+1]`` (weight gradient) and ``D[l+1] @ W[l].T`` (delta), l > 0."""
    X, y = data(table, rows(table, benchmark))
    paired = ours(table, X, y, dtype)
    X = np.ascontiguousarray(X, dtype=dtype)
    layer_sizes = sizes(table)
    net = fastmlp.MLP(layer_sizes, activation="relu", init="glorot", dtype=dtype, seed=SEED)
    W = [np.ascontiguousarray(weights.T) for weights in net.weights]  # scikit-learn's layout
    A = [None] + [np.empty((BATCH, size), dtype) for size in layer_sizes[1:]]
    D = [None] + [np.empty((BATCH, size), dtype) for size in layer_sizes[1:]]
    grads = [np.empty_like(weights) for weights in W]
    epochs, n_layers = TABLES[table][4], len(W)

    def products():
        for _ in range(epochs):
            for start in range(0, X.shape[0], BATCH):
                A[0] = X[start:start + BATCH]
                for layer in range(n_layers):
                    np.matmul(A[layer], W[layer], out=A[layer + 1])
                D[n_layers] = A[n_layers]  # the output's delta: no elementwise work
                for layer in range(n_layers - 1, -1, -1):
                    np.matmul(A[layer].T, D[layer + 1], out=grads[layer])
                    if layer > 0:
                        np.matmul(D[layer + 1], W[layer].T, out=D[layer])

    benchmark.group = group(table)
    benchmark.extra_info["flops"] = epochs * epoch_flops(X.shape[0], layer_sizes)
    timed(benchmark, products, ROUNDS, ours=paired)
    rtol = 1e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(grads[0], np.einsum("bi,bj->ij", A[0], D[1]), rtol=rtol,
                               atol=rtol * np.abs(grads[0]).max())

