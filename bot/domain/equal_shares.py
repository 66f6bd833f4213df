"""Equal shares for every round: the rule of outcome.py, vectorised with NumPy, exact where it decides.

The same Method of Equal Shares as the pabutools run in outcome.py (cost satisfaction, the Add1
completion with its step and its "exhaustive only when everything voted for is funded" rule, ties
to more votes, lower cost, lower number, money in whole pounds), and the same figures for
explain.py: for each option, whether it was bought and what its supporters had between them at
the step it was bought or dropped, in the run that was kept. pabutools stays the reference;
tests/test_equal_shares.py checks the two agree on generated rounds of 5 to 10,000 ballots.

Why small rounds are fast too: Add1 raises every voter's share a pound at a time, so a
2,000-ballot round of £1m runs MES hundreds of times (pabutools: 15.6 s). Most of those runs buy
what the one before bought. After each run, `_same_for` confirms, with cheap float runs that
follow the run's purchases (`_Run.follows`), how many further steps would buy the same: those are
walked past (they fit the budget and are not exhaustive alike), and the share finally kept is run
again for its own figures.

Why it is fast: voters whose budgets have moved alike are one *class* (a weight, a float budget
and the set of purchases it paid for), so each step works on (options x classes), not on 100,000
voters, and a purchase only splits the classes of its supporters.

Why floating error never changes a result: every decision (can the supporters afford it, which
option is cheapest per pound of satisfaction, ties, pabutools' lazy order of looking at options,
the penny an explanation is floored to) is taken in float64 only when the two sides differ by more
than a bound at least 100 times the worst rounding error; otherwise it is taken again in
`fractions.Fraction`. Exact values are cheap to rebuild: a class's budget is exactly the first
share minus the exact prices of the purchases it paid for (or nothing, once it paid all it had),
every price is kept as a Fraction, and float budgets are rebuilt from those prices, so rounding
does not accumulate from step to step. A price is computed exactly and then checked against
every supporter's budget; if the float hint put a class on the wrong side, it is recomputed over
all classes in exact arithmetic.

pabutools walks options in the order of their last known price per pound and drops one its
supporters cannot afford only when the walk reaches it; that decides *when* an option was dropped
and so the money its explanation quotes. This walk is reproduced, options last priced alike in
ascending option number (outcome.py makes pabutools use that order too).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, cmp_to_key
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from _typeshed import SupportsAllComparisons  # what cmp_to_key gives

_SAFE = 1e-8  # relative bound under which a float comparison is redone exactly (errors ~1e-13)


@dataclass(frozen=True)
class Shares:
    """The run that was kept: winners, and each option that came up: (bought, money in pence)."""

    winners: list[int]
    came_up: dict[int, tuple[bool, int]]


def equal_shares(costs: dict[int, int], groups: dict[tuple[int, ...], int], budget: int, step: int) -> Shares:
    """`costs` in whole pounds by option number, `groups` each distinct ballot (option numbers)
    with how many cast it, `budget` in whole pounds, `step` the Add1 step in pounds."""
    n = sum(groups.values())
    election = _Election(costs, groups)
    if n == 0 or not election.numbers:
        return Shares([], {})
    share = Fraction(budget, n)
    kept, kept_share, ran = Shares([], {}), share, share
    while True:
        run, trace = election.run(share)
        if sum(costs[number] for number in run.winners) > budget:
            # The share kept may have been skipped (same winners, other figures): run it.
            return kept if kept_share == ran else election.run(kept_share)[0]
        if len(run.winners) == len(election.numbers):  # all voted for is funded
            return run
        # Add1 walks on while the winners fit and are not all: the shares confirmed to buy the
        # same winners in the same order are walked past without running each.
        more = _same_for(election, share, step, trace)
        kept, ran, kept_share = run, share, share + more * step
        share = kept_share + step


def _same_for(election: "_Election", share: Fraction, step: int, trace: list[tuple[int, Fraction]]) -> int:
    """How many steps above `share` are confirmed to buy what `trace` bought, in its order.

    A chain of checks (`_Run.follows`), each from the last share confirmed to one `m` steps
    higher: `m` doubles after each check that holds until one does not, then halves after each
    that does not. A few cheap runs for a long stretch of alike steps."""
    good, m, grow = 0, 1, True
    ceiling: list[Fraction | float] = [rho for _, rho in trace]
    while m:
        confirmed = _Run(election, share + (good + m) * step).follows(trace, ceiling)
        if confirmed is None:
            m, grow = m // 2, False
            continue
        good, ceiling, m = good + m, confirmed, 2 * m if grow else m + 1
    return good


class _Value:
    """A price per pound: a float with an error bound, and its exact value on demand."""

    __slots__ = ("f", "tol", "_exact", "_thunk")

    def __init__(
        self, f: float, tol: float, exact: Fraction | None = None, thunk: Callable[[], Fraction] | None = None
    ):
        self.f, self.tol, self._exact, self._thunk = f, tol, exact, thunk

    def exact(self) -> Fraction:
        if self._exact is None:
            assert self._thunk is not None  # made with its exact value or a way to find it
            self._exact, self._thunk = self._thunk(), None
        return self._exact


def _compare(a: _Value, b: _Value) -> int:
    gap = a.f - b.f
    if gap > a.tol + b.tol:
        return 1
    if -gap > a.tol + b.tol:
        return -1
    x, y = a.exact(), b.exact()
    return (x > y) - (x < y)


class _Election:
    """The options (cost > 0, at least one supporter) and the distinct ballots, as arrays."""

    def __init__(self, costs: dict[int, int], groups: dict[tuple[int, ...], int]):
        supported = {number for ballot in groups for number in ballot}
        self.numbers = sorted(n for n in supported if costs.get(n, 0) > 0)
        index = {number: i for i, number in enumerate(self.numbers)}
        ballots = [[index[n] for n in ballot if n in index] for ballot in groups]
        self.weights = np.fromiter(groups.values(), dtype=np.int64, count=len(groups))
        k = len(self.numbers)
        self.approves = np.zeros((len(ballots), k), dtype=bool)
        rows = np.repeat(np.arange(len(ballots)), [len(b) for b in ballots])
        self.approves[rows, np.fromiter((i for b in ballots for i in b), dtype=np.int64, count=len(rows))] = (
            True
        )
        self.cost = np.array([costs[n] for n in self.numbers], dtype=np.int64)
        self.votes = (self.approves * self.weights[:, None]).sum(axis=0)
        self.supporters = [np.flatnonzero(self.approves[:, p]) for p in range(k)]
        # For each option, every (ballot, option) pair of the ballots supporting it: what moves
        # between classes when it is bought.
        self.pairs = []
        for p in range(k):
            rows, cols = np.nonzero(self.approves[self.supporters[p]])
            self.pairs.append((self.supporters[p][rows], cols))
        self.tie = {p: (-int(self.votes[p]), int(self.cost[p]), self.numbers[p]) for p in range(k)}

    def run(self, share: Fraction) -> tuple[Shares, list[tuple[int, Fraction]]]:
        """One run of MES with every voter starting with `share` pounds, and what it bought in
        order, each with its price per pound."""
        state = _Run(self, share)
        return state.go(), state.trace


class _Run:
    def __init__(self, election: _Election, share: Fraction):
        e = self.e = election
        k, groups = len(e.numbers), len(e.weights)
        self.b0, self.b0f = share, float(share)
        self.prices: list[Fraction] = []
        cap = 64
        self.budget = np.zeros(cap)  # float budget per class
        self.paid = np.zeros((cap, max(k, 1)), dtype=bool)  # purchases each class paid for
        self.mass = np.zeros(cap, dtype=np.int64)  # voters per class
        self.table = np.zeros((k, cap), dtype=np.int64)  # supporters of option p in class j
        self.classes = 1
        self.budget[0], self.mass[0] = self.b0f, int(e.weights.sum())
        self.table[:, 0] = e.votes
        self.active = np.array([0])
        self.member = np.zeros(groups, dtype=np.int64)  # class of each ballot, -1 once it is spent
        self.stale = {
            p: _Value(1 / int(e.votes[p]), 2.3e-16 / int(e.votes[p]), exact=Fraction(1, int(e.votes[p])))
            for p in range(k)
        }
        self.remaining = list(range(k))
        self.trace: list[tuple[int, Fraction]] = []

    # exact values, rebuilt from the exact prices

    def exact_budget(self, j: int) -> Fraction:
        paid = np.flatnonzero(self.paid[j, : len(self.prices)])
        return self.b0 - sum((self.prices[s] for s in paid), Fraction(0))

    def exact_money(self, ids: np.ndarray, wts: np.ndarray) -> Fraction:
        t = len(self.prices)
        per_price: np.ndarray | list[int] = wts @ self.paid[ids, :t] if t else []
        return int(wts.sum()) * self.b0 - sum(
            (int(m) * self.prices[s] for s, m in enumerate(per_price) if m), Fraction(0)
        )

    def exact_price(self, ids: np.ndarray, wts: np.ndarray, cost: int, hint: float) -> Fraction:
        """Each supporter's payment pi: sum of min(budget, pi) is the cost (the supporters can
        afford it). Classes far from the float hint are taken as sure; the result is checked."""
        keep = wts > 0
        ids, wts = ids[keep], wts[keep]
        bf = self.budget[ids]
        margin = 1e-6 * self.b0f
        if math.isfinite(hint):
            poor, rich = bf < hint - margin, bf > hint + margin
            price = self._levels(ids, wts, cost, poor, rich)
            if price is not None:
                pf = float(price)
                if (not poor.any() or bf[poor].max() < pf - 1e-9 * self.b0f) and (
                    not rich.any() or bf[rich].min() > pf + 1e-9 * self.b0f
                ):
                    return price
        none = np.zeros(len(ids), dtype=bool)
        price = self._levels(ids, wts, cost, none, none)
        assert price is not None  # with no class taken as sure, every supporter pays a share
        return price

    def _levels(
        self, ids: np.ndarray, wts: np.ndarray, cost: int, poor: np.ndarray, rich: np.ndarray
    ) -> Fraction | None:
        near = ~(poor | rich)
        money = self.exact_money(ids[poor], wts[poor]) if poor.any() else Fraction(0)
        count = int(wts[~poor].sum())
        near_budgets = sorted(
            (self.exact_budget(int(j)), int(w)) for j, w in zip(ids[near], wts[near], strict=True)
        )
        for value, weight in near_budgets:
            price = (cost - money) / count
            if price <= value:
                return price
            money, count = money + weight * value, count - weight
        return (cost - money) / count if count else None

    # the run

    def go(self) -> Shares:
        e = self.e
        came_up: dict[int, tuple[bool, int]] = {}
        winners = []
        while self.remaining:
            chosen = self.step(came_up)
            if chosen is None:
                break
            winners.append(e.numbers[chosen])
        return Shares(sorted(winners), {e.numbers[p]: v for p, v in came_up.items()})

    def step(self, came_up: dict[int, tuple[bool, int]]) -> int | None:
        e = self.e
        act = self.active
        if not len(act):  # every voter has spent all: nothing left can be afforded
            came_up.update((p, (False, 0)) for p in self.remaining)
            self.remaining = []
            return None
        ids, table, cost, money, money_tol, price, bound, sure = self.priced()
        rho_tol = np.where(sure, 100 * bound / cost, np.inf)
        row = {p: r for r, p in enumerate(self.remaining)}

        def affordable(p: int) -> bool:
            r = row[p]
            if money[r] - cost[r] > money_tol[r]:
                return True
            if cost[r] - money[r] > money_tol[r]:
                return False
            return self.exact_money(ids, table[r]) >= int(e.cost[p])

        def pence(p: int) -> int:
            r = row[p]
            hundred = money[r] * 100
            if abs(hundred - round(hundred)) > 100 * money_tol[r] + 1e-6:
                return int(math.floor(hundred))
            return math.floor(self.exact_money(ids, table[r]) * 100)

        def value(p: int) -> _Value:
            r = row[p]
            c, hint, snap = int(e.cost[p]), float(price[r]), table[r]
            found = _Value(
                float(price[r] / cost[r]),
                float(rho_tol[r]),
                thunk=lambda: self.exact_price(ids, snap, c, hint) / c,
            )
            if not math.isfinite(found.tol):  # no float estimate to trust: exact now
                exact = found.exact()
                found = _Value(float(exact), abs(float(exact)) * 1e-15, exact=exact)
            return found

        walk = self.walk()
        best, tied = None, []
        for p in walk:
            if not affordable(p):
                came_up[p] = (False, pence(p))
                self.remaining.remove(p)
                continue
            if best is not None and _compare(self.stale[p], best) > 0:
                break
            now = self.stale[p] = value(p)
            if best is None or (side := _compare(now, best)) < 0:
                best, tied = now, [p]
            elif side == 0:
                tied.append(p)
        if not tied:
            return None
        chosen = min(tied, key=e.tie.__getitem__)
        came_up[chosen] = (True, pence(chosen))
        self.trace.append((chosen, self.stale[chosen].exact()))
        self.remaining.remove(chosen)
        self.buy(chosen, self.stale[chosen].exact() * int(e.cost[chosen]))
        return chosen

    def priced(self) -> tuple[np.ndarray, ...]:
        """For each option left, in floats: its supporters' money and their price (inf when they
        cannot afford it), with error bounds; and the active classes, poorest first."""
        e, act = self.e, self.active
        ids = act[np.argsort(self.budget[act], kind="stable")]
        level = self.budget[ids]
        rem = np.array(self.remaining)
        table = self.table[np.ix_(rem, ids)]
        wt = table.astype(float)
        cost = e.cost[rem].astype(float)
        spend = wt * level
        cum_money = np.cumsum(spend, axis=1)
        cum_w = np.cumsum(wt, axis=1)
        total_w = cum_w[:, -1]
        money = cum_money[:, -1]
        rich = total_w[:, None] - cum_w + wt
        with np.errstate(divide="ignore", invalid="ignore"):
            prices = (cost[:, None] - (cum_money - spend)) / rich
        valid = (rich > 0) & (prices <= level[None, :])
        found = valid.any(axis=1)
        at = valid.argmax(axis=1)
        pick = np.arange(len(rem))
        price = np.where(found, prices[pick, at], np.inf)
        richer = rich[pick, at]
        gap = np.where(table > 0, np.abs(level[None, :] - price[:, None]), np.inf).min(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = 1e-10 * (total_w * self.b0f / richer + price + self.b0f)
        sure = found & (gap > 100 * bound)
        money_tol = _SAFE * total_w * self.b0f + 1e-9
        return ids, table, cost, money, money_tol, price, bound, sure

    def follows(
        self, trace: list[tuple[int, Fraction]], ceiling: list[Fraction | float]
    ) -> list[Fraction | float] | None:
        """Whether every run from a share above the one `trace` came from up to this one surely
        buys the same options in the same order, and then nothing more: if so, each option's
        price per pound here, at most (for the next check); None when unsure. `ceiling` is at
        least the price per pound each paid at the lower share.

        Why a test at this share alone covers every share in between: buying the same options
        in the same order, every budget at every step only grows with the first share (a
        supporter pays min(budget, price), and a price falls as budgets grow), so every option's
        price per pound only falls, and every option's supporters only have more. So if at each
        step every other option costs more per pound here than the option bought did at the
        lower share, it costs more at every share in between, where the option bought costs at
        most that; and if nothing more is affordable here, it was not in between either. The
        test is in floats, with margins far above their error (see the module's docstring),
        except for options all of whose supporters can pay their share with room to spare: their
        price per pound is exactly 1 / their supporters (who still have money), and ties between
        those, common in small rounds, are decided exactly, by the tie-break."""
        self.remaining = list(range(len(self.e.numbers)))
        here: list[Fraction | float] = []
        for (chosen, _), top in zip([*trace, (-1, Fraction(0))], [*ceiling, 0.0], strict=True):
            if not len(self.active) or not self.remaining:  # nothing more can be afforded
                return here if chosen < 0 else None
            ids, table, cost, money, money_tol, price, bound, _ = self.priced()
            if chosen < 0:
                return here if (money < cost - money_tol).all() else None
            r = self.remaining.index(chosen)
            spare = money - cost
            if ((np.abs(spare) <= money_tol) | ((spare > 0) & ~np.isfinite(price))).any():
                return None  # an option nearly affordable, or a float price missed: unsure
            if not math.isfinite(price[r]):
                return None
            with np.errstate(invalid="ignore"):
                low = np.where(np.isfinite(price), (price - 1000 * bound) / cost, math.inf)
            low[r] = math.inf
            supporters = table.sum(axis=1)
            poorest = np.where(table > 0, self.budget[ids][None, :], math.inf).min(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                flat = np.isfinite(price) & (poorest > cost / supporters + 1000 * bound)
            roof = float(top) * (1 + 1e-12)
            for q in np.flatnonzero(~(low > roof)):
                if not flat[q]:
                    return None
                exact, key = Fraction(1, int(supporters[q])), self.e.tie[self.remaining[q]]
                if exact < top or (exact == top and key < self.e.tie[chosen]):
                    return None
            if flat[r]:
                here.append(Fraction(1, int(supporters[r])))
            else:
                here.append(float((price[r] + 1000 * bound[r]) / cost[r]))
            self.remaining.remove(chosen)
            self.buy(chosen, Fraction(float(price[r])))
        return None  # not reached: the loop ends at its last entry

    def walk(self) -> list[int]:
        """The options left in pabutools' order: by last known price per pound, those alike
        (exactly) by option number. Floats order options further apart than twice the largest
        error bound; only options closer than that are ordered exactly."""
        stale = self.stale
        order = sorted(self.remaining, key=lambda p: (stale[p].f, p))
        widest = 2 * max(stale[p].tol for p in order)
        walk, run = [], [order[0]]
        for p in order[1:]:
            if stale[p].f - stale[run[-1]].f <= widest:
                run.append(p)
                continue
            walk += run if len(run) == 1 else sorted(run, key=self._exactly)
            run = [p]
        return walk + (run if len(run) == 1 else sorted(run, key=self._exactly))

    @cached_property
    def _exactly(self) -> "Callable[[int], SupportsAllComparisons]":
        return cmp_to_key(lambda p, q: _compare(self.stale[p], self.stale[q]) or (p > q) - (p < q))

    def buy(self, p: int, price: Fraction) -> None:
        """Supporters of p pay min(budget, price): their classes split off, or are spent."""
        e = self.e
        s = len(self.prices)
        self.prices.append(price)
        pf = float(price)
        groups = e.supporters[p]
        old = self.member[groups]
        live = old >= 0
        touched, inv = np.unique(old[live], return_inverse=True)
        moved = np.bincount(inv, weights=e.weights[groups[live]], minlength=len(touched)).astype(np.int64)
        new = np.full(len(touched), -1)
        margin = 1e-9 * self.b0f
        keeps = []
        for i, j in enumerate(touched):
            bj = self.budget[j]
            spent = bj < pf - margin or (bj <= pf + margin and self.exact_budget(int(j)) <= price)
            if not spent:
                keeps.append(i)
        self._grow(len(keeps))
        for i in keeps:
            j, c = touched[i], self.classes
            self.budget[c] = self.budget[j] - pf
            self.paid[c] = self.paid[j]
            self.paid[c, s] = True
            self.mass[c] = moved[i]
            new[i] = c
            self.classes += 1
        # the supporters' ballots, by the class they leave
        pg, pq = e.pairs[p]
        pold = self.member[pg]
        plive = pold >= 0
        slot = np.searchsorted(touched, pold[plive])
        k = len(e.numbers)
        delta = (
            np.bincount(slot * k + pq[plive], weights=e.weights[pg[plive]], minlength=len(touched) * k)
            .astype(np.int64)
            .reshape(len(touched), k)
        )
        self.table[:, touched] -= delta.T
        kept = new >= 0
        self.table[:, new[kept]] = delta[kept].T
        self.mass[touched] -= moved
        self.member[groups[live]] = new[inv]
        alive = np.concatenate([self.active, new[kept]])
        self.active = alive[self.mass[alive] > 0]

    def _grow(self, extra: int) -> None:
        need = self.classes + extra
        cap = len(self.budget)
        if need <= cap:
            return
        cap = max(need, 2 * cap)
        grow = cap - len(self.budget)
        self.budget = np.concatenate([self.budget, np.zeros(grow)])
        self.paid = np.concatenate([self.paid, np.zeros((grow, self.paid.shape[1]), dtype=bool)])
        self.mass = np.concatenate([self.mass, np.zeros(grow, dtype=np.int64)])
        self.table = np.concatenate(
            [self.table, np.zeros((self.table.shape[0], grow), dtype=np.int64)], axis=1
        )
