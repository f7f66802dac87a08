"""Training allocates nothing per batch or per epoch inside compiled code, and
prediction nothing but its output.

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


def counted(script):
    """The JSON that ``script`` prints last, run in a process that counts Numba's
    allocations."""
    env = {**os.environ, "NUMBA_NRT_STATS": "1"}
    result = subprocess.run([sys.executable, "-c", script], env=env, check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_allocation_count_does_not_grow_with_batches_or_epochs():
    counts = counted(SCRIPT)
    # From 2 batches (1 epoch of 300) to 1,200 batches (2 epochs of 1): nothing at all.
    # The loops are compiled without Numba's runtime, so not even the call boundary
    # makes its descriptors of the array arguments.
    assert set(counts.values()) == {0}, counts


PREDICT_SCRIPT = """
import json, tracemalloc
import numpy as np
from numba.core.runtime import rtsys
import fastmlp

rng = np.random.default_rng(0)
net = fastmlp.MLP([40, 128, 64, 5], activation="relu", loss="cross_entropy")
model = fastmlp.MLPClassifier((16,), max_iter=2).fit(rng.normal(size=(60, 40)),
                                                    rng.integers(0, 3, 60))
report = {}
for rows in (1, 100, 5000):
    X = rng.normal(size=(rows, 40))
    for name, predict in (("MLP", net.predict_proba), ("estimator", model.predict_proba)):
        predict(X)  # warm: compiled, buffers made
        predict(X)
        before = rtsys.get_allocation_stats().alloc
        tracemalloc.start()
        result = predict(X)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        report[f"{name} {rows}"] = {"kernel": rtsys.get_allocation_stats().alloc - before,
                                    "peak": peak, "output": result.nbytes}
print(json.dumps(report))
"""


def test_prediction_allocates_only_its_output_once_warm():
    report = counted(PREDICT_SCRIPT)
    for name, counts in report.items():
        # Inside compiled code nothing, for 1 row, for 100 and for rows split across
        # threads and handed to BLAS.
        assert counts["kernel"] == 0, (name, counts)
        # The output, plus Python's own small objects (the call's tuples, and for large
        # inputs the parts handed to other threads): no buffer of the size of the data.
        assert counts["peak"] <= counts["output"] + 16_384, (name, counts)


def test_kernels_compiled_without_the_runtime_return_no_array():
    """Such a kernel returns an array without acquiring it; a caller compiled with Numba's
    runtime (a user's own ``njit`` code, say) would release it on return and free memory
    still in use. So none may return one, whatever the network, head or optimizer."""
    import gc

    import numpy as np
    from numba import types
    from numba.core.registry import CPUDispatcher

    import fastmlp

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(400, 6)), rng.integers(0, 3, 400)
    for loss, output, target in (("cross_entropy", None, y),
                                 ("squared_error", "tanh", rng.uniform(-1, 1, (400, 3))),
                                 ("poisson", None, rng.poisson(1.0, (400, 3)))):
        for dtype in ("float64", "float32"):
            net = fastmlp.MLP([6, 300, 4, 3], activation=["relu", "tanh"], loss=loss,
                              output=output, dtype=dtype)
            net.fit(X, target, epochs=1, batch_size=200, optimizer="adam", dropout=0.1)
            net.predict(X)
    fastmlp.MLPClassifier((8,), max_iter=2, solver="lbfgs").fit(X, y).predict_proba(X)
    fastmlp.Playground(dataset="spiral", hidden=[4], seed=0).run(epochs=1)
    from fastmlp._kernels import mathfn

    mathfn.tanh_array(X[:, 0].copy(), np.empty(400))  # returns its output: has the runtime

    def holds_array(kind):
        if isinstance(kind, types.BaseTuple):
            return any(holds_array(member) for member in kind)
        return isinstance(kind, types.Array)

    checked = []
    for dispatcher in gc.get_objects():
        # type(), not isinstance(): the latter dereferences a weak proxy among the objects,
        # and raises once its referent is gone (left by earlier tests' compilations).
        if not (issubclass(type(dispatcher), CPUDispatcher)
                and dispatcher.py_func.__module__.startswith("fastmlp")
                and dispatcher.targetoptions.get("_nrt") is False):
            continue
        for compiled in dispatcher.overloads.values():
            checked.append(dispatcher.py_func.__qualname__)
            assert not holds_array(compiled.signature.return_type), (
                dispatcher.py_func.__qualname__, compiled.signature)
    assert {"train_epochs", "predict", "affine_forward", "softmax_ce_loss"} <= set(checked)
