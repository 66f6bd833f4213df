"""The council's weekly digest (`figures()`) for one community at N residents and 10 N messages
in and out, against a bare baseline: the same participation counts, for the week and the week
before, as one hand-written aggregate query per table and week.

The messages (half inbound, half outbox; four in five by SMS) are spread evenly from two weeks
before the week before the digest's to three days after it (24 days), so the digest's week
holds 7/24 of them. Rows go in with INSERT ... SELECT over a generated series of numbers, not
one ORM object per row.
"""

from datetime import UTC, datetime, timedelta
from time import perf_counter

from sqlalchemy import text

from bench.harness import Side, interleave, project_app, report, seconds
from bench.population import add_members
from bot.context import get_db
from bot.domain.digest import figures, last_completed
from models import Community

DISTRICTS = 12  # postcode districts, for the digest's turnout by area

# A week's counts as the digest's participation figures, one aggregate query per table: residents,
# messages in, messages out, ideas. The baseline runs them for the week and the week before.
BARE = (
    "SELECT SUM(CASE WHEN consent_at >= :start AND consent_at < :end THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN opted_out_at >= :start AND opted_out_at < :end THEN 1 ELSE 0 END) "
    "FROM resident WHERE community_id = :c",
    "SELECT COUNT(DISTINCT resident_id), SUM(CASE WHEN channel = 'sms' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN channel = 'telegram' THEN 1 ELSE 0 END) FROM inbound_message "
    "WHERE community_id = :c AND received_at >= :start AND received_at < :end",
    "SELECT SUM(CASE WHEN channel = 'sms' THEN segments ELSE 0 END), "
    "SUM(CASE WHEN channel = 'sms' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN channel = 'telegram' THEN 1 ELSE 0 END) FROM outbox_message "
    "WHERE community_id = :c AND sent_at >= :start AND sent_at < :end",
    "SELECT COUNT(*) FROM idea WHERE community_id = :c AND created_at >= :start AND created_at < :end",
)


def run(db_kind: str, url: str, quick: bool, count: int | None = None) -> None:
    residents = count or (2_000 if quick else 100_000)
    messages = residents * 10  # 1,000,000 at 100,000 residents
    rounds = 2 if quick else 3
    db = get_db(project_app(url))
    with db.transaction() as session:
        community = add_members(session, residents)
    tz = community.timezone
    week = last_completed(datetime(2026, 11, 26, 12, tzinfo=UTC), tz)
    now = week.end + timedelta(days=3)
    start = week.start - timedelta(weeks=2)  # two weeks before the one before
    built = _build(db.engine, community.id, residents, messages, start, now)
    weeks = [_bind(db_kind, community.id, w) for w in (week, week.previous(tz))]
    counts: dict[str, object] = {}

    def project(side: Side) -> None:
        with db.transaction() as session:
            digest = figures(session, session.get(Community, community.id), week, now)
        counts["project"] = digest["participation"]
        side.items += 1

    def baseline(side: Side) -> None:
        with db.engine.connect() as connection:
            counts["baseline"] = [
                [tuple(connection.execute(text(sql), bounds).one()) for sql in BARE] for bounds in weeks
            ]
        side.items += 1

    ours, bare = interleave(rounds, project, baseline)
    _check(counts["project"], counts["baseline"])
    report(f"digest {residents:,} residents, {messages:,} messages ({db_kind})", ours, bare, "digest")
    seconds(
        "one digest",
        {
            "project": ours.seconds / ours.items,
            "baseline": bare.seconds / bare.items,
            "building the data": built,
        },
    )


