"""Why an idea was not funded: told to its author at close, in RESULTS and MY IDEAS, in
`round show --json` and in the council's digest, from the rule's own figures."""

import html
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.domain.outcome import Option, compute
from bot.text.catalogue import render
from models import Round
from tests.conftest import Chat
from tests.dashboard_helpers import make_organiser, sign_in

# One idea each, in this order: ann's is #1, bob's #2, cat's #3.
GREEDY_IDEAS = [
    ("more benches on the green", "£2,500"),
    ("a mural under the bridge", "£4,000"),
    ("lights on the canal path", "£6,000"),
]
SHARES_IDEAS = [
    ("more benches on the green", "£600"),
    ("a mural under the bridge", "£600"),
    ("lights on the canal path", "£300"),
]


def _ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def _round(cp, db, clock, ideas, rule, budget, votes) -> list[Chat]:
    """Ann, Bob and Cat join and give one idea each; round 1 of the three opens with `rule` and
    `budget`; each votes as `votes` says; the round closes. Returns the three, inboxes read up
    to the close."""
    people = [Chat(db, clock, "riverside", f"+4477009002{n:02d}") for n in range(3)]
    for person, (text, cost) in zip(people, ideas, strict=True):
        person.say("hi")
        person.say("YES")
        person.say(f"IDEA {text}")
        person.say(cost)
    for number in ("1", "2", "3"):
        _ok(cp("ideas", "shortlist", "--community", "riverside", number))
    _ok(
        cp(
            "round",
            "create",
            "--community",
            "riverside",
            "--title",
            "Green spaces",
            "--method",
            "approval",
            "--rule",
            rule,
            "--budget",
            budget,
            "--ideas",
            "1,2,3",
            "--opens",
            "2026-11-26 12:00",
            "--closes",
            "2026-12-03 18:00",
        )
    )
    _ok(cp("round", "open", "--community", "riverside", "1"))
    for person, choice in zip(people, votes, strict=True):
        person.inbox()
        assert "your vote is in" in person.reply(choice)
    _ok(cp("round", "close", "--community", "riverside", "1"))
    return people


@pytest.fixture
def greedy_round(cp, db, clock, community):
    # Ann votes 1 2 3, Bob 1 3, Cat 3: option 3 has 3 votes, 1 has 2, 2 has 1.
    # Greedy, £7,000: 3 first (£6,000 of £7,000: £1,000 left); then 1 needs £2,500 and only
    # £1,000 is left; then 2 needs £4,000, £1,000 still left. Only 3 is funded.
    return _round(cp, db, clock, GREEDY_IDEAS, "greedy", "£7,000", ["1 2 3", "1 3", "3"])


@pytest.fixture
def shares_round(cp, db, clock, community):
    # Ann and Bob vote 1 2, Cat votes 3; £900 among 3 voters is £300 each to start, raised by
    # £1 a run (the step: £900 // (3 voters x 1000) is under £1) while the result fits.
    # With a share of s: 1 and 2 cost £300 a head for Ann and Bob, 3 costs £300 for Cat, all
    # alike; the tie goes to more votes, then the lower number: 1 is bought first (£300 each),
    # leaving Ann and Bob s - £300 each; 2 is dropped unless 2(s - 300) >= £600, i.e. s >= £600;
    # 3 is bought by Cat. At s = £600 all three are funded, £1,500 > £900: that run does not
    # fit, so the run kept is s = £599: 2's supporters had 2 x £299 = £598 and it needed £600.
    # After it, £900 of £900 is allocated: nothing else fits, so greedy has nothing to add.
    return _round(cp, db, clock, SHARES_IDEAS, "equal-shares", "£900", ["1 2", "1 2", "3"])


@pytest.fixture
def supporters_round(cp, db, clock, community):
    # £900 among Ann, Bob and Cat; Ann and Cat vote 2 3, Bob votes 1. Option 1 (£800) comes up
    # first, with the round's £900 all there: Bob's share (£549 in the run kept) is short of it.
    # 2 (£500) is bought; 3 (£600) then finds £400 of the round left.
    return _round(
        cp,
        db,
        clock,
        [("a skate ramp", "£800"), ("a book swap", "£500"), ("a community fridge", "£600")],
        "equal-shares",
        "£900",
        ["2 3", "1", "2 3"],
    )


