"""A surge end to end (issue 28, items 2 and 3): N messages offered at a fixed rate to the
production mode on one machine, timed from the first message offered to the last reply reaching
the provider, beside a bare app that answers inline with TwiML.

The processes are bench/load.py's: `gunicorn -w 4` (BENCH_WEB_PROCESSES) serving the real app
with answers left to the worker (COMMONPURSE_INBOUND_ANSWER=worker), `commonpurse worker`
process(es) sending to a fake Twilio in a process of its own (pacing off), and, under the same
gunicorn, the bare app of bench/inbound.py answering inline: verify the signature, insert the
message, commit, answer with a TwiML <Message>. Turn about (project, baseline, project,
baseline), open loop, as Twilio sends.

Mixes (each on a fresh database whose community has a month's history, analysed:
bench/load.py's HISTORY):
- `votes`: members of a community with a round open (10 options), each voting once (VOTE and
  one to three options); each turn's voters have not voted before.
- `newcomers`: one "hi" each from a number nobody has seen, to a community of 10,000 members.

A project's message is answered when its sender's first reply reaches the fake Twilio (when the
request came there); the bare app's when its webhook's answer, which carries the reply, has been
read. "answered/s" is the messages answered over the time from the first offered to the last
answered; the ratio is project/bare. Also printed: the webhooks taken a second (the same ratio
for the acknowledgements alone), their p50/p95/p99 while the worker runs, how long after the
last message offered the last reply came, per-process CPU (/proc) and the load average.
At a rate either side keeps up with, both answer at about the rate offered and the ratio says
that the worker kept up; offered faster than they take it (e.g. --rate 2000), the sending
threads send as soon as they are answered and it measures what each side can take.

`--workers 1,2,4` runs the turns again with each number of `commonpurse worker` processes and
ends with the model: CPU seconds a message answered of the web and worker processes (and the
PostgreSQL server) and answered/s per core.

    python -m bench surge --db postgresql                     # 100/s for 10 s, two turns a side
    python -m bench surge --db sqlite --mix newcomers --rate 200 --seconds 60 --turns 1
    python -m bench surge --db postgresql --mix votes --workers 1,2,4
    python -m bench surge --db sqlite --quick                 # a smoke run
"""

import argparse
import itertools
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench import harness
from bench.harness import Side, interleave, percentile, report
from bench.inbound import bare_app
from bench.load import (
    LEAD,
    TWILIO_GIVES_UP,
    Shot,
    System,
    describe,
    errors,
    fire,
    interrupted,
    key_value,
    populate,
    running,
    schedule,
    settle,
    too_late,
    vote_texts,
    warm_up,
)
from bench.processes import GUNICORN_WORKERS, Processes, children, console_script
from models.engine import make_engine

APPLICATION = f"bench-surge-{os.getpid()}"  # this run's PostgreSQL connections, to find their CPU

REPLY = "Thanks: your message is counted."  # what the bare app answers, in TwiML
BARE_APP = "bench.surge:bare_answering()"
P99_GOAL = 0.050  # the webhook's, at 200/s for 60 s on PostgreSQL, with the worker running
TAIL_GOAL = 10.0  # seconds from the last message offered to the last reply
POLL = 0.2  # seconds between looks at the fake Twilio's replies
TICK = os.sysconf("SC_CLK_TCK")
PROJECT_PARTS = ("web", "worker", "postgresql")  # what answering costs, in the model


def bare_answering():
    """bench/inbound.py's bare app answering every message with a TwiML <Message>, on
    COMMONPURSE_DATABASE_URL, with a /healthz, for gunicorn (`bench.surge:bare_answering()`)."""
    app = bare_app(os.environ["COMMONPURSE_DATABASE_URL"], REPLY)
    app.add_url_rule("/healthz", "healthz", lambda: "ok")
    return app


# --------------------------------------------------------------------------------------------
# What is offered


def newcomer_texts(first: int, count: int, tag: str) -> list[dict[str, str]]:
    """`count` first texts ("hi"), each from a number nobody has seen (the `first`-th on)."""
    return [
        {"MessageSid": f"SM{tag}{n:08d}", "From": f"+44780{first + n:07d}", "Body": "hi"}
        for n in range(count)
    ]


@dataclass
class Mix:
    """What a turn offers: `texts(count, tag)` gives each turn's texts, from senders no earlier
    turn used."""

    name: str
    texts: Callable[[int, str], list[dict[str, str]]]


