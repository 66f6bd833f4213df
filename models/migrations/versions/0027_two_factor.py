"""two_factor: organisers' TOTP secret and last used time step, their one-time recovery codes
(hashed), sign-in attempts marked when they were a second factor's code, and a community's
switch requiring two-factor sign-in of all its organisers

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 10:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: rebuilding `community` or `organiser` on SQLite (as batch mode does for
    # a column with an expression default) would trip the foreign keys pointing at them.
    op.add_column("organiser", sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.add_column(
        "organiser", sa.Column("totp_enabled_at", models.base.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("organiser", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column(
        "community",
        sa.Column("require_two_factor", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "sign_in_attempt",
        sa.Column("second_factor", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organiser_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=300), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organiser_id"],
            ["organiser.id"],
            name=op.f("fk_recovery_code_organiser_id_organiser"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    op.create_index("ix_recovery_code_organiser_id", "recovery_code", ["organiser_id"])


def downgrade() -> None:
    # SQLite (3.35+) drops a column in place; no rebuild either way.
    op.drop_index("ix_recovery_code_organiser_id", table_name="recovery_code")
    op.drop_table("recovery_code")
    op.execute("ALTER TABLE sign_in_attempt DROP COLUMN second_factor")
    op.execute("ALTER TABLE community DROP COLUMN require_two_factor")
    for column in ("totp_last_step", "totp_enabled_at", "totp_secret"):
        op.execute(f"ALTER TABLE organiser DROP COLUMN {column}")
