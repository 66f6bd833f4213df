"""The dispatcher against a local fake Twilio (pacing off), against a bare loop that claims
rows with one UPDATE ... RETURNING a batch, POSTs each with one HTTP session and marks the
batch sent with one executemany.

With workers (`python -m bench.dispatch --db postgresql --workers 2`, or
BENCH_DISPATCH_WORKERS=2 with `python -m bench dispatch`), it also measures how the dispatcher
scales: 1 worker, then N, each a process of its own (as `commonpurse worker` is) draining the
same queue against the same fake, interleaved; it checks every message went exactly once."""

import argparse
import multiprocessing
import os
import sys
import time

import requests
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    select,
    update,
)

from bench import harness
from bench.harness import NUMBER, Side, interleave, project_app, report
from bot.context import Database, get_db
from bot.domain.outbox import enqueue
from bot.messaging.dispatcher import Dispatcher
from channels.messages import Address
from channels.pacing import Pacer
from channels.twilio_sms import TwilioSettings, TwilioSMSChannel
from models import OutboxMessage, utcnow
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.fakes import serve_in_thread

BARE = MetaData()
bare_outbox = Table(
    "bench_outbox",
    BARE,
    Column("id", Integer, primary_key=True),
    Column("address", String(64)),
    Column("body", Text),
    Column("status", String(20)),
    Column("provider_id", String(100)),
    Column("sent_at", DateTime(timezone=True)),
)


def run(db_kind: str, url: str, quick: bool, workers: int | None = None, with_ratio: bool = True) -> None:
    """The ratio against the bare loop; then, with workers > 1, the scaling."""
    if workers is None:
        workers = int(os.environ.get("BENCH_DISPATCH_WORKERS") or 1)
    fake = FakeTwilio()
    port, stop = serve_in_thread(fake.app())
    api = f"http://127.0.0.1:{port}"
    app = project_app(url)
    try:
        if with_ratio:
            ratio(db_kind, get_db(app), api, quick)
        if workers > 1:
            scaling(db_kind, url, get_db(app), api, fake, quick, workers)
    finally:
        stop()


def ratio(db_kind: str, db: Database, api: str, quick: bool) -> None:
    """One dispatcher against the bare loop, interleaved."""
    per_round, rounds = (150, 2) if quick else (2000, 4)
    BARE.create_all(db.engine)
    dispatcher = Dispatcher(db, {"sms": _channel(api)}, utcnow)
    http = requests.Session()
    http.auth = (ACCOUNT_SID, AUTH_TOKEN)
    messages = f"{api}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"

    def prepare(side: str) -> None:
        if side == "project":
            _queue(db, per_round, "news {n}")
            return
        with db.engine.begin() as connection:
            connection.execute(
                insert(bare_outbox),
                [
                    dict(address=f"+4477009{n:05d}", body=f"news {n}", status="queued")
                    for n in range(per_round)
                ],
            )

    def project(side: Side) -> None:
        while dispatcher.run_once():
            pass
        side.items += per_round

    def baseline(side: Side) -> None:
        while True:
            with db.engine.begin() as connection:
                due = (
                    select(bare_outbox.c.id)
                    .where(bare_outbox.c.status == "queued")
                    .order_by(bare_outbox.c.id)
                    .limit(50)
                )
                if db_kind == "postgresql":
                    due = due.with_for_update(skip_locked=True)
                rows = connection.execute(
                    update(bare_outbox)
                    .where(bare_outbox.c.id.in_(due.scalar_subquery()))
                    .values(status="sending")
                    .returning(bare_outbox.c.id, bare_outbox.c.address, bare_outbox.c.body)
                ).all()
            if not rows:
                break
            sent = []
            for row in rows:
                answer = http.post(messages, data={"To": row.address, "From": NUMBER, "Body": row.body})
                answer.raise_for_status()
                sent.append({"row_id": row.id, "sid": answer.json()["sid"], "at": utcnow()})
            with db.engine.begin() as connection:
                connection.execute(
                    update(bare_outbox)
                    .where(bare_outbox.c.id == bindparam("row_id"))
                    .values(status="sent", provider_id=bindparam("sid"), sent_at=bindparam("at")),
                    sent,
                )
        side.items += per_round

    ours, bare = interleave(rounds, project, baseline, prepare)
    report(f"dispatch ({db_kind})", ours, bare, "msg")


