"""The documentation site, built with ``--strict`` and loaded page by page in Chromium.

Every page must render every formula (one ``mjx-container`` per arithmatex element, no
``mjx-merror``, no TeX delimiters left in the text), load every image, request nothing
from outside 127.0.0.1, and show no Python traceback. Full-page screenshots of the home
page and a derivation page are saved under ``build/screenshots`` (printed by the test).

Needs Debian's ``chromium`` and the ``playwright`` package (the ``dev`` extra); without
them the test is skipped, unless ``FASTMLP_REQUIRE_BROWSER=1`` (set by CI) makes that a
failure.
"""

import functools
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, require_browser

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require_browser("the site test")
    out = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield out, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


CHECK_PAGE = """async () => {
    if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
    const math = document.querySelectorAll('.arithmatex');
    let rendered = 0;
    for (const element of math) {
        rendered += element.querySelectorAll(':scope mjx-container').length > 0 ? 1 : 0;
    }
    const text = document.querySelector('article') || document.body;
    const prose = text.cloneNode(true);
    prose.querySelectorAll('pre, code, mjx-container').forEach(node => node.remove());
    const images = Array.from(document.images).map(
        image => ({src: image.src.slice(0, 60), ok: image.complete && image.naturalWidth > 0}));
    return {
        math: math.length,
        rendered: rendered,
        containers: document.querySelectorAll('mjx-container').length,
        errors: document.querySelectorAll('mjx-merror').length,
        leftover: ['\\\\(', '\\\\[', '$$'].filter(d => prose.textContent.includes(d)),
        images: images,
        traceback: document.body.innerText.includes('Traceback (most recent call last)'),
    };
}"""


def test_every_page_renders_its_math_and_images_offline(site):
    from playwright.sync_api import sync_playwright

    out, base = site
    pages = sorted(path.relative_to(out) for path in out.rglob("index.html"))
    assert len(pages) >= 15
    outside, problems = [], []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("request", lambda request: None if request.url.startswith(
            (base, "data:", "blob:")) else outside.append(request.url))
        math_total = 0
        for relative in pages:
            url = f"{base}/{relative.parent.as_posix()}/".replace("/./", "/")
            page.goto(url, wait_until="load")
            figures = page.evaluate(CHECK_PAGE)
            math_total += figures["math"]
            name = relative.parent.as_posix()
            if figures["rendered"] != figures["math"] or figures["errors"]:
                problems.append(f"{name}: {figures['rendered']} of {figures['math']} formulas "
                                f"rendered, {figures['errors']} errors")
            if figures["leftover"]:
                problems.append(f"{name}: raw TeX delimiters {figures['leftover']} in the text")
            broken = [image["src"] for image in figures["images"] if not image["ok"]]
            if broken:
                problems.append(f"{name}: images not loaded: {broken}")
            if figures["traceback"]:
                problems.append(f"{name}: shows a Python traceback")
            if name in (".", "derivations/softmax-cross-entropy"):
                shot = SCREENSHOTS / ("home.png" if name == "." else "derivation.png")
                page.screenshot(path=str(shot), full_page=True)
        browser.close()
    print(f"screenshots in {SCREENSHOTS}")
    assert not problems, "\n".join(problems)
    assert not outside, f"requests left 127.0.0.1: {outside[:5]}"
    assert math_total > 50  # the derivations are there and were checked
    assert (SCREENSHOTS / "home.png").stat().st_size > 10_000
    assert (SCREENSHOTS / "derivation.png").stat().st_size > 10_000
