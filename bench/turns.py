"""Where a turn's time goes: cProfile of the answering worker (`answer_pending`) over stored
messages of one kind at a time (not in `all`; no baseline).

    python -m bench.turns --db sqlite [--kinds vote,budget,hi,yes,idea] [--count 500] [--top 25]

Kinds: `vote` (VOTE 1 3 from members, a round open with 10 options), `budget` (BUDGET from
members), `hi` (a newcomer's first message, from new numbers), `yes` (those newcomers' YES),
`idea` (IDEA with a text, from members). Each kind's messages are stored first, untimed, as a
webhook stores them with INBOUND_ANSWER=worker; then the worker answers them under cProfile
and the top functions by own and cumulative time are printed, with the CPU a message."""

import argparse
import cProfile
import pstats
import random
import sys
import time
from datetime import timedelta

from bench import harness
from bench.harness import NUMBER, project_app
from bench.population import add_members
from bot.context import get_db
from bot.messaging.inbound import keep
from bot.messaging.pending import answer_pending
from channels.messages import Address, InboundMessage
from models import Round, RoundOption, utcnow

KINDS = ("vote", "budget", "hi", "yes", "idea")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.turns")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--count", type=int, default=500, help="messages of each kind")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime,cumulative")
    parser.add_argument("--no-profile", action="store_true", help="time only (to run under py-spy)")
    args = parser.parse_args(argv)
    url = harness.database_url(args.db)
    try:
        run(url, args.kinds.split(","), args.count, args.top, [] if args.no_profile else args.sort.split(","))
    finally:
        harness.drop(args.db)
    return 0


def run(url: str, kinds: list[str], count: int, top: int, sorts: list[str]) -> None:
    db = get_db(project_app(url, INBOUND_ANSWER="worker"))
    now = utcnow()
    with db.transaction() as session:
        community = add_members(session, count)
        session.add(
            Round(
                community_id=community.id,
                title="Park",
                method="approval",
                rule="greedy",
                budget_pence=10**9,
                status="open",
                opens_at=now,
                closes_at=now + timedelta(days=7),
                opened_at=now,
                created_at=now,
                options=[
                    RoundOption(number=n, title=f"Idea {n}", cost_pence=n * 10**6) for n in range(1, 11)
                ],
            )
        )
    members = [f"+44770{n:07d}" for n in range(1, count + 1)]
    newcomers = [f"+44771{n:07d}" for n in range(1, count + 1)]
    rng = random.Random(1)
    sids = iter(range(10**9))
    texts = {
        "vote": lambda: "VOTE " + " ".join(map(str, sorted(rng.sample(range(1, 11), rng.randint(1, 3))))),
        "budget": lambda: "BUDGET",
        "hi": lambda: "hi",
        "yes": lambda: "YES",
        "idea": lambda: f"IDEA more benches by the pond, number {rng.randint(1, 10**6)}",
    }
    for kind in kinds:
        senders = newcomers if kind in ("hi", "yes") else members
        for sender in senders:
            message = InboundMessage(
                Address("sms", sender), texts[kind](), f"SM{next(sids):032d}", utcnow(), recipient=NUMBER
            )
            keep(db, message, utcnow())
        profile = cProfile.Profile()
        started, cpu = time.perf_counter(), time.process_time()
        if sorts:
            profile.enable()
        while answer_pending(db, utcnow, None):
            pass
        profile.disable()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"== {kind}: {len(senders)} messages, {wall / len(senders) * 1000:.2f} ms a message, "
            f"{cpu / len(senders) * 1000:.2f} ms CPU",
            flush=True,
        )
        for sort in sorts:
            pstats.Stats(profile, stream=sys.stdout).strip_dirs().sort_stats(sort).print_stats(top)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
