"""Inbound SMS webhooks: the real route against a bare Flask + SQLAlchemy app that verifies the
Twilio signature, inserts one row, commits and answers empty TwiML (both through the WSGI
test client, so only the apps are compared)."""

import itertools
import os
import time

from flask import Flask, Response, abort, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bench.harness import NUMBER, PUBLIC, TOKEN, Side, interleave, project_app, report
from models.engine import make_engine

PATH = "/webhooks/twilio/sms"
SCRIPT = ["hi", "YES", "BUDGET", "IDEA a bench by the pond", "500", "HELP"]
BARE = MetaData()
bare_inbound = Table(
    "bench_inbound",
    BARE,
    Column("id", Integer, primary_key=True),
    Column("sid", String(64), unique=True),
    Column("sender", String(64)),
    Column("body", Text),
    Column("received_at", DateTime(timezone=True)),
)


def bare_app(url: str, reply: str | None = None) -> Flask:
    """Verify, insert, commit, and answer empty TwiML, or TwiML that says `reply`."""
    engine = make_engine(url)
    BARE.create_all(engine)
    app = Flask("bare")
    validator = RequestValidator(TOKEN)

    @app.post(PATH)
    def sms():
        if not validator.validate(PUBLIC + PATH, request.form, request.headers.get("X-Twilio-Signature", "")):
            abort(403)
        with engine.begin() as connection:
            connection.execute(
                insert(bare_inbound).values(
                    sid=request.form["MessageSid"],
                    sender=request.form["From"],
                    body=request.form.get("Body", ""),
                    received_at=time_now(),
                )
            )
        twiml = MessagingResponse()
        if reply is not None:
            twiml.message(reply)
        return Response(str(twiml), mimetype="text/xml")

    return app


def time_now():
    from models import utcnow

    return utcnow()


def run(db_kind: str, url: str, quick: bool) -> None:
    per_round, rounds = (60, 2) if quick else (500, 6)
    answer = os.environ.get("BENCH_INBOUND_ANSWER", "inline")  # "worker": store and acknowledge only
    ours, bare = project_app(url, INBOUND_ANSWER=answer).test_client(), bare_app(url).test_client()
    validator = RequestValidator(TOKEN)
    numbers = itertools.count()

    def post(client, side: Side, prefix: str) -> None:
        for _ in range(per_round):
            n = next(numbers)
            params = {
                "MessageSid": f"SM{prefix}{n:030d}",
                "From": f"+4477009{n % 300:05d}",
                "To": NUMBER,
                "Body": SCRIPT[n // 300 % len(SCRIPT)],
            }
            signature = validator.compute_signature(PUBLIC + PATH, params)
            started = time.perf_counter()
            response = client.post(PATH, data=params, headers={"X-Twilio-Signature": signature})
            side.latencies.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
            side.items += 1

    project, baseline = interleave(
        rounds, lambda side: post(ours, side, "p"), lambda side: post(bare, side, "b")
    )
    report(f"inbound ({db_kind}, answered {answer})", project, baseline, "msg")
