"""Broadcasts to N members (set-based, bench/README.md), each against a bare INSERT ... SELECT of
one row per member into a table of three columns: a budget update, and a round opening whose
ballot lists its 50 options in a rotated order per member. Beside them, untimed against the
project, the same budget update's rows inserted by hand into the outbox itself (its keys,
indexes and foreign keys): the floor any broadcast into that table stands on. Without
`--quick`, at up to 10,000 members, the per-member notify() loop the set-based broadcast
replaced is timed once, for the before/after figure. Over 100,000 members each side has one
turn, not three. `BENCH_BROADCAST=update` or `ballot` runs one kind only."""

import os
import secrets
import time
from datetime import timedelta

from sqlalchemy import delete, text, update

from bench.harness import Side, interleave, peak_rss_mb, project_app, report, seconds
from bench.population import add_members
from bot.context import get_db
from bot.domain import ledger
from bot.domain.notify import members, notify
from bot.domain.rounds import open_round
from models import OutboxMessage, Round, RoundOption, utcnow

OPTIONS = 50
BODY = "Bench budget news: The garden opened Send BUDGET for the figures."
BARE = (
    "INSERT INTO bench_broadcast (resident_id, address, body) "
    "SELECT r.id, i.value, :body FROM resident r JOIN identity i ON i.resident_id = r.id "
    "WHERE r.community_id = :community AND r.status = 'active' AND r.opted_out = :no"
)
# The same rows as the budget update's, written by hand into the outbox: the floor.
FLOOR = (
    "INSERT INTO outbox_message (community_id, resident_id, channel, address, sender, body, "
    "segments, idempotency_key, erase_after_send, status, attempts, next_attempt_at, created_at) "
    "SELECT :community, r.id, 'sms', i.value, :sender, :body, 1, 'floor:' || CAST(r.id AS VARCHAR), "
    ":no, 'queued', 0, :now, :now FROM resident r JOIN identity i ON i.resident_id = r.id "
    "WHERE r.community_id = :community AND r.status = 'active' AND r.opted_out = :no"
)


def run(db_kind: str, url: str, quick: bool, count: int | None = None) -> None:
    count = count or (2_000 if quick else 10_000)
    rounds = 2 if quick else (3 if count <= 100_000 else 1)
    kinds = os.environ.get("BENCH_BROADCAST", "update,ballot").split(",")
    db = get_db(project_app(url))
    with db.transaction() as session:
        community = add_members(session, count)
    with db.engine.begin() as connection:
        connection.execute(
            text("CREATE TABLE bench_broadcast (resident_id INTEGER, address VARCHAR(64), body TEXT)")
        )
    if db_kind == "postgresql":  # as autovacuum would after so many inserts
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    print(f"  ({count:,} members in; RSS so far {peak_rss_mb():.0f} MB)", flush=True)
    turns: dict[str, list[float]] = {"project": [], "baseline": []}

    def prepare(side: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(OutboxMessage.__table__))
            connection.execute(text("DELETE FROM bench_broadcast"))
            connection.execute(update(Round).values(status="closed"))

    def baseline(side: Side) -> None:
        started = time.perf_counter()
        with db.engine.begin() as connection:
            side.items += connection.execute(
                text(BARE), {"body": BODY, "community": community.id, "no": False}
            ).rowcount
        turns["baseline"].append(time.perf_counter() - started)

    def timed(project):
        def side(s: Side) -> None:
            started = time.perf_counter()
            project(s)
            turns["project"].append(time.perf_counter() - started)

        return side

    def budget_update(side: Side) -> None:
        with db.transaction() as session:
            news = ledger.post_update(session, community, "The garden opened", utcnow())
            side.items += ledger.broadcast_update(session, community, news, utcnow())

    def ballot(side: Side) -> None:
        now = utcnow()
        with db.transaction() as session:
            round_ = Round(
                community_id=community.id,
                title="Park",
                method="approval",
                budget_pence=1_000_000_00,
                opens_at=now,
                closes_at=now + timedelta(days=7),
                created_at=now,
                ballot_order_seed=secrets.token_hex(16),
                options=[
                    RoundOption(number=n, title=f"Idea {n}", cost_pence=100_00 * n)
                    for n in range(1, OPTIONS + 1)
                ],
            )
            session.add(round_)
            session.flush()
            open_round(session, round_, now)
        with db.engine.connect() as connection:
            side.items += connection.execute(
                text("SELECT count(*) FROM outbox_message WHERE idempotency_key LIKE 'round-open:%'")
            ).scalar_one()

    for kind, project, label in (
        ("update", budget_update, "broadcast"),
        ("ballot", ballot, f"  ballot, {OPTIONS} options rotated,"),
    ):
        if kind not in kinds:
            continue
        turns = {"project": [], "baseline": []}
        ours, bare = interleave(rounds, timed(project), baseline, prepare)
        times = ", ".join(f"{name} {min(t):.2f} s" for name, t in turns.items())  # the best turn
        if label == "broadcast":  # the ratio line the smoke test counts
            report(f"broadcast {count:,} members ({db_kind})", ours, bare, "row")
        else:
            ratio = ours.rate / bare.rate if bare.rate else 0.0
            print(f"{label} {count:,} members: {ratio:.2f} of the baseline")
        print(f"  {kind}: {times}; RSS so far {peak_rss_mb():.0f} MB", flush=True)
    prepare("floor")
    started = time.perf_counter()
    with db.engine.begin() as connection:
        now = utcnow()
        connection.execute(
            text(FLOOR),
            {"community": community.id, "sender": "+441632960001", "body": BODY, "now": now, "no": False},
        )
    seconds("the same rows inserted by hand into the outbox (the floor)", {"": time.perf_counter() - started})
    if not quick and count <= 10_000:
        prepare("project")
        started = time.perf_counter()
        with db.transaction() as session:
            for resident in members(session, community):
                notify(
                    session,
                    community,
                    resident,
                    "budget_news",
                    utcnow(),
                    update="Before",
                    key=f"legacy:{resident.id}",
                )
        seconds("before (notify per member)", {f"{count:,} members": time.perf_counter() - started})
