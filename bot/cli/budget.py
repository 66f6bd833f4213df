"""`commonpurse budget allocate|spend|update|show`: the ledger."""
import click
from flask.cli import AppGroup

from bot.cli.output import emit_object
from bot.cli.params import DAY, MONEY
from bot.context import get_db, now
from bot.domain import ledger
from bot.domain.communities import by_slug
from bot.domain.serialise import budget_json
from bot.text.money import format_pence

budget_group = AppGroup("budget", help="The community's money: allocations, spending, updates.")
community_option = click.option("--community", "slug", required=True, help="Community slug.")


@budget_group.command("allocate")
@community_option
@click.option("--amount", required=True, type=MONEY, help="e.g. £20,000 or 20k.")
@click.option("--title", required=True, help="The project the money is for.")
@click.option("--idea", "idea_number", type=click.IntRange(min=1), help="The idea's # it funds.")
def allocate(slug, amount, title, idea_number) -> None:
    """Commit money to a project."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        allocation = ledger.allocate(session, community, title=title, amount_pence=amount,
                                     idea_number=idea_number, now=now())
        left = ledger.summary(session, community).remaining
        click.echo(f"Allocation {allocation.id}: {format_pence(amount)} to {allocation.title}. "
                   f"Still to decide: {format_pence(left)}.")


@budget_group.command("spend")
@community_option
@click.option("--amount", required=True, type=MONEY, help="e.g. £3,250.")
@click.option("--description", required=True, help="What the money paid for.")
@click.option("--allocation", "allocation_id", type=click.IntRange(min=1),
              help="The allocation this spending belongs to.")
@click.option("--date", "spent_on", type=DAY, help="When it was paid (default today).")
def spend(slug, amount, description, allocation_id, spent_on) -> None:
    """Record money paid out."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        current = now()
        entry = ledger.spend(session, community, description=description, amount_pence=amount,
                             allocation_id=allocation_id, spent_on=spent_on or current.date(),
                             now=current)
        click.echo(f"Spending {entry.id}: {format_pence(amount)} for {entry.description}.")


@budget_group.command("update")
@community_option
@click.option("--text", required=True, help="The news residents see with BUDGET.")
@click.option("--broadcast", is_flag=True, help="Also send it to every member (once).")
def update(slug, text, broadcast) -> None:
    """Post a budget update (shown as the latest news by BUDGET)."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        posted = ledger.post_update(session, community, text, now())
        sent = ledger.broadcast_update(session, community, posted, now()) if broadcast else 0
        click.echo("Budget update posted." + (f" Sent to {sent} members." if broadcast else ""))


@budget_group.command("show")
@community_option
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
def show(slug, as_json) -> None:
    """The budget: total, committed, spent, remaining, allocations and spending."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        money = ledger.summary(session, community)
        allocations = ledger.allocations(session, community)
        spendings = ledger.spendings(session, community)
        obj = budget_json(session, community)
    latest = money.latest_update
    lines = [f"{community.name}",
             f"  Total:            {format_pence(money.total)}",
             f"  Committed:        {format_pence(money.committed)}",
             f"  Spent:            {format_pence(money.spent)}",
             f"  Still to decide:  {format_pence(money.remaining)}"]
    lines += [f"  Allocation {a.id}: {format_pence(a.amount_pence)}  {a.title}" for a in allocations]
    lines += [f"  Spending {s.id}: {format_pence(s.amount_pence)}  {s.description} ({s.spent_on})"
              for s in spendings]
    if latest:
        lines.append(f"  Latest update: {latest.text}")
    emit_object(obj, as_json, lines)


def register(cli: click.Group) -> None:
    cli.add_command(budget_group)
