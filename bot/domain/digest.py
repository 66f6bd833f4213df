"""The council's week: ISO weeks in the community's timezone, when each digest is due, and the
week's figures (counts only, never who)."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, exists, func, select
from sqlalchemy.orm import Session

from bot.domain import chain, inbox, ledger, referrals
from bot.domain.announcements import announcements_between
from bot.domain.areas import turnout_by_area, turnout_json
from bot.domain.explain import reason
from bot.domain.projects import projects_of, words
from bot.domain.serialise import explanation_json
from bot.errors import InvalidInput
from bot.text.clean import visible
from bot.text.money import format_pence
from bot.text.times import EARLIEST, LATEST, iso_local
from channels.registry import CHANNELS as REGISTERED
from models import (
    Allocation,
    Ballot,
    BudgetUpdate,
    Community,
    Idea,
    InboundLog,
    OutboxMessage,
    Resident,
    Round,
    Spending,
)
from models.money import Correction
from models.states import ProjectStatus, RoundStatus

_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Week:
    iso: str  # "2026-W48"
    monday: date
    start: datetime  # Monday 00:00 local, in UTC
    end: datetime  # the next Monday 00:00 local, in UTC

    def previous(self, tz: str) -> "Week":
        return week_starting(self.monday - timedelta(days=7), tz)

    def next(self, tz: str) -> "Week":
        return week_starting(self.monday + timedelta(days=7), tz)


def week_starting(monday: date, tz: str) -> Week:
    zone = ZoneInfo(tz)
    year, number, _ = monday.isocalendar()
    start = datetime.combine(monday, time(0), zone).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(0), zone).astimezone(UTC)
    return Week(f"{year}-W{number:02d}", monday, start, end)


def parse_week(text: str, tz: str) -> Week:
    match = _ISO_WEEK.match(text.strip().upper())
    if not match:
        raise InvalidInput(f"{text!r} is not an ISO week like 2026-W48")
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a week that exists") from None
    # A digest compares a week with the one before, and times stop at 2999.
    if not EARLIEST.year <= monday.isocalendar().year < LATEST.year:
        raise InvalidInput(f"{text!r} is out of range: give a week between 1970 and 2999")
    return week_starting(monday, tz)


def last_completed(now: datetime, tz: str) -> Week:
    today = now.astimezone(ZoneInfo(tz)).date()
    this_monday = today - timedelta(days=today.weekday())
    return week_starting(this_monday - timedelta(days=7), tz)


def week_in_progress(now: datetime, tz: str) -> Week:
    """The week `now` falls in, in the community's timezone."""
    return last_completed(now, tz).next(tz)


def digest_due(week: Week, weekday: int, at: str, tz: str) -> datetime:
    """When a week's digest goes out: the first `weekday` at `at` after the week ends."""
    hour, minute = (int(part) for part in at.split(":"))
    day = week.monday + timedelta(days=7 + weekday)
    return datetime.combine(day, time(hour, minute), ZoneInfo(tz)).astimezone(UTC)


def figures(session: Session, community: Community, week: Week, now: datetime) -> dict[str, Any]:
    """This week's figures, last week's for comparison, and what comes next."""
    money = ledger.summary(session, community)
    spent_week = ledger.spent_between(session, community, week.monday, week.monday + timedelta(days=7))
    return {
        "community": community.name,
        "slug": community.slug,
        "week": week.iso,
        "from": week.monday.isoformat(),
        "generated_at": now.isoformat(),
        "complete": week.end <= now,  # a preview of the week in progress says "so far"
        "participation": _participation(session, community, week),
        # The tamper-evident record's size and latest seal, as the week's digest went out: the
        # council keeps dated copies, and any rewrite of the past shows against them.
        "record": dict(zip(("entries", "seal"), chain.head(session, community), strict=True)),
        # Residents' questions left unanswered two days or more when the week ended (or now)
        "inbox_waiting": inbox.unanswered_count(session, community, before=min(week.end, now) - inbox.SLOW),
        # Organisers' news of the week that was not budget news, with who it went to (criteria)
        "announcements": [
            {"text": a.text, "audience": a.audience}
            for a in announcements_between(session, community, week.start, week.end)
        ],
        "ideas": {
            "by_status": dict(
                session.execute(
                    select(Idea.status, func.count())
                    .where(Idea.community_id == community.id)
                    .group_by(Idea.status)
                ).all()
            ),
            "newest": [
                {"number": i.number, "text": visible(i.text), "status": i.status}
                for i in session.scalars(
                    select(Idea)
                    .where(
                        Idea.community_id == community.id,
                        Idea.created_at >= week.start,
                        Idea.created_at < week.end,
                    )
                    .order_by(Idea.number.desc())
                    .limit(5)
                )
            ],
        },
        "rounds": _rounds(session, community, week),
        "money": {
            "total_pence": money.total,
            "committed_pence": money.committed,
            "spent_this_week_pence": spent_week,
            "spent_pence": money.spent,
            "remaining_pence": money.remaining,
            "latest_update": money.latest_update.text if money.latest_update else None,
            "over_time": money_over_time(session, community),
            "targeted_updates": _targeted_updates(session, community, week),
            **_exceptions(session, community, week),
        },
        "areas": turnout_json(turnout_by_area(session, community)),
        "projects": _projects(session, community, week),
        "referrals": referrals.digest_json(session, community, min(week.end, now)),
        "next": [
            {
                "round": r.title,
                "event": "opens" if r.status == RoundStatus.SCHEDULED else "closes",
                "at": iso_local(
                    r.opens_at if r.status == RoundStatus.SCHEDULED else r.closes_at, community.timezone
                ),
            }
            for r in session.scalars(
                select(Round)
                .where(
                    Round.community_id == community.id,
                    Round.status.in_((RoundStatus.SCHEDULED, RoundStatus.OPEN)),
                    Round.imported.is_(False),
                )
                .order_by(Round.opens_at)
            )
        ],
    }


