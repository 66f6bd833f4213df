"""What a request, command or job gets from the running app: its database and its clock.

The clock comes from one place (app.config["CLOCK"]) so tests can fix it."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker

from models import utcnow
from models.engine import make_engine

EXTENSION = "commonpurse.db"


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed at the end, or rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    def upgrade(self) -> None:
        """Apply any migrations not yet applied."""
        from models.migrate import is_current, upgrade  # alembic: 0.1 s no other command needs

        if not is_current(self.engine):
            upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Database(app.config["DATABASE_URL"])


def get_db(app: Flask | None = None) -> Database:
    db: Database = (app or current_app).extensions[EXTENSION]  # set by init_app
    return db


def now() -> datetime:
    """The current time by the app's clock."""
    return clock()()


def clock() -> Callable[[], datetime]:
    """The app's clock function, for code that runs outside a request or command."""
    clock_: Callable[[], datetime] = current_app.config.get("CLOCK", utcnow)  # tests fix it
    return clock_
