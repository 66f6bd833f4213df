"""A fault suite that stays (issue #11): the production processes under load, hurt on purpose.

On PostgreSQL, behind a TCP proxy that can cut the database away, it runs the real processes
(`gunicorn -w 4 'bot.web.app:create_app()'`, `commonpurse worker`, `commonpurse scheduler`)
against a fake Twilio on 127.0.0.1, sends signed SMS webhooks from a few hundred residents,
and meanwhile

- SIGKILLs the outbox dispatcher (`commonpurse worker`) while it holds claimed rows, and
  starts a new one,
- SIGKILLs one gunicorn worker (gunicorn starts another),
- cuts the database for a while (`--outage`, 20 s) while rows are being sent, then restores it.

Afterwards it waits (bounded) for the outbox and the spool to drain, reads PostgreSQL directly
(not through the proxy) and prints what became of every message: acknowledged vs stored,
5xx answers, replies per inbound message, sends the fake Twilio received twice, the slowest
reply to a message that came in during the outage, and the outbox's statuses. It exits 1 if an
acknowledged message was not stored or any webhook answered 5xx.

    python bench/faults.py                    # about 2 minutes
    python bench/faults.py --seconds 150 --outage 70 --drain 150   # a longer outage

Only 127.0.0.1 is ever contacted. The PostgreSQL server is never stopped: the outage is the
proxy's. Everything lives in its own schema (`bench_faults`), dropped at the end; the
processes' logs and a CSV of every webhook request (requests.csv) are kept with --keep-logs or
when the run fails. Needs gunicorn (`pip install gunicorn`). See bench/README.md.
"""

import argparse
import collections
import contextlib
import csv
import itertools
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/ holds the fakes and the proxy

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from bench.processes import Processes, children, console_script, free_port, gunicorn, wait_healthy
from bench.processes import environment as process_environment
from bot.text.catalogue import render
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.fakes import serve_in_thread
from tests.tcp_proxy import TcpProxy

SCHEMA = "bench_faults"
PUBLIC = "https://purse.example.org"
WEBHOOK = "/webhooks/twilio/sms"
NUMBER = "+441632960001"  # the community's (Ofcom drama range)
FLOOD_LIMIT = 10  # the app's default per-sender limit a minute (INBOUND_PER_MINUTE)
TWILIO_GIVES_UP = 15.0  # seconds Twilio waits for a webhook's answer
SCRIPT = [
    "YES",
    "BUDGET",
    "IDEA {idea} near number {n}",
    "£{cost}",
    "MY IDEAS",
    "HELP",
    "IDEA {idea} for street {n}",
    "SKIP",
    "BUDGET",
    "HELP",
    "MY IDEAS",
    "BUDGET",
]
IDEAS = [
    "more benches on the green",
    "a community fridge",
    "repair the play park",
    "free swimming lessons",
    "a mural by the station",
    "planters on the high street",
]


class Timeout(Exception):
    """The whole run took longer than it may."""


# --------------------------------------------------------------------------------------------
# The fake Twilio, recording which provider id went where and when


@dataclass
class Receipt:
    sid: str
    to: str
    body: str
    at: float  # time.monotonic()


def start_twilio() -> tuple[FakeTwilio, list[Receipt], Callable[[], None]]:
    """tests/fake_twilio.py's fake, plus a record of the sid it gave each message."""
    fake = FakeTwilio()
    app = fake.app()
    receipts: list[Receipt] = []

    @app.after_request
    def record(response):
        if response.status_code == 201:
            data = response.get_json()
            receipts.append(Receipt(data["sid"], data["to"], data["body"], time.monotonic()))
        return response

    port, stop = serve_in_thread(app)
    fake.url = f"http://127.0.0.1:{port}"
    return fake, receipts, stop


# --------------------------------------------------------------------------------------------
# The load


@dataclass
class Sent:
    sid: str
    sender: str
    body: str
    scheduled: float
    started: float = 0.0
    answered: float = 0.0
    status: int | None = None
    error: str | None = None


