"""Job functions, referenced by text ("scheduler.jobs:close_round") with plain ids as arguments.

Each one asks the domain tables whether it is time, so a job that fires late, twice, or for a
round since rescheduled does the right thing.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bot.context import get_db
from bot.domain import audit, round_times
from bot.messaging import council_digest, digest
from bot.messaging.mailer import mail_settings
from bot.messaging.retention import erase_old_messages
from models import Round, utcnow
from models.states import RoundStatus
from scheduler import lease, runtime
from scheduler.service import apply_jobs, wanted_jobs

logger = logging.getLogger(__name__)

CLOSE_AGAIN = timedelta(seconds=10)


def _now() -> datetime:
    clock: Callable[[], datetime] = runtime.app().config.get("CLOCK", utcnow)  # tests fix it
    return clock()


def _round_step(round_id: int, step: Callable[[Session, Round, datetime], bool]) -> None:
    app = runtime.app()
    with audit.acting_as("scheduler"), app.app_context(), get_db(app).transaction() as session:
        round_ = session.get(Round, round_id)
        if round_ is not None and step(session, round_, _now()):
            logger.info("round %s: %s", round_id, step.__name__.removesuffix("_if_due"))


def open_round(round_id: int) -> None:
    _round_step(round_id, round_times.open_if_due)


def remind_round(round_id: int) -> None:
    _round_step(round_id, round_times.remind_if_due)


def close_round(round_id: int) -> None:
    _round_step(round_id, round_times.close_if_due)
    if _still_open_after_close(round_id):  # waiting for answers to votes sent in time
        runtime.scheduler().add_job(
            "scheduler.jobs:close_round",
            "date",
            args=(round_id,),
            run_date=datetime.now(UTC) + CLOSE_AGAIN,
            id=f"close-again-{round_id}",
            replace_existing=True,
        )


def _still_open_after_close(round_id: int) -> bool:
    app = runtime.app()
    with app.app_context(), get_db(app).transaction() as session:
        round_ = session.get(Round, round_id)
        return round_ is not None and round_.status == RoundStatus.OPEN and round_.closes_at <= _now()


def weekly_digest(community_id: int) -> None:
    send_due_digests(only=community_id)


def send_due_digests(only: int | None = None) -> list[str]:
    app = runtime.app()
    db, now = get_db(app), _now()
    with app.app_context():
        with db.transaction() as session:
            due = [(c, w) for c, w in digest.due(session, now) if only in (None, c)]
        return [
            f"digest {week.iso} for community {community}: "
            f"{digest.send_week(db, community, week, now, mail_settings(app))}"
            for community, week in due
        ]


def weekly_council_digest(council_id: int) -> None:
    send_due_council_digests(only=council_id)


def send_due_council_digests(only: int | None = None) -> list[str]:
    """The council digests due and not yet sent, through the community digest's machinery."""
    app = runtime.app()
    db, now = get_db(app), _now()
    with app.app_context():
        with db.transaction() as session:
            due = [(c, w) for c, w in council_digest.due_councils(session, now) if only in (None, c)]
        return [
            f"council digest {week.iso} for council {council}: "
            f"{council_digest.send_council_week(db, council, week, now, mail_settings(app))}"
            for council, week in due
        ]


def catch_up() -> None:
    """On start and every few minutes: do what is overdue, and bring the timed jobs up to date."""
    app = runtime.app()
    with app.app_context():
        with audit.acting_as("scheduler"), get_db(app).transaction() as session:
            done = round_times.catch_up(session, _now())
            wanted = wanted_jobs(session, _now())
        apply_jobs(runtime.scheduler(), wanted)
        done += send_due_digests()
        done += send_due_council_digests()
    for line in done:
        logger.info("caught up: %s", line)


def retention() -> None:
    app = runtime.app()
    with app.app_context(), get_db(app).transaction() as session:
        erased = erase_old_messages(session, _now(), int(app.config["RETENTION_DAYS"]))
    logger.info(
        "retention: erased %(inbound)s inbound, %(outbound)s outbound and %(inbox)s inbox texts", erased
    )


def renew_lease() -> None:
    """Keep the lease; if another scheduler has taken it, stop at once."""
    app = runtime.app()
    if lease.acquire(get_db(app), runtime.holder(), _now()) is None:
        logger.error("scheduler lease lost to another scheduler: stopping")
        runtime.scheduler().shutdown(wait=False)
