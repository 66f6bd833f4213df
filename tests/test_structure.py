"""The shape we promised: migrations match the models; dependencies point one way."""

import ast
import itertools
from datetime import UTC
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from models import Base
from models.engine import make_engine
from models.migrate import is_current, upgrade

ROOT = Path(__file__).parent.parent


def test_migrations_build_exactly_the_models(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []
        assert is_current(engine)
        upgrade(engine)  # a second upgrade is a no-op
    finally:
        engine.dispose()


def _imports(package: str, depth: int = 1) -> set[str]:
    """Every module `package` imports, cut to its first `depth` dotted parts."""
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {".".join(alias.name.split(".")[:depth]) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(".".join(node.module.split(".")[:depth]))
                if node.module == "bot":  # from bot import context
                    found |= {f"bot.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize(
    "package, forbidden",
    [
        ("channels", {"bot", "models", "scheduler", "sqlalchemy"}),
        ("models", {"bot", "channels", "scheduler", "flask"}),
        ("bot", {"scheduler", "twilio", "telegram", "apscheduler"}),
    ],
)
def test_dependencies_point_one_way(package, forbidden):
    assert _imports(package) & forbidden == set()


# Inside bot/, roles point one way too: texts know no services, services no transport or
# conversation, and nothing below the web layer knows Flask's views or the CLI.
@pytest.mark.parametrize(
    "package, forbidden",
    [
        ("bot/text", {"bot.domain", "bot.messaging", "bot.dialogue", "bot.web", "bot.cli"}),
        ("bot/domain", {"bot.messaging", "bot.dialogue", "bot.web", "bot.cli"}),
        ("bot/dialogue", {"bot.messaging", "bot.web", "bot.cli"}),
        ("bot/messaging", {"bot.web", "bot.cli"}),
        ("bot/web", {"bot.cli"}),
    ],
)
def test_roles_inside_bot_point_one_way(package, forbidden):
    assert _imports(package, depth=2) & forbidden == set()


def test_every_module_of_bot_sits_in_a_role():
    loose = {p.name for p in (ROOT / "bot").glob("*.py")}
    assert loose == {"__init__.py", "config.py", "context.py", "errors.py"}


def test_sqlite_connections_are_set_up_for_concurrent_use(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        with engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert (pragma("journal_mode"), pragma("foreign_keys"), pragma("busy_timeout")) == (
                "wal",
                1,
                15000,
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "table, good, bad",
    [
        ("resident", "active", "activ"),
        ("outbox_message", "cancelled", "canceled"),
        ("idea", "not_funded", "not funded"),
        ("round", "open", "opened"),
        ("conversation", "ballot", "ballots"),
    ],
)
def test_the_database_refuses_a_state_the_code_does_not_know(database_url, table, good, bad):
    """Every status and step is checked by the database itself, on SQLite and PostgreSQL."""
    from datetime import datetime

    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    from bot.domain.communities import create_community
    from models import Conversation, Idea, OutboxMessage, Resident, Round

    now = datetime(2026, 11, 26, 10, tzinfo=UTC)
    engine = make_engine(database_url)
    serial = itertools.count()

    def row(session, value):
        community = create_community(
            session,
            name="Cove",
            slug=f"c{next(serial)}",
            join_code=f"CODE{next(serial)}",
            budget_total_pence=100,
            sms_number=None,
            now=now,
        )
        resident = Resident(
            community_id=community.id, status=value if table == "resident" else "active", created_at=now
        )
        session.add(resident)
        session.flush()
        return {
            "resident": lambda: resident,
            "outbox_message": lambda: OutboxMessage(channel="sms", status=value, created_at=now),
            "idea": lambda: Idea(community_id=community.id, number=1, text="x", status=value, created_at=now),
            "round": lambda: Round(
                community_id=community.id,
                title="r",
                method="approval",
                rule="greedy",
                budget_pence=1,
                status=value,
                opens_at=now,
                closes_at=now,
                created_at=now,
            ),
            "conversation": lambda: Conversation(
                resident_id=resident.id, step=value, data={}, updated_at=now
            ),
        }[table]()

    try:
        with Session(engine) as session, session.begin():
            session.add(row(session, good))
        with pytest.raises(IntegrityError, match="_state"), Session(engine) as session, session.begin():
            session.add(row(session, bad))
            session.flush()
    finally:
        engine.dispose()