@dataclass
class Load:
    """Signed webhooks at `rate` a second, open loop (as Twilio sends: it does not wait for us),
    from `residents` numbers taking turns, none sending more than `cap` in any 60 s."""

    base: str
    residents: int
    rate: float
    seconds: float
    cap: int
    results: list[Sent] = field(default_factory=list)

    def __post_init__(self):
        self.validator = RequestValidator(AUTH_TOKEN)
        self.local = threading.local()

    def run(self, stop: threading.Event) -> None:
        """Send for `seconds`; returns once every request has its answer or gave up (60 s)."""
        pool = ThreadPoolExecutor(max_workers=400, thread_name_prefix="twilio")
        try:
            for sent in self._messages(stop):
                self.results.append(sent)
                pool.submit(self._post, sent)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def _messages(self, stop: threading.Event):
        numbers = [f"+447700900{n:03d}" for n in range(self.residents)]
        turns = collections.Counter()
        recent = {number: collections.deque() for number in numbers}
        order = itertools.cycle(numbers)
        start = time.monotonic()
        for n in itertools.count():
            due = start + n / self.rate
            if due - start >= self.seconds or stop.is_set():
                return
            time.sleep(max(0.0, due - time.monotonic()))
            now = time.monotonic()
            for _ in range(self.residents):  # the next resident still under the cap
                number = next(order)
                window = recent[number]
                while window and window[0] <= now - 60:
                    window.popleft()
                if len(window) < self.cap:
                    break
            else:
                continue  # everyone is at the cap: skip this slot
            window.append(now)
            turn = turns[number]
            turns[number] += 1
            body = SCRIPT[turn % len(SCRIPT)].format(
                idea=IDEAS[(turn + n) % len(IDEAS)], n=n, cost=(n % 40 + 1) * 250
            )
            yield Sent(f"SM{uuid.uuid4().hex}", number, body, due)

    def _post(self, sent: Sent) -> None:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
        params = {
            "MessageSid": sent.sid,
            "AccountSid": ACCOUNT_SID,
            "From": sent.sender,
            "To": NUMBER,
            "Body": sent.body,
            "NumMedia": "0",
            "NumSegments": "1",
        }
        headers = {"X-Twilio-Signature": self.validator.compute_signature(PUBLIC + WEBHOOK, params)}
        sent.started = time.monotonic()
        try:
            response = session.post(self.base + WEBHOOK, data=params, headers=headers, timeout=(5, 60))
            sent.status = response.status_code
        except requests.RequestException as exc:
            sent.error = type(exc).__name__
            self.local.session = None
        sent.answered = time.monotonic()


# --------------------------------------------------------------------------------------------
# The faults


@dataclass
class Faults:
    processes: Processes
    proxy: TcpProxy
    worker_argv: list[str]
    engine: object  # straight to PostgreSQL, not through the proxy
    plan: list[tuple[float, str]]
    outage: float
    events: list[tuple[float, str]] = field(default_factory=list)
    cut_at: float | None = None
    restored_at: float | None = None

    def run(self, start: float, stop: threading.Event) -> None:
        try:
            for offset, action in self.plan:
                at = start + offset
                if action == "restore" and self.cut_at is not None:
                    at = self.cut_at + self.outage  # the cut may have waited for a send
                if stop.wait(max(0.0, at - time.monotonic())):
                    break
                try:
                    getattr(self, action)(start)
                except Exception as exc:  # noqa: BLE001 (reported, and the run goes on)
                    self.note(start, f"{action} FAILED: {exc!r}")
        finally:
            if self.cut_at is not None and self.restored_at is None:
                self.restore(start)

    def note(self, start: float, what: str) -> None:
        self.events.append((time.monotonic() - start, what))

    def while_sending(self, seconds: float = 5.0) -> int:
        """Wait (briefly) until a dispatcher holds freshly claimed rows, so a fault lands
        mid-send, the moment that can lose or repeat a message; returns how many."""
        deadline = time.monotonic() + seconds
        while True:
            with self.engine.connect() as connection:
                held = connection.execute(
                    text(
                        "SELECT count(*) FROM outbox_message WHERE status = 'sending' "
                        "AND claimed_at > clock_timestamp() - interval '2 seconds'"
                    )
                ).scalar()
            if held or time.monotonic() > deadline:
                return held
            time.sleep(0.005)

    def kill_worker(self, start: float) -> None:
        old = self.processes.running["worker"]
        held = self.while_sending()
        os.kill(old.pid, signal.SIGKILL)
        old.wait(10)
        self.note(
            start, f"SIGKILL dispatcher (commonpurse worker, pid {old.pid}) holding {held} claimed rows"
        )
        time.sleep(1.0)
        new = self.processes.start("worker", self.worker_argv)
        self.note(start, f"started a new dispatcher (pid {new.pid})")
        time.sleep(3.0)
        if new.poll() is not None:
            self.note(start, f"the new dispatcher EXITED at start ({new.returncode}): see worker.log")

    def kill_web_worker(self, start: float) -> None:
        master = self.processes.running["web"].pid
        pids = children(master)
        if not pids:
            self.note(start, "no gunicorn worker found to kill")
            return
        os.kill(pids[0], signal.SIGKILL)
        self.note(start, f"SIGKILL gunicorn worker pid {pids[0]} (of {pids})")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            now = children(master)
            if len(now) >= len(pids) and pids[0] not in now:
                self.note(start, f"gunicorn workers now {now}")
                return
            time.sleep(0.2)
        self.note(start, "gunicorn did not replace the killed worker within 15 s")

    def cut(self, start: float) -> None:
        held = self.while_sending()
        self.proxy.cut()
        self.cut_at = time.monotonic()
        self.note(start, f"database cut (proxy) for {self.outage:.0f} s, {held} outbox rows being sent")

    def restore(self, start: float) -> None:
        self.proxy.restore()
        self.restored_at = time.monotonic()
        self.note(start, "database restored")


