"""The dashboard in a real browser: an organiser signs in and reads their community."""

from tests.browser import screenshot
from tests.dashboard_helpers import PASSWORD, make_organiser


def test_an_organiser_signs_in_and_sees_the_overview(app, clock, page, member):
    make_organiser(app, clock)
    page.goto("/dashboard/")
    assert "/dashboard/login" in page.url
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill("wrong guess here")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == (
        "That email and password do not match an organiser account."
    )
    assert page.get_by_label("Email").input_value() == "sam@example.org"  # kept
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Their one community's overview, straight away (not a list with one link on it)
    assert page.get_by_role("heading", level=1).inner_text() == "Riverside Big Local"
    assert page.url.endswith("/dashboard/riverside/")
    assert "By SMS: 1" in page.inner_text("main")
    screenshot(page, "dashboard-overview")
    page.get_by_role("button", name="Sign out").click()
    assert "You are signed out." in page.inner_text("main")


def test_an_organiser_moderates_an_idea_and_keeps_the_books_in_a_browser(app, clock, page, member):
    make_organiser(app, clock)
    member.say("IDEA more benches on the green")
    member.say("£2k")
    page.goto("/dashboard/login")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/dashboard/riverside/ideas")
    page.get_by_label("Agreed cost").fill("£2,500")
    page.get_by_role("button", name="Shortlist").click()
    assert "shortlisted" in page.inner_text("main").lower()
    assert any("#1" in text and "shortlist" in text.lower() for text in member.inbox())
    screenshot(page, "dashboard-ideas")

    page.get_by_role("link", name="Money").click()
    page.get_by_label("Project title").fill("Community garden")
    page.get_by_label("Amount", exact=True).first.fill("£20k")
    page.get_by_role("button", name="Allocate").click()
    assert "£20,000" in page.inner_text("main")
    page.get_by_label("What it paid for").fill("Tools")
    page.locator("#spend-amount").fill("£3,250")
    page.get_by_label("Allocation number (optional)").fill("1")
    page.get_by_role("button", name="Record spending").click()
    assert "Tools" in page.inner_text("main") and "£3,250" in page.inner_text("main")

    # The counter's script starts at DOMContentLoaded: typing into the page the spending's form
    # led to before that (a busy machine) went uncounted, as it would for a very quick organiser.
    page.wait_for_load_state()
    update = page.get_by_role("textbox", name="Update")
    update.fill("The garden opened on Saturday")
    counter = page.locator("#update-count")
    # the live counter, as residents will read it: with the full stop the server adds
    assert "Your text: 30 characters, GSM-7" in counter.inner_text()
    update.fill("The garden opened on Saturday 🌱")
    assert "UCS-2" in counter.inner_text()
    update.fill("The garden opened on Saturday")
    page.locator("#update-broadcast").check()
    page.get_by_role("button", name="Post update").click()
    assert "1 member" in page.inner_text("main")  # asked to confirm, with the count
    page.get_by_role("button", name="Confirm").click()
    assert any("The garden opened on Saturday. Send BUDGET" in text for text in member.inbox())
    screenshot(page, "dashboard-money")


def test_the_overview_turnout_rises_while_the_organiser_watches(app, clock, cp, page, member, new_chat):
    from tests.conftest import park_round

    make_organiser(app, clock)
    park_round(cp, "riverside", member.say)
    other = new_chat()
    other.say("hi")
    other.say("YES")
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    page.goto("/dashboard/login")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/dashboard/riverside/")
    ballots = page.locator('[data-live="ballots"]')
    assert ballots.inner_text() == "0"
    member.say("1")  # a resident votes by SMS while the page is open
    page.wait_for_function(
        "() => document.querySelector('[data-live=\"ballots\"]').textContent === '1'", timeout=15000
    )
    assert page.locator('[data-live="percent"]').inner_text() == "50%"
    assert "Live: updated" in page.locator('[data-live="note"]').inner_text()


