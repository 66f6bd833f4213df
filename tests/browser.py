"""Real headless Chromium (Debian's package, driven by Playwright) against the real app served
on 127.0.0.1, for tests of what organisers see. Screenshots go to tests/screenshots/ (not kept
in git)."""

import os
import shutil
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).parent / "screenshots"


# Set to 1 (as CI does) to fail rather than skip when Chromium is not installed.
REQUIRE_BROWSER = os.environ.get("COMMONPURSE_TEST_REQUIRE_BROWSER") == "1"
MISSING = (
    "browser tests need Chromium: apt-get install chromium "
    "(or set COMMONPURSE_TEST_CHROMIUM to a Chromium binary)"
)


def chromium_path() -> str:
    """Debian's chromium (Playwright's own download cannot reach its servers here); without it
    the browser tests are skipped, or fail under COMMONPURSE_TEST_REQUIRE_BROWSER=1."""
    path = os.environ.get("COMMONPURSE_TEST_CHROMIUM") or shutil.which("chromium")
    if not path:
        if REQUIRE_BROWSER:
            pytest.fail(f"COMMONPURSE_TEST_REQUIRE_BROWSER=1 but {MISSING}")
        pytest.skip(MISSING)
    return path


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page, what: str) -> list[str]:
    """axe-core's violations on the page, each as one line naming `what`. A click that navigates
    returns once the new document is committed, before it has a documentElement: wait for its
    load first (axe read a null document in CI)."""
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("load")
    return [
        f"{what}: {v['id']} ({v['impact']}) {v['help']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in Axe().run(page).response["violations"]
    ]
