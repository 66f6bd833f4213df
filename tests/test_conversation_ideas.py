"""Giving ideas with a rough cost, and MY IDEAS."""

import pytest
from sqlalchemy import select

from models import Idea


def _ideas(db):
    with db.transaction() as session:
        return session.scalars(select(Idea).order_by(Idea.number)).all()


def test_idea_in_one_message_then_cost(member, db):
    assert "how much" in member.reply("IDEA more benches on the green")
    reply = member.reply("£2k")
    assert "#1" in reply and "£2,000" in reply
    (idea,) = _ideas(db)
    assert (idea.text, idea.cost_pence, idea.status) == ("more benches on the green", 200_000, "submitted")


@pytest.mark.parametrize(
    "typed, pence",
    [
        ("500", 50_000),
        ("£2k", 200_000),
        ("2,500", 250_000),
        ("£1.5k", 150_000),
        ("about £300", 30_000),
        ("120.50", 12_050),
        ("3 thousand", 300_000),
        ("£22m", 2_200_000_000),
        ("£100m", 10_000_000_000),  # beyond a 32-bit column
    ],
)
def test_rough_costs_as_people_write_them(member, db, typed, pence):
    member.say("IDEA a mural")
    member.say(typed)
    assert _ideas(db)[0].cost_pence == pence


def test_idea_in_steps(member, db):
    assert "What's your idea" in member.reply("idea")
    assert "how much" in member.reply("A skate park by the river")
    assert "#1" in member.reply("skip")
    (idea,) = _ideas(db)
    assert idea.text == "A skate park by the river" and idea.cost_pence is None


def test_idea_with_punctuation_after_the_keyword(member, db):
    member.say("Idea: fix the lights on the canal path")
    assert _ideas(db)[0].text == "fix the lights on the canal path"


def test_unreadable_cost_asks_again_and_keeps_the_idea(member, db):
    member.say("IDEA a community fridge")
    assert "couldn't read" in member.reply("dunno, a lot?")
    assert "£400" in member.reply("400")
    assert _ideas(db)[0].cost_pence == 40_000


def test_a_command_instead_of_a_cost_is_answered_and_the_idea_kept(member, db):
    member.say("IDEA a community fridge")
    assert "budget" in member.reply("BUDGET").lower()
    assert _ideas(db)[0].cost_pence is None
    assert "no vote open" in member.reply("500")  # the cost step is over: a number is a vote
    assert _ideas(db)[0].cost_pence is None


def test_a_command_instead_of_idea_text_is_answered(member, db):
    member.say("IDEA")
    assert "haven't given any ideas" in member.reply("MY IDEAS")
    assert _ideas(db) == []


def test_ideas_are_numbered_per_community(member, db):
    member.say("IDEA one")
    member.say("skip")
    member.say("IDEA two")
    assert "#2" in member.reply("skip")


def test_too_long_an_idea_is_refused_with_the_limit(member, db):
    reply = member.reply("IDEA " + "x" * 600)
    assert "600 characters" in reply and "500" in reply
    assert _ideas(db) == []
    assert "how much" in member.reply("A shorter idea")


@pytest.mark.parametrize("length", [10_000, 2_500])
def test_an_idea_longer_than_we_read_is_told_its_real_length(member, db, length):
    """Issue 26 (11): a 10,005-character message got "that's 1995 characters" (what was left
    after the first 2,000 were read)."""
    reply = member.reply("IDEA " + "x" * length)
    assert f"that's {length} characters" in reply
    assert _ideas(db) == []


def test_my_ideas_lists_ideas_with_status(member, db):
    member.say("IDEA more benches on the green")
    member.say("500")
    member.say("IDEA a mural")
    member.say("skip")
    with db.transaction() as session:
        session.scalars(select(Idea).where(Idea.number == 1)).one().status = "shortlisted"
    reply = member.reply("my ideas")
    assert "#2 a mural: waiting for review" in reply
    assert "#1 more benches on the green: shortlisted" in reply


def test_my_ideas_with_none_yet(member):
    assert "haven't given any ideas" in member.reply("MY IDEAS")


