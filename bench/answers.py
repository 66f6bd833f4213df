"""A worker answering stored votes (INBOUND_ANSWER=worker): `answer_pending` over votes that
webhooks stored, against a bare loop doing the least the same job needs. Both take the same
rows: before each turn (untimed) every member's vote is stored with its pending answer, as a
webhook stores it.

The bare loop claims ten pending rows at a time, and for each finds the voter by their number,
writes their ballot (INSERT ... ON CONFLICT DO UPDATE) and queues one reply, then deletes the
ten: one transaction for the ten, as the worker's groups. It checks nothing else (the round's
state, the voter's standing, the flood limit) and keeps no conversation."""

import random
from datetime import timedelta

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from bench.harness import NUMBER, Side, interleave, project_app, report
from bench.population import add_members
from bot.context import get_db
from bot.messaging.inbound import keep
from bot.messaging.pending import GROUP, answer_pending
from channels.messages import Address, InboundMessage
from models import Identity, PendingAnswer, Round, RoundOption, utcnow

OPTIONS = 10
BARE = MetaData()
bare_ballot = Table(
    "bench_ballot", BARE, Column("resident_id", Integer, primary_key=True), Column("choices", String(100))
)
bare_outbox = Table(
    "bench_reply",
    BARE,
    Column("id", Integer, primary_key=True),
    Column("address", String(64)),
    Column("body", Text),
)


def run(db_kind: str, url: str, quick: bool) -> None:
    members, rounds = (100, 2) if quick else (2_000, 4)
    db = get_db(project_app(url, INBOUND_ANSWER="worker"))
    BARE.create_all(db.engine)
    now = utcnow()
    with db.transaction() as session:
        community = add_members(session, members)
        session.add(
            Round(
                community_id=community.id,
                title="Park",
                method="approval",
                rule="greedy",
                budget_pence=10**9,
                status="open",
                opens_at=now,
                closes_at=now + timedelta(days=7),
                opened_at=now,
                created_at=now,
                options=[
                    RoundOption(number=n, title=f"Idea {n}", cost_pence=n * 10**6)
                    for n in range(1, OPTIONS + 1)
                ],
            )
        )
        phones = list(session.scalars(select(Identity.value).where(Identity.kind == "phone")))
    rng = random.Random(1)
    sids = iter(range(10**9))

    def prepare(side: str) -> None:
        """Every member's vote, stored and waiting for an answer."""
        for phone in phones:
            choices = sorted(rng.sample(range(1, OPTIONS + 1), rng.randint(1, 3)))
            keep(
                db,
                InboundMessage(
                    Address("sms", phone),
                    "VOTE " + " ".join(map(str, choices)),
                    f"SM{next(sids):032d}",
                    utcnow(),
                    recipient=NUMBER,
                ),
                utcnow(),
            )

    def project(side: Side) -> None:
        while answer_pending(db, utcnow, None):
            pass
        side.items += len(phones)

    upsert = {"postgresql": postgresql, "sqlite": sqlite}[db_kind].insert(bare_ballot)
    upsert = upsert.on_conflict_do_update(
        index_elements=[bare_ballot.c.resident_id], set_={"choices": upsert.excluded.choices}
    )

    def baseline(side: Side) -> None:
        pending = PendingAnswer.__table__
        while True:
            with db.engine.begin() as connection:
                claim = (
                    select(pending.c.id, pending.c.community_id, pending.c.sender, pending.c.message)
                    .order_by(pending.c.id)
                    .limit(GROUP)
                )
                if db_kind == "postgresql":
                    claim = claim.with_for_update(skip_locked=True)
                rows = connection.execute(claim).all()
                if not rows:
                    break
                for row in rows:
                    voter = connection.scalar(
                        select(Identity.resident_id).where(
                            Identity.community_id == row.community_id,
                            Identity.kind == "phone",
                            Identity.value == row.sender,
                        )
                    )
                    choices = row.message["text"].split()[1:]
                    connection.execute(upsert, {"resident_id": voter, "choices": " ".join(choices)})
                    connection.execute(
                        insert(bare_outbox).values(
                            address=row.sender, body=f"Thanks, your vote is in: {', '.join(choices)}"
                        )
                    )
                connection.execute(delete(pending).where(pending.c.id.in_([r.id for r in rows])))
        side.items += len(phones)

    ours, bare = interleave(rounds, project, baseline, prepare)
    report(f"answers ({db_kind}, {len(phones):,} stored votes a turn)", ours, bare, "vote")