class Sampler:
    """Once a second, read directly from PostgreSQL how much waits: outbox rows not yet sent,
    and spooled files not yet replayed."""

    def __init__(self, engine, spool: Path):
        self.engine, self.spool = engine, spool
        self.samples: list[tuple[float, int, int]] = []  # (monotonic, outbox waiting, spooled)

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(1.0):
            try:
                busy, files = outstanding(self.engine, self.spool)
            except Exception as exc:  # noqa: BLE001 (a busy server: skip this sample)
                print(f"sample skipped: {type(exc).__name__}", file=sys.stderr)
            else:
                self.samples.append((time.monotonic(), busy, files))

    def spool_empty_after(self, since: float | None) -> float | None:
        """Seconds from `since` until the spool was first seen empty."""
        if since is None:
            return None
        return next((at - since for at, _, files in self.samples if at >= since and not files), None)


# --------------------------------------------------------------------------------------------
# What became of it all


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def write_requests(path: Path, results: list[Sent], start: float) -> None:
    """Every webhook request: its MessageSid, sender, text, times (seconds into the load) and
    answer."""
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["sid", "from", "body", "scheduled", "started", "answered", "status", "error"])
        for s in results:
            out.writerow(
                [
                    s.sid,
                    s.sender,
                    s.body,
                    f"{s.scheduled - start:.3f}",
                    f"{s.started - start:.3f}" if s.started else "",
                    f"{s.answered - start:.3f}" if s.answered else "",
                    s.status or "",
                    s.error or "",
                ]
            )


def busiest_minute(times: list) -> int:
    """The most of `times` (datetimes or seconds) that fall in any one minute."""
    ordered, best, first = sorted(times), 0, 0
    minute = timedelta(minutes=1) if ordered and isinstance(ordered[0], datetime) else 60.0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= minute:
            first += 1
        best = max(best, last - first + 1)
    return best


def spooled_sids(log: Path) -> set[str]:
    pattern = re.compile(r"message (\S+) from \S+ spooled as")
    return {m.group(1) for m in pattern.finditer(log.read_text(errors="replace"))} if log.exists() else set()


def count_in(log: Path, needle: str) -> int:
    return log.read_text(errors="replace").count(needle) if log.exists() else 0


def outstanding(engine, spool: Path) -> tuple[int, int]:
    with engine.connect() as connection:
        busy = connection.execute(
            text("SELECT count(*) FROM outbox_message WHERE status IN ('queued', 'sending')")
        ).scalar()
    files = len([p for p in spool.glob("*.json")]) if spool.exists() else 0
    return busy, files


