"""The vectorised equal shares (bot/domain/equal_shares.py) against pabutools, the reference:
the same winners and the same explanation figures, on a real published round and on many
generated ones (sizes, budgets, costs in pence, ties of every kind)."""

import random
from pathlib import Path

import pytest
from pabutools.election import parse_pabulib

from bot.domain.outcome import Option, compute


def _both(options, ballots, budget_pence):
    reference = compute(options, ballots, budget_pence, "equal-shares", vectorised=False)
    ours = compute(options, ballots, budget_pence, "equal-shares", vectorised=True)
    return reference, ours


def _instance(rng: random.Random, voters: int):
    """A round where ties are likely: few distinct costs, ballots repeated, equal supports."""
    count = rng.randint(1, 8)
    pounds = rng.choice([[100, 200, 300], [500], [250, 500, 750, 1000], [120, 333, 401, 999]])
    options = [
        Option(n, rng.choice(pounds) * 100 + rng.choice([0, 0, 0, 1, 50])) for n in range(1, count + 1)
    ]
    if rng.random() < 0.15:
        options[0] = Option(1, 0)  # free: never funded by equal shares with cost satisfaction
    budget = rng.choice([1, 2, 3, 5]) * max(o.cost_pence for o in options) + rng.choice([0, 99, 12_345])
    shapes = [rng.sample(range(1, count + 2), rng.randint(1, count)) for _ in range(rng.randint(1, 6))]
    ballots = [list(rng.choice(shapes)) for _ in range(voters)]  # count + 1 is not an option
    return options, ballots, max(budget, 100)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(150))
def test_small_random_rounds_match_pabutools(seed):
    rng = random.Random(seed)
    options, ballots, budget = _instance(rng, rng.randint(1, 30))
    reference, ours = _both(options, ballots, budget)
    assert ours == reference


@pytest.mark.parametrize("seed", range(6))
def test_larger_random_rounds_match_pabutools(seed):
    rng = random.Random(1000 + seed)
    count = rng.randint(5, 12)
    options = [Option(n, rng.randrange(50, 2_000) * 100) for n in range(1, count + 1)]
    popular = [rng.random() for _ in range(count)]
    ballots = [
        sorted(set(rng.choices(range(1, count + 1), weights=popular, k=rng.randint(1, 4))))
        for _ in range(rng.randint(200, 600))
    ]
    reference, ours = _both(options, ballots, rng.randrange(2_000, 10_000) * 100)
    assert ours == reference


SIZES = (5, 9, 17, 30, 64, 120, 250, 500, 1_000, 2_000, 5_000, 10_000)


def _generated(seed: int):
    """A seeded round of SIZES[seed % 12] ballots: 2 to 12 options, costs in pence with repeats
    (ties), some dearer than the whole budget, one nobody may vote for, and ballots naming a
    number that is not an option; budgets from a few pounds a voter, where Add1 takes a few
    big steps, to over £1,000 a voter, where it takes hundreds of small ones (rounds of up to
    120 ballots: pabutools runs MES once per step over every ballot)."""
    rng = random.Random(28_000 + seed)
    size = SIZES[seed % len(SIZES)]
    count = rng.randint(2, 12 if size <= 2_000 else 6)
    per_voter = rng.choice([1, 3, 10, 40]) if size > 120 or rng.random() < 0.5 else rng.choice([400, 2_500])
    budget = size * per_voter * 100 + rng.choice([0, 99, 12_345])
    shares = [rng.choice([0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.7]) for _ in range(rng.randint(1, count))]
    options = [
        Option(n, max(1, int(budget * rng.choice(shares))) // 100 * 100 + rng.choice([0, 0, 1, 99]))
        for n in range(1, count + 1)
    ]
    if rng.random() < 0.3:
        options[-1] = Option(count, budget + rng.choice([0, 100]))  # dearer than the round
    nobody = rng.randint(1, count) if rng.random() < 0.3 else None
    weights = [0 if n == nobody else rng.random() ** 2 + 0.01 for n in range(1, count + 2)]
    weights[-1] /= 4  # count + 1: not an option, now and then on a ballot
    shapes = [
        sorted(set(rng.choices(range(1, count + 2), weights=weights, k=rng.randint(1, 4))))
        for _ in range(rng.randint(2, 40))
    ]
    ballots = [list(rng.choice(shapes)) for _ in range(size)]  # repeated ballots: ties of support
    return options, ballots, budget


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(36))  # each of SIZES three times
def test_generated_rounds_of_5_to_10000_ballots_match_pabutools(seed):
    options, ballots, budget = _generated(seed)
    reference, ours = _both(options, ballots, budget)
    assert ours == reference


