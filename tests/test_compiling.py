"""Compiling ahead of use (``fastmlp.compile``, ``fastmlp compile``) and telling a user
whether the kernels were compiled or loaded."""

import functools
import os
import subprocess
import sys
import threading

import numba
import pytest

import fastmlp
from fastmlp import _numba_internals
from fastmlp._kernels import network
from fastmlp.compiling import COMPILING_MESSAGE, CompileWatch

#: These tests are about compiling: a kernel shipped compiled (fastmlp._prebuilt) would be
#: loaded instead.
COMPILE_FOR_THE_HOST = {"FASTMLP_PREBUILT": "0"}


def run_python(arguments, cache, timeout=900):
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(cache), **COMPILE_FOR_THE_HOST}
    result = subprocess.run([sys.executable, *arguments], env=environment, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result


def test_compile_watch_counts_compilations_and_announces_the_first_before_it_starts():
    announced = []
    increment = numba.njit(lambda x: x + 1)  # a new function: never in any cache

    def announce():
        announced.append(len(increment.signatures))  # nothing compiled yet at this point

    with CompileWatch(on_first_compile=announce) as first:
        assert increment(1) == 2
        assert increment(1.5) == 2.5
    assert first.compiled == 2 and first.compile_seconds > 0
    assert announced == [0]
    with CompileWatch(on_first_compile=announce) as second:
        assert increment(2) == 3
    assert second.compiled == 0 and second.compile_seconds == 0
    assert announced == [0]
    assert "loaded" in second.summary() and "compiled" in first.summary()


FIRST_USES = """
import json, numpy as np, fastmlp
from fastmlp._kernels import network
from fastmlp.compiling import CompileWatch
X = np.random.default_rng(0).normal(size=(200, 3)); y = (X[:, 0] > 0) * 1.0
import scipy.sparse
sparse = scipy.sparse.csr_matrix(X * (X > 0))
net = fastmlp.MLP([3, 4, 1])
steps = {
    "fit": lambda: net.fit(X, y, epochs=3, lr=0.1, batch_size=50),
    "loss": lambda: net.loss(X, y, l2=0.1),
    "gradients": lambda: net.gradients(X, y),
    "predict": lambda: net.predict(X),
    "playground": lambda: fastmlp.Playground("circle", hidden=(2,)).run(2),
    "dropout fit": lambda: net.fit(X, y, epochs=3, lr=0.1, batch_size=50, dropout=0.3),
    "dropout fit again": lambda: net.fit(X, y, epochs=3, lr=0.1, dropout=[0.5]),
    "sparse fit": lambda: net.fit(sparse, y, epochs=3, lr=0.1, batch_size=50),
    "sparse loss": lambda: net.loss(sparse, y),
    "sparse predict": lambda: net.predict(sparse),
}
compiled = {}
for name, step in steps.items():
    with CompileWatch() as watch:
        step()
    compiled[name] = watch.names
compiled["threaded"] = len(network.threaded_batch_loss_and_gradient.signatures)
print(json.dumps(compiled))
"""


def test_each_path_compiles_only_its_own_loop_and_single_threads_compile_no_threads(
        tmp_path):
    import json

    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "NUMBA_NUM_THREADS": "2",
                   **COMPILE_FOR_THE_HOST}
    result = subprocess.run([sys.executable, "-c", FIRST_USES], env=environment,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    compiled = json.loads(result.stdout)
    # The first fit compiles the batch driver, the training loop and the steps this
    # network uses (the loops first, then the work of a group of a batch, the head and
    # the activations, the products, the backpropagation through tanh); every later path
    # adds only what is its own: the Playground its loop and head, sparse input its two
    # steps, dropout its two and the product and derivative that the mask goes between
    # (the plain backpropagation and tanh's derivative, apart), and no second copy of any
    # loop.
    assert compiled == {
        "fit": ["batch_loss_and_gradient", "train_epochs", "sgd_step",
                "group_loss_and_gradient", "sigmoid_bce_loss", "sigmoid_output", "tanh",
                "tanh_backpropagate", "affine_forward", "weight_gradient"],
        "loss": [], "gradients": [], "predict": ["predict"],
        "playground": ["playground_epochs", "tanh_se_loss", "tanh_output"],
        "dropout fit": ["tanh_derivative", "backpropagate", "drop_units", "drop_deltas"],
        "dropout fit again": [],
        "sparse fit": ["sparse_affine_forward", "sparse_weight_gradient"],
        "sparse loss": [], "sparse predict": [], "threaded": 0,
    }


def test_threaded_and_serial_batch_drivers_are_cached_under_their_own_names():
    serial = network.batch_loss_and_gradient._cache._cache_file
    threaded = network.threaded_batch_loss_and_gradient._cache._cache_file
    assert serial._index_path != threaded._index_path
    assert isinstance(serial, _numba_internals._LockedCacheFile)
    assert isinstance(threaded, _numba_internals._LockedCacheFile)


def test_compile_fills_the_cache_so_later_processes_only_load(tmp_path):
    cache = tmp_path / "cache"
    compiled = run_python(["-m", "fastmlp", "compile", "--dtype", "float32", "--quiet"], cache)
    assert "loops" in compiled.stdout and "compiled" in compiled.stdout
    user = (
        "import numpy as np, fastmlp\n"
        "from fastmlp.compiling import CompileWatch\n"
        "rng = np.random.default_rng(1)\n"
        "X = rng.normal(size=(300, 5)); y = rng.integers(0, 3, 300)\n"
        "with CompileWatch() as watch:\n"
        "    net = fastmlp.MLP([5, 7, 6, 3], activation=['relu', 'sigmoid'],\n"
        "                      loss='cross_entropy', dtype='float32')\n"
        "    net.fit(X, y, epochs=3, lr=0.01, batch_size=32, optimizer='adam', l2=0.1)\n"
        "    net.loss(X, y); net.gradients(X, y); net.predict(X)\n"
        "    regressor = fastmlp.MLPRegressor(hidden_layer_sizes=(9,), max_iter=3,\n"
        "                                     dtype='float32')\n"
        "    regressor.fit(X, X[:, 0])\n"
        "    big = fastmlp.MLP([2, 2, 1], dtype='float32')\n"
        "    Xb = rng.normal(size=(2 * big.workspace(np.empty((1, 2)))['min_group'], 2))\n"
        "    big.fit(Xb, Xb[:, 0] > 0, epochs=1)\n"
        "print(watch.compiled)\n"
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = run_python(["-c", user], cache)
    assert loaded.stdout.strip() == "0", loaded.stdout
    again = run_python(["-m", "fastmlp", "compile", "--dtype", "float32", "--quiet"], cache)
    assert "compiled" not in again.stdout and "loaded" in again.stdout


def test_demo_says_it_compiles_before_it_does_then_that_it_loads(tmp_path):
    cache = tmp_path / "cache"
    command = ["-m", "fastmlp", "demo", "--epochs", "5", "--out", str(tmp_path / "d.png")]
    first = run_python(command, cache)
    assert first.stderr.count(COMPILING_MESSAGE) == 1
    assert "kernels compiled for this machine in" in first.stdout
    second = run_python(command, cache)
    assert COMPILING_MESSAGE not in second.stderr
    assert "kernels loaded from Numba's disk cache in" in second.stdout


@pytest.mark.parametrize("arguments, message", [
    (["--dtype", "float16"], "invalid choice"),
    (["--processes", "0"], "--processes must be at least 1"),
])
def test_compile_command_rejects_bad_options(arguments, message, tmp_path):
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), **COMPILE_FOR_THE_HOST}
    result = subprocess.run([sys.executable, "-m", "fastmlp", "compile", *arguments],
                            env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.parametrize("kwargs, error", [
    ({"dtypes": ["float16"]}, ValueError),
    ({"processes": 0}, ValueError),
])
def test_compile_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        fastmlp.compile(progress=False, **kwargs)


SHARED_THEN_DEMO = """
import numpy as np, fastmlp
from fastmlp.compiling import CompileWatch, compile_shared
from fastmlp.demo import GRID, demo_jobs
if __name__ == "__main__":
    compile_shared(demo_jobs, (10,), "tanh", None, "float32")
    with CompileWatch() as watch:
        net = fastmlp.MLP([2, 10, 1], dtype="float32", loss="binary_cross_entropy")
        X = np.random.default_rng(0).normal(size=(350, 2))
        net.fit(X, X[:, 0] > 0, epochs=2, lr=0.5)
        net.loss(X, X[:, 0] > 0)
        net.predict_proba(np.ones((GRID * GRID, 2)))
    print(watch.names)
"""


def test_shared_compile_jobs_leave_nothing_for_the_demo_to_compile(tmp_path):
    script = tmp_path / "shared.py"
    script.write_text(SHARED_THEN_DEMO)
    result = run_python([str(script)], tmp_path / "cache")
    assert result.stdout.strip() == "[]"


def test_each_shared_job_runs_once_whichever_worker_takes_it():
    from multiprocessing import get_context

    from fastmlp.compiling import _take_jobs

    ran = []
    jobs = {name: functools.partial(ran.append, name) for name in range(200)}
    taken = get_context("spawn").Value("i", 0)
    workers = [threading.Thread(target=_take_jobs, args=(jobs, taken)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(ran) == list(range(200))


EVERY_PATH = """
import itertools, json, sys
import numpy as np, scipy.sparse, fastmlp
from fastmlp import _config, _numba_internals
from fastmlp._kernels.activations import ACTIVATION_CODES
from fastmlp._kernels.heads import HEAD_CODES
from fastmlp.compiling import CompileWatch
from fastmlp.model import OPTIMIZERS
from fastmlp.playground import ACTIVATIONS as PLAYGROUND_ACTIVATIONS
from fastmlp._kernels.playground import REGULARIZATION_CODES

rng = np.random.default_rng(0)
compiled = {}


def check(name, step):
    with CompileWatch() as watch:
        step()
    if watch.compiled:
        compiled[name] = watch.names


def targets(loss, output, n):
    if loss == "cross_entropy":
        return rng.integers(0, 3, n), 3
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, n), 1
    if loss == "poisson":
        return rng.poisson(1.0, n).astype(float), 1
    if output == "tanh":
        return rng.uniform(-1, 1, n), 1
    return rng.normal(size=n), 1


def every_use(net, X, y, batch_size, dropout):
    net.fit(X, y, epochs=1, lr=0.01, batch_size=batch_size, dropout=dropout)
    net.loss(X, y, l1=0.01, l2=0.01)
    net.gradients(X, y)
    net.decision_function(X)


threads = _config.launch_threads() > 1
for dtype in ("float64", "float32"):
    X = rng.normal(size=(64, 4))
    # Each activation, head and optimizer brings its own steps.
    for activation, (loss, output), optimizer in itertools.product(
            ACTIVATION_CODES, HEAD_CODES, OPTIMIZERS):
        y, n_outputs = targets(loss, output, 64)
        net = fastmlp.MLP([4, 3, n_outputs], activation=activation, loss=loss, output=output,
                          dtype=dtype)
        for nesterov, momentum in ((False, 0.0), (False, 0.9), (True, 0.9)):
            check(f"{dtype} {activation} {loss} {output} {optimizer} {momentum} {nesterov}",
                  lambda: net.fit(X, y, epochs=1, lr=0.01, batch_size=16, optimizer=optimizer,
                                  momentum=momentum, nesterov=nesterov))
        check(f"{dtype} {activation} {loss} {output} outputs", lambda: every_use(
            net, X, y, None, 0.0))
    # The loops' switches: threads, sparse rows, dropout, products in BLAS.
    for threaded, sparse, dropout, blas in itertools.product((False, True), repeat=4):
        if threaded and not threads:
            continue
        sizes = [64, 48, 1] if blas else [2, 2, 1]
        net = fastmlp.MLP(sizes, dtype=dtype)
        n = 2 * net.workspace(np.empty((1, 2)))["min_group"] + 1 if threaded else 64
        rows = rng.normal(size=(n, sizes[0])) * (rng.random((n, sizes[0])) < 0.3)
        y = (rows[:, 0] > 0).astype(int)
        inputs = scipy.sparse.csr_matrix(rows) if sparse else rows
        check(f"{dtype} threaded={threaded} sparse={sparse} dropout={dropout} blas={blas}",
              lambda: every_use(net, inputs, y, n, 0.2 if dropout else 0.0))
    # The estimators' solvers, with and without a validation set.
    for solver, early_stopping in itertools.product(("adam", "sgd", "lbfgs"), (False, True)):
        y = (X[:, 0] > 0).astype(int)
        for estimator in (fastmlp.MLPClassifier, fastmlp.MLPRegressor):
            model = estimator(hidden_layer_sizes=(3,), solver=solver, max_iter=2, dtype=dtype,
                              early_stopping=early_stopping and solver != "lbfgs")
            check(f"{dtype} {estimator.__name__} {solver} {early_stopping}",
                  lambda: model.fit(X, y).predict(X))
# The Playground (float64), in every activation and regularisation, one thread or more.
for activation, regularization in itertools.product(PLAYGROUND_ACTIVATIONS,
                                                    REGULARIZATION_CODES):
    for batch_size in (10, 10**6) if threads else (10,):
        check(f"Playground {activation} {regularization} {batch_size}", lambda: fastmlp.Playground(
            "xor", hidden=(3,), activation=activation, regularization=regularization,
            regularization_rate=0.01, batch_size=batch_size).run(1).predict(X[:, :2]))
print(json.dumps(compiled))
"""


def test_after_compile_no_path_compiles(tmp_path):
    """``fastmlp compile`` leaves nothing to compile: every value of every switch the code
    has (its own tables of activations, heads and optimizers; threads, sparse rows,
    dropout and BLAS-sized products; the estimators' solvers; the Playground) then loads
    from the cache in a new process."""
    cache = tmp_path / "cache"
    run_python(["-m", "fastmlp", "compile", "--quiet"], cache)
    result = run_python(["-c", EVERY_PATH], cache)
    assert result.stdout.strip() == "{}", result.stdout