def analyse(
    engine,
    load: Load,
    receipts: list[Receipt],
    faults: Faults,
    sampler: Sampler,
    logs: Path,
    drained: bool,
    drain_seconds: float,
    processes: Processes,
) -> bool:
    """Print what became of every message; True when every acknowledged message was stored
    and nothing answered 5xx."""
    results = load.results
    acked = {s.sid: s for s in results if s.status == 200}
    answers = collections.Counter(s.status if s.status is not None else s.error for s in results)
    errors = [s for s in results if s.status is not None and s.status >= 500]
    fivexx = len(errors)
    no_answer = [s for s in results if s.status is None]

    with engine.connect() as connection:
        inbound = connection.execute(
            text(
                "SELECT id, provider_message_id, sender, received_at FROM inbound_message "
                "WHERE channel = 'sms'"
            )
        ).all()
        outbox = connection.execute(
            text("SELECT id, address, body, status, provider_id, created_at, attempts FROM outbox_message")
        ).all()
    stored = {row.provider_message_id: row for row in inbound}
    missing = sorted(sid for sid in acked if sid not in stored)
    stored_anyway = sum(1 for s in no_answer if s.sid in stored)
    errors_stored = sum(1 for s in errors if s.sid in stored)

    # Replies per inbound: replies are written with the `now` their message was stored at,
    # which is its received_at, except for a message replayed from the spool: that one keeps
    # when it arrived, and its reply is the sender's next reply written after it.
    replies = collections.defaultdict(list)
    for row in outbox:
        replies[(row.address, row.created_at)].append(row)
    by_sender = collections.defaultdict(list)
    for row in sorted(outbox, key=lambda r: r.id):
        by_sender[row.address].append(row)
    exact = {(i.sender, i.received_at) for i in inbound}
    used = {r.id for r in outbox if (r.address, r.created_at) in exact}
    for row in sorted(inbound, key=lambda r: r.id):
        key = (row.sender, row.received_at)
        if key in replies:
            continue
        later = next(
            (r for r in by_sender[row.sender] if r.id not in used and r.created_at >= row.received_at), None
        )
        if later is not None:
            used.add(later.id)
            replies[key] = [later]
    times_by_sender = collections.defaultdict(list)
    for row in inbound:
        times_by_sender[row.sender].append(row.received_at)
    per_inbound = collections.Counter()
    unanswered, flooded = [], 0
    for row in inbound:
        n = len(replies.get((row.sender, row.received_at), []))
        per_inbound[n] += 1
        if n == 0:  # the app's flood rule: more than FLOOD_LIMIT from a sender in a minute
            recent = sum(
                1
                for t in times_by_sender[row.sender]
                if timedelta(0) <= row.received_at - t < timedelta(minutes=1)
            )
            if recent > FLOOD_LIMIT:
                flooded += 1
            else:
                unanswered.append(row.provider_message_id)
    linked = sum(per_inbound[n] * n for n in per_inbound)
    sends_by_sender = collections.defaultdict(list)
    for sent in results:
        if sent.started:
            sends_by_sender[sent.sender].append(sent.started)
    sent_per_minute = max((busiest_minute(t) for t in sends_by_sender.values()), default=0)
    stored_per_minute = max((busiest_minute(t) for t in times_by_sender.values()), default=0)
    slow_down = render("slow_down")
    told_to_slow_down = sum(1 for row in outbox if row.body == slow_down)

    # What the provider received, against what the outbox says it sent.
    statuses = collections.Counter(row.status for row in outbox)
    sent_rows = [row for row in outbox if row.status in ("sent", "delivered")]
    recorded = {row.provider_id for row in outbox if row.provider_id}
    orphans = [r for r in receipts if r.sid not in recorded]  # accepted, never recorded
    wanted = collections.Counter((row.address, row.body) for row in sent_rows)
    got = collections.Counter((r.to, r.body) for r in receipts)
    twice = sum(max(0, got[key] - wanted[key]) for key in got)
    twice_keys = [key for key in got if got[key] > wanted[key]]
    retried = sum(1 for row in outbox if row.attempts > 1)
    gaps = []
    for key in twice_keys:
        at = sorted(r.at for r in receipts if (r.to, r.body) == key)
        gaps.append(max(b - a for a, b in itertools.pairwise(at)))

    # Reply lag: from our 200 to the fake Twilio receiving the first reply.
    arrival = {r.sid: r.at for r in receipts}
    spooled = spooled_sids(logs / "web.log")
    during = set(spooled)
    if faults.cut_at is not None:
        end = faults.restored_at or time.monotonic()
        during |= {s.sid for s in acked.values() if faults.cut_at <= s.answered <= end}
    lag_outage, lag_normal, outage_unreplied = [], [], 0
    for sid, sent in acked.items():
        row = stored.get(sid)
        if row is None:
            continue
        at = [
            arrival[r.provider_id]
            for r in replies.get((row.sender, row.received_at), [])
            if r.provider_id in arrival
        ]
        if not at:
            outage_unreplied += sid in during
            continue
        (lag_outage if sid in during else lag_normal).append(min(at) - sent.answered)
    latencies = [s.answered - s.started for s in results if s.status is not None]
    over_twilio = sum(1 for v in latencies if v > TWILIO_GIVES_UP)
    slip = max((s.started - s.scheduled for s in results if s.started), default=0.0)
    backlog = max((busy for _, busy, _ in sampler.samples), default=0)
    replayed_in = sampler.spool_empty_after(faults.restored_at)
    alive = {
        name: "alive" if process.poll() is None else "EXITED" for name, process in processes.running.items()
    }

    print()
    print("Faults injected (seconds into the load):")
    for at, what in faults.events:
        print(f"  {at:6.1f}  {what}")
    print()
    lost = f"  MISSING {len(missing)}: {', '.join(missing[:10])}" if missing else ""
    rows = [
        (
            "webhooks sent",
            (
                f"{len(results)} from {len({s.sender for s in results})} residents "
                f"in {load.seconds:.0f} s ({len(results) / load.seconds:.1f}/s)"
            ),
        ),
        ("answers", ", ".join(f"{k}: {v}" for k, v in sorted(answers.items(), key=str))),
        (
            "webhook latency",
            (
                f"p50 {percentile(latencies, 50) * 1000:.0f} ms, "
                f"p95 {percentile(latencies, 95) * 1000:.0f} ms, "
                f"max {max(latencies, default=0):.1f} s; "
                f"{over_twilio} over Twilio's {TWILIO_GIVES_UP:.0f} s "
                f"(client slip max {slip:.1f} s)"
            ),
        ),
        ("acknowledged (200)", str(len(acked))),
        ("stored of those", f"{len(acked) - len(missing)}{lost}"),
        ("no HTTP answer", f"{len(no_answer)} ({stored_anyway} of them stored anyway)"),
        (
            "5xx answers",
            (f"{fivexx} ({errors_stored} of them stored; Twilio does not retry)" if fivexx else "0"),
        ),
        (
            "spooled in outage",
            (
                f"{len(spooled)} (web log); spool replayed "
                + (f"{replayed_in:.0f} s after restore" if replayed_in is not None else "-")
            ),
        ),
        (
            "replies per inbound",
            (
                ", ".join(f"{k}: {v}" for k, v in sorted(per_inbound.items()))
                + f"  (of the 0s: {flooded} flood-limited, "
                f"{len(unanswered)} other)"
            ),
        ),
        (
            "flood limit",
            (
                f"residents sent at most {sent_per_minute} in a minute, stored as up to "
                f"{stored_per_minute} in a minute (received_at); "
                f"{told_to_slow_down} 'slow down' replies"
            ),
        ),
        (
            "outbox rows",
            (f"{len(outbox)} ({linked} linked to an inbound message); most waiting at once {backlog}"),
        ),
        ("outbox statuses", ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))),
        (
            "provider received",
            (
                f"{len(receipts)} messages for {len(sent_rows)} rows sent; "
                f"{len(orphans)} accepted but never recorded"
            ),
        ),
        (
            "duplicate sends",
            (
                f"{twice} ({len(twice_keys)} messages received twice"
                + (f", {min(gaps):.0f}-{max(gaps):.0f} s apart" if gaps else "")
                + f"); {retried} rows with attempts > 1"
            ),
        ),
        (
            "reply lag, normal",
            (
                f"p50 {percentile(lag_normal, 50):.1f} s, "
                f"p95 {percentile(lag_normal, 95):.1f} s, "
                f"max {max(lag_normal, default=float('nan')):.1f} s"
            ),
        ),
        (
            "reply lag, outage",
            (
                f"{len(lag_outage)} messages: p50 {percentile(lag_outage, 50):.1f} s, "
                f"slowest {max(lag_outage, default=float('nan')):.1f} s; "
                f"{outage_unreplied} without a reply"
            ),
        ),
        ("drained", f"{'yes' if drained else 'NO'}, {drain_seconds:.0f} s after the load"),
        (
            "process events",
            (
                f"gunicorn worker timeouts {count_in(logs / 'web.log', 'WORKER TIMEOUT')}, "
                f"dispatcher passes failed "
                f"{count_in(logs / 'worker.log', 'dispatcher pass failed')}, "
                f"lapsed claims taken over {count_in(logs / 'worker.log', 'claim lapsed')}; "
                f"at the end: web {alive['web']}, dispatcher {alive['worker']}, "
                f"scheduler {alive['scheduler']}"
            ),
        ),
    ]
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    if unanswered:
        print(f"  never answered (not flood-limited): {', '.join(unanswered[:10])}")
    for sent in errors[:10]:
        print(f"  {sent.status} for {sent.sid} ({sent.body!r}), see web.log")

    ok = not missing and not fivexx
    notes = []
    if twice:
        notes.append(f"{twice} duplicate sends")
    if unanswered:
        notes.append(f"{len(unanswered)} stored messages never answered")
    if flooded:
        notes.append(f"{flooded} stored messages flood-limited")
    if not drained:
        notes.append("outbox or spool not drained")
    print()
    print(
        f"{'PASS' if ok else 'FAIL'}: {len(acked)} acknowledged, {len(acked) - len(missing)} stored, "
        f"{fivexx} 5xx; " + ("; ".join(notes) if notes else "no duplicates, every message answered")
    )
    return ok


