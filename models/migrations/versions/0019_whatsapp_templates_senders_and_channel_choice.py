"""WhatsApp templates per community, kind and language; a community's own WhatsApp sender;
the channel a resident chose; an outbox row sent as a template, counted by the digest

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("content_sid", sa.String(length=34), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "kind", "language"),
    )
    # Plain ADD COLUMNs (SQLite cannot add a UNIQUE column: a unique index does it), so
    # `community`, which many foreign keys point at, is not rebuilt on SQLite.
    op.add_column("community", sa.Column("whatsapp_number", sa.String(length=20), nullable=True))
    op.create_index("ix_community_whatsapp_number", "community", ["whatsapp_number"], unique=True)
    op.add_column("resident", sa.Column("channel", sa.String(length=20), nullable=True))
    op.add_column("outbox_message", sa.Column("content_sid", sa.String(length=34), nullable=True))
    op.add_column("outbox_message", sa.Column("content_variables", sa.JSON(), nullable=True))
    # The digest counts the WhatsApp templates sent (each charged) off this index alone, too.
    op.drop_index("ix_outbox_community_sent", table_name="outbox_message")
    op.create_index("ix_outbox_community_sent", "outbox_message", [*DIGEST_OUTBOX, "content_sid"])


DIGEST_OUTBOX = ["community_id", "sent_at", "channel", "segments"]


def downgrade() -> None:
    op.drop_index("ix_outbox_community_sent", table_name="outbox_message")
    op.create_index("ix_outbox_community_sent", "outbox_message", DIGEST_OUTBOX)
    op.execute("ALTER TABLE outbox_message DROP COLUMN content_variables")
    op.execute("ALTER TABLE outbox_message DROP COLUMN content_sid")
    op.execute("ALTER TABLE resident DROP COLUMN channel")
    op.drop_index("ix_community_whatsapp_number", table_name="community")
    op.execute("ALTER TABLE community DROP COLUMN whatsapp_number")
    op.drop_table("whatsapp_template")
