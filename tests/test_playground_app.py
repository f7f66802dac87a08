"""fastmlp's Playground against the Neural Network Playground's own code, run in node.

``tests/playground_app/`` holds the app's ``nn.ts``, ``dataset.ts`` and ``state.ts``,
unchanged, and ``driver.js``, which runs them with the app's training step ``oneStep``
(copied from ``src/playground.ts``, see that folder's README). The app draws its weights
and points with ``Math.random``, so each run here starts from fastmlp's: the points,
labels and initial weights of a :class:`~fastmlp.playground.Playground` go to the app,
which trains its own network on them while fastmlp trains its copy. Compared:

* the whole run, 100 epochs: the losses after every epoch, then the weights, biases, dead
  links and the gradient carried into the next update (for a run that diverges, up to
  the epoch before, whose state fastmlp restores);
* every epoch on its own: fastmlp given the app's state at the start of the epoch ends
  it in the app's state. Where float64 rounding alone changes a run within 100 epochs
  (the app's own run does, from a weight one ulp away), only this comparison can hold.

The data generators are compared too: numpy's ``Generator.uniform`` turns each 64-bit
draw into one double ``u`` and returns ``low + (high - low) u``, the app's ``randUniform``
returns ``u (b - a) + a`` from ``Math.random()``; so the doubles fastmlp drew, handed to
the app's generator as its ``Math.random`` in the order the app asks for them, must give
the same points. Not the gauss set: numpy draws normals with its ziggurat, the app with
the polar method, and no order of uniform draws maps one onto the other.

Needs node, and TypeScript 2.9.2 (the compiler the app builds with) and d3 3.5.17 (which
the app's regression data sets use to scale their targets) in
``build/playground_app/node_modules``::

    npm install --prefix build/playground_app --no-save typescript@2.9.2 d3@3.5.17

Without them the tests are skipped, unless ``FASTMLP_REQUIRE_NODE=1`` (set by CI) makes
that a failure.
"""

import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

from fastmlp import datasets
from fastmlp.playground import Playground

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "tests" / "playground_app"
NODE_MODULES = ROOT / "build" / "playground_app" / "node_modules"
INSTALL = ("npm install --prefix build/playground_app --no-save "
           "typescript@2.9.2 d3@3.5.17")
EPOCHS = 100

#: fastmlp's feature names and the app's input ids (the keys of INPUTS in its
#: playground.ts); both lists are in the app's order.
APP_INPUTS = {"x1": "x", "x2": "y", "x1^2": "xSquared", "x2^2": "ySquared",
              "x1*x2": "xTimesY", "sin(x1)": "sinX", "sin(x2)": "sinY"}
APP_REGULARIZATIONS = {None: "none", "l1": "L1", "l2": "L2"}
APP_DATASETS = {"reg_plane": "reg-plane", "reg_gauss": "reg-gauss"}
ALL_SEVEN = tuple(APP_INPUTS)

# Both sides compute in float64, but not the same operations: fastmlp sums a batch's
# gradients through matrix products (in another order than the app's point-by-point
# sums), lets LLVM contract and reassociate, and computes tanh, exp and sin with its own
# polynomials or numpy's (the app: V8's), each within a few units in the last place.
# Those differences, about 1e-16 relative per operation, are what the training carries
# for 100 epochs; RTOL bounds them with room: they stay near 1e-14 over the 100 epochs of
# the runs here that are not chaotic, and reach 3.4e-13 in one epoch of a chaotic one.
RTOL = 1e-12
# The generated data: the app and fastmlp draw the same uniforms and apply the same
# expressions in the same order, but with V8's sin, cos and square root against numpy's
# sin, cos and hypot (each within an ulp), and d3's scale against a division for the
# targets. A coordinate r sin(angle), r <= 5, may then differ by 5 ulp(1) plus half an
# ulp of 5, 1.6e-15; a target, of size at most about 2.4, by a few ulp of it.
DATA_ATOL = 2e-15

