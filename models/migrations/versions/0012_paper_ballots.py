"""paper and in-person ballots: a paper id, unique in its round

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEX = "uq_ballot_round_id_paper_id"
CHECK = "ck_ballot_paper_has_no_resident"
CONDITION = "paper_id IS NULL OR resident_id IS NULL"


def upgrade() -> None:
    # resident_id is nullable since 0003 (imported ballots), so a plain ADD COLUMN is enough:
    # no rebuild of `ballot`. UNIQUE (round_id, resident_id) still keeps one ballot per resident
    # (NULLs never clash), and the partial unique index keeps one ballot per paper id.
    op.add_column("ballot", sa.Column("paper_id", sa.String(length=40), nullable=True))
    op.create_index(
        INDEX,
        "ballot",
        ["round_id", "paper_id"],
        unique=True,
        sqlite_where=sa.text("paper_id IS NOT NULL"),
        postgresql_where=sa.text("paper_id IS NOT NULL"),
    )
    if not _sqlite():
        op.create_check_constraint(op.f(CHECK), "ballot", CONDITION)
        return
    # SQLite cannot add a constraint without rebuilding the table: triggers, as in 0007.
    for event, suffix in (("INSERT", "insert"), ("UPDATE OF paper_id, resident_id", "update")):
        op.execute(
            f"CREATE TRIGGER {CHECK}_{suffix} BEFORE {event} ON ballot "
            f"WHEN NOT (NEW.paper_id IS NULL OR NEW.resident_id IS NULL) "
            f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {CHECK}'); END"
        )


def downgrade() -> None:
    if _sqlite():
        op.execute(f"DROP TRIGGER IF EXISTS {CHECK}_insert")
        op.execute(f"DROP TRIGGER IF EXISTS {CHECK}_update")
    else:
        op.drop_constraint(op.f(CHECK), "ballot", type_="check")
    op.drop_index(INDEX, table_name="ballot")
    # SQLite (3.35+) drops a column in place; no rebuild either way.
    op.execute("ALTER TABLE ballot DROP COLUMN paper_id")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"