def test_a_refused_form_is_said_where_the_page_opens_and_leads_to_its_field(app, clock, page, member):
    """After a refusal the page opened at the top with no banner, the field's message 1,250 px
    further down, in the same blue as good news."""
    make_organiser(app, clock)
    page.goto("/dashboard/login")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/dashboard/riverside/money")
    page.get_by_label("What it paid for").fill("Roof")
    page.locator("#spend-amount").fill("lots")
    page.get_by_role("button", name="Record spending").click()
    page.wait_for_load_state("load")  # the click returns once the refusal page is committed
    summary = page.locator("#error-summary")
    assert summary.is_visible() and summary.evaluate("e => e.getBoundingClientRect().bottom") <= 720
    assert page.evaluate("document.activeElement.id") == "error-summary"  # focus moved there
    # In the colour of a refusal, not the blue of "done"
    red, green, blue = summary.evaluate("e => getComputedStyle(e).borderTopColor.match(/\\d+/g).map(Number)")
    assert red > 150 and green < 100 and blue < 100
    summary.get_by_role("link").click()
    message = page.locator("#spend-amount-error")
    assert "'lots' is not an amount of money" in message.inner_text()
    assert message.evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
    )


def test_every_page_works_under_the_content_security_policy(app, clock, cp, page, member):
    """Issue 26 (9): the policy allows no inline script; the `page` fixture fails on anything
    it blocks. The money bars (widths in style attributes) and the digest preview (an email
    styled inline, in a frame that inherits the policy) still draw."""
    make_organiser(app, clock)
    member.say("IDEA benches")
    member.say("£2k")
    assert cp("ideas", "shortlist", "--community", "riverside", "1").exit_code == 0
    allocated = cp(
        "budget",
        "allocate",
        "--community",
        "riverside",
        "--idea",
        "1",
        "--amount",
        "£300,000",
        "--title",
        "Benches",
    )
    assert allocated.exit_code == 0, allocated.output
    page.goto("/dashboard/login")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for path in ("/c/riverside", "/dashboard/riverside/"):
        page.goto(path)
        bar = page.locator(".bar").bounding_box()
        committed = page.locator(".bar .committed").bounding_box()
        assert bar and committed and 0.1 < committed["width"] / bar["width"] < 0.5, path
    for path in ("ideas", "rounds", "money", "projects", "digest"):
        assert page.goto(f"/dashboard/riverside/{path}").status == 200
    # The preview, in its shadow root, in the email's own font, not the dashboard's
    heading = page.locator(".digest-preview h2")
    assert heading.inner_text() == "Riverside Big Local"
    assert "Arial" in heading.evaluate("h => getComputedStyle(h).fontFamily")


def test_the_digest_preview_is_whole_and_shows_its_charts(app, clock, cp, page, member):
    """Issue 24: the preview was clipped in a 38rem frame (606 of 1,177 px) and showed the
    charts as italic placeholders."""
    make_organiser(app, clock)
    for title in ("Benches", "Mural", "Orchard"):
        assert (
            cp(
                "budget", "allocate", "--community", "riverside", "--amount", "£2k", "--title", title
            ).exit_code
            == 0
        )
    page.goto("/dashboard/login")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/dashboard/riverside/digest")
    preview = page.locator(".digest-preview")
    box = preview.bounding_box()
    last = page.locator(".digest-preview h3", has_text="Next").bounding_box()
    assert box and last and box["height"] > 606
    assert box["y"] < last["y"] and last["y"] + last["height"] <= box["y"] + box["height"]
    assert preview.evaluate("e => e.scrollHeight <= e.clientHeight + 1")  # nothing hidden inside
    chart = page.locator(".digest-preview img")
    assert chart.get_attribute("alt").startswith("Money committed and spent over time")
    assert chart.evaluate("img => img.complete && img.naturalWidth") == 480  # drawn, not blocked
    screenshot(page, "dashboard-digest")
