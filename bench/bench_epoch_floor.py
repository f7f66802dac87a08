"""The floor of one epoch of the two-moons job (workload 1), measured piece by piece.

One full-batch epoch of the 2-10-1 tanh network on 350 samples cannot take less than:

* the hidden layer's tanh over 10 x 350 values, with the fastest tanh this machine has
  (fastmlp's compiled one or numpy's ufunc, whichever is faster here:
  ``bench_floor_piece[tanh-...]``);
* the output head: one exponential and one logarithm per sample (the sigmoid's
  ``e^-|z|`` and the cross-entropy's ``log1p``), the fastest of each
  (``bench_floor_piece[head-...]``);
* the epoch's multiply-adds, :data:`EPOCH_MULTIPLY_ADDS`, at the rate of a matrix product
  that fits in the cache, done by BLAS on one thread (``bench_floor_fma``, its count in
  ``extra_info``): the vector multiply-add rate one core reaches in practice.

The epoch runs in one thread, so every piece is measured on one. ``bench/report.py`` adds
the pieces and divides fastmlp's epoch (``bench_fastmlp[dtype]`` of workload 1, over its
1000 epochs) by the sum; ``docs/derivations/arrays-and-speed.md`` derives the count.

Those entries run minutes apart, and on a shared machine the load moves between them.
``bench_floor_paired`` therefore also alternates, round by round, workload 1's fit with
every piece (both implementations of tanh and of the head, the fastest taken in each
round), and records the median of the round-by-round ratios epoch / floor, which the
report uses for the target.
"""

import time

import numba
import numpy as np
import pytest
from bench_two_moons_job import EPOCHS, job

from fastmlp._kernels import mathfn

SAMPLES, HIDDEN = 350, 10
#: Forward: 350 x (2 x 10 + 10 x 1); backward: the output layer's weight gradient
#: (350 x 10), the hidden delta (350 x 10) and the hidden layer's weight gradient
#: (350 x 2 x 10).
EPOCH_MULTIPLY_ADDS = SAMPLES * (2 * HIDDEN + HIDDEN) + SAMPLES * (HIDDEN + HIDDEN + 2 * HIDDEN)
#: Side of the square matrices of the rate measurement: three of them fit in L2.
PRODUCT_SIDE = 128
REPEATS = 200
ROUNDS_PAIRED = 15
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
        mathfn.log1p_unit_array(e, logs)


def _per_call(benchmark, run, n=REPEATS):
    """Time ``run(n)`` (``n`` calls of the piece) and report the time of one call."""
    run(1)
    benchmark.extra_info["calls_per_round"] = n
    benchmark.pedantic(run, args=(n,), rounds=15 if not benchmark.disabled else 1,
                       iterations=1)


def tanh_piece(dtype, implementation):
    """``(run(n), check())``: ``n`` tanh over the hidden layer's values, and the check of
    the last result."""
    x = np.random.default_rng(0).uniform(-3, 3, HIDDEN * SAMPLES).astype(dtype)
    out = np.empty_like(x)
    if implementation == "fastmlp":
        def run(n):
            _repeat_tanh(x, out, n)
    else:
        def run(n):
            for _ in range(n):
                np.tanh(x, out=out)

    def check():
        np.testing.assert_allclose(out, np.tanh(x.astype(np.float64)),
                                   rtol=1e-6 if dtype == "float32" else 1e-14)

    return run, check


def head_piece(dtype, implementation):
    """``(run(n), check())`` for the head's ``e^-|z|`` and ``log(1 + e^-|z|)`` over the
    samples."""
    x = -np.abs(np.random.default_rng(1).normal(0, 3, SAMPLES)).astype(dtype)
    e, logs = np.empty_like(x), np.empty_like(x)
    if implementation == "fastmlp":
        def run(n):
            _repeat_head(x, e, logs, n)
    else:
        def run(n):
            for _ in range(n):
                np.exp(x, out=e)
                np.log1p(e, out=logs)

    def check():
        np.testing.assert_allclose(logs, np.log1p(np.exp(x.astype(np.float64))),
                                   rtol=1e-6 if dtype == "float32" else 1e-14)

    return run, check


