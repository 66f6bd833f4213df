"""Poll rounds end to end: moderation, a round by the CLI, residents voting, results and money."""

import json
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.domain import rounds
from models import Allocation, Ballot, Idea, OutboxMessage, Round
from tests.conftest import Chat

IDEAS = [
    ("more benches on the green", "£2,500"),
    ("a mural under the bridge", "£4,000"),
    ("lights on the canal path", "£6,000"),
]


@pytest.fixture
def residents(db, clock, community):
    """Three members; the first gave three ideas with costs."""
    people = [Chat(db, clock, "riverside", f"+4477009001{n:02d}") for n in range(3)]
    for person in people:
        person.say("hi")
        person.say("YES")
    for text, cost in IDEAS:
        people[0].say(f"IDEA {text}")
        people[0].say(cost)
    return people


def _ok(result):
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def shortlisted(cp, residents):
    for number in (1, 2, 3):
        _ok(cp("ideas", "shortlist", "--community", "riverside", str(number)))
    assert len(residents[0].inbox()) == 3  # the author heard about each
    return residents


def _create(cp, method="approval", rule="greedy", *extra):
    """Round 1 of ideas 1-3, listed in number order (the tests read the listing)."""
    return cp(
        "round",
        "create",
        "--community",
        "riverside",
        "--title",
        "Green spaces",
        "--method",
        method,
        "--rule",
        rule,
        "--ideas",
        "1,2,3",
        "--opens",
        "2026-11-26 12:00",
        "--closes",
        "2026-12-03 18:00",
        "--order",
        "numbered",
        *extra,
    )


def _open(cp, people) -> list[list[str]]:
    """Open round 1; returns what each person was sent."""
    _ok(cp("round", "open", "--community", "riverside", "1"))
    return [person.inbox() for person in people]


def test_moderation_tells_authors(cp, residents, db):
    author = residents[0]
    assert "shortlisted at £3,000" in _ok(
        cp("ideas", "shortlist", "--community", "riverside", "1", "--cost", "£3k")
    )
    assert "#1 is shortlisted for a vote, at a cost of £3,000" in author.say("MY IDEAS")[0]
    _ok(cp("ideas", "reject", "--community", "riverside", "2", "--reason", "The bridge is not ours."))
    _ok(cp("ideas", "merge", "--community", "riverside", "3", "--into", "1"))
    texts = author.say("MY IDEAS")
    assert "#2 was not taken forward: The bridge is not ours." in texts[0]
    assert "#3 was joined with a similar idea, #1" in texts[1]
    assert "#3 lights on the canal path: merged with a similar idea" in texts[2]
    rows = json.loads(_ok(cp("ideas", "list", "--community", "riverside", "--json")))
    assert [(r["number"], r["status"]) for r in rows] == [(3, "merged"), (2, "rejected"), (1, "shortlisted")]


@pytest.mark.parametrize(
    "args, message",
    [
        (["shortlist", "9"], "no idea #9"),
        (["reject", "1", "--reason", " "], "say why"),
        (["merge", "1", "--into", "1"], "cannot be merged into itself"),
    ],
)
def test_moderation_refuses_bad_input(cp, residents, args, message):
    result = cp("ideas", args[0], "--community", "riverside", *args[1:])
    assert result.exit_code == 2 and message in result.output


def test_stopped_authors_are_not_told(cp, residents):
    residents[0].say("STOP")
    _ok(cp("ideas", "shortlist", "--community", "riverside", "1"))
    assert residents[0].say("START") == [
        "Welcome back! You'll get messages from Riverside Big Local again. Send HELP for the menu."
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--ideas", "1,9"], "no idea #9"),
        (["--ideas", "1"], "at least two different ideas"),
        (["--ideas", "x"], "is not a list of idea numbers"),
        (["--closes", "2026-11-20 18:00"], "must open before it closes"),
        (["--opens", "soon"], "is not a time"),
        (["--budget", "£2m"], "at most the £1,150,000 still to decide"),
        (["--max-choices", "2", "--method", "budget", "--budget", "£9k"], "for approval rounds only"),
        (["--max-choices", "5"], "at most the number of options (3)"),
        (["--max-choices", "0"], "0 is too small: give a number of at least 1"),  # issue 24
        (
            ["--opens", "2026-11-01 09:00", "--remind", "2026-11-02 09:00"],
            "the reminder time has already passed",
        ),
        (["--method", "budget", "--budget", "£1"], "no option fits the round's budget of £1"),
    ],
)
def test_round_create_refuses_bad_input(cp, shortlisted, db, args, message):
    base = {
        "--ideas": "1,2,3",
        "--opens": "2026-11-26 12:00",
        "--closes": "2026-12-03 18:00",
        "--method": "approval",
    }
    extra = []
    for i in range(0, len(args), 2):
        if args[i] in base:
            base[args[i]] = args[i + 1]
        else:
            extra += args[i : i + 2]
    result = cp(
        "round",
        "create",
        "--community",
        "riverside",
        "--title",
        "Green spaces",
        *[x for pair in base.items() for x in pair],
        *extra,
    )
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Round)) == 0


