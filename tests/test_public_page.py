"""The public page, /c/<slug>: the money, funded projects, news, results and the open round with
how to vote; no sign-in, nobody named, and gone when the community switches it off."""

import re

import pytest
from sqlalchemy import select

from models import Community
from tests.conftest import park_round


@pytest.fixture
def story(db, clock, cp, member, new_chat):
    """Round 1, "Park", closed with both its ideas funded; a spend and news; round 2, "Library", open
    with a hostile idea among its options."""
    park_round(cp, "riverside", member.say)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    member.say("1 2")
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0
    assert (
        cp(
            "budget",
            "spend",
            "--community",
            "riverside",
            "--amount",
            "£400",
            "--description",
            "Two benches",
            "--allocation",
            "1",
        ).exit_code
        == 0
    )
    assert (
        cp(
            "budget", "update", "--community", "riverside", "--text", "Benches ordered for the green."
        ).exit_code
        == 0
    )
    other = new_chat()
    other.say("hi")
    other.say("YES")
    for idea in ("IDEA a park <script>alert(1)</script>", "IDEA more bins"):
        other.say(idea)
        other.say("£500")
    for number in ("3", "4"):
        assert cp("ideas", "shortlist", "--community", "riverside", number).exit_code == 0
    assert (
        cp(
            "round",
            "create",
            "--community",
            "riverside",
            "--title",
            "Library",
            "--method",
            "approval",
            "--ideas",
            "3,4",
            "--opens",
            "2026-12-01 09:00",
            "--closes",
            "2026-12-03 18:00",
        ).exit_code
        == 0
    )
    clock.current = clock.current.replace(month=12, day=1, hour=9)
    assert cp("round", "open", "--community", "riverside", "2").exit_code == 0


def _text(page: str) -> str:
    """The page as read: tags dropped, spaces squeezed."""
    return re.sub(r" ([.,;])", r"\1", " ".join(re.sub(r"<[^>]+>", " ", page).split()))


def test_the_page_shows_the_money_projects_news_results_and_the_open_round(client, story):
    response = client.get("/c/riverside")  # nobody signed in
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = _text(page)
    assert "Total budget £1,150,000" in text
    assert "Committed to projects £2,000" in text
    assert "Spent £400" in text
    assert "Still to decide £1,148,000" in text
    assert (
        'class="bar" role="img" aria-label="Of £1,150,000: £400 spent, £1,600 committed but not '
        'yet spent, £1,148,000 still to decide"'
    ) in page
    assert "benches £1,000 £400" in text  # funded: amount and spent so far
    assert "Benches ordered for the green." in text
    assert "Park Closed 10am Thu 26 Nov; 1 ballot. benches: £1,000 a mural: £1,000" in text
    assert "Funded in all: £2,000." in text
    assert "Vote now: Library" in text and "Voting closes 6pm Thu 3 Dec." in text
    assert "2 more bins £500" in text
    assert "Reply with the numbers of all you support, e.g. 1 3." in text


def test_how_to_vote_by_sms_uses_the_community_number_and_telegram_shows_when_configured(app, client, story):
    page = client.get("/c/riverside").get_data(as_text=True)
    text = _text(page)
    assert "send the numbers you choose to 01632 960001, for example 1 2." in text
    assert 'href="sms:01632960001"' in page
    assert "t.me" not in page  # no bot username configured: no Telegram line
    app.config["TELEGRAM_BOT_USERNAME"] = "@RiversideBot"
    page = client.get("/c/riverside").get_data(as_text=True)
    assert '<a href="https://t.me/RiversideBot?start=RIVERSIDE">' in page
    assert "send RIVERSIDE to @RiversideBot" in _text(page)


def test_a_resident_s_words_are_shown_as_text_never_as_markup(client, story):
    page = client.get("/c/riverside").get_data(as_text=True)
    assert "1 a park &lt;script&gt;alert(1)&lt;/script&gt; £500" in _text(page)
    assert "<script" not in page