# Every data set, activation and regularisation; L1 at rates that kill links; batches
# of 1, 10 and 30 and ones that do not divide the training set (250 points for the
# classification sets at the app's train ratio 0.5, 600 for the regression sets); one,
# several or all seven features; 0 to 3 hidden layers; noise; regression (also of a
# classification set); one run that diverges.
SETTINGS = {
    "app-defaults": dict(dataset="circle", hidden=(4, 2), learning_rate=0.03, batch_size=10),
    "circle-relu-all-l2-batch1-3layers": dict(
        dataset="circle", noise=0.1, features=ALL_SEVEN, hidden=(8, 8, 8), activation="relu",
        learning_rate=0.03, regularization="l2", regularization_rate=0.001, batch_size=1),
    "circle-as-regression": dict(
        dataset="circle", features=("x1^2", "x2^2"), hidden=(2,), learning_rate=0.01,
        problem="regression", train_ratio=0.7, batch_size=10),
    "xor-sigmoid-l1-batch30": dict(
        dataset="xor", noise=0.25, features=("x1", "x2", "x1*x2"), hidden=(3,),
        activation="sigmoid", learning_rate=0.3, regularization="l1",
        regularization_rate=0.001, batch_size=30),
    "xor-linear-no-hidden-l2-batch7": dict(
        dataset="xor", features=("x1*x2",), hidden=(), activation="linear",
        learning_rate=0.01, regularization="l2", regularization_rate=0.03, batch_size=7),
    "xor-relu-l1-kills": dict(
        dataset="xor", features=ALL_SEVEN, hidden=(4,), activation="relu", learning_rate=0.1,
        regularization="l1", regularization_rate=0.1, batch_size=5, train_ratio=0.3),
    "xor-tanh-l1-batch17": dict(
        dataset="xor", hidden=(8, 8), learning_rate=0.03, regularization="l1",
        regularization_rate=0.001, batch_size=17),
    "gauss-tanh-no-hidden-l1": dict(
        dataset="gauss", noise=0.3, hidden=(), learning_rate=0.1, regularization="l1",
        regularization_rate=0.3, batch_size=10),
    "gauss-relu-squares-l2": dict(
        dataset="gauss", noise=0.5, features=("x1^2", "x2^2"), hidden=(2,),
        activation="relu", learning_rate=0.1, regularization="l2", regularization_rate=0.1,
        batch_size=10),
    "gauss-linear-sines-3layers-l2": dict(
        dataset="gauss", features=("sin(x1)", "sin(x2)"), hidden=(4, 4, 4),
        activation="linear", learning_rate=0.03, regularization="l2",
        regularization_rate=0.3, batch_size=30, train_ratio=0.9),
    "spiral-tanh-all-3layers": dict(
        dataset="spiral", features=ALL_SEVEN, hidden=(8, 8, 8), learning_rate=0.03,
        batch_size=10),
    "spiral-tanh-all-l1-kills": dict(
        dataset="spiral", features=ALL_SEVEN, hidden=(6, 4), learning_rate=0.03,
        regularization="l1", regularization_rate=0.03, batch_size=10),
    "spiral-sigmoid-sines-l1-batch30": dict(
        dataset="spiral", noise=0.1, features=("x1", "x2", "sin(x1)", "sin(x2)"),
        hidden=(5, 5), activation="sigmoid", learning_rate=1.0, regularization="l1",
        regularization_rate=0.003, batch_size=30),
    "reg-plane-linear-no-hidden": dict(
        dataset="reg_plane", noise=0.2, hidden=(), activation="linear", learning_rate=0.01,
        batch_size=10),
    "reg-plane-tanh-l2-batch13": dict(
        dataset="reg_plane", features=("x1", "x2", "x1^2"), hidden=(3,), learning_rate=0.003,
        regularization="l2", regularization_rate=0.01, batch_size=13),
    "reg-gauss-relu-all-l1-batch30": dict(
        dataset="reg_gauss", noise=0.05, features=ALL_SEVEN, hidden=(6, 3), activation="relu",
        learning_rate=0.01, regularization="l1", regularization_rate=0.001, batch_size=30),
    "reg-gauss-sigmoid-l2-batch1": dict(
        dataset="reg_gauss", hidden=(8,), activation="sigmoid", learning_rate=0.1,
        regularization="l2", regularization_rate=0.003, batch_size=1),
    "reg-gauss-relu-lr3-l1-diverges": dict(
        dataset="reg_gauss", features=ALL_SEVEN, hidden=(6, 6, 6), activation="relu",
        learning_rate=3.0, regularization="l1", regularization_rate=0.001, batch_size=30),
}
#: Settings whose L1 must kill some links (and leave some alive), so that the dead
#: flags are compared where they matter.
KILLS = ("xor-relu-l1-kills", "spiral-tanh-all-l1-kills")
DIVERGES = ("reg-gauss-relu-lr3-l1-diverges",)
#: Settings whose trajectory float64 rounding alone changes within the 100 epochs: the
#: app's own run, started from initial weights one of which is one unit in the last place
#: away, leaves RTOL of the unperturbed run (test_chaotic_settings_are_so_in_the_app).
#: fastmlp, which rounds differently from V8, cannot follow such a run to the end; each
#: of its epochs still equals the app's (test_each_epoch_from_the_apps_state...).
CHAOTIC = ("circle-relu-all-l2-batch1-3layers", "spiral-tanh-all-3layers")