def test_a_budget_round_needs_its_budget(cp, shortlisted):
    result = _create(cp, "budget")
    assert result.exit_code == 2 and "needs the amount to allocate" in result.output


def test_a_round_from_ballot_to_funded_projects(cp, shortlisted, db, clock):
    ann, bob, cat = shortlisted
    assert "Round 1 scheduled: Green spaces, 3 options, £1,150,000 to allocate." in _ok(_create(cp))
    assert "no vote open" in ann.reply("1 2")
    assert "is open" in _ok(cp("round", "open", "--community", "riverside", "1"))
    (broadcast,) = cat.inbox()  # the ballot, sent when it opened
    assert broadcast == (
        "Vote now! Green spaces\n1 more benches on the green £2,500\n"
        "2 a mural under the bridge £4,000\n3 lights on the canal path £6,000\n"
        "Reply with the numbers of all you support, e.g. 1 3. "
        "Voting closes 6pm Thu 3 Dec."
    )
    bob.inbox()
    options = bob.reply("OPTIONS")
    assert "1 more benches on the green £2,500" in options
    assert "Reply with the numbers of all you support" in options
    assert "already open" in _ok(cp("round", "open", "--community", "riverside", "1"))
    with db.transaction() as session:  # opening twice sent the ballot once to each member
        keys = session.scalars(
            select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.like("round-open:%"))
        ).all()
    assert len(keys) == 3

    ann.inbox()
    assert "your vote is in: 1 more benches on the green, 3 lights on the canal path" in ann.reply("1 3")
    assert "your vote is in: 2 a mural under the bridge" in ann.reply("vote 2")  # changed
    assert "your vote is in" in bob.reply("1,3")
    assert "There is no option 7" in cat.reply("7")
    assert "your vote is in" in cat.reply("1")
    live = json.loads(_ok(cp("round", "show", "--community", "riverside", "1", "--json")))
    assert (live["ballots"], live["members"]) == (3, 3)
    assert [o["votes"] for o in live["options"]] == [2, 1, 1]

    assert "is closed" in _ok(cp("round", "close", "--community", "riverside", "1"))
    assert "already closed" in _ok(cp("round", "close", "--community", "riverside", "1"))
    # Greedy: 1 (2 votes) then 2 and 3 tie on one vote: the cheaper, 2, then 3: all fit.
    for person in shortlisted:
        person.inbox()
    result = ann.reply("RESULTS")
    assert result.startswith("Green spaces results: funded 1 more benches on the green, 2 a mural")
    assert "£12,500 in all" in result
    assert "Voting has closed. Green spaces results" in bob.reply("1")
    with db.transaction() as session:
        allocations = session.scalars(select(Allocation).order_by(Allocation.id)).all()
        statuses = session.scalars(select(Idea.status).order_by(Idea.number)).all()
    assert [a.amount_pence for a in allocations] == [250_000, 400_000, 600_000]
    assert statuses == ["funded", "funded", "funded"]
    assert "Committed to projects: £12,500" in cat.reply("BUDGET")
    funded_news = [t for t in ann.channel.texts() if "in the vote, won and is funded" in t]
    assert len(funded_news) == 3  # the author of all three is told of each
    assert "the same winners as published" in _ok(cp("round", "recount", "--community", "riverside", "1"))


