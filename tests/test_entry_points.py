"""The real entry points, as a person runs them: `commonpurse chat`, `serve`, `/healthz`."""

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

COMMONPURSE = shutil.which("commonpurse")


def _env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMONPURSE_")}
    env["COMMONPURSE_DATABASE_URL"] = database_url
    return env


def _run(database_url, *args, stdin=""):
    assert COMMONPURSE, "the commonpurse script is not installed (pip install -e .)"
    return subprocess.run(
        [COMMONPURSE, *args], input=stdin, capture_output=True, text=True, env=_env(database_url), timeout=60
    )


@pytest.mark.slow
def test_chat_with_piped_input_prints_a_transcript(database_url, community):
    lines = ["hello", "yes", "IDEA more benches on the green", "£2k", "budget", "STOP", "help"]
    result = _run(
        database_url,
        "chat",
        "--community",
        "riverside",
        "--as",
        "07700 900123",
        stdin="\n".join(lines) + "\n",
    )
    assert result.returncode == 0, result.stderr
    turns = result.stdout.split("\n\n")
    assert "Reply YES to join" in turns[0]
    assert "you're in" in turns[1]
    assert "how much" in turns[2]
    assert "#1" in turns[3] and "£2,000" in turns[3]
    assert "Still to decide: £1,150,000" in turns[4]
    assert "won't get any more messages" in turns[5]
    assert turns[6].strip() == ""  # after STOP: silence
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_chat_refuses_a_bad_phone_number_in_one_line(database_url, community):
    result = _run(database_url, "chat", "--community", "riverside", "--as", "not-a-phone")
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "commonpurse: error: Invalid value for --as: 'not-a-phone' is not a phone number"
    )


@pytest.mark.slow
def test_chat_refuses_an_unknown_community_in_one_line(database_url, community):
    result = _run(database_url, "chat", "--community", "atlantis", "--as", "07700900123")
    assert result.returncode == 2
    assert result.stderr.strip() == "commonpurse: error: no community with slug 'atlantis'"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.slow
def test_serve_demo_on_a_fresh_sqlite_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    port = _free_port()
    server = subprocess.Popen(
        [COMMONPURSE, "serve", "--demo", "--port", str(port)],
        env=_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "serve did not come up in 30 s"
                time.sleep(0.2)
        assert (status, body.strip()) == (200, '{"database":"ok","status":"ok"}')
        assert "Common Purse is running" in _get(f"http://127.0.0.1:{port}/")[1]
        result = _run(url, "chat", "--community", "demo", "--as", "+447700900123", stdin="hi\nYES\nBUDGET\n")
        assert "Riverside Big Local (demo)" in result.stdout
        assert "Committed to projects: £20,000" in result.stdout
        assert "community garden opened" in result.stdout
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "Try the demo: commonpurse chat --community demo" in out


@pytest.mark.slow
def test_worker_runs_until_sigterm(tmp_path):
    worker = subprocess.Popen(
        [COMMONPURSE, "worker"],
        env=_env(f"sqlite:///{tmp_path / 'w.db'}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # as a process manager starts it
    )
    deadline = time.monotonic() + 30
    while "dispatcher started" not in (line := worker.stderr.readline()):
        assert line and time.monotonic() < deadline, "worker did not start"
    # It stands back from the web processes for the CPU (COMMONPURSE_WORKER_NICE, 10 by default):
    # in a surge, webhooks starved beside it (acknowledged 43 s late at 200 a second).
    nice = int(Path(f"/proc/{worker.pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
    assert nice == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
    # In a session of its own it is alone in its autogroup, which competes with the web's as an
    # equal whatever a process's niceness (Linux's autogroup scheduling, on here): the group
    # stands back too (measured: webhooks taken beside a busy worker ... see README).
    autogroup = Path(f"/proc/{worker.pid}/autogroup")
    if Path("/proc/sys/kernel/sched_autogroup_enabled").exists() and autogroup.exists():
        assert autogroup.read_text().split()[-1] == "10"
    worker.send_signal(signal.SIGTERM)
    worker.communicate(timeout=30)
    assert worker.returncode == 0


def test_healthz(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok", "database": "ok"})


def test_healthz_reports_a_database_that_is_down(tmp_path):
    from bot.web.app import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.db", "TESTING": True})
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.json["database"]) == (503, "unavailable")
