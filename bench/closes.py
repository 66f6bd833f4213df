"""Closing equal-shares rounds of 2,000 / 100,000 / 1,000,000 ballots x 50 options (issue 28),
each close in a process of its own, so its time and peak RSS are the close's alone.

Project: `close_round` in a fresh process (the app, one transaction: ballots streamed from the
database, the count, the allocations, the published .pb file, the result to every member), as the
scheduler closes a round. Bare baseline, in a process of its own too and before it, over the
same ballots: the choices read with one Core query, the same count (equal_shares.py, called
directly) and one INSERT ... SELECT of the result to members. The ratio is baseline time over
project time (1 = no overhead). Then a check of the result: the outcome's invariants (money,
tallies, a reason for every option), and pabutools on a seeded sample of 2,000 of the round's
ballots against our count of the same sample.

    python -m bench closes --db sqlite|postgresql [--sizes 2000,100000,1000000] [--quick]

`--quick` is a smoke run (200 ballots, a sample of 20). `python -m bench all` leaves it out (it
takes minutes)."""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, text

from bench import harness
from bench.population import add_members
from bench.processes import peak_rss_mb
from bot.context import get_db
from models import Ballot, Resident, Round, RoundOption, utcnow

OPTIONS = 50
SAMPLE = 2_000
BUDGET_PENCE = 1_000_000_00


def main(argv: list[str]) -> int:
    if argv[:1] == ["child"]:
        print(json.dumps(_child(argv[1], argv[2], int(argv[3]))), flush=True)
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench closes")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sizes", default="2000,100000,1000000", help="ballots per round, comma-separated")
    parser.add_argument("--quick", action="store_true", help="one round of 200 ballots: a smoke run")
    args = parser.parse_args(argv)
    try:
        sizes = [200] if args.quick else [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes: not a list of whole numbers: {args.sizes!r}")
    for size in sizes:
        url = harness.database_url(args.db)
        try:
            _one(args.db, url, size, 20 if args.quick else SAMPLE)
        finally:
            harness.drop(args.db)
    return 0


def _one(db_kind: str, url: str, count: int, sample: int) -> None:
    started = time.perf_counter()
    round_id = _build(url, count)
    built = time.perf_counter() - started
    bare = _spawn("baseline", url, round_id)
    ours = _spawn("project", url, round_id)
    ratio = bare["seconds"] / ours["seconds"] if ours["seconds"] else 0.0
    print(
        f"closes {count:,} ballots x {OPTIONS} options ({db_kind}): ratio {ratio:.2f} "
        f"(project {ours['seconds']:.2f} s, {ours['rss_mb']:.0f} MB peak RSS; "
        f"baseline {bare['seconds']:.2f} s, {bare['rss_mb']:.0f} MB)",
        flush=True,
    )
    print(
        f"  count alone {bare['count_seconds']:.2f} s; a process with the app imported and no work "
        f"{ours['idle_rss_mb']:.0f} MB; round built in {built:.0f} s",
        flush=True,
    )
    print(f"  peak RSS {ours['rss_mb']:.0f} MB (the close's process)", flush=True)
    print(f"  check: {_check(url, round_id, sample)}", flush=True)


def _app(url: str) -> Any:
    from bot.web.app import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "TWILIO_AUTH_TOKEN": harness.TOKEN,
            "LOG_LEVEL": "WARNING",
            "PUBLIC_URL": harness.PUBLIC,
        }
    )


def _build(url: str, count: int) -> int:
    """A community of `count` members and an open round of 50 options, each member's ballot in it
    (1 to 5 choices, some options far more popular, costs £5,000 to £100,000, a £1m budget)."""
    db = get_db(harness.project_app(url))
    costs = [random.Random(n).randrange(5_000, 100_000) * 100 for n in range(OPTIONS)]
    popular = [random.Random(100 + n).random() ** 2 for n in range(OPTIONS)]
    rng = random.Random(7)
    now = utcnow()
    with db.transaction() as session:
        community = add_members(session, count)
        round_ = Round(
            community_id=community.id,
            title="Park",
            method="approval",
            rule="equal-shares",
            budget_pence=BUDGET_PENCE,
            status="open",
            opens_at=now,
            closes_at=now + timedelta(days=1),
            opened_at=now,
            created_at=now,
            options=[
                RoundOption(number=n, title=f"Idea {n}", cost_pence=costs[n - 1])
                for n in range(1, OPTIONS + 1)
            ],
        )
        session.add(round_)
        session.flush()
        voters = session.scalars(
            select(Resident.id).where(Resident.community_id == community.id).order_by(Resident.id)
        ).all()
        for start in range(0, len(voters), 20_000):
            session.execute(
                insert(Ballot),
                [
                    dict(
                        round_id=round_.id,
                        resident_id=voter,
                        channel="sms",
                        cast_at=now,
                        changed_at=now,
                        receipt=f"{n // 10_000:04d}-{n % 10_000:04d}",
                        choices=sorted(
                            set(rng.choices(range(1, OPTIONS + 1), weights=popular, k=rng.randint(1, 5)))
                        ),
                    )
                    for n, voter in enumerate(voters[start : start + 20_000], start=start)
                ],
            )
        round_id = round_.id
    db.engine.dispose()
    return round_id


