"""The store: versioned migrations, bound parameters, all-or-nothing writes, clear errors."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from capacity import store as store_module
from capacity.store import Store, StoreError, migrations

HOSTILE_NAME = "O'Brien\"; DROP TABLE places; --"


def place_row(code: str, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "place_code": code,
                "name": name,
                "kind": "hwb",
                "parent_system": None,
                "population_65plus": 100,
                "source_note": "test",
            }
        ]
    )


def test_new_database_records_every_migration(tmp_path):
    with Store.open(tmp_path / "a.duckdb") as store:
        applied = store.query("applied_migrations")
        assert list(applied["version"]) == [m.version for m in migrations()]
        assert store.schema_version() == max(m.version for m in migrations())


def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "a.duckdb"
    with Store.open(path) as store:
        store.insert_frame("places", place_row("X1", "Somewhere"))
    with Store.open(path) as store:
        assert store.migrate() == []
        assert store.table_counts()["places"] == 1


def test_database_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "a.duckdb"
    with Store.open(path) as store:
        store._con.execute("INSERT INTO schema_migrations VALUES (999, 'future', now())")
    with pytest.raises(StoreError, match="newer version"):
        Store.open(path)


def test_values_travel_as_parameters_not_sql_text():
    store = Store.open(None)
    store.insert_frame("places", place_row("X1", HOSTILE_NAME))
    places = store.query("places")
    assert list(places["name"]) == [HOSTILE_NAME]
    # A hostile value used as a query parameter matches nothing and breaks nothing.
    assert store.query("monthly_history", places=[HOSTILE_NAME]).empty
    assert store.table_counts()["places"] == 1


def test_insert_refuses_unknown_columns_and_tables():
    store = Store.open(None)
    with pytest.raises(StoreError, match="no column"):
        store.insert_frame("places", place_row("X1", "A").assign(**{"evil; --": 1}))
    with pytest.raises(StoreError, match="no table"):
        store.insert_frame("nope", place_row("X1", "A"))


def test_transaction_is_all_or_nothing():
    store = Store.open(None)
    with pytest.raises(Exception, match="(?i)constraint|duplicate"), store.transaction() as tx:
        tx.insert_frame("places", place_row("X1", "First"))
        tx.insert_frame("places", place_row("X1", "Duplicate code"))
    assert store.table_counts()["places"] == 0


def test_failed_migration_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "a.duckdb"
    Store.open(path).close()
    broken = store_module.Migration(99, "broken", "CREATE TABLE half_made (x INT); SELECT nope;")
    monkeypatch.setattr(store_module, "migrations", lambda: (*migrations(), broken))
    with pytest.raises(Exception, match="(?i)nope"):
        Store.open(path)
    monkeypatch.undo()
    with Store.open(path) as store:
        tables = store._con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name = 'half_made'"
        ).fetchall()
        assert tables == []
        assert store.schema_version() == max(m.version for m in migrations())


def test_file_held_by_another_process_gives_a_clear_error(tmp_path):
    path = tmp_path / "held.duckdb"
    Store.open(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(path)!r})
            print("holding", flush=True)
            sys.stdin.read()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(StoreError, match="in use by another program"):
            Store.open(path, wait_seconds=0.2)
    finally:
        holder.communicate("")


def test_read_only_open_of_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(StoreError, match="no database"):
        Store.open(tmp_path / "missing.duckdb", read_only=True)
    assert not (tmp_path / "missing.duckdb").exists()


def test_the_named_queries_come_from_every_file_in_the_queries_folder():
    files = sorted(store_module.QUERIES_DIR.glob("*.sql"))
    assert len(files) > 1
    queries = store_module.named_queries()
    for path in files:
        names = re.findall(r"^-- name: ([a-z0-9_]+)", path.read_text("utf-8"), re.MULTILINE)
        assert names and set(names) <= set(queries), path.name
    for name in ("places", "scenario_list", "staging_read", "undo_referrals", "sitrep_breaks"):
        assert name in queries


def test_a_query_name_used_twice_is_refused(tmp_path):
    (tmp_path / "a.sql").write_text("-- about a\n-- name: places\nSELECT 1;\n", "utf-8")
    (tmp_path / "b.sql").write_text(
        "-- name: other\nSELECT 2;\n\n-- name: places\nSELECT 3;\n", "utf-8"
    )
    with pytest.raises(StoreError, match="places is named twice: in a.sql and b.sql"):
        store_module.read_queries(tmp_path)
    (tmp_path / "b.sql").write_text(
        "-- name: twice\nSELECT 2;\n-- name: twice\nSELECT 3;\n", "utf-8"
    )
    with pytest.raises(StoreError, match="twice is named twice: in b.sql and b.sql"):
        store_module.read_queries(tmp_path)


def test_query_files_without_names_or_with_sql_before_the_first_name_are_refused(tmp_path):
    with pytest.raises(StoreError, match="no query files"):
        store_module.read_queries(tmp_path)
    (tmp_path / "a.sql").write_text("SELECT 0;\n-- name: places\nSELECT 1;\n", "utf-8")
    with pytest.raises(StoreError, match="a.sql has SQL before"):
        store_module.read_queries(tmp_path)


def test_every_read_query_is_valid_sql():
    """Queries over the stored tables run; those over an import's scratch tables are
    exercised by the import tests."""
    store = Store.open(None)
    params = {
        "places": ["A"],
        "start": "2025-01-01",
        "end": "2025-02-01",
        "name": "x",
        "scenario_id": 1,
        "version": 1,
        "factor": 10.0,
        "kind": "counts",
        "checksum": "x",
        "limit": 5,
        "service_id": "x",
        "service_type": "x",
        "snapshot_id": 1,
        "place_code": "A",
        "decision_id": 1,
        "place_codes": ["A"],
        "open_only": False,
        "import_id": 1,
        "services": ["x"],
        "trusts": ["x"],
        "import_ids": [1],
    }
    scratch = ("staging", "incoming_counts", "destination_map")
    for name, sql in store_module.named_queries().items():
        statements = store_module._statements(sql)
        reads = len(statements) == 1 and statements[0].lstrip().upper().startswith(
            ("SELECT", "WITH")
        )
        if not reads or any(table in sql for table in scratch):
            continue
        wanted = {k: v for k, v in params.items() if f"${k}" in sql}
        store.query(name, **wanted)  # raises if the SQL or its parameters are wrong


def test_the_data_version_moves_with_the_data_and_the_scenarios_version_with_scenarios(
    writable_db, tmp_path
):
    """The app re-reads referrals only when the data version moves, so a scenario save must
    leave it alone, and an import, an undo or a migration must move it."""
    from capacity import ingest, scenario_store
    from capacity.scenarios.model import Change, Scenario

    def versions() -> tuple[str, str]:
        with Store.open(writable_db, read_only=True) as store:
            return store.versions()

    first = versions()
    with Store.open(writable_db) as store:
        scenario_store.save(
            store, Scenario("Surge", (Change("demand_pct", 10, "2025-12", "2026-03"),))
        )
    saved = versions()
    assert saved[0] == first[0] and saved[1] != first[1]
    with Store.open(writable_db) as store:
        scenario_store.delete(store, "Surge")
    deleted = versions()
    assert deleted[0] == first[0] and deleted[1] != saved[1]

    counts = tmp_path / "counts.csv"
    counts.write_text(
        "place_code,service_type,source,month,referrals,source_note\n"
        "E09000016,rehab_bed,hospital,2025-01-01,12,test\n"
    )
    with Store.open(writable_db) as store:
        result = ingest.load(store, ingest.stage_file(counts, "counts", workdir=tmp_path))
        assert result.import_id is not None
    imported = versions()
    assert imported[0] != deleted[0] and imported[1] == deleted[1]
    with Store.open(writable_db) as store:
        ingest.undo_last(store)
    undone = versions()
    assert undone[0] not in (imported[0], deleted[0]) and undone[1] == deleted[1]
