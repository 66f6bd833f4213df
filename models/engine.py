"""Engines that behave well on both SQLite and PostgreSQL, and keep personal data out of logs."""

import logging
import sqlite3
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_MS = 15000


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout, foreign keys and IMMEDIATE writes.

    Statement parameters (phone numbers, message texts) never appear in logged statements or
    in the text of database errors."""
    if make_url(url).get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)
        event.listen(engine, "handle_error", _without_detail)
        return engine
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True, **kwargs
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    # Let us issue BEGIN ourselves (pysqlite would defer it until the first write).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    # A transaction that reads then writes can otherwise fail with "database is locked"
    # instead of waiting: take the write lock up front.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


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
