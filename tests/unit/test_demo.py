"""The demo database: built reproducibly from data/demo, with the documents' monthly levels."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from capacity import config, demo
from capacity.demo import build_demo_database, ensure_database, monthly_profile, synthetic_referrals
from capacity.store import Store, StoreError, migrations


def small_levels() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "place_code": "E09000016",
                "service_id": "bhr_hsss",
                "service_type": "social_support",
                "source": "hospital",
                "referrals_per_month": 147.0,
                "annual_growth": 0.0,
                "winter_peak": 0.1,
                "mean_los_days": 10.0,
                "source_note": "test",
            }
        ]
    )


def generate(seed: int) -> pd.DataFrame:
    mix = pd.DataFrame(
        [{"place_code": "E09000016", "trust_code": "RF4", "share": 1.0, "source_note": "t"}]
    )
    return synthetic_referrals(
        small_levels(),
        mix,
        {"social_support": "P0"},
        config.DEMO_FIRST_DAY,
        config.DEMO_LAST_DAY,
        seed,
    )


def test_the_same_seed_gives_the_same_records():
    pd.testing.assert_frame_equal(generate(7), generate(7))
    assert not generate(7).equals(generate(8))


def test_records_follow_the_documented_level_with_a_winter_peak():
    records = generate(config.DEMO_SEED)
    per_month = records.groupby(records["referral_date"].dt.to_period("M")).size()
    assert per_month.mean() == pytest.approx(147, rel=0.03)  # seeds/000...:868
    by_calendar = per_month.groupby(per_month.index.month).mean()
    assert by_calendar[1] > by_calendar[7] * 1.1
    assert records["pathway"].eq("P0").all() and records["referring_trust"].eq("RF4").all()


def test_episodes_end_after_they_start_and_are_open_at_the_extract_date():
    records = generate(config.DEMO_SEED)
    ended = records.dropna(subset=["end_date"])
    assert (ended["end_date"] > ended["start_date"]).all()
    started = records.dropna(subset=["start_date"])
    assert (started["start_date"] >= started["referral_date"]).all()
    cutoff = pd.Timestamp(config.DEMO_LAST_DAY)
    assert (ended["end_date"] <= cutoff).all()
    assert records["end_date"].isna().sum() > 0  # late starts still open at the cutoff


def test_profile_averages_one_over_a_year():
    assert sum(monthly_profile(m, 0.12) for m in range(1, 13)) / 12 == pytest.approx(1)
    assert monthly_profile(1, 0.12) == pytest.approx(1.12)


def test_a_failed_build_leaves_no_file(tmp_path):
    target = tmp_path / "demo.duckdb"
    with pytest.raises(Exception, match="missing"):
        build_demo_database(target, demo_dir=tmp_path / "missing")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rebuild_keeps_the_old_file(tmp_path):
    target = tmp_path / "demo.duckdb"
    build_demo_database(target)
    before = target.read_bytes()
    with pytest.raises(Exception, match="missing"):
        build_demo_database(target, demo_dir=tmp_path / "missing")
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["demo.duckdb"]


def test_ensure_database_builds_once_and_keeps_existing_files(tmp_path):
    target = tmp_path / "sub" / "cap.duckdb"
    assert ensure_database(target) is True
    with Store.open(target) as store:
        store.execute(
            "log_import",
            kind="note",
            file_name="mine",
            checksum="x",
            rows_read=0,
            rows_loaded=0,
            rows_rejected=0,
            loaded_by="me",
            note="keep me",
        )
    assert ensure_database(target) is False
    with Store.open(target, read_only=True) as store:
        assert "keep me" in set(store.query("import_log")["note"])


def test_an_empty_file_is_not_silently_replaced(tmp_path):
    target = tmp_path / "cap.duckdb"
    target.write_bytes(b"")
    with pytest.raises(StoreError, match="empty"):
        ensure_database(target)


def test_demo_builds_identically_twice(tmp_path: Path, demo_store):
    with Store.open(build_path := tmp_path / "again.duckdb") as store:
        demo.load_demo(store)
    with Store.open(build_path, read_only=True) as again:
        first = demo_store.query("monthly_history", places=["E09000016"])
        second = again.query("monthly_history", places=["E09000016"])
        pd.testing.assert_frame_equal(first, second)


def test_a_database_file_of_something_else_gets_a_clear_error(tmp_path):
    target = tmp_path / "other.duckdb"
    duckdb.connect(str(target)).close()  # a DuckDB file with none of the product's tables
    with pytest.raises(StoreError, match="not a database of this product"):
        ensure_database(target)


def test_an_older_database_is_brought_up_to_date(tmp_path):
    target = tmp_path / "old.duckdb"
    ensure_database(target)
    with duckdb.connect(str(target)) as con:  # as an earlier version left it
        con.execute("DELETE FROM schema_migrations WHERE version = 4")
    assert ensure_database(target) is False
    with Store.open(target, read_only=True) as store:
        assert store.schema_version() == max(m.version for m in migrations())
        assert store.table_counts()["referrals"] > 0
