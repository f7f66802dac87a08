"""Workload 4, large: 60,000 x 784 float32 synthetic data (MNIST-shaped), 784-256-128-10
ReLU, softmax + cross-entropy, batch 128, one epoch of SGD (lr 0.01), both cores. fastmlp
against PyTorch with 2 threads and JAX (XLA spreads its products over the cores), from the
same weights, and the machine's bound: the work's FLOPs at the float32 matrix-product rate
measured in the same run (``bench_matmul_rate``).
"""

import numpy as np
import pytest
from baselines import synthetic_mnist, torch_network, torch_train
from conftest import fit_job, requires_jax, requires_torch, timed, timed_fit
from jax_peer import JaxRun, one_hot, timed_jax

import fastmlp

N_SAMPLES, SIZES, BATCH, LR, ROUNDS = 60_000, [784, 256, 128, 10], 128, 0.01, 3
#: Rounds of the JAX entry, each paired with a run of fastmlp's (timing.timed_pairs): more
#: than the other entries', as the median of the rounds' ratios decides its target.
JAX_ROUNDS = 5
GROUP = "4 large: 60000x784 float32, 784-256-128-10 relu, batch 128, 1 epoch"
MATMUL_SIZE = 2048


def epoch_flops(n_samples=N_SAMPLES, sizes=SIZES):
    """Multiply-add work of one epoch, 2 FLOPs each: forward, weight gradient, and the
    delta of every layer but the input."""
    total = 0
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        products = 3 if layer > 0 else 2
        total += products * 2 * n_samples * fan_in * fan_out
    return total


@pytest.fixture(scope="module")
def data():
    return synthetic_mnist(N_SAMPLES, SIZES[0], SIZES[-1])


@pytest.fixture(scope="module")
def start():
    return fastmlp.MLP(SIZES, activation="relu", loss="cross_entropy", init="he",
                       dtype="float32", seed=0)


def network():
    return fastmlp.MLP(SIZES, activation="relu", loss="cross_entropy", dtype="float32")


FIT_SETTINGS = dict(epochs=1, lr=LR, batch_size=BATCH, shuffle=False)


@pytest.fixture(scope="module")
def fastmlp_loss(data, start):
    X, y = data
    net = network()
    net.parameters[...] = start.parameters
    return net.fit(X, y, **FIT_SETTINGS).history["loss"][0]


def ours(X, y, start):
    """fastmlp's entry, for a peer's paired rounds (``timing.timed_pairs``)."""
    return {"bench_fastmlp": fit_job(network(), start.parameters, X, y, **FIT_SETTINGS)}


def bench_fastmlp(benchmark, data, start, fastmlp_loss):
    X, y = data
    net = network()
    benchmark.group = GROUP
    benchmark.extra_info["flops"] = epoch_flops()
    timed_fit(benchmark, net, start.parameters, ROUNDS, X, y, **FIT_SETTINGS)
    assert net.history["loss"][0] == fastmlp_loss
    assert fastmlp_loss < np.log(10)  # it learned something within the epoch


@requires_torch
def bench_pytorch(benchmark, data, start, fastmlp_loss):
    import torch

    X, y = data
    torch.set_num_threads(2)
    benchmark.group = GROUP
    curve = timed(
        benchmark,
        lambda model: torch_train(model, X, y, 1, LR, BATCH, "cross_entropy"),
        ROUNDS,
        lambda: (torch_network(start.weights, start.biases, "relu", torch.float32),),
        ours(X, y, start),
    )
    # Same weights, same order, float32 both: only the summation order differs.
    assert curve[0] == pytest.approx(fastmlp_loss, rel=1e-3)


@requires_jax
def bench_jax(benchmark, data, start, fastmlp_loss):
    X, y = data
    run = JaxRun("relu", "softmax_ce", epochs=1, lr=LR, batch_size=BATCH, dtype="float32")
    benchmark.group = GROUP
    _, curve = timed_jax(benchmark, run, JAX_ROUNDS, start.weights, start.biases, X,
                         one_hot(y, SIZES[-1]), ours(X, y, start))
    # Same weights, same order, float32 both: only the summation order differs, and over
    # 468 float32 steps each drifts from a float64 run of the same steps by up to 1e-4
    # (measured: JAX 3.0e-5, fastmlp 9.1e-5, PyTorch 8.3e-5), so PyTorch's tolerance.
    assert curve[0] == pytest.approx(fastmlp_loss, rel=1e-3)


def bench_matmul_rate(benchmark):
    """float32 matrix product rate of numpy's BLAS here: the bound's denominator."""
    rng = np.random.default_rng(0)
    A = rng.random((MATMUL_SIZE, MATMUL_SIZE), dtype=np.float32)
    B = rng.random((MATMUL_SIZE, MATMUL_SIZE), dtype=np.float32)
    out = np.empty_like(A)
    benchmark.group = "4 large: float32 matmul rate"
    benchmark.extra_info["flops"] = 2 * MATMUL_SIZE**3
    timed(benchmark, lambda: np.dot(A, B, out=out), 7)
    np.testing.assert_allclose(out[0, :5], A[0] @ B[:, :5], rtol=1e-4)
