"""One epoch streamed from disk through Dask-ML's ``Incremental``, against the same
``partial_fit`` calls on blocks already in memory.

400 000 x 50 float64 rows in 40 memory-mapped blocks of 10 000 (``da.from_npy_stack``),
``MLPClassifier(hidden_layer_sizes=(64,))``, Adam, batches of 200. Prints the median of
five epochs for each way, after one untimed epoch (compiling or loading the kernels,
starting the workers). Needs the ``dask`` extra: ``python bench/dask_streaming.py``.
"""

import statistics
import tempfile
import time
from pathlib import Path

import dask.array as da
import numpy as np
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster

from fastmlp import MLPClassifier

ROUNDS = 5


def median_seconds(run):
    run()
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    seeds = iter(range(1000))  # a new model per run: Dask reuses the result of an identical graph

    def model():
        return MLPClassifier(hidden_layer_sizes=(64,), random_state=next(seeds))

    with tempfile.TemporaryDirectory() as scratch:
        features = da.random.default_rng(0).normal(size=(400_000, 50), chunks=(10_000, 50))
        da.to_npy_stack(Path(scratch, "X"), features)
        da.to_npy_stack(Path(scratch, "y"), (features[:, 0] > 0).astype(np.int64))
        X, y = da.from_npy_stack(Path(scratch, "X")), da.from_npy_stack(Path(scratch, "y"))

        X_blocks = [np.array(block.compute()) for block in X.blocks]  # copies, not maps
        y_blocks = [np.array(block.compute()) for block in y.blocks]

        def in_memory():
            estimator = model()
            for X_block, y_block in zip(X_blocks, y_blocks, strict=True):
                estimator.partial_fit(X_block, y_block, classes=[0, 1])

        print(f"partial_fit on blocks in memory:            {median_seconds(in_memory):.3f} s")
        for processes in (False, True):
            with (
                LocalCluster(n_workers=2 if processes else 1,
                             threads_per_worker=1 if processes else 2, processes=processes,
                             dashboard_address=None) as cluster,
                Client(cluster),
            ):
                def streamed():
                    Incremental(model(), shuffle_blocks=False).fit(X, y, classes=[0, 1])

                label = "two worker processes" if processes else "threads, processes=False"
                print(f"Incremental, {label + ':':30} {median_seconds(streamed):.3f} s")


if __name__ == "__main__":
    main()
