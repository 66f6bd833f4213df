"""`commonpurse backup --to FILE` and `commonpurse restore FILE`: a consistent copy of a live
database, and a restore into an empty one that checks itself against what was copied.

SQLite is copied with its online backup API (a consistent copy while others write). PostgreSQL
is dumped with `pg_dump --format=custom` from a snapshot the command exports, so the manifest it
writes beside the file (row counts by table, each community's ledger totals, the schema
version) is taken from exactly what the dump holds. A restore counts and sums again and says
whether they match; exit code 1 if not.
"""

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import Connection, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.cli.commands import summary
from bot.context import get_db
from bot.domain import ledger
from models import Base, Community

# A manifest is written beside the backup under this name: FILE + SUFFIX.
SUFFIX = ".manifest.json"


def _manifest(connection: Connection) -> dict[str, Any]:
    """What a backup holds: rows per table (ours, and the schema version), and each
    community's money as the ledger totals it."""
    tables = {
        name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
        for name in sorted(Base.metadata.tables)
    }
    session = Session(bind=connection)
    money = {
        c.slug: {
            "total": s.total,
            "committed": s.committed,
            "spent": s.spent,
            "remaining": s.remaining,
        }
        for c in session.scalars(select(Community).order_by(Community.slug))
        for s in (ledger.summary(session, c),)
    }
    version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return {"schema_version": version, "tables": tables, "money": money}


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise click.UsageError("an in-memory SQLite database cannot be backed up")
    return path


def backup_to(url: str, target: Path) -> dict[str, Any]:
    """Copy the database at `url` to `target` while it is in use; returns the manifest."""
    engine = get_db().engine
    if engine.dialect.name == "sqlite":
        with sqlite3.connect(_sqlite_path(url)) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        copied = sqlite3.connect(target)
        try:
            copied.execute("PRAGMA journal_mode=DELETE")  # one file, nothing beside it
        finally:
            copied.close()
        check = create_engine(f"sqlite:///{target}")
        try:
            with check.connect() as connection:
                return _manifest(connection)
        finally:
            check.dispose()
    if shutil.which("pg_dump") is None:
        raise click.UsageError("pg_dump is not installed (Debian: apt-get install postgresql-client)")
    with engine.connect() as connection:
        connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        manifest = _manifest(connection)
        done = subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--schema={schema}",
                "--no-owner",
                f"--file={target}",
                _libpq(url),
            ],
            capture_output=True,
            text=True,
        )
        connection.rollback()
    if done.returncode != 0:
        raise click.ClickException(f"pg_dump failed: {done.stderr.strip().splitlines()[-1:]}")
    return manifest


def restore_from(url: str, source: Path) -> dict[str, Any]:
    """Restore `source` into the (empty) database at `url`; returns what it then holds."""
    engine = get_db().engine
    with engine.connect() as connection:
        if inspect(connection).get_table_names():
            raise click.UsageError("the database is not empty: restore into a new, empty one")
    if engine.dialect.name == "sqlite":
        with sqlite3.connect(source) as backup, sqlite3.connect(_sqlite_path(url)) as target:
            backup.backup(target)
    else:
        if shutil.which("pg_restore") is None:
            raise click.UsageError("pg_restore is not installed (Debian: apt-get install postgresql-client)")
        done = subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq(url)}", str(source)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise click.ClickException(f"pg_restore failed: {done.stderr.strip().splitlines()[-1:]}")
    engine.dispose()  # a new connection sees the restored tables
    with engine.connect() as connection:
        return _manifest(connection)


@click.command("backup", short_help=summary("backup"))
@click.option("--to", "target", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(target: Path) -> None:
    """Make a consistent copy of the database while it is in use (SQLite's backup API, or
    pg_dump's custom format), with a manifest beside it (FILE.manifest.json) to check a restore."""
    if target.exists():
        raise click.UsageError(f"{target} already exists: give a new file")
    manifest = backup_to(get_db().url, target)
    Path(str(target) + SUFFIX).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    rows = sum(manifest["tables"].values())
    click.echo(f"Backed up {rows} rows in {len(manifest['tables'])} tables to {target}.")


@click.command("restore", short_help=summary("restore"))
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore(source: Path) -> None:
    """Restore a backup into the configured database, which must be empty, then check row
    counts by table and each community's ledger totals against the backup's manifest (exit
    code 1 if they differ)."""
    found = restore_from(get_db().url, source)
    manifest_path = Path(str(source) + SUFFIX)
    for name, count in found["tables"].items():
        click.echo(f"  {name}: {count}")
    if not manifest_path.exists():
        click.echo(f"Restored. No manifest ({manifest_path.name}) to check it against.")
        return
    expected = json.loads(manifest_path.read_text())
    differences = [
        f"{part} {key}: backed up {expected[part].get(key)}, restored {found[part].get(key)}"
        for part in ("tables", "money")
        for key in sorted(set(expected[part]) | set(found[part]))
        if expected[part].get(key) != found[part].get(key)
    ]
    if expected["schema_version"] != found["schema_version"]:
        differences.append(f"schema version: {expected['schema_version']} against {found['schema_version']}")
    if differences:
        for line in differences:
            click.echo(f"DIFFERS {line}", err=True)
        raise SystemExit(1)
    click.echo("Restored and checked: every table's rows and every community's money match the backup.")
