"""A budget update broadcast to N members (set-based, bench/README.md) against a bare
INSERT ... SELECT of one row per member; the per-member notify() loop it replaced is timed once
beside them, for the before/after figure."""

import time

from sqlalchemy import delete, text

from bench.harness import Side, interleave, project_app, report, seconds
from bench.population import add_members
from bot.context import get_db
from bot.domain import ledger
from bot.domain.notify import members, notify
from models import OutboxMessage, utcnow

BARE = (
    "INSERT INTO bench_broadcast (resident_id, address, body) "
    "SELECT r.id, i.value, :body FROM resident r JOIN identity i ON i.resident_id = r.id "
    "WHERE r.community_id = :community AND r.status = 'active' AND r.opted_out = :no"
)


def run(db_kind: str, url: str, quick: bool, count: int | None = None) -> None:
    count = count or (2_000 if quick else 10_000)
    rounds = 2 if quick else 3
    db = get_db(project_app(url))
    with db.transaction() as session:
        community = add_members(session, count)
    with db.engine.begin() as connection:
        connection.execute(
            text("CREATE TABLE bench_broadcast (resident_id INTEGER, address VARCHAR(64), body TEXT)")
        )

    def prepare(side: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(OutboxMessage.__table__))
            connection.execute(text("DELETE FROM bench_broadcast"))

    def project(side: Side) -> None:
        with db.transaction() as session:
            update = ledger.post_update(session, community, "The garden opened", utcnow())
            side.items += ledger.broadcast_update(session, community, update, utcnow())

    def baseline(side: Side) -> None:
        with db.engine.begin() as connection:
            side.items += connection.execute(
                text(BARE),
                {
                    "body": "Bench budget news: The garden opened Send BUDGET for the figures.",
                    "community": community.id,
                    "no": False,
                },
            ).rowcount

    ours, bare = interleave(rounds, project, baseline, prepare)
    report(f"broadcast {count:,} members ({db_kind})", ours, bare, "row")
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
