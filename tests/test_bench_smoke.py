"""The benchmark suite runs (a --quick smoke run on SQLite): one ratio line per benchmark; and
the load benchmark runs its votes scenario under gunicorn on PostgreSQL. No timing is asserted."""

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


def test_the_quick_load_benchmark_stores_counts_and_answers_every_vote():
    """`python -m bench load --scenario votes --quick`, 100 votes in 2 s: members vote through
    gunicorn, and every vote is stored, counted and answered (about 20 s). The benchmark itself
    reaches PostgreSQL at 127.0.0.1:5432, database test, as CI's."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("COMMONPURSE_TEST_REQUIRE_POSTGRES=1 but COMMONPURSE_TEST_DATABASE_URL is unset")
        pytest.skip("PostgreSQL not configured: set COMMONPURSE_TEST_DATABASE_URL")
    pytest.importorskip("gunicorn")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_SCHEMA": f"{PG_SCHEMA}_load"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "load",
            "--scenario",
            "votes",
            "--quick",
            "--votes",
            "100",
            "--seconds",
            "2",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "load-votes 100 in 2 s (postgresql): ratio " in result.stdout
    assert "stored 100/100 (baseline 100/100)" in result.stdout
    assert "errors: project 0, baseline 0" in result.stdout
    assert "all counted+answered after " in result.stdout