def test_equal_shares_the_author_is_told_what_the_supporters_had(supporters_round, cp):
    ann, bob, cat = supporters_round
    assert (
        "Your idea #1, option 1, was not funded this time: its 1 supporter had £549 left when "
        "it came up, and it needed £800."
    ) in ann.inbox()
    assert (
        "Your idea #3, option 3, was not funded this time: it had 2 votes, and after the ideas "
        "chosen before it were funded, £400 was left and it needed £600."
    ) in cat.inbox()
    assert ann.reply("MY IDEAS") == (
        "Your ideas:\n#1 a skate ramp: not funded this time (1 supporter with £549 left, needed £800)"
    )
    digest = _ok(cp("digest", "preview", "--community", "riverside", "--week", "2026-W48"))
    assert (
        "    Not funded: a skate ramp: its 1 supporter had £549 left when it came up, and it "
        "needed £800\n    Not funded: a community fridge: 2 votes; £400 of the round's money "
        "was left when it came up, and it needed £600\n"
    ) in digest


def test_greedy_the_authors_are_told_why_with_the_rules_figures(greedy_round):
    ann, bob, cat = greedy_round
    assert (
        "Your idea #1, option 1, was not funded this time: it had 2 votes, and after the ideas "
        "with more votes were funded, £1,000 was left and it needed £2,500."
    ) in ann.inbox()
    assert (
        "Your idea #2, option 2, was not funded this time: it had 1 vote, and after the ideas "
        "with more votes were funded, £1,000 was left and it needed £4,000."
    ) in bob.inbox()
    news = cat.inbox()
    assert any("your idea #3, option 3 in the vote, won" in t for t in news)
    assert not any("not funded" in t for t in news)


def test_greedy_results_and_my_ideas_give_the_short_form(greedy_round):
    ann, bob, cat = greedy_round
    for person in greedy_round:
        person.inbox()
    result, why = ann.say("RESULTS")
    assert result.startswith("Green spaces results: funded 3 lights on the canal path")
    assert why == (
        "Your ideas:\n#1 more benches on the green: not funded this time "
        "(2 votes, £1,000 left, needed £2,500)"
    )
    assert bob.reply("MY IDEAS") == (
        "Your ideas:\n#2 a mural under the bridge: not funded this time (1 vote, £1,000 left, needed £4,000)"
    )
    # Cat's idea won: RESULTS is the result alone, MY IDEAS the status alone.
    assert cat.reply("RESULTS") == result
    assert cat.reply("MY IDEAS") == "Your ideas:\n#3 lights on the canal path: funded"


def test_greedy_round_show_json_has_each_options_reason(greedy_round, cp):
    shown = json.loads(_ok(cp("round", "show", "--community", "riverside", "1", "--json")))
    reasons = {o["number"]: o["explanation"] for o in shown["options"]}
    assert reasons == {
        1: {
            "funded": False,
            "votes": 2,
            "by": "greedy",
            "left_pence": 100_000,
            "left": "£1,000",
            "cost_pence": 250_000,
            "cost": "£2,500",
        },
        2: {
            "funded": False,
            "votes": 1,
            "by": "greedy",
            "left_pence": 100_000,
            "left": "£1,000",
            "cost_pence": 400_000,
            "cost": "£4,000",
        },
        3: {
            "funded": True,
            "votes": 3,
            "by": "greedy",
            "left_pence": 700_000,
            "left": "£7,000",
            "cost_pence": 600_000,
            "cost": "£6,000",
        },
    }
    assert shown["outcome"]["explanations"]["1"]["left_pence"] == 100_000


def test_equal_shares_the_author_is_told_the_round_had_too_little_left(shares_round):
    # Add1 raised the shares to £599 a voter (£1,797 between three, for a £900 round): Ann and
    # Bob still had £598 when 2 came up, but the round itself had only £300 after 1 (£600).
    ann, bob, cat = shares_round
    assert (
        "Your idea #2, option 2, was not funded this time: it had 2 votes, and after the "
        "ideas chosen before it were funded, £300 was left and it needed £600."
    ) in bob.inbox()
    assert not any("not funded" in t for t in ann.inbox() + cat.inbox())


