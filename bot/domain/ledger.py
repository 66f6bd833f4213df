"""The budget ledger: what the community has, has committed, has spent and has left.

Entries are never edited or deleted. A mistake is put right by a correction, a later entry that
voids a spending or an allocation, or closes an allocation with what was spent against it; the
corrected entry stays on the books and no longer counts."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Exists,
    ScalarSelect,
    case,
    exists,
    func,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.domain import chain  # noqa: F401  (links new entries into the record as they are flushed)
from bot.domain.communities import MAX_NUMBER, by_number, lock_community
from bot.domain.emails import is_email
from bot.domain.ideas import idea_by_number
from bot.domain.notify import broadcast, channel_split, member_count, with_whatsapp
from bot.domain.segments import Segment, condition
from bot.domain.whatsapp import Template
from bot.errors import InvalidInput, NotFound
from bot.text.money import MAX_PENCE, format_pence
from bot.text.organiser_text import SmsCost, plain, refuse_controls, sms_cost
from bot.text.times import EARLIEST, LATEST
from models import Allocation, BudgetUpdate, Community, Spending
from models.money import Correction
from models.states import AllocationStatus, CorrectionAction


class Overspend(InvalidInput):
    """Spending beyond what is left: refused unless the organiser says to record it anyway."""


@dataclass(frozen=True)
class BudgetSummary:
    total: int
    committed: int  # allocated to projects, plus spending outside any allocation
    spent: int
    remaining: int  # total less committed: still for residents to decide
    latest_update: BudgetUpdate | None


@dataclass(frozen=True)
class AllocationState:
    """An allocation with what has been spent against it and its correction, if any."""

    allocation: Allocation
    spent: int
    correction: Correction | None

    @property
    def status(self) -> AllocationStatus:
        """open, closed (it commits what was spent) or void (it counts for nothing)."""
        if self.correction is None:
            return AllocationStatus.OPEN
        if self.correction.action == CorrectionAction.VOID:
            return AllocationStatus.VOID
        return AllocationStatus.CLOSED

    @property
    def committed(self) -> int:
        if self.status == AllocationStatus.VOID:
            return 0
        if self.status == AllocationStatus.CLOSED:
            return self.spent
        return max(self.allocation.amount_pence, self.spent)

    @property
    def left(self) -> int:
        """What may still be spent against it without saying so explicitly."""
        if self.status != AllocationStatus.OPEN:
            return 0
        return max(self.allocation.amount_pence - self.spent, 0)


def summary(session: Session, community: Community) -> BudgetSummary:
    """Totals over the entries that count (voided ones do not), in one query, and the latest
    update in another: BUDGET asks for this on every turn."""
    spent, outside, committed = session.execute(
        select(
            _total(Spending.amount_pence, *_live(community)),
            _total(Spending.amount_pence, *_live(community), Spending.allocation_id.is_(None)),
            _total(_committed_by_allocation(), Allocation.community_id == community.id),
        )
    ).one()
    # int(): PostgreSQL sums a BIGINT as NUMERIC, which arrives as a Decimal.
    committed = int(committed) + int(outside)
    latest = session.scalar(
        select(BudgetUpdate)
        .where(BudgetUpdate.community_id == community.id)
        .order_by(BudgetUpdate.created_at.desc(), BudgetUpdate.id.desc())
        .limit(1)
    )
    return BudgetSummary(
        community.budget_total_pence, committed, int(spent), community.budget_total_pence - committed, latest
    )


def _total(
    column: ColumnExpressionArgument[int], *where: ColumnExpressionArgument[bool]
) -> ScalarSelect[int]:
    """The sum of `column` over the rows `where` picks, 0 for none, as a scalar subquery."""
    return select(func.coalesce(func.sum(column), 0)).where(*where).scalar_subquery()


def _committed_by_allocation() -> ColumnElement[int]:
    """What an allocation commits, as AllocationState.committed says, in SQL: nothing if void,
    what was spent against it if closed, else its amount or what was spent, whichever is more."""
    spent = (
        select(func.coalesce(func.sum(Spending.amount_pence), 0))
        .where(Spending.allocation_id == Allocation.id, ~_voided())
        .correlate(Allocation)
        .scalar_subquery()
    )
    action = (
        select(Correction.action)
        .where(Correction.allocation_id == Allocation.id)
        .correlate(Allocation)
        .scalar_subquery()
    )
    return case(
        (action == CorrectionAction.VOID, 0),
        (action == CorrectionAction.CLOSE, spent),
        (Allocation.amount_pence > spent, Allocation.amount_pence),
        else_=spent,
    )


def allocate(
    session: Session,
    community: Community,
    *,
    title: str,
    amount_pence: int,
    now: datetime,
    idea_number: int | None = None,
) -> Allocation:
    """Commit money to a project; refuses more than is left."""
    _check_amount(amount_pence)
    title = _line(title, Allocation.title, "an allocation needs a title", "an allocation's title")
    lock_community(session, community)
    left = summary(session, community).remaining
    if amount_pence > left:
        raise InvalidInput(f"only {format_pence(max(left, 0))} is left to allocate", field="amount_pence")
    _check_limit(amount_pence)
    idea_id = None
    if idea_number is not None:
        idea_id = idea_by_number(session, community, idea_number).id
    allocation = Allocation(
        community_id=community.id,
        number=_next_number(session, Allocation, community),
        title=title,
        amount_pence=amount_pence,
        idea_id=idea_id,
        created_at=now,
    )
    session.add(allocation)
    session.flush()
    return allocation


def spend(
    session: Session,
    community: Community,
    *,
    description: str,
    amount_pence: int,
    spent_on: date,
    now: datetime,
    allocation_number: int | None = None,
    allocation_id: int | None = None,
    over_allocation: bool = False,
) -> Spending:
    """Record money paid out, against an allocation of this community if one is given (by its
    number, or by its id for older callers). Beyond what is left of the allocation or of the
    budget raises Overspend, unless `over_allocation`: then it is recorded, and marked so."""
    _check_amount(amount_pence)
    if not EARLIEST.date() <= spent_on < LATEST.date():  # the digest's months stay real ones
        raise InvalidInput(
            f"{spent_on.isoformat()} is out of range: give a date between 1970 and 2999", field="spent_on"
        )
    today = now.astimezone(ZoneInfo(community.timezone)).date()
    if spent_on > today:  # counted as spent, it would show money gone that is still there
        raise InvalidInput(
            f"{spent_on.isoformat()} is after today ({today.isoformat()}): record spending once it is paid",
            field="spent_on",
        )
    description = _line(
        description, Spending.description, "spending needs a description", "a spending's description"
    )
    lock_community(session, community)
    allocation = _allocation_for_spending(session, community, allocation_number, allocation_id)
    remaining = summary(session, community).remaining
    left, added = None, amount_pence  # left of the allocation; added to the money committed
    if allocation is not None:
        state = allocation_state(session, allocation)
        if state.status == AllocationStatus.VOID and state.correction is not None:
            raise InvalidInput(
                f"allocation {allocation.number} is void (correction {state.correction.number})",
                field="allocation_number",
            )
        left, added = state.left, max(amount_pence - state.left, 0)
    beyond_allocation = left is not None and amount_pence > left
    beyond_budget = added > remaining
    if (beyond_allocation or beyond_budget) and not over_allocation:
        if beyond_allocation and allocation is not None and left is not None:
            if state.status == AllocationStatus.CLOSED:
                raise Overspend(f"allocation {allocation.number} is closed: nothing is left of it")
            raise Overspend(f"only {format_pence(left)} is left of allocation {allocation.number}")
        raise Overspend(f"only {format_pence(max(remaining, 0))} is left to spend")
    _check_limit(amount_pence)
    spending = Spending(
        community_id=community.id,
        number=_next_number(session, Spending, community),
        allocation_id=allocation.id if allocation else None,
        amount_pence=amount_pence,
        description=description,
        spent_on=spent_on,
        over_allocation=beyond_allocation or beyond_budget,
        created_at=now,
    )
    session.add(spending)
    session.flush()
    return spending


def void_spending(
    session: Session, community: Community, number: int, *, reason: str, organiser: str | None, now: datetime
) -> Correction:
    """A correction saying spending `number` was a mistake; it stops counting."""
    lock_community(session, community)
    spending = spending_by_number(session, community, number)
    done = session.scalar(select(Correction).where(Correction.spending_id == spending.id))
    if done is not None:
        raise InvalidInput(f"spending {number} is already void (correction {done.number})", field="number")
    return _correct(
        session,
        community,
        CorrectionAction.VOID,
        reason=reason,
        organiser=organiser,
        now=now,
        spending_id=spending.id,
    )


def void_allocation(
    session: Session, community: Community, number: int, *, reason: str, organiser: str | None, now: datetime
) -> Correction:
    """A correction releasing allocation `number` entirely; refused while spending counts against it."""
    lock_community(session, community)
    state = allocation_state(session, allocation_by_number(session, community, number))
    _refuse_corrected(state)
    if state.spent:
        raise InvalidInput(
            f"allocation {number} has {format_pence(state.spent)} spent against it: "
            "void that spending first, or close the allocation",
            field="number",
        )
    return _correct(
        session,
        community,
        CorrectionAction.VOID,
        reason=reason,
        organiser=organiser,
        now=now,
        allocation_id=state.allocation.id,
    )


def close_allocation(
    session: Session,
    community: Community,
    number: int,
    *,
    reason: str | None,
    organiser: str | None,
    now: datetime,
) -> Correction:
    """A correction closing allocation `number`: it commits what was spent against it, and the
    rest goes back to what residents still have to decide."""
    lock_community(session, community)
    state = allocation_state(session, allocation_by_number(session, community, number))
    _refuse_corrected(state)
    return _correct(
        session,
        community,
        CorrectionAction.CLOSE,
        reason=reason,
        organiser=organiser,
        now=now,
        allocation_id=state.allocation.id,
    )


def post_update(session: Session, community: Community, text: str, now: datetime) -> BudgetUpdate:
    """A note on the money that BUDGET shows as the latest news (and residents may be sent)."""
    text = _update_text(text)
    if not text:
        raise InvalidInput("a budget update needs some text")
    update = BudgetUpdate(community_id=community.id, text=text, created_at=now)
    session.add(update)
    session.flush()
    return update


def _update_text(text: str) -> str:
    """The update as residents read it: it is followed by "Send BUDGET for the figures.", so one
    with no closing punctuation gets a full stop rather than running into it."""
    text = plain(refuse_controls(text, "the update"))
    if text and text[-1] not in ".!?…)\"'”’":
        text += "."
    return text


def spent_between(session: Session, community: Community, first: date, after: date) -> int:
    """Money paid out on days from `first` up to, not including, `after` (voided spending aside)."""
    return _sum(
        session,
        Spending.amount_pence,
        *_live(community),
        Spending.spent_on >= first,
        Spending.spent_on < after,
    )


def allocation_by_number(session: Session, community: Community, number: int) -> Allocation:
    return by_number(session, Allocation, community, number, "allocation")


def spending_by_number(session: Session, community: Community, number: int) -> Spending:
    return by_number(session, Spending, community, number, "spending")


def allocation_state(session: Session, allocation: Allocation) -> AllocationState:
    spent = _sum(session, Spending.amount_pence, Spending.allocation_id == allocation.id, ~_voided())
    correction = session.scalar(select(Correction).where(Correction.allocation_id == allocation.id))
    return AllocationState(allocation, spent, correction)


def allocation_states(session: Session, community: Community) -> list[AllocationState]:
    """Every allocation, voided and closed ones too, by number."""
    spent = dict(
        session.execute(
            select(Spending.allocation_id, func.sum(Spending.amount_pence))
            .where(*_live(community), Spending.allocation_id.is_not(None))
            .group_by(Spending.allocation_id)
        ).all()
    )
    rows = session.execute(
        select(Allocation, Correction)
        .outerjoin(Correction, Correction.allocation_id == Allocation.id)
        .where(Allocation.community_id == community.id)
        .order_by(Allocation.number)
    ).all()
    return [
        AllocationState(allocation, int(spent.get(allocation.id) or 0), correction)
        for allocation, correction in rows
    ]


def allocations(session: Session, community: Community) -> list[Allocation]:
    return [state.allocation for state in allocation_states(session, community)]


def spendings(session: Session, community: Community) -> list[Spending]:
    """Every spending, voided ones too, by number."""
    return list(
        session.scalars(
            select(Spending).where(Spending.community_id == community.id).order_by(Spending.number)
        )
    )


def corrections(session: Session, community: Community) -> list[Correction]:
    return list(
        session.scalars(
            select(Correction).where(Correction.community_id == community.id).order_by(Correction.number)
        )
    )


def broadcast_cost(
    session: Session, community: Community, text: str, now: datetime, to: Segment | None = None
) -> SmsCost:
    """What each member (of the segment `to`) would get if `text` were broadcast as a budget
    update now, and its cost: SMS segments, and beside them the WhatsApp messages and templates."""
    only = condition(session, community, to) if to is not None else None
    cost = sms_cost(
        "budget_news",
        member_count(session, community, only),
        community.default_language,
        own="update",
        update=_update_text(text),
        community=community.name,
    )
    return with_whatsapp(cost, channel_split(session, community, now, "budget_news", only))


def broadcast_update(
    session: Session, community: Community, update: BudgetUpdate, now: datetime, to: Segment | None = None
) -> int:
    """Send a budget update to every member (of the segment `to`), once each; returns how many
    were queued. A segment's criteria are kept on the update, for the audit trail and digest."""
    values = dict(community=community.name, update=update.text)
    only = condition(session, community, to) if to is not None else None
    if to is not None and not to.everyone:
        update.audience = to.describe()
    return broadcast(
        session,
        community,
        "budget_news",
        now,
        only=only,
        key=f"budget-update:{update.id}",
        template=Template("budget_news", lambda language: values),
        update=update.text,
    )


