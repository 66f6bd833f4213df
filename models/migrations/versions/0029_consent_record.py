"""consent_record: residents' consent events (joined, stopped, started again, and the wording
agreed to), and the privacy notice's controller and contact on each community

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 10:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("wording", sa.String(length=80), nullable=True),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "change IN ('consented', 'stopped', 'started', 'carrier_stopped')", name="change_state"
        ),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consent_event_resident_at", "consent_event", ["resident_id", "at"])
    with op.batch_alter_table("community") as batch_op:
        batch_op.add_column(sa.Column("controller", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("privacy_contact", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("community") as batch_op:
        batch_op.drop_column("privacy_contact")
        batch_op.drop_column("controller")
    op.drop_index("ix_consent_event_resident_at", table_name="consent_event")
    op.drop_table("consent_event")
