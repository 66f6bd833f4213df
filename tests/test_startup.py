"""`commonpurse` starts without the libraries only some commands need: every command (even
`--help`) builds the app, so a provider SDK or numpy imported at the top of a module on that path
is paid by every organiser for every command."""

import os
import subprocess
import sys

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
