"""Closing a round at N ballots (count, allocate, tell every member the result) against a bare
tally of the same ballots in Python plus one INSERT ... SELECT of the result to members."""
import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import insert, select, text

from bench.harness import Side, interleave, project_app, report
from bench.population import add_members
from bot.context import get_db
from bot.domain.rounds import close_round
from models import Ballot, Resident, Round, RoundOption, utcnow

OPTIONS = 10


def run(db_kind: str, url: str, quick: bool, count: int | None = None) -> None:
    count = count or (200 if quick else 5_000)
    rounds = 2 if quick else 3
    db = get_db(project_app(url))
    with db.transaction() as session:
        community = add_members(session, count)
        voters = session.scalars(select(Resident.id).order_by(Resident.id)).all()
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_result (resident_id INTEGER, body TEXT)"))
    rng = random.Random(7)
    opened: dict[str, int] = {}

    def prepare(side: str) -> None:
        now = utcnow()
        with db.transaction() as session:
            round_ = Round(community_id=community.id, title="Park", method="approval",
                           rule="greedy", budget_pence=50_000_00, status="open", opens_at=now,
                           closes_at=now + timedelta(days=1), opened_at=now, created_at=now,
                           options=[RoundOption(number=n, title=f"Idea {n}",
                                                cost_pence=10_000_00) for n in range(1, OPTIONS + 1)])
            session.add(round_)
            session.flush()
            session.execute(insert(Ballot), [
                dict(round_id=round_.id, resident_id=voter, channel="sms", cast_at=now, changed_at=now,
                     choices=rng.sample(range(1, OPTIONS + 1), rng.randint(1, 4))) for voter in voters])
            opened[side] = round_.id

    def project(side: Side) -> None:
        with db.transaction() as session:
            close_round(session, session.get(Round, opened["project"]), utcnow())
        side.items += count

    def baseline(side: Side) -> None:
        with db.engine.begin() as connection:
            tally = Counter()
            for (choices,) in connection.execute(select(Ballot.choices).where(
                    Ballot.round_id == opened["baseline"])):
                tally.update(choices)
            winners = [number for number, _ in tally.most_common(5)]
            connection.execute(text(
                "INSERT INTO bench_result (resident_id, body) SELECT id, :body FROM resident "
                "WHERE community_id = :community AND status = 'active'"),
                {"body": f"Winners: {winners}", "community": community.id})
        side.items += count
    ours, bare = interleave(rounds, project, baseline, prepare)
    report(f"close {count:,} ballots ({db_kind})", ours, bare, "ballot")