#: The generators compared: not gauss, whose normal draws differ (numpy's ziggurat
#: against the app's polar method, which no reordering of uniform draws maps).
GENERATORS = ("circle", "xor", "spiral", "reg_plane", "reg_gauss")
GENERATOR_NOISE = 0.3


def _app_draw_order(name, n):
    """For each number the app's generator ``name`` draws (``n`` points), in its order,
    the index of that number in fastmlp's draws. fastmlp draws one coordinate or noise
    term of all points at once, the app all the numbers of one point in turn."""
    p = np.arange(n)
    if name == "spiral":  # both: each point's x jitter, then its y jitter
        return np.arange(2 * n)
    if name == "circle":  # fastmlp: n radii, n angles, n noise pairs; the app r, angle, noise
        per_point = (p, n + p, 2 * n + 2 * p, 2 * n + 2 * p + 1)
    else:  # fastmlp: n (x, y) pairs, then n noise pairs; the app: x, y, noise x, noise y
        per_point = (2 * p, 2 * p + 1, 2 * n + 2 * p, 2 * n + 2 * p + 1)
    return np.stack(per_point, axis=1).ravel()


def _require_app():
    missing = None
    if shutil.which("node") is None:
        missing = "node"
    elif not ((NODE_MODULES / "typescript").is_dir() and (NODE_MODULES / "d3").is_dir()):
        missing = f"TypeScript and d3 in {NODE_MODULES} (`{INSTALL}`)"
    if missing is None:
        return
    if os.environ.get("FASTMLP_REQUIRE_NODE") == "1":
        pytest.fail(f"running the Playground app's code needs {missing}")
    pytest.skip(f"running the Playground app's code needs {missing}")


def _playground(name):
    """A fresh run of setting ``name`` (the same one every time: its seed is fixed)."""
    return Playground(**SETTINGS[name], seed=list(SETTINGS).index(name))


def _as_rows(X, y):
    return np.column_stack([X, y]).tolist()


def _run_request(playground):
    return {
        "inputs": [APP_INPUTS[name] for name in playground.feature_names],
        "activation": playground.activation,
        "regularization": APP_REGULARIZATIONS[playground.regularization],
        "regularizationRate": playground.regularization_rate,
        "learningRate": playground.learning_rate,
        "batchSize": playground.batch_size,
        "hidden": list(playground.hidden),
        "problem": playground.problem,
        "train": _as_rows(playground.X_train, playground.y_train),
        "test": _as_rows(playground.X_test, playground.y_test),
        "weights": [W.tolist() for W in playground.network.weights],
        "biases": [b.tolist() for b in playground.network.biases],
        "epochs": EPOCHS,
    }


def _nudged(request):
    """``request`` with its first weight moved one unit in the last place up."""
    weights = [np.array(W) for W in request["weights"]]
    weights[0].flat[0] = np.nextafter(weights[0].flat[0], np.inf)
    return {**request, "weights": [W.tolist() for W in weights]}


def _generator_request(name, seed):
    problem = datasets.problem_of(name)
    n = datasets.DEFAULT_SAMPLES[problem]
    uniforms = np.random.Generator(np.random.PCG64(seed)).random(4 * n)
    return {"name": APP_DATASETS.get(name, name), "problem": problem, "numSamples": n,
            "noise": GENERATOR_NOISE, "uniforms": uniforms[_app_draw_order(name, n)].tolist()}


