"""rounds numbered 1, 2, 3... in each community

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 18:55:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEX = "uq_round_community_id_number"


def upgrade() -> None:
    if _sqlite():
        # SQLite adds a NOT NULL column only with a default, and cannot drop that default, or add
        # a table constraint, without rebuilding `round`: which would cascade deletes through its
        # options and ballots. The default is never used: the model numbers every new round.
        op.add_column("round", sa.Column("number", sa.Integer(), nullable=False, server_default=sa.text("0")))
    else:
        op.add_column("round", sa.Column("number", sa.Integer(), nullable=True))
    # Existing rounds are numbered 1, 2, 3 ... in each community, in the order they were made.
    op.execute(
        'UPDATE "round" SET number = (SELECT COUNT(*) FROM "round" AS earlier '
        'WHERE earlier.community_id = "round".community_id AND earlier.id <= "round".id)'
    )
    if not _sqlite():
        op.alter_column("round", "number", existing_type=sa.Integer(), nullable=False)
    op.create_index(INDEX, "round", ["community_id", "number"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="round")
    if _sqlite():
        op.execute('ALTER TABLE "round" DROP COLUMN number')
    else:
        op.drop_column("round", "number")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"
