"""Building, starting and keeping the APScheduler 3 scheduler in step with the rounds."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.context import get_db
from models import Community, Council, Round
from models.states import RoundStatus
from scheduler import runtime

logger = logging.getLogger(__name__)

# A job that could not run on time (the process was down or busy) still runs when it can, up to
# a week late: the job itself checks whether it is still due. The default of 1 s would skip it.
MISFIRE_GRACE = int(timedelta(days=7).total_seconds())
CATCH_UP_EVERY = timedelta(minutes=5)
JOB_TABLE = "apscheduler_jobs"


class _StopMeansStop(BaseScheduler):  # type: ignore[misc]  # APScheduler ships no types: Any to mypy
    """A stopped scheduler runs nothing. APScheduler 3.11's loop, woken by shutdown(), processes
    the jobs due by the real clock once more (a paused one included): a late job would run
    during shutdown, on executors already shut down."""

    def _process_jobs(self) -> float | None:
        """Seconds to wait before looking again (None: until woken), as APScheduler's own returns."""
        if self.state == STATE_STOPPED:
            return None
        wait: float | None = super()._process_jobs()
        return wait


class _Blocking(_StopMeansStop, BlockingScheduler):  # type: ignore[misc]  # APScheduler is untyped (Any)
    pass


class _Background(_StopMeansStop, BackgroundScheduler):  # type: ignore[misc]  # as _Blocking
    pass


def build(app: Flask, blocking: bool) -> BaseScheduler:
    store = SQLAlchemyJobStore(engine=get_db(app).engine, tablename=JOB_TABLE)
    kind = _Blocking if blocking else _Background
    return kind(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "misfire_grace_time": MISFIRE_GRACE, "max_instances": 1},
        timezone=UTC,
    )


def prepare(app: Flask, holder: str, blocking: bool) -> BaseScheduler:
    """The scheduler with its standing jobs, not yet started; a catch-up runs first thing."""
    scheduler = build(app, blocking)
    runtime.bind(app, scheduler, holder)
    now = datetime.now(UTC)
    scheduler.add_job(
        "scheduler.jobs:catch_up",
        "interval",
        id="catch-up",
        replace_existing=True,
        seconds=CATCH_UP_EVERY.total_seconds(),
        next_run_time=now,
    )
    scheduler.add_job(
        "scheduler.jobs:retention", "cron", id="retention", replace_existing=True, hour=3, minute=30
    )
    scheduler.add_job("scheduler.jobs:renew_lease", "interval", id="lease", replace_existing=True, seconds=30)
    return scheduler


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str
    trigger: object  # a datetime (run once) or a CronTrigger
    args: tuple[int, ...]  # plain ids


def wanted_jobs(session: Session, now: datetime) -> list[JobSpec]:
    """Timed jobs for every live round's coming times and every digest community and council."""
    wanted = []
    for round_ in session.scalars(
        select(Round).where(
            Round.status.in_((RoundStatus.SCHEDULED, RoundStatus.OPEN)), Round.imported.is_(False)
        )
    ):
        times = [("open", round_.opens_at)] if round_.status == RoundStatus.SCHEDULED else []
        if round_.remind_at is not None and round_.reminded_at is None:
            times.append(("remind", round_.remind_at))
        times.append(("close", round_.closes_at))
        # Keyed by the global id: round numbers repeat across communities, job ids must not.
        wanted += [
            JobSpec(f"round-{round_.id}-{step}", f"scheduler.jobs:{step}_round", when, (round_.id,))
            for step, when in times
            if when > now
        ]
    for community in session.scalars(select(Community)):
        if community.digest_recipients:
            hour, minute = (int(p) for p in community.digest_time.split(":"))
            trigger = CronTrigger(
                day_of_week=community.digest_weekday, hour=hour, minute=minute, timezone=community.timezone
            )
            wanted.append(
                JobSpec(f"digest-{community.id}", "scheduler.jobs:weekly_digest", trigger, (community.id,))
            )
    for council in session.scalars(select(Council)):
        if council.digest_recipients:
            hour, minute = (int(p) for p in council.digest_time.split(":"))
            trigger = CronTrigger(
                day_of_week=council.digest_weekday, hour=hour, minute=minute, timezone=council.timezone
            )
            wanted.append(
                JobSpec(
                    f"digest-council-{council.id}",
                    "scheduler.jobs:weekly_council_digest",
                    trigger,
                    (council.id,),
                )
            )
    return wanted


def apply_jobs(scheduler: BaseScheduler, wanted: list[JobSpec]) -> None:
    """Make the scheduler's round and digest jobs exactly `wanted` (outside any transaction of
    ours: on SQLite the job store needs the write lock)."""
    by_id = {spec.id: spec for spec in wanted}
    for job in scheduler.get_jobs():
        if job.id.startswith(("round-", "digest-")) and job.id not in by_id:
            scheduler.remove_job(job.id)
    for spec in wanted:
        job = scheduler.get_job(spec.id)
        if isinstance(spec.trigger, datetime):
            if job is None or job.next_run_time != spec.trigger:
                scheduler.add_job(
                    spec.func,
                    "date",
                    run_date=spec.trigger,
                    args=spec.args,
                    id=spec.id,
                    replace_existing=True,
                )
        elif job is None or str(job.trigger) != str(spec.trigger):
            scheduler.add_job(spec.func, spec.trigger, args=spec.args, id=spec.id, replace_existing=True)
