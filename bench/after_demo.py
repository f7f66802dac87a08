"""The first call of every further path, once ``fastmlp demo`` has filled the cache.

    python bench/after_demo.py [--repeats N] [--compiling]

A user who ran the demo and goes on to another path waits for what that path compiles
beyond the demo's kernels. This fills an empty ``NUMBA_CACHE_DIR`` with ``fastmlp demo``,
then, for each path below, copies that cache and times the path's first call in a fresh
process (imports and data excluded: the modules a path imports on first use are imported
before the clock starts), with the copy, so that no path profits from another. Prints a
Markdown table of medians over the repeats, with the compile time Numba reported.

As shipped, kernels missing from the cache are loaded from those compiled ahead of time
where the machine is of a shipped kind (:mod:`fastmlp._prebuilt`); ``--compiling`` sets
``FASTMLP_PREBUILT=0`` in every process, so that each path compiles what it lacks.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time, warnings
import numpy as np, scipy.sparse
import fastmlp
import scipy.optimize
from fastmlp.compiling import CompileWatch
warnings.simplefilter("ignore")
fastmlp.MLPClassifier, fastmlp.Playground  # imported now: imports are not the path's wait
rng = np.random.default_rng(0)
X = rng.normal(size=(300, 5))
y = (X[:, 0] > 0).astype(int)
counts = rng.poisson(1.0, 300).astype(float)
wide = rng.normal(size=(60_000, 2))
PATHS = {
    "MLP.fit float32": lambda: fastmlp.MLP([5, 10, 1], dtype="float32").fit(X, y, epochs=2),
    "Playground.run": lambda: fastmlp.Playground("spiral").run(5),
    "MLPClassifier adam": lambda: fastmlp.MLPClassifier(hidden_layer_sizes=(10,),
                                                        max_iter=2).fit(X, y),
    "MLPClassifier sgd": lambda: fastmlp.MLPClassifier(hidden_layer_sizes=(10,), solver="sgd",
                                                       max_iter=2).fit(X, y),
    "MLPClassifier lbfgs": lambda: fastmlp.MLPClassifier(hidden_layer_sizes=(10,),
                                                         solver="lbfgs", max_iter=2).fit(X, y),
    "MLPRegressor adam": lambda: fastmlp.MLPRegressor(hidden_layer_sizes=(10,),
                                                      max_iter=2).fit(X, X[:, 1]),
    "sparse input": lambda: fastmlp.MLPClassifier(hidden_layer_sizes=(10,), max_iter=2).fit(
        scipy.sparse.csr_matrix(X * (X > 1)), y),
    "dropout": lambda: fastmlp.MLP([5, 10, 1]).fit(X, y, epochs=2, dropout=0.2),
    "Poisson": lambda: fastmlp.MLPRegressor(hidden_layer_sizes=(10,), loss="poisson",
                                            max_iter=2).fit(X, counts),
    "threaded batches": lambda: fastmlp.MLP([2, 2, 1]).fit(wide, wide[:, 0] > 0, epochs=1),
    "MLP.predict float32": lambda: fastmlp.MLP([5, 10, 3], loss="cross_entropy",
                                               dtype="float32").predict(X),
}
if len(sys.argv) < 2:  # no path named: list them
    print(json.dumps(list(PATHS)))
    sys.exit()
step = PATHS[sys.argv[1]]
start = time.perf_counter()
with CompileWatch() as watch:
    step()
print(json.dumps({"seconds": time.perf_counter() - start, "compile": watch.compile_seconds,
                  "names": watch.names}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--compiling", action="store_true",
                        help="compile every kernel for this machine (FASTMLP_PREBUILT=0)")
    args = parser.parse_args()
    names = None
    results = {}
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    if args.compiling:
        environment["FASTMLP_PREBUILT"] = "0"
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as work:
            demo_cache = Path(work) / "demo"
            subprocess.run([sys.executable, "-m", "fastmlp", "demo", "--out",
                            str(Path(work) / "demo.png")], cwd=ROOT, check=True,
                           capture_output=True, env={**environment,
                                                     "NUMBA_CACHE_DIR": str(demo_cache)})
            if names is None:
                listed = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, check=True,
                                        capture_output=True, text=True, env=environment)
                names = json.loads(listed.stdout.splitlines()[-1])
            for name in names:
                cache = Path(work) / "path"
                shutil.rmtree(cache, ignore_errors=True)
                shutil.copytree(demo_cache, cache)
                done = subprocess.run([sys.executable, "-c", CHILD, name], cwd=ROOT, check=True,
                                      capture_output=True, text=True,
                                      env={**environment, "NUMBA_CACHE_DIR": str(cache)})
                results.setdefault(name, []).append(json.loads(done.stdout.splitlines()[-1]))
    print("| path, first call after `fastmlp demo` | wall | of which compiling | compiled |")
    print("|---|---|---|---|")
    for name, runs in results.items():
        seconds = statistics.median(run["seconds"] for run in runs)
        compiling = statistics.median(run["compile"] for run in runs)
        print(f"| {name} | {seconds:.2f} s | {compiling:.2f} s | "
              f"{', '.join(runs[-1]['names']) or 'nothing'} |")


if __name__ == "__main__":
    main()