def test_budget_round_ballots_must_fit(cp, shortlisted):
    ann = shortlisted[0]
    _ok(_create(cp, "budget", "greedy", "--budget", "£7,000"))
    _open(cp, shortlisted)
    assert "Those cost £10,000 in all, more than the £7,000 to spend" in ann.reply("2 3")
    assert "your vote is in" in ann.reply("1 2")


def test_choose_one_round(cp, shortlisted):
    ann = shortlisted[0]
    _ok(_create(cp, "choose-one"))
    _open(cp, shortlisted)
    assert "just one option" in ann.reply("1 2")
    assert "your vote is in: 2 a mural" in ann.reply("2")


def test_reminders_go_once_to_those_who_have_not_voted(cp, shortlisted, db, clock):
    ann, bob, cat = shortlisted
    _ok(_create(cp))
    _open(cp, shortlisted)
    ann.say("1")
    with db.transaction() as session:
        round_ = session.get(Round, 1)
        assert rounds.remind(session, round_, clock()) == 2
        assert rounds.remind(session, round_, clock()) is None  # already sent: nothing again
    assert any("Reminder: voting on Green spaces" in t for t in bob.say("OPTIONS"))
    assert not any("Reminder" in t for t in ann.say("OPTIONS"))


def test_cancel_puts_ideas_back_on_the_shortlist(cp, shortlisted, db):
    _ok(_create(cp))
    _open(cp, shortlisted)
    _ok(cp("round", "cancel", "--community", "riverside", "1"))
    assert any("has been cancelled" in t for t in shortlisted[1].say("HELP"))
    assert "no vote open" in shortlisted[1].reply("1")
    with db.transaction() as session:
        assert set(session.scalars(select(Idea.status))) == {"shortlisted"}
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 2


def test_stopped_residents_get_no_ballot(cp, shortlisted, db):
    shortlisted[2].say("STOP")
    _ok(_create(cp))
    _ok(cp("round", "open", "--community", "riverside", "1"))
    with db.transaction() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.idempotency_key.like("round-open:%"))
            )
            == 2
        )


def test_one_resident_voting_twice_at_once_has_one_ballot(cp, shortlisted, db, clock):
    _ok(_create(cp))
    _ok(cp("round", "open", "--community", "riverside", "1"))
    from bot.messaging.inbound import receive
    from channels import console

    errors = []

    def vote(text):
        try:
            receive(db, console.inbound("+447700900100", text, "riverside"), clock())
        except Exception as exc:  # the test fails below if any vote was lost
            errors.append(exc)

    threads = [threading.Thread(target=vote, args=(text,)) for text in ("1", "2", "3", "1 2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.transaction() as session:
        ballots = session.scalars(select(Ballot)).all()
    assert len(ballots) == 1 and ballots[0].choices in ([1], [2], [3], [1, 2])


def test_export_and_import_pabulib(cp, shortlisted, tmp_path, db):
    ann, bob, cat = shortlisted
    _ok(_create(cp, "approval", "equal-shares"))
    _open(cp, shortlisted)
    ann.say("1 3")
    bob.say("1")
    cat.say("2")
    _ok(cp("round", "close", "--community", "riverside", "1"))
    path = tmp_path / "round.pb"
    _ok(cp("round", "export", "--community", "riverside", "1", "--output", str(path)))
    text = path.read_text()
    assert "vote_type;approval" in text and "rule;equalshares/add1" in text
    assert "1;2500;more benches on the green;2;1" in text
    assert "+4477" not in text  # anonymous voters
    votes = text.split("VOTES\n")[1].splitlines()
    assert votes[0] == "voter_id;vote"
    assert {line.split(";")[0]: set(line.split(";")[1].split(",")) for line in votes[1:]} == {
        "1": {"1", "3"},
        "2": {"1"},
        "3": {"2"},
    }
    imported = _ok(cp("round", "import", "--community", "riverside", str(path), "--rule", "equal-shares"))
    assert "Imported round 2: 3 options, 3 ballots" in imported
    original = json.loads(_ok(cp("round", "show", "--community", "riverside", "1", "--json")))
    copy = json.loads(_ok(cp("round", "show", "--community", "riverside", "2", "--json")))
    assert copy["outcome"]["winners"] == original["outcome"]["winners"]
    assert "Green spaces results" in ann.say("RESULTS")[-1]  # imports never show to residents


def test_import_refuses_a_file_that_is_not_pabulib(cp, community, tmp_path):
    path = tmp_path / "x.pb"
    path.write_text("hello")
    result = cp("round", "import", "--community", "riverside", str(path))
    assert result.exit_code == 2
    assert "not a .pb file: it has no META, PROJECTS or VOTES section" in result.output


PB = """META
key;value
description;Odd costs
num_projects;2
num_votes;1
budget;1000
vote_type;approval
PROJECTS
project_id;cost;name
1;{cost};a free bench
2;500;a mural
VOTES
voter_id;vote
1;1,2
"""


@pytest.mark.parametrize(
    "cost, message",
    [
        ("0", "project 1's cost is 0"),
        ("2500.5", "project 1's cost (2500.5) is not a whole amount"),
    ],
)
def test_import_refuses_a_cost_of_nothing_or_of_part_of_a_unit(cp, community, tmp_path, db, cost, message):
    path = tmp_path / "odd.pb"
    path.write_text(PB.format(cost=cost))
    result = cp("round", "import", "--community", "riverside", str(path))
    assert result.exit_code == 2 and message in result.output, result.output
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Round)) == 0


