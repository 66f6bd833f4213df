"""Every public and dashboard page on a phone (390 px wide, as an iPhone 12-15): nothing wider
than the screen, so nobody scrolls sideways to read a figure. Issue 24: the public page's
funded-projects table was 430 px."""

import pytest

from tests.browser import screenshot
from tests.conftest import park_round
from tests.dashboard_helpers import PASSWORD, make_organiser

# What is measured (the pages' layout) does not depend on the database: SQLite alone.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
PHONE = {"width": 390, "height": 844}
# What sticks out beyond the screen, if anything: the page's width and its widest elements.
WIDER = """() => {
  const width = document.documentElement.clientWidth;
  const out = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .filter(e => !e.closest('.table-scroll'))
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')
              + ' ' + Math.round(e.getBoundingClientRect().right));
  return {scroll: document.documentElement.scrollWidth, width, out};
}"""


@pytest.fixture
def a_season(app, clock, cp, member, new_chat):
    """Round 1 closed and funded, its first allocation partly spent and closed, round 2 made
    (not open), a question waiting in the inbox, news posted."""
    make_organiser(app, clock)
    park_round(cp, "riverside", member.say)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    member.say("1 2")
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0
    spend = ["--community", "riverside", "--amount", "£400", "--description", "Two benches"]
    assert cp("budget", "spend", *spend, "--allocation", "1").exit_code == 0
    assert cp("budget", "close", "--community", "riverside", "--allocation", "1").exit_code == 0
    news = "Benches ordered for the green, and a mural artist chosen by the residents' panel."
    assert cp("budget", "update", "--community", "riverside", "--text", news).exit_code == 0
    other = new_chat()
    other.say("hi")
    other.say("YES")
    for idea in ("IDEA a longer idea: a community orchard with fruit trees by the canal path", "IDEA bins"):
        other.say(idea)
        other.say("£500")
    for number in ("3", "4"):
        assert cp("ideas", "shortlist", "--community", "riverside", number).exit_code == 0
    create = ["round", "create", "--community", "riverside", "--title", "Library", "--method"]
    times = ["--opens", "2026-12-10 09:00", "--closes", "2026-12-12 18:00"]
    assert cp(*create, "approval", "--ideas", "3,4", *times).exit_code == 0
    other.say("IDEA a skate park")  # left to moderate
    other.say("£3k")
    other.say("when is the next meeting of the partnership, and where is it held?")


def _fits(page, what: str) -> None:
    measured = page.evaluate(WIDER)
    assert measured["scroll"] <= measured["width"], (what, measured)


def test_no_page_is_wider_than_a_phone(app, cp, page, a_season):
    page.set_viewport_size(PHONE)
    page.goto("/c/riverside")
    assert "Take part" in page.inner_text("main")
    _fits(page, "/c/riverside")
    screenshot(page, "public-phone")
    assert page.goto("/c/nowhere").status == 404
    _fits(page, "/c/nowhere")
    page.goto("/dashboard/login")
    _fits(page, "login")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    for path in (
        "/dashboard/riverside/",
        "/dashboard/riverside/ideas",
        "/dashboard/riverside/rounds",
        "/dashboard/riverside/rounds/1",
        "/dashboard/riverside/rounds/2",
        "/dashboard/riverside/money",
        "/dashboard/riverside/projects",
        "/dashboard/riverside/inbox",
        "/dashboard/riverside/whatsapp",
        "/dashboard/riverside/digest",
        "/dashboard/riverside/no-such-page",
    ):
        page.goto(path)
        _fits(page, path)
    page.goto("/dashboard/riverside/inbox")
    with page.expect_navigation():
        page.locator("main a[href*='/inbox/']").first.click()
    _fits(page, "an inbox thread")
    page.goto("/dashboard/riverside/rounds/2")
    with page.expect_navigation():
        page.get_by_role("button", name="Open now").click()
    _fits(page, "confirming a round's opening")
    page.goto("/dashboard/riverside/money")
    page.get_by_role("textbox", name="Update").fill("The orchard's trees arrive on Saturday")
    page.locator("#update-broadcast").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Post update").click()
    assert "Confirm" in page.inner_text("main")
    _fits(page, "confirming a budget update")
    page.goto("/dashboard/riverside/projects")
    page.locator("#update-status").select_option("delivered")
    page.locator("#update-note").fill("The benches are in: come and sit on them by the pond")
    with page.expect_navigation():
        page.get_by_role("button", name="Post update").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Mark project 1 delivered?"
    _fits(page, "confirming a project delivered")
    page.goto("/dashboard/riverside/ideas")
    reason = "We looked at this carefully 🙏 and the land by the canal is not ours to use, sorry. " * 2
    page.get_by_label("Reason (the author is told)").first.fill(reason)
    with page.expect_navigation():
        page.get_by_role("button", name="Reject").first.click()
    assert "Reject idea #5?" in page.inner_text("main")
    _fits(page, "rejecting an idea")
    assert cp("round", "open", "--community", "riverside", "2").exit_code == 0
    page.goto("/c/riverside")
    assert "Vote now: Library" in page.inner_text("main")
    _fits(page, "/c/riverside with a round open")
