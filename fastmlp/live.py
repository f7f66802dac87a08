"""A live page for the Neural Network Playground: ``fastmlp playground --serve``.

The page (``fastmlp/live_page/``) has the app's controls. Every change sends the settings
to this server, which trains the whole run with :class:`fastmlp.Playground` and answers
with JSON: the per-epoch train and test loss, the points, and snapshots taken every few
epochs (the weights and every neuron's output over the plane, quantised to one byte per
pixel). The browser draws the network, the output with the train and test points and the
loss curves from that JSON on canvases, so the epoch slider scrubs through the snapshots
without asking the server for anything. A "seeds" switch reruns the setting over ten
seeds and shows the spread of the test loss.

Why JSON drawn in the browser rather than fastmlp.plotting's PNG: a 500-epoch run of the
app's default network trains in about 25 ms, while matplotlib needs several hundred
milliseconds to draw the picture once, and scrubbing would need one picture per
snapshot. The numbers behind the picture (neuron outputs) still come from
:meth:`fastmlp.Playground.neuron_outputs`; the browser only maps values to colours.

Why Flask: the job is CPU-bound (compiled training that releases the GIL) and answers
one user on the same machine, so a small synchronous WSGI application served by
Werkzeug's threaded server fits; an asynchronous framework (Starlette, Tornado) would add
an event loop and an executor around a call that blocks anyway. Flask is maintained by
the Pallets project, has a test client for exercising the endpoints without a browser,
and is the one dependency it adds (the ``web`` extra), so the core install stays lean.

Runs never pile up: one worker lock lets one job train at a time, and generation
counters make every run supersede the requests before it (:class:`LatestWins`). A
running job asks whether it is superseded at least every :data:`CHECK_SECONDS` of
training, stops when it is and is answered with status 409; the page also drops any
answer to a request that is no longer its latest.

Every request is bounded: the network is held to the app's (:data:`MAX_HIDDEN_LAYERS`
hidden layers of :data:`MAX_NEURONS`), and the work to :data:`WORK_BUDGET` weight
updates. The page has no authentication and trains whatever it is sent: it listens on
this machine only unless told otherwise.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
import warnings
import webbrowser
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from . import _validation as check
from ._names import PLAYGROUND_ACTIVATIONS, PLAYGROUND_DATASETS, PLAYGROUND_FEATURES
from .datasets import DEFAULT_SAMPLES

#: The app's opening settings (its defaults: circle, hidden layers 4 and 2, learning rate
#: 0.03, tanh, batch 10, no noise, half the points for training, inputs x1 and x2).
APP_DEFAULTS: dict[str, Any] = {
    "dataset": "circle", "noise": 0.0, "train_ratio": 0.5, "features": ["x1", "x2"],
    "hidden": [4, 2], "activation": "tanh", "learning_rate": 0.03, "regularization": None,
    "regularization_rate": 0.0, "batch_size": 10, "problem": None, "seed": 0,
    "epochs": 500,
}
#: Most epochs one change may ask for (the page holds every epoch's figures).
MAX_EPOCHS = 10_000
#: The app's network: at most this many hidden layers, of at most this many neurons. The
#: page enforces them (its controls cannot go past them); ``Playground`` itself does not.
MAX_HIDDEN_LAYERS = 6
MAX_NEURONS = 8
#: Weights and biases of the largest network the app allows: every input feature, six
#: hidden layers of eight neurons, one output.
LARGEST_NETWORK = ((len(PLAYGROUND_FEATURES) + 1) * MAX_NEURONS
                   + (MAX_HIDDEN_LAYERS - 1) * (MAX_NEURONS + 1) * MAX_NEURONS
                   + MAX_NEURONS + 1)
#: Most weight updates (epochs x updates per epoch x weights) one request may ask for:
#: what the largest setting the app allows (that network, batches of one, 90 % of the
#: regression data sets' 1,200 points training) costs at the page's opening 500 epochs,
#: 2.3e8 updates, about 2-3 s on two cores. The same setting at MAX_EPOCHS trained for
#: 47 s there: the epoch limit alone bounds nothing.
WORK_BUDGET = APP_DEFAULTS["epochs"] * int(DEFAULT_SAMPLES["regression"] * 0.9) * LARGEST_NETWORK
#: A running job checks whether a newer request supersedes it at least this often.
CHECK_SECONDS = 0.2
#: Most snapshots kept after epoch 0: one every ``ceil(epochs / SNAPSHOTS)`` epochs.
SNAPSHOTS = 100
#: Pixels per side of the output image over [-6, 6]^2, and of each neuron's image.
OUTPUT_RESOLUTION = 50
NEURON_RESOLUTION = 20
#: Runs behind the "seeds" switch: seeds ``seed, seed + 1, ..., seed + SEEDS - 1``.
SEEDS = 10
#: The learning and regularisation rates the app offers (the page suggests them).
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
REGULARIZATION_RATES = (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)

PAGE = Path(__file__).resolve().parent / "live_page"
EXTENT = 6.0  # the plane is [-EXTENT, EXTENT]^2
INSTALL_HINT = (
    "the live Playground page needs Flask, which fastmlp's 'web' extra installs: run "
    "pip install -e \".[web]\" in fastmlp's folder (or pip install \"flask>=3\")"
)


class SupersededError(Exception):
    """A newer request arrived before (or while) this one ran."""


class LatestWins:
    """One job at a time, and only the latest request's.

    Every :meth:`submit` takes a ticket. A job waits for the worker; once it has it, it
    runs only if it has not been superseded meanwhile, and the job itself is given a
    ``superseded()`` callable to check between parts of its work. A ``"run"`` job is
    superseded by any newer run; a ``"seeds"`` job by any newer request, run or seeds.
    The page asks for the seeds after its run, so the seeds of a setting the user has
    just left never cancel the run of the new one.

    "Newer" is the order in which the page made its requests, which it sends along
    (``order``: the page's id and its request number): requests sent back to back may
    reach :meth:`submit` in either order, and the one the page made last must win.
    A request without an order is newer than every request before it. Requests of a page
    the server has not seen before are newer than all earlier ones.
    """

    KINDS = ("run", "seeds")

    def __init__(self) -> None:
        self._tickets = threading.Lock()
        self._worker = threading.Lock()
        self._latest = {"run": 0, "any": 0}
        self._page, self._page_base = None, 0

    @property
    def latest(self) -> int:
        """How many requests were submitted."""
        return self._latest["any"]

    def submit(self, job: Callable[[Callable[[], bool]], Any], kind: str = "run",
               order: tuple[str, int] | None = None) -> Any:
        """Run ``job(superseded)`` when the worker is free, unless superseded first.

        ``order`` is ``(page id, request number)``, the number counting the page's requests
        (a run and the seeds of the same change share it), or None.

        Raises
        ------
        SupersededError
            When the job was superseded before it finished (raised by the job itself at
            its next check, or here before it starts).
        """
        rival = {"run": "run", "seeds": "any"}[check.choice("kind", kind, self.KINDS)]
        with self._tickets:
            if order is None:
                ticket = self._latest["any"] + 1
            else:
                page, number = order
                if page != self._page:
                    self._page, self._page_base = page, self._latest["any"]
                ticket = self._page_base + number
            self._latest["any"] = max(self._latest["any"], ticket)
            if kind == "run":
                self._latest["run"] = max(self._latest["run"], ticket)

        def superseded() -> bool:
            return self._latest[rival] > ticket

        with self._worker:
            if superseded():
                raise SupersededError
            with warnings.catch_warnings():
                # a diverging run is reported in the answer, not on the console
                warnings.simplefilter("ignore", RuntimeWarning)
                return job(superseded)


#: The header in which the page says which of its requests this is: "page-id:number".
ORDER_HEADER = "X-Request-Order"


def _request_order(header: str | None) -> tuple[str, int] | None:
    """``(page id, request number)`` from the :data:`ORDER_HEADER` header, if any."""
    if header is None:
        return None
    page, _, number = header.rpartition(":")
    if not page or not number.isdigit():
        raise ValueError(f"{ORDER_HEADER} must be 'page-id:number', got {header!r}")
    return page, int(number)


# ------------------------------------------------------------------ settings
def parse_settings(body: Any, budget: int | None = None) -> tuple[dict[str, Any], int]:
    """The Playground settings and the epochs of a request, checked.

    Parameters
    ----------
    body : dict
        Any of :data:`APP_DEFAULTS`'s keys (``regularization`` ``None``, ``"l1"`` or
        ``"l2"``; ``hidden`` and ``features`` as lists); missing keys take the app's
        defaults.
    budget : int or None
        Most weight updates the run may make: :data:`WORK_BUDGET` by default, and
        :func:`seeds_budget` for each run of a "seeds" request.

    Returns
    -------
    settings : dict
        Keyword arguments of :class:`fastmlp.Playground`, which has checked them, with
        ``features`` and ``hidden`` as lists.
    epochs : int

    Raises
    ------
    ValueError, TypeError
        Unknown keys, a setting the Playground refuses (its own message), hidden layers
        beyond the app's (:data:`MAX_HIDDEN_LAYERS` of :data:`MAX_NEURONS`), or more work
        than :data:`WORK_BUDGET`.
    """
    from .playground import Playground

    if not isinstance(body, Mapping):
        raise TypeError("the request must be a JSON object of settings, e.g. "
                        '{"dataset": "xor", "learning_rate": 0.1}')
    unknown = sorted(set(body) - set(APP_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown settings {unknown}; valid: {', '.join(APP_DEFAULTS)}")
    settings = {**APP_DEFAULTS, **body}
    epochs = check.positive_int("epochs", settings.pop("epochs"))
    if epochs > MAX_EPOCHS:
        raise ValueError(f"epochs must be at most {MAX_EPOCHS} on the live page, got {epochs}")
    checked = Playground(**settings)
    hidden = list(checked.hidden)
    if len(hidden) > MAX_HIDDEN_LAYERS or any(width > MAX_NEURONS for width in hidden):
        raise ValueError(
            f"the live page allows at most {MAX_HIDDEN_LAYERS} hidden layers of at most "
            f"{MAX_NEURONS} neurons each, as the app does; got hidden layers {hidden}"
        )
    updates = -(-checked.X_train.shape[0] // checked.batch_size)
    work = epochs * updates * checked.network.parameters.size
    budget = WORK_BUDGET if budget is None else budget
    if work > budget:
        raise ValueError(
            f"this run would make {work:.3g} weight updates (epochs x updates per epoch x "
            f"weights), more than the live page's budget of {budget:.3g} per run"
            f"{' of the seeds' if budget != WORK_BUDGET else ''}: ask for fewer epochs, "
            "larger batches or a smaller training share"
        )
    settings.update(features=list(checked.feature_names), hidden=hidden)
    return settings, epochs


def seeds_budget() -> int:
    """The budget of each of a "seeds" request's :data:`SEEDS` runs: they share the
    cores, so that the whole request takes about as long as one run at
    :data:`WORK_BUDGET`."""
    return WORK_BUDGET * min(SEEDS, os.cpu_count() or 1) // SEEDS


def train_checked(playground, epochs: int, superseded: Callable[[], bool],
                  step: int = 1) -> int:
    """``playground.run(epochs)``, in calls short enough that ``superseded`` is asked at
    least every :data:`CHECK_SECONDS` of training; raises :class:`SupersededError` when
    it says so. The result is that of one call (the Playground carries its state over).

    ``step`` is the epochs of the first call; returns the epochs a call may take next
    (from the time the last call took), for the run's next part.
    """
    target = playground.epoch + epochs
    while playground.epoch < target and not playground.diverged:
        if superseded():
            raise SupersededError
        before, started = playground.epoch, time.perf_counter()
        playground.run(min(step, target - before))
        if playground.epoch == before:  # the call's first epoch diverged
            return step
        seconds_per_epoch = (time.perf_counter() - started) / (playground.epoch - before)
        # Half the interval per call, so that a slower call now and then stays within it.
        step = max(1, int(CHECK_SECONDS / 2 / max(seconds_per_epoch, 1e-9)))
    return step


# ------------------------------------------------------------------ one run
def _plane(resolution: int) -> np.ndarray:
    """Pixel centres of [-6, 6]^2, row 0 at x2 = +6, x1 increasing along a row."""
    centres = -EXTENT + (np.arange(resolution) + 0.5) * (2 * EXTENT / resolution)
    x1, x2 = np.meshgrid(centres, centres[::-1])
    return np.column_stack([x1.ravel(), x2.ravel()])


def _bytes(values: np.ndarray) -> str:
    """Values in [-1, 1] as one byte each (0 is -1, 255 is +1), base64 encoded."""
    quantised = np.rint((np.clip(values, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    return base64.b64encode(quantised.tobytes()).decode("ascii")


def _neuron_maps(layer: np.ndarray) -> np.ndarray:
    """One map per neuron, shape (width, n_points): each divided by its largest ``|value|``
    when that exceeds 1 (relu, linear and the squared inputs), as the picture does."""
    maps = np.nan_to_num(np.asarray(layer, dtype=np.float64).T, nan=0.0)
    largest = np.abs(maps).max(axis=1, keepdims=True)
    return maps / np.maximum(largest, 1.0)


def _floats(values: np.ndarray, decimals: int | None = None) -> list:
    """A list for JSON: NaN and infinities become None (JSON has no NaN)."""
    values = np.asarray(values, dtype=np.float64)
    if decimals is not None:
        values = np.round(values, decimals)
    return [float(v) if np.isfinite(v) else None for v in values.ravel()]


def _snapshot(drawing, parameters: np.ndarray, dead: list[np.ndarray], epoch: int,
              points: np.ndarray, n_output: int) -> dict[str, Any]:
    """The weights and every neuron's map at one epoch of a run.

    ``drawing`` is a second Playground with the run's settings; its network takes the
    snapshot's ``parameters``, so that the run itself can train on meanwhile.
    """
    network = drawing.network
    network.parameters[...] = parameters
    layers = drawing.neuron_outputs(points)
    weights = []
    for W, mask in zip(network.weights, dead, strict=True):
        rows = np.round(W, 5).tolist()
        for j, i in zip(*np.nonzero(mask), strict=True):
            rows[j][i] = None
        weights.append(rows)
    neurons = _neuron_maps(np.concatenate([layer[n_output:] for layer in layers[1:]], axis=1))
    return {
        "epoch": epoch,
        "weights": weights,
        "biases": [_floats(b, 5) for b in network.biases],
        "neurons": _bytes(neurons),
        "output": _bytes(np.nan_to_num(layers[-1][:n_output, 0], nan=0.0)),
    }


def train_run(settings: Mapping[str, Any], epochs: int,
              superseded: Callable[[], bool] = lambda: False) -> dict[str, Any]:
    """Train one run and describe it for the page.

    The run trains in parts of ``ceil(epochs / SNAPSHOTS)`` epochs (the same result as
    one call: leftover gradients carry over between calls). After each part a copy of
    the weights goes to a second thread, which computes every neuron's output over the
    plane with them while the next part trains.

    Parameters
    ----------
    settings : dict
        Keyword arguments of :class:`fastmlp.Playground`.
    epochs : int
    superseded : callable
        Checked at least every :data:`CHECK_SECONDS` of training (:func:`train_checked`);
        when it returns True the run stops with :class:`SupersededError`.

    Returns
    -------
    dict
        ``settings``, ``epochs`` (asked), ``trained`` (completed), ``diverged``,
        ``problem``, ``sizes``, ``features``, ``history`` (``train_loss``, ``test_loss``
        and, for classification, ``test_accuracy``, from epoch 0, the initial weights, to
        the last epoch; None where NaN), ``train`` and ``test`` (points ``x1``, ``x2``
        and ``label``), ``resolution``, ``inputs`` (the input features' maps) and
        ``snapshots`` (``epoch``, ``weights`` with None for links killed by L1,
        ``biases``, ``neurons`` and ``output``: maps of one byte per pixel in base64,
        neurons in layer order, rows from x2 = +6 down, x1 increasing), and
        ``seconds`` (time spent here).
    """
    from .playground import Playground

    start = time.perf_counter()
    playground, drawing = Playground(**settings), Playground(**settings)
    output_points, neuron_points = _plane(OUTPUT_RESOLUTION), _plane(NEURON_RESOLUTION)
    points = np.concatenate([output_points, neuron_points])
    n_output = output_points.shape[0]
    every = -(-epochs // SNAPSHOTS)
    with ThreadPoolExecutor(max_workers=1) as drawer:

        def draw():
            return drawer.submit(_snapshot, drawing, playground.network.parameters.copy(),
                                 [mask.copy() for mask in playground.dead], playground.epoch,
                                 points, n_output)

        # A part is a hundredth of a run that the budget keeps to a few seconds: tried
        # whole first, then split only if it proves slower than the check interval.
        drawn, step = [draw()], every
        while playground.epoch < epochs and not playground.diverged:
            before = playground.epoch
            try:
                step = train_checked(playground, min(every, epochs - playground.epoch),
                                     superseded, step)
            except SupersededError:
                drawer.shutdown(cancel_futures=True)
                raise
            if playground.epoch > before:  # not when the part's first epoch diverged
                drawn.append(draw())
        snapshots = [future.result() for future in drawn]
    inputs = _neuron_maps(playground.features(neuron_points))
    return {
        "settings": {**settings, "epochs": epochs},
        "epochs": epochs,
        "trained": playground.epoch,
        "diverged": playground.diverged,
        "problem": playground.problem,
        "sizes": list(playground.network.sizes),
        "features": list(playground.feature_names),
        "history": {key: _floats(values) for key, values in playground.history.items()},
        "train": _points(playground.X_train, playground.y_train),
        "test": _points(playground.X_test, playground.y_test),
        "resolution": {"output": OUTPUT_RESOLUTION, "neuron": NEURON_RESOLUTION},
        "inputs": _bytes(inputs),
        "snapshots": snapshots,
        "seconds": time.perf_counter() - start,
    }


def _points(X: np.ndarray, y: np.ndarray) -> dict[str, list]:
    return {"x1": _floats(X[:, 0], 4), "x2": _floats(X[:, 1], 4), "label": _floats(y, 4)}


def seed_spread(settings: Mapping[str, Any], epochs: int,
                superseded: Callable[[], bool] = lambda: False,
                workers: int | None = None) -> dict[str, Any]:
    """The test loss of the setting over :data:`SEEDS` seeds from ``settings["seed"]``.

    Runs go to ``workers`` threads (default: one per core); each checks ``superseded`` at
    least every :data:`CHECK_SECONDS` of its training (:func:`train_checked`).

    Returns
    -------
    dict
        ``seeds``, ``test_loss`` (None for a run that diverged), ``diverged``, and
        ``min``, ``median``, ``max`` over the runs that did not diverge (None if none),
        and ``seconds``.
    """
    from .playground import Playground

    start = time.perf_counter()
    first = settings["seed"] or 0
    seeds = list(range(first, first + SEEDS))

    def one(seed: int) -> tuple[float, bool]:
        playground = Playground(**{**settings, "seed": seed})
        train_checked(playground, epochs, superseded)
        return playground.test_loss, playground.diverged

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        results = list(pool.map(one, seeds))
    losses = np.array([loss for loss, _ in results])
    diverged = [bool(flag) for _, flag in results]
    kept = losses[~np.array(diverged) & np.isfinite(losses)]
    summary = {name: (float(function(kept)) if kept.size else None)
               for name, function in (("min", np.min), ("median", np.median),
                                      ("max", np.max))}
    return {"seeds": seeds, "test_loss": _floats(np.where(diverged, np.nan, losses)),
            "diverged": diverged, **summary, "seconds": time.perf_counter() - start}


# ------------------------------------------------------------------ the app
def _require_flask():
    try:
        import flask
    except ImportError as exc:
        raise ModuleNotFoundError(INSTALL_HINT) from exc
    return flask


def create_app(opening: Mapping[str, Any] | None = None, runs: LatestWins | None = None):
    """The Flask application behind the page.

    Parameters
    ----------
    opening : dict or None
        Settings the page opens on, over :data:`APP_DEFAULTS` (checked here).
    runs : LatestWins or None
        The run queue (a new one by default); kept in ``app.config["FASTMLP_RUNS"]``.

    Returns
    -------
    flask.Flask
        Routes: ``GET /`` (the page), ``GET /api/defaults`` (opening settings, choices
        and limits), ``POST /api/run`` (:func:`train_run`) and ``POST /api/seeds``
        (:func:`seed_spread`), both taking a JSON object of settings. Bad settings are
        answered with status 400 and ``{"error": message}``; a request superseded by a
        newer one (:class:`LatestWins`) with 409 and ``{"superseded": true}``.

    Raises
    ------
    ModuleNotFoundError
        Without Flask, saying how to install it.
    """
    flask = _require_flask()
    settings, epochs = parse_settings(dict(opening or {}))
    start = {**settings, "epochs": epochs}
    runs = runs or LatestWins()
    app = flask.Flask(__name__, static_folder=str(PAGE), static_url_path="/static")
    app.config["FASTMLP_RUNS"] = runs
    app.json.sort_keys = False

    @app.get("/")
    def page():
        return flask.send_from_directory(PAGE, "index.html")

    @app.get("/api/defaults")
    def defaults():
        return {
            "settings": start, "app_defaults": APP_DEFAULTS,
            "choices": {"dataset": list(PLAYGROUND_DATASETS),
                        "activation": list(PLAYGROUND_ACTIVATIONS),
                        "features": list(PLAYGROUND_FEATURES),
                        "learning_rate": list(LEARNING_RATES),
                        "regularization_rate": list(REGULARIZATION_RATES)},
            "limits": {"max_epochs": MAX_EPOCHS, "seeds": SEEDS,
                       "max_hidden_layers": MAX_HIDDEN_LAYERS, "max_neurons": MAX_NEURONS,
                       "work_budget": WORK_BUDGET, "seeds_work_budget": seeds_budget()},
        }

    def answer(job, kind):
        body = flask.request.get_json(silent=True)
        try:
            settings, epochs = parse_settings(
                body, seeds_budget() if kind == "seeds" else WORK_BUDGET)
        except (ValueError, TypeError) as exc:
            return {"error": str(exc)}, 400
        try:
            order = _request_order(flask.request.headers.get(ORDER_HEADER))
        except ValueError as exc:
            return {"error": str(exc)}, 400
        try:
            return runs.submit(lambda superseded: job(settings, epochs, superseded), kind,
                               order)
        except SupersededError:
            return {"superseded": True}, 409

    @app.post("/api/run")
    def run():
        return answer(train_run, "run")

    @app.post("/api/seeds")
    def seeds():
        return answer(seed_spread, "seeds")

    return app


def warm_up() -> None:
    """Load (or compile, the first time on a machine) the kernels the page uses."""
    from .playground import Playground

    settings, _ = parse_settings({})
    playground = Playground(**settings).run(1)
    playground.neuron_outputs(np.zeros((1, 2)))


def serve(host: str = "127.0.0.1", port: int = 8050, open_browser: bool = True,
          **opening: Any) -> None:
    """Serve the live Playground page until Ctrl-C.

    Parameters
    ----------
    host : str
        Address to listen on; the default answers this machine only.
    port : int
        Port; 0 picks a free one.
    open_browser : bool
        Open the page in the default web browser.
    **opening
        Settings the page opens on instead of the app's defaults (:data:`APP_DEFAULTS`'s
        keys, e.g. ``dataset="spiral"``, ``hidden=[8, 8, 8]``, ``epochs=300``).

    Raises
    ------
    ModuleNotFoundError
        Without Flask (``pip install -e ".[web]"``).
    ValueError, TypeError
        For opening settings the Playground refuses.
    OSError
        When the port is taken.
    """
    app = create_app(opening)
    from werkzeug.serving import make_server  # Flask's own server library

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    warm_up()
    server = make_server(host, port, app, threaded=True)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{server.server_port}/"
    print(f"the live Playground is at {url} (Ctrl-C stops it)", flush=True)
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
