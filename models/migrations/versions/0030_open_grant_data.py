"""open grant data: a community's 360Giving prefix, funder and licence, and who delivers each
funded project; outbox rows that wait out quiet hours (held), claimed after answers

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 10:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not in batch mode: SQLite would rebuild the table, and drop its CHECK on status with it.
    op.add_column(
        "outbox_message", sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # What waits for the end of quiet hours now was held when it was queued.
    op.execute(
        "UPDATE outbox_message SET held = true "
        "WHERE status = 'queued' AND attempts = 0 AND next_attempt_at > created_at"
    )
    op.drop_index("ix_outbox_due", table_name="outbox_message")
    op.create_index("ix_outbox_due", "outbox_message", ["status", "channel", "held", "next_attempt_at", "id"])
    with op.batch_alter_table("community") as batch_op:
        batch_op.add_column(sa.Column("grant_prefix", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("funder_org_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("funder_org_name", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("grant_licence", sa.String(length=10), nullable=False, server_default="CC-BY")
        )
    with op.batch_alter_table("project") as batch_op:
        batch_op.add_column(sa.Column("recipient_org_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("recipient_org_name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_index("ix_outbox_due", table_name="outbox_message")
    op.create_index("ix_outbox_due", "outbox_message", ["status", "channel", "next_attempt_at", "id"])
    op.execute("ALTER TABLE outbox_message DROP COLUMN held")
    with op.batch_alter_table("project") as batch_op:
        batch_op.drop_column("recipient_org_name")
        batch_op.drop_column("recipient_org_id")
    with op.batch_alter_table("community") as batch_op:
        batch_op.drop_column("grant_licence")
        batch_op.drop_column("funder_org_name")
        batch_op.drop_column("funder_org_id")
        batch_op.drop_column("grant_prefix")
