"""Who wins a round: the outcome rules, computed by pabutools from the stored ballots.

Ballots of every method are approval sets; the rule spends the round's budget:
- greedy: most votes first, skipping what no longer fits, while money remains;
- equal-shares: the Method of Equal Shares with cost satisfaction, each voter's share raised
  a step at a time for as long as the result still fits the budget (the "Add1" completion used in
  Wieliczka's 2023 Green Million). pabutools stops raising shares at the first exhaustive result;
  Wieliczka kept going while the result fitted, so while raising shares `_add_one_instance` only
  calls a result exhaustive when everything voted for is funded (a test checks we match
  Wieliczka). The step is £1, or 0.1% of a voter's first share when that is more (a £500,000
  round among 50 voters steps by £10, not 10,000 times by £1). What equal shares leaves is not
  spent greedily: rounds have always been counted so (pabutools' greedy would also fund options
  nobody voted for), and it stays undecided in the budget.
Ties are broken, always the same way, by more votes, then the lower cost, then the lower
option number. Money is given to pabutools in whole pounds (costs rounded up, budget down).
"""
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from bot.domain import explain

# pabutools (with numpy and pulp) takes most of a second to import: it is imported where a
# round is counted, so `commonpurse --help` and the web workers' start do not pay for it.

TIE_BREAKING = "more votes, then lower cost, then lower option number"


@cache
def _add_one_instance() -> type:
    """An Instance that keeps MES raising voters' shares until the result no longer fits (see
    above), or until every option anyone voted for is funded (more money could change nothing)."""
    from pabutools.election import Instance

    class AddOneInstance(Instance):
        def is_exhaustive(self, budget_allocation, available_projects=None) -> bool:
            return all(p in budget_allocation for p in available_projects or ())
    return AddOneInstance


@dataclass(frozen=True)
class Option:
    number: int
    cost_pence: int


def compute(options: Sequence[Option], ballots: Iterable[Iterable[int]], budget_pence: int,
            rule: str) -> dict:
    """The outcome as stored on the round: rule, winners, tallies, money allocated, and why
    each option was or was not funded, read from the same run that chose the winners."""
    from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project
    from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
    from pabutools.tiebreaking import TieBreakingRule

    if rule not in ("greedy", "equal-shares"):
        raise ValueError(f"unknown rule {rule!r}")
    ballots = [sorted(set(b)) for b in ballots if b]
    tallies = Counter(number for ballot in ballots for number in ballot)
    projects = {o.number: Project(str(o.number), -(-o.cost_pence // 100)) for o in options}
    instance_class = _add_one_instance() if rule == "equal-shares" else Instance
    instance = instance_class(projects.values(), budget_limit=budget_pence // 100)
    profile = ApprovalProfile([ApprovalBallot(projects[n] for n in b if n in projects) for b in ballots])
    tie = TieBreakingRule(lambda inst, prof, p: (-tallies[int(p.name)], p.cost, int(p.name)))
    votes = {o.number: tallies[o.number] for o in options}

    if not ballots:
        chosen, explanations = [], {}
    elif rule == "greedy":
        chosen = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat,
                                            tie_breaking=tie, analytics=True)
        explanations = explain.from_greedy(chosen.details, instance.budget_limit, votes)
    else:
        chosen = method_of_equal_shares(instance, profile, sat_class=Cost_Sat, tie_breaking=tie,
                                        voter_budget_increment=_step(instance, ballots),
                                        analytics=True)
        explanations = explain.from_shares(chosen.details, votes, {int(p.name): p.cost for p in instance},
                                           {int(p.name) for p in chosen})
    winners = sorted(int(p.name) for p in chosen)
    costs = {o.number: o.cost_pence for o in options}
    return {
        "rule": rule, "tie_breaking": TIE_BREAKING, "winners": winners,
        "tallies": {str(o.number): tallies[o.number] for o in options},
        "allocated_pence": sum(costs[n] for n in winners), "ballots": len(ballots),
        "explanations": explanations,
    }


def _step(instance, ballots: list) -> int:
    return max(1, int(instance.budget_limit) // (len(ballots) * 1000))