def _allocation_for_spending(
    session: Session, community: Community, number: int | None, allocation_id: int | None
) -> Allocation | None:
    if number is not None:
        return allocation_by_number(session, community, number)
    if allocation_id is None:
        return None
    allocation = session.get(Allocation, allocation_id) if allocation_id <= MAX_NUMBER else None
    if allocation is None or allocation.community_id != community.id:
        raise NotFound(f"no allocation {allocation_id} in {community.slug}")
    return allocation


def _refuse_corrected(state: AllocationState) -> None:
    if state.correction is not None:
        done = state.status
        raise InvalidInput(
            f"allocation {state.allocation.number} is already {done} (correction {state.correction.number})",
            field="number",
        )


def _correct(
    session: Session,
    community: Community,
    action: CorrectionAction,
    *,
    reason: str | None,
    organiser: str | None,
    now: datetime,
    allocation_id: int | None = None,
    spending_id: int | None = None,
) -> Correction:
    reason = " ".join(refuse_controls(reason or "", "the reason").split()) or None
    if action == CorrectionAction.VOID and reason is None:
        raise InvalidInput("say why it is void: a reason is required", field="reason")
    correction = Correction(
        community_id=community.id,
        number=_next_number(session, Correction, community),
        action=action,
        allocation_id=allocation_id,
        spending_id=spending_id,
        reason=reason,
        organiser_email=_email(organiser),
        created_at=now,
    )
    session.add(correction)
    session.flush()
    return correction


