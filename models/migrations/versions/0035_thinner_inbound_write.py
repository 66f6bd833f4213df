"""a webhook's write touches fewer b-trees: a pending answer's id is its message's, and the
inbound log's index by resident holds attributed rows only

With answers left to a worker, every webhook wrote two rows and nine b-tree entries (the message:
its key, the provider's id, the sender's recent messages, the digest's counts, the resident; the
pending answer: its key, the message's id, its sender, its community). On SQLite each is a page
written while the other webhooks wait for the write lock. The pending answer now takes the
message's id as its key (the unique index on it and its own sequence go), its community's index
goes (the table holds only what waits), and a message's resident, unknown when it is stored,
is indexed once it is known: six entries a webhook.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06 23:00:00.000000
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def _where(condition: str) -> dict[str, Any]:
    return {f"{db}_where": sa.text(condition) for db in ("postgresql", "sqlite")}


def upgrade() -> None:
    _index_by_resident(**_where("resident_id IS NOT NULL"))
    op.drop_index("ix_pending_answer_sender", table_name="pending_answer")
    op.drop_index("ix_pending_answer_community_id", table_name="pending_answer")
    with op.batch_alter_table("pending_answer") as batch:
        batch.drop_constraint("uq_pending_answer_inbound_id", type_="unique")
        batch.drop_constraint("fk_pending_answer_inbound_id_inbound_message", type_="foreignkey")
        batch.drop_constraint("pk_pending_answer", type_="primary")
        batch.drop_column("id")
    with op.batch_alter_table("pending_answer") as batch:
        batch.alter_column("inbound_id", new_column_name="id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("pending_answer") as batch:
        batch.create_primary_key("pk_pending_answer", ["id"])
        batch.create_foreign_key(
            "fk_pending_answer_id_inbound_message", "inbound_message", ["id"], ["id"], ondelete="CASCADE"
        )
    op.create_index("ix_pending_answer_sender", "pending_answer", ["channel", "sender", "id"])


def downgrade() -> None:
    op.drop_index("ix_pending_answer_sender", table_name="pending_answer")
    with op.batch_alter_table("pending_answer") as batch:
        batch.drop_constraint("fk_pending_answer_id_inbound_message", type_="foreignkey")
        batch.drop_constraint("pk_pending_answer", type_="primary")
    with op.batch_alter_table("pending_answer") as batch:
        batch.alter_column("id", new_column_name="inbound_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("pending_answer") as batch:
        batch.add_column(sa.Column("id", sa.Integer(), nullable=True))
    op.execute("UPDATE pending_answer SET id = inbound_id")  # unique, as a key must be
    with op.batch_alter_table("pending_answer") as batch:
        batch.alter_column("id", existing_type=sa.Integer(), nullable=False)
        batch.create_primary_key("pk_pending_answer", ["id"])
        batch.create_unique_constraint("uq_pending_answer_inbound_id", ["inbound_id"])
        batch.create_foreign_key(
            "fk_pending_answer_inbound_id_inbound_message",
            "inbound_message",
            ["inbound_id"],
            ["id"],
            ondelete="CASCADE",
        )
    if op.get_bind().dialect.name == "postgresql":  # its own numbers again, after the last one
        op.execute("CREATE SEQUENCE pending_answer_id_seq AS integer OWNED BY pending_answer.id")
        op.execute(
            "SELECT setval('pending_answer_id_seq', COALESCE(MAX(id), 0) + 1, false) FROM pending_answer"
        )
        op.execute("ALTER TABLE pending_answer ALTER COLUMN id SET DEFAULT nextval('pending_answer_id_seq')")
    op.create_index("ix_pending_answer_sender", "pending_answer", ["channel", "sender", "id"])
    op.create_index("ix_pending_answer_community_id", "pending_answer", ["community_id"])
    _index_by_resident()


def _index_by_resident(**where: Any) -> None:
    """The inbound log's index by resident made again (`where`: partial). On PostgreSQL the new
    one is built first, under another name: building holds the log's writes (a SHARE lock), and
    dropping the old one, which holds its reads too, comes only at the end."""
    name = "ix_inbound_message_resident_id"
    if op.get_bind().dialect.name != "postgresql":  # SQLite renames no index; one writer anyway
        op.drop_index(name, table_name="inbound_message")
        op.create_index(name, "inbound_message", ["resident_id"], **where)
        return
    op.create_index(f"{name}_new", "inbound_message", ["resident_id"], **where)
    op.drop_index(name, table_name="inbound_message")
    op.execute(f"ALTER INDEX {name}_new RENAME TO {name}")
