"""the audit trail of organisers' changes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 18:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=60), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_audit_entry_community_id_community")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index("ix_audit_entry_community_at", "audit_entry", ["community_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_audit_entry_community_at", table_name="audit_entry")
    op.drop_table("audit_entry")
