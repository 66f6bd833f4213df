"""drop single-column indexes that a unique or composite index already leads with

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 12:00:00.000000
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# Each of these indexes one column that another index of its table begins with (a unique
# (community_id, number), a digest index (community_id, received_at, ...), the one ballot per
# (round_id, resident_id)), so every lookup by it is served there. Each was one more index for
# every message, reply and vote to write.
COVERED = [
    ("ix_inbound_message_community_id", "inbound_message", "community_id"),
    ("ix_outbox_message_community_id", "outbox_message", "community_id"),
    ("ix_ballot_round_id", "ballot", "round_id"),
    ("ix_resident_community_id", "resident", "community_id"),
    ("ix_round_community_id", "round", "community_id"),
    ("ix_round_option_round_id", "round_option", "round_id"),
    ("ix_idea_community_id", "idea", "community_id"),
    ("ix_project_community_id", "project", "community_id"),
    ("ix_allocation_community_id", "allocation", "community_id"),
    ("ix_spending_community_id", "spending", "community_id"),
    ("ix_ledger_correction_community_id", "ledger_correction", "community_id"),
]


def upgrade() -> None:
    for name, table, _ in COVERED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, column in COVERED:
        op.create_index(name, table, [column])
