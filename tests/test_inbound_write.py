"""What a webhook writes when it leaves the answer to a worker (issue 28): the message and its
pending answer, in as few b-trees as serve their readers. On SQLite each b-tree written is a page
the other webhooks wait for while the write lock is held (migration 0035)."""

import re

from sqlalchemy import inspect, select, text

from bot.messaging.inbound import keep
from channels.messages import Address, InboundMessage
from models import Base, InboundLog, PendingAnswer
from models.migrate import is_current, upgrade
from tests.conftest import downgrade

TABLES = ("inbound_message", "pending_answer")


def index_predicates(engine) -> dict[str, tuple[str, str | None]]:
    """Each index of the two tables, as the database defines it: its table and its WHERE (None
    for a whole-table index), read from the database's own catalogue."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN "
                "('inbound_message', 'pending_answer')"
            ).all()
        else:
            rows = connection.exec_driver_sql(
                "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = "
                "current_schema() AND tablename IN ('inbound_message', 'pending_answer')"
            ).all()
    found = {}
    for name, table, definition in rows:
        where = re.search(r"\bWHERE\s+(.*)$", definition or "", re.IGNORECASE | re.DOTALL)
        found[name] = (table, where.group(1) if where else None)
    return found


def btrees_holding_rows(engine) -> int:
    """How many of the two tables' b-trees (the tables and their indexes, keys included) hold
    a row."""
    held, indexes = 0, index_predicates(engine)
    with engine.connect() as connection:
        for table in TABLES:
            held += bool(connection.scalar(text(f"SELECT count(*) FROM {table}")))
        for table, where in indexes.values():
            condition = f" WHERE {where}" if where else ""
            held += bool(connection.scalar(text(f"SELECT count(*) FROM {table}{condition}")))
    return held


def test_a_message_left_for_the_worker_is_written_into_six_btrees(db, community, clock):
    """A stored message enters its table, the provider's ids, the sender's recent messages and
    the digest's counts; its pending answer its table and its sender's queue: six on SQLite,
    eight on PostgreSQL, whose tables' keys are indexes of their own. Nine and eleven before:
    the pending answer had its own key, the message's id and its community indexed, and the
    message its (still unknown) resident."""
    now = clock()
    message = InboundMessage(
        Address("sms", "+447700900123"), "VOTE 1", "SM" + "1" * 32, now, recipient="+441632960001"
    )
    assert keep(db, message, now).outcome == "queued"
    assert btrees_holding_rows(db.engine) == (8 if db.engine.dialect.name == "postgresql" else 6)


def test_a_pending_answer_waits_under_its_messages_own_number(db, community, clock):
    now = clock()
    with db.transaction() as session:  # a message answered as it came (INBOUND_ANSWER=inline)
        session.add(
            InboundLog(channel="sms", provider_message_id="SM0", sender="+447700900999", received_at=now)
        )
    for n in range(3):
        sender = Address("sms", f"+44770090012{n}")
        keep(db, InboundMessage(sender, "hi", f"SM{n:032d}", now, recipient="+441632960001"), now)
    with db.transaction() as session:
        stored = session.scalars(select(InboundLog.id).order_by(InboundLog.id)).all()
        waiting = session.execute(
            select(PendingAnswer.id, PendingAnswer.sender).order_by(PendingAnswer.id)
        ).all()
    assert [row.id for row in waiting] == stored[1:]  # not the one answered inline
    assert [row.sender for row in waiting] == ["+447700900120", "+447700900121", "+447700900122"]


def test_the_migration_keeps_waiting_answers_both_ways(empty_engine):
    """A message waiting for the worker when 0035 runs still waits, under its message's number;
    taken back down, it keeps its message and new ones are numbered after it."""
    upgrade(empty_engine, "0034")
    now = "2026-11-30 12:00:00"
    with empty_engine.begin() as connection:
        for n in (1, 2, 3):
            connection.execute(
                text(
                    "INSERT INTO inbound_message (id, channel, provider_message_id, sender, body, "
                    "received_at) VALUES (:id, 'sms', :sid, '+447700900123', 'hi', :now)"
                ),
                {"id": n, "sid": f"SM{n}", "now": now},
            )
        connection.execute(
            text(
                "INSERT INTO pending_answer (id, inbound_id, channel, sender, message, received_at, "
                "attempts, next_attempt_at) VALUES (7, 3, 'sms', '+447700900123', '{}', :now, 1, :now)"
            ),
            {"now": now},
        )
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT id, attempts, message FROM pending_answer")).one()[:2] == (
            3,
            1,
        )
    # the message deleted (retention), its pending answer goes with it
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO pending_answer (id, channel, sender, message, received_at, attempts, "
                "next_attempt_at) VALUES (2, 'sms', '+447700900123', '{}', :now, 0, :now)"
            ),
            {"now": now},
        )
        connection.execute(text("DELETE FROM inbound_message WHERE id = 2"))
        assert connection.scalars(text("SELECT id FROM pending_answer")).all() == [3]
    downgrade(empty_engine, "0034")
    with empty_engine.begin() as connection:
        assert connection.execute(text("SELECT inbound_id, attempts FROM pending_answer")).one() == (3, 1)
        connection.execute(
            text(
                "INSERT INTO pending_answer (inbound_id, channel, sender, message, received_at, attempts, "
                "next_attempt_at) VALUES (1, 'sms', '+447700900123', '{}', :now, 0, :now)"
            ),
            {"now": now},
        )
        assert connection.scalars(text("SELECT id FROM pending_answer ORDER BY id")).all() == [3, 4]
    with empty_engine.begin() as connection:
        connection.execute(text("DELETE FROM pending_answer WHERE inbound_id = 1"))
    upgrade(empty_engine)
    assert is_current(empty_engine)
    names = {index["name"] for index in inspect(empty_engine).get_indexes("pending_answer")}
    assert names == {"ix_pending_answer_sender"}
    assert Base.metadata.tables["pending_answer"].primary_key.columns.keys() == ["id"]