@pytest.fixture(scope="module")
def app():
    """What the app computes for every setting, for the chaotic ones started from nudged
    weights, and for every generator compared: all in one node process."""
    _require_app()
    runs = {name: _run_request(_playground(name)) for name in SETTINGS}
    runs.update({f"{name} nudged": _nudged(runs[name]) for name in CHAOTIC})
    request = {"runs": list(runs.values()),
               "generators": [_generator_request(name, seed)
                              for seed, name in enumerate(GENERATORS)]}
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    done = subprocess.run(["node", str(APP / "driver.js")], input=json.dumps(request),
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    return {"runs": dict(zip(runs, results["runs"], strict=True)),
            "generators": dict(zip(GENERATORS, results["generators"], strict=True))}


# ---------------------------------------------------------------- the state of a run


def _flat(per_layer_weights, per_layer_biases, dtype=float):
    """Per-layer weights and biases as one vector in fastmlp's layout (W, then b, per
    layer)."""
    return np.concatenate([
        np.concatenate([np.ravel(np.asarray(W, dtype=dtype)), np.asarray(b, dtype=dtype)])
        for W, b in zip(per_layer_weights, per_layer_biases, strict=True)])


def _count(state):
    counts = {count for layer in state["counts"] for count in layer}
    assert len(counts) == 1, f"nodes with different counts of accumulated points: {counts}"
    return counts.pop()


def _load_state(playground, state):
    """Put the app's ``state`` (see driver.js) into ``playground``."""
    playground.network.parameters[:] = _flat(state["weights"], state["biases"])
    playground._dead[:] = _flat(state["dead"], [np.zeros(len(b)) for b in state["biases"]],
                                dtype=bool)
    playground._accumulated[:] = _flat(state["accWeights"], state["accBiases"])
    playground._count[0] = _count(state)


def _assert_state(playground, state, where):
    """``playground``'s weights, biases and dead links, and the gradient it carries into
    the next update, equal the app's ``state``.

    A weight or bias is compared within RTOL of the largest in its layer: one that passes
    near 0 carries the rounding of the larger terms it was made of.
    """
    net = playground.network
    carried_blocks = net.parameter_blocks(playground._accumulated)
    for layer, ((W, b), (carried, _)) in enumerate(zip(net.parameter_blocks(net.parameters),
                                                       carried_blocks, strict=True)):
        tag = f"{where}, layer {layer + 1}"
        live = ~playground.dead[layer]
        np.testing.assert_array_equal(~live, state["dead"][layer], err_msg=f"dead links, {tag}")
        # Only the app's live links accumulate; fastmlp's dead ones do, unused.
        for got, want, what in (
            (W, state["weights"][layer], "weights"),
            (b, state["biases"][layer], "biases"),
            (carried[live], np.asarray(state["accWeights"][layer])[live],
             "carried weight gradients"),
        ):
            want = np.asarray(want, dtype=float)
            scale = np.abs(want).max(initial=0.0)
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * scale,
                                       err_msg=f"{what}, {tag}")
    bias_gradients = np.concatenate([b for _, b in carried_blocks])
    want = np.concatenate([np.asarray(b, dtype=float) for b in state["accBiases"]])
    np.testing.assert_allclose(bias_gradients, want, rtol=RTOL,
                               atol=RTOL * np.abs(want).max(initial=0.0),
                               err_msg=f"carried bias gradients, {where}")
    assert playground._count[0] == _count(state), where


def _assert_losses(got, want, where):
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0.0, err_msg=where)


