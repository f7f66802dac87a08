"""One seed, one result, bit for bit: the same fit gives identical weights, loss curves and
predictions from the main thread, from another thread, among concurrent fits, and whatever
the number of Numba or BLAS threads (the jobs are in ``reproducibility_jobs.py``)."""

import os
import random
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import reproducibility_jobs as jobs
import scipy.sparse

import fastmlp

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def reference():
    return jobs.run_all()


def assert_same_bits(got, reference):
    assert got.keys() == reference.keys()
    for name in reference:
        assert np.array_equal(got[name], reference[name]), (
            f"{name}: differs by up to {np.abs(got[name] - reference[name]).max():.3g}"
        )


def test_the_jobs_split_their_batches_into_groups():
    """Otherwise the thread count could not change anything and the tests below would
    prove nothing about it."""
    wide = fastmlp.MLP([10, 32, 1])
    table = fastmlp.MLP([64, 96, 3])
    assert wide.workspace(jobs.WIDE_X)["group_grads"].shape[0] == 8
    assert table.workspace(np.empty((1, 64)), 600)["group_grads"].shape[0] == 4
    sparse = scipy.sparse.csr_array((2_000, 200))
    assert fastmlp.MLP([200, 32, 1]).workspace(sparse)["group_grads"].shape[0] > 1


def test_a_second_run_in_the_main_thread_gives_the_same_bits(reference):
    assert_same_bits(jobs.run_all(), reference)


def test_another_thread_gives_the_same_bits(reference):
    results = {}
    thread = threading.Thread(target=lambda: results.update(jobs.run_all()))
    thread.start()
    thread.join()
    assert_same_bits(results, reference)


def test_concurrent_fits_in_a_thread_pool_give_the_same_bits(reference):
    names = list(jobs.JOBS) * 2
    random.Random(0).shuffle(names)
    with ThreadPoolExecutor(max_workers=4) as pool:
        outputs = list(pool.map(lambda name: jobs.JOBS[name](), names))
    for name, output in zip(names, outputs, strict=True):
        assert_same_bits({name: output}, {name: reference[name]})


def test_a_blas_limit_set_by_the_caller_changes_nothing(reference):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        assert_same_bits(jobs.run_all(), reference)


@pytest.mark.parametrize("setting", [
    {"NUMBA_NUM_THREADS": "1"},
    {"NUMBA_NUM_THREADS": "2"},
    {"NUMBA_NUM_THREADS": "4"},
    {"NUMBA_NUM_THREADS": "8"},
    {"OPENBLAS_NUM_THREADS": "1"},
], ids=lambda setting: "-".join(f"{key}={value}" for key, value in setting.items()))
def test_a_process_with_other_thread_counts_gives_the_same_bits(setting, reference, tmp_path):
    assert_same_bits(jobs_in_a_process(tmp_path / "jobs.npz", setting), reference)


def test_a_process_that_loads_its_kernels_gives_the_bits_of_one_that_compiled_them(tmp_path):
    """On an empty compile cache, the first process compiles every kernel and the second
    loads them all: a kernel's code must not depend on which happened (a callee's code
    optimised into its caller's in one case, called separately in the other, could round
    differently). Compiled for the host, not loaded from the kernels shipped compiled."""
    setting = {"NUMBA_CACHE_DIR": str(tmp_path / "cache"), "FASTMLP_PREBUILT": "0"}
    compiled = jobs_in_a_process(tmp_path / "compiled.npz", setting)
    loaded = jobs_in_a_process(tmp_path / "loaded.npz", setting)
    assert_same_bits(loaded, compiled)


def jobs_in_a_process(out, setting):
    """Every job's result, computed in a new process with the environment ``setting``."""
    package_root = Path(fastmlp.__file__).resolve().parents[1]  # the fastmlp under test
    path = os.pathsep.join(filter(None, (str(package_root), os.environ.get("PYTHONPATH"))))
    child = subprocess.run(
        [sys.executable, str(Path(jobs.__file__)), str(out)],
        env={**os.environ, **setting, "PYTHONPATH": path},
        capture_output=True, text=True, timeout=1800,
    )
    assert child.returncode == 0, child.stderr
    with np.load(out) as saved:
        return dict(saved)


def test_threads_predicting_with_one_shared_model_give_the_bits_of_one_thread():
    """Serving: many threads call one fitted model at once, with row counts small enough
    for the loops and large enough for BLAS; each call owns its buffers."""
    model = fastmlp.MLPClassifier(hidden_layer_sizes=(96,), max_iter=2, random_state=0)
    model.fit(jobs.TABLE_X, jobs.TABLE_y)
    row_counts = [1, 7, 100, 3_000] * 4
    alone = {n: model.predict_proba(jobs.TABLE_X[:n]) for n in row_counts}
    with ThreadPoolExecutor(max_workers=8) as pool:
        served = list(pool.map(lambda n: model.predict_proba(jobs.TABLE_X[:n]), row_counts))
    for n, probabilities in zip(row_counts, served, strict=True):
        assert np.array_equal(probabilities, alone[n])
