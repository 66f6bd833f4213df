"""BUDGET: the community's money, straight from the ledger."""

from bot.dialogue.turn import Result, Turn
from bot.text.money import Money
from bot.text.times import Moment


def budget(turn: Turn) -> Result:
    """Total, committed, spent, still to decide, and the latest news on the money."""
    money = turn.shared.budget(turn.session, turn.community)
    # Spending organisers recorded beyond the budget shows in what is committed; residents
    # have nothing left to decide then, not a negative amount.
    values = dict(
        total=Money(money.total),
        committed=Money(money.committed),
        spent=Money(money.spent),
        remaining=Money(max(money.remaining, 0)),
    )
    if money.latest_update is None:
        return Result([turn.say("budget", **values)])
    date = Moment(money.latest_update.created_at, turn.community.timezone, with_time=False)
    return Result([turn.say("budget_with_update", date=date, update=money.latest_update.text, **values)])
