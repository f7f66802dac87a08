"""Benchmarks: ``python -m pytest bench --benchmark-enable`` (or ``python bench/report.py``).

Every benchmark runs its function once before timing (compile time excluded) and shares a
``group`` with its peers, so pytest-benchmark's table shows their ratios, measured side by
side in one process. Each also asserts that the implementations agree on the result.
"""

import os

import numpy as np
import pytest
from baselines import torch_available
from jax_peer import jax_available
from timing import timed

requires_torch = pytest.mark.skipif(not torch_available(), reason="PyTorch is not installed")
requires_jax = pytest.mark.skipif(not jax_available(), reason="JAX is not installed")


def pytest_configure(config):
    """Import PyTorch before any benchmark runs, as a script's imports would.

    Imported after Numba's OpenMP threading layer has started, PyTorch finds a libgomp
    already loaded and shares it instead of loading its own; its training then ran at half
    speed. Imported first, it loads libgomp with libgomp's own settings, and every PyTorch
    figure in the suite is PyTorch at its own speed. When the suite only checks results
    (timing disabled, as in the test run), libgomp gets the short spin fastmlp gives it when
    it loads libgomp itself (``fastmlp._config.OMP_SPIN_COUNT``): with the default, the
    threaded benchmarks ran up to 100x slower on a machine busy with other work.
    """
    if not torch_available():
        return
    if not config.getoption("benchmark_enable"):
        from fastmlp._config import OMP_SPIN_COUNT

        os.environ.setdefault("GOMP_SPINCOUNT", str(OMP_SPIN_COUNT))
    import torch  # noqa: F401

#: PyTorch runs every small workload with one thread and with two; the report compares
#: fastmlp with the faster of the two, measured in the same run.
TORCH_THREADS = (1, 2)
THREAD_IDS = ("1-thread", "2-threads")


def pytest_benchmark_update_machine_info(config, machine_info):
    """Record, from the benchmark process itself, what its times depend on: the CPU's vector
    width, the BLAS kernel that ran (threadpoolctl) and the OpenBLAS settings in force."""
    from first_run import machine

    machine_info["measured_on"] = machine()


def fit_job(net, initial, X, y, **fit_settings):
    """``(train, prepare)`` for :func:`timed`: ``net.fit(X, y, **fit_settings)`` starting
    from the parameters ``initial``."""

    def prepare():
        net.parameters[...] = initial
        return ()

    return (lambda: net.fit(X, y, **fit_settings)), prepare


def timed_fit(benchmark, net, initial, rounds, X, y, **fit_settings):
    """Time ``net.fit(X, y, **fit_settings)``, each round starting from ``initial``."""
    train, prepare = fit_job(net, initial, X, y, **fit_settings)
    timed(benchmark, train, rounds, prepare)
    return net


@pytest.fixture(scope="session")
def moons():
    """The two-moons experiment's training set: make_moons(500, noise 0.2, seed 42), 70%."""
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    X, y = make_moons(n_samples=500, noise=0.2, random_state=42)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=42)
    return X_train, y_train


def spiral(n_per_arm=250, seed=0):
    """The Playground's two-arm spiral (no noise), labels +1 / -1, shuffled."""
    i = np.arange(n_per_arm) / n_per_arm
    radius = 5 * i
    points, labels = [], []
    for delta, label in ((0.0, 1.0), (np.pi, -1.0)):
        angle = 1.75 * i * 2 * np.pi + delta
        points.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        labels.append(np.full(n_per_arm, label))
    order = np.random.default_rng(seed).permutation(2 * n_per_arm)
    return np.concatenate(points)[order], np.concatenate(labels)[order]
