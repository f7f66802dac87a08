"""scikit-learn's counterpart of ``fastmlp demo``: the two-moons experiment as one script.

    python bench/sklearn_moons_script.py OUT.png

Trains scikit-learn's MLPClassifier with the demo's settings (2-10-1 tanh, full-batch
gradient descent at learning rate 0.5, 1000 epochs) on ``make_moons(500, noise=0.2)``,
prints the test accuracy and saves the same two panels as the demo (loss curve, decision
boundary on a 200 x 200 grid) to ``OUT.png``. ``bench/first_run.py`` times this process as
the reference for the demo's.
"""

import sys
import warnings

import numpy as np
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier


def train():
    """Fit the classifier on the two-moons training split and score it on the test split.

    Returns
    -------
    model : MLPClassifier
        The fitted classifier; ``loss_curve_`` holds one loss per epoch.
    X_test : ndarray, shape (150, 2)
        Held-out points.
    y_test : ndarray, shape (150,)
        Their 0/1 labels.
    accuracy : float
        Share of test points classified correctly.
    """
    X, y = make_moons(500, noise=0.2, random_state=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=42)
    model = MLPClassifier((10,), activation="tanh", solver="sgd", learning_rate_init=0.5,
                          momentum=0, batch_size=350, max_iter=1000, tol=0,
                          n_iter_no_change=10**9, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    return model, X_test, y_test, model.score(X_test, y_test)


def plot(model, X_test, y_test, accuracy, path):
    """Save the loss curve and the decision boundary side by side, as the demo draws them.

    Parameters
    ----------
    model : MLPClassifier
        The fitted classifier.
    X_test : ndarray, shape (n_samples, 2)
        Points scattered over the boundary; the plotted area is their extent plus a margin.
    y_test : ndarray, shape (n_samples,)
        Their 0/1 labels.
    accuracy : float
        Test accuracy, shown in the title.
    path : str
        Output file.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    low, high = X_test.min(axis=0) - 0.5, X_test.max(axis=0) + 0.5
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], 200),
                                 np.linspace(low[1], high[1], 200))
    mesh = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    probability = model.predict_proba(mesh)[:, 1].reshape(grid_x.shape)

    fig, (loss_axes, boundary_axes) = plt.subplots(1, 2, figsize=(11, 4.5))
    history = np.asarray(model.loss_curve_)
    loss_axes.plot(np.arange(1, history.size + 1), history)
    loss_axes.set(xlabel="epoch", ylabel="training loss (log-loss)", title="Training loss")
    filled = boundary_axes.contourf(grid_x, grid_y, probability,
                                    levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.5)
    boundary_axes.contour(grid_x, grid_y, probability, levels=[0.5], colors="k")
    boundary_axes.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap="bwr", vmin=0, vmax=1,
                          edgecolors="white", linewidths=0.6, s=24)
    boundary_axes.set(xlabel="$x_1$", ylabel="$x_2$",
                      title=f"Decision boundary (test accuracy {accuracy:.1%})")
    fig.colorbar(filled, ax=boundary_axes, label="P(y = 1)")
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)


def main(argv):
    """Train, print the test accuracy and save the figure to ``argv[1]``."""
    if len(argv) != 2:
        sys.exit(f"usage: python {argv[0]} OUT.png")
    model, X_test, y_test, accuracy = train()
    print(f"test accuracy {accuracy:.1%}")
    plot(model, X_test, y_test, accuracy, argv[1])
    print(f"saved {argv[1]}")


if __name__ == "__main__":
    main(sys.argv)
