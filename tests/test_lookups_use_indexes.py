"""Every table is read by its community (or its round) off an index, though migration 0017
dropped the single-column indexes: a unique or composite index that begins with the column
serves the lookup. If one of those is dropped or reordered, a lookup becomes a full scan."""
import pytest

LOOKUPS = [("inbound_message", "community_id"), ("outbox_message", "community_id"),
           ("ballot", "round_id"), ("resident", "community_id"), ("round", "community_id"),
           ("round_option", "round_id"), ("idea", "community_id"), ("project", "community_id"),
           ("allocation", "community_id"), ("spending", "community_id"),
           ("ledger_correction", "community_id")]


@pytest.mark.parametrize("table, column", LOOKUPS)
def test_a_lookup_by_its_parent_is_served_by_an_index(db, table, column):
    statement = f'SELECT * FROM "{table}" WHERE {column} = 1'
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # an empty table
            plan = " ".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}"))
            assert "Index" in plan and "Seq Scan" not in plan, plan
        else:
            plan = " ".join(row[-1] for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}"))
            assert plan.startswith("SEARCH") and "INDEX" in plan, plan
