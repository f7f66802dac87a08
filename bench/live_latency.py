"""How long the live Playground page takes to show a change, measured in the browser.

    python bench/live_latency.py [--changes N]

Starts the page's server (``fastmlp.live``) on a free port of 127.0.0.1, opens it in
Debian's Chromium through Playwright, and makes ``N`` changes of the learning rate, each
a new 500-epoch run, waiting for each result before the next. The page times every
change itself, with ``performance.now()`` from the change to the next frame after the
result is drawn (the request, the training, the answer's transfer and parsing, and the
drawing): ``window.fastmlpLive.latency``. The server's own time (training and snapshots)
is in each answer. Printed: the median and the largest of both, for the app's default
network and for the largest the app allows (six hidden layers of 8, all seven features,
spiral). Needs the ``dev`` extra (Flask, Playwright) and ``apt-get install chromium``.
"""

import argparse
import os
import shutil
import statistics
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastmlp import live  # noqa: E402

RATES = (0.03, 0.1, 0.3, 0.01)
SETUPS = {
    "app defaults (circle, 2-4-2-1, tanh)": {},
    "largest network (spiral, 7 features, 6 x 8)": {
        "dataset": "spiral", "hidden": [8] * 6,
        "features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"],
    },
}


def measure(page, changes):
    """Browser latency and server seconds (lists, ms) of ``changes`` learning-rate changes."""
    browser_ms, server_ms = [], []
    for change in range(changes):
        shown = page.evaluate("window.fastmlpLive.shown")
        rate = RATES[change % len(RATES)]
        if page.input_value("#learning_rate") == str(rate):
            rate = RATES[(change + 1) % len(RATES)]
        page.fill("#learning_rate", str(rate))
        page.dispatch_event("#learning_rate", "change")
        page.wait_for_function(f"window.fastmlpLive.shown > {shown}")
        browser_ms.append(page.evaluate("window.fastmlpLive.latency"))
        server_ms.append(1000 * page.evaluate("window.fastmlpLive.seconds"))
    return browser_ms, server_ms


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20, help="changes per setup")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("needs chromium: apt-get install chromium")
    live.warm_up()
    print(f"{os.cpu_count()} cores; {args.changes} changes per setup, 500 epochs each")
    for name, changes in SETUPS.items():
        server = make_server("127.0.0.1", 0, live.create_app(changes), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium,
                                                 args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.wait_for_function("window.fastmlpLive.shown >= 1", timeout=300_000)
            measure(page, 2)  # the browser's own warm-up
            browser_ms, server_ms = measure(page, args.changes)
            browser.close()
        server.shutdown()
        thread.join()
        print(f"{name}: shown {statistics.median(browser_ms):.0f} ms after the change "
              f"(median; largest {max(browser_ms):.0f} ms), of which the server "
              f"{statistics.median(server_ms):.0f} ms (largest {max(server_ms):.0f} ms)")


if __name__ == "__main__":
    main()
