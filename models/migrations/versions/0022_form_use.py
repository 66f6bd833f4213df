"""form_use: dashboard forms already acted on, by their one-time token

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_use",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("used_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token"),
    )


def downgrade() -> None:
    op.drop_table("form_use")
