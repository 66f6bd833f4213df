"""`commonpurse budget allocate|spend|void|close|update|show`: the ledger.

Allocations and spending are numbered per community; a mistake is corrected, never edited."""

from datetime import date
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from bot.cli.audience import any_chosen, criteria_of, segment_options
from bot.cli.commands import summary
from bot.cli.output import check_sms, echo, emit_object, plural
from bot.cli.params import DAY, ID, MONEY
from bot.context import get_db, now
from bot.domain import audit, ledger
from bot.domain.communities import by_slug
from bot.domain.quiet_hours import quiet_until
from bot.domain.segments import segment
from bot.domain.send_time import caps, send_time
from bot.domain.serialise import budget_json
from bot.errors import InvalidInput
from bot.text.money import format_pence
from bot.text.organiser_text import plain, refuse_controls
from bot.text.times import spoken

budget_group = AppGroup("budget", help=summary("budget"))
community_option = click.option("--community", "slug", required=True, help="Community slug.")
organiser_option = click.option(
    "--as",
    "organiser",
    envvar="COMMONPURSE_ORGANISER",
    metavar="EMAIL",
    help="Your email, recorded on the correction (default: $COMMONPURSE_ORGANISER).",
)


@budget_group.command("allocate")
@community_option
@click.option("--amount", required=True, type=MONEY, help="e.g. £20,000 or 20k.")
@click.option("--title", required=True, help="The project the money is for.")
@click.option("--idea", "idea_number", type=ID, help="The idea's # it funds.")
def allocate(slug: str, amount: int, title: str, idea_number: int | None) -> None:
    """Commit money to a project."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        allocation = ledger.allocate(
            session, community, title=title, amount_pence=amount, idea_number=idea_number, now=now()
        )
        left = ledger.summary(session, community).remaining
        done = (
            f"Allocation {allocation.number}: {format_pence(amount)} to {allocation.title}. "
            f"Still to decide: {format_pence(left)}."
        )
    echo(done)  # once committed, so a reader who left (`| head`) cannot undo the entry


@budget_group.command("spend")
@community_option
@click.option("--amount", required=True, type=MONEY, help="e.g. £3,250.")
@click.option("--description", required=True, help="What the money paid for.")
@click.option(
    "--allocation",
    "allocation_number",
    type=ID,
    help="The number of the allocation this spending belongs to.",
)
@click.option("--date", "spent_on", type=DAY, help="When it was paid (default today).")
@click.option(
    "--over-allocation",
    is_flag=True,
    help="Record it even beyond what is left of the allocation or the budget.",
)
def spend(
    slug: str,
    amount: int,
    description: str,
    allocation_number: int | None,
    spent_on: date | None,
    over_allocation: bool,
) -> None:
    """Record money paid out."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        current = now()
        try:
            entry = ledger.spend(
                session,
                community,
                description=description,
                amount_pence=amount,
                allocation_number=allocation_number,
                over_allocation=over_allocation,
                spent_on=spent_on or current.date(),
                now=current,
            )
        except ledger.Overspend as exc:
            raise InvalidInput(f"{exc}; add --over-allocation to record it anyway") from None
        note = " Recorded over allocation, as you said." if entry.over_allocation else ""
        done = f"Spending {entry.number}: {format_pence(amount)} for {entry.description}.{note}"
    echo(done)


@budget_group.command("void", short_help="Void an entry with a correcting entry.")
@community_option
@click.option("--spend", "spending_number", type=ID, help="The spending's number.")
@click.option(
    "--allocation",
    "allocation_number",
    type=ID,
    help="The allocation's number (releases it; nothing may be spent against it).",
)
@click.option("--reason", required=True, help='Why it is void, e.g. "typed twice".')
@organiser_option
def void(
    slug: str, spending_number: int | None, allocation_number: int | None, reason: str, organiser: str | None
) -> None:
    """Void a spending or an allocation with a correcting entry; the original stays on record."""
    if (spending_number is None) == (allocation_number is None):
        raise click.UsageError("give either --spend N or --allocation N")
    with audit.acting_as(organiser or audit.current_actor()), get_db().transaction() as session:
        community = by_slug(session, slug)
        if spending_number is not None:
            entry = f"Spending {spending_number}"
            correction = ledger.void_spending(
                session, community, spending_number, reason=reason, organiser=organiser, now=now()
            )
        else:
            assert allocation_number is not None  # exactly one of the two, checked above
            entry = f"Allocation {allocation_number}"
            correction = ledger.void_allocation(
                session, community, allocation_number, reason=reason, organiser=organiser, now=now()
            )
        money = ledger.summary(session, community)
        done = (
            f"{entry} is void (correction {correction.number}: {correction.reason}). "
            f"Spent: {format_pence(money.spent)}. Still to decide: {format_pence(money.remaining)}."
        )
    echo(done)


