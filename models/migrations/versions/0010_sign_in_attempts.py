"""dashboard sign-in attempts

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 19:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_attempt")),
    )
    op.create_index("ix_sign_in_attempt_email_at", "sign_in_attempt", ["email", "at"])
    op.create_index("ix_sign_in_attempt_address_at", "sign_in_attempt", ["address", "at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_attempt_address_at", table_name="sign_in_attempt")
    op.drop_index("ix_sign_in_attempt_email_at", table_name="sign_in_attempt")
    op.drop_table("sign_in_attempt")
