"""Training allocates nothing per batch or per epoch inside compiled code.

Numba counts the allocations of its runtime when NUMBA_NRT_STATS=1 is set before it is
imported, so the count is taken in a fresh process, around single calls of the compiled
training loop (``MLP.fit`` groups epochs into several such calls).
"""

import json
import os
import subprocess
import sys

SCRIPT = """
import json
import numpy as np
from numba.core.runtime import rtsys
import fastmlp
from fastmlp._kernels.optim import OPTIMIZER_CODES
from fastmlp.model import EpochRunner, Optimizer, OptimizerState

rng = np.random.default_rng(0)
X = rng.normal(size=(600, 5))
y = rng.integers(0, 3, 600)
net = fastmlp.MLP([5, 16, 8, 3], activation="relu", loss="cross_entropy")
net.fit(X, y, epochs=1, lr=0.01, batch_size=10)  # compile or load everything first
Y = net._targets(y, X.shape[0])
counts = {}
for epochs, batch_size in [(1, 300), (1, 10), (4, 10), (2, 1)]:
    runner = EpochRunner(net, X, Y, np.empty(0), batch_size, True,
                         np.array([1], dtype=np.uint64),
                         OptimizerState(net.parameters.size, net.dtype),
                         Optimizer(OPTIMIZER_CODES["adam"]))
    losses = np.empty(epochs)
    before = rtsys.get_allocation_stats().alloc
    runner.run(epochs, losses, 0.01)
    counts[f"{epochs}x{batch_size}"] = rtsys.get_allocation_stats().alloc - before
print(json.dumps(counts))
"""


def test_allocation_count_does_not_grow_with_batches_or_epochs():
    env = {**os.environ, "NUMBA_NRT_STATS": "1"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True,
                            capture_output=True, text=True)
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    # From 2 batches (1 epoch of 300) to 1,200 batches (2 epochs of 1): the same count.
    assert len(set(counts.values())) == 1, counts
