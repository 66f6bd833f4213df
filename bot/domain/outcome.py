"""Who wins a round: the outcome rules, counted from the stored ballots by equal_shares.py and
greedy.py (NumPy and integers, exact where they decide), whatever the round's size; pabutools,
run here with `vectorised=False`, is the reference the tests check them against.

Ballots of every method are approval sets; the rule spends the round's budget:
- greedy: most votes first, skipping what no longer fits, while money remains; an option
  nobody voted for is never funded;
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
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, SupportsInt

from bot.domain import explain
from models.states import CountRule

# pabutools (with numpy and pulp) takes most of a second to import: it is imported only where the
# reference count runs, so `commonpurse --help`, the web workers and a close do not pay for it.

TIE_BREAKING = "more votes, then lower cost, then lower option number"

# Rounds of every size are counted by equal_shares.py and greedy.py. pabutools counted rounds of up
# to 2,000 ballots until issue 28: its equal shares runs MES once per Add1 step over every ballot
# (15.6 s and 606 MB for a 2,000-ballot close of 50 options), and its greedy builds an object per
# ballot. Both counts here are checked equal to it, figures too, on generated rounds of 5 to
# 10,000 ballots (tests/test_equal_shares.py, tests/test_greedy.py).

Groups = Counter[tuple[int, ...]]  # each distinct ballot, and how many cast it


@cache
def _add_one_instance() -> type:
    """An Instance that keeps MES raising voters' shares until the result no longer fits (see
    above), or until every option anyone voted for is funded (more money could change nothing)."""
    from pabutools.election import Instance

    # pabutools ships no types: its Instance is Any to mypy.
    class AddOneInstance(Instance):  # type: ignore[misc]
        def is_exhaustive(
            self, budget_allocation: Collection[object], available_projects: Iterable[object] | None = None
        ) -> bool:
            return all(p in budget_allocation for p in available_projects or ())

    return AddOneInstance


class _Name(str):
    """An option's name for pabutools, hashed by its rank among the options. pabutools keeps
    options in sets and, among options last priced alike, walks them in set order: with string
    hashes that order (and so the step an unaffordable option is dropped at, and the money its
    explanation quotes) changed with PYTHONHASHSEED from one process to the next. Small distinct
    hashes make it ascending option number in every process, as equal_shares.py does."""

    rank: int

    def __new__(cls, number: int, rank: int) -> "_Name":
        name = super().__new__(cls, str(number))
        name.rank = rank
        return name

    def __hash__(self) -> int:
        return self.rank


@dataclass(frozen=True)
class Option:
    number: int
    cost_pence: int


def compute(
    options: Sequence[Option],
    ballots: Iterable[Iterable[int]],
    budget_pence: int,
    rule: str,
    *,
    vectorised: bool = True,
) -> dict[str, Any]:
    """The outcome as stored on the round: rule, winners, tallies, money allocated, and why
    each option was or was not funded, read from the same run that chose the winners.
    `ballots` may be a stream (a query's rows): only the distinct ballots are kept. Counted by
    equal_shares.py or greedy.py; by pabutools, the reference, when `vectorised` is False."""
    if rule not in tuple(CountRule):
        raise ValueError(f"unknown rule {rule!r}")
    groups = Counter(tuple(sorted(set(b))) for b in ballots if b)
    count = sum(groups.values())
    tallies: Counter[int] = Counter()
    for ballot, times in groups.items():
        for number in ballot:
            tallies[number] += times
    votes = {o.number: tallies[o.number] for o in options}
    if not count:
        winners, explanations = list[int](), dict[str, Any]()
    elif rule == CountRule.EQUAL_SHARES and vectorised:
        winners, explanations = _equal_shares(options, groups, count, budget_pence, votes)
    elif vectorised:
        winners, explanations = _greedy(options, budget_pence, votes)
    else:
        winners, explanations = _pabutools(options, groups, budget_pence, rule, tallies, votes)
    costs = {o.number: o.cost_pence for o in options}
    return {
        "rule": rule,
        "tie_breaking": TIE_BREAKING,
        "winners": winners,
        "tallies": {str(o.number): tallies[o.number] for o in options},
        "allocated_pence": sum(costs[n] for n in winners),
        "ballots": count,
        "explanations": explanations,
    }


def _equal_shares(
    options: Sequence[Option], groups: Groups, count: int, budget_pence: int, votes: dict[int, int]
) -> tuple[list[int], dict[str, Any]]:
    from bot.domain.equal_shares import equal_shares

    costs = {o.number: _pounds(o.cost_pence) for o in options}
    shares = equal_shares(costs, groups, budget_pence // 100, _step(budget_pence // 100, count))
    return shares.winners, explain.from_figures(
        shares.came_up, votes, costs, set(shares.winners), budget_pence // 100
    )


def _greedy(
    options: Sequence[Option], budget_pence: int, votes: dict[int, int]
) -> tuple[list[int], dict[str, Any]]:
    from bot.domain.greedy import greedy

    costs = {o.number: _pounds(o.cost_pence) for o in options}
    run = greedy(costs, votes, budget_pence // 100)
    return run.winners, explain.from_greedy_figures(run.came_up, votes, costs)


def _pabutools(
    options: Sequence[Option],
    groups: Groups,
    budget_pence: int,
    rule: str,
    tallies: Counter[int],
    votes: dict[int, int],
) -> tuple[list[int], dict[str, Any]]:
    from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project
    from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
    from pabutools.tiebreaking import TieBreakingRule

    ranked = sorted(options, key=lambda o: o.number)
    projects = {
        o.number: Project(_Name(o.number, rank), _pounds(o.cost_pence)) for rank, o in enumerate(ranked)
    }
    if rule == CountRule.GREEDY:  # money never goes to an option nobody voted for
        projects = {n: p for n, p in projects.items() if tallies[n]}
    instance_class = _add_one_instance() if rule == CountRule.EQUAL_SHARES else Instance
    instance = instance_class(projects.values(), budget_limit=budget_pence // 100)
    ballots = [ballot for ballot, times in groups.items() for _ in range(times)]
    profile = ApprovalProfile([ApprovalBallot(projects[n] for n in b if n in projects) for b in ballots])
    tie = TieBreakingRule(lambda inst, prof, p: (-tallies[int(p.name)], p.cost, int(p.name)))
    if rule == CountRule.GREEDY:
        chosen = greedy_utilitarian_welfare(
            instance, profile, sat_class=Cost_Sat, tie_breaking=tie, analytics=True
        )
        explanations = explain.from_greedy(chosen.details, instance.budget_limit, votes)
    else:
        chosen = method_of_equal_shares(
            instance,
            profile,
            sat_class=Cost_Sat,
            tie_breaking=tie,
            voter_budget_increment=_step(instance.budget_limit, len(ballots)),
            analytics=True,
        )
        explanations = explain.from_shares(
            chosen.details,
            votes,
            {int(p.name): p.cost for p in instance},
            {int(p.name) for p in chosen},
            instance.budget_limit,
        )
    return sorted(int(p.name) for p in chosen), explanations


def _pounds(pence: int) -> int:
    return -(-pence // 100)


def _step(budget_pounds: SupportsInt, ballots: int) -> int:
    return max(1, int(budget_pounds) // (ballots * 1000))
