"""The scheduler: jobs on a fixed clock, catch-up after downtime, the lease, and the real thing."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from bot.context import get_db
from bot.domain import rounds
from bot.domain.communities import create_community
from bot.web.app import create_app
from models import OutboxMessage, Round
from scheduler import jobs, lease, runtime
from scheduler.service import apply_jobs, build, prepare, wanted_jobs
from tests.round_helpers import make_round


@pytest.fixture
def sched(app):
    scheduler = build(app, blocking=False)
    runtime.bind(app, scheduler, "test-holder")
    scheduler.start(paused=True)  # jobs are stored and listed, never run: the test calls them
    yield scheduler
    scheduler.shutdown(wait=False)


def _round(db, round_id) -> Round:
    with db.transaction() as session:
        return session.get(Round, round_id)


def _sent(db, prefix: str) -> int:
    with db.transaction() as session:
        return session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.idempotency_key.like(prefix + "%"))
        )


def test_timed_jobs_act_only_when_the_round_is_due(sched, db, clock, community):
    round_id = make_round(db, community, clock(), remind_after=timedelta(days=1))
    jobs.open_round(round_id)
    assert _round(db, round_id).status == "scheduled"  # fired early: nothing happens
    clock.advance(hours=1)
    jobs.open_round(round_id)
    jobs.open_round(round_id)  # fired twice: one ballot each
    assert _round(db, round_id).status == "open" and _sent(db, "round-open:") == 2
    clock.advance(days=1)
    jobs.remind_round(round_id)
    jobs.remind_round(round_id)
    assert _sent(db, "round-remind:") == 2
    clock.advance(days=1)
    jobs.close_round(round_id)
    jobs.close_round(round_id)
    assert _round(db, round_id).status == "closed" and _sent(db, "round-result:") == 2


def test_a_close_time_that_passed_while_down_is_closed_once_on_start(sched, db, clock, community):
    round_id = make_round(db, community, clock())
    clock.advance(hours=1)
    jobs.catch_up()
    assert _round(db, round_id).status == "open"
    clock.advance(days=5)  # the scheduler was down through the close
    jobs.catch_up()
    jobs.catch_up()
    assert _round(db, round_id).status == "closed"
    assert _sent(db, "round-result:") == 2


def test_a_round_opened_late_past_its_reminder_sends_the_ballot_but_no_reminder(sched, db, clock, community):
    """Down through the opening and the reminder time: on start the round opens, and members
    get the ballot alone, not a reminder in the same breath (twice the texts for nothing)."""
    round_id = make_round(db, community, clock(), remind_after=timedelta(hours=6))
    clock.advance(hours=8)
    jobs.catch_up()
    jobs.remind_round(round_id)
    assert _round(db, round_id).status == "open" and _sent(db, "round-open:") == 2
    assert _sent(db, "round-remind:") == 0
    with db.transaction() as session:  # the organiser sets a new reminder: that one goes
        round_ = session.get(Round, round_id)
        rounds.reschedule_round(session, round_, clock(), remind_at=clock() + timedelta(hours=1))
    clock.advance(hours=1)
    jobs.catch_up()
    assert _sent(db, "round-remind:") == 2


def test_a_round_whose_whole_vote_was_missed_is_cancelled_not_opened(sched, db, clock, community):
    round_id = make_round(db, community, clock())
    clock.advance(days=10)
    jobs.catch_up()
    assert _round(db, round_id).status == "cancelled" and _sent(db, "round-open:") == 0


def test_a_rescheduled_round_ignores_its_old_time(sched, db, clock, community):
    round_id = make_round(db, community, clock())
    with db.transaction() as session:
        rounds.reschedule_round(
            session, session.get(Round, round_id), clock(), opens_at=clock() + timedelta(days=1)
        )
    clock.advance(hours=1)
    jobs.open_round(round_id)  # the job for the old time fires
    assert _round(db, round_id).status == "scheduled"


def test_jobs_follow_the_rounds_and_communities(sched, db, clock, community):
    round_id = make_round(db, community, clock(), remind_after=timedelta(days=1))
    with db.transaction() as session:
        session.merge(community).digest_recipients = ["council@example.org"]
    with db.transaction() as session:
        wanted = wanted_jobs(session, clock())
    apply_jobs(sched, wanted)
    ids = {job.id: job for job in sched.get_jobs()}
    assert set(ids) == {
        f"round-{round_id}-open",
        f"round-{round_id}-remind",
        f"round-{round_id}-close",
        f"digest-{community.id}",
    }
    assert ids[f"round-{round_id}-open"].func_ref == "scheduler.jobs:open_round"
    assert ids[f"round-{round_id}-open"].args == (round_id,)
    assert (
        ids[f"round-{round_id}-open"].misfire_grace_time >= 86400 and ids[f"round-{round_id}-open"].coalesce
    )
    with db.transaction() as session:
        rounds.cancel_round(session, session.get(Round, round_id), clock())
        wanted = wanted_jobs(session, clock())
    apply_jobs(sched, wanted)
    assert {job.id for job in sched.get_jobs()} == {f"digest-{community.id}"}


def test_only_one_scheduler_holds_the_lease(db):
    start = datetime(2026, 11, 26, 10, tzinfo=UTC)
    assert lease.acquire(db, "a", start) is not None
    assert lease.acquire(db, "b", start + timedelta(seconds=30)) is None
    assert lease.acquire(db, "a", start + timedelta(seconds=60)) is not None  # renewed
    later = start + timedelta(seconds=60) + lease.TTL + timedelta(seconds=1)
    assert lease.acquire(db, "b", later) is not None  # a stopped renewing: b takes over
    assert lease.current(db).holder == "b"


def test_a_second_scheduler_exits_with_a_clear_message(cp, db, clock):
    lease.acquire(db, "other-host:123:abc", clock())
    result = cp("scheduler")
    assert result.exit_code == 1
    assert "another scheduler (other-host:123:abc) is running" in result.output
    assert "--wait" in result.output


def test_a_scheduler_that_lost_its_lease_stops(app, db, clock):
    scheduler = build(app, blocking=False)
    runtime.bind(app, scheduler, "me")
    lease.acquire(db, "someone-else", clock())
    scheduler.start(paused=True)
    jobs.renew_lease()
    assert not scheduler.running


def test_retention_erases_old_texts_and_keeps_counts(sched, db, clock, member, app):
    member.say("IDEA more benches")
    app.config["RETENTION_DAYS"] = 30
    clock.advance(days=31)
    member.say("BUDGET")  # recent: kept
    jobs.retention()
    with db.transaction() as session:
        from models import InboundLog

        logs = session.scalars(select(InboundLog).order_by(InboundLog.id)).all()
        outbox = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [log.body for log in logs] == [None, None, None, "BUDGET"]
    assert all(log.sender is None for log in logs[:3]) and logs[3].sender == "+447700900123"
    assert [row.body is None for row in outbox] == [True, True, True, False]


@pytest.mark.slow
def test_the_real_scheduler_fires_jobs_and_they_survive_a_restart(database_url):
    """The one test on the real clock, by design: APScheduler fires jobs by it. Its times are
    seconds from whatever now is, so it passes on any date (marked slow: it waits for them)."""
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})  # the real clock
    db = get_db(app)
    try:
        now = datetime.now(UTC)
        with db.transaction() as session:
            community = create_community(
                session,
                name="Live",
                slug="live",
                budget_total_pence=10**7,
                join_code="LIVE",
                sms_number="+441632960077",
                now=now,
            )
        round_id = make_round(db, community, now, opens_in=timedelta(seconds=3), lasts=timedelta(seconds=2))
        first = prepare(app, "first", blocking=False)
        first.start()
        deadline = time.monotonic() + 10
        while not first.get_job(f"round-{round_id}-close") and time.monotonic() < deadline:
            time.sleep(0.1)
        first.shutdown()  # down before the round opens: its jobs wait in the database
        with db.engine.connect() as connection:
            stored = set(connection.execute(text("SELECT id FROM apscheduler_jobs")).scalars())
        assert {f"round-{round_id}-open", f"round-{round_id}-close"} <= stored
        while datetime.now(UTC) < now + timedelta(seconds=4):
            time.sleep(0.1)  # the opening time passes while no scheduler runs: a misfire
        assert _round(db, round_id).status == "scheduled"
        second = build(app, blocking=False)  # no catch-up: only the stored jobs can act
        runtime.bind(app, second, "second")
        second.start()
        try:
            deadline = time.monotonic() + 20
            while _round(db, round_id).status != "closed" and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            second.shutdown()
        assert _round(db, round_id).status == "closed"
        assert _sent(db, "round-open:") == 2 and _sent(db, "round-result:") == 2
    finally:
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
        db.dispose()


class _Started:
    """Stands in for the BlockingScheduler, which would run until stopped."""

    def start(self):
        pass

    def shutdown(self, wait=True):
        pass


def test_a_scheduler_killed_with_kill_9_is_taken_over_at_once(cp, db, clock, monkeypatch):
    """Issue 26 (11): after a kill -9 the next scheduler refused to start until the dead one's
    lease ran out (up to 90 s). A lease held by a process of this machine that is gone is free."""
    import socket
    import subprocess

    import scheduler.cli
    import scheduler.service

    gone = subprocess.Popen(["true"])
    gone.wait()
    lease.acquire(db, f"{socket.gethostname()}:{gone.pid}:dead0000", clock())
    monkeypatch.setattr(scheduler.service, "prepare", lambda *args, **kwargs: _Started())
    monkeypatch.setattr(scheduler.cli.signal, "signal", lambda *args: None)  # not this process's SIGTERM
    result = cp("scheduler")
    assert result.exit_code == 0, result.output
    assert "Scheduler running" in result.output and "Took over" in result.output


def test_a_live_schedulers_lease_on_this_machine_is_still_respected(cp, db, clock):
    import os
    import socket

    lease.acquire(db, f"{socket.gethostname()}:{os.getpid()}:alive000", clock())
    result = cp("scheduler")
    assert result.exit_code == 1 and "another scheduler" in result.output
