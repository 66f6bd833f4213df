"""`commonpurse` starts without the libraries only some commands need: every command (even
`--help`) builds the app, so a provider SDK or numpy imported at the top of a module on that path
is paid by every organiser for every command."""

import os
import subprocess
import sys

import click

# Loaded where they are used: the senders and webhooks (telegram, twilio and requests under it),
# the duplicate finder (numpy, rapidfuzz), migrations (alembic), the digest's charts (matplotlib).
DEFERRED = ("telegram", "twilio", "requests", "httpx", "numpy", "rapidfuzz", "alembic", "matplotlib")

LOADED = """
import sys
from bot.cli import cli
from bot.web.app import create_app
create_app({"DATABASE_URL": "sqlite://"})
print(" ".join(sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[1:]))))
"""


def test_the_cli_and_the_app_load_without_the_deferred_libraries():
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMONPURSE_")}
    result = subprocess.run(
        [sys.executable, "-c", LOADED, *DEFERRED], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []


HELP = """
import sys
from bot.cli import main
sys.argv = ["commonpurse", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
OURS = ("sqlalchemy", "bot", "models", "scheduler")
print("LOADED", " ".join(sorted(name for name in sys.modules if name.split(".")[0] in OURS)))
"""


def _loaded(*args: str, env: dict | None = None) -> set[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("COMMONPURSE_")}
    result = subprocess.run(
        [sys.executable, "-c", HELP, *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.rsplit("LOADED", 1)[1].split())


def test_help_lists_every_command_without_loading_them_or_the_database():
    """`commonpurse --help` is what an organiser types first: it took a second, loading every
    command's services, the models and the whole web app to print a list (issue 28)."""
    loaded = _loaded("--help")
    assert not {name for name in loaded if name.split(".")[0] in ("sqlalchemy", "models")}
    # the scheduler's two commands come in as a plugin: its module, light, and nothing else
    assert {name for name in loaded if name.startswith("scheduler")} <= {"scheduler", "scheduler.cli"}
    ours = {name for name in loaded if name.startswith("bot.")}
    assert ours <= {"bot", "bot.cli", "bot.cli.commands", "bot.errors"}


def test_a_command_runs_without_the_web_app(tmp_path):
    """A command needs the settings and the database, not the dashboard, API and webhooks."""
    url = f"sqlite:///{tmp_path}/cli.db"
    loaded = _loaded("community", "list", env={"COMMONPURSE_DATABASE_URL": url})
    assert "bot.cli.community" in loaded and "bot.cli.rounds" not in loaded
    assert not {
        name for name in loaded if name.startswith(("bot.web.dashboard", "bot.web.api", "bot.web.webhooks"))
    }


def test_every_command_in_the_table_is_the_command_it_names():
    """The table `--help` reads names each command's module; a name that drifts from the
    command it loads would list one command and run another."""
    from bot.cli import cli
    from bot.cli.commands import COMMANDS, summary

    for name in COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None and command.name == name
        assert command.get_short_help_str(200) == summary(name)
