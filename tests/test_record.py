"""The tamper-evident record (issue 23, item 4): audit and ledger entries hash-chained per
community; `commonpurse audit verify` names the first entry changed, removed or put in straight
in the database; the latest seal is on the public page and in the weekly digest, and a seal kept
from before is checked with --seal; the migration chains the entries already written."""

import contextlib
import os
import re
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.cli import cli
from bot.context import get_db
from bot.domain import ledger
from bot.domain.communities import by_slug, lock_community
from bot.web.app import create_app
from models.engine import make_engine
from models.migrate import upgrade


def _ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def _books(cp):
    _ok(cp("budget", "allocate", "--community", "riverside", "--amount", "£20k", "--title", "Garden"))
    _ok(
        cp(
            "budget",
            "spend",
            "--community",
            "riverside",
            "--amount",
            "£500",
            "--description",
            "Tools",
            "--allocation",
            "1",
        )
    )
    _ok(cp("budget", "spend", "--community", "riverside", "--amount", "£250", "--description", "Seeds"))


def _verify(cp, *more):
    return cp("audit", "verify", "--community", "riverside", *more)


def test_an_intact_record_says_so_with_its_latest_seal(cp, community, client):
    _books(cp)
    said = _ok(_verify(cp))
    entries, seal = re.search(
        r"The record is intact: (\d+) entries, the latest seal ([0-9a-f]{64})\.", said
    ).groups()
    assert int(entries) == 6  # three ledger entries and the audit entry of each
    page = client.get("/c/riverside").get_data(as_text=True)
    assert f'<code class="hash">{seal}</code>' in page and f"It holds {entries}" in " ".join(page.split())
    digest = _ok(cp("digest", "preview", "--community", "riverside"))
    line = f"{entries} entries (the money, and what organisers did); latest seal {seal}"
    assert f"THE RECORD\n  {line}" in digest


def test_a_spending_changed_in_the_database_is_named(cp, community, db):
    _books(cp)
    with db.transaction() as session:
        session.execute(text("UPDATE spending SET amount_pence = 50 WHERE number = 1"))
    result = _verify(cp)
    assert result.exit_code == 1
    assert (
        "The record is NOT intact: entry 3 (spending 1) was changed after it was recorded." in result.output
    )


def test_a_deleted_audit_entry_is_named(cp, community, db):
    _books(cp)
    with db.transaction() as session:
        gone = session.execute(text("SELECT min(id) FROM audit_entry WHERE subject = 'spending 2'")).scalar()
        session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": gone})
    result = _verify(cp)
    assert result.exit_code == 1 and f"(audit entry {gone}) was removed" in result.output


def test_an_entry_put_in_outside_the_record_is_named(cp, community, db):
    _books(cp)
    with db.transaction() as session:
        session.execute(
            text(
                "INSERT INTO spending (community_id, number, amount_pence, description, spent_on, "
                "over_allocation, created_at) SELECT id, 3, 100, 'Cash', '2026-11-26', false, "
                "'2026-11-26 12:00:00' FROM community"
            )
        )
    result = _verify(cp)
    assert (
        result.exit_code == 1 and "spending 3 is not in the record: it was put in outside it" in result.output
    )


def test_a_seal_kept_from_before_is_found_and_a_forged_one_is_not(cp, community):
    _ok(cp("budget", "allocate", "--community", "riverside", "--amount", "£20k", "--title", "Garden"))
    kept = re.search(r"latest seal ([0-9a-f]{64})", _ok(_verify(cp)))[1]
    _books(cp)
    assert "is entry 2 of the record" in _ok(_verify(cp, "--seal", kept))
    forged = _verify(cp, "--seal", "f" * 64)
    assert forged.exit_code == 1 and "is NOT part of this record" in forged.output


def test_the_migration_chains_the_entries_already_written(backend, tmp_path):
    """A database from before the record: its entries are linked once, oldest first."""
    schema = None
    if backend.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:  # a schema of its own, dropped after: the worker's schema stays as the others need it
        schema = f"cp_migration_{os.getpid()}"
        admin = make_engine(backend.url)
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        admin.dispose()
        url = make_url(backend.url).update_query_dict({"options": f"-csearch_path={schema}"})
        url = url.render_as_string(hide_password=False)
    try:
        _old_database_then_upgrade(url)
        app = create_app({"DATABASE_URL": url, "TESTING": True})
        try:
            said = _ok(app.test_cli_runner().invoke(cli, ["audit", "verify", "--community", "old"]))
        finally:
            get_db(app).dispose()
        assert "The record is intact: 1 entry" in said
    finally:
        if schema:
            admin = make_engine(backend.url)
            with admin.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()


