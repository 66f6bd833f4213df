"""What every benchmark shares: a database of its own, interleaved timing, and the report."""

import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.context import get_db
from bot.domain.communities import create_community
from bot.web.app import create_app
from models import utcnow
from models.engine import make_engine

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCHEMA = os.environ.get("BENCH_SCHEMA", f"bench_{os.getpid()}")  # one per run: runs never collide
TOKEN = "f" * 32
PUBLIC = "https://bench.example.org"
NUMBER = "+441632960001"


@dataclass
class Side:
    """One side of a comparison: seconds per round, and per-item latencies if measured."""

    items: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


def interleave(
    rounds: int,
    project: Callable[[Side], float | None],
    baseline: Callable[[Side], float | None],
    prepare: Callable[[str], None] | None = None,
) -> tuple[Side, Side]:
    """Run project, baseline, project, baseline... so both see the same machine. `prepare`
    ("project" or "baseline") runs untimed before each turn. A turn that times itself returns
    its seconds (bench/surge.py: from the first message offered to the last answered); else
    the call is timed."""
    ours, bare = Side(), Side()
    for _ in range(rounds):
        for name, side, run in (("project", ours, project), ("baseline", bare, baseline)):
            if prepare is not None:
                prepare(name)
            started = time.perf_counter()
            took = run(side)
            side.seconds += took if took is not None else time.perf_counter() - started
    return ours, bare


def report(name: str, ours: Side, bare: Side, unit: str) -> None:
    """The ratio line (what the smoke test looks for), then percentiles and peak RSS."""
    ratio = ours.rate / bare.rate if bare.rate else 0.0
    print(
        f"{name}: ratio {ratio:.2f} (project {ours.rate:,.0f} {unit}/s, baseline {bare.rate:,.0f} {unit}/s)"
    )
    for label, side in (("project", ours), ("baseline", bare)):
        if side.latencies:
            print(
                f"  {label:8} p50 {_ms(side.latencies, 50)}  p95 {_ms(side.latencies, 95)}  "
                f"p99 {_ms(side.latencies, 99)}"
            )
    print(f"  peak RSS {peak_rss_mb():.0f} MB", flush=True)


def seconds(name: str, figures: dict[str, float]) -> None:
    """A line of plain timings (no baseline)."""
    print(f"  {name}: " + ", ".join(f"{k} {v:.2f} s" for k, v in figures.items()), flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], percent: int) -> float:
    """The `percent`th percentile of `values` (inclusive quantiles); NaN if there are none."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def _ms(values: list[float], percent: int) -> str:
    return f"{percentile(values, percent) * 1000:.1f} ms"


def database_url(kind: str) -> str:
    """A fresh, empty database: a temporary SQLite file, or a PostgreSQL schema of its own."""
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/bench.db"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    admin.dispose()
    return (
        make_url(PG_URL)
        .update_query_dict({"options": f"-csearch_path={SCHEMA}"})
        .render_as_string(hide_password=False)
    )


def drop(kind: str) -> None:
    if kind == "postgresql":
        admin = make_engine(PG_URL)
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()


def project_app(url: str, **config):
    """The real app on a migrated database with one community, "bench"."""
    app = create_app(
        {
            "DATABASE_URL": url,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "LOG_LEVEL": "WARNING",
            "PUBLIC_URL": PUBLIC,
            "INBOUND_PER_MINUTE": 10**6,
            **config,
        }
    )
    db = get_db(app)
    db.upgrade()
    with db.transaction() as session:
        create_community(
            session,
            name="Bench",
            slug="bench",
            budget_total_pence=10**11,
            join_code="BENCH",
            sms_number=NUMBER,
            now=utcnow(),
        )
    return app
