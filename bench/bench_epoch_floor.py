"""The floor of one epoch of the two-moons job (workload 1), measured piece by piece.

One full-batch epoch of the 2-10-1 tanh network on 350 samples cannot take less than:

* the hidden layer's tanh over 10 x 350 values, with the fastest tanh this machine has
  (fastmlp's compiled one or numpy's ufunc, whichever is faster here:
  ``bench_floor_tanh``);
* the output head: one exponential and one logarithm per sample (the sigmoid's
  ``e^-|z|`` and the cross-entropy's ``log1p``), the fastest of each
  (``bench_floor_head``);
* the epoch's multiply-adds, :data:`EPOCH_MULTIPLY_ADDS`, at the rate of a matrix product
  that fits in the cache, done by BLAS on one thread (``bench_floor_fma``, its count in
  ``extra_info``): the vector multiply-add rate one core reaches in practice.

The epoch runs in one thread, so every piece is measured on one. ``bench/report.py`` adds
the pieces and divides fastmlp's epoch (``bench_fastmlp[dtype]`` of workload 1, over its
1000 epochs) by the sum; ``docs/derivations/arrays-and-speed.md`` derives the count.
"""

import numba
import numpy as np
import pytest

from fastmlp._kernels import mathfn

SAMPLES, HIDDEN = 350, 10
#: Forward: 350 x (2 x 10 + 10 x 1); backward: the output layer's weight gradient
#: (350 x 10), the hidden delta (350 x 10) and the hidden layer's weight gradient
#: (350 x 2 x 10).
EPOCH_MULTIPLY_ADDS = SAMPLES * (2 * HIDDEN + HIDDEN) + SAMPLES * (HIDDEN + HIDDEN + 2 * HIDDEN)
#: Side of the square matrices of the rate measurement: three of them fit in L2.
PRODUCT_SIDE = 128
REPEATS = 200
DTYPES = ["float64", "float32"]
GROUP = "two-moons epoch floor"


@numba.njit
def _repeat_tanh(x, out, n):
    for _ in range(n):
        mathfn.tanh_array(x, out)


@numba.njit
def _repeat_head(x, e, logs, n):
    for _ in range(n):
        mathfn.exp_array(x, e)
        mathfn.log_array(e, logs)


def _per_call(benchmark, run, n=REPEATS):
    """Time ``run(n)`` (``n`` calls of the piece) and report the time of one call."""
    run(1)
    benchmark.extra_info["calls_per_round"] = n
    benchmark.pedantic(run, args=(n,), rounds=15 if not benchmark.disabled else 1,
                       iterations=1)


@pytest.mark.parametrize("implementation", ["fastmlp", "numpy"])
@pytest.mark.parametrize("dtype", DTYPES)
def bench_floor_tanh(benchmark, dtype, implementation):
    x = np.random.default_rng(0).uniform(-3, 3, HIDDEN * SAMPLES).astype(dtype)
    out = np.empty_like(x)
    benchmark.group = f"{GROUP}: tanh, {dtype}"
    if implementation == "fastmlp":
        _per_call(benchmark, lambda n: _repeat_tanh(x, out, n))
    else:
        def run(n):
            for _ in range(n):
                np.tanh(x, out=out)
        _per_call(benchmark, run)
    np.testing.assert_allclose(out, np.tanh(x.astype(np.float64)),
                               rtol=1e-6 if dtype == "float32" else 1e-14)


@pytest.mark.parametrize("implementation", ["fastmlp", "numpy"])
@pytest.mark.parametrize("dtype", DTYPES)
def bench_floor_head(benchmark, dtype, implementation):
    x = -np.abs(np.random.default_rng(1).normal(0, 3, SAMPLES)).astype(dtype)
    e, logs = np.empty_like(x), np.empty_like(x)
    benchmark.group = f"{GROUP}: head, {dtype}"
    if implementation == "fastmlp":
        _per_call(benchmark, lambda n: _repeat_head(x, e, logs, n))
    else:
        def run(n):
            for _ in range(n):
                np.exp(x, out=e)
                np.log(e, out=logs)
        _per_call(benchmark, run)
    np.testing.assert_allclose(logs, x, rtol=1e-5 if dtype == "float32" else 1e-13)


@pytest.mark.parametrize("dtype", DTYPES)
def bench_floor_fma(benchmark, dtype):
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(2)
    A, B = (rng.standard_normal((PRODUCT_SIDE, PRODUCT_SIDE)).astype(dtype) for _ in range(2))
    C = np.empty_like(A)
    benchmark.group = f"{GROUP}: multiply-add rate, {dtype}"
    benchmark.extra_info["multiply_adds"] = PRODUCT_SIDE**3

    def run(n):
        for _ in range(n):
            np.matmul(A, B, out=C)

    with threadpool_limits(1, user_api="blas"):
        _per_call(benchmark, run, n=20)
    np.testing.assert_allclose(C, A.astype(np.float64) @ B,
                               rtol=1e-3 if dtype == "float32" else 1e-10, atol=1e-3)


def epoch_floor(groups, extra, dtype):
    """``(floor seconds per epoch, {piece: seconds})`` from a run's medians (seconds per
    round, ``calls_per_round`` calls each), or None if a piece was not run."""
    pieces = {}
    for piece in ("tanh", "head"):
        entries = groups.get(f"{GROUP}: {piece}, {dtype}", {})
        if not entries:
            return None
        pieces[piece] = min(seconds / extra[(f"{GROUP}: {piece}, {dtype}", name)]
                            ["calls_per_round"] for name, seconds in entries.items())
    rate_group = f"{GROUP}: multiply-add rate, {dtype}"
    name = f"bench_floor_fma[{dtype}]"
    if name not in groups.get(rate_group, {}):
        return None
    info = extra[(rate_group, name)]
    rate = info["multiply_adds"] * info["calls_per_round"] / groups[rate_group][name]
    pieces["multiply-adds"] = EPOCH_MULTIPLY_ADDS / rate
    return sum(pieces.values()), pieces