def _targeted_updates(session: Session, community: Community, week: Week) -> list[dict[str, str]]:
    """Budget updates of the week sent to part of the community: the text and the criteria
    (never who matched them)."""
    found = session.scalars(
        select(BudgetUpdate)
        .where(
            BudgetUpdate.community_id == community.id,
            BudgetUpdate.audience.is_not(None),
            BudgetUpdate.created_at >= week.start,
            BudgetUpdate.created_at < week.end,
        )
        .order_by(BudgetUpdate.id)
    )
    return [{"text": u.text, "audience": u.audience or ""} for u in found]


def _exceptions(session: Session, community: Community, week: Week) -> dict[str, list[dict[str, Any]]]:
    """What the council should notice in the books this week: spending recorded beyond its
    allocation or the budget, and corrections."""
    over = session.scalars(
        select(Spending)
        .where(
            Spending.community_id == community.id,
            Spending.over_allocation.is_(True),
            Spending.created_at >= week.start,
            Spending.created_at < week.end,
        )
        .order_by(Spending.number)
    )
    corrections = session.scalars(
        select(Correction)
        .where(
            Correction.community_id == community.id,
            Correction.created_at >= week.start,
            Correction.created_at < week.end,
        )
        .order_by(Correction.number)
    )
    return {
        "over_allocation": [
            {"number": s.number, "description": s.description, "amount_pence": s.amount_pence} for s in over
        ],
        "corrections": [
            {"number": c.number, "action": c.action, "reason": c.reason, "entry": _corrected(session, c)}
            for c in corrections
        ],
    }


def _corrected(session: Session, correction: Correction) -> str:
    if correction.spending_id is not None:
        return f"spending {session.get_one(Spending, correction.spending_id).number}"
    return f"allocation {session.get_one(Allocation, correction.allocation_id).number}"


# Every registered channel the digest counts (each names its messages).
CHANNELS = tuple(name for name, channel in REGISTERED.items() if channel.label)
# ... and those we send on (not the phone line: a call is answered on the call).
SENDING = tuple(name for name in CHANNELS if REGISTERED[name].sends_text)
# Those whose messages outside a window go as templates, each charged (WhatsApp).
TEMPLATED = tuple(name for name in CHANNELS if REGISTERED[name].templates)
# The figures, as they are computed.
PARTICIPATION = (
    "new_residents",
    "active_residents",
    "opt_outs",
    "new_ideas",
    "sms_segments_sent",
    *(
        f"messages_{way}_{channel}"
        for channel in CHANNELS
        for way in ("in", "out")
        if way == "in" or channel in SENDING
    ),
    *(f"templates_out_{channel}" for channel in TEMPLATED),
)
# Per table and time: the figures counted over the community's rows whose time is in a week.
_COUNTED = (
    (Resident, Resident.consent_at, {"new_residents": func.count()}),
    (Resident, Resident.opted_out_at, {"opt_outs": func.count()}),
    (
        InboundLog,
        InboundLog.received_at,
        {
            "active_residents": func.count(distinct(InboundLog.resident_id)),
            **{
                f"messages_in_{channel}": func.count().filter(InboundLog.channel == channel)
                for channel in CHANNELS
            },
        },
    ),
    (
        OutboxMessage,
        OutboxMessage.sent_at,
        {
            "sms_segments_sent": func.sum(OutboxMessage.segments).filter(OutboxMessage.channel == "sms"),
            **{
                f"messages_out_{channel}": func.count().filter(OutboxMessage.channel == channel)
                for channel in SENDING
            },
            **{
                f"templates_out_{channel}": func.count().filter(
                    OutboxMessage.channel == channel, OutboxMessage.content_sid.is_not(None)
                )
                for channel in TEMPLATED
            },
        },
    ),
    (Idea, Idea.created_at, {"new_ideas": func.count()}),
)


