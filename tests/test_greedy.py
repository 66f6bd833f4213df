"""Greedy for large rounds (bot/domain/greedy.py) against pabutools, the reference: the same
whole outcome (winners, tallies, money, and every reason with the money left at each option's
turn) on the real published round, the hand-checked rounds, and many generated ones (costs in
pence, free options, options nobody voted for, ties of every kind, budgets nothing fits)."""

import random
import tracemalloc
from pathlib import Path

import pytest
from pabutools.election import parse_pabulib

from bot.domain.greedy import greedy
from bot.domain.outcome import Option, compute


def _both(options, ballots, budget_pence):
    reference = compute(options, ballots, budget_pence, "greedy", vectorised=False)
    ours = compute(options, ballots, budget_pence, "greedy", vectorised=True)
    return reference, ours


def _instance(rng: random.Random, voters: int):
    """A round where ties are likely: few distinct costs, ballots repeated, equal supports; some
    options free, some nobody votes for, some dearer than the whole budget."""
    count = rng.randint(1, 10)
    pounds = rng.choice([[100, 200, 300], [500], [250, 500, 750, 1000], [120, 333, 401, 999]])
    options = [
        Option(n, rng.choice(pounds) * 100 + rng.choice([0, 0, 0, 1, 50, 99])) for n in range(1, count + 1)
    ]
    for n in range(count):
        if rng.random() < 0.1:
            options[n] = Option(n + 1, rng.choice([0, 1, 99]))  # free, or under £1: £0 or £1
    rng.shuffle(options)  # the options' order in the round must not matter
    budget = rng.choice([0, 1, 2, 3, 5]) * max(o.cost_pence for o in options) + rng.choice(
        [0, 99, 100, 12_345]
    )
    shapes = [rng.sample(range(1, count + 2), rng.randint(1, count)) for _ in range(rng.randint(1, 6))]
    ballots = [list(rng.choice(shapes)) for _ in range(voters)]  # count + 1 is not an option
    return options, ballots, budget


@pytest.mark.parametrize("seed", range(200))
def test_random_rounds_match_pabutools(seed):
    rng = random.Random(seed)
    options, ballots, budget = _instance(rng, rng.randint(1, 40))
    reference, ours = _both(options, ballots, budget)
    assert ours == reference


@pytest.mark.parametrize("seed", range(10))
def test_larger_random_rounds_match_pabutools(seed):
    rng = random.Random(2000 + seed)
    count = rng.randint(5, 50)
    options = [Option(n, rng.randrange(50, 2_000) * 100 + rng.randrange(100)) for n in range(1, count + 1)]
    popular = [rng.random() ** 2 for _ in range(count)]
    ballots = [
        sorted(set(rng.choices(range(1, count + 1), weights=popular, k=rng.randint(1, 5))))
        for _ in range(rng.randint(200, 1_500))
    ]
    reference, ours = _both(options, ballots, rng.randrange(2_000, 20_000) * 100 + rng.randrange(100))
    assert ours == reference


def test_exact_ties_everywhere_match_pabutools():
    # Every option alike: only the tie-break (the option number) decides.
    options = [Option(n, 300_00) for n in (6, 2, 5, 1, 4, 3)]
    ballots = [[1, 2], [3, 4], [5, 6]] * 7
    reference, ours = _both(options, ballots, 1_000_00)
    assert ours == reference
    assert ours["winners"] == [1, 2, 3]


def test_the_hand_checked_rounds_match_pabutools():
    # tests/test_outcome.py and tests/test_explain.py.
    fours = [Option(1, 600_00), Option(2, 500_00), Option(3, 300_00), Option(4, 200_00)]
    rounds = [
        (fours, [[1], [1, 2], [1, 3], [2, 3], [4]], 1000_00),
        (fours, [[1, 4]] * 3 + [[2]] * 2, 900_00),
        ([Option(1, 500_00), Option(2, 500_00)], [[2], [1]], 500_00),
        ([Option(1, 500_01), Option(2, 500_00)], [[1, 2]], 1000_00),
        ([Option(1, 2_500_00), Option(2, 4_000_00), Option(3, 6_000_00)], [[1, 2, 3], [1, 3], [3]], 7_000_00),
        ([Option(1, 1_000_00), Option(2, 1_000_00)], [[1]], 2_000_00),
    ]
    for options, ballots, budget in rounds:
        reference, ours = _both(options, ballots, budget)
        assert ours == reference


def test_the_explain_round_quotes_the_money_left_at_each_turn():
    options = [Option(1, 2_500_00), Option(2, 4_000_00), Option(3, 6_000_00)]
    outcome = compute(options, [[1, 2, 3], [1, 3], [3]], 7_000_00, "greedy", vectorised=True)
    assert outcome["winners"] == [3]
    assert outcome["explanations"] == {
        "1": {"votes": 2, "funded": False, "by": "greedy", "left_pence": 1_000_00, "cost_pence": 2_500_00},
        "2": {"votes": 1, "funded": False, "by": "greedy", "left_pence": 1_000_00, "cost_pence": 4_000_00},
        "3": {"votes": 3, "funded": True, "by": "greedy", "left_pence": 7_000_00, "cost_pence": 6_000_00},
    }


@pytest.mark.slow
def test_wieliczka_greedy_matches_pabutools():
    path = Path(__file__).parent / "data" / "poland_wieliczka_2023_green-budget.pb"
    instance, profile = parse_pabulib(str(path))
    options = [Option(int(p.name), int(p.cost) * 100) for p in instance]
    ballots = [[int(p.name) for p in ballot] for ballot in profile]
    for budget in (int(instance.budget_limit) * 100, 123_456_78, 5_000_00):
        reference, ours = _both(options, ballots, budget)
        assert ours == reference


def test_an_option_nobody_voted_for_is_never_weighed_nor_funded():
    run = greedy({1: 100, 2: 100, 3: 0}, {1: 1}, 1_000)
    assert run.winners == [1]
    assert run.came_up == {1: (True, 1_000)}


def test_a_free_option_comes_up_after_every_priced_one():
    # pabutools scores a £0 option 0 (no satisfaction per pound), below any option with votes.
    run = greedy({1: 0, 2: 300, 3: 500}, {1: 9, 2: 1, 3: 2}, 600)
    assert list(run.came_up) == [3, 2, 1]
    assert run.came_up == {3: (True, 600), 2: (False, 100), 1: (True, 100)}


@pytest.mark.slow
def test_100k_streamed_ballots_count_in_little_memory():
    # The scale: 50 options, 100,000 ballots streamed (as rounds._choices gives them);
    # only the distinct ballots are kept, and no object per ballot is made.
    costs = [random.Random(n).randrange(5_000, 100_000) * 100 for n in range(50)]
    popular = [random.Random(100 + n).random() ** 2 for n in range(50)]
    options = [Option(n, costs[n - 1]) for n in range(1, 51)]
    rng = random.Random(7)

    def stream():
        for _ in range(100_000):
            yield sorted(set(rng.choices(range(1, 51), weights=popular, k=rng.randint(1, 5))))

    tracemalloc.start()
    try:
        outcome = compute(options, stream(), 1_000_000_00, "greedy")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert outcome["ballots"] == 100_000
    assert outcome["allocated_pence"] <= 1_000_000_00
    assert peak < 100 * 2**20