def fma_piece(dtype):
    """``(run(n), check())``: ``n`` products of two :data:`PRODUCT_SIDE` square matrices
    (the caller holds BLAS to one thread)."""
    rng = np.random.default_rng(2)
    A, B = (rng.standard_normal((PRODUCT_SIDE, PRODUCT_SIDE)).astype(dtype) for _ in range(2))
    C = np.empty_like(A)

    def run(n):
        for _ in range(n):
            np.matmul(A, B, out=C)

    def check():
        np.testing.assert_allclose(C, A.astype(np.float64) @ B,
                                   rtol=1e-3 if dtype == "float32" else 1e-10, atol=1e-3)

    return run, check


IMPLEMENTATIONS = ["fastmlp", "numpy"]
PIECES = {"tanh": tanh_piece, "head": head_piece}


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("piece", list(PIECES))
def bench_floor_piece(benchmark, piece, dtype, implementation):
    run, check = PIECES[piece](dtype, implementation)
    benchmark.group = f"{GROUP}: {piece}, {dtype}"
    _per_call(benchmark, run)
    check()


@pytest.mark.parametrize("dtype", DTYPES)
def bench_floor_fma(benchmark, dtype):
    from threadpoolctl import threadpool_limits

    run, check = fma_piece(dtype)
    benchmark.group = f"{GROUP}: multiply-add rate, {dtype}"
    benchmark.extra_info["multiply_adds"] = PRODUCT_SIDE**3
    with threadpool_limits(1, user_api="blas"):
        _per_call(benchmark, run, n=20)
    check()


def _seconds(run, n):
    began = time.perf_counter()
    run(n)
    return (time.perf_counter() - began) / n


@pytest.mark.parametrize("dtype", DTYPES)
def bench_floor_paired(benchmark, dtype, moons):
    """Workload 1's fit and the floor's pieces in turn, ``ROUNDS_PAIRED`` rounds: the
    benchmark's own time is a whole round; ``extra_info["paired"]`` has the medians of the
    epoch, of the floor and of the round-by-round ratio epoch / floor."""
    from threadpoolctl import threadpool_limits

    X, y = moons
    train, prepare = job(dtype, X, y)
    pieces = {piece: [make(dtype, name) for name in IMPLEMENTATIONS]
              for piece, make in PIECES.items()}
    fma, fma_check = fma_piece(dtype)
    rounds = []

    def one_round():
        # One untimed fit first, so that the timed one follows a fit, not the pieces (which
        # run on one thread: no other library's threads are left spinning here).
        train(*prepare())
        prepare()
        began = time.perf_counter()
        train()
        epoch = (time.perf_counter() - began) / EPOCHS
        figures = {piece: min(_seconds(run, REPEATS) for run, _ in runs)
                   for piece, runs in pieces.items()}
        with threadpool_limits(1, user_api="blas"):
            rate = PRODUCT_SIDE**3 / _seconds(fma, 20)
        figures["multiply-adds"] = EPOCH_MULTIPLY_ADDS / rate
        rounds.append((epoch, sum(figures.values())))

    one_round()  # compiles and loads every piece
    rounds.clear()
    benchmark.group = f"{GROUP}: paired, {dtype}"
    benchmark.pedantic(one_round, rounds=ROUNDS_PAIRED if not benchmark.disabled else 1,
                       iterations=1)
    for runs in pieces.values():
        for _, check in runs:
            check()
    fma_check()
    epochs, floors = np.array(rounds).T
    benchmark.extra_info["paired"] = {"epoch_seconds": float(np.median(epochs)),
                                      "floor_seconds": float(np.median(floors)),
                                      "ratio": float(np.median(epochs / floors))}


def paired_floor(groups, extra, dtype):
    """``bench_floor_paired``'s figures for ``dtype`` (see there), or None if not run."""
    group = f"{GROUP}: paired, {dtype}"
    name = f"bench_floor_paired[{dtype}]"
    if name not in groups.get(group, {}):
        return None
    return extra[(group, name)].get("paired")


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
