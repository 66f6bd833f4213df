"""quiet_hours: each community's night, when messages we start to many wait in the outbox;
and the criteria of a budget update sent to part of the community

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("budget_update") as batch_op:
        batch_op.add_column(sa.Column("audience", sa.String(length=300), nullable=True))
    with op.batch_alter_table("community") as batch_op:
        batch_op.add_column(
            sa.Column("quiet_start", sa.String(length=5), nullable=False, server_default="21:00")
        )
        batch_op.add_column(
            sa.Column("quiet_end", sa.String(length=5), nullable=False, server_default="08:00")
        )


def downgrade() -> None:
    with op.batch_alter_table("budget_update") as batch_op:
        batch_op.drop_column("audience")
    with op.batch_alter_table("community") as batch_op:
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")
