"""indexes for the dispatcher's claim order and the digest's weekly counts

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 22:00:00.000000
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The dispatcher takes due rows of a channel in (next_attempt_at, id) order: with id in the
    # index PostgreSQL reads a claim's batch off it instead of sorting a whole queued broadcast.
    op.drop_index("ix_outbox_due", table_name="outbox_message")
    op.create_index("ix_outbox_due", "outbox_message", ["status", "channel", "next_attempt_at", "id"])
    # The weekly digest counts a community's messages in and out between two times.
    op.create_index("ix_inbound_community_received", "inbound_message", ["community_id", "received_at"])
    op.create_index("ix_outbox_community_sent", "outbox_message", ["community_id", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_community_sent", table_name="outbox_message")
    op.drop_index("ix_inbound_community_received", table_name="inbound_message")
    op.drop_index("ix_outbox_due", table_name="outbox_message")
    op.create_index("ix_outbox_due", "outbox_message", ["status", "channel", "next_attempt_at"])
