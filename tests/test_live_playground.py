"""The live Playground page (``fastmlp playground --serve``): its endpoints, and the page
itself driven in Chromium.

The endpoint tests use Flask's test client. The browser tests need Debian's ``chromium``
and the ``playwright`` package (the ``dev`` extra); without them they are skipped, unless
``FASTMLP_REQUIRE_BROWSER=1`` (set by CI) makes that a failure. They save screenshots
under ``build/screenshots`` (printed by the test).
"""

import base64
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from itertools import count
from pathlib import Path

import numpy as np
import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, require_browser

from fastmlp import live
from fastmlp.cli import main
from fastmlp.playground import Playground

pytest.importorskip("flask")

ROOT = Path(__file__).resolve().parent.parent
#: Seconds a browser wait may take on a loaded machine (the first run may compile).
PATIENCE_MS = 300_000


def playground_settings(**changes):
    """The app's defaults as Playground keyword arguments, with ``changes``."""
    settings = {**live.APP_DEFAULTS, **changes}
    settings.pop("epochs")
    return settings


@pytest.fixture
def client():
    return live.create_app().test_client()


# ------------------------------------------------------------------ endpoints
def test_page_opens_on_the_apps_defaults(client):
    defaults = client.get("/api/defaults").get_json()
    assert defaults["settings"] == {
        "dataset": "circle", "noise": 0.0, "train_ratio": 0.5, "features": ["x1", "x2"],
        "hidden": [4, 2], "activation": "tanh", "learning_rate": 0.03, "regularization": None,
        "regularization_rate": 0.0, "batch_size": 10, "problem": None, "seed": 0,
        "epochs": 500,
    }
    assert defaults["choices"]["features"] == [
        "x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]
    page = client.get("/")
    assert page.status_code == 200 and b"live.js" in page.data
    assert client.get("/static/live.js").status_code == 200


def test_opening_settings_replace_the_defaults_they_name():
    defaults = live.create_app({"dataset": "xor", "hidden": "8,8"}).test_client().get(
        "/api/defaults").get_json()["settings"]
    assert (defaults["dataset"], defaults["hidden"], defaults["learning_rate"]) == (
        "xor", [8, 8], 0.03)


def test_defaults_agree_with_the_playgrounds_own_where_it_has_them():
    app_defaults = getattr(Playground, "app_defaults", None)
    if app_defaults is None:
        pytest.skip("this Playground has no app_defaults()")
    theirs = app_defaults()
    if isinstance(theirs, Mapping):  # settings, perhaps with more than a Playground takes
        theirs = Playground(**{key: value for key, value in theirs.items()
                               if key in playground_settings()})
    assert theirs.settings() == Playground(**playground_settings()).settings()


def test_a_run_is_the_playgrounds_run_with_snapshots(client):
    settings = playground_settings(dataset="xor", hidden=[3], learning_rate=0.1, batch_size=7)
    answer = client.post("/api/run", json={**settings, "epochs": 250})
    assert answer.status_code == 200
    run = answer.get_json()
    reference = Playground(**settings).run(250)
    # trained in parts of ceil(250 / 100) = 3 epochs, with leftover gradients carried over
    for key in ("train_loss", "test_loss", "test_accuracy"):
        assert run["history"][key] == reference.history[key].tolist(), key
    assert run["trained"] == 250 and not run["diverged"]
    epochs = [snapshot["epoch"] for snapshot in run["snapshots"]]
    assert epochs == [*range(0, 250, 3), 250]
    assert run["sizes"] == [2, 3, 1]
    fresh = Playground(**settings)
    assert run["history"]["test_loss"][0] == pytest.approx(
        np.mean(0.5 * (fresh.predict(fresh.X_test) - fresh.y_test) ** 2), rel=1e-12)

    # the last snapshot shows the trained network's output, one byte per pixel
    resolution = run["resolution"]["output"]
    shown = np.frombuffer(base64.b64decode(run["snapshots"][-1]["output"]), dtype=np.uint8)
    centres = -6 + (np.arange(resolution) + 0.5) * 12 / resolution
    x1, x2 = np.meshgrid(centres, centres[::-1])
    output = reference.predict(np.column_stack([x1.ravel(), x2.ravel()]))
    expected = np.rint((np.clip(output, -1, 1) + 1) * 127.5)
    np.testing.assert_array_equal(shown, expected)
    final = run["snapshots"][-1]["weights"]
    np.testing.assert_allclose(np.array(final[0]), reference.network.weights[0], atol=1e-5)


def test_links_killed_by_l1_are_sent_as_none(client):
    settings = playground_settings(dataset="spiral", hidden=[6, 6], regularization="l1",
                                   regularization_rate=0.03)
    run = client.post("/api/run", json={**settings, "epochs": 100}).get_json()
    reference = Playground(**settings).run(100)
    dead = sum(int(mask.sum()) for mask in reference.dead)
    assert dead > 0
    sent = sum(row.count(None) for W in run["snapshots"][-1]["weights"] for row in W)
    assert sent == dead


@pytest.mark.parametrize("bad, name", [
    ({"learning_rate": -1}, "learning_rate"),
    ({"hidden": [4, 0]}, "hidden[1]"),
    ({"features": []}, "features"),
    ({"batch_size": "ten"}, "batch_size"),
    ({"dataset": "moons"}, "dataset"),
])
def test_bad_settings_get_400_with_the_playgrounds_message(client, bad, name):
    with pytest.raises((ValueError, TypeError)) as refused:
        Playground(**playground_settings(**bad))
    for path in ("/api/run", "/api/seeds"):
        answer = client.post(path, json=bad)
        assert answer.status_code == 400
        assert answer.get_json() == {"error": str(refused.value)}
        assert name in str(refused.value)
    assert client.post("/api/run", json={"epochs": 5}).status_code == 200


@pytest.mark.parametrize("body, says", [
    ({"epochs": 0}, "epochs"),
    ({"epochs": live.MAX_EPOCHS + 1}, f"at most {live.MAX_EPOCHS}"),
    ({"learning_rte": 0.1}, "unknown settings ['learning_rte']"),
    ([1, 2], "JSON object"),
])
def test_requests_that_are_not_settings_get_400(client, body, says):
    answer = client.post("/api/run", json=body)
    assert answer.status_code == 400
    assert says in answer.get_json()["error"]


def test_a_body_that_is_not_json_gets_400(client):
    answer = client.post("/api/run", data="dataset=xor", content_type="text/plain")
    assert answer.status_code == 400
    assert "JSON object" in answer.get_json()["error"]


def test_a_newer_request_supersedes_a_running_one(monkeypatch):
    app = live.create_app()
    runs = app.config["FASTMLP_RUNS"]
    held, release = threading.Event(), threading.Event()
    real = live.train_run

    def hold_xor(settings, epochs, superseded):
        if settings["dataset"] == "xor":
            held.set()
            assert release.wait(60)
        return real(settings, epochs, superseded)

    monkeypatch.setattr(live, "train_run", hold_xor)
    answers = {}

    def post(name, body):
        answers[name] = app.test_client().post("/api/run", json=body)

    first = threading.Thread(target=post, args=("xor", {"dataset": "xor", "epochs": 50}))
    first.start()
    assert held.wait(60)
    before = runs.latest
    second = threading.Thread(target=post, args=("gauss", {"dataset": "gauss", "epochs": 50}))
    second.start()
    deadline = time.monotonic() + 60
    while runs.latest == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runs.latest == before + 1  # the second request took its ticket and waits
    release.set()
    first.join(60)
    second.join(60)
    assert answers["xor"].status_code == 409
    assert answers["xor"].get_json() == {"superseded": True}
    assert answers["gauss"].status_code == 200
    assert answers["gauss"].get_json()["settings"]["dataset"] == "gauss"


def test_the_request_the_page_made_last_wins_whatever_order_they_arrive_in():
    """Two changes sent back to back may reach the server in either order: the page's
    request numbers, not the arrival, say which is newer."""
    runs = live.LatestWins()
    done = []

    def job(name):
        def work(superseded):
            done.append((name, superseded()))
            return name
        return work

    assert runs.submit(job("second"), "run", ("page", 2)) == "second"
    with pytest.raises(live.SupersededError):  # made first, arrived last: never runs
        runs.submit(job("first"), "run", ("page", 1))
    assert runs.submit(job("seeds of the second"), "seeds", ("page", 2)) == "seeds of the second"
    # a reloaded page starts counting again, and its requests are the newest
    assert runs.submit(job("reloaded"), "run", ("another page", 1)) == "reloaded"
    with pytest.raises(live.SupersededError):
        runs.submit(job("reloaded, sent before"), "run", ("another page", 0))
    assert done == [("second", False), ("seeds of the second", False), ("reloaded", False)]


def test_a_malformed_request_order_is_refused():
    client = live.create_app().test_client()
    answer = client.post("/api/run", json={"epochs": 5}, headers={live.ORDER_HEADER: "7"})
    assert answer.status_code == 400 and "page-id:number" in answer.get_json()["error"]


def _while_the_first_job_waits(runs, kinds):
    """Submit a job of ``kinds[0]`` that waits, then, one by one while it waits, jobs of
    the other kinds; returns what each submit gave (its job's name, or "superseded") and
    the jobs that started, in order."""
    names = ("first", "second", "third")[:len(kinds)]
    started, release = threading.Event(), threading.Event()
    ran, results = [], {}

    def work(name):
        def job(superseded):
            ran.append(name)
            if name == "first":
                started.set()
                assert release.wait(60)
            if superseded():
                raise live.SupersededError
            return name
        return job

    def submit(name, kind):
        try:
            results[name] = runs.submit(work(name), kind)
        except live.SupersededError:
            results[name] = "superseded"

    threads = []
    for number, (name, kind) in enumerate(zip(names, kinds, strict=True), start=1):
        threads.append(threading.Thread(target=submit, args=(name, kind)))
        threads[-1].start()
        if number == 1:
            assert started.wait(60)
            continue
        deadline = time.monotonic() + 60  # each waits for the worker before the next
        while runs.latest < number and time.monotonic() < deadline:
            time.sleep(0.01)
    assert runs.latest == len(kinds)
    release.set()
    for thread in threads:
        thread.join(60)
    return results, ran


def test_waiting_requests_that_were_superseded_never_run():
    results, ran = _while_the_first_job_waits(live.LatestWins(), ("run", "run", "run"))
    assert results == {"first": "superseded", "second": "superseded", "third": "third"}
    assert ran == ["first", "third"]


def test_seeds_asked_after_a_run_never_cancel_it_but_a_new_run_cancels_seeds():
    for kinds, first in ((("run", "seeds"), "first"), (("seeds", "run"), "superseded"),
                         (("seeds", "seeds"), "superseded")):
        results, _ = _while_the_first_job_waits(live.LatestWins(), kinds)
        assert results == {"first": first, "second": "second"}, kinds
    with pytest.raises(ValueError, match="kind"):
        live.LatestWins().submit(lambda superseded: None, "sweep")


def test_a_superseded_run_stops_at_its_next_snapshot():
    checks = count()
    with pytest.raises(live.SupersededError):
        live.train_run(playground_settings(), 500, superseded=lambda: next(checks) >= 3)
    assert next(checks) == 4  # stopped at the fourth check, before the fourth part


def test_seeds_give_the_spread_of_the_playgrounds_test_loss(client):
    settings = playground_settings(dataset="xor", hidden=[3], seed=4)
    spread = client.post("/api/seeds", json={**settings, "epochs": 40}).get_json()
    assert spread["seeds"] == list(range(4, 4 + live.SEEDS))
    losses = [Playground(**{**settings, "seed": seed}).run(40).test_loss
              for seed in spread["seeds"]]
    assert spread["test_loss"] == losses
    assert (spread["min"], spread["median"], spread["max"]) == (
        min(losses), float(np.median(losses)), max(losses))
    assert spread["diverged"] == [False] * live.SEEDS


# ------------------------------------------------------------------ limits
HEAVIEST = dict(dataset="reg_plane", train_ratio=0.9, features=list(live.PLAYGROUND_FEATURES),
                hidden=[live.MAX_NEURONS] * live.MAX_HIDDEN_LAYERS, batch_size=1,
                epochs=live.APP_DEFAULTS["epochs"])


@pytest.mark.parametrize("hidden", [[1000] * 6, [8] * 40, [4, 9]])
def test_hidden_layers_beyond_the_apps_get_400_naming_the_limit(client, hidden):
    answer = client.post("/api/run", json={"hidden": hidden, "epochs": 10})
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert f"at most {live.MAX_HIDDEN_LAYERS} hidden layers of at most {live.MAX_NEURONS}" \
        in error and str(hidden) in error
    Playground("circle", hidden=(9,) * 7)  # the Python API keeps taking any size


def test_the_heaviest_setting_the_app_allows_is_accepted_and_more_work_is_refused(client):
    settings, epochs = live.parse_settings(HEAVIEST)
    playground = Playground(**settings)
    assert epochs * playground.X_train.shape[0] * playground.network.parameters.size \
        == live.WORK_BUDGET
    answer = client.post("/api/run", json={**HEAVIEST, "epochs": HEAVIEST["epochs"] + 1})
    assert answer.status_code == 400
    assert "budget" in answer.get_json()["error"]
    limits = client.get("/api/defaults").get_json()["limits"]
    assert limits["work_budget"] == live.WORK_BUDGET
    assert (limits["max_hidden_layers"], limits["max_neurons"]) == (6, 8)


def test_a_running_job_asks_whether_it_is_superseded_often():
    asked = []

    def superseded():
        asked.append(time.perf_counter())
        return False

    playground = Playground(**playground_settings(**{k: v for k, v in HEAVIEST.items()
                                                      if k != "epochs"}))
    live.train_checked(playground, 60, superseded)
    assert playground.epoch == 60
    gaps = np.diff(asked)
    # Each call aims at half the interval; twice the interval allows for a loaded machine.
    assert len(asked) > 1 and gaps.max() < 2 * live.CHECK_SECONDS, gaps


def test_the_seeds_of_a_setting_share_the_budget_between_the_cores(client):
    assert live.seeds_budget() == live.WORK_BUDGET * min(live.SEEDS, os.cpu_count()) \
        // live.SEEDS
    answer = client.post("/api/seeds", json=HEAVIEST)
    assert answer.status_code == 400
    assert "per run of the seeds" in answer.get_json()["error"]


@pytest.mark.parametrize("path", ["/api/run", "/api/seeds"])
def test_a_normal_change_after_the_heaviest_one_answers_about_as_on_an_idle_server(
        monkeypatch, path):
    app = live.create_app()
    started = threading.Event()
    real = live.train_checked

    def noting(*args):
        started.set()
        return real(*args)

    monkeypatch.setattr(live, "train_checked", noting)
    normal = {"dataset": "xor", "epochs": 100}

    def timed(body, order):
        begin = time.perf_counter()
        answer = app.test_client().post(path, json=body, headers={"X-Request-Order": order})
        return answer, time.perf_counter() - begin

    idle, idle_seconds = timed(normal, "t:1")
    assert idle.status_code == 200
    # The heaviest request accepted there: the seeds' runs share the budget.
    heaviest = HEAVIEST if path == "/api/run" else {
        **HEAVIEST, "epochs": HEAVIEST["epochs"] * live.seeds_budget() // live.WORK_BUDGET}
    heavy = {}
    worker = threading.Thread(target=lambda: heavy.update(answer=timed(heaviest, "t:2")[0]))
    worker.start()
    assert started.wait(60)
    time.sleep(0.3)  # well into the heavy job
    busy, busy_seconds = timed(normal, "t:3")
    worker.join(120)
    assert heavy["answer"].status_code == 409  # superseded
    assert busy.status_code == 200
    assert busy_seconds <= idle_seconds + 1.0, (busy_seconds, idle_seconds)


def test_loopback_addresses_are_told_from_others():
    from fastmlp.cli import _loopback

    assert all(map(_loopback, ["127.0.0.1", "localhost", "::1", "127.1.2.3"]))
    assert not any(map(_loopback, ["0.0.0.0", "192.168.1.5", "::", "example.org"]))


def test_the_help_says_the_page_has_no_authentication(capsys):
    with pytest.raises(SystemExit):
        main(["playground", "--help"])
    assert "no authentication" in " ".join(capsys.readouterr().out.split())


# ------------------------------------------------------------------ the command
def test_serve_without_flask_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "flask", None)  # makes `import flask` fail
    with pytest.raises(SystemExit) as exited:
        main(["playground", "--serve", "--no-browser"])
    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert "needs Flask" in error and 'pip install -e ".[web]"' in error


@pytest.mark.parametrize("options, says", [
    (["--seeds", "0-3"], "--seeds does not apply with --serve"),
    (["--out", "x.png"], "--out does not apply with --serve"),
    (["--lr", "-1"], "learning_rate must be > 0.0"),
])
def test_serve_refuses_options_it_cannot_use(options, says, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["playground", "--serve", "--no-browser", *options])
    assert exited.value.code == 2
    assert says in capsys.readouterr().err


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_the_command_serves_and_prints_the_url_warning_off_this_machine(tmp_path, host):
    command = [sys.executable, "-m", "fastmlp", "playground", "--serve", "--port", "0",
               "--no-browser", "--dataset", "xor", "--epochs", "200", "--host", host]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=tmp_path, env=env)
    try:
        lines = []
        for line in server.stdout:
            lines.append(line)
            found = re.search(r"http://[0-9.]+:(\d+)/", line)
            if found:
                break
        assert found, "".join(lines) + server.stderr.read()
        url = f"http://127.0.0.1:{found.group(1)}/"
        with urllib.request.urlopen(url + "api/defaults", timeout=60) as answer:
            settings = json.load(answer)["settings"]
        assert (settings["dataset"], settings["epochs"], settings["hidden"]) == ("xor", 200,
                                                                                [4, 2])
    finally:
        server.terminate()
        server.wait(60)
        server.stdout.close()
        warned = "no authentication" in server.stderr.read()
        server.stderr.close()
    assert warned == (host != "127.0.0.1")


