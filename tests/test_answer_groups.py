"""The worker answers stored messages in groups (one transaction for ten) and reads what the
group needs once: who writes, their conversation and ballot, the open round, the budget. What
it read must not outlive its group, and a group must cost few statements."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, event, func, select

from bot.domain import round_times
from bot.domain.ballots import Seen, cast
from bot.messaging import pending
from bot.messaging.inbound import keep
from channels import console
from models import Ballot, Conversation, Identity, PendingAnswer, ReplacedReceipt, Resident, Round
from tests.round_helpers import make_round
from tests.test_answer_later import Phone, count, later_app  # noqa: F401  (the fixture)

VOTERS = [f"+4477009002{n:02d}" for n in range(10)]  # the members make_round makes


@pytest.fixture
def ten_voters(later_app, fake_twilio, db, community, clock):  # noqa: F811
    """Round 1 of riverside open, and its ten members, their ballot papers sent."""
    round_id = make_round(db, community, clock(), opens_in=timedelta(minutes=1), members=len(VOTERS))
    clock.advance(minutes=2)
    with db.transaction() as session:
        assert round_times.open_if_due(session, session.get(Round, round_id), clock())
    Phone(later_app, fake_twilio, VOTERS[0]).answers()  # sends every ballot paper
    return round_id


def last_answer(fake_twilio, number: str) -> str:
    return [s.form["Body"] for s in fake_twilio.sent if s.form["To"] == number][-1]


class Statements:
    """Counts the statements sent to the database (an executemany is one)."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args):
        self.count += 1


def test_budget_shows_spending_an_organiser_records_after_the_worker_last_answered_it(
    later_app,  # noqa: F811
    fake_twilio,
    community,
    db,
    cp,
):
    phones = [Phone(later_app, fake_twilio, number) for number in ("+447700900123", "+447700900456")]
    for phone in phones:
        phone.text("hi")
        phone.text("YES")
        phone.send("BUDGET")
    phones[0].answers()  # both answered in one group, which read the figures once
    for phone in phones:
        assert "Still to decide: £1,150,000" in last_answer(fake_twilio, phone.number)
    spent = cp("budget", "spend", "--community", "riverside", "--amount", "£2,500", "--description", "Hall")
    assert spent.exit_code == 0, spent.output
    for phone in phones:
        phone.send("BUDGET")
    phones[0].answers()  # the same worker, a new group
    for phone in phones:
        assert "Still to decide: £1,147,500" in last_answer(fake_twilio, phone.number)


def test_a_group_of_votes_takes_few_statements_and_each_voter_gets_their_receipt(
    later_app,  # noqa: F811
    fake_twilio,
    ten_voters,
    db,
    clock,
):
    phones = [Phone(later_app, fake_twilio, number) for number in VOTERS]
    for choice in ("1", "2"):  # a first vote each, then each changes it
        for phone in phones:
            phone.send(f"VOTE {choice}")
        with Statements(db.engine) as seen:
            assert pending.answer_pending(db, clock, None) == len(VOTERS)
        # The group's reads (the claim, the community, the writers with their conversations and
        # ballots, the round), one or two statements a vote, the group's writes: 115 before.
        assert seen.count <= 2 * len(VOTERS) + 12, seen.count
        phones[0].answers()  # sends every answer
        for phone in phones:
            answer = last_answer(fake_twilio, phone.number)
            assert "vote is in" in answer and f"{choice} " in answer
    with db.transaction() as session:
        ballots = session.execute(select(Ballot.choices, Ballot.receipt)).all()
        assert sorted(choices for choices, _ in ballots) == [[2]] * len(VOTERS)
        assert len({receipt for _, receipt in ballots}) == len(VOTERS)
        assert session.scalar(select(func.count()).select_from(ReplacedReceipt)) == len(VOTERS)


def test_a_voter_writing_twice_in_one_group_has_one_ballot_with_the_later_choice(
    later_app,  # noqa: F811
    fake_twilio,
    ten_voters,
    community,
    db,
    clock,
):
    """By SMS and by the console (one phone, one resident): two messages of one group, whose
    reads of that resident the second turn must not trust."""
    phone = Phone(later_app, fake_twilio, VOTERS[0])
    phone.text("VOTE 1")
    phone.send("VOTE 2")
    keep(db, console.inbound(VOTERS[0], "VOTE 1 2", community.slug), clock())
    assert count(db, PendingAnswer) == 2
    assert pending.answer_pending(db, clock, None) == 2
    with db.transaction() as session:
        assert session.scalars(select(Ballot.choices)).all() == [[1, 2]]
        assert session.scalar(select(func.count()).select_from(ReplacedReceipt)) == 2


