"""Memory stays bounded: repeated fits leak nothing, and predicting many rows needs only
the output array plus chunk-sized work buffers."""

import tracemalloc
import warnings
from pathlib import Path

import numpy as np

import fastmlp
from fastmlp import model


def resident_bytes():
    """Current resident set size of this process (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE")


#: Fit/predict cycles measured, and the smallest leak per cycle the test must catch.
CYCLES = 3000
SMALLEST_LEAK = 8 * 2**10
#: A third of what that leak would add over the cycles (7.8 MiB); without a leak the growth
#: measures about 0.3 MiB (allocator pools settling), some twenty-five times less.
GROWTH_LIMIT = CYCLES * SMALLEST_LEAK // 3


def test_repeated_fit_predict_cycles_do_not_grow_resident_memory(rng):
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] * X[:, 1] > 0).astype(float)

    def cycle():
        net = fastmlp.MLP([4, 16, 1], activation="relu", init="glorot", seed=0)
        net.fit(X, y, epochs=5, lr=0.1, batch_size=32)
        net.predict_proba(X)
        estimator = fastmlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
        estimator.fit(X, y).predict(X)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(100):  # warm-up: compiled code, caches, allocator pools
            cycle()
        before = resident_bytes()
        for _ in range(CYCLES):
            cycle()
        growth = resident_bytes() - before
    print(f"resident memory growth over {CYCLES} cycles: {growth / 2**20:.2f} MiB")
    assert growth < GROWTH_LIMIT  # a leak of SMALLEST_LEAK per cycle adds three times this


def test_predicting_ten_million_rows_uses_only_the_output_and_chunk_buffers(rng):
    X = rng.uniform(-1.0, 1.0, size=(10_000_000, 2))
    net = fastmlp.MLP([2, 16, 16, 1], activation="tanh", seed=0)
    net.predict_proba(X[:10])  # compile before measuring
    tracemalloc.start()
    try:
        probabilities = net.predict_proba(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    output = probabilities.nbytes
    extra = peak - output
    print(f"predict on 10^7 rows: output {output / 2**20:.0f} MiB, "
          f"everything else {extra / 2**20:.2f} MiB")
    # Work buffers hold CHUNK_SAMPLES samples per layer: well under a megabyte here.
    chunk_buffers = 4 * model.CHUNK_SAMPLES * sum(net.sizes) * 8
    assert extra < chunk_buffers + 2**20
    assert np.isfinite(probabilities).all()
