"""Alembic environment: always run with a connection handed in by models.migrate."""

from alembic import context
from alembic.runtime.environment import NameFilterParentNames, NameFilterType

from models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `commonpurse db upgrade`")

# APScheduler creates and owns its job table: never migrate or drop it.
EXTERNAL_TABLES = {"apscheduler_jobs"}


def include_name(name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames) -> bool:
    return not (type_ == "table" and name in EXTERNAL_TABLES)


context.configure(
    connection=connection,
    include_name=include_name,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite can only ALTER through table copies
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
