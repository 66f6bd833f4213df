"""Greedy for large rounds: the rule of outcome.py counted from votes per option, without pabutools.

pabutools' greedy (cost satisfaction, as outcome.py runs it) needs every ballot as an object and
takes seconds and hundreds of MB at 100,000 ballots, yet what it decides on is only each option's
votes: an option's score is its total satisfaction per pound, and under cost satisfaction that is
(votes x cost) / cost = its votes. So the same run, from the tallies alone:
- only options someone voted for are weighed (outcome.py never gives pabutools the others);
- they come up by score, highest first, ties in outcome.py's tie-breaking order (more votes, then
  the lower cost, then the lower option number); a free option (£0 after rounding up) scores 0 in
  pabutools (no satisfaction to divide), so it comes up after every priced one;
- each is taken if its cost fits in what is left of the budget, else skipped, and the walk goes on.
Money is in whole pounds throughout (costs rounded up, budget down, as pabutools is given it), so
every comparison is exact integer arithmetic. pabutools stays the reference (and counts small
rounds); tests/test_greedy.py checks the two agree, winners and reasons.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Greedy:
    """The run: winners in ascending number, and for each option weighed (in the order it came
    up): whether it was taken and the money left, in whole pounds, when its turn came."""

    winners: list[int]
    came_up: dict[int, tuple[bool, int]]


def greedy(costs: dict[int, int], votes: dict[int, int], budget: int) -> Greedy:
    """`costs` in whole pounds by option number, `votes` how many ballots approve each option,
    `budget` in whole pounds."""
    left, came_up = budget, {}
    for number in order(costs, votes):
        taken = costs[number] <= left
        came_up[number] = (taken, left)
        if taken:
            left -= costs[number]
    return Greedy(sorted(n for n, (taken, _) in came_up.items() if taken), came_up)


def order(costs: dict[int, int], votes: dict[int, int]) -> list[int]:
    """The options anyone voted for, in the order greedy weighs them."""
    weighed = [n for n in costs if votes.get(n, 0) > 0]
    return sorted(weighed, key=lambda n: (-_score(costs[n], votes[n]), -votes[n], costs[n], n))


def _score(cost: int, votes: int) -> int:
    """pabutools' satisfaction per pound: the votes, or 0 for a free option (0 satisfaction)."""
    return votes if cost > 0 else 0
