"""organiser sessions: dashboard sign-ins held server-side, so they can be ended

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 08:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organiser_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organiser_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organiser_id"],
            ["organiser.id"],
            name=op.f("fk_organiser_session_organiser_id_organiser"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organiser_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_organiser_session_token_hash")),
    )
    with op.batch_alter_table("organiser_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organiser_session_organiser_id"), ["organiser_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("organiser_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organiser_session_organiser_id"))
    op.drop_table("organiser_session")
