"""Every table is read by its community (or its round) off an index, though migration 0017
dropped the single-column indexes: a unique or composite index that begins with the column
serves the lookup. If one of those is dropped or reordered, a lookup becomes a full scan.
The outbox is read by its community for its sent messages only (the digest, the council's
figures): that index holds sent rows alone (migration 0034), and serves that lookup."""

import pytest
from sqlalchemy import inspect

LOOKUPS = [
    ("inbound_message", "community_id"),
    ("inbound_message", "resident_id"),  # erasure; the index holds attributed rows (migration 0035)
    ("outbox_message", "community_id", " AND sent_at >= '2026-01-01'"),
    ("ballot", "round_id"),
    ("resident", "community_id"),
    ("round", "community_id"),
    ("round_option", "round_id"),
    ("idea", "community_id"),
    ("project", "community_id"),
    ("allocation", "community_id"),
    ("spending", "community_id"),
    ("ledger_correction", "community_id"),
]


@pytest.mark.parametrize("table, column, also", [(*lookup, "")[:3] for lookup in LOOKUPS])
def test_a_lookup_by_its_parent_is_served_by_an_index(db, table, column, also):
    # An index or unique key leads with the column (PostgreSQL would also walk a whole index
    # whose later column matches, so the plan alone does not show it)...
    found = inspect(db.engine)
    keys = [i["column_names"] for i in found.get_indexes(table)]
    keys += [u["column_names"] for u in found.get_unique_constraints(table)]
    assert any(key[0] == column for key in keys), keys
    # ...and the database uses it.
    statement = f'SELECT * FROM "{table}" WHERE {column} = 1{also}'
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # an empty table
            plan = " ".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}"))
            assert "Index" in plan and "Seq Scan" not in plan, plan
        else:
            plan = " ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}"))
            assert plan.startswith("SEARCH") and "INDEX" in plan, plan
