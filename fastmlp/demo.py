"""The two-moons experiment behind ``fastmlp demo``.

A small network learns the boundary between two interleaving half circles
(:func:`fastmlp.datasets.make_moons`, the points scikit-learn's ``make_moons`` draws) by
gradient descent; :func:`run_demo` reports the training curve, the test figures and the
training time, and draws both in one image. Running it imports neither scikit-learn nor,
until the image is drawn, matplotlib.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .datasets import make_moons, train_test_split
from .model import MLP

#: The two-moons data set: points drawn, share held out for testing.
N_SAMPLES, TEST_SIZE = 500, 0.3
#: The picture's decision boundary is drawn from a grid of GRID x GRID points.
GRID = 200


@dataclass(frozen=True)
class DemoResult:
    """What :func:`run_demo` measured.

    Attributes
    ----------
    history : ndarray, shape (epochs,)
        Training objective per epoch (``MLP.history["loss"]``).
    test_loss : float
        Mean binary cross-entropy on the test set.
    test_accuracy : float
        Share of test points classified correctly.
    fit_seconds : float
        Wall time of the ``fit`` call alone, with the compiled kernels already loaded.
    kernel_seconds : float
        Wall time of getting the compiled kernels (training, loss, prediction) ready in
        this process: loading them from Numba's disk cache, or compiling them the first
        time on a machine.
    path : Path
        The image written.
    """

    history: np.ndarray
    test_loss: float
    test_accuracy: float
    fit_seconds: float
    kernel_seconds: float
    path: Path


def run_demo(
    epochs: int = 1000,
    lr: float = 0.5,
    hidden: Sequence[int] = (10,),
    activation: str | Sequence[str] = "tanh",
    batch_size: int | None = None,
    dtype: str = "float64",
    seed: int = 0,
    out: str | Path = "fastmlp-demo.png",
) -> DemoResult:
    """Train a classifier on two moons, evaluate it on held-out points and plot both.

    The data are ``make_moons(n_samples=500, noise=0.2, random_state=42)``, split 70/30
    with ``random_state=42``, by the functions of :mod:`fastmlp.datasets` that draw what
    scikit-learn's draw. The network is ``MLP([2, *hidden, 1])`` with a sigmoid output,
    binary cross-entropy and standard normal initial weights (zero biases).

    Parameters
    ----------
    epochs : int
        Passes over the training set.
    lr : float
        Learning rate.
    hidden : sequence of int
        Widths of the hidden layers.
    activation : str or sequence of str
        Hidden activation, for all hidden layers or one name per hidden layer.
    batch_size : int or None
        Samples per update; ``None`` is full-batch gradient descent.
    dtype : {"float64", "float32"}
        Arithmetic precision.
    seed : int
        Seeds the initial weights (and the shuffling of mini-batches).
    out : str or Path
        Image file; the format follows the extension (PNG by default).

    Returns
    -------
    DemoResult

    Raises
    ------
    ValueError, TypeError
        From :class:`~fastmlp.MLP` when a setting is invalid, before any training.
    fastmlp.DivergenceError
        When training diverges (learning rate too large).
    """
    X, y = make_moons(n_samples=N_SAMPLES, noise=0.2, random_state=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=TEST_SIZE,
                                                        random_state=42)
    settings = dict(activation=activation, loss="binary_cross_entropy", init="normal",
                    dtype=dtype, seed=seed)
    start = time.perf_counter()
    # Training, the loss and prediction on a few points make this process load (or, the
    # first time on a machine, compile) every kernel the demo uses, so that the timed fit
    # below measures training alone.
    warm_up = MLP([2, *hidden, 1], **settings)
    warm_up.fit(X_train[:8], y_train[:8], epochs=1, lr=lr, batch_size=batch_size)
    warm_up.loss(X_train[:8], y_train[:8])
    warm_up.predict(X_train[:8])
    kernel_seconds = time.perf_counter() - start
    net = MLP([2, *hidden, 1], **settings)
    start = time.perf_counter()
    net.fit(X_train, y_train, epochs=epochs, lr=lr, batch_size=batch_size)
    fit_seconds = time.perf_counter() - start
    result = DemoResult(
        history=net.history["loss"],
        test_loss=net.loss(X_test, y_test),
        test_accuracy=float(np.mean(net.predict(X_test) == y_test)),
        fit_seconds=fit_seconds,
        kernel_seconds=kernel_seconds,
        path=Path(out),
    )
    plot_demo(net, X_test, y_test, result.test_accuracy, result.path)
    return result


def demo_jobs(hidden: Sequence[int] = (10,), activation: str | Sequence[str] = "tanh",
              batch_size: int | None = None, dtype: str = "float64") -> dict:
    """The compile jobs of :func:`run_demo` with these settings (see
    :meth:`fastmlp.MLP.compile_jobs`): training on the training split, then prediction on
    the picture's grid. ``fastmlp demo`` shares them between two processes
    (:func:`fastmlp.compiling.compile_shared`) before it runs the demo.

    Raises
    ------
    ValueError, TypeError
        From :class:`~fastmlp.MLP` when a setting is invalid.
    """
    net = MLP([2, *hidden, 1], activation=activation, loss="binary_cross_entropy",
              dtype=dtype)
    n_train = N_SAMPLES - int(np.ceil(TEST_SIZE * N_SAMPLES))
    return {**net.compile_jobs(n_train, batch_size),
            **net.compile_jobs(GRID * GRID, training=False)}


def plot_demo(
    net: MLP,
    X_test: np.ndarray,
    y_test: np.ndarray,
    accuracy: float,
    path: Path,
) -> None:
    """Save the loss curve and the decision boundary side by side.

    Parameters
    ----------
    net : MLP
        A trained binary classifier with two inputs; its ``history["loss"]`` is the curve.
    X_test : ndarray, shape (n_samples, 2)
        Points scattered over the boundary; the plotted area is their extent plus a margin.
    y_test : ndarray, shape (n_samples,)
        Their 0/1 labels (the point colours).
    accuracy : float
        Test accuracy, shown in the title.
    path : Path
        Output file.
    """
    # A Figure of its own rather than pyplot's: no global state, no GUI backend to choose,
    # and a quarter of a second less importing.
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    low, high = X_test.min(axis=0) - 0.5, X_test.max(axis=0) + 0.5
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], GRID),
                                 np.linspace(low[1], high[1], GRID))
    mesh = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    probability = net.predict_proba(mesh)[:, 0].reshape(grid_x.shape)

    fig = Figure(figsize=(11, 5), layout="constrained")
    loss_axes, boundary_axes = fig.subplots(1, 2)
    history = net.history["loss"]
    loss_axes.plot(np.arange(1, history.size + 1), history)
    loss_axes.set(xlabel="epoch", ylabel="training loss (binary cross-entropy)",
                  title="Training loss")
    filled = boundary_axes.contourf(grid_x, grid_y, probability,
                                    levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.5)
    boundary_axes.contour(grid_x, grid_y, probability, levels=[0.5], colors="k")
    boundary_axes.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap="bwr", vmin=0, vmax=1,
                          edgecolors="white", linewidths=0.6, s=24)
    boundary_axes.set(xlabel="$x_1$", ylabel="$x_2$",
                      title=f"Decision boundary (test accuracy {accuracy:.1%})")
    fig.colorbar(filled, ax=boundary_axes, label="P(y = 1), the network's output")
    point = dict(marker="o", linestyle="none", markeredgecolor="white", markersize=7)
    boundary_axes.legend(
        [Line2D([], [], markerfacecolor="blue", **point),
         Line2D([], [], markerfacecolor="red", **point), Line2D([], [], color="k")],
        ["label 0", "label 1", "P(y = 1) = 0.5"], title="test points and the boundary",
        title_fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=9,
        facecolor="#e6e6e6", edgecolor="none",
    )
    fig.suptitle(f"Two moons: a {'-'.join(map(str, net.sizes))} network, "
                 f"{history.size} epochs", fontsize="x-large")
    fig.get_layout_engine().set(h_pad=0.1)
    fig.savefig(path, dpi=100)
