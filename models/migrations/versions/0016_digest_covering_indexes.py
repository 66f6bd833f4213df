"""covering indexes for the digest's weekly counts

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 10:00:00.000000
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The digest reads a week of a community's messages off these indexes alone: the columns it
    # counts by follow the time, so no row is fetched. They replace 0014's, their prefixes.
    op.drop_index("ix_inbound_community_received", table_name="inbound_message")
    op.create_index(
        "ix_inbound_community_received",
        "inbound_message",
        ["community_id", "received_at", "channel", "resident_id"],
    )
    op.drop_index("ix_outbox_community_sent", table_name="outbox_message")
    op.create_index(
        "ix_outbox_community_sent", "outbox_message", ["community_id", "sent_at", "channel", "segments"]
    )
    # Residents who joined, and who opted out, in a week: counted off each index.
    op.create_index("ix_resident_community_consent", "resident", ["community_id", "consent_at"])
    op.create_index("ix_resident_community_opted_out", "resident", ["community_id", "opted_out_at"])


def downgrade() -> None:
    op.drop_index("ix_resident_community_opted_out", table_name="resident")
    op.drop_index("ix_resident_community_consent", table_name="resident")
    op.drop_index("ix_outbox_community_sent", table_name="outbox_message")
    op.create_index("ix_outbox_community_sent", "outbox_message", ["community_id", "sent_at"])
    op.drop_index("ix_inbound_community_received", table_name="inbound_message")
    op.create_index("ix_inbound_community_received", "inbound_message", ["community_id", "received_at"])
