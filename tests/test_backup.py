"""Backups that restore (issue 26): `commonpurse backup --to FILE` copies the database while
messages arrive, `commonpurse restore FILE` puts it into an empty database and checks it against
the backup's manifest (rows by table, each community's money). On SQLite and PostgreSQL; a
PostgreSQL restore goes into a new database of its own, dropped afterwards."""

import json
import os
import threading
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.cli import cli
from bot.context import get_db
from bot.web.app import create_app
from models import InboundLog
from models.engine import make_engine
from tests.conftest import Chat


@pytest.fixture
def empty_database(backend, database_url, tmp_path):
    """The URL of a new, empty database to restore into (the same schema name on PostgreSQL)."""
    if backend.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"cp_restore_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _restore(url: str, path):
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    try:
        return app.test_cli_runner().invoke(cli, ["restore", str(path)])
    finally:
        get_db(app).dispose()


def test_a_backup_taken_while_messages_arrive_restores_and_checks_itself(
    cp, db, clock, community, member, empty_database, tmp_path
):
    member.say("IDEA more benches")
    member.say("£2k")
    assert (
        cp(
            "budget", "allocate", "--community", "riverside", "--amount", "£20k", "--title", "Garden"
        ).exit_code
        == 0
    )
    others = [Chat(db, clock, "riverside", f"+4477009006{n:02d}") for n in range(3)]
    stop = threading.Event()

    def chatter() -> None:  # residents keep writing while the backup runs
        n = 0
        while not stop.is_set():
            others[n % 3].say("hi" if n < 3 else "BUDGET")
            n += 1

    writer = threading.Thread(target=chatter)
    writer.start()
    try:
        backup = cp("backup", "--to", str(tmp_path / "backup.db"))
    finally:
        stop.set()
        writer.join()
    assert backup.exit_code == 0, backup.output
    assert "Backed up" in backup.output
    manifest = json.loads((tmp_path / "backup.db.manifest.json").read_text())
    assert manifest["money"]["riverside"]["committed"] == 20_000_00
    assert manifest["tables"]["inbound_message"] >= 4  # the member's, and some of the others'
    with db.transaction() as session:  # more arrived after the copy than it holds
        assert (
            session.scalar(select(func.count()).select_from(InboundLog))
            >= manifest["tables"]["inbound_message"]
        )

    restored = _restore(empty_database, tmp_path / "backup.db")
    assert restored.exit_code == 0, restored.output
    assert "every table's rows and every community's money match the backup" in restored.output
    assert f"  inbound_message: {manifest['tables']['inbound_message']}" in restored.output


def test_a_restore_refuses_a_database_that_is_not_empty(cp, community, tmp_path, database_url):
    assert cp("backup", "--to", str(tmp_path / "b.db")).exit_code == 0
    refused = _restore(database_url, tmp_path / "b.db")
    assert refused.exit_code == 2 and "the database is not empty" in refused.output
    assert "Traceback" not in refused.output


def test_a_restore_that_differs_from_its_manifest_says_so(cp, community, empty_database, tmp_path):
    assert cp("backup", "--to", str(tmp_path / "b.db")).exit_code == 0
    manifest = tmp_path / "b.db.manifest.json"
    changed = json.loads(manifest.read_text())
    changed["tables"]["community"] = 2  # as if a row went missing on the way
    manifest.write_text(json.dumps(changed))
    result = _restore(empty_database, tmp_path / "b.db")
    assert result.exit_code == 1 and "DIFFERS tables community: backed up 2, restored 1" in result.output


def test_a_backup_never_overwrites_a_file(cp, community, tmp_path):
    (tmp_path / "b.db").write_text("keep me")
    refused = cp("backup", "--to", str(tmp_path / "b.db"))
    assert refused.exit_code == 2 and "already exists" in refused.output
    assert (tmp_path / "b.db").read_text() == "keep me"