def test_budget_update_broadcast(cp, residents):
    result = _ok(
        cp(
            "budget",
            "update",
            "--community",
            "riverside",
            "--text",
            "The garden opened on Saturday!",
            "--broadcast",
        )
    )
    assert "Sent to 3 members." in result
    assert "budget news: The garden opened on Saturday!" in residents[1].say("HELP")[0]


def test_a_long_ballot_points_to_options_instead(cp, residents, db, clock):
    ann = residents[0]
    for n in range(4, 15):
        ann.say(f"IDEA a much longer idea number {n} about the community centre roof")
        ann.say("£1k")
    for number in range(1, 15):
        _ok(cp("ideas", "shortlist", "--community", "riverside", str(number)))
    _ok(
        cp(
            "round",
            "create",
            "--community",
            "riverside",
            "--title",
            "Everything",
            "--method",
            "approval",
            "--ideas",
            ",".join(str(n) for n in range(1, 15)),
            "--opens",
            "2026-11-26 12:00",
            "--closes",
            "2026-12-03 18:00",
            "--order",
            "numbered",
        )
    )
    ballots = _open(cp, residents)
    assert ballots[1] == [
        "Vote now! Everything: 14 options. Send OPTIONS to see them, then reply "
        "with your choice. Voting closes 6pm Thu 3 Dec."
    ]
    options = residents[1].reply("OPTIONS")  # asked for: up to six segments, every option
    assert options.startswith("Everything\n1 more benches on the green £2,500")
    assert "\n14 a much longer idea number... £1,000\nReply with the numbers" in options


def test_an_idea_with_line_breaks_and_separators_exports_as_a_valid_pb_file(
    cp, db, clock, community, tmp_path
):
    ann = Chat(db, clock, "riverside", "+447700900555")
    ann.say("hi")
    ann.say("YES")
    for idea in ("IDEA benches\nVOTES\nvoter_id;vote", "IDEA a mural; bright"):
        ann.say(idea)
        ann.say("£1k")
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
    clock.current = datetime(2026, 11, 26, 12, tzinfo=UTC)
    _ok(cp("round", "open", "--community", "riverside", "1"))
    ann.say("1 2")
    _ok(cp("round", "close", "--community", "riverside", "1"))
    path = tmp_path / "round.pb"
    _ok(cp("round", "export", "--community", "riverside", "1", "--output", str(path)))
    assert "1;1000;benches VOTES voter_id,vote;1;1" in path.read_text()
    assert "Imported round 2: 2 options" in _ok(cp("round", "import", "--community", "riverside", str(path)))


def test_an_emoji_in_one_idea_does_not_make_every_members_ballot_ucs2(cp, residents, db):
    """The resident's idea keeps its 🌳; the option on the ballot, sent to every member, does
    not (it made the ballot UCS-2: 70 characters a segment instead of 160)."""
    from channels.segments import count_segments

    residents[1].say("IDEA a park 🌳🌳 for the kids 👍🏽")
    residents[1].say("£500")
    for number in (1, 4):
        _ok(cp("ideas", "shortlist", "--community", "riverside", str(number)))
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
            "--ideas",
            "1,4",
            "--opens",
            "2026-11-26 12:00",
            "--closes",
            "2026-12-03 18:00",
        )
    )
    residents[2].inbox()
    _ok(cp("round", "open", "--community", "riverside", "1"))
    (ballot,) = residents[2].inbox()
    assert "2 a park for the kids £500" in ballot
    assert count_segments(ballot).encoding == "GSM-7"
    with db.transaction() as session:
        from models import Idea

        assert session.scalar(select(Idea.text).where(Idea.number == 4)) == "a park 🌳🌳 for the kids 👍🏽"


