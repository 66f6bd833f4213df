"""council services, ideas referred to them, and their answers; "referred" as an idea status

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 10:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

IDEA_BEFORE = ("submitted", "shortlisted", "rejected", "merged", "in_round", "funded", "not_funded")
IDEA_AFTER = (*IDEA_BEFORE, "referred")
ANSWERS = ", ".join(f"'{a}'" for a in ("will_do", "scheduled", "done", "declined"))
CHECK = "ck_idea_status_state"


def _idea_check(values: tuple[str, ...]) -> None:
    """The idea status CHECK as 0007 made it (a constraint, or SQLite's triggers), now over `values`."""
    listed = ", ".join(f"'{v}'" for v in values)
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(CHECK), "idea", type_="check")
        op.create_check_constraint(op.f(CHECK), "idea", f"status IN ({listed})")
        return
    for event, suffix in (("INSERT", "insert"), ("UPDATE OF status", "update")):
        op.execute(f"DROP TRIGGER IF EXISTS {CHECK}_{suffix}")
        op.execute(
            f'CREATE TRIGGER {CHECK}_{suffix} BEFORE {event} ON "idea" '
            f"WHEN NOT (NEW.status IN ({listed})) "
            f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {CHECK}'); END"
        )


def upgrade() -> None:
    op.create_table(
        "council_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "name"),
    )
    op.create_index(op.f("ix_council_service_community_id"), "council_service", ["community_id"])
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("link_version", sa.Integer(), nullable=False),
        sa.Column("link_expires_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("emailed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("email_error", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("first_answered_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"status IS NULL OR status IN ({ANSWERS})", name=op.f("ck_referral_status_state")),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["idea_id"], ["idea.id"]),
        sa.ForeignKeyConstraint(["service_id"], ["council_service.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_referral_community_id"), "referral", ["community_id"])
    op.create_index(op.f("ix_referral_idea_id"), "referral", ["idea_id"])
    op.create_table(
        "referral_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=20), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"answer IN ({ANSWERS})", name=op.f("ck_referral_reply_answer_state")),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_referral_reply_referral_id"), "referral_reply", ["referral_id"])
    _idea_check(IDEA_AFTER)


def downgrade() -> None:
    op.execute("UPDATE idea SET status = 'rejected' WHERE status = 'referred'")
    _idea_check(IDEA_BEFORE)
    op.drop_index(op.f("ix_referral_reply_referral_id"), table_name="referral_reply")
    op.drop_table("referral_reply")
    op.drop_index(op.f("ix_referral_idea_id"), table_name="referral")
    op.drop_index(op.f("ix_referral_community_id"), table_name="referral")
    op.drop_table("referral")
    op.drop_index(op.f("ix_council_service_community_id"), table_name="council_service")
    op.drop_table("council_service")
