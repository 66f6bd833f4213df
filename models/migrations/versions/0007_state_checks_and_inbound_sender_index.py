"""every status and conversation step checked by the database; an index for the flood limit

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 18:40:00.000000
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The states as they are at this revision (models/states.py holds the living list).
CHECKS = [
    ("resident", "status", ("pending", "verifying", "active", "erased"), False),
    (
        "outbox_message",
        "status",
        ("queued", "sending", "sent", "delivered", "undelivered", "failed", "cancelled"),
        False,
    ),
    (
        "idea",
        "status",
        ("submitted", "shortlisted", "rejected", "merged", "in_round", "funded", "not_funded"),
        False,
    ),
    ("round", "status", ("draft", "scheduled", "open", "closed", "cancelled"), False),
    (
        "conversation",
        "step",
        ("idea_text", "idea_cost", "confirm_delete", "postcode", "phone", "ballot"),
        True,
    ),
]


def _condition(column: str, values: tuple[str, ...], nullable: bool, row: str = "") -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    condition = f"{row}{column} IN ({listed})"
    return f"{row}{column} IS NULL OR {condition}" if nullable else condition


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column, values, nullable in CHECKS:
        name = f"ck_{table}_{column}_state"
        if not sqlite:
            op.create_check_constraint(op.f(name), table, _condition(column, values, nullable))
            continue
        # SQLite cannot add a constraint to a table, and rebuilding these tables would cascade
        # deletes through everything that points at them: triggers do the same job.
        for event in ("INSERT", f"UPDATE OF {column}"):
            suffix = "insert" if event == "INSERT" else "update"
            op.execute(
                f'CREATE TRIGGER {name}_{suffix} BEFORE {event} ON "{table}" '
                f"WHEN NOT ({_condition(column, values, nullable, 'NEW.')}) "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
            )
    op.create_index("ix_inbound_sender_recent", "inbound_message", ["channel", "sender", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_inbound_sender_recent", table_name="inbound_message")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column, _values, _nullable in CHECKS:
        name = f"ck_{table}_{column}_state"
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {name}_insert")
            op.execute(f"DROP TRIGGER IF EXISTS {name}_update")
        else:
            op.drop_constraint(op.f(name), table, type_="check")