def test_equal_shares_results_my_ideas_json_and_digest(shares_round, cp):
    ann, bob, cat = shares_round
    bob.inbox()
    result, why = bob.say("RESULTS")
    assert "funded 1 more benches on the green, 3 lights on the canal path, £900 in all" in result
    assert why == (
        "Your ideas:\n#2 a mural under the bridge: not funded this time (2 votes, £300 left, needed £600)"
    )
    assert bob.reply("MY IDEAS") == why
    shown = json.loads(_ok(cp("round", "show", "--community", "riverside", "1", "--json")))
    reasons = {
        o["number"]: (
            o["explanation"]["funded"],
            o["explanation"]["by"],
            o["explanation"]["left"],
            o["explanation"]["cost"],
        )
        for o in shown["options"]
    }
    # 1: Ann and Bob had £599 each when it was bought; 3: Cat had her £599.
    assert reasons == {
        1: (True, "shares", "£1,198", "£600"),
        2: (False, "shares", "£598", "£600"),
        3: (True, "shares", "£599", "£300"),
    }
    # The round's own money when each came up: £900, then £300 after 1 was bought.
    assert {
        o["number"]: (o["explanation"]["round_left"], o["explanation"]["round_was_short"])
        for o in shown["options"]
    } == {1: ("£900", False), 2: ("£300", True), 3: ("£300", False)}
    digest = _ok(cp("digest", "preview", "--community", "riverside", "--week", "2026-W48"))
    assert (
        "  Green spaces: closed, 3 ballots, equal-shares; funded more benches on the green, "
        "lights on the canal path (£900)\n    Not funded: a mural under the bridge: 2 votes; "
        "£300 of the round's money was left when it came up, and it needed £600\n"
    ) in digest


def test_the_round_page_gives_each_reason_in_its_result_column(greedy_round, app, clock, client):
    """The closed round's table said only "Not funded"; the reasons were in the digest, the
    JSON and residents' messages but not where the organiser looks at the result."""
    make_organiser(app, clock)
    sign_in(client)
    page = html.unescape(client.get("/dashboard/riverside/rounds/1").get_data(as_text=True))
    row = {n: page[page.index(f'id="option-{n}"') :].split("</tr>")[0] for n in (1, 2, 3)}
    assert "Not funded: 2 votes; £1,000 was left when it came up, and it needed £2,500" in row[1]
    assert "Not funded: 1 vote; £1,000 was left when it came up, and it needed £4,000" in row[2]
    assert "Funded" in row[3] and "Not funded" not in row[3]


def test_greedy_digest_lists_each_option_not_funded(greedy_round, cp):
    digest = _ok(cp("digest", "preview", "--community", "riverside", "--week", "2026-W48"))
    assert (
        "    Not funded: more benches on the green: 2 votes; £1,000 was left when it came up, "
        "and it needed £2,500\n    Not funded: a mural under the bridge: 1 vote; £1,000 was "
        "left when it came up, and it needed £4,000\n"
    ) in digest


def test_the_emailed_digest_gives_the_reason_in_text_and_html(shares_round, cp, clock, smtp):
    _ok(cp("community", "digest", "--community", "riverside", "--to", "council@example.gov.uk"))
    clock.current = datetime(2026, 11, 30, 9, tzinfo=UTC)  # week 2026-W48 has ended
    assert "Digest 2026-W48 sent." in _ok(cp("digest", "send", "--community", "riverside"))
    ((_, message),) = smtp.messages
    why = (
        "a mural under the bridge: 2 votes; £300 of the round's money was left when it came "
        "up, and it needed £600"
    )
    assert f"    Not funded: {why}\r\n" in message.get_body(("plain",)).get_content()  # lines end CRLF
    assert (
        f"<ul><li>Not funded: {html.escape(why)}</li></ul></li>" in message.get_body(("html",)).get_content()
    )


def test_a_round_counted_before_reasons_were_kept_falls_back_and_a_recount_adds_them(greedy_round, cp, db):
    ann = greedy_round[0]
    ann.inbox()
    with db.transaction() as session:  # as a round closed before this change was stored
        round_ = session.scalars(select(Round)).one()
        round_.outcome = {k: v for k, v in round_.outcome.items() if k != "explanations"}
    assert ann.reply("MY IDEAS") == "Your ideas:\n#1 more benches on the green: not funded this time"
    assert len(ann.say("RESULTS")) == 1
    shown = json.loads(_ok(cp("round", "show", "--community", "riverside", "1", "--json")))
    assert [o["explanation"] for o in shown["options"]] == [None, None, None]
    assert "the same winners as published" in _ok(cp("round", "recount", "--community", "riverside", "1"))
    assert ann.reply("MY IDEAS") == (
        "Your ideas:\n#1 more benches on the green: not funded this "
        "time (2 votes, £1,000 left, needed £2,500)"
    )


def test_the_apis_recount_writes_nothing_on_get_and_keeps_reasons_on_post(greedy_round, api, db):
    def reasons():
        with db.transaction() as session:
            return session.scalars(select(Round)).one().outcome.get("explanations")

    with db.transaction() as session:  # as a round closed before reasons were stored
        round_ = session.scalars(select(Round)).one()
        round_.outcome = {k: v for k, v in round_.outcome.items() if k != "explanations"}
    status, body = api("get", "/communities/riverside/rounds/1/recount")
    assert (status, body["matches_published"]) == (200, True)
    assert reasons() is None  # a GET only reads
    status, body = api("post", "/communities/riverside/rounds/1/recount")
    assert (status, body["matches_published"]) == (200, True)
    assert reasons()["1"]["left_pence"] == 100_000


