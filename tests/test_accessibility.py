"""axe-core (the accessibility engine browsers' dev tools use) finds no violation on any public
or dashboard page, the new ones included: the inbox and a thread, the confirmation steps, an
error summary, the round's public pages and certificate, the printable ballot papers.

axe is injected into the page, so the context lifts the Content-Security-Policy for this test
alone (tests/test_security_headers.py checks the policy itself)."""

import pytest

from tests.browser import axe_violations as _violations
from tests.dashboard_helpers import PASSWORD
from tests.test_narrow_screens import a_season  # noqa: F401  (the fixture: a season of activity)

# What axe reads (the pages' markup) does not depend on the database: these run on SQLite, and
# every page they visit is served on PostgreSQL too by the test client in its own tests.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def lenient_page(chromium, live_app):
    context = chromium.new_context(
        base_url=live_app, viewport={"width": 1100, "height": 900}, bypass_csp=True
    )
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_axe_finds_no_violation_on_any_page(cp, lenient_page, a_season):  # noqa: F811
    page, found = lenient_page, []
    public = ("/c/riverside", "/c/riverside/rounds/1", "/c/riverside/rounds/1/result", "/c/nowhere")
    for path in (*public, "/c/riverside/privacy", "/c/riverside/360giving.json"):  # no grant data yet
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
    for step, what in (("Preview", "an announcement's preview"), ("Send…", "confirming an announcement")):
        page.goto("/dashboard/riverside/inbox")
        page.get_by_label("Announcement", exact=True).fill(
            "The partnership meets on Tuesday at 7pm in the library"
        )
        with page.expect_navigation():
            page.get_by_role("button", name=step).click()
        found += _violations(page, what)
    page.goto("/dashboard/riverside/money")
    page.locator("#spend-amount").fill("lots")
    page.get_by_role("button", name="Record spending").click()
    found += _violations(page, "a refused form")
    assert found == []


@pytest.mark.browser
def test_axe_finds_no_violation_on_the_two_factor_pages(app, clock, community, lenient_page):
    """Setting up an app (QR code, key, a refused code), the recovery codes, the page once it is
    on, the code step of sign-in (and its refusal), and the sign-in form of a locked address."""
    import pyotp

    from tests.dashboard_helpers import make_organiser

    app.config["SIGN_IN_SLOWDOWN"] = 0
    make_organiser(app, clock)
    page, found = lenient_page, []

    def sign_in(password: str = PASSWORD) -> None:
        page.goto("/dashboard/login")
        page.get_by_label("Email").fill("sam@example.org")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()

    sign_in()
    page.goto("/dashboard/two-factor")
    found += _violations(page, "setting up two-factor sign-in")
    secret = page.locator("#secret").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    found += _violations(page, "a refused code")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).at(clock()))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    found += _violations(page, "the recovery codes")
    page.goto("/dashboard/two-factor")
    found += _violations(page, "two-factor sign-in on")
    page.get_by_role("button", name="Sign out").click()
    sign_in()
    found += _violations(page, "the sign-in code")
    page.get_by_label("Code", exact=True).fill("000000")
    page.get_by_role("button", name="Continue").click()
    found += _violations(page, "a wrong sign-in code")
    for _ in range(5):
        sign_in("a wrong guess")
    sign_in()
    page.wait_for_load_state("load")
    assert page.get_by_label("Code from your authenticator app, or a recovery code").is_visible()
    found += _violations(page, "a locked address asking for a code")
    assert found == []
