"""phone calls in progress, and ideas left as voice messages

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

STEPS = ", ".join(f"'{s}'" for s in ("language", "consent", "menu", "vote", "confirm", "idea", "ended"))


def upgrade() -> None:
    op.create_table(
        "phone_call",
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("shown", sa.JSON(), nullable=True),
        sa.Column("started_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"step IN ({STEPS})", name=op.f("ck_phone_call_step_state")),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("call_sid"),
    )
    op.create_index(op.f("ix_phone_call_community_id"), "phone_call", ["community_id"])
    op.create_index(op.f("ix_phone_call_resident_id"), "phone_call", ["resident_id"])
    # Plain ADD COLUMN and a unique index, not a batch: SQLite's batch copy of the table would
    # lose the CHECK on its status, which SQLite does not reflect.
    op.add_column("idea", sa.Column("recording_sid", sa.String(length=64), nullable=True))
    op.add_column("idea", sa.Column("recording_seconds", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_idea_recording_sid"), "idea", ["recording_sid"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_idea_recording_sid"), table_name="idea")
    op.drop_column("idea", "recording_seconds")
    op.drop_column("idea", "recording_sid")
    op.drop_index(op.f("ix_phone_call_resident_id"), table_name="phone_call")
    op.drop_index(op.f("ix_phone_call_community_id"), table_name="phone_call")
    op.drop_table("phone_call")
