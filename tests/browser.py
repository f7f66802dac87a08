"""What the tests that drive Debian's Chromium through Playwright share.

Without the ``playwright`` package or ``chromium`` such a test is skipped, unless
``FASTMLP_REQUIRE_BROWSER=1`` (set by CI) makes that a failure.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Where the browser tests save their screenshots.
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


def require_browser(what):
    """Skip (or, under ``FASTMLP_REQUIRE_BROWSER=1``, fail) ``what`` without a browser."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "the playwright package"
    else:
        missing = None if CHROMIUM else "chromium (apt-get install chromium)"
    if missing is None:
        return
    if os.environ.get("FASTMLP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{what} needs {missing}")
    pytest.skip(f"{what} needs {missing}")