def scaling(
    db_kind: str, url: str, db: Database, api: str, fake: FakeTwilio, quick: bool, workers: int
) -> None:
    """msg/s of 1 worker and of `workers` workers (processes), interleaved, each turn draining
    a fresh queue; every message must reach the fake exactly once."""
    per_round, rounds = (300, 2) if quick else (3000, 3)
    context = multiprocessing.get_context("spawn")  # no forked engine, no forked threads
    commands = [context.Queue() for _ in range(workers)]
    results = context.Queue()
    processes = [
        context.Process(target=_worker, args=(url, api, queue, results), daemon=True) for queue in commands
    ]
    for process in processes:
        process.start()
    try:
        for _ in processes:
            results.get(timeout=120)  # each has imported everything and connected
        rates: dict[int, list[float]] = {1: [], workers: []}
        for _ in range(rounds):
            for count in rates:
                rate, shares = _turn(db, fake, commands[:count], results, per_round)
                rates[count].append(rate)
    finally:
        for queue in commands:
            queue.put(None)
        for process in processes:
            process.join(timeout=30)
    one, many = (sum(rates[n]) / len(rates[n]) for n in (1, workers))
    print(
        f"dispatch workers ({db_kind}): 1 worker {one:,.0f} msg/s, {workers} workers "
        f"{many:,.0f} msg/s (x{many / one:.2f}); per turn: "
        + ", ".join(f"{n}: " + " ".join(f"{r:,.0f}" for r in rates[n]) for n in rates)
        + f"; last turn's shares {'/'.join(map(str, shares))}",
        flush=True,
    )


def _turn(db: Database, fake: FakeTwilio, commands, results, count: int) -> tuple[float, list[int]]:
    """Queue `count` messages, let the given workers drain them; msg/s, and how many each
    worker took."""
    _queue(db, count, f"news {{n}} of turn {time.monotonic_ns()}")
    before = len(fake.sent)
    started = time.perf_counter()
    for queue in commands:
        queue.put("drain")
    shares = sorted((results.get(timeout=600) for _ in commands), reverse=True)
    attempted = sum(shares)
    elapsed = time.perf_counter() - started
    sent = [s.form["Body"] for s in fake.sent[before:]]
    with db.engine.connect() as connection:
        waiting = connection.scalar(select(func.count()).where(OutboxMessage.status != "sent"))
    if attempted != count or len(sent) != count or len(set(sent)) != count or waiting:
        raise AssertionError(
            f"{len(commands)} workers: {count} queued, {attempted} attempted, "
            f"{len(sent)} sent ({len(set(sent))} distinct), {waiting} not sent"
        )
    return count / elapsed, shares


def _worker(url: str, api: str, commands, results) -> None:
    """A dispatcher process: on each "drain", run passes until one finds nothing; report how
    many rows it attempted."""
    db = Database(url)
    dispatcher = Dispatcher(db, {"sms": _channel(api)}, utcnow)
    with db.engine.connect():
        pass  # connect now, not in the first timed turn
    results.put(0)
    for _ in iter(commands.get, None):
        attempted = 0
        while sent := dispatcher.run_once():
            attempted += sent
        results.put(attempted)
    db.dispose()


def _channel(api: str) -> TwilioSMSChannel:
    """The real SMS sender, pointed at the fake, pacing off."""
    return TwilioSMSChannel(TwilioSettings(ACCOUNT_SID, AUTH_TOKEN, api_url=api), pacer=Pacer(10**9))


def _queue(db: Database, count: int, text: str) -> None:
    """`count` SMS in the outbox; `text` is formatted with each one's number `n`."""
    with db.transaction() as session:
        for n in range(count):
            enqueue(
                session,
                address=Address("sms", f"+4477009{n:05d}"),
                text=text.format(n=n),
                now=utcnow(),
                sender=NUMBER,
            )


def main(argv: list[str]) -> int:
    """`python -m bench.dispatch --db postgresql --workers 2 [--quick] [--with-ratio]`."""
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--with-ratio", action="store_true", help="the ratio line first")
    args = parser.parse_args(argv)
    url = harness.database_url(args.db)
    try:
        run(args.db, url, args.quick, args.workers, with_ratio=args.with_ratio)
    finally:
        harness.drop(args.db)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