@budget_group.command("close", short_help="Close an allocation; what is unspent goes back.")
@community_option
@click.option("--allocation", "allocation_number", required=True, type=ID, help="The allocation's number.")
@click.option("--reason", help='e.g. "came in under budget".')
@organiser_option
def close(slug: str, allocation_number: int, reason: str | None, organiser: str | None) -> None:
    """Close an allocation: it keeps what was spent; the rest goes back to still to decide."""
    with audit.acting_as(organiser or audit.current_actor()), get_db().transaction() as session:
        community = by_slug(session, slug)
        correction = ledger.close_allocation(
            session, community, allocation_number, reason=reason, organiser=organiser, now=now()
        )
        state = ledger.allocation_state(
            session, ledger.allocation_by_number(session, community, allocation_number)
        )
        back = max(state.allocation.amount_pence - state.spent, 0)
        left = ledger.summary(session, community).remaining
        done = (
            f"Allocation {allocation_number} closed (correction {correction.number}): "
            f"{format_pence(state.spent)} spent of {format_pence(state.allocation.amount_pence)}; "
            f"{format_pence(back)} back to decide. Still to decide: {format_pence(left)}."
        )
    echo(done)


@budget_group.command("update")
@community_option
@click.option("--text", required=True, help="The news residents see with BUDGET.")
@click.option("--broadcast", is_flag=True, help="Also send it to every member (once).")
@click.option(
    "--yes", is_flag=True, help="Send without asking, even if it costs more than two SMS segments each."
)
@segment_options
def update(slug: str, text: str, broadcast: bool, yes: bool, **given: Any) -> None:
    """Post a budget update (shown as the latest news by BUDGET).

    With --broadcast, first shows what each member gets and how many SMS segments it costs;
    asks before sending if that is more than two each, or if the text must be shortened.
    --area, --language, --channel, --voted-in, --not-voted-in and --authors-in send it to
    part of the community only (every criterion given must hold); the audit trail and the
    digest keep the criteria, never who matched."""
    text = plain(refuse_controls(text, "the update"))  # before its cost is shown
    criteria = criteria_of(given)
    if not broadcast and any_chosen(criteria):
        raise InvalidInput("choosing who gets it needs --broadcast")
    if broadcast and text:
        # Asked outside any transaction: a database must not wait on a person (SQLite would
        # be locked for everyone else meanwhile).
        with get_db().transaction() as session:
            community = by_slug(session, slug)
            to = segment(community, **criteria)
            cost = ledger.broadcast_cost(session, community, text, now(), to)
        if not to.everyone:
            echo(f"To: {to.describe()}.")
        takes = send_time(dict(cost.by_channel), cost.segments, caps(current_app.config))
        check_sms(cost, "member", yes, takes.describe() if takes else None)
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        posted = ledger.post_update(session, community, text, now())
        sent = 0
        if broadcast:
            sent = ledger.broadcast_update(session, community, posted, now(), segment(community, **criteria))
        goes_at, tz = quiet_until(community, now()), community.timezone
    done = "Budget update posted."
    if broadcast:
        done += f" Sent to {plural(sent, 'member')}."
        if goes_at is not None and sent:
            done += f" Quiet hours: it goes out at {spoken(goes_at, tz)}."
    echo(done)


@budget_group.command("show", short_help="The budget: total, committed, spent, remaining.")
@community_option
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
def show(slug: str, as_json: bool) -> None:
    """The budget: total, committed, spent, remaining; every entry and correction."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        obj = budget_json(session, community)
        name = community.name
    emit_object(obj, as_json, _lines(name, obj))


def _lines(name: str, obj: dict[str, Any]) -> list[str]:
    """`budget show` for people, from the same JSON scripts get."""
    money = format_pence
    lines = [
        name,
        f"  Total:            {money(obj['total_pence'])}",
        f"  Committed:        {money(obj['committed_pence'])}",
        f"  Spent:            {money(obj['spent_pence'])}",
        f"  Still to decide:  {money(obj['remaining_pence'])}",
    ]
    for a in obj["allocations"]:
        state = {
            "open": f"{money(a['spent_pence'])} spent",
            "closed": f"closed by correction {a['closed_by']}: {money(a['spent_pence'])} spent",
            "void": f"void: correction {a['voided_by']}",
        }[a["status"]]
        lines.append(f"  Allocation {a['number']}: {money(a['amount_pence'])}  {a['title']}  ({state})")
    for s in obj["spending"]:
        notes = [f"allocation {s['allocation']}"] if s["allocation"] else []
        notes += ["over allocation"] if s["over_allocation"] else []
        notes += [f"void: correction {s['voided_by']}"] if s["voided_by"] else []
        lines.append(
            f"  Spending {s['number']}: {money(s['amount_pence'])}  {s['description']} "
            f"({', '.join([s['spent_on'], *notes])})"
        )
    for c in obj["corrections"]:
        entry = f"allocation {c['allocation']}" if c["allocation"] else f"spending {c['spending']}"
        by = f", by {c['organiser']}" if c["organiser"] else ""
        reason = f": {c['reason']}" if c["reason"] else ""
        lines.append(
            f"  Correction {c['number']}: {c['action']} {entry}{reason} "
            f"({c['created_at'][:16].replace('T', ' ')} UTC{by})"
        )
    if obj["latest_update"]:
        lines.append(f"  Latest update: {obj['latest_update']['text']}")
    return lines
