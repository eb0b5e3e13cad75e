"""Capacity methods as a registry, read by the checks, the plan, the flow and the schema."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from capacity import methods, reference
from capacity.store import Store, StoreError, migrations


def test_every_method_declares_what_the_rest_of_the_product_asks():
    for key, declared in methods.METHODS.items():
        assert declared.key == key and declared.label
        assert declared.modelled == (declared.flow_reason is None)
        if declared.follows_demand:
            assert not declared.needs and not declared.levers and not declared.modelled


def test_the_parameter_checks_read_the_registry():
    assert tuple(methods.METHODS) == reference.METHODS
    assert set(reference.METHOD_NEEDS) == set(methods.METHODS)
    assert methods.modelled_methods() == ("caseload", "hours")
    assert methods.following_demand() == ("equal_to_demand",)
    assert methods.moved_by("hours_pct") == ("hours",)
    assert methods.moved_by("los_pct") == ("caseload", "hours")


def test_an_unknown_method_is_named_with_the_known_ones():
    with pytest.raises(KeyError, match="unknown capacity method 'magic'.*caseload"):
        methods.method("magic")


def test_the_database_knows_every_declared_method_and_refuses_others():
    store = Store.open(None)
    stored = store.query("capacity_methods")
    assert dict(zip(stored["method"], stored["label"], strict=True)) == methods.METHOD_LABELS
    row = pd.DataFrame(
        [{"service_id": "x", "method": "magic", "valid_from": "2025-04-01", "source_note": "test"}]
    )
    with pytest.raises((StoreError, duckdb.Error), match="foreign key"):
        store.insert_frame("service_parameters", row)
    store.insert_frame("service_parameters", row.assign(method="equal_to_demand"))


def test_a_database_made_before_the_methods_table_keeps_its_parameters(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR "
        "NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    for migration in migrations():
        if migration.version < 5:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now())",
                [migration.version, migration.name],
            )
    con.execute(
        "INSERT INTO service_parameters (service_id, method, caseload, mean_los_days, "
        "valid_from, source_note, import_id) VALUES "
        "('beds', 'caseload', 20, 28, DATE '2025-04-01', 'contract', 7), "
        "('hss', 'throughput', NULL, NULL, DATE '2025-04-01', 'contract', NULL)"
    )
    con.close()
    with Store.open(path) as store:
        assert store.schema_version() >= 5
        counts = store.table_counts()
    assert counts["service_parameters"] == 2
    con = duckdb.connect(str(path))
    rows = con.execute(
        "SELECT param_id, service_id, method, caseload, import_id "
        "FROM service_parameters ORDER BY param_id"
    ).fetchall()
    next_id = con.execute("SELECT nextval('service_parameters_seq')").fetchone()[0]
    con.close()
    assert rows == [(1, "beds", "caseload", 20.0, 7), (2, "hss", "throughput", None, None)]
    assert next_id == 3
