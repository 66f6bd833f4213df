"""STOP, START, HELP, BUDGET and the fallback: every message gets a helpful answer."""

import pytest
from sqlalchemy import select

from bot.domain import ledger
from channels.segments import count_segments
from models import Community, Resident

OPT_OUT_WORDS = ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT", "revoke", "OPTOUT"]


@pytest.mark.parametrize("word", OPT_OUT_WORDS)
def test_every_opt_out_word_stops_messages(member, db, word):
    assert "won't get any more messages" in member.reply(f" {word}. ")
    with db.transaction() as session:
        assert session.scalars(select(Resident)).one().opted_out


def test_after_stop_nothing_but_the_confirmation(member):
    member.say("STOP")
    for text in ("HELP", "BUDGET", "IDEA benches", "hello?"):
        assert member.say(text) == []


@pytest.mark.parametrize("word", ["START", "unstop", "Yes"])
def test_start_rejoins_after_stop(member, db, word):
    member.say("STOP")
    assert "Welcome back" in member.reply(word)
    assert "BUDGET" in member.reply("help")
    with db.transaction() as session:
        assert not session.scalars(select(Resident)).one().opted_out


def test_stop_before_joining_is_respected(chat):
    chat.say("hello")
    assert "won't get any more" in chat.reply("STOP")
    assert chat.say("hello?") == []
    assert "you're in" in chat.reply("YES").lower()


def test_help_shows_the_menu(member):
    reply = member.reply("help")
    for word in ("IDEA", "BUDGET", "MY IDEAS", "STOP", "DELETE"):
        assert word in reply


def test_budget_from_the_ledger(member, db, clock):
    with db.transaction() as session:
        community = session.scalars(select(Community)).one()
        garden = ledger.allocate(session, community, title="Garden", amount_pence=20_000_00, now=clock())
        ledger.spend(
            session,
            community,
            description="Tools",
            amount_pence=3_250_00,
            spent_on=clock().date(),
            allocation_id=garden.id,
            now=clock(),
        )
        ledger.spend(
            session,
            community,
            description="Hall hire",
            amount_pence=500_00,
            spent_on=clock().date(),
            now=clock(),
        )
    reply = member.reply("BUDGET")
    assert "£1,150,000" in reply
    assert "Committed to projects: £20,500" in reply
    assert "Spent so far: £3,750" in reply
    assert "Still to decide: £1,129,500" in reply


def test_budget_shows_the_latest_update(member, db, clock):
    with db.transaction() as session:
        community = session.scalars(select(Community)).one()
        ledger.post_update(session, community, "Old news", clock())
        clock.advance(days=1)
        ledger.post_update(session, community, "The garden opened on Saturday!", clock())
    reply = member.reply("budget")
    assert "Latest news (27 Nov 2026): The garden opened on Saturday!" in reply
    assert "Old news" not in reply


def test_a_long_budget_update_is_shortened_to_the_sms_budget(member, db, clock):
    with db.transaction() as session:
        community = session.scalars(select(Community)).one()
        ledger.post_update(session, community, "Great news 🎉 " * 40, clock())
    reply = member.reply("BUDGET")
    assert reply.endswith("...")
    assert count_segments(reply).segments <= 3


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "helo",
        "BUDGT",
        "x" * 1600,
        "Bore da, sut mae?",
        "¿Qué es esto?",
        "!!!",
        "\n\n",
    ],
)
def test_anything_else_gets_a_short_helpful_answer(member, text):
    reply = member.reply(text)
    if text.strip():  # passed on to the organisers' inbox (tests/test_inbox.py)
        assert "we've passed this to the organisers" in reply and "HELP" in reply
    else:
        assert "didn't understand" in reply and "HELP" in reply
    assert count_segments(reply).segments == 1


def test_keywords_tolerate_case_spaces_and_punctuation(member):
    assert "budget" in member.reply("  bUdGeT?! ").lower()
    assert "haven't given" in member.reply("My Ideas.")


def test_a_lone_stop_is_honoured_everywhere_even_inside_a_prompt(member, db):
    member.say("IDEA")
    assert "won't get any more messages" in member.reply("STOP")


@pytest.mark.parametrize("method", ["approval", "choose-one"])
def test_while_a_round_is_open_the_fallback_points_to_how_to_vote(member, cp, method):
    """Not "e.g. 1 3", which a choose-one round refuses: OPTIONS says how this round is voted."""
    from tests.conftest import park_round

    park_round(cp, "riverside", member.say, method)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    member.inbox()
    reply = member.reply("what now?")
    assert "Voting is open on Park" in reply and "send OPTIONS to see the options and how to vote" in reply
    assert "e.g." not in reply and count_segments(reply).segments == 1
    how = {
        "approval": "Reply with the numbers of all you support",
        "choose-one": "Reply with the number of your choice",
    }
    assert how[method] in member.reply("OPTIONS")


@pytest.mark.parametrize(
    "text", ["thanks", "Thank you!", "ok", "OK thanks", "cheers", "👍", "🙂👍🏽", "🙏 ", "ta"]
)
def test_a_thank_you_or_a_nod_costs_nothing(member, text):
    assert member.say(text) == []


def test_an_idea_with_its_cost_written_in_is_saved_with_that_estimate(member, db):
    reply = member.reply("IDEA a mural about £15,000")
    assert "#1" in reply and "£15,000" in reply  # confirmed, not asked again
    with db.transaction() as session:
        from models import Idea

        idea = session.scalars(select(Idea)).one()
    assert (idea.text, idea.cost_pence) == ("a mural", 1_500_000)