def test_residents_giving_ideas_at_once_all_get_numbers_and_answers(db, clock, community):
    """Each turn takes the next number under a lock on the community: none fails or repeats."""
    import threading

    from bot.messaging.inbound import receive
    from channels import console
    from tests.conftest import Chat

    people = [Chat(db, clock, "riverside", f"+4477009002{n:02d}") for n in range(8)]
    for person in people:
        person.say("hi")
        person.say("YES")
    errors = []

    def give(person, n):
        try:
            for k in range(3):
                receive(db, console.inbound(person.phone, f"IDEA idea {n}-{k}", "riverside"), clock())
        except Exception as exc:  # a lost message
            errors.append(exc)

    threads = [threading.Thread(target=give, args=(p, n)) for n, p in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(idea.number for idea in _ideas(db)) == list(range(1, 25))


@pytest.mark.parametrize(
    "text",
    [
        "Stop cars parking on the pavement",
        "Help for older people to get online",
        "Cancel the bin lorry at 6am",
    ],
)
def test_an_idea_that_starts_with_a_keyword_is_kept_as_the_idea(member, db, text):
    member.say("IDEA")
    assert "how much" in member.reply(text)
    assert _ideas(db)[0].text == text
    assert "Still to decide" in member.reply("BUDGET")  # still a member: nothing was stopped


@pytest.mark.parametrize("unsure", ["not sure", "Don't know", "no idea!", "dunno"])
def test_not_knowing_the_cost_counts_as_skip(member, db, unsure):
    member.say("IDEA a mural")
    assert "#1" in member.reply(unsure)
    assert _ideas(db)[0].cost_pence is None


def test_a_vote_after_the_ballot_came_is_not_taken_as_the_cost_asked_before(member, db, cp, clock):
    """Asked the cost of an idea, a resident gets the ballot of a round that opens meanwhile and
    replies 2: that is their vote, not a cost of £2 (it was, and the vote was lost)."""
    from tests.conftest import park_round

    park_round(cp, "riverside", member.say)
    member.inbox()  # their two ideas are shortlisted
    assert "how much" in member.reply("IDEA a community fridge")
    clock.advance(minutes=5)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    assert any(text.startswith("Vote now! Park") for text in member.inbox())
    assert "your vote is in: 2 a mural" in member.reply("2")
    assert _ideas(db)[2].cost_pence is None  # the fridge, still without a cost
    with db.transaction() as session:
        from models import Ballot

        assert session.scalars(select(Ballot.choices)).one() == [2]


def test_while_a_round_is_open_a_cost_is_still_a_cost_but_numbers_apart_are_a_vote(member, db, cp, clock):
    from tests.conftest import park_round

    park_round(cp, "riverside", member.say)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    member.inbox()
    clock.advance(minutes=5)
    member.say("IDEA a community fridge")
    assert "£500" in member.reply("500")  # asked after the ballot came: an amount is the cost
    member.say("IDEA a bench")
    assert "your vote is in: 1 benches, 2 a mural" in member.reply("1 2")  # no amount: a vote
    assert [idea.cost_pence for idea in _ideas(db)[2:]] == [50_000, None]


@pytest.mark.parametrize("typed, pence", [("500", 50_000), ("1,500", 150_000)])
def test_a_cost_that_is_no_vote_in_the_round_stays_a_cost(member, db, cp, clock, typed, pence):
    """After the ballot of a two-option round came, 500 (or 1,500) is no vote there: the cost."""
    from tests.conftest import park_round

    park_round(cp, "riverside", member.say)
    member.inbox()
    member.say("IDEA a community fridge")
    clock.advance(minutes=5)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    member.inbox()
    assert "#3" in member.reply(typed)
    assert _ideas(db)[2].cost_pence == pence


def test_a_cost_too_large_to_take_is_said_so_and_asked_again(member, db):
    member.say("IDEA a new town hall")
    assert member.reply("£999,999,999,999").startswith("That's more than £100,000,000")
    assert "£2,000" in member.reply("£2k")
    assert _ideas(db)[0].cost_pence == 200_000


def test_a_vote_at_whats_your_idea_is_a_vote_not_an_idea(member, db, cp, clock):
    from tests.conftest import park_round

    park_round(cp, "riverside", member.say)
    member.inbox()
    assert "What's your idea" in member.reply("IDEA")
    clock.advance(minutes=5)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    member.inbox()
    assert "your vote is in: 2 a mural" in member.reply("2")
    assert len(_ideas(db)) == 2  # no idea "2"


def test_my_ideas_says_how_many_older_and_shows_them_on_asking(member, db):
    for n in range(1, 8):
        member.say(f"IDEA idea {n}")
        member.say("skip")
    first = member.reply("MY IDEAS")
    assert first.startswith("Your ideas:\n(2 older: send MY IDEAS 2)\n#7 idea 7")
    assert "#3 idea 3" in first and "#2" not in first
    second = member.reply("MY IDEAS 2")
    assert second.startswith("Your ideas:\n#2 idea 2") and "#1 idea 1" in second and "older" not in second
