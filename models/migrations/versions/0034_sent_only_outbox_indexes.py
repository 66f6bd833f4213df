"""outbox: the digest's index and the provider id's hold sent rows only (partial indexes)

A queued or claimed row has no sent_at and no provider id: its entries in these two indexes
were never read, and every broadcast wrote one per member into each.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 16:30:00.000000
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

DIGEST = ["community_id", "sent_at", "channel", "segments", "content_sid"]


def _where(condition: str) -> dict[str, Any]:
    return {f"{db}_where": sa.text(condition) for db in ("postgresql", "sqlite")}


def upgrade() -> None:
    op.drop_index("ix_outbox_community_sent", table_name="outbox_message")
    op.create_index("ix_outbox_community_sent", "outbox_message", DIGEST, **_where("sent_at IS NOT NULL"))
    op.drop_index("ix_outbox_message_provider_id", table_name="outbox_message")
    provided = _where("provider_id IS NOT NULL")
    op.create_index("ix_outbox_message_provider_id", "outbox_message", ["provider_id"], **provided)


def downgrade() -> None:
    op.drop_index("ix_outbox_message_provider_id", table_name="outbox_message")
    op.create_index("ix_outbox_message_provider_id", "outbox_message", ["provider_id"])
    op.drop_index("ix_outbox_community_sent", table_name="outbox_message")
    op.create_index("ix_outbox_community_sent", "outbox_message", DIGEST)
