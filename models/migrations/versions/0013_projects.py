"""funded ideas followed to the end: projects and their updates

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The states as they are at this revision (models/states.py holds the living list).
STATUSES = "'funded', 'in_progress', 'delivered', 'cancelled'"


def upgrade() -> None:
    # New tables: their CHECKs go in CREATE TABLE, on SQLite too.
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_project_status_state")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_project_community_id_community")
        ),
        sa.ForeignKeyConstraint(["idea_id"], ["idea.id"], name=op.f("fk_project_idea_id_idea")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("community_id", "number", name=op.f("uq_project_community_id_number")),
        sa.UniqueConstraint("idea_id", name=op.f("uq_project_idea_id")),
    )
    op.create_index(op.f("ix_project_community_id"), "project", ["community_id"], unique=False)
    op.create_table(
        "project_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("organiser_email", sa.String(length=200), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            f"status IS NULL OR status IN ({STATUSES})", name=op.f("ck_project_update_status_state")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_project_update_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_project_update_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_update")),
    )
    op.create_index(op.f("ix_project_update_community_id"), "project_update", ["community_id"], unique=False)
    op.create_index(op.f("ix_project_update_project_id"), "project_update", ["project_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_project_update_project_id"), table_name="project_update")
    op.drop_index(op.f("ix_project_update_community_id"), table_name="project_update")
    op.drop_table("project_update")
    op.drop_index(op.f("ix_project_community_id"), table_name="project")
    op.drop_table("project")
