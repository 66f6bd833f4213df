"""Waiting for SQLite's one write lock: a transaction takes it as soon as it is free, not at
the next of SQLite's own coarse retries (1, 2, 5 ... 100 ms apart), and still gives up only
after the busy timeout."""

import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import models.engine
from models.engine import make_engine

WRITE = text("INSERT INTO message (body) VALUES ('VOTE 2')")


@pytest.fixture
def locked(tmp_path, monkeypatch):
    """A database whose write lock another process's connection holds, and our engine on it,
    with a busy timeout short enough that a test which fails does so in a fraction of a second."""
    path = tmp_path / "x.db"
    monkeypatch.setattr(models.engine, "SQLITE_BUSY_TIMEOUT_MS", 300)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE message (body TEXT)")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield engine, holder
    holder.close()
    engine.dispose()


def test_a_writer_takes_the_lock_the_moment_its_holder_lets_go(locked, monkeypatch):
    engine, holder = locked
    naps = []

    def nap(seconds):
        naps.append(seconds)
        if len(naps) == 3:
            holder.execute("COMMIT")  # the worker's group ends while we wait

    monkeypatch.setattr(models.engine, "_nap", nap)
    with engine.begin() as connection:  # a webhook's transaction
        connection.execute(WRITE)
    assert naps == [models.engine.LOCK_POLL_SECONDS] * 3  # half a millisecond apart, not SQLite's 1-100 ms
    with engine.connect() as connection:  # written, and the connection waits as long as before
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 300
        assert connection.exec_driver_sql("SELECT count(*) FROM message").scalar() == 1


def test_a_lock_held_past_the_busy_timeout_still_fails_the_transaction(locked, monkeypatch):
    """A webhook then spools its message, as before; SQLite's own wait covers what polling did not."""
    engine, holder = locked
    monkeypatch.setattr(models.engine, "LOCK_POLL_FOR_SECONDS", 0.05)
    with pytest.raises(OperationalError, match="database is locked"), engine.begin() as connection:
        connection.execute(WRITE)
    holder.execute("COMMIT")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 300


def test_autocommit_on_sqlite_keeps_each_write_and_reads_without_waiting_for_the_lock(locked, monkeypatch):
    """An AUTOCOMMIT connection's statements are each their own transaction: a read does not
    queue for the write lock (the worker checks whether messages keep coming this way), and a
    write is kept (our BEGIN IMMEDIATE used to open a transaction nobody committed)."""
    engine, holder = locked
    monkeypatch.setattr(models.engine, "_nap", lambda _: pytest.fail("a read waited for the write lock"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM message").scalar() == 0
    holder.execute("COMMIT")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(WRITE)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM message").scalar() == 1
