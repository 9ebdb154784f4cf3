"""What the browser tests drive: Debian's Chromium (Playwright cannot download its own build
here) and axe-core from the npm registry, injected into pages to check accessibility."""

from __future__ import annotations

import shutil
from pathlib import Path

from devstack import npm

PACKAGE = Path(__file__).resolve().parent.parent / "tools" / "browser-tests"
AXE = PACKAGE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_NAMES = ("chromium", "chromium-browser")


def install() -> None:
    npm.install(PACKAGE, AXE, "the browser tests (axe-core)")


def chromium() -> str:
    """The Chromium executable; a clear failure, never a skip, when it is missing."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        "Chromium is needed for the browser tests: `./guichet test` installs Debian's"
        " `chromium` package when run as root; otherwise run `apt-get install chromium`."
    )
