"""the tamper-evident record: audit and ledger entries linked in a hash chain per community,
the entries already written linked once, oldest first

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 09:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

from models.chain import chain_existing

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("link_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "seq"),
        sa.UniqueConstraint("kind", "row_id"),
    )
    op.create_index("ix_chain_link_community_seq", "chain_link", ["community_id", "seq"])
    chain_existing(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_chain_link_community_seq", table_name="chain_link")
    op.drop_table("chain_link")