def _build(engine, community_id: int, residents: int, messages: int, start: datetime, end: datetime) -> float:
    """Messages in and out spread evenly from `start` to `end`; residents who joined and left
    over the same weeks, in a dozen areas. Returns the seconds it took."""
    began = perf_counter()
    span = int((end - start).total_seconds())
    half = messages // 2
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        first = connection.execute(
            text("SELECT MIN(id) FROM resident WHERE community_id = :c"), {"c": community_id}
        ).scalar_one()
        values = {
            "c": community_id,
            "first": first,
            "residents": residents,
            "t0": int(start.timestamp()),
            "span": span,
            "n": half,
        }
        # The moment of row i of n, as each database stores an aware UTC datetime.
        at = (
            "to_timestamp(:t0 + (n.i::bigint * :span) / :n)"
            if pg
            else "strftime('%Y-%m-%d %H:%M:%S', :t0 + (n.i * :span) / :n, 'unixepoch') || '.000000'"
        )
        series = (
            "generate_series(0, :n - 1) AS n(i)"
            if pg
            else "(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < :n) "
            "SELECT i FROM s) AS n"
        )
        channel = "CASE WHEN n.i % 5 = 4 THEN 'telegram' ELSE 'sms' END"
        resident = ":first + n.i % :residents"
        connection.execute(
            text(
                f"INSERT INTO inbound_message (channel, provider_message_id, community_id, resident_id, "
                f"sender, body, received_at) SELECT {channel}, 'bench-' || n.i, :c, {resident}, NULL, "
                f"'BUDGET', {at} FROM {series}"
            ),
            values,
        )
        # One in twenty never went (failed or cancelled): no sent_at, not counted.
        sent = f"CASE WHEN n.i % 20 = 0 THEN NULL ELSE {at} END"
        connection.execute(
            text(
                f"INSERT INTO outbox_message (community_id, resident_id, channel, address, body, segments, "
                f"erase_after_send, status, attempts, next_attempt_at, created_at, sent_at) "
                f"SELECT :c, {resident}, {channel}, NULL, 'Budget news', 1 + n.i % 3 / 2, :no, "
                f"CASE WHEN n.i % 20 = 0 THEN 'failed' ELSE 'sent' END, 1, {at}, {at}, {sent} "
                f"FROM {series}"
            ),
            dict(values, no=False),
        )
        # Residents joined over the weeks; one in fifty has opted out since.
        values["n"] = residents
        at = at.replace("n.i", "(resident.id - :first)")
        connection.execute(
            text(
                f"UPDATE resident SET consent_at = {at}, "
                f"postcode_district = 'AB' || ((resident.id - :first) % {DISTRICTS}), "
                f"opted_out = ((resident.id - :first) % 50 = 7), "
                f"opted_out_at = CASE WHEN (resident.id - :first) % 50 = 7 THEN {at} END "
                f"WHERE community_id = :c"
            ),
            values,
        )
        if pg:  # as autovacuum would soon after a load like this; nobody runs ANALYZE on SQLite
            connection.execute(text("ANALYZE"))
    if pg:
        _vacuum(engine, ("resident", "inbound_message", "outbox_message"))
    return perf_counter() - began


def _vacuum(engine, tables: tuple[str, ...]) -> None:
    """Mark the loaded pages all-visible, as autovacuum does after many inserts, so PostgreSQL
    can count off an index alone (VACUUM runs outside a transaction)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM {', '.join(tables)}"))


def _bind(db_kind: str, community_id: int, week) -> dict:
    """A week's bounds as the column stores them (SQLite: text, compared as text)."""
    bounds = {"start": week.start, "end": week.end}
    if db_kind == "sqlite":
        bounds = {k: v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") for k, v in bounds.items()}
    return {"c": community_id, **bounds}


def _check(ours: dict, bare: list) -> None:
    """Both sides counted the same, so the baseline is a fair one."""
    keys = (
        ("new_residents", "opt_outs"),
        ("active_residents", "messages_in_sms", "messages_in_telegram"),
        ("sms_segments_sent", "messages_out_sms", "messages_out_telegram"),
        ("new_ideas",),
    )
    for when, week in zip(("this_week", "last_week"), bare, strict=True):
        for names, row in zip(keys, week, strict=True):
            for name, value in zip(names, row, strict=True):
                assert ours[name][when] == int(value or 0), (name, when, ours[name], value)
