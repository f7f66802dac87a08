"""Workload 7, memory: resident memory of a fresh process that trains workload 4
(60,000 x 784 float32, 784-256-128-10, batch 128, one epoch).

Reported: the data's size, the resident memory just before ``fit`` (Python, numpy, Numba
and the loaded kernels, SciPy's BLAS, the data) and the peak after it. Asserted: training
itself, the peak's growth over the resident memory before ``fit``, stays within 200 MB
(it copies no data and allocates nothing per batch; tests/test_allocations.py checks the
latter).
"""

import json
import subprocess
import sys
from pathlib import Path

MEGABYTE = 1 << 20
ALLOWANCE = 200 * MEGABYTE

SCRIPT = """
import json
from baselines import synthetic_mnist
import fastmlp

def status_bytes(field):
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024

X, y = synthetic_mnist(60_000, 784, 10)
net = fastmlp.MLP([784, 256, 128, 10], activation="relu", loss="cross_entropy", init="he",
                  dtype="float32")
net.fit(X[:256], y[:256], epochs=1, lr=0.01, batch_size=128)  # load the compiled kernels
with open("/proc/self/clear_refs", "w") as clear_refs:
    clear_refs.write("5")  # reset the peak (VmHWM) so that compiling is not counted
before_fit = status_bytes("VmRSS")
net.fit(X, y, epochs=1, lr=0.01, batch_size=128)
peak = status_bytes("VmHWM")
print(json.dumps({"data_bytes": X.nbytes + y.nbytes, "before_fit_bytes": before_fit,
                  "peak_bytes": peak}))
"""


def measure_memory():
    """Memory figures (bytes) of workload 4 in a fresh process; see the module docstring."""
    result = subprocess.run([sys.executable, "-c", SCRIPT], check=True, capture_output=True,
                            text=True, cwd=Path(__file__).parent)
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench_training_memory_within_200_mb():
    figures = measure_memory()
    assert figures["peak_bytes"] - figures["before_fit_bytes"] <= ALLOWANCE, figures