def mix_for(name: str, turns_in_all: int, per_turn: int) -> tuple[int, Callable[[list[str]], Mix]]:
    """The members a mix needs, and how to make it once the database has them."""
    if name == "votes":
        members = turns_in_all * per_turn

        def votes(phones: list[str]) -> Mix:
            pool, seeds = iter(phones), itertools.count(1)
            return Mix(
                "votes", lambda count, tag: vote_texts(list(itertools.islice(pool, count)), tag, next(seeds))
            )

        return members, votes
    firsts = itertools.count(0, per_turn)
    # Newcomers join a community that has members already (and their history), not an empty one.
    return 10_000, lambda phones: Mix(
        "newcomers", lambda count, tag: newcomer_texts(next(firsts), count, tag)
    )


# --------------------------------------------------------------------------------------------
# The replies, as the fake Twilio took them


class Replies:
    """When each address got its first reply (time.perf_counter()), read from the fake Twilio
    as its record grows."""

    def __init__(self, base: str):
        self.base, self.read, self.first = base, 0, {}

    def poll(self) -> None:
        taken = requests.get(f"{self.base}/bench/replies", params={"after": self.read}, timeout=10).json()
        offset = time.perf_counter() - time.monotonic()  # both CLOCK_MONOTONIC on Linux: ~0
        for to, at in taken:
            self.first.setdefault(to, at + offset)
        self.read += len(taken)

    def wait(self, senders: set[str], most: float) -> None:
        """Until every one of `senders` has had a reply, or `most` seconds."""
        deadline = time.monotonic() + most
        while True:
            self.poll()
            if senders <= self.first.keys() or time.monotonic() > deadline:
                return
            time.sleep(POLL)


# --------------------------------------------------------------------------------------------
# CPU, from /proc


