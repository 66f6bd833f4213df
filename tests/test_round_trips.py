"""What a webhook costs the database on PostgreSQL, in round trips (each one waits on a server
that a surge keeps busy), and the pooled connections' health checks that keep it that low."""

import tempfile

import pytest
from psycopg import pq
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from bot.context import get_db
from bot.messaging import spool
from bot.web.app import create_app
from models import InboundLog, PendingAnswer
from models import engine as engines
from tests.tcp_proxy import TcpProxy
from tests.twilio_helpers import inbound, signed, twilio_config

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pytest.fixture
def proxy(database_url):
    url = make_url(database_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    yield proxy
    proxy.close()


@pytest.fixture
def webhook_app(proxy, clock, fake_twilio, tmp_path, community):
    app = create_app(
        {
            "DATABASE_URL": proxy.url,
            "TESTING": True,
            "CLOCK": clock,
            "SPOOL_DIR": str(tmp_path / "spool"),
            "INBOUND_ANSWER": "worker",
            **twilio_config(fake_twilio),
        }
    )
    yield app
    get_db(app).dispose()


def _text(client, body: str, sid: str) -> None:
    params = inbound(body, sid=sid)
    response = client.post("/webhooks/twilio/sms", data=params, headers=signed(params))
    assert response.status_code == 200


class Trace:
    """libpq's trace of every connection the app checks out: the messages both ways."""

    def __init__(self, engine):
        self.engine = engine

    def __enter__(self) -> "Trace":
        self.file = tempfile.TemporaryFile()
        event.listen(self.engine, "checkout", self._on)
        event.listen(self.engine, "checkin", self._off)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "checkout", self._on)
        event.remove(self.engine, "checkin", self._off)
        self.file.close()

    def _on(self, dbapi_connection, _record, _proxy):
        dbapi_connection.pgconn.trace(self.file.fileno())
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

    def _off(self, dbapi_connection, _record):
        if dbapi_connection is not None and not dbapi_connection.closed:
            dbapi_connection.pgconn.untrace()

    def round_trips(self) -> list[str]:
        """What the client sent in each round trip (one per ReadyForQuery the server sent)."""
        self.file.seek(0)
        trips, sent = [], []
        for line in self.file.read().decode().splitlines():
            fields = line.split("\t")
            if len(fields) < 3:  # a multi-line message's continuation
                continue
            direction, _length, kind, *rest = fields
            if direction == "F" and kind in ("Query", "Parse", "Bind"):
                sent.append(f"{kind} {' '.join(rest)[:40]}")
            if direction == "B" and kind == "ReadyForQuery":
                trips.append("; ".join(sent))
                sent = []
        return trips


def test_a_webhook_under_steady_use_stores_its_message_in_one_round_trip(webhook_app):
    client = webhook_app.test_client()
    _text(client, "YES", sid="SMfirst")  # the pool's connection is made, and used since
    with Trace(get_db(webhook_app).engine) as trace:
        _text(client, "BUDGET", sid="SMsecond")
        trips = trace.round_trips()
    # the message and its pending answer in one statement: no BEGIN, no COMMIT, no health check
    assert len(trips) == 1, trips
    assert "WITH stored AS" in trips[0], trips
    with get_db(webhook_app).transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboundLog)) == 2
        assert session.scalar(select(func.count()).select_from(PendingAnswer)) == 2


def test_a_pooled_connection_the_server_dropped_while_idle_is_replaced_before_use(
    webhook_app, proxy, monkeypatch
):
    client = webhook_app.test_client()
    _text(client, "YES", sid="SMbefore")
    proxy.cut()  # the server restarts while the pool's connection sits idle
    proxy.restore()
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has been idle long enough
    _text(client, "BUDGET", sid="SMafter")
    # stored at once on a new connection, not spooled for want of one
    assert spool.pending(webhook_app.config["SPOOL_DIR"]) == []
    with get_db(webhook_app).transaction() as session:
        assert session.scalars(select(InboundLog.body).order_by(InboundLog.id)).all() == ["YES", "BUDGET"]


def test_a_connection_in_steady_use_is_not_tested_and_one_dropped_meanwhile_spools_the_message(
    webhook_app, proxy
):
    client = webhook_app.test_client()
    _text(client, "YES", sid="SMbefore")
    proxy.cut()  # dropped between two webhooks a moment apart: no check would have found it
    proxy.restore()
    _text(client, "BUDGET", sid="SMafter")  # still 200: kept on disk, nothing lost
    assert len(spool.pending(webhook_app.config["SPOOL_DIR"])) == 1
    _text(client, "HELP", sid="SMlater")  # the pool has started afresh: the spool goes first
    assert spool.pending(webhook_app.config["SPOOL_DIR"]) == []
    with get_db(webhook_app).transaction() as session:
        bodies = session.scalars(select(InboundLog.body).order_by(InboundLog.id)).all()
    assert bodies == ["YES", "BUDGET", "HELP"]