def _participation(session: Session, community: Community, week: Week) -> dict[str, dict[str, int]]:
    """Each participation figure for the week and the week before. Per week, one aggregate query
    per table and time counts all of that table's figures in a single read of the week's range
    of its (community_id, time) index."""
    weeks = {"this_week": week, "last_week": week.previous(community.timezone)}
    found: dict[str, dict[str, int]] = {name: {} for name in PARTICIPATION}
    for when, each in weeks.items():
        for table, time_, counted in _COUNTED:
            row = session.execute(
                select(*counted.values())
                .select_from(table)
                .where(table.community_id == community.id, time_ >= each.start, time_ < each.end)
            ).one()
            for name, value in zip(counted, row, strict=True):
                found[name][when] = int(value or 0)
    return found


def _rounds(session: Session, community: Community, week: Week) -> list[dict[str, Any]]:
    rows = []
    for round_ in session.scalars(
        select(Round)
        .where(
            Round.community_id == community.id,
            Round.imported.is_(False),
            ((Round.opened_at >= week.start) & (Round.opened_at < week.end))
            | ((Round.closed_at >= week.start) & (Round.closed_at < week.end)),
        )
        .order_by(Round.id)
    ):
        ballots = (
            session.scalar(select(func.count()).select_from(Ballot).where(Ballot.round_id == round_.id)) or 0
        )
        outcome = round_.outcome or {}
        titles = {o.number: o.title for o in round_.options}
        rows.append(
            {
                "title": round_.title,
                "status": round_.status,
                "method": round_.method,
                "rule": round_.rule,
                "ballots": ballots,
                "winners": [titles[n] for n in outcome.get("winners", []) if n in titles],
                "allocated_pence": outcome.get("allocated_pence", 0),
                "allocated": format_pence(outcome.get("allocated_pence", 0)),
                "not_funded": _not_funded(round_),
                # The published ballot file's hash: the council keeps a dated copy of it.
                "ballot_file_sha256": round_.ballot_file_sha256,
            }
        )
    return rows


def _not_funded(round_: Round) -> list[dict[str, Any]]:
    """Each option the round did not fund, and why, where its count kept reasons."""
    return [
        dict(explanation_json(why) or {}, number=o.number, title=o.title)
        for o in round_.options
        if (why := reason(round_.outcome, o.number)) is not None and not why.funded
    ]


def money_over_time(session: Session, community: Community) -> list[dict[str, Any]]:
    """Money committed and spent, cumulative, at the end of each month with an entry (voided
    entries aside). Its last row is the committed and spent of the MONEY line."""
    zone = ZoneInfo(community.timezone)
    committed: dict[str, int] = {}
    spent: dict[str, int] = {}
    for state in ledger.allocation_states(session, community):
        month = state.allocation.created_at.astimezone(zone).strftime("%Y-%m")
        committed[month] = committed.get(month, 0) + state.committed
    for day, outside, amount in session.execute(
        select(Spending.spent_on, Spending.allocation_id.is_(None), func.sum(Spending.amount_pence))
        .where(
            Spending.community_id == community.id,  # a voided spending does not count
            ~exists().where(Correction.spending_id == Spending.id),
        )
        .group_by(Spending.spent_on, Spending.allocation_id.is_(None))
    ):
        month = day.strftime("%Y-%m")
        spent[month] = spent.get(month, 0) + int(amount)
        if outside:
            committed[month] = committed.get(month, 0) + int(amount)
    rows, running = [], [0, 0]
    for month in sorted(committed.keys() | spent.keys()):
        running = [running[0] + committed.get(month, 0), running[1] + spent.get(month, 0)]
        rows.append({"month": month, "committed_pence": running[0], "spent_pence": running[1]})
    return rows


def _projects(session: Session, community: Community, week: Week) -> dict[str, Any]:
    """Funded projects by status, and each one that got a note or a new status in the week."""
    views = projects_of(session, community)
    by_status: dict[str, int] = {}
    for view in views:
        by_status[view.status.value] = by_status.get(view.status.value, 0) + 1
    changed = []
    for view in views:
        updates = [u for u in view.updates if week.start <= u.created_at < week.end]
        if not updates:
            continue
        statuses = [u.status for u in updates if u.status]
        notes = [u.text for u in updates if u.text]
        changed.append(
            {
                "number": view.number,
                "title": view.title,
                "status": words(statuses[-1] if statuses else view.status),
                "status_changed": bool(statuses),
                "note": notes[-1] if notes else None,
            }
        )
    return {
        "by_status": {words(s): by_status[s] for s in ProjectStatus if s in by_status},
        "this_week": changed,
    }
