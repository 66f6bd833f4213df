"""The budget ledger: what the community has, has committed, has spent and has left."""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.ideas import idea_by_number
from bot.domain.notify import members, notify
from bot.errors import InvalidInput, NotFound
from bot.text.money import format_pence
from models import Allocation, BudgetUpdate, Community, Spending


@dataclass(frozen=True)
class BudgetSummary:
    total: int
    committed: int  # allocated to projects, plus spending outside any allocation
    spent: int
    remaining: int  # total less committed: still for residents to decide
    latest_update: BudgetUpdate | None


def summary(session: Session, community: Community) -> BudgetSummary:
    allocated = _sum(session, Allocation.amount_pence, Allocation.community_id == community.id)
    spent = _sum(session, Spending.amount_pence, Spending.community_id == community.id)
    unallocated_spend = _sum(session, Spending.amount_pence, Spending.community_id == community.id,
                             Spending.allocation_id.is_(None))
    committed = allocated + unallocated_spend
    latest = session.scalar(
        select(BudgetUpdate).where(BudgetUpdate.community_id == community.id)
        .order_by(BudgetUpdate.created_at.desc(), BudgetUpdate.id.desc()).limit(1))
    return BudgetSummary(community.budget_total_pence, committed, spent,
                         community.budget_total_pence - committed, latest)


def allocate(session: Session, community: Community, *, title: str, amount_pence: int,
             now: datetime, idea_number: int | None = None) -> Allocation:
    """Commit money to a project; refuses more than is left."""
    _check_amount(amount_pence)
    title = title.strip()
    if not title:
        raise InvalidInput("an allocation needs a title")
    left = summary(session, community).remaining
    if amount_pence > left:
        raise InvalidInput(f"only {format_pence(left)} is left to allocate")
    idea_id = None
    if idea_number is not None:
        idea_id = idea_by_number(session, community, idea_number).id
    allocation = Allocation(community_id=community.id, title=title, amount_pence=amount_pence,
                            idea_id=idea_id, created_at=now)
    session.add(allocation)
    session.flush()
    return allocation


def spend(session: Session, community: Community, *, description: str, amount_pence: int,
          spent_on: date, now: datetime, allocation_id: int | None = None) -> Spending:
    """Record money paid out, against an allocation of this community if one is given."""
    _check_amount(amount_pence)
    description = description.strip()
    if not description:
        raise InvalidInput("spending needs a description")
    if allocation_id is not None:
        allocation = session.get(Allocation, allocation_id)
        if allocation is None or allocation.community_id != community.id:
            raise NotFound(f"no allocation {allocation_id} in {community.slug}")
    spending = Spending(community_id=community.id, allocation_id=allocation_id,
                        amount_pence=amount_pence, description=description, spent_on=spent_on,
                        created_at=now)
    session.add(spending)
    session.flush()
    return spending


def post_update(session: Session, community: Community, text: str, now: datetime) -> BudgetUpdate:
    """A note on the money that BUDGET shows as the latest news."""
    text = " ".join(text.split())
    if not text:
        raise InvalidInput("a budget update needs some text")
    update = BudgetUpdate(community_id=community.id, text=text, created_at=now)
    session.add(update)
    session.flush()
    return update


def spent_between(session: Session, community: Community, first: date, after: date) -> int:
    """Money paid out on days from `first` up to, not including, `after`."""
    return _sum(session, Spending.amount_pence, Spending.community_id == community.id,
                Spending.spent_on >= first, Spending.spent_on < after)


def allocations(session: Session, community: Community) -> list[Allocation]:
    return list(session.scalars(
        select(Allocation).where(Allocation.community_id == community.id).order_by(Allocation.id)))


def spendings(session: Session, community: Community) -> list[Spending]:
    return list(session.scalars(
        select(Spending).where(Spending.community_id == community.id).order_by(Spending.id)))


def _sum(session: Session, column, *where) -> int:
    return session.scalar(select(func.coalesce(func.sum(column), 0)).where(*where)) or 0


def _check_amount(amount_pence: int) -> None:
    if amount_pence <= 0:
        raise InvalidInput("the amount must be more than zero")


def broadcast_update(session: Session, community: Community, update: BudgetUpdate,
                     now: datetime) -> int:
    """Send a budget update to every member, once each; returns how many were queued."""
    return sum(1 for resident in members(session, community)
               if notify(session, community, resident, "budget_news", now, update=update.text,
                         key=f"budget-update:{update.id}:{resident.id}"))
