"""BUDGET: the community's money, straight from the ledger."""
from bot.dialogue.turn import Result, Turn
from bot.domain.ledger import summary
from bot.text.money import format_pence


def budget(turn: Turn) -> Result:
    """Total, committed, spent, still to decide, and the latest news on the money."""
    money = summary(turn.session, turn.community)
    # Spending organisers recorded beyond the budget shows in what is committed; residents
    # have nothing left to decide then, not a negative amount.
    values = dict(total=format_pence(money.total), committed=format_pence(money.committed),
                  spent=format_pence(money.spent), remaining=format_pence(max(money.remaining, 0)))
    if money.latest_update is None:
        return Result([turn.say("budget", **values)])
    date = money.latest_update.created_at.strftime("%-d %b %Y")
    return Result([turn.say("budget_with_update", date=date, update=money.latest_update.text,
                            **values)])
