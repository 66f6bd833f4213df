"""Closing a round at N ballots (count, allocate, tell every member the result) against a bare
tally of the same ballots in Python plus one INSERT ... SELECT of the result to members.
The round is the issue's scale: 50 options, counted by equal shares (`BENCH_CLOSE_RULE=greedy`
for greedy); then a recount of it is timed alone. `--quick` (the CI smoke run) keeps 10 options
and greedy: equal shares on 200 ballots is pabutools' and takes ~25 s on this round. Large runs
(over 10,000 ballots) make one interleaved turn, not three: ballots are inserted for each turn.
`BENCH_CLOSE_PABUTOOLS=1` counts with pabutools, the reference (the "before" of equal_shares.py
and greedy.py)."""

import functools
import os
import random
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import insert, select, text

from bench.harness import Side, interleave, peak_rss_mb, project_app, report, seconds
from bench.population import add_members
from bot.context import get_db
from bot.domain import outcome
from bot.domain import rounds as counting
from bot.domain.rounds import close_round, recount
from models import Ballot, Resident, Round, RoundOption, utcnow

OPTIONS = 50


def run(db_kind: str, url: str, quick: bool, count: int | None = None) -> None:
    count = count or (200 if quick else 5_000)
    rounds = 2 if quick else (3 if count <= 10_000 else 1)
    options = 10 if quick else OPTIONS
    rule = os.environ.get("BENCH_CLOSE_RULE", "greedy" if quick else "equal-shares")
    if os.environ.get("BENCH_CLOSE_PABUTOOLS"):
        counting.compute = functools.partial(outcome.compute, vectorised=False)
    costs = [random.Random(n).randrange(5_000, 100_000) * 100 for n in range(options)]
    popular = [random.Random(100 + n).random() ** 2 for n in range(options)]
    db = get_db(project_app(url))
    with db.transaction() as session:
        community = add_members(session, count)
        voters = session.scalars(select(Resident.id).order_by(Resident.id)).all()
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_result (resident_id INTEGER, body TEXT)"))
    rng = random.Random(7)
    opened: dict[str, int] = {}

    def prepare(side: str) -> None:
        now = utcnow()
        with db.transaction() as session:
            round_ = Round(
                community_id=community.id,
                title="Park",
                method="approval",
                rule=rule,
                budget_pence=1_000_000_00,
                status="open",
                opens_at=now,
                closes_at=now + timedelta(days=1),
                opened_at=now,
                created_at=now,
                options=[
                    RoundOption(number=n, title=f"Idea {n}", cost_pence=costs[n - 1])
                    for n in range(1, options + 1)
                ],
            )
            session.add(round_)
            session.flush()
            for start in range(0, len(voters), 10_000):
                session.execute(
                    insert(Ballot),
                    [
                        dict(
                            round_id=round_.id,
                            resident_id=voter,
                            channel="sms",
                            cast_at=now,
                            changed_at=now,
                            choices=sorted(
                                set(rng.choices(range(1, options + 1), weights=popular, k=rng.randint(1, 5)))
                            ),
                        )
                        for voter in voters[start : start + 10_000]
                    ],
                )
            opened[side] = round_.id

    def project(side: Side) -> None:
        with db.transaction() as session:
            close_round(session, session.get(Round, opened["project"]), utcnow())
        side.items += count

    def baseline(side: Side) -> None:
        with db.engine.begin() as connection:
            tally = Counter()
            for (choices,) in connection.execute(
                select(Ballot.choices).where(Ballot.round_id == opened["baseline"])
            ):
                tally.update(choices)
            winners = [number for number, _ in tally.most_common(5)]
            connection.execute(
                text(
                    "INSERT INTO bench_result (resident_id, body) SELECT id, :body FROM resident "
                    "WHERE community_id = :community AND status = 'active'"
                ),
                {"body": f"Winners: {winners}", "community": community.id},
            )
        side.items += count

    ours, bare = interleave(rounds, project, baseline, prepare)
    report(f"close {count:,} ballots ({db_kind})", ours, bare, "ballot")
    started = time.perf_counter()
    with db.transaction() as session:
        same, _ = recount(session, session.get(Round, opened["project"]))
    seconds(
        f"recount {count:,} ballots, {options} options, {rule}",
        {"recount": time.perf_counter() - started, "close": ours.seconds / rounds},
    )
    print(f"  recount same as published: {same}; max RSS after it {peak_rss_mb():.0f} MB", flush=True)