def _email(organiser: str | None) -> str | None:
    """The organiser's email as given, checked; None when nobody said who they are."""
    email = (organiser or "").strip().lower()
    if not email:
        return None
    if not is_email(email, Correction.organiser_email.type.length):
        raise InvalidInput(f"{organiser!r} is not an organiser's email address")
    return email


def _live(community: Community) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Conditions for the spending of `community` that counts (not voided)."""
    return Spending.community_id == community.id, ~_voided()


def _voided() -> Exists:
    """The spending has a correction (spending is only ever voided)."""
    return exists().where(Correction.spending_id == Spending.id)


def _next_number(
    session: Session, model: type[Allocation] | type[Spending] | type[Correction], community: Community
) -> int:
    """The next per-community number (safe under the ledger lock)."""
    return (session.scalar(select(func.max(model.number)).where(model.community_id == community.id)) or 0) + 1


def _sum(
    session: Session, column: ColumnExpressionArgument[int], *where: ColumnExpressionArgument[bool]
) -> int:
    # int(): PostgreSQL sums a BIGINT as NUMERIC, which arrives as a Decimal.
    return int(session.scalar(select(func.coalesce(func.sum(column), 0)).where(*where)) or 0)


def _line(text: str, column: InstrumentedAttribute[str], empty: str, what: str) -> str:
    """One line of an organiser's words: shown on the public page, the dashboard and the digest,
    so no control character or text-reversing override."""
    text = refuse_controls(text, what).strip()
    if not text:
        raise InvalidInput(empty)
    limit = column.type.length
    if len(text) > limit:
        raise InvalidInput(f"{what} is at most {limit} characters (this one has {len(text)})")
    return text


def _check_amount(amount_pence: int) -> None:
    if amount_pence <= 0:
        raise InvalidInput("the amount must be more than zero", field="amount_pence")


def _check_limit(amount_pence: int) -> None:
    if amount_pence > MAX_PENCE:
        raise InvalidInput(f"the amount must be at most {format_pence(MAX_PENCE)}", field="amount_pence")
