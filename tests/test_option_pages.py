"""A round with more options than one message holds: OPTIONS shows them a page at a time, each
page within the message's SMS budget, so no option is cut off; on Telegram each page has its own
buttons and one to the next page, well under the Bot API's 100 buttons a keyboard."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.domain import moderation, rounds
from bot.domain.ideas import submit_idea
from bot.text.catalogue import entry_for, render
from channels.segments import count_segments
from models import Ballot, Community
from tests.round_helpers import member_of


def open_round(db, clock, count: int, method: str = "approval", order: str = "numbered") -> None:
    """Round 1, "Park", of `count` shortlisted ideas (£1,000 each), open now (a budget round
    has £2,000 to spend), its options listed in `order` (number order unless a test asks)."""
    now = clock()
    with db.transaction() as session:
        community = session.scalars(select(Community)).one()
        author = member_of(session, community, "+447700900999", now)  # not whoever is tested
        for n in range(1, count + 1):
            idea = submit_idea(
                session,
                community,
                author,
                f"idea number {n} for the park and the green",
                now,
                cost_pence=100_000,
            )
            moderation.shortlist(session, community, idea.number, None, now)
        round_ = rounds.create_round(
            session,
            community,
            title="Park",
            method=method,
            budget_pence=200_000 if method == "budget" else None,
            idea_numbers=list(range(1, count + 1)),
            opens_at=now,
            closes_at=now + timedelta(days=3),
            order=order,
            now=now,
        )
        rounds.open_round(session, round_, now)


def numbers_in(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"^(\d+) idea number", page, re.M)]


def test_every_option_of_a_big_round_is_shown_a_page_at_a_time(member, db, clock):
    open_round(db, clock, 50)
    member.inbox()
    first = member.reply("OPTIONS")
    assert first.startswith("Park (1/3)\n") and first.endswith("More options: send OPTIONS 2.")
    pages = [first, member.reply("OPTIONS 2"), member.reply("options 3")]
    assert pages[1].startswith("Park (2/3)\n") and pages[1].endswith("send OPTIONS 3.")
    assert pages[2].startswith("Park (3/3)\n") and "More options" not in pages[2]
    assert [n for page in pages for n in numbers_in(page)] == list(range(1, 51))  # none cut off
    budget = entry_for("options_page").segments
    assert all(count_segments(page).segments <= budget for page in pages)
    assert member.reply("OPTIONS 9") == pages[2]  # past the end: the last page
    assert "your vote is in: 45 idea number 45" in member.reply("45 50")
    with db.transaction() as session:
        assert session.scalars(select(Ballot.choices)).one() == [45, 50]


def test_a_round_that_fits_one_message_is_not_paged(member, db, clock):
    open_round(db, clock, 5)
    member.inbox()
    options = member.reply("OPTIONS")
    assert options.startswith("Park\n") and numbers_in(options) == [1, 2, 3, 4, 5]
    assert member.reply("OPTIONS 2") == options


def test_pages_in_polish_use_the_polish_keyword(make_community, db, clock, new_chat):
    make_community(languages=["en", "pl"])
    resident = new_chat()
    resident.say("hi")
    resident.say("YES")
    resident.say("JĘZYK PL")
    open_round(db, clock, 50)
    resident.inbox()
    first = resident.reply("OPCJE")
    assert first.startswith("Park (1/")
    assert "Więcej opcji: wyślij OPCJE 2." in first
    assert resident.reply("OPCJE 2").startswith("Park (2/")


def _buttons(tg_user):
    return [(b["text"], b["callback_data"]) for row in tg_user.keyboard()["inline_keyboard"] for b in row]


def test_telegram_pages_have_their_own_buttons_and_one_to_the_next(tg_user, community, db, clock):
    tg_user.send("/start RIVERSIDE")
    tg_user.press("YES")
    open_round(db, clock, 50)
    (ballot,) = tg_user.receive()
    assert ballot.startswith("Vote now! Park: 50 options.")
    first = _buttons(tg_user)
    assert first[-2:] == [
        (render("button_submit", "en"), "SUBMIT @1"),
        (render("button_more", "en"), "OPTIONS 2"),
    ]
    on_first = [int(data.split()[1]) for _, data in first if data.startswith("TOGGLE")]
    assert on_first[0] == 1 and len(on_first) < 50
    (second,) = tg_user.press("OPTIONS 2")
    assert second.startswith("Park (2/3)")
    on_second = [int(data.split()[1]) for _, data in _buttons(tg_user) if data.startswith("TOGGLE")]
    assert on_second[0] == on_first[-1] + 1
    # Tapping an option of page 2 keeps page 2's buttons, the tapped one ticked.
    (selected,) = tg_user.press(f"TOGGLE {on_second[1]}")
    assert f"Selected: {on_second[1]} idea number" in selected
    ticked = [text for text, data in _buttons(tg_user) if text.startswith("✅")]
    assert ticked == [text for text, data in _buttons(tg_user) if data == f"TOGGLE {on_second[1]} @1"]
    assert [int(d.split()[1]) for _, d in _buttons(tg_user) if d.startswith("TOGGLE")] == on_second
    assert "your vote is in" in tg_user.press("SUBMIT")[0]
    with db.transaction() as session:
        assert session.scalars(select(Ballot.choices)).one() == [on_second[1]]


@pytest.mark.parametrize("method", ["approval", "choose-one"])
def test_a_round_of_150_options_reaches_telegram(tg_user, community, db, clock, method):
    """The fake Bot API refuses a keyboard of over 100 buttons, as Telegram does."""
    tg_user.send("/start RIVERSIDE")
    tg_user.press("YES")
    open_round(db, clock, 150, method)
    (ballot,) = tg_user.receive()
    assert ballot.startswith("Vote now! Park: 150 options.")
    assert len(_buttons(tg_user)) <= 30
    assert not [c for c in tg_user.fake.calls if not c.ok]


def test_a_selection_built_on_telegram_goes_on_across_pages(tg_user, community, db, clock):
    """TOGGLE 1, More options, TOGGLE 30, SUBMIT: both are in the ballot (the page button used
    to drop what was selected before it), and each page ticks what is selected on it."""
    tg_user.send("/start RIVERSIDE")
    tg_user.press("YES")
    open_round(db, clock, 50)
    tg_user.receive()
    tg_user.press("TOGGLE 1")
    tg_user.press("OPTIONS 2")
    page_two = [int(d.split()[1]) for _, d in _buttons(tg_user) if d.startswith("TOGGLE")]
    tg_user.press(f"TOGGLE {page_two[0]}")
    (third,) = tg_user.press("OPTIONS 3")
    assert third.startswith("Park (3/3)")
    assert _buttons(tg_user)[-1] == (render("button_more", "en"), "OPTIONS 1")  # round again
    tg_user.press("OPTIONS 1")
    assert [t for t, _ in _buttons(tg_user) if t.startswith("✅")] == [
        t for t, d in _buttons(tg_user) if d == "TOGGLE 1 @1"
    ]
    assert "your vote is in: 1 idea number 1" in tg_user.press("SUBMIT")[0]
    with db.transaction() as session:
        assert session.scalars(select(Ballot.choices)).one() == [1, page_two[0]]


def test_a_digit_python_knows_but_int_does_not_is_answered_not_a_crash(member, db, clock):
    """ "²" and "①" are digits to str.isdigit() and not to int(): the turn failed."""
    open_round(db, clock, 50)
    member.inbox()
    first_page = member.reply("OPTIONS")
    assert member.reply("VOTE ²") == first_page
    for text in ("OPTIONS ²", "OPTIONS ①"):
        assert "send OPTIONS to see the options" in member.reply(text)


def test_a_long_vote_and_many_winners_say_how_many_more_not_cut_mid_title(member, db, clock, cp):
    open_round(db, clock, 50)
    member.inbox()
    vote = " ".join(str(n) for n in range(1, 46))
    (recorded,) = member.say(vote)
    shown = re.findall(r"(\d+) idea number \d+ for the pa", recorded)
    more = re.search(r" and (\d+) more\. Your receipt is", recorded)
    assert more and len(shown) + int(more[1]) == 45, recorded
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0
    result = next(text for text in member.inbox() if "results" in text)
    winners = re.findall(r"(\d+) idea number \d+ for the pa", result)
    more = re.search(r" and (\d+) more, £45,000 in all", result)
    assert more and len(winners) + int(more[1]) == 45, result


def test_pages_tick_the_ballot_already_cast(tg_user, community, db, clock):
    tg_user.send("/start RIVERSIDE")
    tg_user.press("YES")
    open_round(db, clock, 50)
    tg_user.receive()
    for number in (1, 30):
        tg_user.press(f"TOGGLE {number} @1")
    assert "your vote is in" in tg_user.press("SUBMIT @1")[0]
    (page,) = tg_user.press("OPTIONS 2")
    ticked = [d for t, d in _buttons(tg_user) if t.startswith("✅")]
    assert ticked == ["TOGGLE 30 @1"]  # the ballot cast, shown on the page that holds 30


def test_an_over_budget_selection_keeps_its_buttons(tg_user, community, db, clock):
    tg_user.send("/start RIVERSIDE")
    tg_user.press("YES")
    open_round(db, clock, 50, "budget")
    tg_user.receive()
    for number in (1, 2, 3):
        tg_user.press(f"TOGGLE {number} @1")
    (over,) = tg_user.press("SUBMIT @1")
    assert "more than the £2,000 to spend" in over
    assert [d for t, d in _buttons(tg_user) if t.startswith("✅")] == [
        "TOGGLE 1 @1",
        "TOGGLE 2 @1",
        "TOGGLE 3 @1",
    ]
    tg_user.press("TOGGLE 3 @1")
    assert "your vote is in: 1 idea number 1" in tg_user.press("SUBMIT @1")[0]
    with db.transaction() as session:
        assert session.scalars(select(Ballot.choices)).one() == [1, 2]
