"""Compiling ahead of use (``fastmlp.compile``, ``fastmlp compile``) and telling a user
whether the kernels were compiled or loaded."""

import os
import subprocess
import sys

import numba
import pytest

import fastmlp
from fastmlp import _config
from fastmlp._kernels import train
from fastmlp.compiling import COMPILING_MESSAGE, CompileWatch


def run_python(arguments, cache, timeout=900):
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
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
from fastmlp._kernels import network, train, playground
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
threaded = (network.threaded_batch_loss_and_gradient, train.threaded_train_epochs,
            playground.threaded_playground_epochs)
compiled["threaded"] = sum(len(kernel.signatures) for kernel in threaded)
print(json.dumps(compiled))
"""


def test_each_path_compiles_only_its_own_loop_and_single_threads_compile_no_threads(
        tmp_path):
    import json

    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "NUMBA_NUM_THREADS": "2"}
    result = subprocess.run([sys.executable, "-c", FIRST_USES], env=environment,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    compiled = json.loads(result.stdout)
    # Dropout and sparse input have variants of their own, compiled on first use only.
    assert compiled == {"fit": ["train_epochs"], "loss": [], "gradients": [],
                        "predict": ["predict"], "playground": ["playground_epochs"],
                        "dropout fit": ["train_epochs_dropout"], "dropout fit again": [],
                        "sparse fit": ["train_epochs_sparse"],
                        "sparse loss": [],
                        "sparse predict": ["predict_sparse"], "threaded": 0}


def test_threaded_and_serial_training_variants_are_cached_under_their_own_names():
    serial = train.train_epochs._cache._cache_file
    threaded = train.threaded_train_epochs._cache._cache_file
    assert serial._index_path != threaded._index_path
    assert isinstance(serial, _config._LockedCacheFile)
    assert isinstance(threaded, _config._LockedCacheFile)


def test_compile_fills_the_cache_so_later_processes_only_load(tmp_path):
    cache = tmp_path / "cache"
    compiled = run_python(["-m", "fastmlp", "compile", "--dtype", "float32", "--quiet"], cache)
    assert "training" in compiled.stdout and "compiled" in compiled.stdout
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
        "    Xb = rng.normal(size=(2 * big._workspace(1)['min_group'], 2))\n"
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
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
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


BACKGROUND_THEN_PREDICT = """
import numpy as np, fastmlp
from fastmlp.compiling import CompileWatch, compile_in_background
if __name__ == "__main__":
    compile_in_background("inference", "float32").join()
    with CompileWatch() as watch:
        fastmlp.MLP([3, 4, 2], loss="cross_entropy", dtype="float32").predict(np.ones((5, 3)))
    print(watch.names)
"""


def test_compiling_in_the_background_fills_the_cache_for_this_process(tmp_path):
    script = tmp_path / "background.py"
    script.write_text(BACKGROUND_THEN_PREDICT)
    result = run_python([str(script)], tmp_path / "cache")
    assert result.stdout.strip() == "[]"