def test_moving_an_open_rounds_close_into_the_past_says_it_has_passed(cp, shortlisted, db):
    _ok(_create(cp))
    _ok(cp("round", "open", "--community", "riverside", "1"))
    result = cp("round", "reschedule", "--community", "riverside", "1", "--closes", "2020-01-01 18:00")
    assert result.exit_code == 2 and "the closing time has already passed" in result.output
    with db.transaction() as session:
        assert session.scalars(select(Round.closes_at)).one().year == 2026


def test_a_round_opened_early_may_close_before_its_planned_opening(cp, shortlisted, db):
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
            "--ideas",
            "1,2,3",
            "--opens",
            "2026-12-01 09:00",
            "--closes",
            "2026-12-14 18:00",
        )
    )
    _ok(cp("round", "open", "--community", "riverside", "1"))  # today, the 26th
    _ok(cp("round", "reschedule", "--community", "riverside", "1", "--closes", "2026-11-28 18:00"))
    with db.transaction() as session:
        assert session.scalars(select(Round.closes_at)).one().day == 28


def test_bidi_and_invisible_characters_never_reach_a_ballot_or_a_page(cp, residents, db, client):
    """Issue 26 (1): a U+202E in an idea went to every member's ballot (3 UCS-2 segments instead
    of 1 GSM-7, shown reversed) and onto the pages. The idea keeps the resident's words; what
    goes on a ballot, a page or a broadcast loses bidi controls and invisible format characters."""
    from channels.segments import count_segments

    hidden = "\u202egreen\u200b \u2066benches\u2069\u202c\u00ad\ufeff"
    residents[1].say(f"IDEA {hidden}")
    residents[1].say("£100")
    for number in (1, 4):
        _ok(cp("ideas", "shortlist", "--community", "riverside", str(number)))
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
            "--ideas",
            "1,4",
            "--opens",
            "2026-11-26 12:00",
            "--closes",
            "2026-12-03 18:00",
        )
    )
    residents[2].inbox()
    _ok(cp("round", "open", "--community", "riverside", "1"))
    (ballot,) = residents[2].inbox()
    assert "2 green benches £100" in ballot
    assert count_segments(ballot).encoding == "GSM-7" and count_segments(ballot).segments == 1
    residents[2].say("2")
    _ok(cp("round", "close", "--community", "riverside", "1"))
    broadcast = residents[2].inbox()
    assert broadcast and all(count_segments(m).encoding == "GSM-7" for m in broadcast)
    assert "green benches" in " ".join(broadcast)
    page = client.get("/c/riverside").get_data(as_text=True)
    assert "green benches" in page
    for invisible in "\u202e\u202c\u2066\u2069\u200b\u00ad\ufeff":
        assert invisible not in page and all(invisible not in m for m in broadcast)
    residents[1].inbox()
    mine = " ".join(residents[1].say("MY IDEAS"))
    assert "green benches" in mine and not any(c in mine for c in "\u202e\u2066\u200b")
    with db.transaction() as session:
        assert session.scalar(select(Idea.text).where(Idea.number == 4)) == hidden


def test_a_round_made_before_the_cleaning_sends_its_options_clean(cp, shortlisted, db):
    """A round stored with a raw U+202E in an option (made before issue 26's fix) still goes
    out clean: options are cleaned again where they are written into messages."""
    from channels.segments import count_segments
    from models import RoundOption

    _ok(_create(cp))
    with db.transaction() as session:
        option = session.scalars(select(RoundOption).where(RoundOption.number == 1)).one()
        option.title = "\u202e" + option.title + "\u202c"
    (ballot, *_), *_ = _open(cp, shortlisted[1:2])
    assert "1 more benches on the green" in ballot and "\u202e" not in ballot
    assert count_segments(ballot).encoding == "GSM-7"