def test_nobody_is_named_or_numbered(client, story):
    response = client.get("/c/riverside")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Vote now: Library" in page
    assert "+44" not in page
    assert "07700" not in page and "7700900" not in page  # the residents' numbers, in any form


def test_an_unknown_community_is_404(client, community):
    assert client.get("/c/riverside").status_code == 200
    assert client.get("/c/nowhere").status_code == 404
    assert client.get("/c/Riverside").status_code == 404


def test_a_community_that_switched_it_off_is_404(client, db, story):
    assert client.get("/c/riverside").status_code == 200
    with db.transaction() as session:
        session.scalar(select(Community).where(Community.slug == "riverside")).public_page = False
    assert client.get("/c/riverside").status_code == 404


def test_a_new_community_has_a_plain_page_and_a_stylesheet(client, make_community):
    make_community(sms_number=None)
    text = _text(client.get("/c/riverside").get_data(as_text=True))
    assert "No project has been funded yet." in text and "No vote has closed yet." in text
    assert "Vote now" not in text
    css = client.get("/c/static/public.css")
    assert css.status_code == 200 and b".bar" in css.data
    css.close()


def test_spending_recorded_beyond_the_budget_shows_as_such_not_as_a_negative(client, cp, member):
    """As residents' BUDGET never says a negative amount is left, nor does the public page: it
    says how much was committed beyond the budget."""
    assert (
        cp(
            "budget",
            "spend",
            "--community",
            "riverside",
            "--amount",
            "£1.2m",
            "--description",
            "Land",
            "--over-allocation",
        ).exit_code
        == 0
    )
    text = _text(client.get("/c/riverside").get_data(as_text=True))
    assert "Still to decide £0" in text and "Committed beyond the budget £50,000" in text
    assert "-£" not in text
    assert "Still to decide: £0" in member.reply("BUDGET")


def test_a_closed_allocation_shows_what_was_awarded_and_what_was_spent(client, cp, story):
    """Issue 24: closed under budget, it showed only what was spent (£1,950 where the result
    said £2,500)."""
    closed = cp("budget", "close", "--community", "riverside", "--allocation", "1")
    assert closed.exit_code == 0, closed.output
    text = _text(client.get("/c/riverside").get_data(as_text=True))
    assert "Project Awarded Spent so far Progress" in text
    assert "benches £1,000 £400 (closed: £600 went back to the budget)" in text
    assert "a mural £1,000 £0" in text  # open: awarded, nothing spent yet


def test_with_no_round_open_the_page_says_how_to_join(app, client, db, community):
    """Issue 24: with no vote open the page gave no number and no join code."""
    text = _text(client.get("/c/riverside").get_data(as_text=True))
    assert "Take part" in text and "No vote is open just now." in text
    assert "By text message: send HELLO to 01632 960001." in text
    assert "WhatsApp" not in text and "t.me" not in text  # neither set up
    assert "RIVERSIDE" not in text  # SMS finds the community by its number: no code to give
    with db.transaction() as session:
        session.scalar(select(Community)).whatsapp_number = "+441632960099"
    app.config["TELEGRAM_BOT_USERNAME"] = "RiversideBot"
    page = client.get("/c/riverside").get_data(as_text=True)
    text = _text(page)
    assert "On WhatsApp: send HELLO to 01632 960099." in text
    assert 'href="https://wa.me/441632960099"' in page
    assert "send the join code RIVERSIDE to @RiversideBot" in text
    assert 'href="https://t.me/RiversideBot?start=RIVERSIDE"' in page


def test_with_a_round_open_the_join_section_gives_way_to_how_to_vote(client, db, story):
    text = _text(client.get("/c/riverside").get_data(as_text=True))
    assert "Vote now: Library" in text and "Take part" not in text
    assert "WhatsApp" not in text
    with db.transaction() as session:
        session.scalar(select(Community)).whatsapp_number = "+441632960099"
    text = _text(client.get("/c/riverside").get_data(as_text=True))
    assert "On WhatsApp: send the numbers you choose to 01632 960099." in text