@pytest.mark.slow
def test_a_1000_ballot_round_of_50_options_matches_pabutools():
    # The benchmark's round (bench/closes.py) at half its size: £500 a voter, so Add1 raises
    # £500 shares a pound at a time, hundreds of times; we run MES for a fraction of those steps.
    # (bench closes checks its 2,000-ballot round against pabutools itself.)
    from bot.domain import equal_shares

    costs = [random.Random(n).randrange(5_000, 100_000) * 100 for n in range(50)]
    popular = [random.Random(100 + n).random() ** 2 for n in range(50)]
    rng = random.Random(7)
    options = [Option(n, costs[n - 1]) for n in range(1, 51)]
    ballots = [
        sorted(set(rng.choices(range(1, 51), weights=popular, k=rng.randint(1, 5)))) for _ in range(1_000)
    ]
    runs = []
    real = equal_shares._Election.run
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            equal_shares._Election, "run", lambda self, share: runs.append(share) or real(self, share)
        )
        reference, ours = _both(options, ballots, 500_000_00)
    assert ours == reference
    assert len(runs) < (max(runs) - min(runs)) / 2  # most Add1 steps were walked past, not run


def test_exact_ties_everywhere_match_pabutools():
    # Every option alike: every price per pound ties, to the last; only the tie-break decides.
    options = [Option(n, 300_00) for n in range(1, 7)]
    ballots = [[1, 2], [3, 4], [5, 6]] * 7 + [[2, 4, 6]] * 3
    reference, ours = _both(options, ballots, 1_000_00)
    assert ours == reference


def test_the_round_in_test_explain_gives_the_same_figures():
    options = [Option(1, 600_00), Option(2, 600_00), Option(3, 300_00)]
    reference, ours = _both(options, [[1, 2], [1, 2], [3]], 900_00)
    assert ours == reference
    assert ours["explanations"]["2"]["left_pence"] == 598_00


@pytest.mark.parametrize("rule", ["equal-shares", "greedy"])
@pytest.mark.parametrize("size", [5, 2_000, 2_002])
def test_rounds_of_every_size_are_counted_without_pabutools(monkeypatch, rule, size):
    # Small rounds were pabutools' until issue 28 (15.6 s for a 2,000-ballot close).
    from bot.domain import outcome

    def refused(*args):
        raise AssertionError("pabutools counted a round")

    monkeypatch.setattr(outcome, "_pabutools", refused)
    ballots = ([[1], [2]] * size)[:size]
    options = [Option(1, 100_00), Option(2, 100_00)]
    assert compute(options, ballots, 200_00, rule)["winners"] == [1, 2]


@pytest.mark.slow
def test_wieliczka_published_winners_vectorised():
    # 6,586 ballots: counted by equal_shares.py. (Checked equal to pabutools, figures too, by
    # hand: pabutools takes over a minute on it.)
    path = Path(__file__).parent / "data" / "poland_wieliczka_2023_green-budget.pb"
    instance, profile = parse_pabulib(str(path))
    published = {int(p.name) for p in instance if instance.project_meta[p]["selected"] == "1"}
    options = [Option(int(p.name), int(p.cost) * 100) for p in instance]
    ballots = [[int(p.name) for p in ballot] for ballot in profile]
    outcome = compute(options, ballots, int(instance.budget_limit) * 100, "equal-shares", vectorised=True)
    assert set(outcome["winners"]) == published
    reasons = outcome["explanations"]
    assert {int(n) for n, r in reasons.items() if r["funded"]} == published
    assert all(r["left_pence"] < r["cost_pence"] for r in reasons.values() if not r["funded"] and r["votes"])


def test_streamed_ballots_count_the_same_as_a_list():
    options = [Option(1, 500_00), Option(2, 500_00), Option(3, 500_00)]
    ballots = [[1, 2]] * 6 + [[3]] * 4
    assert compute(options, iter(ballots), 1000_00, "equal-shares") == compute(
        options, ballots, 1000_00, "equal-shares"
    )
