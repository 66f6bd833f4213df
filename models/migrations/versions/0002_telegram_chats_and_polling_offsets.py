"""telegram chats and polling offsets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:56:08.580094
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "polling_offset",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("next_update_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_polling_offset")),
    )
    op.create_table(
        "telegram_chat",
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_telegram_chat_community_id_community")
        ),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_telegram_chat")),
    )


def downgrade() -> None:
    op.drop_table("telegram_chat")
    op.drop_table("polling_offset")
