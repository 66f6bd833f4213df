"""Reading and checking ballots, whatever residents type."""

import pytest

from bot.domain.ballots import parse_choices, problem
from bot.text.money import Money
from models import Round, RoundOption


def _round(method: str, max_choices=None, budget=1000_00) -> Round:
    round_ = Round(method=method, max_choices=max_choices, budget_pence=budget)
    round_.options = [
        RoundOption(number=n, title=f"Option {n}", cost_pence=cost)
        for n, cost in [(1, 600_00), (2, 500_00), (3, 300_00), (4, 200_00)]
    ]
    return round_


@pytest.mark.parametrize(
    "text, choices",
    [
        ("1 3", [1, 3]),
        ("1,3", [1, 3]),
        ("1, 3", [1, 3]),
        ("VOTE 1 3", [1, 3]),
        ("vote: 2", [2]),
        ("3", [3]),
        (" 3. ", [3]),
        ("1 and 3", [1, 3]),
        ("1 & 3", [1, 3]),
        ("3 1 3", [3, 1]),
        ("Vote 4,2,1", [4, 2, 1]),
    ],
)
def test_votes_as_people_type_them(text, choices):
    assert parse_choices(text) == choices


@pytest.mark.parametrize(
    "text",
    [
        "",
        "vote",
        "one and three",
        "1-3",
        "£500",
        "1.5",
        "12345",
        "1 3 x",
        "'; DROP TABLE ballot;--",
        "1" * 500,
        "🙂 1",
        "vote vote 1",
        "-1",
    ],
)
def test_what_is_not_a_vote(text):
    assert parse_choices(text) is None


def test_unknown_options_are_named():
    assert problem(_round("approval"), [1, 9]) == ("vote_unknown_option", {"number": 9, "count": 4})
    assert problem(_round("approval"), [0]) == ("vote_unknown_option", {"number": 0, "count": 4})


def test_choose_one_takes_exactly_one():
    assert problem(_round("choose-one"), [2]) is None
    assert problem(_round("choose-one"), [1, 2]) == ("vote_choose_one", {})


def test_approval_limits_the_number_of_choices():
    assert problem(_round("approval"), [1, 2, 3, 4]) is None
    assert problem(_round("approval", max_choices=2), [1, 2]) is None
    assert problem(_round("approval", max_choices=2), [1, 2, 3]) == ("vote_too_many", {"k": 2})


def test_budget_ballots_must_fit_the_budget():
    assert problem(_round("budget"), [2, 3, 4]) is None  # £1,000 exactly
    assert problem(_round("budget"), [1, 2]) == (
        "vote_over_budget",
        {"total": Money(1_100_00), "budget": Money(1_000_00)},
    )


def test_a_residents_two_votes_at_once_leave_one_ballot_with_the_later_choice(db, clock, community):
    """One INSERT ... ON CONFLICT DO UPDATE: the second vote waits for the first and replaces it."""
    import threading
    import time
    from datetime import timedelta

    from sqlalchemy import func, select

    from bot.domain.ballots import cast
    from bot.domain.round_times import open_if_due
    from models import Ballot, Resident
    from tests.round_helpers import make_round

    round_id = make_round(db, community, clock(), opens_in=timedelta(minutes=1))
    clock.advance(minutes=2)
    with db.transaction() as session:
        assert open_if_due(session, session.get(Round, round_id), clock())
        voter = session.scalar(select(Resident.id).order_by(Resident.id))
    first_in = threading.Event()

    def vote(choices, hold):
        with db.transaction() as session:
            cast(session, session.get(Round, round_id), session.get(Resident, voter), choices, "sms", clock())
            first_in.set()
            time.sleep(hold)  # still uncommitted while the other vote arrives

    first = threading.Thread(target=vote, args=([1], 0.3))
    first.start()
    first_in.wait(5)
    vote([2], 0)  # waits for the first (a lock on PostgreSQL, BEGIN IMMEDIATE on SQLite)
    first.join()
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Ballot)) == 1
        assert session.scalar(select(Ballot.choices)) == [2]


def test_a_ballot_read_before_a_change_in_the_same_transaction_is_read_afresh(db, clock, community):
    """A worker's group changes a ballot with one Core UPDATE (the ballot it saw a moment ago);
    a Ballot the same session had loaded before kept the old choices, so MY VOTE later in the
    group would have shown the vote just replaced."""
    from datetime import timedelta

    from sqlalchemy import select

    from bot.domain.ballots import Seen, ballot_of, cast
    from bot.domain.round_times import open_if_due
    from models import Resident
    from tests.round_helpers import make_round

    round_id = make_round(db, community, clock(), opens_in=timedelta(minutes=1))
    clock.advance(minutes=2)
    with db.transaction() as session:
        round_ = session.get_one(Round, round_id)
        assert open_if_due(session, round_, clock())
        voter = session.get_one(Resident, session.scalar(select(Resident.id).order_by(Resident.id)))
        cast(session, round_, voter, [1], "sms", clock())
    with db.transaction() as session:
        round_, voter = session.get_one(Round, round_id), session.get_one(Resident, voter.id)
        before = ballot_of(session, round_, voter)
        assert before is not None and before.choices == [1]
        receipt = cast(session, round_, voter, [2], "sms", clock(), seen=Seen(before.id, before.receipt))
        after = ballot_of(session, round_, voter)
        assert after is not None and (after.choices, after.receipt) == ([2], receipt)
