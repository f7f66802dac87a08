"""The two-moons job in fastmlp and in JAX, alternated in one process: paired ratios.

    python bench/jax_side_by_side.py [--rounds 30]

``bench/report.py`` times fastmlp's entries and JAX's minutes apart, so on a shared
machine whose load comes and goes the ratio between them moves with the load. Here each
round runs JAX's whole ``jax.jit`` training run (``bench/jax_peer.py``, compiled first and
excluded) and then fastmlp's ``fit`` from the same initial weights, back to back, and the
ratio is taken round by round: the median of the per-round ratios (JAX ÷ fastmlp) and the
ratio of the medians, for float64 and float32. Both sides are checked to reach the same
loss curve first.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from jax_peer import JaxRun, jax_available  # noqa: E402

import fastmlp  # noqa: E402

EPOCHS, LR = 1000, 0.5


def moons():
    """The benchmark's two-moons training set (``conftest.moons``)."""
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    X, y = make_moons(n_samples=500, noise=0.2, random_state=42)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=42)
    return X_train, y_train


def side_by_side(dtype, rounds, X, y, start):
    """``(fastmlp seconds, JAX seconds)`` per round, alternated."""
    run = JaxRun("tanh", "sigmoid_bce", epochs=EPOCHS, lr=LR, dtype=dtype)

    def arguments():
        return run.arguments(start.weights, start.biases, X, y)

    run.compile(arguments())
    _, curve = run(arguments())
    net = fastmlp.MLP([2, 10, 1], dtype=dtype)
    net.parameters[...] = start.parameters
    net.fit(X, y, epochs=EPOCHS, lr=LR)
    tolerance = 1e-10 if dtype == "float64" else 1e-4
    np.testing.assert_allclose(net.history["loss"], curve, rtol=tolerance)
    ours, theirs = [], []
    for _ in range(rounds):
        prepared = arguments()
        began = time.perf_counter()
        run(prepared)
        theirs.append(time.perf_counter() - began)
        net.parameters[...] = start.parameters
        began = time.perf_counter()
        net.fit(X, y, epochs=EPOCHS, lr=LR)
        ours.append(time.perf_counter() - began)
    return np.array(ours), np.array(theirs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    if not jax_available():
        sys.exit("JAX is not installed: pip install -e '.[bench]'")
    X, y = moons()
    start = fastmlp.MLP([2, 10, 1], seed=0)
    print("| dtype | fastmlp | JAX | JAX ÷ fastmlp, paired median | of the medians |")
    print("|---|---|---|---|---|")
    for dtype in ("float64", "float32"):
        ours, theirs = side_by_side(dtype, args.rounds, X, y, start)
        print(f"| {dtype} | {1e3 * np.median(ours):.2f} ms | {1e3 * np.median(theirs):.2f} ms "
              f"| {np.median(theirs / ours):.2f}× | "
              f"{np.median(theirs) / np.median(ours):.2f}× |", flush=True)


if __name__ == "__main__":
    main()
