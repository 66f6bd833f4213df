"""ledger corrections, per-community allocation and spending numbers, 64-bit money

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Every money column, in integer pence: PostgreSQL's integer stops at £21,474,836.47. SQLite's
# INTEGER is 64-bit already (the models use a variant), and rebuilding `community` or `round`
# there would cascade deletes through the tables that point at them.
MONEY = [
    ("community", "budget_total_pence", False),
    ("idea", "cost_pence", True),
    ("round", "budget_pence", False),
    ("round_option", "cost_pence", False),
    ("allocation", "amount_pence", False),
    ("spending", "amount_pence", False),
]
NUMBERED = ("allocation", "spending")
SPENDING = sa.table("spending", sa.column("id", sa.Integer()), sa.column("allocation_id", sa.Integer()))


def upgrade() -> None:
    if not _sqlite():
        for table, column, nullable in MONEY:
            op.alter_column(
                table, column, existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=nullable
            )
    for table in NUMBERED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("number", sa.Integer(), nullable=True))
        # Existing entries are numbered 1, 2, 3 ... in each community, in the order they were made.
        op.execute(
            f"UPDATE {table} SET number = (SELECT COUNT(*) FROM {table} AS earlier "
            f"WHERE earlier.community_id = {table}.community_id AND earlier.id <= {table}.id)"
        )
    with _spending_set_aside(), op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.alter_column("number", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_allocation_community_id_number"), ["community_id", "number"]
        )
    with op.batch_alter_table("spending", schema=None) as batch_op:
        batch_op.alter_column("number", existing_type=sa.Integer(), nullable=False)
        batch_op.add_column(
            sa.Column("over_allocation", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_spending_community_id_number"), ["community_id", "number"]
        )

    op.create_table(
        "ledger_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=True),
        sa.Column("spending_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("organiser_email", sa.String(length=200), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"], ["allocation.id"], name=op.f("fk_ledger_correction_allocation_id_allocation")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_ledger_correction_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["spending_id"], ["spending.id"], name=op.f("fk_ledger_correction_spending_id_spending")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_correction")),
        sa.UniqueConstraint("allocation_id", name=op.f("uq_ledger_correction_allocation_id")),
        sa.UniqueConstraint("community_id", "number", name=op.f("uq_ledger_correction_community_id_number")),
        sa.UniqueConstraint("spending_id", name=op.f("uq_ledger_correction_spending_id")),
    )
    with op.batch_alter_table("ledger_correction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_correction_community_id"), ["community_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger_correction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_correction_community_id"))

    op.drop_table("ledger_correction")
    with op.batch_alter_table("spending", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_spending_community_id_number"), type_="unique")
        batch_op.drop_column("over_allocation")
        batch_op.drop_column("number")
    with _spending_set_aside(), op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_allocation_community_id_number"), type_="unique")
        batch_op.drop_column("number")
    if not _sqlite():
        for table, column, nullable in MONEY:
            op.alter_column(
                table, column, existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=nullable
            )


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


@contextmanager
def _spending_set_aside() -> Iterator[None]:
    """On SQLite, batch mode rebuilds `allocation` (copy, drop, rename); with foreign keys on,
    the drop is refused while spending points at it, so those links wait outside meanwhile."""
    if not _sqlite():
        yield
        return
    connection = op.get_bind()
    links = [
        {"spending": s, "allocation": a}
        for s, a in connection.execute(
            sa.select(SPENDING.c.id, SPENDING.c.allocation_id).where(SPENDING.c.allocation_id.is_not(None))
        )
    ]
    connection.execute(SPENDING.update().values(allocation_id=None))
    yield
    if links:
        connection.execute(
            SPENDING.update()
            .where(SPENDING.c.id == sa.bindparam("spending"))
            .values(allocation_id=sa.bindparam("allocation")),
            links,
        )
