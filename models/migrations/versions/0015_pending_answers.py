"""pending answers: inbound messages stored and acknowledged, answered by a worker

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 01:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbound_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("received_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["inbound_id"], ["inbound_message.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("inbound_id"),
    )
    op.create_index("ix_pending_answer_sender", "pending_answer", ["channel", "sender", "id"])
    op.create_index(op.f("ix_pending_answer_community_id"), "pending_answer", ["community_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_answer_community_id"), table_name="pending_answer")
    op.drop_index("ix_pending_answer_sender", table_name="pending_answer")
    op.drop_table("pending_answer")