def cpu_seconds(pid: int) -> float:
    """user + system CPU of one process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime: fields 14 and 15


def backends(engine) -> Callable[[], list[int]]:
    """The PostgreSQL server processes serving this run's connections (they carry its
    application_name), as pg_stat_activity gives them."""

    def pids() -> list[int]:
        with engine.connect() as connection:
            return list(
                connection.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                    {"name": APPLICATION},
                ).scalars()
            )

    return pids


def machine_busy() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine so far, from /proc/stat."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks) - idle) / TICK, sum(ticks) / TICK


@dataclass
class Cpu:
    """CPU seconds used by each part between `start` and `stop`, summed over turns: a process
    started between them counts from 0; one that ended between them, not at all."""

    groups: dict[str, Callable[[], list[int]]]
    used: dict[str, float] = field(default_factory=dict)

    def sample(self) -> dict[str, dict[int, float]]:
        figures = {name: {pid: cpu_seconds(pid) for pid in pids()} for name, pids in self.groups.items()}
        times = os.times()
        busy, elapsed = machine_busy()
        figures.update(
            {"load generator": {0: times.user + times.system}, "machine": {0: busy}, "elapsed": {0: elapsed}}
        )
        return figures

    def start(self) -> None:
        self.before = self.sample()

    def stop(self) -> None:
        for name, after in self.sample().items():
            before = self.before.get(name, {})
            spent = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items() if seconds)
            self.used[name] = self.used.get(name, 0.0) + spent


def process_tree(process) -> Callable[[], list[int]]:
    return lambda: [process.pid, *children(process.pid)] if process.poll() is None else []


# --------------------------------------------------------------------------------------------
# A run: one mix, one number of workers, turns about


@dataclass
class Outcome:
    """What one side's turns came to, beyond harness.Side's."""

    offered: int = 0
    answered: int = 0
    webhooks: int = 0  # answered 200
    webhook_seconds: float = 0.0  # first offered to the last webhook's answer, summed over turns
    tails: list[float] = field(default_factory=list)  # last answered - last offered, a turn
    shots: list[Shot] = field(default_factory=list)
    cpu: Cpu | None = None


def start_workers(system: System, count: int, logs: Path, replies: Replies) -> Processes:
    """`count` `commonpurse worker`s, started and idle (their start-up done)."""
    workers = Processes(system.processes.env, logs)
    for n in range(1, count + 1):
        workers.start(f"worker{count}-{n}", [console_script("commonpurse"), "worker"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # idle: polling once a second costs next to nothing
        before = [cpu_seconds(p.pid) for p in workers.started]
        time.sleep(0.5)
        if workers.exited():
            raise RuntimeError(f"{', '.join(workers.exited())} exited at start; see {logs}")
        if all(cpu_seconds(p.pid) - b < 0.05 for p, b in zip(workers.started, before, strict=True)):
            break
    # a few texts the workers must answer before the turns start (sent from numbers of their own)
    texts = [
        {"MessageSid": f"SMready{count}{n:04d}", "From": f"+447912{count:02d}{n:04d}", "Body": "HELP"}
        for n in range(5)
    ]
    fire(system.ports["project"], schedule(texts, 50), 2, time.perf_counter())
    replies.wait({t["From"] for t in texts}, 60)
    if not {t["From"] for t in texts} <= replies.first.keys():
        raise RuntimeError(f"{count} worker(s) did not answer within 60 s; see {logs}")
    return workers


def surge(
    mix: Mix, system: System, engine, replies: Replies, workers: Processes, args
) -> tuple[Side, Outcome]:
    """`args.turns` turns a side of `mix`; the ratio line and the rest."""
    per_turn = round(args.rate * args.seconds)
    sides = {"project": Outcome(), "baseline": Outcome()}
    web, bare = system.processes.running["web"], system.processes.running["bare"]
    groups = {
        "project": {
            "web": process_tree(web),
            "worker": lambda: [p.pid for p in workers.started if p.poll() is None],
            "fake twilio": process_tree(system.processes.running["twilio"]),
        },
        "baseline": {"bare": process_tree(bare)},
    }
    if args.db == "postgresql":
        for parts in groups.values():
            parts["postgresql"] = backends(engine)
    for name, outcome in sides.items():
        outcome.cpu = Cpu(groups[name])
    offered: list[dict[str, str]] = []

    def turn(name: str) -> Callable[[Side], float]:
        outcome = sides[name]

        def run(side: Side) -> float:
            tag = f"{name[0]}{len(outcome.tails)}w{len(workers.started)}"
            if name == "project":
                texts = offered[:] = mix.texts(per_turn, tag)
            else:  # the project's last turn again, under other ids: the bare app heeds no sender
                texts = [dict(t, MessageSid=f"SM{tag}{n:08d}") for n, t in enumerate(offered)]
            shots = schedule(texts, args.rate)
            outcome.cpu.start()
            start = time.perf_counter() + LEAD
            fire(system.ports[name], shots, args.connections, start)
            taken = [(t["From"], s) for t, s in zip(texts, shots, strict=True) if s.status == 200]
            if name == "project":
                replies.wait({sender for sender, _ in taken}, args.drain)
                answered = [replies.first[s] - start for s, _ in taken if s in replies.first]
            else:
                answered = [shot.done for _, shot in taken]  # the reply is in the answer
            outcome.cpu.stop()
            last = max(answered, default=0.0)
            outcome.offered += len(shots)
            outcome.answered += len(answered)
            outcome.webhooks += len(taken)
            outcome.webhook_seconds += max((s.done for _, s in taken), default=0.0)
            outcome.tails.append(last - shots[-1].due)
            outcome.shots.extend(shots)
            side.items += len(answered)
            side.latencies.extend(shot.latency for _, shot in taken)
            return last

        return run

    ours, theirs = interleave(
        args.turns, turn("project"), turn("baseline"), lambda name: settle(engine, system)
    )
    name = f"surge-{mix.name} {per_turn:,} at {args.rate:g}/s ({args.db}, {len(workers.started)} worker(s))"
    report(name, ours, theirs, "answered")
    project, baseline = sides["project"], sides["baseline"]
    print(
        f"  webhooks taken: ratio {rate(project) / rate(baseline) if rate(baseline) else 0:.2f} "
        f"(project {rate(project):,.0f} req/s, baseline {rate(baseline):,.0f} req/s; "
        f"p99 above is the webhook's, with the worker running)"
    )
    print(
        f"  offered {args.rate:g}/s for {args.seconds:g} s a side ({args.turns} turn(s), interleaved); "
        f"answered project {project.answered:,}/{project.offered:,}, "
        f"baseline {baseline.answered:,}/{baseline.offered:,}; last reply "
        + spread(project.tails)
        + f" s after the last message offered (baseline {spread(baseline.tails)} s)"
    )
    p99, tail = percentile(ours.latencies, 99), max(project.tails, default=float("inf"))
    print(
        f"  goals at 200/s for 60 s on PostgreSQL: webhook p99 < {P99_GOAL * 1000:g} ms: "
        f"{p99 * 1000:.1f} ms, {'met' if p99 < P99_GOAL else 'MISSED'}; last reply < {TAIL_GOAL:g} s "
        f"after the last message: {tail:.1f} s, {'met' if tail < TAIL_GOAL else 'MISSED'}"
        + ("" if (args.rate, args.seconds, args.db) == (200, 60, "postgresql") else " (not those sizes)")
    )
    print(
        f"  errors: project {describe(errors(project.shots))}, baseline {describe(errors(baseline.shots))}; "
        f"answered after Twilio's {TWILIO_GIVES_UP:g} s: project {too_late(project.shots)}, "
        f"baseline {too_late(baseline.shots)}"
    )
    for label, outcome in sides.items():
        print(f"  CPU {label}: " + cpu_line(outcome), flush=True)
    return ours, project


def rate(outcome: Outcome) -> float:
    return outcome.webhooks / outcome.webhook_seconds if outcome.webhook_seconds else 0.0


def spread(values: list[float]) -> str:
    return f"{min(values):.1f}-{max(values):.1f}" if values else "-"


def cpu_line(outcome: Outcome) -> str:
    """CPU milliseconds a message answered, by part; and how many cores the machine had busy."""
    used, answered = outcome.cpu.used, max(outcome.answered, 1)
    parts = [
        f"{name} {seconds * 1000 / answered:.2f}"
        for name, seconds in used.items()
        if name not in ("machine", "elapsed")
    ]
    wall = turns_seconds(outcome)
    return (
        f"ms a message answered: {', '.join(parts)}; the machine had "
        f"{used.get('machine', 0.0) / wall if wall else 0.0:.1f} of {os.cpu_count()} cores busy, "
        f"{our_cores(outcome):.1f} of them this run's"
    )


def turns_seconds(outcome: Outcome) -> float:
    """The seconds the CPU was counted over, summed over turns."""
    return outcome.cpu.used.get("elapsed", 0.0) / (os.cpu_count() or 1) if outcome.cpu else 0.0


def our_cores(outcome: Outcome, parts: tuple[str, ...] | None = None) -> float:
    """The cores this run's processes (or those `parts`) kept busy on average while a side's
    turns ran."""
    used, wall = outcome.cpu.used if outcome.cpu else {}, turns_seconds(outcome)
    ours = sum(
        seconds
        for name, seconds in used.items()
        if name not in ("machine", "elapsed") and (parts is None or name in parts)
    )
    return ours / wall if wall else 0.0


def model(mix: str, db: str, results: dict[int, tuple[Side, Outcome]]) -> None:
    """Answered/s for each number of workers, and what a core of each part answers."""
    counts = sorted(results)
    first = results[counts[0]][0].rate
    print(
        f"surge-{mix} ({db}) scale-out: "
        + ", ".join(
            f"{n} worker(s) {results[n][0].rate:,.0f} answered/s"
            + (f" ({results[n][0].rate / first:.2f}x {counts[0]})" if n != counts[0] and first else "")
            for n in counts
        ),
        flush=True,
    )
    cores = {n: our_cores(results[n][1], PROJECT_PARTS) for n in counts}
    if all(cores.values()):
        print(
            "  web, workers and PostgreSQL kept "
            + ", ".join(f"{cores[n]:.2f}" for n in counts)
            + " cores busy: "
            + ", ".join(f"{results[n][0].rate / cores[n]:,.0f}" for n in counts)
            + " answered/s a core they used (the cores other jobs leave vary: compare these)"
        )
    used = {name: sum(o.cpu.used.get(name, 0.0) for _, o in results.values()) for name in PROJECT_PARTS}
    answered = sum(o.answered for _, o in results.values())
    per = {name: seconds / answered for name, seconds in used.items() if seconds and answered}
    if "web" not in per or "worker" not in per:
        return
    print(
        "  model, CPU a message answered over these turns: "
        + ", ".join(f"{part} {cpu * 1000:.2f} ms ({1 / cpu:,.0f}/s a core)" for part, cpu in per.items())
    )
    web, worker = 4 / per["web"], 4 / per["worker"]
    database = per.get("postgresql")
    print(
        f"  so a 4-core web machine takes {web:,.0f} msg/s and a 4-core worker machine answers "
        f"{worker:,.0f}/s: {min(web, worker):,.0f} answered/s together"
        + (f", PostgreSQL busy {min(web, worker) * database:.1f} cores for it" if database else "")
        + " (CPU alone, at this machine's speed and load; lock waits and pacing not counted)",
        flush=True,
    )


# --------------------------------------------------------------------------------------------


def run_mix(name: str, args, folder: Path) -> None:
    """One mix on a fresh database: populate, start the processes, the turns for each number of
    workers, report."""
    per_turn = round(args.rate * args.seconds)
    members, make = mix_for(name, args.turns * len(args.workers), per_turn)
    url = harness.database_url(args.db)
    if args.db == "postgresql":  # every process's connections say whose they are
        url = make_url(url).update_query_dict({"application_name": APPLICATION}).render_as_string(False)
    logs = folder / name
    logs.mkdir()
    engine = make_engine(url)
    overrides = [("COMMONPURSE_INBOUND_ANSWER", "worker"), *args.env]
    try:
        phones, _ = populate(url, members)
        mix = make(phones)
        with running(url, SimpleNamespace(env=overrides, workers=0), logs, BARE_APP) as system:
            replies = Replies(system.processes.env["COMMONPURSE_TWILIO_API_URL"])
            warm_up(system)  # both apps answer a few texts, untimed, before the first turn
            results: dict[int, tuple[Side, Outcome]] = {}
            for count in args.workers:
                workers = start_workers(system, count, logs, replies)
                try:
                    system = System(system.processes, system.ports, count)
                    print(
                        f"surge-{name}: {members:,} members, gunicorn -w {GUNICORN_WORKERS}, "
                        f"{count} worker(s), "
                        f"{args.db}; load average {load_average()} on {os.cpu_count()} CPUs",
                        flush=True,
                    )
                    results[count] = surge(mix, system, engine, replies, workers, args)
                    print(f"  load average after {load_average()}", flush=True)
                    if system.processes.exited() or workers.exited():
                        raise RuntimeError(
                            f"{', '.join(system.processes.exited() + workers.exited())} exited; see {logs}"
                        )
                finally:
                    workers.stop_all()
            if len(results) > 1 or args.db == "postgresql":
                model(name, args.db, results)
    finally:
        engine.dispose()
        harness.drop(args.db)


def load_average() -> str:
    return "/".join(f"{n:.1f}" for n in os.getloadavg()) + " (1/5/15 min)"


def worker_counts(text_: str) -> list[int]:
    try:
        counts = [int(n) for n in text_.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"expected counts of workers such as 1,2,4, got {text_!r}")
    return counts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench surge", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--mix", choices=("votes", "newcomers", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 100/s for 1 s, one turn")
    parser.add_argument("--rate", type=float, help="messages offered a second (100)")
    parser.add_argument("--seconds", type=float, help="seconds a turn offers them for (10)")
    parser.add_argument("--turns", type=int, help="turns a side, interleaved (2)")
    parser.add_argument(
        "--workers", type=worker_counts, default=[1], help="`commonpurse worker`s: a count, or counts: 1,2,4"
    )
    parser.add_argument("--connections", type=int, default=8, help="sending threads (8)")
    parser.add_argument(
        "--drain", type=float, default=120, help="most seconds to wait for a turn's replies (120)"
    )
    parser.add_argument(
        "--env",
        type=key_value,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="for gunicorn and the workers (repeatable)",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs")
    args = parser.parse_args(argv)
    args.rate = args.rate or 100
    args.seconds = args.seconds or (1 if args.quick else 10)
    args.turns = args.turns or (1 if args.quick else 2)
    if args.connections < 1 or args.turns < 1 or args.rate * args.seconds < 1:
        parser.error("--connections and --turns must be 1 or more, and a turn must offer a message")
    signal.signal(signal.SIGTERM, interrupted)
    folder = Path(tempfile.mkdtemp(prefix="commonpurse-surge-"))
    ok = False
    try:
        for name in ("votes", "newcomers") if args.mix == "both" else (args.mix,):
            run_mix(name, args, folder)
        ok = True
    finally:
        if args.keep_logs or not ok:
            print(f"logs kept in {folder}", flush=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0
