"""Pictures in the style of the TensorFlow Neural Network Playground.

The Playground shows a network's output over the square ``[-6, 6]^2`` on one colour scale:
output -1 is orange, 0 is grey and +1 is blue (:func:`playground_cmap`). Points take the
colour of their label, with a white edge for training points and a black edge for test
points. This module draws, with matplotlib's object API only (no window is ever opened):

* :func:`plot_decision_boundary`: a fitted model's output over the plane, with the data;
* :func:`plot_loss`: loss curves from a training history or a fitted estimator;
* :func:`plot_network`: the network diagram, one small image per neuron and one line per
  link, its width following ``|w|`` and its colour the sign of ``w``, with its layers
  named and a legend;
* :func:`plot_playground`: the three together for a Playground run, in a row or (for a
  page of limited width) in two rows;
* :func:`figure_html`: a figure as a self-contained ``<img>`` tag, for HTML pages.

Every plotting function returns a :class:`matplotlib.figure.Figure`; save it with ``fig.savefig``.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from numpy.typing import ArrayLike

from .model import MLP

ORANGE = "#f59322"
GREY = "#e8eaeb"
BLUE = "#0877bd"
#: The Playground's plane: x1 and x2 both in [-6, 6].
PLAYGROUND_EXTENT = (-6.0, 6.0, -6.0, 6.0)
#: Most grid points passed to a model at once, so memory stays bounded at any resolution.
CHUNK_POINTS = 65_536
#: Opacity of the output heatmap under the points (the Playground's 160 / 255).
HEATMAP_ALPHA = 160 / 255
#: Pixels per side of each neuron's image in :func:`plot_playground`'s diagram.
NEURON_RESOLUTION = 32
#: How images of a signed output are smoothed between the pixel centres evaluated.
SMOOTHING = "bilinear"
#: Link widths in points: the largest ``|w|`` of a network, and the least any link gets.
MAX_LINK_WIDTH = 4.0
MIN_LINK_WIDTH = 0.3

# The highest power of ten a logarithmic loss axis reaches: floats end near 1.8e308, and
# matplotlib places a tick up to one tick step (dozens of decades) beyond the limit.
_LOG_TOP_DECADE = 200.0
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPTS = {"2": "²", "3": "³"}


def figure_html(fig: Figure, alt: str = "figure", dpi: int = 100) -> str:
    """``fig`` as an ``<img>`` tag carrying its PNG inline (a ``data:`` URI).

    The page that shows it needs no separate image file and loads nothing from elsewhere.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def playground_cmap() -> LinearSegmentedColormap:
    """The Playground's colour scale: -1 orange, 0 grey, +1 blue, linear in between.

    Returns
    -------
    LinearSegmentedColormap
        Named ``"playground"``, over ``[0, 1]``: use it with ``vmin=-1, vmax=1`` (as every
        function here does) so that the output value -1 maps to ``#f59322``, 0 to
        ``#e8eaeb`` and +1 to ``#0877bd``. It has an odd number of entries, so that the
        middle one is exactly grey.
    """
    return LinearSegmentedColormap.from_list("playground", [ORANGE, GREY, BLUE], N=257)


# ----------------------------------------------------------------------------- helpers
def _root_figure(ax: Axes) -> Figure:
    """The top-level figure holding ``ax`` (through any subfigures)."""
    figure = ax.figure
    while not isinstance(figure, Figure):
        figure = figure.figure
    return figure