def _spawn(side: str, url: str, round_id: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "closes", "child", side, url, str(round_id)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"the {side} close failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _child(side: str, url: str, round_id: int) -> dict[str, float]:
    """One close in this process: its seconds and this process's peak RSS."""
    from bot.domain import equal_shares, outcome  # noqa: F401  (what a close imports, before the clock)
    from bot.domain.rounds import close_round

    app = _app(url)
    db = get_db(app)
    idle = _rss_mb()
    started = time.perf_counter()
    figures = {"idle_rss_mb": idle}
    if side == "project":
        with db.transaction() as session:
            close_round(session, session.get_one(Round, round_id), utcnow())
    else:
        figures["count_seconds"] = _bare(db, round_id)
    figures["seconds"] = time.perf_counter() - started
    figures["rss_mb"] = _rss_mb()
    return figures


def _bare(db: Any, round_id: int) -> float:
    """The least a close needs: read the choices, count them, tell the members. Returns the
    count's own seconds."""
    from bot.domain.equal_shares import equal_shares
    from bot.domain.outcome import _step

    with db.engine.begin() as connection:
        round_ = connection.execute(
            select(Round.community_id, Round.budget_pence).where(Round.id == round_id)
        ).one()
        costs = {
            number: -(-pence // 100)
            for number, pence in connection.execute(
                select(RoundOption.number, RoundOption.cost_pence).where(RoundOption.round_id == round_id)
            )
        }
        groups: Counter[tuple[int, ...]] = Counter()
        for (choices,) in connection.execute(
            select(Ballot.choices).where(Ballot.round_id == round_id).execution_options(yield_per=20_000)
        ):
            groups[tuple(sorted(choices))] += 1
        started = time.perf_counter()
        budget = round_.budget_pence // 100
        count = sum(groups.values())
        winners = equal_shares(costs, groups, budget, _step(budget, count)).winners
        counted = time.perf_counter() - started
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_result (resident_id INTEGER, body TEXT)"))
        connection.execute(
            text(
                "INSERT INTO bench_result (resident_id, body) SELECT id, :body FROM resident "
                "WHERE community_id = :community AND status = 'active'"
            ),
            {"body": f"Winners: {winners}", "community": round_.community_id},
        )
    return counted


def _check(url: str, round_id: int, size: int) -> str:
    """The closed round's invariants, and pabutools against our count on a seeded sample."""
    from bot.domain.outcome import Option, compute

    db = get_db(_app(url))
    with db.transaction() as session:
        round_ = session.get_one(Round, round_id)
        result = dict(round_.outcome or {})
        options = [Option(o.number, o.cost_pence) for o in round_.options]
        choices = session.scalars(select(Ballot.choices).where(Ballot.round_id == round_id)).all()
    costs = {o.number: o.cost_pence for o in options}
    tallies = Counter(number for ballot in choices for number in ballot)
    problems = []
    if result.get("status", round_.status) != "closed":
        problems.append("not closed")
    if result["allocated_pence"] != sum(costs[n] for n in result["winners"]):
        problems.append("allocated is not the winners' cost")
    if result["allocated_pence"] > result["budget_pence"]:
        problems.append("over budget")
    if result["ballots"] != len(choices) or result["tallies"] != {
        str(o.number): tallies[o.number] for o in options
    }:
        problems.append("tallies differ from the ballots")
    if set(result["explanations"]) != {str(o.number) for o in options}:
        problems.append("an option has no reason")
    sample = random.Random(28).sample(list(choices), min(size, len(choices)))
    budget = BUDGET_PENCE * len(sample) // len(choices)  # the same money per voter
    ours = compute(options, sample, budget, "equal-shares")
    reference = compute(options, sample, budget, "equal-shares", vectorised=False)
    same = "equal" if ours == reference else "DIFFERENT"
    problems += [] if same == "equal" else ["sample differs from pabutools"]
    return (
        f"{len(result['winners'])} winners, £{result['allocated_pence'] // 100:,} of "
        f"£{result['budget_pence'] // 100:,}; invariants {problems if problems else 'hold'}; "
        f"a {len(sample):,}-ballot sample counted by pabutools: {same} (winners and every reason)"
    )


def _rss_mb() -> float:
    """This process's peak RSS (VmHWM: its own memory's since exec). Not ru_maxrss: Linux keeps
    that across exec, so a child of the process that built a 1,000,000-ballot round started at
    the builder's size (a 2,000-ballot close read 351 MB before any work)."""
    return peak_rss_mb(os.getpid())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
