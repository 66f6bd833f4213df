"""Inbound load under gunicorn (issue #15): the webhook's goals, measured on the production
processes.

Each scenario gets a fresh PostgreSQL schema and runs the real app (`gunicorn -w 4
'bot.web.app:create_app()'`; BENCH_WEB_PROCESSES sets the 4 for both sides) and the bare
baseline of bench/inbound.py (verify the signature, insert one row, commit, empty TwiML) under
the same gunicorn, turn about, with `commonpurse worker` processes (--workers, default 1)
sending the replies to a fake Twilio, pacing off:

- `rate`: signed webhooks offered at --rate a second (200) for --seconds (30, in three turns a
  side) by members of a community with an open round (BUDGET, VOTE 2 7, OPTIONS, HELP, MY IDEAS,
  RESULTS, VOTE 4) and newcomers (hi). Goal: the webhook's p99 under 50 ms.
- `votes`: --votes joined members (10,000) and a round open with 10 options; each member texts
  one vote (VOTE 2 7), evenly over --seconds (60). Goals: every vote stored, acknowledgement p99
  under 1 s. The database is polled from the first vote until every stored vote is counted (a
  ballot) and its reply queued (an outbox row), and, with a worker, sent; with inline answers
  that happens before the webhook returns, with answers left to the worker after it.

Open loop, as Twilio sends: each request starts on a fixed schedule whether or not earlier ones
were answered, from a few threads with a connection each and signatures computed before the
clock starts; latency runs from the scheduled start to the answer's last byte, so waiting for a
free connection counts. Configuration reaches the processes as COMMONPURSE_* variables;
--env KEY=VALUE (repeatable) adds or overrides one for gunicorn and the workers, e.g.
--env COMMONPURSE_INBOUND_ANSWER=worker.

    python -m bench load --db postgresql                      # rate: 200/s for 30 s a side
    python -m bench load --scenario votes                     # 10,000 votes in 60 s
    python -m bench load --scenario both --quick              # 50/s for 3 s; 300 votes in 6 s
"""

import argparse
import contextlib
import http.client
import itertools
import os
import random
import secrets
import shutil
import signal
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select, text
from twilio.request_validator import RequestValidator

from bench import harness
from bench.harness import NUMBER, PUBLIC, TOKEN, Side, interleave, percentile, project_app, report
from bench.inbound import BARE, PATH, bare_app
from bench.population import add_members
from bench.processes import (
    GUNICORN_WORKERS,
    Processes,
    children,
    console_script,
    environment,
    free_port,
    gunicorn,
    peak_rss_mb,
    start_fake_twilio,
    wait_answering,
    wait_healthy,
)
from bot.context import get_db
from models import Identity, Round, RoundOption, utcnow
from models.engine import make_engine
from tests.fake_twilio import ACCOUNT_SID

OPTIONS = 10  # in the open round
RATE_MEMBERS = 2_000  # who text in the rate scenario (--quick: 300)
NEWCOMER = None  # in MIX: a first text ("hi") from a number nobody has seen
MIX = ("BUDGET", "VOTE {a} {b}", "OPTIONS", "HELP", "MY IDEAS", "RESULTS", NEWCOMER, "VOTE {a}")
MEMBER_PHONES = "+44770%"  # bench/population.py's numbers; newcomers and warm-up use others
P99_GOAL = {"rate": 0.050, "votes": 1.0}
LEAD = 0.02  # seconds between starting the sending threads and the first scheduled request
TIMEOUT = 30.0  # seconds a request may take (gunicorn's own --timeout)
WARM_UP = 10  # requests to each app, untimed, before the first turn
POLL = 0.5  # seconds between looks at the database while votes are counted
TWILIO_GIVES_UP = 15.0  # seconds Twilio waits for a webhook's answer


# --------------------------------------------------------------------------------------------
# What is offered


