"""councils: councils, the communities they follow, their officers, the weekly council digest

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 10:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "council",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=60), nullable=False),
        sa.Column("digest_recipients", sa.JSON(), nullable=False),
        sa.Column("digest_weekday", sa.Integer(), nullable=False),
        sa.Column("digest_time", sa.String(length=5), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council")),
        sa.UniqueConstraint("name", name=op.f("uq_council_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_council_slug")),
    )
    op.create_table(
        "council_community",
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_council_community_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["council.id"],
            name=op.f("fk_council_community_council_id_council"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("council_id", "community_id", name=op.f("pk_council_community")),
    )
    op.create_index(
        op.f("ix_council_community_community_id"), "council_community", ["community_id"], unique=False
    )
    op.create_table(
        "council_officer",
        sa.Column("organiser_id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["council.id"],
            name=op.f("fk_council_officer_council_id_council"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organiser_id"],
            ["organiser.id"],
            name=op.f("fk_council_officer_organiser_id_organiser"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organiser_id", name=op.f("pk_council_officer")),
    )
    op.create_index(op.f("ix_council_officer_council_id"), "council_officer", ["council_id"], unique=False)
    op.create_table(
        "council_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("iso_week", sa.String(length=8), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["council.id"],
            name=op.f("fk_council_digest_council_id_council"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_digest")),
        sa.UniqueConstraint("council_id", "iso_week", name=op.f("uq_council_digest_council_id_iso_week")),
    )


def downgrade() -> None:
    op.drop_table("council_digest")
    op.drop_index(op.f("ix_council_officer_council_id"), table_name="council_officer")
    op.drop_table("council_officer")
    op.drop_index(op.f("ix_council_community_community_id"), table_name="council_community")
    op.drop_table("council_community")
    op.drop_table("council")
