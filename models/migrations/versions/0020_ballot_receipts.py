"""ballot receipts: a random code on every ballot, replaced codes kept; published ballot files;
the seed of each round's ballot order

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 08:00:00.000000
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# As bot/domain/receipts.py (migrations import nothing of bot): Crockford's base32, 8 symbols.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _receipt() -> str:
    code = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def upgrade() -> None:
    # Plain ADD COLUMNs, nullable: SQLite would otherwise rebuild `ballot` and `round` (and
    # rebuilding `round` cascades deletes, see 0009). Every ballot gets its code below.
    op.add_column("ballot", sa.Column("receipt", sa.String(length=9), nullable=True))
    op.add_column("round", sa.Column("ballot_file", sa.Text(), nullable=True))
    op.add_column("round", sa.Column("ballot_file_sha256", sa.String(length=64), nullable=True))
    # Rounds made before keep their number order: their ballots went out in it.
    op.add_column("round", sa.Column("ballot_order_seed", sa.String(length=32), nullable=True))
    ballot = sa.table("ballot", sa.column("id", sa.Integer), sa.column("receipt", sa.String))
    connection = op.get_bind()
    ids = connection.execute(sa.select(ballot.c.id).order_by(ballot.c.id)).scalars().all()
    given: set[str] = set()  # unique everywhere, so certainly unique in each round
    for ballot_id in ids:
        code = _receipt()
        while code in given:
            code = _receipt()
        given.add(code)
        connection.execute(sa.update(ballot).where(ballot.c.id == ballot_id).values(receipt=code))
    op.create_index("uq_ballot_round_id_receipt", "ballot", ["round_id", "receipt"], unique=True)
    op.create_table(
        "replaced_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.String(length=9), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name="fk_replaced_receipt_round_id_round", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ballot_id"], ["ballot.id"], name="fk_replaced_receipt_ballot_id_ballot", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_replaced_receipt"),
        sa.UniqueConstraint("round_id", "receipt", name="uq_replaced_receipt_round_id_receipt"),
    )
    op.create_index("ix_replaced_receipt_ballot_id", "replaced_receipt", ["ballot_id"])


def downgrade() -> None:
    op.drop_index("ix_replaced_receipt_ballot_id", table_name="replaced_receipt")
    op.drop_table("replaced_receipt")
    op.drop_index("uq_ballot_round_id_receipt", table_name="ballot")
    # SQLite (3.35+) drops a column in place; no rebuild either way.
    op.execute("ALTER TABLE round DROP COLUMN ballot_order_seed")
    op.execute("ALTER TABLE round DROP COLUMN ballot_file_sha256")
    op.execute("ALTER TABLE round DROP COLUMN ballot_file")
    op.execute("ALTER TABLE ballot DROP COLUMN receipt")
