"""The database as the app sees it: an engine, sessions and transactions."""
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker

from models.engine import make_engine
from models.migrate import is_current, upgrade

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
        if not is_current(self.engine):
            upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Database(app.config["DATABASE_URL"])


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions[EXTENSION]
