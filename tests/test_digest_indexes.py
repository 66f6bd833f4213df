"""The digest's weekly counts: the same figures whatever the queries, read off covering indexes,
and the migration that adds those indexes undone and redone cleanly."""

import random
import re
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect, select

from bot.domain.digest import figures, parse_week
from models import Base, Community, Idea, InboundLog, OutboxMessage, Resident
from models.migrate import is_current, upgrade
from tests.conftest import downgrade

CHANNELS = ("sms", "whatsapp", "telegram", "console")


@pytest.fixture
def weeks(community):
    """Week 2026-W44 and the week before, which ends British Summer Time (25 October)."""
    week = parse_week("2026-W44", community.timezone)
    return week, week.previous(community.timezone)


@pytest.fixture
def busy_fortnight(db, community, weeks):
    """Residents joining and leaving, messages in and out and ideas, at random times around the
    two weeks and on each week's first and last microsecond. Returns every row as stored."""
    this, last = weeks
    pick = random.Random(15)
    edges = [
        at + step
        for at in (last.start, this.start, this.end)
        for step in (-timedelta(microseconds=1), timedelta(0))
    ]

    def when():
        if pick.random() < 0.2:
            return pick.choice(edges)
        return last.start - timedelta(days=3) + timedelta(seconds=pick.randrange(20 * 86400))

    with db.transaction() as session:
        residents = [
            Resident(
                community_id=community.id,
                status="active",
                consent_at=when(),
                opted_out_at=when() if pick.random() < 0.3 else None,
            )
            for _ in range(40)
        ]
        session.add_all(residents)
        session.flush()
        ids = [r.id for r in residents] + [None]  # a message from nobody we know yet
        session.add_all(
            InboundLog(
                community_id=community.id,
                channel=pick.choice((*CHANNELS, "voice")),  # a call to the phone line too
                provider_message_id=f"in-{n}",
                resident_id=pick.choice(ids),
                received_at=when(),
            )
            for n in range(300)
        )
        session.add_all(
            OutboxMessage(
                community_id=community.id,
                channel=pick.choice(CHANNELS),
                resident_id=pick.choice(ids),
                segments=pick.randint(1, 3),
                content_sid="HX" + "a" * 32 if pick.random() < 0.4 else None,
                status="sent",
                sent_at=None if pick.random() < 0.1 else when(),
            )
            for _ in range(300)
        )
        session.add_all(
            Idea(community_id=community.id, number=n + 1, text=f"idea {n}", created_at=when())
            for n in range(30)
        )
    with db.transaction() as session:
        return {
            model: session.scalars(select(model)).all()
            for model in (Resident, InboundLog, OutboxMessage, Idea)
        }


def expected(rows: dict, week) -> dict[str, int]:
    """The participation figures of a week, counted row by row in Python."""

    def during(at):
        return at is not None and week.start <= at < week.end

    inbound = [m for m in rows[InboundLog] if during(m.received_at)]
    sent = [m for m in rows[OutboxMessage] if during(m.sent_at)]
    return {
        "new_residents": sum(during(r.consent_at) for r in rows[Resident]),
        "active_residents": len({m.resident_id for m in inbound} - {None}),
        "opt_outs": sum(during(r.opted_out_at) for r in rows[Resident]),
        "new_ideas": sum(during(i.created_at) for i in rows[Idea]),
        "sms_segments_sent": sum(m.segments for m in sent if m.channel == "sms"),
        **{
            f"messages_{way}_{channel}": sum(m.channel == channel for m in messages)
            for channel in ("sms", "whatsapp", "telegram", "console")
            for way, messages in (("in", inbound), ("out", sent))
        },
        "messages_in_voice": sum(m.channel == "voice" for m in inbound),  # calls: received only
        "templates_out_whatsapp": sum(m.channel == "whatsapp" and m.content_sid is not None for m in sent),
    }