# --------------------------------------------------------------------------------------------


def interrupted(signum, frame):
    raise KeyboardInterrupt  # SIGTERM cleans up as Ctrl-C does


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=75, help="length of the load (default 75)")
    parser.add_argument("--rate", type=float, default=30, help="webhooks a second (default 30)")
    parser.add_argument("--residents", type=int, default=200, help="distinct senders (default 200)")
    parser.add_argument("--outage", type=float, default=20, help="seconds the database is cut")
    parser.add_argument("--drain", type=float, default=90, help="most seconds to wait for the outbox")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs")
    args = parser.parse_args()
    if args.seconds < 20:
        parser.error("--seconds must be at least 20")
    if args.outage > args.seconds * 0.5:
        parser.error("--outage must be at most half of --seconds")

    # Bounded in time whatever happens: setup, load, drain, a margin for the rest.
    def out_of_time(signum, frame):
        raise Timeout(f"stopped after {limit:.0f} s")

    limit = args.seconds + args.drain + 180
    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(int(limit))
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)  # also when started in the background

    target = make_url(args.database_url)
    if target.get_backend_name() != "postgresql":
        parser.error("--database-url must be PostgreSQL")
    if target.host not in (None, "127.0.0.1", "localhost"):
        parser.error("--database-url must be on 127.0.0.1")
    ok = False
    stop = threading.Event()
    folder = Path(tempfile.mkdtemp(prefix="commonpurse-faults-"))
    logs, spool = folder / "logs", folder / "spool"
    logs.mkdir()
    with contextlib.ExitStack() as cleanup:  # undone in reverse, whatever happens
        cleanup.callback(
            lambda: (
                print(f"logs kept in {logs}")
                if args.keep_logs or not ok
                else shutil.rmtree(folder, ignore_errors=True)
            )
        )
        admin = create_engine(args.database_url)
        cleanup.callback(admin.dispose)
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            connection.exec_driver_sql(f"CREATE SCHEMA {SCHEMA}")
        cleanup.callback(drop_schema, admin)
        in_schema = {"options": f"-csearch_path={SCHEMA}"}
        direct = create_engine(target.update_query_dict(in_schema))
        cleanup.callback(direct.dispose)
        proxy = TcpProxy((target.host or "127.0.0.1", target.port or 5432))
        cleanup.callback(proxy.close)
        fake, receipts, stop_twilio = start_twilio()
        cleanup.callback(stop_twilio)
        processes = Processes(environment(args, proxy, target, in_schema, fake, spool), logs)
        cleanup.callback(processes.stop_all)
        cleanup.callback(stop.set)
        cleanup.callback(signal.alarm, 0)
        try:
            ok = run(args, processes, proxy, direct, receipts, spool, logs, stop)
        except KeyboardInterrupt:
            print("interrupted: cleaning up", file=sys.stderr)
        except Timeout as exc:
            print(f"out of time: {exc}; cleaning up", file=sys.stderr)
    return 0 if ok else 1