def _assert_diverged_like_the_app(playground, result, epoch):
    """fastmlp's figures of the epoch that diverged are the app's ones: NaN where the
    app's are NaN, the same infinity where they are infinite."""
    for key, app_key in (("train_loss", "trainLoss"), ("test_loss", "testLoss")):
        got, want = playground.history[key][-1], float(result[app_key][epoch])
        assert not np.isfinite(want), (key, want)
        assert np.isnan(got) == np.isnan(want) and (np.isnan(got) or got == want), (
            f"{key} of diverged epoch {epoch}: fastmlp {got}, the app {want}")


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        "float64 rounding alone changes this run within 100 epochs (the app's own run "
        "from a nudged weight departs too, see test_chaotic_settings_are_so_in_the_app); "
        "fastmlp rounds otherwise than V8, so its free run leaves RTOL of the app's before "
        "the end, while every epoch on its own agrees")))
    if name in CHAOTIC else name
    for name in SETTINGS
])
def test_a_run_equals_the_apps(app, name):
    """100 epochs from the same weights and points: the losses after every epoch, then
    the weights, biases and dead links (for a run that diverges: up to that epoch, and
    the state fastmlp restores is the app's before it)."""
    result = app["runs"][name]
    playground = _playground(name)
    assert result["inputIds"] == [APP_INPUTS[feature] for feature in playground.feature_names]
    _assert_state(playground, result["states"][0], "initial state")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        playground.run(EPOCHS)
    epochs = playground.epoch  # all of them, or those before the one that diverged
    assert playground.diverged == (name in DIVERGES) and len(caught) == playground.diverged
    assert len(result["states"]) == epochs + 1  # the app's finite epochs, and epoch 0
    for key, app_key in (("train_loss", "trainLoss"), ("test_loss", "testLoss")):
        _assert_losses(playground.history[key][:epochs + 1], result[app_key][:epochs + 1],
                       f"{key} after epochs 0 to {epochs}")
    if playground.diverged:
        _assert_diverged_like_the_app(playground, result, epochs + 1)
    _assert_state(playground, result["states"][-1], f"after epoch {epochs}")
    if name in KILLS:
        dead = np.concatenate([mask.ravel() for mask in playground.dead])
        assert dead.any() and not dead.all()


@pytest.mark.parametrize("name", SETTINGS)
def test_each_epoch_from_the_apps_state_equals_the_apps(app, name):
    """Every epoch on its own: fastmlp given the app's state at its start (weights,
    biases, dead links, the gradient carried from the previous epoch) ends it in the
    app's state, with the app's losses. This is the comparison a chaotic run allows."""
    result = app["runs"][name]
    states = result["states"]
    playground = _playground(name)
    for epoch in range(1, len(states)):
        _load_state(playground, states[epoch - 1])
        playground.run(1)
        for key, app_key in (("train_loss", "trainLoss"), ("test_loss", "testLoss")):
            _assert_losses(playground.history[key][-1], result[app_key][epoch],
                           f"{key} after epoch {epoch}")
        _assert_state(playground, states[epoch], f"after epoch {epoch}")
    if name in DIVERGES:
        epoch = len(states)
        _load_state(playground, states[-1])
        with pytest.warns(RuntimeWarning, match="diverged"):
            playground.run(1)
        assert playground.diverged
        _assert_diverged_like_the_app(playground, result, epoch)
        _assert_state(playground, states[-1], f"restored after diverged epoch {epoch}")
    else:
        assert len(states) == EPOCHS + 1


@pytest.mark.parametrize("name", CHAOTIC)
def test_chaotic_settings_are_so_in_the_app(app, name):
    """The app's own run, from initial weights one unit in the last place apart, leaves
    RTOL of itself within the 100 epochs: why the free run of these settings is xfail."""
    losses = np.array(app["runs"][name]["trainLoss"])
    nudged = np.array(app["runs"][f"{name} nudged"]["trainLoss"])
    assert not np.allclose(losses, nudged, rtol=RTOL, atol=0.0)


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_equals_the_apps_on_the_same_uniform_draws(app, name):
    result = app["generators"][name]
    problem = datasets.problem_of(name)
    n = datasets.DEFAULT_SAMPLES[problem]
    order = _app_draw_order(name, n)
    assert result["used"] == order.size
    seed = GENERATORS.index(name)
    rng = np.random.Generator(np.random.PCG64(seed))
    X, y = datasets.make_playground(name, noise=GENERATOR_NOISE, seed=rng)
    # fastmlp drew exactly the numbers the app was given: its next one is the one after.
    assert rng.random() == np.random.Generator(np.random.PCG64(seed)).random(order.size + 1)[-1]
    app_points = np.array(result["points"], dtype=float)
    np.testing.assert_allclose(X, app_points[:, :2], rtol=0.0, atol=DATA_ATOL)
    if problem == "classification":
        np.testing.assert_array_equal(y, app_points[:, 2])
    else:
        np.testing.assert_allclose(y, app_points[:, 2], rtol=0.0, atol=DATA_ATOL)