def test_a_busy_fortnight_is_counted_to_the_microsecond(db, community, weeks, busy_fortnight):
    this, last = weeks
    with db.transaction() as session:
        digest = figures(session, session.get(Community, community.id), this, this.end)
    participation = digest["participation"]
    assert {name: counts["this_week"] for name, counts in participation.items()} == expected(
        busy_fortnight, this
    )
    assert {name: counts["last_week"] for name, counts in participation.items()} == expected(
        busy_fortnight, last
    )
    assert all(counts["this_week"] for counts in participation.values())  # nothing trivially 0


def test_the_weekly_counts_are_read_off_an_index_alone_on_sqlite(db, community, weeks, backend):
    if backend.name != "sqlite":
        pytest.skip("PostgreSQL chooses by its statistics; SQLite's choice is fixed")
    counts = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def keep(connection, cursor, statement, parameters, context, executemany):
        if re.search(r"FROM (resident|inbound_message|outbox_message)\s+WHERE", statement):
            counts.append((statement, parameters))

    with db.transaction() as session:
        figures(session, session.get(Community, community.id), weeks[0], weeks[0].end)
    event.remove(db.engine, "before_cursor_execute", keep)
    assert len(counts) == 8  # residents joining and leaving, messages in and out: two weeks
    with db.engine.connect() as connection:
        for statement, parameters in counts:
            plan = " ".join(
                row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
            assert "USING COVERING INDEX" in plan, (statement, plan)


def indexes(engine) -> dict[str, list[str]]:
    """The digest's indexes as the database has them: name to columns."""
    found = {}
    for table in ("resident", "inbound_message", "outbox_message"):
        for index in inspect(engine).get_indexes(table):
            if index["name"] in DIGEST_INDEXES:
                found[index["name"]] = index["column_names"]
    return found


DIGEST_INDEXES = {
    "ix_inbound_community_received": ["community_id", "received_at", "channel", "resident_id"],
    "ix_outbox_community_sent": ["community_id", "sent_at", "channel", "segments", "content_sid"],
    "ix_resident_community_consent": ["community_id", "consent_at"],
    "ix_resident_community_opted_out": ["community_id", "opted_out_at"],
}


def test_the_covering_indexes_come_and_go_with_their_migration(empty_engine):
    upgrade(empty_engine)
    assert indexes(empty_engine) == DIGEST_INDEXES
    downgrade(empty_engine, "0015")
    assert indexes(empty_engine) == {
        "ix_inbound_community_received": ["community_id", "received_at"],
        "ix_outbox_community_sent": ["community_id", "sent_at"],
    }
    upgrade(empty_engine)
    assert indexes(empty_engine) == DIGEST_INDEXES and is_current(empty_engine)
    with empty_engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_the_sent_rows_indexes_hold_sent_rows_only_and_still_serve_their_lookups(db, backend):
    """A broadcast queues a row per member; the digest's index and the delivery reports' (by
    provider id) have no use for a row not yet sent, and writing an entry in each for every
    queued row cost a million-member broadcast 16 % of its time. They are partial, and the
    lookups they serve still use them (SQLite's plan is fixed; PostgreSQL's is its statistics')."""
    with db.engine.connect() as connection:
        if backend.name == "sqlite":
            defined = dict(
                connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'").all()
            )
        else:
            defined = dict(
                connection.exec_driver_sql(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                ).all()
            )
        assert "WHERE" in defined["ix_outbox_community_sent"].upper()
        assert "sent_at IS NOT NULL" in defined["ix_outbox_community_sent"]
        assert "provider_id IS NOT NULL" in defined["ix_outbox_message_provider_id"]
        if backend.name == "sqlite":
            lookup = select(OutboxMessage.id).where(
                OutboxMessage.channel == "sms", OutboxMessage.provider_id == "SM1"
            )
            compiled = lookup.compile(db.engine, compile_kwargs={"literal_binds": True})
            plan = " ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
            assert "ix_outbox_message_provider_id" in plan, plan
