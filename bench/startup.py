"""`commonpurse` start-up: `--help` and the commands organisers type most, each run as a new
process (as an organiser runs it), against a bare click + Flask + SQLAlchemy CLI doing the same
kind of thing: printing its help, and listing rows of one table. Wall time per run, interleaved."""

import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from bench.harness import Side, interleave, project_app, report
from bot.context import get_db
from bot.domain.demo import seed_demo
from models import utcnow

# What organisers type most (the README's walk-through), and the help they start from.
COMMANDS = (
    ("--help",),
    ("ideas", "list", "--community", "demo"),
    ("round", "list", "--community", "demo"),
    ("budget", "show", "--community", "demo"),
)

BARE = textwrap.dedent(
    """
    import os
    import click
    from flask import Flask
    from flask.cli import FlaskGroup
    from sqlalchemy import String, create_engine, select
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

    class Base(DeclarativeBase):
        pass

    class Idea(Base):
        __tablename__ = "bare_idea"
        id: Mapped[int] = mapped_column(primary_key=True)
        text: Mapped[str] = mapped_column(String(200))

    cli = FlaskGroup(create_app=lambda: Flask("bare"), add_default_commands=False)

    @cli.command("list", short_help="List ideas.")
    def list_ideas():
        engine = create_engine(os.environ["BARE_URL"])
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            for idea in session.scalars(select(Idea)):
                print(idea.text)

    cli()
    """
)


def run(db_kind: str, url: str, quick: bool) -> None:
    db = get_db(project_app(url, TWILIO_AUTH_TOKEN=None))
    with db.transaction() as session:
        seed_demo(session, utcnow())
    script = Path(tempfile.mkdtemp(prefix="bench-startup-")) / "bare.py"
    script.write_text(BARE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMONPURSE_")}
    env["COMMONPURSE_DATABASE_URL"] = env["BARE_URL"] = url
    ours_cmd = [str(Path(sys.executable).with_name("commonpurse"))]  # the installed script
    turns = 2 if quick else 7
    for command in COMMANDS[:2] if quick else COMMANDS:
        bare = (
            [sys.executable, str(script), "--help"]
            if command == ("--help",)
            else [sys.executable, str(script), "list"]
        )

        def project(side: Side, command: tuple[str, ...] = command) -> None:
            _time(side, [*ours_cmd, *command], env)

        def baseline(side: Side, bare: list[str] = bare) -> None:
            _time(side, bare, env)

        ours, theirs = interleave(turns, project, baseline)
        report(f"startup {' '.join(command)}", ours, theirs, "runs")
        print(f"  project p50 {_ms(ours)}, baseline p50 {_ms(theirs)}", flush=True)


def _time(side: Side, argv: list[str], env: dict[str, str]) -> None:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    side.latencies.append(time.perf_counter() - started)
    side.items += 1


def _ms(side: Side) -> str:
    values = sorted(side.latencies)
    return f"{values[len(values) // 2] * 1000:.0f} ms"