def _axes_or_new(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return _root_figure(ax), ax
    figure = Figure(figsize=figsize, layout="constrained")
    return figure, figure.add_subplot()


def _pixel_centres(extent: Sequence[float], resolution: int) -> np.ndarray:
    """Centres of a ``resolution`` x ``resolution`` image covering ``extent``.

    Returns
    -------
    ndarray, shape (resolution**2, 2)
        Points ``(x1, x2)`` in image order: row 0 is the top (largest x2), and within a row
        x1 increases; row ``i``, column ``j`` is point ``i * resolution + j``.
    """
    left, right, bottom, top = extent
    x1 = left + (np.arange(resolution) + 0.5) * (right - left) / resolution
    x2 = top - (np.arange(resolution) + 0.5) * (top - bottom) / resolution
    grid_x1, grid_x2 = np.meshgrid(x1, x2)
    return np.column_stack([grid_x1.ravel(), grid_x2.ravel()])


def _in_chunks(function: Callable[[np.ndarray], np.ndarray], points: np.ndarray) -> np.ndarray:
    """``function`` applied to at most :data:`CHUNK_POINTS` rows at a time, concatenated."""
    parts = [function(points[start:start + CHUNK_POINTS])
             for start in range(0, points.shape[0], CHUNK_POINTS)]
    return np.concatenate(parts)


def _check_resolution(resolution: int) -> int:
    if isinstance(resolution, (bool, np.bool_)) or not isinstance(resolution, (int, np.integer)):
        raise TypeError(f"resolution must be an int (pixels per side), got {resolution!r}")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2 pixels per side, got {resolution}")
    return int(resolution)


def _as_single_output(values: ArrayLike, what: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(
            f"{what} must give one value per point; got shape {values.shape}. The plane can "
            "be shaded by one output only: pass a model with a single output (or several "
            "classes)"
        )
    return values


def _rescaled(grid: np.ndarray) -> np.ndarray:
    """A neuron's grid divided by its largest finite ``|value|`` when that exceeds 1, clipped."""
    grid = np.asarray(grid, dtype=np.float64)
    finite = np.abs(grid[np.isfinite(grid)])
    largest = finite.max() if finite.size else 0.0
    if largest > 1.0:
        grid = grid / largest
    return np.clip(grid, -1.0, 1.0)


def _pretty_feature_name(name: str) -> str:
    """``"x1^2"`` -> ``"x₁²"``, ``"x1*x2"`` -> ``"x₁x₂"``, ``"sin(x1)"`` -> ``"sin(x₁)"``."""
    name = re.sub(r"x(\d+)", lambda match: "x" + match.group(1).translate(_SUBSCRIPTS), name)
    name = re.sub(r"\^([23])", lambda match: _SUPERSCRIPTS[match.group(1)], name)
    return name.replace("*", "")


# ------------------------------------------------------------- decision boundary
def _shading(model: Any) -> tuple[str, Callable[[np.ndarray], np.ndarray], Any]:
    """How to shade the plane for ``model``.

    Returns
    -------
    kind : {"signed", "classes"}
        ``"signed"``: values in [-1, 1] on the Playground scale; ``"classes"``: class
        indices on a qualitative scale.
    evaluate : callable
        Maps a model input matrix to one value per row.
    binary_labels : sequence of two labels or None
        The labels drawn orange and blue when the points do not show two distinct ones
        (all of one class), if the model knows them.
    """
    if isinstance(model, MLP):
        if model.loss_name == "cross_entropy":
            return "classes", model.predict, None
        if model.n_outputs != 1:
            raise ValueError(
                f"the model has {model.n_outputs} independent outputs; the plane can be "
                "shaded by one output only"
            )
        if model.loss_name == "binary_cross_entropy":
            return ("signed",
                    lambda inputs: 2.0 * model.predict_proba(inputs)[:, 0] - 1.0,
                    (0, 1))
        # tanh output: its raw value is the Playground's; identity output: clipped below.
        return "signed", lambda inputs: _as_single_output(model.predict(inputs), "predict"), None
    if not hasattr(model, "predict"):
        raise TypeError(
            f"model must be a fitted fastmlp.MLP, a fitted estimator or an object with a "
            f"predict method; got {type(model).__name__}"
        )
    classes = getattr(model, "classes_", None)
    if classes is None:
        return "signed", lambda inputs: _as_single_output(model.predict(inputs), "predict"), None
    classes = np.asarray(classes)
    has_proba = hasattr(model, "predict_proba")
    if classes.size == 2:
        if has_proba:
            return ("signed",
                    lambda inputs: 2.0 * np.asarray(model.predict_proba(inputs))[:, 1] - 1.0,
                    classes)
        return ("signed",
                lambda inputs: np.where(model.predict(inputs) == classes[1], 1.0, -1.0),
                classes)
    if has_proba:
        return "classes", lambda inputs: np.argmax(model.predict_proba(inputs), axis=1), None
    return "classes", lambda inputs: _class_indices(classes, model.predict(inputs)), None


def _class_indices(classes: np.ndarray, labels: ArrayLike) -> np.ndarray:
    """Position of each label in ``classes`` (which need not be sorted)."""
    order = np.argsort(classes)
    return order[np.searchsorted(classes[order], np.asarray(labels))]


def _point_values(model: Any, kind: str, binary_labels: Any, y: np.ndarray) -> np.ndarray:
    """The value each point is coloured by: a class index, or a value in [-1, 1]."""
    if kind == "classes":
        classes = getattr(model, "classes_", None)
        if classes is not None:
            return _class_indices(np.asarray(classes), y)
        return np.argmax(y, axis=1) if y.ndim == 2 else y.astype(np.int64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must hold one label or target per point; got shape {y.shape}")
    labels = np.unique(y)
    if labels.size != 2:
        labels = binary_labels
    if labels is not None:
        return np.where(y == labels[1], 1.0, -1.0)
    return np.clip(y.astype(np.float64), -1.0, 1.0)


def _draw_points(ax: Axes, X: np.ndarray, values: np.ndarray, kind: str, edge: str) -> None:
    if kind == "classes":
        colour_settings = dict(cmap="tab10", vmin=-0.5, vmax=9.5)
        values = np.mod(values, 10)
    else:
        colour_settings = dict(cmap=playground_cmap(), vmin=-1.0, vmax=1.0)
    ax.scatter(X[:, 0], X[:, 1], c=values, edgecolors=edge, linewidths=0.6, s=22, zorder=3,
               **colour_settings)


def plot_decision_boundary(
    model: Any,
    X: ArrayLike,
    y: ArrayLike,
    ax: Axes | None = None,
    resolution: int = 200,
    extent: Sequence[float] | None = None,
    features: Callable[[np.ndarray], ArrayLike] | None = None,
) -> Figure:
    """Shade the plane with a fitted model's output and draw the data on top.

    Parameters
    ----------
    model : fastmlp.MLP, estimator or object with ``predict``
        A fitted model with two raw inputs (or with inputs made by ``features``). The
        shade, on the Playground scale from -1 (orange) to +1 (blue), is:

        * binary classifier with probability ``p`` of the positive class (``fastmlp.MLP``
          with binary cross-entropy, or an estimator with two ``classes_``): ``2p - 1``;
        * ``fastmlp.MLP`` with ``output="tanh"``: its output;
        * regression (any other model): the prediction clipped to [-1, 1].

        Multi-class models (``fastmlp.MLP`` with cross-entropy, estimators with more
        than two ``classes_``) shade each point by its predicted class on ``tab10``.
    X : array-like, shape (n_samples, 2)
        Raw coordinates of the points to draw (as training points: white edges).
    y : array-like, shape (n_samples,)
        Their labels or targets. With two distinct labels (0/1, -1/+1, or any two
        classes) the first of ``np.unique(y)`` is drawn orange and the second blue (for a
        binary classifier: ``classes_[0]`` and ``classes_[1]``); multi-class labels take
        their class's ``tab10`` colour; other targets the Playground scale of their value
        clipped to [-1, 1].
    ax : matplotlib Axes or None
        Where to draw; ``None`` makes a new figure.
    resolution : int
        Pixels per side of the shaded image.
    extent : (x1_min, x1_max, x2_min, x2_max) or None
        Region shaded; ``None`` is the points' bounding box with a 10% margin on each
        side. For Playground data pass ``(-6, 6, -6, 6)``.
    features : callable or None
        Maps an ``(m, 2)`` array of plane points to the model's input matrix (for derived
        features such as ``x1^2``); ``None`` feeds the points as they are.

    Returns
    -------
    Figure
        The figure drawn on; its image (``ax.images[0]``) holds the shade values, row 0 at
        the top, pixel ``(i, j)`` evaluated at the pixel's centre. A signed shade is drawn
        smoothed between the pixel centres (bilinear); class indices are not.

    Notes
    -----
    The grid is evaluated :data:`CHUNK_POINTS` points at a time, so memory stays bounded
    for any resolution.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must be the points' coordinates, shape (n, 2); got {X.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one entry per row of X ({X.shape[0]}); got {y.shape}")
    resolution = _check_resolution(resolution)
    if extent is None:
        if X.shape[0] == 0:
            raise ValueError("extent is needed when there are no points to take it from")
        low, high = X.min(axis=0), X.max(axis=0)
        margin = np.where(high > low, 0.1 * (high - low), 1.0)
        extent = (low[0] - margin[0], high[0] + margin[0], low[1] - margin[1],
                  high[1] + margin[1])
    extent = tuple(float(edge) for edge in extent)
    if len(extent) != 4:
        raise ValueError(f"extent must be (x1_min, x1_max, x2_min, x2_max); got {extent}")

    kind, evaluate, binary_labels = _shading(model)
    to_inputs = (lambda points: points) if features is None else features
    shade = _in_chunks(lambda points: evaluate(to_inputs(points)),
                       _pixel_centres(extent, resolution)).reshape(resolution, resolution)

    figure, ax = _axes_or_new(ax, (5.0, 5.0))
    if kind == "classes":
        ax.imshow(np.mod(shade, 10), cmap="tab10", vmin=-0.5, vmax=9.5, extent=extent,
                  origin="upper", interpolation="nearest", alpha=HEATMAP_ALPHA, aspect="auto")
    else:
        ax.imshow(np.clip(shade, -1.0, 1.0), cmap=playground_cmap(), vmin=-1.0, vmax=1.0,
                  extent=extent, origin="upper", interpolation=SMOOTHING, alpha=HEATMAP_ALPHA,
                  aspect="auto")
    _draw_points(ax, X, _point_values(model, kind, binary_labels, y), kind, "white")
    ax.set(xlim=extent[:2], ylim=extent[2:], xlabel="$x_1$", ylabel="$x_2$")
    return figure


# ------------------------------------------------------------------------ loss
def _loss_curves(history: Any) -> dict[str, np.ndarray]:
    """The loss-like series of a history dict, an estimator or a ``fastmlp.MLP``."""
    if isinstance(history, Mapping):
        source = history
    elif hasattr(history, "loss_curve_"):
        if history.loss_curve_ is None:
            raise ValueError(
                "the estimator recorded no loss curve (solver='lbfgs' keeps none); fit it "
                "with solver='sgd', 'adam' or 'gd', or pass a history dict"
            )
        source = {"loss": history.loss_curve_}
        if getattr(history, "val_loss_curve_", None) is not None:
            source["val_loss"] = history.val_loss_curve_
    elif isinstance(getattr(history, "history", None), Mapping):
        source = history.history
    else:
        raise TypeError(
            "history must be a dict of 1-D arrays (such as MLP.history), a fitted estimator "
            f"with loss_curve_, or a fastmlp.MLP; got {type(history).__name__}"
        )
    curves = {}
    for key, values in source.items():
        if "loss" not in str(key):
            continue
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError(f"history[{key!r}] must be 1-D (one value per epoch)")
        curves[str(key)] = values
    if not curves:
        raise ValueError(
            f"history has no loss curve: none of its keys {list(source)} contains 'loss'"
        )
    return curves


def plot_loss(history: Mapping[str, ArrayLike] | Any, ax: Axes | None = None,
              first_epoch: int = 1) -> Figure:
    """Draw loss curves against the epoch.

    Parameters
    ----------
    history : dict of 1-D arrays, fitted estimator or fastmlp.MLP
        Every key containing ``"loss"`` is drawn (``"loss"`` and ``"val_loss"`` of
        ``MLP.history``; ``"train_loss"`` and ``"test_loss"`` of a Playground run); other
        keys, such as accuracies, are ignored. An estimator gives ``loss_curve_`` and, when
        it is not None, ``val_loss_curve_``; a ``fastmlp.MLP`` its ``history``.
    ax : matplotlib Axes or None
        Where to draw; ``None`` makes a new figure.
    first_epoch : int
        The epoch of each curve's first value: 1 for ``MLP.history`` and estimators, 0
        for a Playground run (whose history starts with the initial weights' figures).

    Returns
    -------
    Figure
        Curves against epochs ``first_epoch .. first_epoch + n - 1`` with a legend. The y
        axis is logarithmic when every finite value is positive and they span more than two
        decades. Non-finite values (a diverged run records NaN or inf) are left as gaps.
    """
    curves = _loss_curves(history)
    figure, ax = _axes_or_new(ax, (5.0, 3.5))
    for key, values in curves.items():
        ax.plot(np.arange(first_epoch, first_epoch + values.size),
                np.where(np.isfinite(values), values, np.nan), label=key.replace("_", " "))
    finite = np.concatenate([values[np.isfinite(values)] for values in curves.values()])
    if finite.size and finite.min() > 0 and finite.max() > 100.0 * finite.min():
        ax.set_yscale("log")
        # Limits set in decades, so that a diverging run's losses near the largest float
        # do not push matplotlib's margins and ticks past it.
        low, high = np.log10(finite.min()), np.log10(finite.max())
        margin = 0.05 * (high - low)
        ax.set_ylim(10.0 ** (low - margin), 10.0 ** min(high + margin, _LOG_TOP_DECADE))
    ax.set(xlabel="epoch", ylabel="loss")
    ax.legend()
    return figure


# --------------------------------------------------------------------- network
def _link_widths(weights: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Line width of every link: ``|w|`` scaled so the largest finite one is 4 points."""
    magnitudes = [np.abs(W) for W in weights]
    finite = np.concatenate([m[np.isfinite(m)] for m in magnitudes])
    largest = finite.max() if finite.size else 0.0
    widths = []
    for magnitude in magnitudes:
        scaled = (MAX_LINK_WIDTH * magnitude / largest if largest > 0
                  else np.zeros_like(magnitude))
        scaled = np.where(np.isfinite(scaled), scaled, MIN_LINK_WIDTH)
        widths.append(np.maximum(scaled, MIN_LINK_WIDTH))
    return widths


def _link_colour(w: float) -> str:
    if w > 0:
        return BLUE
    if w < 0:
        return ORANGE
    return GREY


def _check_network(weights, biases, neuron_grids, dead):
    weights = [np.asarray(W, dtype=np.float64) for W in weights]
    biases = [np.asarray(b, dtype=np.float64) for b in biases]
    grids = [np.asarray(grid, dtype=np.float64) for grid in neuron_grids]
    if not weights:
        raise ValueError("weights must hold at least one layer's matrix, shape (fan_out, fan_in)")
    if len(biases) != len(weights) or len(grids) != len(weights) + 1:
        raise ValueError(
            f"{len(weights)} weight matrices need {len(weights)} bias vectors and "
            f"{len(weights) + 1} neuron grids (input layer to output layer); got "
            f"{len(biases)} and {len(grids)}"
        )
    for layer, grid in enumerate(grids):
        if grid.ndim != 3 or grid.shape[1] != grid.shape[2]:
            raise ValueError(
                f"neuron_grids[{layer}] must have shape (width, r, r); got {grid.shape}"
            )
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        expected = (grids[layer + 1].shape[0], grids[layer].shape[0])
        if W.shape != expected or b.shape != (expected[0],):
            raise ValueError(
                f"layer {layer}: weights must have shape {expected} (fan_out, fan_in) and "
                f"biases ({expected[0]},) to match the neuron grids; got {W.shape} and {b.shape}"
            )
    if dead is None:
        dead = [np.zeros(W.shape, dtype=bool) for W in weights]
    else:
        dead = [np.asarray(mask, dtype=bool) for mask in dead]
        if len(dead) != len(weights) or any(
                mask.shape != W.shape for mask, W in zip(dead, weights, strict=True)):
            raise ValueError("dead must hold one boolean mask per weight matrix, of its shape")
    return weights, biases, grids, dead


# The diagram's geometry in data units: the distance between layer columns, between the
# neurons of a column, and the side of a neuron's image; and the scale it is drawn at.
_COLUMN_GAP, _ROW_GAP, _SIDE = 2.4, 1.0, 0.62
_INCHES_PER_UNIT = 0.6
_LABEL_SIZE = 9.0
_LEGEND_SIZE = 8.5
# Rough width of a character of the labels, in data units at that scale and font size.
_CHAR_UNITS = 0.6 * _LABEL_SIZE / 72 / _INCHES_PER_UNIT
# Height of the diagram's legend below it, in inches.
_LEGEND_INCHES = 0.75


def _layer_names(n_layers: int) -> list[str]:
    """``"input features"``, ``"hidden layer 1"``, ..., ``"output"``."""
    return (["input features"] + [f"hidden layer {k}" for k in range(1, n_layers - 1)]
            + ["output"])


def _diagram_box(widths: Sequence[int], input_names: Sequence[str] | None,
                 layer_labels: bool) -> tuple[float, float, float, float]:
    """``(left, right, bottom, top)`` of the diagram, in data units."""
    tallest = max(widths)
    longest = max((len(name) for name in input_names), default=0) if input_names else 0
    left = -_SIDE / 2 - (0.2 + _CHAR_UNITS * longest if longest else 0.15)
    right = _COLUMN_GAP * (len(widths) - 1) + _SIDE / 2 + 0.15
    if layer_labels:
        names = _layer_names(len(widths))
        left = min(left, -_CHAR_UNITS * len(names[0]) / 2)
        right = max(right, _COLUMN_GAP * (len(widths) - 1) + _CHAR_UNITS * len(names[-1]) / 2)
    bottom = -tallest * _ROW_GAP / 2 - 0.1
    top = tallest * _ROW_GAP / 2 + (0.6 if layer_labels else 0.1)
    return left, right, bottom, top


def _network_legend(ax: Axes, n_dead: int, columns: int) -> None:
    """What the links, their widths, the neuron images and the bias squares mean."""
    cmap = playground_cmap()
    handles = [
        Line2D([], [], color=ORANGE, linewidth=2.5, label="negative weight"),
        Line2D([], [], color=BLUE, linewidth=2.5, label="positive weight"),
        (Line2D([], [], color="#999999", linewidth=0.6),
         Line2D([], [], color="#999999", linewidth=MAX_LINK_WIDTH)),
        Line2D([], [], marker="s", markersize=11, linestyle="none", markerfacecolor=cmap(0.8),
               markeredgecolor="#555555", markeredgewidth=0.6),
        Line2D([], [], marker="s", markersize=4.5, linestyle="none",
               markerfacecolor=cmap(0.25), markeredgecolor="#555555", markeredgewidth=0.5),
    ]
    labels = ["negative weight", "positive weight", "line width: |weight|",
              "neuron: its output over the plane", "bias: its value, same colours"]
    if n_dead:
        handles.append(Line2D([], [], color="none"))
        labels.append(f"{n_dead} dead link{'s' if n_dead > 1 else ''} (L1), not drawn")
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=columns,
              frameon=False, fontsize=_LEGEND_SIZE, handlelength=2.4, columnspacing=1.2,
              handler_map={tuple: HandlerTuple(ndivide=None, pad=0.5)})


def plot_network(
    weights: Sequence[ArrayLike],
    biases: Sequence[ArrayLike],
    neuron_grids: Sequence[ArrayLike],
    dead: Sequence[ArrayLike] | None = None,
    input_names: Sequence[str] | None = None,
    ax: Axes | None = None,
    layer_labels: bool = True,
    legend: bool = True,
) -> Figure:
    """Draw the Playground's network diagram.

    Layers are columns, left to right. Each neuron is a small image of its own output over
    the plane, on the Playground scale; each link from neuron ``i`` of layer ``l`` to
    neuron ``j`` of layer ``l + 1`` is a line whose width follows ``|W^(l)[j, i]|`` and
    whose colour is blue for a positive weight and orange for a negative one. A small
    square at each non-input neuron's lower left corner shows its bias on the same scale.

    Parameters
    ----------
    weights : sequence of array-like, shapes (fan_out, fan_in)
        ``W^(l)``, mapping layer ``l`` to layer ``l + 1``. One matrix (no hidden layer)
        works too.
    biases : sequence of array-like, shapes (fan_out,)
        ``b^(l)``.
    neuron_grids : sequence of array-like, shapes (width_l, r, r)
        One entry per layer, input layer first and output layer last: each neuron's output
        over an ``r`` x ``r`` grid of ``[-6, 6]^2``, row 0 at x2 = +6 (image order). A
        grid whose largest ``|value|`` exceeds 1 (relu, linear) is divided by it; values
        are then clipped to [-1, 1].
    dead : sequence of bool array-like, shapes like ``weights``, or None
        True marks a dead link: it is not drawn.
    input_names : sequence of str or None
        Labels of the input neurons, drawn left of the first column.
    ax : matplotlib Axes or None
        Where to draw; ``None`` makes a new figure sized by the number of layers and the
        widest layer.
    layer_labels : bool
        Name the columns above them: "input features", "hidden layer 1", ..., "output".
    legend : bool
        Explain the diagram below it: link colours (orange negative, blue positive), link
        width (``|w|``), the neuron images, the bias squares and, if any, the dead links.

    Returns
    -------
    Figure
        The links are the axes' lines with gid ``"link-l-j-i"`` (layer, target, source);
        line widths in points are ``max(0.3, 4 |w| / max |w|)``, the maximum over the
        network's finite weights. The column names are texts with gid ``"layer-l"``, the
        input names texts with gid ``"input-i"``; the neuron images are the axes' only
        images, layer by layer.
    """
    weights, biases, grids, dead = _check_network(weights, biases, neuron_grids, dead)
    widths = [grid.shape[0] for grid in grids]
    if input_names is not None and len(input_names) != widths[0]:
        raise ValueError(
            f"input_names must name the {widths[0]} inputs; got {len(input_names)} names"
        )
    left, right, bottom, top = _diagram_box(widths, input_names, layer_labels)
    figure, ax = _axes_or_new(ax, (_INCHES_PER_UNIT * (right - left) + 0.3,
                                   _INCHES_PER_UNIT * (top - bottom) + 0.3
                                   + (_LEGEND_INCHES if legend else 0.0)))
    side = _SIDE

    def centre(layer: int, neuron: int) -> tuple[float, float]:
        return layer * _COLUMN_GAP, (widths[layer] - 1) / 2 * _ROW_GAP - neuron * _ROW_GAP

    link_widths = _link_widths(weights)
    for layer, W in enumerate(weights):
        for j, i in zip(*np.nonzero(~dead[layer]), strict=True):
            (x_from, y_from), (x_to, y_to) = centre(layer, i), centre(layer + 1, j)
            ax.add_line(Line2D(
                [x_from + side / 2, x_to - side / 2], [y_from, y_to],
                linewidth=link_widths[layer][j, i], color=_link_colour(W[j, i]),
                solid_capstyle="butt", zorder=1, gid=f"link-{layer}-{j}-{i}",
            ))

    cmap = playground_cmap()
    for layer, grid in enumerate(grids):
        for neuron in range(widths[layer]):
            x, y = centre(layer, neuron)
            ax.imshow(_rescaled(grid[neuron]), cmap=cmap, vmin=-1.0, vmax=1.0,
                      extent=(x - side / 2, x + side / 2, y - side / 2, y + side / 2),
                      origin="upper", interpolation=SMOOTHING, zorder=2)
            ax.add_patch(Rectangle((x - side / 2, y - side / 2), side, side, fill=False,
                                   edgecolor="#555555", linewidth=0.6, zorder=3))
            if layer > 0:
                bias = float(np.clip(biases[layer - 1][neuron], -1.0, 1.0))
                colour = cmap((bias + 1.0) / 2.0) if np.isfinite(bias) else to_rgba(GREY)
                ax.add_patch(Rectangle((x - side / 2 - 0.09, y - side / 2 - 0.09), 0.16, 0.16,
                                       facecolor=colour, edgecolor="#555555", linewidth=0.5,
                                       zorder=4, gid=f"bias-{layer - 1}-{neuron}"))
            elif input_names is not None:
                ax.text(x - side / 2 - 0.12, y, input_names[neuron], ha="right",
                        va="center", fontsize=_LABEL_SIZE, gid=f"input-{neuron}")
    if layer_labels:
        label_y = max(widths) * _ROW_GAP / 2 + 0.15
        for layer, name in enumerate(_layer_names(len(widths))):
            ax.text(layer * _COLUMN_GAP, label_y, name, ha="center", va="bottom",
                    fontsize=_LABEL_SIZE, color="#333333", gid=f"layer-{layer}")
    if legend:
        wide = _INCHES_PER_UNIT * (right - left) >= 4.5
        _network_legend(ax, sum(int(mask.sum()) for mask in dead), 2 if wide else 1)
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return figure


# ------------------------------------------------------------------ playground
def _draw_output(ax: Axes, playground: Any, resolution: int) -> None:
    """The network's output over the plane, the points, the colour bar and their legend."""
    def outputs(points: np.ndarray) -> np.ndarray:
        return np.asarray(playground.neuron_outputs(points)[-1], dtype=np.float64)[:, 0]

    shade = _in_chunks(outputs, _pixel_centres(PLAYGROUND_EXTENT, resolution))
    image = ax.imshow(np.clip(shade, -1.0, 1.0).reshape(resolution, resolution),
                      cmap=playground_cmap(), vmin=-1.0, vmax=1.0, extent=PLAYGROUND_EXTENT,
                      origin="upper", interpolation=SMOOTHING, alpha=HEATMAP_ALPHA)
    for X, y, edge in ((playground.X_train, playground.y_train, "white"),
                       (playground.X_test, playground.y_test, "black")):
        X = np.asarray(X, dtype=np.float64).reshape(-1, 2)
        values = np.clip(_as_single_output(y, "y"), -1.0, 1.0)
        _draw_points(ax, X, values, "signed", edge)
    ax.set(xlim=PLAYGROUND_EXTENT[:2], ylim=PLAYGROUND_EXTENT[2:], xlabel="$x_1$",
           ylabel="$x_2$", title=f"network output ({playground.problem})")
    ax.set_aspect("equal")
    what = "label" if playground.problem == "classification" else "target"
    colorbar = _root_figure(ax).colorbar(image, ax=ax, ticks=[-1, 0, 1], shrink=0.8,
                                         fraction=0.05, pad=0.03)
    colorbar.set_label(f"output (shade), {what} (points)", fontsize=_LEGEND_SIZE)
    colorbar.ax.tick_params(labelsize=_LEGEND_SIZE)
    marker = dict(marker="o", linestyle="none", markersize=6, markerfacecolor="#9bbbd4")
    ax.legend([Line2D([], [], markeredgecolor="white", markeredgewidth=1.2, **marker),
               Line2D([], [], markeredgecolor="black", markeredgewidth=1.2, **marker)],
              ["train points (white edge)", "test points (dark edge)"],
              loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=True,
              facecolor="#d9d9d9", edgecolor="none", fontsize=_LEGEND_SIZE, handletextpad=0.3)


def plot_playground(playground: Any, resolution: int = 100, rows: int = 1) -> Figure:
    """Draw a Playground run: network diagram, output over the plane, loss curves.

    Parameters
    ----------
    playground : Playground
        Read through these attributes only: ``network`` (a ``fastmlp.MLP``: ``weights``,
        ``biases``, ``sizes``), ``dead`` (bool masks shaped like the weights, or None),
        ``feature_names``, ``neuron_outputs(points)`` (one ``(m, width_l)`` array per
        layer, input features first, network output last), ``X_train``, ``y_train``,
        ``X_test``, ``y_test`` (raw coordinates and labels or targets), ``history``
        (``"train_loss"``, ``"test_loss"``, maybe ``"test_accuracy"``; entry ``k`` the
        figure after epoch ``k``, entry 0 that of the initial weights), ``problem``
        (``"classification"`` or ``"regression"``) and ``epoch``.
    resolution : int
        Pixels per side of the output image over ``[-6, 6]^2`` (drawn smoothed between
        them). The neuron images of the diagram use at most :data:`NEURON_RESOLUTION`.
    rows : {1, 2}
        1: the three panels side by side; 2: the diagram above, the output and the loss
        below it, a narrower picture for a page or a screen.

    Returns
    -------
    Figure
        The network diagram (layers named, with a legend), the output (clipped to [-1, 1])
        with training points (white edges) and test points (black edges), a colour bar and
        a legend telling them apart, and the train and test loss from epoch 0. The title
        reads ``"epoch N, train loss a, test loss b"``.
    """
    resolution = _check_resolution(resolution)
    if rows not in (1, 2):
        raise ValueError(f"rows must be 1 (side by side) or 2 (diagram on top); got {rows!r}")
    network = playground.network
    names = [_pretty_feature_name(str(name)) for name in playground.feature_names]
    side = min(resolution, NEURON_RESOLUTION)
    layer_outputs = playground.neuron_outputs(_pixel_centres(PLAYGROUND_EXTENT, side))
    neuron_grids = [np.asarray(values, dtype=np.float64).T.reshape(-1, side, side)
                    for values in layer_outputs]

    left, right, bottom, top = _diagram_box(network.sizes, names, True)
    diagram_width = _INCHES_PER_UNIT * (right - left)
    diagram_height = _INCHES_PER_UNIT * (top - bottom) + _LEGEND_INCHES
    panel = 4.2  # inches per side of the output and the loss panels
    if rows == 1:
        height = max(panel + 0.9, diagram_height) + 0.5
        figure = Figure(figsize=(diagram_width + 2 * panel + 1.6, height), layout="constrained")
        diagram_ax, output_ax, loss_ax = figure.subplots(
            1, 3, width_ratios=[diagram_width, panel + 0.6, panel])
    else:
        width = max(diagram_width, 2 * panel + 1.2) + 0.4
        figure = Figure(figsize=(width, diagram_height + panel + 1.4), layout="constrained")
        grid = figure.add_gridspec(2, 2, height_ratios=[diagram_height, panel + 0.4],
                                   width_ratios=[panel + 0.6, panel])
        diagram_ax = figure.add_subplot(grid[0, :])
        output_ax, loss_ax = figure.add_subplot(grid[1, 0]), figure.add_subplot(grid[1, 1])
    figure.get_layout_engine().set(h_pad=0.08, w_pad=0.08)

    plot_network(network.weights, network.biases, neuron_grids, dead=playground.dead,
                 input_names=names, ax=diagram_ax)
    _draw_output(output_ax, playground, resolution)
    plot_loss(playground.history, ax=loss_ax, first_epoch=0)
    loss_ax.set_title("loss")
    what = "label" if playground.problem == "classification" else "target"
    loss_ax.set_ylabel(f"mean ½(output − {what})²")

    def last(key: str) -> float:
        values = np.asarray(playground.history.get(key, ()), dtype=np.float64)
        return float(values[-1]) if values.size else float("nan")

    figure.suptitle(f"epoch {playground.epoch}, train loss {last('train_loss'):.3f}, "
                    f"test loss {last('test_loss'):.3f}", fontsize="x-large")
    return figure
