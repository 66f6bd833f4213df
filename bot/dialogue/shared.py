"""What the turns answered together in one transaction read once: the open round of each
community, its budget figures, and the ballots the group's writers had in the open round. A
worker answers stored messages in groups (one commit for ten); within a group nothing a
resident's turn does changes a round or the ledger (organisers do that), so each is read at the
first turn that needs it and held until the group commits. A new group reads them afresh, so an
organiser's change (a spending recorded, a round opened or closed) shows from the next group
on; a message answered alone gets a Shared of its own. Neither the round nor the figures is
read with an autoflush: the turns' pending changes (a conversation, an identity last seen) bear
on neither, and are written once, when the group ends. A ballot as read serves one vote, and
only if it still holds when the vote is cast (bot.domain.ballots.Seen)."""

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.domain.ballots import Seen, current_round
from bot.domain.ledger import BudgetSummary, summary
from models import Community, Resident, Round


@dataclass
class Shared:
    """Figures read once for every turn of one transaction, by community id."""

    rounds: dict[int, Round | None] = field(default_factory=dict)
    budgets: dict[int, BudgetSummary] = field(default_factory=dict)
    # (round id, resident id): their ballot in the round as the group read it, for one use
    ballots: dict[tuple[int, int], Seen] = field(default_factory=dict)

    def seen_ballot(self, round_: Round, resident: Resident) -> Seen | None:
        """The resident's ballot in the round as the group read it (taken: a later vote of
        theirs in the group reads it afresh); None if not read."""
        return self.ballots.pop((round_.id, resident.id), None)

    def open_round(self, session: Session, community: Community) -> Round | None:
        """The community's open round (current_round), as read at the group's first ask."""
        if community.id not in self.rounds:
            with session.no_autoflush:  # nothing a turn has pending bears on it
                self.rounds[community.id] = current_round(session, community)
        return self.rounds[community.id]

    def budget(self, session: Session, community: Community) -> BudgetSummary:
        """The community's budget figures (ledger.summary), as read at the group's first ask."""
        if community.id not in self.budgets:
            with session.no_autoflush:
                self.budgets[community.id] = summary(session, community)
        return self.budgets[community.id]
