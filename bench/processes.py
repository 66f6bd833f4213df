"""The production processes a benchmark starts and stops: gunicorn, `commonpurse worker`, and a
fake Twilio of their own (shared by bench/faults.py and bench/load.py).

Each process runs in a session of its own, so stopping it also stops whatever it started
(gunicorn's workers). Only 127.0.0.1 is listened on."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
# As README's production command deploys it: `gunicorn -w 4 'bot.web.app:create_app()'` (sync
# workers each wait on the database for part of a request: two left 0.6 of these 2 cores idle
# under a surge). BENCH_WEB_PROCESSES sets another count, for both the project and the bare app.
GUNICORN_WORKERS = int(os.environ.get("BENCH_WEB_PROCESSES", "4"))
PROJECT_APP = "bot.web.app:create_app()"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def console_script(name: str) -> str:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def environment(settings: dict[str, str]) -> dict[str, str]:
    """This process's environment without COMMONPURSE_* (nor Twilio's region) variables, plus
    `settings`, unbuffered output, and this checkout first on PYTHONPATH."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("COMMONPURSE_") and k not in ("TWILIO_EDGE", "TWILIO_REGION")
    }
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **settings,
        }
    )
    return env


def gunicorn(
    port: int, app: str = PROJECT_APP, workers: int = GUNICORN_WORKERS, options: tuple[str, ...] = ()
) -> list[str]:
    """The command line of `gunicorn -w GUNICORN_WORKERS` serving `app` on 127.0.0.1:`port`."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "30",
        *_no_control_socket(),
        *options,
        app,
    ]


def _no_control_socket() -> list[str]:
    """gunicorn 25 and later listen on a control socket, by default one path for every gunicorn
    of the user (~/.gunicorn/gunicorn.ctl): ours do without it."""
    try:
        from gunicorn.config import KNOWN_SETTINGS
    except ImportError:  # not installed here: gunicorn will say so itself
        return []
    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


class Processes:
    """The processes this run started, each in its own session, all stopped by `stop_all`."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs = env, logs
        self.running: dict[str, subprocess.Popen] = {}
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "ab") as log:  # the child keeps its own copy
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.running[name] = process
        self.started.append(process)
        return process

    def run(self, argv: list[str], timeout: float = 60) -> str:
        done = subprocess.run(
            argv, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def exited(self) -> list[str]:
        """The names of started processes that are no longer running."""
        return [name for name, process in self.running.items() if process.poll() is not None]

    def stop_all(self, grace: float = 10.0) -> None:
        alive = [p for p in self.started if p.poll() is None]
        for process in alive:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in alive:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
        for process in self.started:  # the process, and anything it left behind in its group
            _signal_group(process, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)  # its own session: the group id is its pid


def children(pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True, check=False
    )
    return [int(p) for p in out.stdout.split()]


def peak_rss_mb(pid: int) -> float:
    """A running process's peak resident memory (VmHWM), in MB; 0 if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((line for line in status.splitlines() if line.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) / 1024


def wait_healthy(base: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the web app did not answer {base}/healthz within {seconds:.0f}s")


def fake_twilio_app():
    """tests/fake_twilio.py's fake Twilio as a WSGI app, for gunicorn in a process of its own
    (`bench.processes:fake_twilio_app()`), so its work does not share the load generator's GIL.

    `GET /bench/replies?after=K` gives the messages it took from the K-th on, as [To, when]
    pairs, `when` being time.monotonic() in its process as each request came (the clock is the
    machine's: CLOCK_MONOTONIC, the same in every process)."""
    sys.path.insert(0, str(ROOT))  # tests/ is not a package that is installed
    from flask import jsonify, request

    from tests.fake_twilio import FakeTwilio

    fake = FakeTwilio()
    app = fake.app()

    @app.get("/bench/replies")
    def replies():
        taken = fake.sent[request.args.get("after", 0, type=int) :]  # appended to, never changed
        return jsonify([[sent.form.get("To", ""), sent.at] for sent in taken])

    return app


def start_fake_twilio(processes: Processes) -> str:
    """Start the fake Twilio (one process, a few threads); returns its base URL at once (see
    `wait_answering`)."""
    port = free_port()
    processes.start(
        "twilio", gunicorn(port, "bench.processes:fake_twilio_app()", 1, ("-k", "gthread", "--threads", "4"))
    )
    return f"http://127.0.0.1:{port}"


def wait_answering(base: str, seconds: float = 30) -> None:
    """Wait until `base` gives any HTTP answer (the fake Twilio's is a 404)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(base + "/", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered at {base} within {seconds:.0f} s")
