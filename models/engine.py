"""Engines that behave well on both SQLite and PostgreSQL, and keep personal data out of logs."""

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

SQLITE_BUSY_TIMEOUT_MS = 15000
# How often, and for how long, a transaction tries again for SQLite's write lock before it
# leaves the rest of the busy timeout to SQLite's own, coarser, wait.
LOCK_POLL_SECONDS = 0.0005
LOCK_POLL_FOR_SECONDS = 1.0

# A pooled PostgreSQL connection idle for longer than this is tested (a round trip) before it is
# handed out; one in steady use is not. A server restart or a cut leaves idle connections dead,
# and those are found before a request uses them; a connection that dies while in use fails its
# statement, which the caller treats as an outage (a webhook spools its message), and the pool
# then replaces every connection it holds.
PING_AFTER_IDLE_SECONDS = 1.0


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout, foreign keys and IMMEDIATE writes.

    Statement parameters (phone numbers, message texts) never appear in logged statements or
    in the text of database errors."""
    if make_url(url).get_backend_name() != "sqlite":
        engine = create_engine(url, hide_parameters=True, **kwargs)
        event.listen(engine, "handle_error", _without_detail)
        event.listen(engine, "checkin", _returned)
        event.listen(engine, "checkout", _ping_if_idle(engine))
        return engine
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True, **kwargs
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _returned(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["returned_at"] = time.monotonic()


def _ping_if_idle(engine: Engine) -> Callable[[Any, ConnectionPoolEntry, PoolProxiedConnection], None]:
    """SQLAlchemy's pool_pre_ping, for connections that have been idle: under a surge every
    webhook would otherwise pay a round trip for it (a fifth of a webhook's time, measured)."""

    def checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if not engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise
            alive = False
        if not alive:  # as pool_pre_ping: the pool's other connections are likely dead too
            raise exc.InvalidatePoolError()  # the pool connects afresh and hands that out

    return checkout


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    # Let us issue BEGIN ourselves (pysqlite would defer it until the first write).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    """Take the write lock up front: a transaction that reads then writes could otherwise fail
    with "database is locked" instead of waiting for it.

    While another connection holds it, try again every LOCK_POLL_SECONDS for up to
    LOCK_POLL_FOR_SECONDS, then leave the rest of the wait to SQLite. SQLite's own busy handler
    sleeps 1, 2, 5 ... up to 100 ms between tries, so a webhook behind the worker's group of
    answers slept on while the lock was free (measured: webhooks taken in a surge beside the
    worker, 383 → 446 a second).

    A connection set to AUTOCOMMIT begins nothing: each statement is its own transaction, and
    a read takes no lock. (BEGIN here would have left its writes to be rolled back unseen.)"""
    if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None
    started = time.monotonic()
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    break  # said again, as SQLAlchemy words it, below
                if time.monotonic() - started >= LOCK_POLL_FOR_SECONDS:
                    break
            _nap(LOCK_POLL_SECONDS)
        waited_ms = int((time.monotonic() - started) * 1000)
        raw.execute(f"PRAGMA busy_timeout={max(0, SQLITE_BUSY_TIMEOUT_MS - waited_ms)}")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


_nap = time.sleep  # tests wake the lock's holder from here


def _without_detail(context: ExceptionContext) -> None:
    """Keep only PostgreSQL's primary message in a database error, which is what gets logged.

    Its DETAIL repeats the values at fault ("Key (sms_number)=(+447700900123) already
    exists", "Failing row contains (...)"); code that needs them can read `orig.diag`."""
    orig = context.original_exception
    primary = getattr(getattr(orig, "diag", None), "message_primary", None)
    if not primary:
        return
    orig.args = (primary,)
    if context.sqlalchemy_exception is not None:
        name = f"{type(orig).__module__}.{type(orig).__name__}"
        context.sqlalchemy_exception.args = (f"({name}) {primary}",)


class _NoResultRows(logging.Filter):
    """At DEBUG, SQLAlchemy logs every row it fetches, hide_parameters or not: drop those."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).endswith("Row %r")


_engine_logger = logging.getLogger("sqlalchemy.engine.Engine")
if not any(isinstance(f, _NoResultRows) for f in _engine_logger.filters):
    _engine_logger.addFilter(_NoResultRows())
