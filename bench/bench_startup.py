"""Workload 6, start-up: a fresh Python process that imports the library and runs the
two-moons job (data loaded from a file), fastmlp against scikit-learn's MLPClassifier, with
fastmlp's compile cache warm. The cold-cache (first-ever) time is recorded once in the
fastmlp entry's extra_info."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import timed

ROUNDS = 5
GROUP = "6 start-up: fresh process, import + two-moons job"

JOBS = {
    "fastmlp": """
import sys, numpy as np
import fastmlp
data = np.load(sys.argv[1])
net = fastmlp.MLP([2, 10, 1], seed=0).fit(data["X"], data["y"], epochs=1000, lr=0.5)
assert (net.predict(data["X"]) == data["y"]).mean() > 0.95
""",
    "sklearn": """
import sys, warnings, numpy as np
from sklearn.neural_network import MLPClassifier
data = np.load(sys.argv[1])
warnings.simplefilter("ignore")
net = MLPClassifier((10,), activation="tanh", solver="sgd", alpha=0.0, batch_size=350,
                    learning_rate_init=0.5, momentum=0.0, max_iter=1000, shuffle=False,
                    tol=0.0, n_iter_no_change=1001, random_state=0).fit(data["X"], data["y"])
assert (net.predict(data["X"]) == data["y"]).mean() > 0.95
""",
}


@pytest.fixture(scope="module")
def data_file(moons, tmp_path_factory):
    path = tmp_path_factory.mktemp("startup") / "moons.npz"
    np.savez(path, X=moons[0], y=moons[1])
    return str(path)


def run(job, data_file, env=None):
    subprocess.run([sys.executable, "-c", JOBS[job], data_file], check=True, env=env)


@pytest.mark.parametrize("job", JOBS)
def bench_startup(benchmark, data_file, job, tmp_path):
    benchmark.group = GROUP
    if job == "fastmlp" and not benchmark.disabled:
        cold_env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "empty-cache")}
        start = time.perf_counter()
        run(job, data_file, cold_env)
        benchmark.extra_info["cold_cache_seconds"] = time.perf_counter() - start
    timed(benchmark, lambda: run(job, data_file), ROUNDS)
