"""Time the same workloads with two source trees of fastmlp, side by side.

    python bench/compare_revisions.py OLD_TREE NEW_TREE [--rounds 3]
        [--old-env NAME=VALUE ...] [--new-env NAME=VALUE ...]

Each round runs one process per tree, alternating, so that both see the same machine
load; each process times seven workloads after a warm-up call (compile time excluded) and
prints medians. A tree is a directory holding the ``fastmlp`` package (a checkout, or a
``git worktree add`` of an older commit). The two may be the same tree run under different
environment variables, e.g. the shipped kernels against kernels compiled for this machine::

    python bench/compare_revisions.py . . --old-env FASTMLP_PREBUILT=0 \
        --old-env NUMBA_CACHE_DIR=/tmp/host-cache --new-env NUMBA_CACHE_DIR=/tmp/empty-cache

(each side needs a cache of its own: a kernel in the cache is used before a shipped one).
The workloads:

* ``two_moons``: the two-moons experiment's training, ``MLP([2, 10, 1])`` tanh, full
  batch, 1000 epochs on 350 points (median of 15);
* ``table``: ``MLPClassifier()`` defaults on a 50,000 x 54, 7-class table, 5 epochs
  (median of 5);
* ``playground``: the exercise sheet's spiral in the Playground, 500 epochs (median of 7);
* ``batch32``: ``MLPClassifier(hidden_layer_sizes=(128,), batch_size=32)`` on a
  20,000 x 64, 10-class table, 3 epochs (median of 3);
* ``full_batch``: ``MLP([10, 32, 1])`` ReLU, full-batch gradient descent on 20,000 rows
  (batches split across threads), 20 epochs (median of 7);
* ``mnist_like``: ``MLP([784, 256, 128, 10])`` float32, SGD in batches of 128 on
  10,000 x 784, one epoch (median of 5): large products, in BLAS;
* ``predict``: ``predict_proba`` of a fitted float32 40-128-64-5 ReLU classifier on
  10,000 rows (median of 40): the prediction benchmark's largest case.
"""

import argparse
import json
import os
import subprocess
import sys

WORKLOADS = r'''
import json, time, warnings
import numpy as np
warnings.simplefilter("ignore")
import fastmlp
from sklearn.datasets import make_moons

def median_seconds(step, repeats):
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))

X, y = make_moons(500, noise=0.2, random_state=42)
rng = np.random.default_rng(0)
table_X, table_y = rng.normal(size=(50_000, 54)), rng.integers(0, 7, 50_000)
digits_X, digits_y = rng.normal(size=(20_000, 64)), rng.integers(0, 10, 20_000)
wide_X = rng.normal(size=(20_000, 10))
wide_y = (wide_X[:, 0] > 0).astype(float)
mnist_X = rng.random((10_000, 784), dtype=np.float32)
mnist_y = rng.integers(0, 10, 10_000)
steps = {
    "two_moons": (lambda: fastmlp.MLP([2, 10, 1], activation="tanh", seed=0).fit(
        X[:350], y[:350], epochs=1000, lr=0.5), 15),
    "table": (lambda: fastmlp.MLPClassifier(max_iter=5, tol=0, n_iter_no_change=10**6,
                                            random_state=0).fit(table_X, table_y), 5),
    "playground": (lambda: fastmlp.Playground("spiral", hidden=(8, 8, 8), seed=0).run(500), 7),
    "batch32": (lambda: fastmlp.MLPClassifier(
        hidden_layer_sizes=(128,), batch_size=32, max_iter=3, tol=0, n_iter_no_change=10**6,
        random_state=0).fit(digits_X, digits_y), 3),
    "full_batch": (lambda: fastmlp.MLP([10, 32, 1], activation="relu", seed=0).fit(
        wide_X, wide_y, epochs=20, lr=0.1), 7),
    "mnist_like": (lambda: fastmlp.MLP(
        [784, 256, 128, 10], activation="relu", loss="cross_entropy", dtype="float32",
        seed=0).fit(mnist_X, mnist_y, epochs=1, lr=0.01, batch_size=128), 5),
}
served_X = rng.normal(size=(10_000, 40)).astype(np.float32)
served = fastmlp.MLPClassifier((128, 64), max_iter=3, random_state=0, dtype="float32").fit(
    served_X, rng.integers(0, 5, 10_000))
steps["predict"] = (lambda: served.predict_proba(served_X), 40)
print(fastmlp.__file__)
print(json.dumps({name: median_seconds(step, repeats)
                  for name, (step, repeats) in steps.items()}))
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs=2, help="two directories holding the fastmlp package")
    parser.add_argument("--rounds", type=int, default=3)
    for side in ("old", "new"):
        parser.add_argument(f"--{side}-env", action="append", default=[], metavar="NAME=VALUE",
                            help=f"an environment variable for the {side} tree's runs")
    args = parser.parse_args()
    if any("=" not in setting for setting in args.old_env + args.new_env):
        parser.error("--old-env and --new-env take NAME=VALUE")
    settings = [dict(setting.split("=", 1) for setting in args.old_env),
                dict(setting.split("=", 1) for setting in args.new_env)]
    if args.trees[0] == args.trees[1] and settings[0] == settings[1]:
        parser.error("the same tree twice needs different --old-env/--new-env settings")
    sides = list(zip(("old", "new"), args.trees, settings, strict=True))
    results = {side: [] for side, _, _ in sides}
    for _ in range(args.rounds):
        for side, tree, setting in sides:
            # Run in the tree: ``python -c`` puts the working directory ahead of
            # PYTHONPATH, so from another checkout's root both runs would import that one.
            root = os.path.abspath(tree)
            output = subprocess.run([sys.executable, "-c", WORKLOADS], cwd=root,
                                    env={**os.environ, **setting, "PYTHONPATH": root},
                                    capture_output=True, text=True, check=True).stdout
            package, figures = output.strip().splitlines()[-2:]
            if not os.path.abspath(package).startswith(os.path.join(root, "")):
                sys.exit(f"the run for {tree} imported fastmlp from {package}")
            results[side].append(json.loads(figures))
    old, new = "old", "new"
    print(f"{'workload':<12} {'old (ms)':>22} {'new (ms)':>22}  new/old of medians")
    for name in results[old][0]:
        figures = {side: sorted(run[name] * 1e3 for run in results[side]) for side in results}
        middle = {side: figures[side][len(figures[side]) // 2] for side in figures}
        spread = {side: f"{figures[side][0]:.1f}-{figures[side][-1]:.1f}" for side in figures}
        print(f"{name:<12} {spread[old]:>22} {spread[new]:>22}  {middle[new] / middle[old]:.3f}")


if __name__ == "__main__":
    main()