@dataclass(slots=True)
class Shot:
    """One signed webhook request, when it is due (seconds after the start), and its answer."""

    body: bytes
    signature: str
    due: float
    status: int | None = None
    error: str | None = None
    done: float = 0.0  # seconds after the start when the answer's last byte was read

    @property
    def latency(self) -> float:
        return self.done - self.due


@dataclass(frozen=True)
class Plan:
    """A scenario's size: `count` requests a side at `rate` a second, in `turns` turns."""

    scenario: str
    rate: float
    seconds: float
    turns: int
    members: int

    @property
    def count(self) -> int:
        return round(self.rate * self.seconds)

    @property
    def name(self) -> str:
        if self.scenario == "votes":
            return f"load-votes {self.count:,} in {self.seconds:g} s"
        return f"load-{self.rate:g}"


def plan_for(scenario: str, args) -> Plan:
    """The sizes asked for, or the issue's (--quick: a smoke run's)."""
    if scenario == "votes":
        votes = args.votes or (300 if args.quick else 10_000)
        seconds = args.seconds or (6 if args.quick else 60)
        return Plan("votes", votes / seconds, seconds, 1, votes)
    seconds = args.seconds or (3 if args.quick else 30)
    return Plan(
        "rate",
        args.rate or (50 if args.quick else 200),
        seconds,
        3 if seconds >= 15 else 1,
        300 if args.quick else RATE_MEMBERS,
    )


def signed(params: dict[str, str], due: float, validator: RequestValidator) -> Shot:
    """A Twilio webhook request with these form fields, signed as Twilio signs it."""
    form = {"AccountSid": ACCOUNT_SID, "To": NUMBER, "NumMedia": "0", "NumSegments": "1", **params}
    return Shot(urlencode(form).encode(), validator.compute_signature(PUBLIC + PATH, form), due)


def mixed_texts(count: int, phones: list[str], tag: str, seed: int) -> list[dict[str, str]]:
    """`count` texts of the rate scenario: MIX in turn, members chosen at random."""
    rng = random.Random(seed)
    texts = []
    for n in range(count):
        body = MIX[n % len(MIX)]
        a, b = rng.sample(range(1, OPTIONS + 1), 2)
        sender = f"+447800{seed % 10}{n:05d}" if body is NEWCOMER else rng.choice(phones)
        texts.append(
            {
                "MessageSid": f"SM{tag}{n:08d}",
                "From": sender,
                "Body": "hi" if body is NEWCOMER else body.format(a=a, b=b),
            }
        )
    return texts


def vote_texts(phones: list[str], tag: str, seed: int) -> list[dict[str, str]]:
    """One vote from each member, in a random order: VOTE and one to three options."""
    rng = random.Random(seed)
    order = list(phones)
    rng.shuffle(order)
    return [
        {
            "MessageSid": f"SM{tag}{n:08d}",
            "From": phone,
            "Body": "VOTE "
            + " ".join(map(str, sorted(rng.sample(range(1, OPTIONS + 1), rng.randint(1, 3))))),
        }
        for n, phone in enumerate(order)
    ]


def schedule(texts: list[dict[str, str]], rate: float) -> list[Shot]:
    """The texts signed and spaced evenly at `rate` a second (signing is done here, untimed)."""
    validator = RequestValidator(TOKEN)
    return [signed(params, n / rate, validator) for n, params in enumerate(texts)]


# --------------------------------------------------------------------------------------------
# The load generator


