"""send pace: when each sender (a Twilio number or Messaging Service, the Telegram bot) may send
its next unit, so worker processes share one cap

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 14:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_pace",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("next_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("send_pace")
