"""The Playground-style pictures: colours, chunked grids, link lines, loss curves, layouts."""

import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize, to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from sklearn.exceptions import ConvergenceWarning

import fastmlp
from fastmlp import plotting
from fastmlp.plotting import (
    playground_cmap,
    plot_decision_boundary,
    plot_loss,
    plot_network,
    plot_playground,
)

ORANGE, GREY, BLUE = "#f59322", "#e8eaeb", "#0877bd"


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def saves_as_png(figure, path):
    assert isinstance(figure, Figure)
    figure.savefig(path)
    return path.stat().st_size > 0


def links(figure):
    return {line.get_gid(): line for ax in figure.axes for line in ax.lines
            if (line.get_gid() or "").startswith("link-")}


def texts(ax, prefix):
    """The texts of ``ax`` whose gid starts with ``prefix``, in drawing order."""
    return [text.get_text() for text in ax.texts if (text.get_gid() or "").startswith(prefix)]


def legend_entries(ax):
    legend = ax.get_legend()
    assert legend is not None
    return [text.get_text() for text in legend.get_texts()]


def draw(figure):
    """Draw ``figure`` (laying it out) and return the renderer."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return canvas.get_renderer()


def half_planes(rng, n=80):
    """Points of [-6, 6]^2 labelled 1 where x1 > 0, else 0."""
    X = rng.uniform(-6, 6, (n, 2))
    return X, (X[:, 0] > 0).astype(np.int64)


@pytest.fixture
def bce_net(rng):
    X, y = half_planes(rng)
    net = fastmlp.MLP([2, 6, 1], activation="tanh", loss="binary_cross_entropy", seed=0)
    return net.fit(X / 6, y, epochs=40, lr=0.5), X, y


# ------------------------------------------------------------------- colours
def test_playground_cmap_maps_minus_one_zero_one_to_the_three_colours():
    cmap = playground_cmap()
    norm = Normalize(vmin=-1, vmax=1)
    assert cmap.name == "playground"
    assert [to_hex(cmap(norm(value))) for value in (-1.0, 0.0, 1.0)] == [ORANGE, GREY, BLUE]


# --------------------------------------------------------- decision boundary
def test_decision_boundary_of_a_binary_mlp_is_blue_where_the_output_is_positive(
        bce_net, tmp_path):
    net, X, y = bce_net
    figure = plot_decision_boundary(net, X, y, resolution=40, extent=(-6, 6, -6, 6),
                                    features=lambda points: points / 6)
    assert saves_as_png(figure, tmp_path / "boundary.png")
    image = figure.axes[0].images[0]
    values = np.asarray(image.get_array())
    # Pixel (row 20, column 38): x1 = 5.55, x2 = -0.15, deep in the positive half plane.
    probability = net.predict_proba(np.array([[5.55, -0.15]]) / 6)[0, 0]
    assert probability > 0.8
    assert values[20, 38] == pytest.approx(2 * probability - 1)
    red, _, blue, _ = image.cmap(image.norm(values[20, 38]))
    assert blue > red
    assert values[20, 1] < 0  # x1 = -5.85: the orange side


def test_decision_boundary_points_map_first_class_orange_second_blue(bce_net):
    net, X, y = bce_net
    for labels in (y, 2 * y - 1, np.where(y == 1, "yes", "no")):
        figure = plot_decision_boundary(net, X, labels, resolution=10,
                                        features=lambda points: points / 6)
        points = figure.axes[0].collections[0]
        colours = points.to_rgba(points.get_array())
        first = np.unique(labels)[0]
        expected = np.where((labels == first)[:, None], matplotlib.colors.to_rgba(ORANGE),
                            matplotlib.colors.to_rgba(BLUE))
        if labels.dtype.kind == "U":
            # Strings: "no" < "yes", so "no" (y == 0) is orange, as for 0/1 labels.
            assert first == "no"
        np.testing.assert_allclose(colours, expected)
    only_ones = plot_decision_boundary(net, X[y == 1], y[y == 1], resolution=10,
                                       features=lambda points: points / 6)
    points = only_ones.axes[0].collections[0]
    assert {to_hex(colour) for colour in points.to_rgba(points.get_array())} == {BLUE}


def test_decision_boundary_chunks_give_the_same_image_as_one_call(bce_net, tmp_path):
    net, X, y = bce_net
    resolution, extent = 300, (-6.0, 6.0, -6.0, 6.0)
    assert resolution ** 2 > plotting.CHUNK_POINTS
    calls = []

    def scaled(points):
        calls.append(len(points))
        return points / 6

    figure = plot_decision_boundary(net, X, y, resolution=resolution, extent=extent,
                                    features=scaled)
    assert len(calls) == 2 and max(calls) <= plotting.CHUNK_POINTS
    assert saves_as_png(figure, tmp_path / "fine.png")
    step = 12.0 / resolution
    x1 = -6 + (np.arange(resolution) + 0.5) * step
    x2 = 6 - (np.arange(resolution) + 0.5) * step
    grid_x1, grid_x2 = np.meshgrid(x1, x2)
    grid = np.column_stack([grid_x1.ravel(), grid_x2.ravel()])
    direct = 2 * net.predict_proba(grid / 6)[:, 0] - 1
    image = np.asarray(figure.axes[0].images[0].get_array())
    assert image.shape == (resolution, resolution)
    np.testing.assert_allclose(image.ravel(), direct, rtol=0, atol=1e-12)


def test_decision_boundary_of_a_tanh_mlp_is_its_raw_output(rng):
    X = rng.uniform(-1, 1, (60, 2))
    y = np.tanh(2 * X[:, 0] - X[:, 1])
    net = fastmlp.MLP([2, 5, 1], activation="tanh", loss="squared_error", output="tanh",
                      init="playground", seed=0).fit(X, y, epochs=30, lr=0.1)
    figure = plot_decision_boundary(net, X, y, resolution=20)
    image = np.asarray(figure.axes[0].images[0].get_array())
    left, right, bottom, top = figure.axes[0].images[0].get_extent()
    point = np.array([[left + 0.5 * (right - left) / 20, top - 0.5 * (top - bottom) / 20]])
    assert image[0, 0] == pytest.approx(net.predict(point)[0])


def test_decision_boundary_of_a_three_class_estimator_shades_class_indices(rng, tmp_path):
    centres = np.array([[-3.0, -3.0], [3.0, -3.0], [0.0, 3.0]])
    labels = np.repeat(["a", "b", "c"], 30)
    X = np.repeat(centres, 30, axis=0) + rng.normal(0, 0.7, (90, 2))
    clf = fastmlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, learning_rate_init=0.05,
                                random_state=0).fit(X, labels)
    figure = plot_decision_boundary(clf, X, labels, resolution=30)
    assert saves_as_png(figure, tmp_path / "three.png")
    image = figure.axes[0].images[0]
    assert image.get_cmap().name == "tab10"
    assert set(np.unique(image.get_array())) <= {0, 1, 2}
    points = figure.axes[0].collections[0]
    np.testing.assert_array_equal(points.get_array(), np.repeat([0, 1, 2], 30))


def test_decision_boundary_of_a_regressor_is_its_clipped_prediction(rng, tmp_path):
    X = rng.uniform(-2, 2, (80, 2))
    y = 1.5 * X[:, 0]
    reg = fastmlp.MLPRegressor(hidden_layer_sizes=(8,), max_iter=30, learning_rate_init=0.05,
                               random_state=0).fit(X, y)
    figure = plot_decision_boundary(reg, X, y, resolution=25)
    assert saves_as_png(figure, tmp_path / "regression.png")
    image = figure.axes[0].images[0]
    values = np.asarray(image.get_array())
    assert values.min() >= -1 and values.max() <= 1
    assert image.cmap.name == "playground"
    np.testing.assert_allclose(figure.axes[0].collections[0].get_array(), np.clip(y, -1, 1))


def test_decision_boundary_feeds_derived_features(rng, tmp_path):
    X = rng.uniform(-6, 6, (120, 2))
    y = (np.hypot(X[:, 0], X[:, 1]) < 3.5).astype(np.int64)

    def squares(points):
        return np.column_stack([points, points ** 2]) / np.array([6, 6, 36, 36])

    net = fastmlp.MLP([4, 6, 1], activation="tanh", loss="binary_cross_entropy",
                      seed=0).fit(squares(X), y, epochs=40, lr=0.5)
    figure = plot_decision_boundary(net, X, y, resolution=30, extent=(-6, 6, -6, 6),
                                    features=squares)
    assert saves_as_png(figure, tmp_path / "features.png")
    image = np.asarray(figure.axes[0].images[0].get_array())
    centre = net.predict_proba(squares(np.array([[-0.2, 0.2]])))[0, 0]
    assert image[14, 14] == pytest.approx(2 * centre - 1)


def test_decision_boundary_draws_into_a_given_axes_and_returns_its_figure(bce_net):
    net, X, y = bce_net
    figure = Figure()
    ax = figure.subfigures(1, 2)[1].add_subplot()
    assert plot_decision_boundary(net, X, y, ax=ax, resolution=8,
                                  features=lambda points: points / 6) is figure
    assert len(ax.images) == 1


# ---------------------------------------------------------------------- loss
def test_plot_loss_draws_loss_keys_only_and_survives_nan(tmp_path):
    history = {"train_loss": np.array([0.6, 0.5, 0.4, np.nan, np.nan]),
               "test_loss": np.array([0.7, 0.6, 0.5, np.nan, np.nan]),
               "test_accuracy": np.array([0.5, 0.6, 0.7, 0.7, 0.7])}
    figure = plot_loss(history)
    assert saves_as_png(figure, tmp_path / "loss.png")
    ax = figure.axes[0]
    assert [line.get_label() for line in ax.lines] == ["train loss", "test loss"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3, 4, 5])
    assert ax.get_yscale() == "linear"
    assert ax.get_legend() is not None
    from_zero = plot_loss(history, first_epoch=0).axes[0]
    np.testing.assert_array_equal(from_zero.lines[1].get_xdata(), [0, 1, 2, 3, 4])


def test_plot_loss_is_logarithmic_only_over_more_than_two_decades():
    assert plot_loss({"loss": np.geomspace(10, 0.01, 30)}).axes[0].get_yscale() == "log"
    assert plot_loss({"loss": np.geomspace(10, 0.2, 30)}).axes[0].get_yscale() == "linear"
    negative = np.linspace(-1, 100, 30)
    assert plot_loss({"loss": negative}).axes[0].get_yscale() == "linear"
    all_nan = plot_loss({"loss": np.full(4, np.nan)})
    assert all_nan.axes[0].get_yscale() == "linear"


def test_plot_loss_draws_a_run_that_overflowed(tmp_path):
    losses = np.r_[0.5, np.geomspace(1e36, 3e289, 8), np.inf]  # a diverging Playground run
    figure = plot_loss({"train_loss": losses, "test_loss": losses}, first_epoch=0)
    assert saves_as_png(figure, tmp_path / "overflow.png")
    ax = figure.axes[0]
    assert ax.get_yscale() == "log"
    assert np.isnan(ax.lines[0].get_ydata()[-1])  # the infinite loss is a gap
    assert ax.get_ylim()[0] < 0.5 and np.isfinite(ax.get_ylim()[1])


def test_plot_loss_reads_an_estimator_and_an_mlp(rng, bce_net, tmp_path):
    X, y = half_planes(rng)
    clf = fastmlp.MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0,
                                early_stopping=True).fit(X, y)
    figure = plot_loss(clf)
    assert saves_as_png(figure, tmp_path / "estimator.png")
    lines = figure.axes[0].lines
    expected = ["loss", "val loss"] if clf.val_loss_curve_ is not None else ["loss"]
    assert [line.get_label() for line in lines] == expected
    np.testing.assert_array_equal(lines[0].get_ydata(), clf.loss_curve_)
    net = bce_net[0]
    assert len(plot_loss(net).axes[0].lines[0].get_ydata()) == 40
    with pytest.raises(ValueError, match="no loss curve"):
        plot_loss({"accuracy": np.ones(3)})


# ------------------------------------------------------------------- network
def random_network(rng, sizes, resolution=6):
    weights = [rng.normal(size=(fan_out, fan_in))
               for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [rng.normal(size=fan_out) for fan_out in sizes[1:]]
    grids = [rng.normal(scale=3, size=(width, resolution, resolution)) for width in sizes]
    return weights, biases, grids


def test_plot_network_draws_one_line_per_live_link(rng, tmp_path):
    weights, biases, grids = random_network(rng, [3, 5, 4, 1])
    figure = plot_network(weights, biases, grids, input_names=["x₁", "x₂", "x₁²"])
    assert saves_as_png(figure, tmp_path / "network.png")
    drawn = links(figure)
    assert len(drawn) == sum(W.size for W in weights)

    dead = [rng.random(W.shape) < 0.4 for W in weights]
    killed = {f"link-{layer}-{j}-{i}" for layer, mask in enumerate(dead)
              for j, i in zip(*np.nonzero(mask), strict=True)}
    assert killed
    pruned = links(plot_network(weights, biases, grids, dead=dead))
    assert set(pruned) == set(drawn) - killed
    assert len(pruned) == sum(int((~mask).sum()) for mask in dead)


def test_link_widths_grow_with_the_weight_and_colours_follow_its_sign(rng):
    weights, biases, grids = random_network(rng, [2, 6, 6, 1])
    weights[1][0, 0] = 0.0
    drawn = links(plot_network(weights, biases, grids))
    magnitude, width, colour = [], [], []
    for gid, line in drawn.items():
        layer, j, i = map(int, gid.split("-")[1:])
        w = weights[layer][j, i]
        magnitude.append(abs(w))
        width.append(line.get_linewidth())
        colour.append(to_hex(line.get_color()))
        if w > 0:
            assert colour[-1] == BLUE
        elif w < 0:
            assert colour[-1] == ORANGE
    order = np.argsort(magnitude)
    assert np.all(np.diff(np.asarray(width)[order]) >= 0)
    assert max(width) == pytest.approx(4.0)
    assert min(width) == pytest.approx(0.3)


def test_plot_network_without_hidden_layer_and_at_the_largest_size(rng, tmp_path):
    figure = plot_network(*random_network(rng, [2, 1]))
    assert saves_as_png(figure, tmp_path / "single.png")
    assert len(links(figure)) == 2

    big = plot_network(*random_network(rng, [8] * 8), input_names=[f"f{k}" for k in range(8)])
    assert saves_as_png(big, tmp_path / "big.png")
    assert len(links(big)) == 7 * 64
    assert big.get_figwidth() > figure.get_figwidth()
    assert big.get_figheight() > figure.get_figheight()
    boxes = [image.get_extent() for image in big.axes[0].images]
    assert len(boxes) == 64
    for k, (left, right, bottom, top) in enumerate(boxes):
        for other_left, other_right, other_bottom, other_top in boxes[k + 1:]:
            assert (right <= other_left or other_right <= left
                    or top <= other_bottom or other_top <= bottom)


def test_plot_network_names_its_layers_and_explains_links_and_biases(rng):
    weights, biases, grids = random_network(rng, [3, 5, 4, 1])
    figure = plot_network(weights, biases, grids, input_names=["x₁", "x₂", "x₁²"])
    ax = figure.axes[0]
    assert texts(ax, "layer-") == ["input features", "hidden layer 1", "hidden layer 2",
                                   "output"]
    assert texts(ax, "input-") == ["x₁", "x₂", "x₁²"]
    entries = legend_entries(ax)
    assert entries[:3] == ["negative weight", "positive weight", "line width: |weight|"]
    assert any(entry.startswith("bias") for entry in entries)
    assert not any("dead" in entry for entry in entries)
    handles = ax.get_legend().legend_handles
    assert to_hex(handles[0].get_color()) == ORANGE and to_hex(handles[1].get_color()) == BLUE
    # The width entry shows a thin and a thick line.
    widths = sorted(line.get_linewidth() for line in ax.get_legend().findobj(Line2D)
                    if line.get_color() == "#999999")
    assert len(widths) == 2 and widths[1] > 3 * widths[0]

    dead = [np.zeros(W.shape, dtype=bool) for W in weights]
    dead[1][0, :2] = True
    assert "2 dead links (L1), not drawn" in legend_entries(
        plot_network(weights, biases, grids, dead=dead).axes[0])
    bare = plot_network(weights, biases, grids, layer_labels=False, legend=False).axes[0]
    assert bare.get_legend() is None and texts(bare, "layer-") == []
    single = plot_network(*random_network(rng, [2, 1])).axes[0]
    assert texts(single, "layer-") == ["input features", "output"]


def test_plot_network_leaves_no_wide_margin_left_of_its_inputs(rng):
    weights, biases, grids = random_network(rng, [2, 8, 8, 1])
    figure = plot_network(weights, biases, grids, input_names=["x₁", "x₂"])
    renderer = draw(figure)
    ax = figure.axes[0]
    leftmost = min(artist.get_window_extent(renderer).x0
                   for artist in [*ax.texts, *ax.images])
    assert leftmost < 0.35 * figure.dpi  # inches of margin


def test_plot_network_rescales_large_neuron_outputs(rng):
    weights, biases, grids = random_network(rng, [2, 3, 1])
    grids[1][0] = np.linspace(0, 10, 36).reshape(6, 6)  # a relu neuron
    figure = plot_network(weights, biases, grids)
    image = figure.axes[0].images[2]
    np.testing.assert_allclose(np.asarray(image.get_array()), grids[1][0] / 10)


def test_plot_network_refuses_mismatched_shapes(rng):
    weights, biases, grids = random_network(rng, [2, 3, 1])
    with pytest.raises(ValueError, match="fan_out, fan_in"):
        plot_network([weights[0].T, weights[1]], biases, grids)


# ---------------------------------------------------------------- playground
FEATURES = {
    "x1": lambda x1, x2: x1, "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1, "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1), "sin(x2)": lambda x1, x2: np.sin(x2),
}


class StandInPlayground:
    """The attributes plot_playground reads, backed by a real, briefly trained fastmlp.MLP."""

    def __init__(self, rng, feature_names, hidden, problem, epochs=15, dead_share=0.0):
        self.feature_names = tuple(feature_names)
        self.problem = problem
        X = rng.uniform(-6, 6, (120, 2))
        if problem == "classification":
            y = np.where(X[:, 0] * X[:, 1] >= 0, 1.0, -1.0)
            output = "tanh"
        else:
            y = np.clip(X[:, 0] / 6 + 0.3 * np.sin(X[:, 1]), -1, 1)
            output = "identity"
        self.X_train, self.X_test = X[:80], X[80:]
        self.y_train, self.y_test = y[:80], y[80:]
        self.network = fastmlp.MLP([len(feature_names), *hidden, 1], activation="tanh",
                                   loss="squared_error", output=output, init="playground",
                                   seed=0)
        initial = [self.network.loss(self.features(X), y)
                   for X, y in ((self.X_train, self.y_train), (self.X_test, self.y_test))]
        self.network.fit(self.features(self.X_train), self.y_train, epochs=epochs, lr=0.03,
                         validation_data=(self.features(self.X_test), self.y_test))
        self.epoch = epochs
        # As a Playground's: entry 0 is the initial weights', entry k that after epoch k.
        self.history = {"train_loss": np.r_[initial[0], self.network.history["loss"]],
                        "test_loss": np.r_[initial[1], self.network.history["val_loss"]]}
        if problem == "classification":
            self.history["test_accuracy"] = np.linspace(0.5, 0.9, epochs + 1)
        self.dead = None
        if dead_share:
            self.dead = [rng.random(W.shape) < dead_share for W in self.network.weights]

    def features(self, points):
        return np.column_stack([FEATURES[name](points[:, 0], points[:, 1])
                                for name in self.feature_names])

    def neuron_outputs(self, points):
        a = self.features(points)
        layers = [a]
        n_layers = len(self.network.weights)
        for layer, (W, b) in enumerate(zip(self.network.weights, self.network.biases,
                                                 strict=True)):
            if self.dead is not None:
                W = np.where(self.dead[layer], 0.0, W)
            z_tilde = a @ W.T + b
            linear_output = layer == n_layers - 1 and self.problem == "regression"
            a = z_tilde if linear_output else np.tanh(z_tilde)
            layers.append(a)
        return layers


def test_stand_in_playground_matches_its_network(rng):
    playground = StandInPlayground(rng, ("x1", "x2", "x1*x2"), (4,), "classification")
    points = rng.uniform(-6, 6, (10, 2))
    np.testing.assert_allclose(playground.neuron_outputs(points)[-1][:, 0],
                               playground.network.predict(playground.features(points)))


def test_plot_playground_classification_with_seven_features(rng, tmp_path):
    names = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
    playground = StandInPlayground(rng, names, (4, 3), "classification", dead_share=0.3)
    figure = plot_playground(playground, resolution=40)
    assert saves_as_png(figure, tmp_path / "playground.png")
    diagram, output, loss, colour_bar = figure.axes
    assert colour_bar.get_ylim() == (-1.0, 1.0)
    n_live = sum(int((~mask).sum()) for mask in playground.dead)
    assert len(links(figure)) == n_live
    assert texts(diagram, "input-") == ["x₁", "x₂", "x₁²", "x₂²", "x₁x₂", "sin(x₁)",
                                        "sin(x₂)"]
    assert texts(diagram, "layer-") == ["input features", "hidden layer 1", "hidden layer 2",
                                        "output"]
    n_dead = sum(int(mask.sum()) for mask in playground.dead)
    assert f"{n_dead} dead links (L1), not drawn" in legend_entries(diagram)
    assert len(diagram.images) == sum(playground.network.sizes)
    expected = playground.neuron_outputs(plotting._pixel_centres((-6, 6, -6, 6), 40))[-1]
    np.testing.assert_allclose(np.asarray(output.images[0].get_array()).ravel(),
                               np.clip(expected[:, 0], -1, 1))
    assert output.images[0].get_interpolation() == "bilinear"  # smooth, not blocks
    train_points, test_points = output.collections[:2]
    np.testing.assert_allclose(train_points.get_edgecolors()[0], (1, 1, 1, 1))
    np.testing.assert_allclose(test_points.get_edgecolors()[0], (0, 0, 0, 1))
    assert legend_entries(output) == ["train points (white edge)", "test points (dark edge)"]
    edges = [to_hex(line.get_markeredgecolor()) for line in output.get_legend().get_lines()]
    assert edges == ["#ffffff", "#000000"]
    assert [line.get_label() for line in loss.lines] == ["train loss", "test loss"]
    np.testing.assert_array_equal(loss.lines[0].get_xdata(), np.arange(16))  # epochs 0..15
    history = playground.history
    assert figure.get_suptitle() == (
        f"epoch 15, train loss {history['train_loss'][-1]:.3f}, "
        f"test loss {history['test_loss'][-1]:.3f}")


def boxes_overlap(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("rows", [1, 2])
def test_plot_playground_title_sits_clear_above_every_panel(rng, rows):
    playground = StandInPlayground(rng, ("x1", "x2"), (8, 8), "classification", epochs=5)
    figure = plot_playground(playground, resolution=16, rows=rows)
    renderer = draw(figure)
    title = next(text for text in figure.texts if text.get_text() == figure.get_suptitle())
    title = title.get_window_extent(renderer)
    width = figure.get_figwidth() * figure.dpi
    assert abs((title.x0 + title.x1) / 2 - width / 2) < 2  # centred on the figure
    for ax in figure.axes:
        panel = ax.get_tightbbox(renderer)
        assert title.y0 > panel.y1, ax.get_title()  # above every panel and its title
        assert not boxes_overlap(title, panel)


def test_plot_playground_in_two_rows_puts_the_diagram_on_top(rng, tmp_path):
    playground = StandInPlayground(rng, ("x1", "x2"), (8, 8, 8), "classification", epochs=5)
    wide = plot_playground(playground, resolution=16)
    tall = plot_playground(playground, resolution=16, rows=2)
    assert saves_as_png(tall, tmp_path / "tall.png")
    diagram, output, loss = tall.axes[:3]
    assert texts(diagram, "layer-")[0] == "input features"
    assert diagram.get_position().y0 > max(output.get_position().y1, loss.get_position().y1)
    assert output.get_position().x1 < loss.get_position().x0
    assert tall.get_figwidth() < 0.7 * wide.get_figwidth()
    with pytest.raises(ValueError, match="rows must be 1"):
        plot_playground(playground, rows=3)


def test_plot_playground_regression_with_no_hidden_layer(rng, tmp_path):
    playground = StandInPlayground(rng, ("x1", "x2"), (), "regression", epochs=10)
    figure = plot_playground(playground, resolution=20)
    assert saves_as_png(figure, tmp_path / "regression.png")
    assert len(links(figure)) == 2
    colours = figure.axes[1].collections[0].get_array()
    np.testing.assert_allclose(colours, np.clip(playground.y_train, -1, 1))


def test_plot_playground_shows_a_diverged_run(rng, tmp_path):
    playground = StandInPlayground(rng, ("x1", "x2"), (8, 8, 8, 8, 8, 8), "classification",
                                   epochs=6)
    playground.history["train_loss"][-2:] = np.nan
    playground.history["test_loss"][-2:] = np.nan
    figure = plot_playground(playground, resolution=12)
    assert saves_as_png(figure, tmp_path / "diverged.png")
    assert figure.get_suptitle().endswith("train loss nan, test loss nan")


def test_figure_html_is_an_img_tag_with_the_png_inline():
    import base64

    from fastmlp.plotting import figure_html, plot_loss

    fig = plot_loss({"loss": np.array([1.0, 0.5, 0.25])})
    tag = figure_html(fig, alt='loss "curve"')
    assert tag.startswith('<img alt="loss &quot;curve&quot;" src="data:image/png;base64,')
    png = base64.b64decode(tag.split("base64,", 1)[1].rstrip('">'))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
