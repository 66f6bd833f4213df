"""Keeping a round's times: what should have happened by now, done now, once.

The scheduler calls this on start and every few minutes; its timed jobs call the same
functions, which check the round's current times, so a rescheduled round is never opened
or closed early and nothing happens twice.
"""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import rounds
from models import Community, Round
from models.states import RoundStatus

logger = logging.getLogger(__name__)


def open_if_due(session: Session, round_: Round, now: datetime) -> bool:
    if round_.status != RoundStatus.SCHEDULED or round_.opens_at > now:
        return False
    if round_.closes_at <= now:
        # Its whole voting time passed while nothing was running: no vote took place.
        logger.warning("%s missed its voting time entirely; cancelled", label(session, round_))
        rounds.cancel_round(session, round_, now)
        return True
    return rounds.open_round(session, round_, now)


def remind_if_due(session: Session, round_: Round, now: datetime) -> bool:
    if round_.status != RoundStatus.OPEN or round_.remind_at is None or round_.reminded_at is not None:
        return False
    if round_.remind_at > now or round_.closes_at <= now:
        return False
    if round_.opened_at is not None and round_.opened_at >= round_.remind_at:
        return False  # it opened late, past its reminder: the ballot has only just gone out
    rounds.remind(session, round_, now)
    return True


def close_if_due(session: Session, round_: Round, now: datetime) -> bool:
    if round_.status != RoundStatus.OPEN or round_.closes_at > now:
        return False
    if rounds.answers_waiting(session, round_, round_.closes_at):
        logger.info(
            "%s waits to close: messages sent before it closed are still being answered",
            label(session, round_),
        )
        return False
    return rounds.close_round(session, round_, now)


def catch_up(session: Session, now: datetime) -> list[str]:
    """Open, remind and close every round whose time has come; returns what was done."""
    done = []
    live = session.scalars(
        select(Round)
        .where(Round.status.in_((RoundStatus.SCHEDULED, RoundStatus.OPEN)), Round.imported.is_(False))
        .order_by(Round.id)
    )
    for round_ in list(live):
        for action, step in (("opened", open_if_due), ("reminded", remind_if_due), ("closed", close_if_due)):
            try:
                with session.begin_nested():
                    if step(session, round_, now):
                        done.append(f"{label(session, round_)} {action}")
            except Exception:  # one bad round must not stop the others
                logger.exception("%s could not be %s", label(session, round_), action)
    return done


def label(session: Session, round_: Round) -> str:
    """How logs name a round: as organisers do (community and number), with the global id the
    scheduler's job ids use: "riverside round 2 (id 7)"."""
    community = session.get_one(Community, round_.community_id)
    return f"{community.slug} round {round_.number} (id {round_.id})"