def test_a_round_nobody_voted_in_tells_authors_nobody_voted(cp, db, clock, community):
    people = [Chat(db, clock, "riverside", f"+4477009003{n:02d}") for n in range(2)]
    for person, idea in zip(people, ("IDEA benches", "IDEA a mural"), strict=True):
        person.say("hi")
        person.say("YES")
        person.say(idea)
        person.say("£1k")
    for number in ("1", "2"):
        _ok(cp("ideas", "shortlist", "--community", "riverside", number))
    _ok(
        cp(
            "round",
            "create",
            "--community",
            "riverside",
            "--title",
            "Park",
            "--method",
            "approval",
            "--ideas",
            "1,2",
            "--opens",
            "2026-11-26 12:00",
            "--closes",
            "2026-12-03 18:00",
        )
    )
    _ok(cp("round", "open", "--community", "riverside", "1"))
    people[0].inbox()
    _ok(cp("round", "close", "--community", "riverside", "1"))
    # No ballots: no rule ran; the reason is that nobody voted for it.
    assert render("idea_not_funded_no_votes", "en", number=1, option=1) in people[0].inbox()
    assert people[0].reply("MY IDEAS") == "Your ideas:\n#1 benches: not funded this time (no votes)"
    # The digest said "0 votes; £0 was left when it came up, and it needed £0".
    digest = _ok(cp("digest", "preview", "--community", "riverside", "--week", "2026-W48"))
    assert "    Not funded: benches: no votes\n    Not funded: a mural: no votes\n" in digest


def test_equal_shares_reasons_come_from_the_run_kept_not_the_one_that_overspent():
    options = [Option(1, 600_00), Option(2, 600_00), Option(3, 300_00), Option(4, 100_00)]
    ballots = [[1]] * 5 + [[2]] * 5 + [[3]]
    # £1,000 among 11 voters: £90.909... each, raised £1 a run. 1 and 2 each need £600 from
    # their five, £120 a head. At £120.909 both are bought, £1,200 > £1,000: that run overspends,
    # so the run before it is kept, at £119.909: there 5 x £119.909 = £599.54 (down to the
    # penny) is short of £600 for 1 and for 2, and Cat's £119.909 of £300 for 3. Nobody voted
    # for 4: its supporters had nothing. Nothing is funded, so the round had its £1,000 for each.
    outcome = compute(options, ballots, 1000_00, "equal-shares")
    assert outcome["winners"] == []
    every = {"funded": False, "by": "shares", "round_left_pence": 1000_00}
    assert outcome["explanations"] == {
        "1": {"votes": 5, "left_pence": 599_54, "cost_pence": 600_00, **every},
        "2": {"votes": 5, "left_pence": 599_54, "cost_pence": 600_00, **every},
        "3": {"votes": 1, "left_pence": 119_90, "cost_pence": 300_00, **every},
        "4": {"votes": 0, "left_pence": 0, "cost_pence": 100_00, **every},
    }


def test_money_short_of_a_cost_never_reads_as_enough():
    # Costs count in whole pounds, rounded up: £500.01 is £501 to the rule, and reads so.
    outcome = compute([Option(1, 500_01), Option(2, 500_00)], [[1, 2]], 1000_00, "greedy")
    assert outcome["explanations"]["1"] == {
        "votes": 1,
        "funded": False,
        "by": "greedy",
        "left_pence": 500_00,
        "cost_pence": 501_00,
    }


def test_an_idea_nobody_voted_for_is_told_so_and_greedy_never_funds_it(cp, member):
    for idea in ("IDEA benches", "IDEA a mural"):
        member.say(idea)
        member.say("£1k")
    for number in ("1", "2"):
        assert cp("ideas", "shortlist", "--community", "riverside", number).exit_code == 0
    assert (
        cp(
            "round",
            "create",
            "--community",
            "riverside",
            "--title",
            "Park",
            "--method",
            "approval",
            "--rule",
            "greedy",
            "--ideas",
            "1,2",
            "--budget",
            "£2,000",
            "--opens",
            "2026-11-26 09:00",
            "--closes",
            "2026-11-30 18:00",
        ).exit_code
        == 0
    )
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    member.inbox()
    member.say("1")
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0
    news = member.inbox()
    assert render("idea_not_funded_no_votes", "en", number=2, option=2) in news
    shown = cp("round", "show", "--community", "riverside", "1").output
    assert "2. a mural (£1,000): 0 votes\n" in shown + "\n"  # not WON, though £1,000 was left