def fire(port: int, shots: list[Shot], connections: int, start: float) -> None:
    """Send every shot at `start` + its due time (time.perf_counter), open loop, from
    `connections` threads with a connection each; returns when every one is answered."""
    taken = itertools.count()  # next() is atomic: each shot goes to one thread
    threads = [
        threading.Thread(target=_send_from, args=(port, shots, taken, start), daemon=True)
        for _ in range(min(connections, len(shots)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _send_from(port: int, shots: list[Shot], taken: Iterator[int], start: float) -> None:
    """One connection's share: take the next shot, wait for its time, send it, read the answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    for index in taken:
        if index >= len(shots):
            break
        shot = shots[index]
        wait = start + shot.due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        shot.status, shot.error = _post(connection, shot)
        shot.done = time.perf_counter() - start
    connection.close()


def _post(connection: http.client.HTTPConnection, shot: Shot) -> tuple[int | None, str | None]:
    """POST one shot: (status, None), or (None, the error's name). A kept-alive connection the
    server had closed is opened again once (gunicorn's sync workers close after each answer,
    which http.client follows by itself)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": shot.signature}
    for attempt in (1, 2):
        reused = connection.sock is not None
        try:
            connection.request("POST", PATH, body=shot.body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status, None
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
            connection.close()
            if not reused or attempt == 2:
                return None, type(exc).__name__
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            return None, type(exc).__name__
    raise AssertionError("unreachable")


def errors(shots: list[Shot]) -> Counter:
    """Answers other than 200, by status or error name."""
    return Counter(s.status if s.status is not None else s.error for s in shots if s.status != 200)


def too_late(shots: list[Shot]) -> int:
    """Answers Twilio would not have waited for (it counts them as errors; they were stored)."""
    return sum(1 for s in shots if s.status is not None and s.latency > TWILIO_GIVES_UP)


def tally(side: Side, shots: list[Shot]) -> None:
    """Count a turn's 200s and their latencies into its side."""
    answered = [s for s in shots if s.status == 200]
    side.items += len(answered)
    side.latencies.extend(s.latency for s in answered)


# --------------------------------------------------------------------------------------------
# The database and the processes


# What a month of a community's life leaves: each member's message joining and our answer, a
# conversation, a ballot in an earlier round. Without it the surge began on empty message tables,
# and PostgreSQL's first plans for them (sequential scans, good for an empty table) were kept
# while the tables grew: every answer read the whole inbound log, until autovacuum analysed it.
HISTORY = (
    "INSERT INTO inbound_message (channel, provider_message_id, sender, body, received_at, "
    "community_id, resident_id) SELECT 'sms', 'SMhistory' || CAST(i.id AS VARCHAR), i.value, 'YES', "
    ":then, :community, i.resident_id FROM identity i WHERE i.community_id = :community",
    "INSERT INTO outbox_message (community_id, resident_id, channel, address, sender, body, segments, "
    "erase_after_send, status, attempts, held, next_attempt_at, created_at, sent_at, provider_id) "
    "SELECT :community, i.resident_id, 'sms', i.value, '+441632960001', 'Welcome', 1, :no, 'sent', 1, "
    ":no, :then, :then, :then, 'SMhistory' || CAST(i.id AS VARCHAR) FROM identity i "
    "WHERE i.community_id = :community",
    "INSERT INTO conversation (resident_id, data, updated_at) "
    "SELECT id, '{}', :then FROM resident WHERE community_id = :community",
    "INSERT INTO ballot (round_id, resident_id, choices, channel, receipt, cast_at, changed_at) "
    "SELECT :round, id, '[1]', 'sms', 'H' || CAST(id AS VARCHAR), :then, :then FROM resident "
    "WHERE community_id = :community AND id % 2 = 0",
)


NOT_HISTORY = "(provider_id IS NULL OR provider_id NOT LIKE 'SMhistory%')"  # the outbox's rows of today


def _history(session, community_id: int, then) -> None:
    """HISTORY, for the members there are: an earlier round, closed, for their ballots."""
    earlier = Round(
        community_id=community_id,
        title="Earlier",
        method="approval",
        rule="greedy",
        budget_pence=1_000_00,
        status="closed",
        opens_at=then,
        closes_at=then + timedelta(days=1),
        opened_at=then,
        closed_at=then + timedelta(days=1),
        created_at=then,
        options=[RoundOption(number=1, title="Earlier idea", cost_pence=1_000_00)],
    )
    session.add(earlier)
    session.flush()
    for statement in HISTORY:
        session.execute(
            text(statement), {"then": then, "community": community_id, "no": False, "round": earlier.id}
        )


def populate(url: str, members: int) -> tuple[list[str], int]:
    """A migrated database with community "bench", `members` joined members with a month's
    history (HISTORY) and a round open with OPTIONS options, analysed; returns the members'
    phones and the round's id."""
    db = get_db(project_app(url))
    now = utcnow()
    with db.transaction() as session:
        community = add_members(session, members)
        round_ = Round(
            community_id=community.id,
            title="Park",
            method="approval",
            rule="greedy",
            budget_pence=1_000_000_00,
            status="open",
            opens_at=now,
            closes_at=now + timedelta(days=7),
            opened_at=now,
            created_at=now,
            options=[
                RoundOption(number=n, title=f"Idea {n}", cost_pence=n * 10_000_00)
                for n in range(1, OPTIONS + 1)
            ],
        )
        session.add(round_)
        session.flush()
        round_id = round_.id
        phones = list(
            session.scalars(select(Identity.value).where(Identity.kind == "phone").order_by(Identity.id))
        )
        _history(session, community.id, now - timedelta(days=30))
    BARE.create_all(db.engine)  # before gunicorn's two workers would race to create it
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))  # as autovacuum would have by now
    db.engine.dispose()
    return phones, round_id


def bare_from_env():
    """bench/inbound.py's bare app on COMMONPURSE_DATABASE_URL, with a /healthz, for gunicorn
    (`bench.load:bare_from_env()`)."""
    app = bare_app(os.environ["COMMONPURSE_DATABASE_URL"])
    app.add_url_rule("/healthz", "healthz", lambda: "ok")
    return app


@dataclass
class System:
    """The running processes: the project's and the baseline's gunicorn, the workers."""

    processes: Processes
    ports: dict[str, int]  # "project", "baseline"
    workers: int


def settings(url: str, spool: Path, overrides: list[tuple[str, str]]) -> dict[str, str]:
    """The COMMONPURSE_* variables of every process, then --env's."""
    return {
        "COMMONPURSE_DATABASE_URL": url,
        "COMMONPURSE_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "COMMONPURSE_TWILIO_AUTH_TOKEN": TOKEN,
        "COMMONPURSE_PUBLIC_URL": PUBLIC,
        "COMMONPURSE_INBOUND_PER_MINUTE": str(10**6),  # no flood limit: nobody is flooding
        "COMMONPURSE_SMS_SEGMENTS_PER_SECOND": str(10**9),  # pacing off: the fake is no carrier
        "COMMONPURSE_LOG_LEVEL": "WARNING",
        "COMMONPURSE_SPOOL_DIR": str(spool),
        "COMMONPURSE_SECRET_KEY": secrets.token_urlsafe(32),  # nothing written to instance/
        **dict(overrides),
    }


BARE_APP = "bench.load:bare_from_env()"


@contextlib.contextmanager
def running(url: str, args, logs: Path, bare: str = BARE_APP) -> Iterator[System]:
    """The fake Twilio, both gunicorns (the baseline's serving `bare`) and `args.workers`
    `commonpurse worker`s, up and answering; all stopped on the way out."""
    processes = Processes(environment(settings(url, logs.parent / "spool", args.env)), logs)
    try:
        fake = start_fake_twilio(processes)  # all start at once, and are waited for together
        processes.env.setdefault("COMMONPURSE_TWILIO_API_URL", fake)  # unless --env set it
        ports = {"project": free_port(), "baseline": free_port()}
        processes.start("web", gunicorn(ports["project"]))
        processes.start("bare", gunicorn(ports["baseline"], bare))
        for n in range(1, args.workers + 1):
            processes.start(f"worker{n}", [console_script("commonpurse"), "worker"])
        wait_answering(fake)
        for port in ports.values():
            wait_healthy(f"http://127.0.0.1:{port}")
        if processes.exited():
            raise RuntimeError(f"{', '.join(processes.exited())} exited at start; see {logs}")
        yield System(processes, ports, args.workers)
    finally:
        processes.stop_all()


def warm_up(system: System) -> None:
    """A few untimed requests to each app, so neither pays for its first ones in a turn."""
    for name, port in system.ports.items():
        texts = [
            {"MessageSid": f"SMwarm{name[0]}{n:04d}", "From": f"+447911{n:06d}", "Body": "HELP"}
            for n in range(WARM_UP)
        ]
        shots = schedule(texts, 100)
        fire(port, shots, 2, time.perf_counter())
        if errors(shots):
            raise RuntimeError(f"the {name} app answered the warm-up with {dict(errors(shots))}")


def settle(engine, system: System, most: float = 60) -> None:
    """Wait (at most `most` seconds) until no reply waits in the outbox, so a turn does not pay
    for the previous turn's sending."""
    if not system.workers:
        return
    deadline = time.monotonic() + most
    while time.monotonic() < deadline and waiting(engine):
        time.sleep(POLL)


def waiting(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM outbox_message WHERE status IN ('queued', 'sending')")
        ).scalar()


def gunicorn_rss(system: System) -> str:
    """The gunicorn workers' peak RSS, project's then baseline's."""
    parts = []
    for side, name in (("project", "web"), ("baseline", "bare")):
        sizes = [peak_rss_mb(pid) for pid in children(system.processes.running[name].pid)]
        parts.append(f"{side} " + "/".join(f"{size:.0f}" for size in sizes) + " MB")
    return ", ".join(parts)


# --------------------------------------------------------------------------------------------
# The votes' progress


@dataclass
class Progress:
    """Every POLL seconds from the first vote: how many ballots the round has, how many members
    have a reply queued (an outbox row, whatever its status) and how many had one sent. Each
    member votes once, so a member answered is a vote answered."""

    engine: object
    round_id: int
    samples: list[tuple[float, int, int, int]] = field(default_factory=list)

    def __post_init__(self):
        self.stop = threading.Event()

    def follow(self, start: float) -> None:
        """Sample in a thread from `start` (time.perf_counter) until `stop`."""

        def run():
            while not self.stop.wait(POLL):
                self.samples.append((time.perf_counter() - start, *self.counts()))

        threading.Thread(target=run, daemon=True).start()

    def counts(self) -> tuple[int, int, int]:
        with self.engine.connect() as connection:
            return tuple(
                connection.execute(
                    text(
                        "SELECT (SELECT count(*) FROM ballot WHERE round_id = :round), "
                        "(SELECT count(DISTINCT address) FROM outbox_message WHERE address LIKE :members "
                        f" AND {NOT_HISTORY}), "
                        "(SELECT count(DISTINCT address) FROM outbox_message WHERE address LIKE :members "
                        f" AND {NOT_HISTORY} AND status IN ('sent', 'delivered'))"
                    ),
                    {"round": self.round_id, "members": MEMBER_PHONES},
                ).one()
            )

    def wait(self, stored: int, sending: bool, most: float) -> None:
        """Until every stored vote is counted and answered (and sent, with a worker), or
        `most` seconds."""
        deadline = time.monotonic() + most
        while time.monotonic() < deadline:
            if self.samples and self.finished(self.samples[-1], stored, sending):
                break
            time.sleep(POLL)
        self.stop.set()

    @staticmethod
    def finished(sample, stored: int, sending: bool) -> bool:
        _, counted, answered, sent = sample
        return counted >= stored and answered >= stored and (sent >= stored or not sending)

    def first(self, test: Callable[[tuple], bool]) -> float | None:
        return next((sample[0] for sample in self.samples if test(sample)), None)


def stored_votes(
    engine, tag: str, table: str = "inbound_message", column: str = "provider_message_id"
) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text(f"SELECT count(*) FROM {table} WHERE {column} LIKE :tag"), {"tag": f"SM{tag}%"}
        ).scalar()


# --------------------------------------------------------------------------------------------
# The scenarios


def rate_scenario(plan: Plan, system: System, engine, phones: list[str], args) -> None:
    """`plan.turns` turns a side of open-loop mixed texts; p99, achieved rate, errors."""
    per_turn = round(plan.count / plan.turns)
    turns = {
        side: iter(
            [
                schedule(mixed_texts(per_turn, phones, f"{side[0]}{n}", n), plan.rate)
                for n in range(plan.turns)
            ]
        )
        for side in ("project", "baseline")
    }
    sent: dict[str, list[Shot]] = {"project": [], "baseline": []}

    def turn(name: str) -> Callable[[Side], None]:
        def run(side: Side) -> None:
            shots = next(turns[name])
            fire(system.ports[name], shots, args.connections, time.perf_counter() + LEAD)
            tally(side, shots)
            sent[name].extend(shots)

        return run

    ours, bare = interleave(
        plan.turns, turn("project"), turn("baseline"), lambda name: settle(engine, system)
    )
    report(f"{plan.name} (postgresql)", ours, bare, "req")
    print(
        f"  offered {plan.rate:g} req/s for {plan.seconds:g} s a side "
        f"({plan.turns} turn{'s' if plan.turns > 1 else ''}, interleaved), "
        f"{len(sent['project']):,} requests each; achieved: project {ours.rate:.1f} req/s, "
        f"baseline {bare.rate:.1f} req/s"
    )
    goal(plan, ours)
    print_errors(sent)


def votes_scenario(plan: Plan, system: System, engine, phones: list[str], round_id: int, args) -> None:
    """Every member votes once, open loop; stored, acknowledgement p99, and how long until
    every vote is counted and answered."""
    shots = {
        "project": schedule(vote_texts(phones, "vote", 1), plan.rate),
        "baseline": schedule(vote_texts(phones, "bvote", 1), plan.rate),
    }
    progress = Progress(engine, round_id)
    outcome: dict[str, float] = {}

    def project(side: Side) -> None:
        start = time.perf_counter() + LEAD
        progress.follow(start)
        fire(system.ports["project"], shots["project"], args.connections, start)
        tally(side, shots["project"])
        outcome["last"] = max(s.done for s in shots["project"])

    def baseline(side: Side) -> None:
        fire(system.ports["baseline"], shots["baseline"], args.connections, time.perf_counter() + LEAD)
        tally(side, shots["baseline"])

    def prepare(name: str) -> None:
        if name == "baseline":  # the project's votes are all counted and answered first
            outcome["stored"] = stored_votes(engine, "vote")
            progress.wait(outcome["stored"], system.workers > 0, args.drain)
        settle(engine, system)

    ours, bare = interleave(1, project, baseline, prepare)
    report(f"{plan.name} (postgresql)", ours, bare, "vote")
    stored = int(outcome["stored"])
    bare_stored = stored_votes(engine, "bvote", "bench_inbound", "sid")
    print(
        f"  stored {stored:,}/{plan.count:,} (baseline {bare_stored:,}/{plan.count:,}); "
        f"ack p99 {percentile(ours.latencies, 99) * 1000:.0f} ms "
        f"(baseline {percentile(bare.latencies, 99) * 1000:.0f} ms)"
    )
    goal(plan, ours)
    print_errors(shots)
    print("  " + counted_line(progress, stored, outcome["last"], system.workers, args.drain))


def counted_line(progress: Progress, stored: int, last: float, workers: int, most: float) -> str:
    """When every stored vote was counted and answered (and sent), from the first vote."""
    answered = progress.first(lambda s: s[1] >= stored and s[2] >= stored)
    sent = progress.first(lambda s: s[3] >= stored)
    if answered is None:
        _, counted, queued, _ = progress.samples[-1] if progress.samples else (0, 0, 0, 0)
        return (
            f"NOT all counted+answered {most:.0f} s after the load: {counted:,} ballots, "
            f"{queued:,} replies queued for {stored:,} stored votes"
        )
    line = (
        f"all counted+answered after {answered:.1f} s from the first vote "
        f"({max(0.0, answered - last):.1f} s after the last acknowledgement; "
        f"polled every {POLL:g} s)"
    )
    if workers:
        line += f"; all replies sent after {sent:.1f} s" if sent is not None else "; NOT all replies sent"
    return line


def goal(plan: Plan, ours: Side) -> None:
    p99 = percentile(ours.latencies, 99)
    target = P99_GOAL[plan.scenario]
    print(
        f"  goal p99 < {target * 1000:g} ms: project {p99 * 1000:.1f} ms, "
        f"{'met' if p99 < target else 'MISSED'}"
    )


def print_errors(shots: dict[str, list[Shot]]) -> None:
    print(
        "  errors: "
        + ", ".join(f"{name} {describe(errors(sent))}" for name, sent in shots.items())
        + f"; answered after Twilio's {TWILIO_GIVES_UP:g} s: "
        + ", ".join(f"{name} {too_late(sent)}" for name, sent in shots.items())
    )


def describe(counts: Counter) -> str:
    return (
        "0"
        if not counts
        else f"{sum(counts.values())} ("
        + ", ".join(f"{key}: {n}" for key, n in sorted(counts.items(), key=str))
        + ")"
    )


# --------------------------------------------------------------------------------------------


def run_scenario(scenario: str, args, folder: Path) -> None:
    """One scenario on a fresh schema: populate, start the processes, load, report."""
    plan = plan_for(scenario, args)
    url = harness.database_url("postgresql")
    logs = folder / scenario
    logs.mkdir()
    engine = make_engine(url)
    try:
        phones, round_id = populate(url, plan.members)
        with running(url, args, logs) as system:
            warm_up(system)
            print(
                f"{plan.name}: {plan.members:,} members, gunicorn -w {GUNICORN_WORKERS}, {system.workers} "
                f"worker(s); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
                flush=True,
            )
            if scenario == "votes":
                votes_scenario(plan, system, engine, phones, round_id, args)
            else:
                rate_scenario(plan, system, engine, phones, args)
            print(
                f"  gunicorn workers' peak RSS: {gunicorn_rss(system)}; load average after "
                f"{os.getloadavg()[0]:.1f}",
                flush=True,
            )
            if system.processes.exited():
                raise RuntimeError(f"{', '.join(system.processes.exited())} exited; see {logs}")
    finally:
        engine.dispose()
        harness.drop("postgresql")


def key_value(text_: str) -> tuple[str, str]:
    key, sep, value = text_.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text_!r}")
    return key, value


def interrupted(signum, frame):
    raise KeyboardInterrupt  # SIGTERM cleans up as Ctrl-C does


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("postgresql",), default="postgresql")
    parser.add_argument("--scenario", choices=("rate", "votes", "both"), default="rate")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--rate", type=float, help="rate: requests offered a second (200)")
    parser.add_argument("--seconds", type=float, help="length of the load a side (30; votes 60)")
    parser.add_argument("--votes", type=int, help="votes: members, each voting once (10,000)")
    parser.add_argument("--workers", type=int, default=1, help="`commonpurse worker`s (1)")
    parser.add_argument("--connections", type=int, default=8, help="sending threads (8)")
    parser.add_argument(
        "--drain",
        type=float,
        default=120,
        help="most seconds to wait for the votes to be counted and answered",
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
    if args.workers < 0 or args.connections < 1:
        parser.error("--workers must be 0 or more, --connections 1 or more")
    signal.signal(signal.SIGTERM, interrupted)
    folder = Path(tempfile.mkdtemp(prefix="commonpurse-load-"))
    ok = False
    try:
        for scenario in ("rate", "votes") if args.scenario == "both" else (args.scenario,):
            run_scenario(scenario, args, folder)
        ok = True
    finally:
        if args.keep_logs or not ok:
            print(f"logs kept in {folder}", flush=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0
