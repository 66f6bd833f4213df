"""The benchmark suite runs (a --quick smoke run on SQLite): one ratio line per benchmark; and
the surge benchmark answers a vote surge end to end under gunicorn on PostgreSQL. No timing is
asserted."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_SCHEMA, PG_URL, REQUIRE_PG

# Each runs the benchmarks in processes of their own for tens of seconds.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def test_the_quick_suite_prints_a_ratio_for_every_benchmark():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "bench", "all", "--db", "sqlite", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    ratios = [line.split(":")[0] for line in result.stdout.splitlines() if ": ratio " in line]
    assert [name.split()[0] for name in ratios] == [
        "inbound",
        "answers",
        "dispatch",
        "broadcast",
        "close",
        "digest",
        "startup",  # `--help`
        "startup",  # and one command, with `--quick`
    ]
    assert result.stdout.count("peak RSS") == 8


def test_the_quick_closes_benchmark_closes_checks_and_prints_a_ratio():
    """`python -m bench closes --quick`: a 200-ballot equal-shares round closed in a process of
    its own beside the bare count, its outcome's invariants hold and a sample counts as pabutools
    counts it. No timing is asserted."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "bench", "closes", "--db", "sqlite", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "closes 200 ballots x 50 options (sqlite): ratio " in result.stdout
    assert "invariants hold" in result.stdout
    assert "sample counted by pabutools: equal" in result.stdout


def test_the_quick_surge_answers_every_vote_end_to_end_beside_the_bare_app():
    """`python -m bench surge --mix votes --quick --db postgresql`: 100 members vote at 100/s
    through gunicorn, a `commonpurse worker` answers them all to the fake Twilio, the bare app
    answers as many inline, and a ratio is printed with the CPU the parts used (about 20 s). It
    runs what `bench load` runs too (its processes, populating, the open-loop sender). The
    benchmark itself reaches PostgreSQL at 127.0.0.1:5432, database test, as CI's."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("COMMONPURSE_TEST_REQUIRE_POSTGRES=1 but COMMONPURSE_TEST_DATABASE_URL is unset")
        pytest.skip("PostgreSQL not configured: set COMMONPURSE_TEST_DATABASE_URL")
    pytest.importorskip("gunicorn")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_SCHEMA": f"{PG_SCHEMA}_surge"}
    result = subprocess.run(
        [sys.executable, "-m", "bench", "surge", "--db", "postgresql", "--mix", "votes", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "surge-votes 100 at 100/s (postgresql, 1 worker(s)): ratio " in result.stdout
    assert "answered project 100/100, baseline 100/100" in result.stdout
    assert "errors: project 0, baseline 0" in result.stdout
    assert "CPU project: ms a message answered: web " in result.stdout
    assert "surge-votes (postgresql) scale-out: 1 worker(s) " in result.stdout