def drop_schema(admin) -> None:
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def environment(args, proxy: TcpProxy, target, in_schema: dict, fake: FakeTwilio, spool: Path) -> dict:
    """What every process gets: the database through the proxy, the fake Twilio, the spool."""
    through_proxy = target.set(host="127.0.0.1", port=proxy.port).update_query_dict(in_schema)
    return process_environment(
        {
            "COMMONPURSE_DATABASE_URL": through_proxy.render_as_string(hide_password=False),
            "COMMONPURSE_SPOOL_DIR": str(spool),
            "COMMONPURSE_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "COMMONPURSE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "COMMONPURSE_TWILIO_API_URL": fake.url,
            "COMMONPURSE_PUBLIC_URL": PUBLIC,
            # The fake is not a carrier: pace well above the load, so the outbox can drain.
            "COMMONPURSE_SMS_SEGMENTS_PER_SECOND": "200",
            "COMMONPURSE_LOG_LEVEL": "INFO",
        }
    )


def run(
    args,
    processes: Processes,
    proxy: TcpProxy,
    direct,
    receipts: list[Receipt],
    spool: Path,
    logs: Path,
    stop: threading.Event,
) -> bool:
    """Set up, load, hurt, drain, report; True when nothing acknowledged was lost and no 5xx."""
    commonpurse = console_script("commonpurse")
    worker_argv = [commonpurse, "worker"]
    processes.run([commonpurse, "db", "upgrade"])
    processes.run(
        [
            commonpurse,
            "community",
            "create",
            "--name",
            "Fault Town",
            "--slug",
            "faults",
            "--budget",
            "£10k",
            "--join-code",
            "FAULTS",
            "--sms-number",
            NUMBER,
        ]
    )
    port = free_port()
    processes.start("web", gunicorn(port))
    processes.start("worker", worker_argv)
    processes.start("scheduler", [commonpurse, "scheduler"])
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base)
    time.sleep(2)  # the dispatcher and scheduler have started too
    for name, process in processes.running.items():
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start; see {logs / (name + '.log')}")

    n = args.seconds
    cut_at = max(n * 0.4, 15.0)
    plan = [
        (n * 0.15, "kill_worker"),
        (n * 0.3, "kill_web_worker"),
        (cut_at, "cut"),
        (cut_at + args.outage, "restore"),
    ]
    faults = Faults(processes, proxy, worker_argv, direct, plan, args.outage)
    sampler = Sampler(direct, spool)
    load = Load(base, args.residents, args.rate, args.seconds, cap=FLOOD_LIMIT - 1)
    print(
        f"load: {args.rate:.0f} webhooks/s from {args.residents} residents for {n:.0f} s "
        f"(load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs); "
        f"logs in {logs}",
        flush=True,
    )
    start = time.monotonic()
    chaos = threading.Thread(target=faults.run, args=(start, stop), daemon=True)
    chaos.start()
    threading.Thread(target=sampler.run, args=(stop,), daemon=True).start()
    load.run(stop)  # returns when every request has its answer (or gave up)
    chaos.join(timeout=args.outage + 30)
    print(
        f"load done in {time.monotonic() - start:.0f} s (load average {os.getloadavg()[0]:.1f}); "
        "waiting for the outbox to drain",
        flush=True,
    )
    write_requests(logs / "requests.csv", load.results, start)

    drain_start = time.monotonic()
    drained = False
    while time.monotonic() - drain_start < args.drain:
        try:
            busy, files = outstanding(direct, spool)
        except Exception:  # noqa: BLE001 (a slow server: try again)
            busy, files = 1, 1
        if not busy and not files:
            drained = True
            break
        time.sleep(1)
    drain_seconds = time.monotonic() - drain_start
    time.sleep(1)  # the last sends' commits
    return analyse(direct, load, receipts, faults, sampler, logs, drained, drain_seconds, processes)


if __name__ == "__main__":
    sys.exit(main())