def test_a_vote_cast_over_a_ballot_that_changed_since_it_was_read_keeps_every_receipt(ten_voters, db, clock):
    with db.transaction() as session:
        round_ = session.get(Round, ten_voters)
        voter = session.scalars(select(Resident).order_by(Resident.id)).first()
        first = cast(session, round_, voter, [1], "sms", clock())
        stale = Seen(session.scalar(select(Ballot.id)), first)
        second = cast(session, round_, voter, [2], "sms", clock())  # since the group read it
        third = cast(session, round_, voter, [1, 2], "sms", clock(), stale)
        assert session.execute(select(Ballot.choices, Ballot.receipt)).one() == ([1, 2], third)
        replaced = session.scalars(select(ReplacedReceipt.receipt).order_by(ReplacedReceipt.id)).all()
        assert replaced == [first, second]
        gone = Seen(session.scalar(select(Ballot.id)), third)
        session.execute(delete(Ballot))  # erased since it was read
        fourth = cast(session, round_, voter, [2], "sms", clock(), gone)
        assert session.execute(select(Ballot.choices, Ballot.receipt)).one() == ([2], fourth)


def test_a_groups_writers_are_found_by_the_whole_identity_key(db, community, clock):
    """The group reads who writes its messages by community and value: without the kind, which
    sits between them in identity's key, the index gave only the community and every identity
    of it was read (a whole-table scan on PostgreSQL for each group of 10 answers, 1.9 ms of
    server time at 16,000 members against 0.13 ms)."""
    from sqlalchemy import insert, text

    from bot.messaging.inbound import _WRITERS
    from models import Identity

    with db.transaction() as session:  # 3,000 members, and the statistics a database keeps
        first = session.scalar(select(func.coalesce(func.max(Resident.id), 0))) + 1
        people = range(first, first + 3_000)
        session.execute(
            insert(Resident),
            [dict(id=n, community_id=community.id, status="active", created_at=clock()) for n in people],
        )
        session.execute(
            insert(Identity),
            [
                dict(
                    resident_id=n,
                    community_id=community.id,
                    kind="phone",
                    value=f"+4477009{n:05d}",
                    created_at=clock(),
                )
                for n in people
            ],
        )
    with db.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
        bound = _WRITERS.params(ids=[community.id], kinds=["phone"], values=[f"+4477009{first:05d}"])
        sql = str(bound.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
        if connection.dialect.name == "postgresql":
            plan = [row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql.replace("%", "%%"))]
            at = next(n for n, line in enumerate(plan) if " on identity" in line)
            assert "Index" in plan[at] and "value" in plan[at + 1], plan
        else:
            plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
            assert any(
                "identity USING" in line and "community_id=? AND kind=? AND value=?" in line for line in plan
            ), plan


def test_a_group_of_newcomers_takes_few_statements_and_each_is_welcomed_once(
    later_app,  # noqa: F811
    fake_twilio,
    community,
    db,
    clock,
):
    """Ten first messages from ten new numbers, answered in one group: each newcomer is made
    once and welcomed. The group makes its newcomers (resident, identity, conversation) at its
    start in one flush, where each newcomer's turn made them with a flush of their own, three
    statements, and every newcomer after the first was looked up again: 46 statements before,
    11 now on PostgreSQL (the inserts go in batches), 29 on SQLite."""
    numbers = [f"+4477009003{n:02d}" for n in range(10)]
    phones = [Phone(later_app, fake_twilio, number) for number in numbers]
    for phone in phones:
        phone.send("hi")
    with Statements(db.engine) as seen:
        assert pending.answer_pending(db, clock, None) == len(numbers)
    assert seen.count <= (11 if db.engine.dialect.name == "postgresql" else 29), seen.count
    phones[0].answers()
    for phone in phones:
        assert "YES" in last_answer(fake_twilio, phone.number)
    with db.transaction() as session:
        made = session.execute(
            select(Resident.status, func.count(Conversation.resident_id))
            .outerjoin(Conversation, Conversation.resident_id == Resident.id)
            .where(Resident.community_id == community.id)
            .group_by(Resident.id)
        ).all()
    assert sorted(made) == [("pending", 1)] * len(numbers)  # one resident each, with a conversation
    assert count(db, Identity, Identity.value.in_(numbers)) == len(numbers)


def test_a_group_makes_nobody_for_a_sender_it_cannot_answer(
    later_app,  # noqa: F811
    fake_twilio,
    community,
    db,
    clock,
):
    """A sender ID ("VODAFONE") is stored and not answered, and no resident is made for it,
    whether or not newcomers share its group."""
    Phone(later_app, fake_twilio, "VODAFONE").send("Your bill is ready")
    Phone(later_app, fake_twilio, "+447700900301").send("hi")
    assert pending.answer_pending(db, clock, None) == 2
    assert count(db, Identity, Identity.value == "VODAFONE") == 0
    assert count(db, Identity, Identity.value == "+447700900301") == 1
