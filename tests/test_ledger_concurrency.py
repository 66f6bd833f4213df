"""Two organisers at once cannot spend the same money: the ledger is locked for the check and
the write (a row lock on PostgreSQL, IMMEDIATE transactions on SQLite)."""

import contextlib
import threading

import pytest
from sqlalchemy import event

from bot.domain import ledger
from bot.domain.communities import by_slug
from bot.errors import InvalidInput

PAUSE = 2  # seconds the first organiser waits, after reading what is left, for the other to read too


def _at_once(db, action) -> list[str]:
    """Run `action(session, community)` in two threads, each in its own transaction; each thread
    pauses just after its first read of a total, so without a lock both read the same money.
    Returns what happened in each: "ok" or the refusal."""
    barrier = threading.Barrier(2, timeout=PAUSE)
    paused = threading.local()

    def pause_after_first_sum(conn, cursor, statement, *args):
        if "sum(" in statement.lower() and not getattr(paused, "done", False):
            paused.done = True
            # the other is held by the lock, as it should be
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

    outcomes = []

    def organiser():
        try:
            with db.transaction() as session:
                action(session, by_slug(session, "riverside"))
            outcomes.append("ok")
        except InvalidInput as exc:
            outcomes.append(str(exc))

    event.listen(db.engine, "after_cursor_execute", pause_after_first_sum)
    try:
        threads = [threading.Thread(target=organiser) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        event.remove(db.engine, "after_cursor_execute", pause_after_first_sum)
    return sorted(outcomes)


@pytest.fixture
def small(make_community):
    return make_community(budget_total_pence=10_000_00)


@pytest.mark.slow
def test_two_allocations_at_once_cannot_overspend(db, clock, small):
    outcomes = _at_once(
        db,
        lambda session, community: ledger.allocate(
            session, community, title="Garden", amount_pence=5_000_01, now=clock()
        ),
    )
    assert outcomes == ["ok", "only £4,999.99 is left to allocate"]
    with db.transaction() as session:
        assert ledger.summary(session, by_slug(session, "riverside")).remaining == 4_999_99


@pytest.mark.slow
def test_two_spends_at_once_cannot_overspend_an_allocation(db, clock, small):
    with db.transaction() as session:
        ledger.allocate(
            session, by_slug(session, "riverside"), title="Garden", amount_pence=6_000_00, now=clock()
        )
    outcomes = _at_once(
        db,
        lambda session, community: ledger.spend(
            session,
            community,
            description="Shed",
            amount_pence=4_000_00,
            allocation_number=1,
            spent_on=clock().date(),
            now=clock(),
        ),
    )
    assert outcomes == ["ok", "only £2,000 is left of allocation 1"]