def _old_database_then_upgrade(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine, "0023")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO community (name, slug, join_code, budget_total_pence, currency, timezone, "
            "languages, verification, postcode_areas, digest_recipients, digest_weekday, digest_time, "
            "public_page, created_at) VALUES ('Old Town', 'old', 'OLD1', 100000, 'GBP', 'Europe/London', "
            "'[\"en\"]', 'none', '[]', '[]', 0, '09:00', true, '2026-01-01 00:00:00')"
        )
        connection.exec_driver_sql(
            "INSERT INTO allocation (community_id, number, title, amount_pence, created_at) "
            "SELECT id, 1, 'Hall', 5000, '2026-02-01 00:00:00' FROM community"
        )
    upgrade(engine)
    engine.dispose()


def test_two_writers_at_once_extend_the_record_in_turn(db, clock, community, cp):
    """Each organiser's transaction already refers to the community (a budget update) when it
    records an allocation: on PostgreSQL a plain FOR UPDATE on the community for the record then
    deadlocked the two ("deadlock detected", one change lost); the record's lock is the ledger's."""
    barrier = threading.Barrier(2, timeout=2)
    outcomes = []

    def organiser(n: int) -> None:
        try:
            with db.transaction() as session:
                place = by_slug(session, "riverside")
                ledger.post_update(session, place, f"News {n}", clock())
                session.flush()
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait()  # both now hold a reference to the community
                ledger.allocate(session, place, title=f"Project {n}", amount_pence=100_00, now=clock())
            outcomes.append("ok")
        except Exception as exc:  # what a user would see as a failed change
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=organiser, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["ok", "ok"]
    assert "The record is intact: 2 entries" in _ok(_verify(cp))


def test_the_record_reads_the_same_whatever_the_connections_time_zone(
    backend, database_url, clock, cp, community
):
    """PostgreSQL gives times in the connection's zone: a summer entry hashed as 13:00+01:00 read
    as changed when written at 12:00+00:00 (after a restore to a server set to Europe/London)."""
    clock.current = datetime(2026, 6, 1, 12, tzinfo=UTC)
    _books(cp)
    url = database_url
    if backend.name == "postgresql":
        options = make_url(url).query.get("options", "")
        url = make_url(url).update_query_dict({"options": f"{options} -ctimezone=Europe/London"})
        url = url.render_as_string(hide_password=False)
    app = create_app({"DATABASE_URL": url, "TESTING": True, "CLOCK": clock})
    try:
        said = _ok(app.test_cli_runner().invoke(cli, ["audit", "verify", "--community", "riverside"]))
    finally:
        get_db(app).dispose()
    assert "The record is intact: 6 entries" in said


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite: one writer at a time
def test_a_stop_during_a_long_close_is_not_held_up_by_the_record(db, clock, member, cp):
    """A round's close holds its community while it counts and queues the results (a minute for
    a million members), and wrote its entries into the record as it went, holding the record
    too: a STOP, whose consent entry goes into the record, waited for the whole close, and the
    messages it stops kept going meanwhile. Entries are linked as their transaction commits."""
    stopped = threading.Event()
    with db.transaction() as session:
        community = by_slug(session, "riverside")
        lock_community(session, community)  # as close_round does, first thing
        ledger.post_update(session, community, "Results on their way", clock())
        session.flush()  # its audit entry is written
        stopper = threading.Thread(target=lambda: member.say("STOP") and stopped.set(), daemon=True)
        stopper.start()
        assert stopped.wait(timeout=10), "the STOP waited for the close to commit"
    stopper.join()
    with db.transaction() as session:
        assert session.execute(text("SELECT opted_out FROM resident")).scalar_one() is True
    assert re.search(r"The record is intact: \d+ entries", _ok(_verify(cp)))


def test_an_entry_rolled_back_with_its_savepoint_is_in_no_record(db, clock, make_community, cp):
    """A form's attempt is made in a savepoint and undone when refused: its entry never was.
    SQLite gives its id to the next entry, here another community's, which must go into that
    community's record alone (it was also linked into the first one's: `verify` said tampered)."""
    from bot.domain import audit

    make_community()
    make_community(slug="hillside", name="Hillside", sms_number="+447700900999", join_code="HILL")
    with db.transaction() as session:
        riverside, hillside = by_slug(session, "riverside"), by_slug(session, "hillside")
        with session.begin_nested() as attempt:
            audit.note(session, [riverside], "organiser sam@example.org", "tried something", clock())
            session.flush()
            attempt.rollback()
        audit.note(session, [hillside], "organiser sam@example.org", "did something", clock())
    for slug in ("riverside", "hillside"):
        result = cp("audit", "verify", "--community", slug)
        assert result.exit_code == 0 and "The record is intact" in result.output, (slug, result.output)
