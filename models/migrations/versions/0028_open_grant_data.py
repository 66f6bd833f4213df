"""open grant data: a community's 360Giving prefix, funder and licence, and who delivers each
funded project

Revision ID: 0028
Revises: 0025
Create Date: 2026-12-06 10:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("community") as batch_op:
        batch_op.add_column(sa.Column("grant_prefix", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("funder_org_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("funder_org_name", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("grant_licence", sa.String(length=10), nullable=False, server_default="CC-BY")
        )
    with op.batch_alter_table("project") as batch_op:
        batch_op.add_column(sa.Column("recipient_org_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("recipient_org_name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("project") as batch_op:
        batch_op.drop_column("recipient_org_name")
        batch_op.drop_column("recipient_org_id")
    with op.batch_alter_table("community") as batch_op:
        batch_op.drop_column("grant_licence")
        batch_op.drop_column("funder_org_name")
        batch_op.drop_column("funder_org_id")
        batch_op.drop_column("grant_prefix")
