"""a community's public page can be switched off

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing communities keep the page they did not know they could turn off: on. A plain
    # ADD COLUMN: rebuilding `community` on SQLite would trip the foreign keys pointing at it.
    op.add_column(
        "community", sa.Column("public_page", sa.Boolean(), nullable=False, server_default=sa.true())
    )


def downgrade() -> None:
    # SQLite (3.35+) drops a column in place; no rebuild either way.
    op.execute("ALTER TABLE community DROP COLUMN public_page")
