"""axe-core (the accessibility engine browsers' dev tools use) finds no violation on any public
or dashboard page, the new ones included: the inbox and a thread, the confirmation steps, an
error summary, the round's public pages and certificate, the printable ballot papers.

axe is injected into the page, so the context lifts the Content-Security-Policy for this test
alone (tests/test_security_headers.py checks the policy itself)."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.dashboard_helpers import PASSWORD
from tests.test_narrow_screens import a_season  # noqa: F401  (the fixture: a season of activity)


@pytest.fixture
def lenient_page(chromium, live_app):
    context = chromium.new_context(
        base_url=live_app, viewport={"width": 1100, "height": 900}, bypass_csp=True
    )
    yield context.new_page()
    context.close()


def _violations(page, what: str) -> list[str]:
    results = Axe().run(page)
    return [
        f"{what}: {v['id']} ({v['impact']}) {v['help']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


@pytest.mark.browser
def test_axe_finds_no_violation_on_any_page(cp, lenient_page, a_season):  # noqa: F811
    page, found = lenient_page, []
    public = ("/c/riverside", "/c/riverside/rounds/1", "/c/riverside/rounds/1/result", "/c/nowhere")
    for path in (*public, "/c/riverside/360giving.json"):  # no grant data yet: a page says so
        page.goto(path)
        found += _violations(page, path)
    page.goto("/dashboard/login")
    found += _violations(page, "login")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for path in (
        "/dashboard/riverside/",
        "/dashboard/riverside/inbox",
        "/dashboard/riverside/ideas",
        "/dashboard/riverside/rounds",
        "/dashboard/riverside/rounds/1",
        "/dashboard/riverside/rounds/2",
        "/dashboard/riverside/rounds/2/papers",
        "/dashboard/riverside/money",
        "/dashboard/riverside/projects",
        "/dashboard/riverside/whatsapp",
        "/dashboard/riverside/digest",
        "/dashboard/riverside/no-such-page",
    ):
        page.goto(path)
        found += _violations(page, path)
    page.goto("/dashboard/riverside/inbox")
    page.locator("main a[href*='/inbox/']").first.click()
    found += _violations(page, "an inbox thread")
    page.goto("/dashboard/riverside/rounds/2")
    page.get_by_role("button", name="Open now").click()
    found += _violations(page, "confirming a round's opening")
    page.goto("/dashboard/riverside/money")
    page.locator("#spend-amount").fill("lots")
    page.get_by_role("button", name="Record spending").click()
    found += _violations(page, "a refused form")
    assert found == []