# ------------------------------------------------------------------ in a browser
@pytest.fixture(scope="module")
def server():
    require_browser("the live page test")
    from werkzeug.serving import make_server

    live.warm_up()
    httpd = make_server("127.0.0.1", 0, live.create_app(), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    thread.join(60)


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.set_default_timeout(PATIENCE_MS)
        errors, outside, runs = [], [], []

        def record(request):
            if request.url.endswith("/api/run"):
                runs.append(request.url)
            if not request.url.startswith((server, "data:")):
                outside.append(request.url)

        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", record)
        page.goto(server)
        page.wait_for_function("window.fastmlpLive.shown >= 1")
        yield page, runs
        browser.close()
    assert not errors, errors
    assert not outside, f"requests left 127.0.0.1: {outside[:5]}"


def _shown(page):
    """The run on the page: settings, losses shown, canvases."""
    return page.evaluate("""() => ({
        settings: window.fastmlpLive.settings,
        shown: window.fastmlpLive.shown,
        test_text: document.querySelector('#test-loss').textContent,
        test_value: Number(document.querySelector('#test-loss').dataset.value),
        train_value: Number(document.querySelector('#train-loss').dataset.value),
        epoch: Number(document.querySelector('#shown-epoch').textContent),
        output: document.querySelector('#output').toDataURL(),
        network: document.querySelector('#network').toDataURL(),
        message: document.querySelector('#message').hidden ? null
                 : document.querySelector('#message').textContent,
    })""")


def _wait_for_settings(page, **expected):
    page.wait_for_function(
        """(expected) => { const s = window.fastmlpLive.settings;
             return s !== null && Object.entries(expected).every(
                 ([key, value]) => JSON.stringify(s[key]) === JSON.stringify(value)); }""",
        arg=expected)


def test_changes_retrain_and_the_slider_scrubs_the_stored_run(page):
    page, runs = page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    start = _shown(page)
    defaults = Playground(**playground_settings()).run(500)
    assert start["test_value"] == defaults.test_loss
    assert start["test_text"] == f"{defaults.test_loss:.3f}"
    assert start["epoch"] == 500

    page.select_option("#dataset", "xor")
    _wait_for_settings(page, dataset="xor")
    page.fill("#width-0", "6")
    page.dispatch_event("#width-0", "change")
    page.fill("#learning_rate", "0.1")  # sent at once: supersedes the width's run
    page.dispatch_event("#learning_rate", "change")
    _wait_for_settings(page, dataset="xor", hidden=[6, 2], learning_rate=0.1)
    changed = _shown(page)
    page.screenshot(path=str(SCREENSHOTS / "live-playground.png"))
    settings = playground_settings(dataset="xor", hidden=[6, 2], learning_rate=0.1)
    reference = Playground(**settings).run(500)
    assert changed["test_value"] == reference.test_loss
    assert changed["test_text"] == f"{reference.test_loss:.3f}"
    assert changed["train_value"] == reference.train_loss
    assert changed["test_value"] != start["test_value"]
    assert changed["output"] != start["output"]
    assert changed["network"] != start["network"]

    # the slider shows the stored snapshots: no request, the history's figures
    requests = len(runs)
    every = -(-500 // live.SNAPSHOTS)
    for index in (20, 1, 0, 57):
        page.evaluate("""(index) => { const slider = document.querySelector('#epoch-slider');
                                     slider.value = index;
                                     slider.dispatchEvent(new Event('input')); }""", index)
        scrubbed = _shown(page)
        epoch = index * every
        assert scrubbed["epoch"] == epoch
        if epoch == 0:
            fresh = Playground(**settings)
            expected = np.mean(0.5 * (fresh.predict(fresh.X_test) - fresh.y_test) ** 2)
            assert scrubbed["test_value"] == pytest.approx(expected, rel=1e-12)
        else:
            assert scrubbed["test_value"] == reference.history["test_loss"][epoch]
            assert scrubbed["train_value"] == reference.history["train_loss"][epoch]
        assert scrubbed["output"] != changed["output"]
    page.screenshot(path=str(SCREENSHOTS / "live-playground-scrubbed.png"))
    assert len(runs) == requests

    page.check("#seeds-switch")
    page.wait_for_function("document.querySelector('#seed-summary').dataset.median")
    spread = page.evaluate("({...document.querySelector('#seed-summary').dataset})")
    losses = [Playground(**{**settings, "seed": seed}).run(500).test_loss
              for seed in range(live.SEEDS)]
    assert float(spread["min"]) == min(losses)
    assert float(spread["median"]) == float(np.median(losses))
    assert float(spread["max"]) == max(losses)
    page.screenshot(path=str(SCREENSHOTS / "live-playground-seeds.png"))
    print(f"screenshots in {SCREENSHOTS}")


def test_a_bad_setting_shows_the_message_and_the_server_goes_on(page, server):
    page, _ = page
    with pytest.raises(ValueError) as refused:
        Playground(**playground_settings(learning_rate=-1))
    before = _shown(page)
    page.fill("#learning_rate", "-1")
    page.dispatch_event("#learning_rate", "change")
    page.wait_for_function("!document.querySelector('#message').hidden")
    refused_shown = _shown(page)
    assert refused_shown["message"] == str(refused.value)
    assert refused_shown["output"] == before["output"]  # the last good run stays
    page.screenshot(path=str(SCREENSHOTS / "live-playground-error.png"))

    with urllib.request.urlopen(server + "api/defaults", timeout=60) as answer:
        assert answer.status == 200
    page.fill("#learning_rate", "0.3")
    page.dispatch_event("#learning_rate", "change")
    _wait_for_settings(page, learning_rate=0.3)
    after = _shown(page)
    assert after["message"] is None
    assert after["test_value"] == Playground(**playground_settings(learning_rate=0.3)).run(
        500).test_loss


def test_an_out_of_range_width_is_clamped_and_said_and_the_page_goes_on(page):
    page, _ = page
    page.fill("#width-0", "1000")
    page.dispatch_event("#width-0", "change")
    _wait_for_settings(page, hidden=[live.MAX_NEURONS, 2])
    shown = _shown(page)
    assert page.input_value("#width-0") == str(live.MAX_NEURONS)
    assert f"1 to {live.MAX_NEURONS} neurons" in shown["message"]
    assert "1000 became 8" in shown["message"]
    page.screenshot(path=str(SCREENSHOTS / "live-playground-clamped.png"))
    page.fill("#learning_rate", "0.1")  # the page still answers, and the note goes
    page.dispatch_event("#learning_rate", "change")
    _wait_for_settings(page, hidden=[live.MAX_NEURONS, 2], learning_rate=0.1)
    assert _shown(page)["message"] is None
