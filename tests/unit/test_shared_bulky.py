"""Bulky data on many servers: referral records, SitReps and aggregates follow the shared log.

Two stores on two copies of the demo database share one fresh PostgreSQL, as two app
servers would (see test_shared_state.py). An import through one server must leave the
other's own tables, once it refreshes, exactly as the first's: compared whole, sorted, and
through the plan. Skips only where PostgreSQL's programs or psycopg are absent.
"""

# ruff: noqa: F811 - the fixtures shared with test_shared_state are named by the tests

from __future__ import annotations

import io
import shutil
import threading
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from capacity.cli import main
from capacity.ingest import aggregates as aggregate_import
from capacity.ingest import load, stage_file, undo_last
from capacity.shared_state import STATE_ENV, SharedStateConflict
from capacity.store import Store
from capacity.views.aggregates import aggregate_records
from capacity.views.plans import plan_of_places
from tests.postgres import postgres_cluster  # noqa: F401 - the session fixture
from tests.sitrep_books import write_sitrep
from tests.unit.test_shared_state import servers, state_url  # noqa: F401 - fixtures

HAVERING = "E09000016"
BARNET = "E09000003"  # an England place with no services or records in the demo
YEAR = 2025
HEADER = (
    "referral_id,place_code,service_type,source,pathway,referral_date,start_date,end_date,"
    "service_id,referring_trust"
)
# Twenty new Havering referrals in the planning window, every one in May 2024.
NEW = [
    f"NEW-{n:02d},{HAVERING},reablement_home,hospital,P1,2024-05-{n:02d},2024-05-{n:02d},"
    f"2024-05-{n + 5:02d},hav_reablement,RF4"
    for n in range(1, 21)
]
# Two of the demo's own records corrected (an end date, a service), and one new record.
CORRECTIONS = [
    f"DEMO-0000014,{HAVERING},reablement_home,hospital,P1,2022-04-01,2022-04-01,2022-04-20,"
    "hav_reablement,RF4",
    f"DEMO-0000015,{HAVERING},social_support,hospital,P1,2022-04-01,2022-04-01,2022-04-16,"
    "bhr_hsss,RF4",
    f"NEW-99,{HAVERING},reablement_home,community,,2024-06-03,2024-06-04,,hav_reablement,",
]
BULKY = (
    "referrals",
    "referrals_archive",
    "referral_record_months",
    "referral_record_episodes",
    "monthly_demand",
    "monthly_demand_archive",
    "sitrep_discharges",
    "sitrep_discharges_archive",
    "referral_months",
    "referral_months_archive",
    "episode_months",
    "episode_months_archive",
    "stay_statistics",
    "stay_statistics_archive",
    "referral_weekdays",
    "referral_weekdays_archive",
)


def table(store: Store, name: str) -> pd.DataFrame:
    """A whole table, rows sorted by every column, as plain values."""
    frame = store._con.execute(f'SELECT * FROM "{name}"').df()  # noqa: S608 - test names
    frame = frame.sort_values(list(frame.columns), na_position="first", kind="stable")
    return frame.reset_index(drop=True)


def assert_same_data(a: Store, b: Store) -> None:
    for name in BULKY:
        assert_frame_equal(table(a, name), table(b, name), obj=name)


def plan(store: Store, place: str = HAVERING) -> pd.DataFrame:
    return plan_of_places(store, [place], YEAR, None)


def referral_file(tmp_path: Path, rows: list[str], name: str):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return stage_file(path, "referrals", workdir=work)


def havering_may_2024(store: Store) -> int:
    found = store._con.execute(
        "SELECT coalesce(sum(referrals), 0) FROM referral_record_months "
        "WHERE place_code = $p AND month = DATE '2024-05-01'",
        {"p": HAVERING},
    ).fetchone()
    return int(found[0])


def test_referrals_loaded_on_one_server_arrive_on_the_other(servers, tmp_path):
    a, b = servers
    before = havering_may_2024(b)
    plan_before = plan(b)
    result = load(a, referral_file(tmp_path, NEW, "may.csv"))
    assert result.import_id is not None and result.rows_loaded == 20
    assert havering_may_2024(a) == before + 20
    assert havering_may_2024(b) == before  # b has not refreshed yet
    # The twenty records move Havering's plan, so equal plans below mean something.
    assert not plan(a).equals(plan_before)
    assert b.refresh() is True
    assert havering_may_2024(b) == before + 20
    assert_same_data(a, b)
    assert_frame_equal(plan(a), plan(b))
    assert b.query("bulky_missing").empty


def test_corrections_and_their_undo_arrive_on_the_other_server(servers, tmp_path):
    a, b = servers
    load(a, referral_file(tmp_path, NEW, "may.csv"))
    corrected = load(a, referral_file(tmp_path, CORRECTIONS, "corrections.csv"))
    assert corrected.report.updated == 2
    b.refresh()
    # The two replaced demo records moved to the archive on both, with the import's id.
    archived = table(b, "referrals_archive")
    assert sorted(archived["referral_id"]) == ["DEMO-0000014", "DEMO-0000015"]
    assert set(archived["replaced_by"]) == {corrected.import_id}
    service = b._con.execute(
        "SELECT service_id FROM referrals WHERE referral_id = 'DEMO-0000015'"
    ).fetchall()
    assert service == [("bhr_hsss",)]
    assert_same_data(a, b)
    assert_frame_equal(plan(a), plan(b))
    assert "Undid import" in undo_last(a)
    b.refresh()
    assert table(b, "referrals_archive").empty
    service = b._con.execute(
        "SELECT service_id FROM referrals WHERE referral_id = 'DEMO-0000015'"
    ).fetchall()
    assert service == [("hav_reablement",)]
    assert_same_data(a, b)
    assert_frame_equal(plan(a), plan(b))


def test_a_sitrep_workbook_arrives_and_its_undo_too(servers, tmp_path):
    a, b = servers
    path = write_sitrep(tmp_path / "june.xlsx", "June 2023", {"RF4": {"p1": 120, "p0": 900}})
    result = load(a, stage_file(path, "sitrep", workdir=tmp_path))
    assert result.import_id is not None, result.message
    b.refresh()
    rows = table(b, "sitrep_discharges")
    assert len(rows[rows["import_id"] == result.import_id]) > 0
    assert_same_data(a, b)
    undo_last(a)
    b.refresh()
    assert (table(b, "sitrep_discharges")["import_id"] != result.import_id).all()
    assert_same_data(a, b)


def test_an_aggregates_folder_arrives(servers, tmp_path):
    a, b = servers
    records = tmp_path / "barnet.csv"
    rows = [
        f"B-{n},{BARNET},reablement_home,hospital,P1,2024-0{1 + n % 3}-1{n},"
        f"2024-0{1 + n % 3}-1{n},2024-0{2 + n % 3}-0{n + 1},,"
        for n in range(6)
    ]
    records.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    out = tmp_path / "aggregates"
    aggregate_records(a, engine="duckdb", input_path=str(records), out=out)
    import_id, _ = aggregate_import.load(a, aggregate_import.read_folder(out))
    b.refresh()
    months = table(b, "referral_months")
    # Six Barnet referrals: January, February and March 2024, two in each.
    counted = months[months["import_id"] == import_id].groupby("month")["referrals"].sum()
    assert counted.tolist() == [2, 2, 2]
    assert_same_data(a, b)
    undo_last(a)
    b.refresh()
    assert table(b, "referral_months").empty
    assert_same_data(a, b)


def test_an_import_on_the_server_that_is_behind_takes_the_other_first(servers, tmp_path):
    a, b = servers
    load(a, referral_file(tmp_path, NEW, "may.csv"))
    # b has not refreshed; its load takes a's import first, so the correction of NEW-01
    # below replaces a's record on both servers.
    fixed = NEW[0].replace("2024-05-06", "2024-05-09")
    result = load(b, referral_file(tmp_path, [fixed], "fix.csv"))
    assert result.report.updated == 1, result.message
    a.refresh()
    assert_same_data(a, b)
    assert_frame_equal(plan(a), plan(b))
    archived = table(a, "referrals_archive")
    assert archived["referral_id"].tolist() == ["NEW-01"]


def test_an_import_racing_another_servers_is_refused_and_leaves_nothing(servers, tmp_path):
    a, b = servers
    load(a, referral_file(tmp_path, NEW, "may.csv"))
    counts = b.table_counts()
    refs = table(b, "referrals")
    # b's refresh before loading is skipped here, as when a's import lands between them.
    b.refresh = lambda: False  # type: ignore[method-assign]
    with pytest.raises(SharedStateConflict, match="Another server loaded or undid data"):
        load(b, referral_file(tmp_path, CORRECTIONS, "corrections.csv"))
    assert b.table_counts() == counts
    assert_frame_equal(table(b, "referrals"), refs)
    del b.refresh
    b.refresh()
    assert_same_data(a, b)


def test_a_failed_push_leaves_this_servers_file_unchanged(servers, tmp_path, monkeypatch):
    a, b = servers
    state = a._shared_state()
    assert state is not None
    counts, log = a.table_counts(), table(a, "import_log")

    def broken(*args, **kwargs):
        raise RuntimeError("PostgreSQL went away")

    monkeypatch.setattr("capacity.shared_state._send", broken)
    with pytest.raises(RuntimeError, match="went away"):
        load(a, referral_file(tmp_path, NEW, "may.csv"))
    assert a.table_counts() == counts
    assert_frame_equal(table(a, "import_log"), log)
    assert a.query("bulky_holdings").empty
    # Nothing reached PostgreSQL either: b takes no import.
    b.refresh()
    assert_same_data(a, b)
    assert table(b, "import_log")["import_id"].max() == log["import_id"].max()


def test_an_import_no_server_sent_is_named_and_nothing_breaks(servers, tmp_path):
    a, b = servers
    result = load(a, referral_file(tmp_path, NEW, "may.csv"))
    # As if a loaded it before the servers shared data: its rows were never sent.
    with a._shared_state()._write.transaction():
        a._shared_state()._write.execute("DELETE FROM bulky_imports")
    b.refresh()
    missing = b.query("bulky_missing")
    assert missing["import_id"].tolist() == [result.import_id]
    note = missing.iloc[0]["note"]
    assert f"Import {result.import_id} (may.csv, referrals)" in note
    assert "before the servers shared data" in note
    assert (table(b, "referrals")["import_id"] != result.import_id).all()
    # The command line's import log says so under its table.
    shown = io.StringIO()
    assert main(["import-log", "--db", str(b.path)], out=shown) == 0
    assert f"Warning: Import {result.import_id} (may.csv, referrals) was loaded" in (
        shown.getvalue()
    )
    # A server starting with this version sends the rows of such imports it holds.
    a._shared_state().lost()
    a._join_shared_state()
    assert b.refresh() is True
    assert b.query("bulky_missing").empty
    assert_same_data(a, b)
    assert_frame_equal(plan(a), plan(b))


def test_a_file_imported_before_sharing_counts_as_held(demo_db, tmp_path, state_url, monkeypatch):
    # Both files loaded the same extract before they shared a state; then both join.
    paths = [tmp_path / "a.duckdb", tmp_path / "b.duckdb"]
    monkeypatch.delenv(STATE_ENV)
    for path in paths:
        shutil.copyfile(demo_db, path)
        with Store.open(path) as store:
            load(store, referral_file(tmp_path, NEW, "may.csv"))
    monkeypatch.setenv(STATE_ENV, state_url)
    a = Store.open(paths[0])
    b = Store.open(paths[1])
    try:
        assert b.query("bulky_missing").empty
        assert set(b.query("bulky_holdings")["status"]) == {"held"}
        assert_same_data(a, b)
        load(a, referral_file(tmp_path, CORRECTIONS, "corrections.csv"))
        b.refresh()
        assert_same_data(a, b)
    finally:
        a.close()
        b.close()


def test_a_large_import_travels_in_parts(servers, tmp_path, monkeypatch):
    a, b = servers
    monkeypatch.setattr("capacity.shared_state.PART_ROWS", 7)
    result = load(a, referral_file(tmp_path, NEW, "may.csv"))
    parts = (
        a._shared_state()
        ._write.execute(
            "SELECT part, row_count FROM bulky_parts WHERE import_id = %s ORDER BY part",
            (result.import_id,),
        )
        .fetchall()
    )
    a._shared_state()._write.rollback()
    # Twenty rows in parts of seven: 7, 7 and 6.
    assert [count for _, count in parts] == [7, 7, 6]
    b.refresh()
    assert_same_data(a, b)


COUNTS_HEADER = "place_code,service_type,source,month,referrals,service_id"


def counts_file(tmp_path: Path, rows: list[str], name: str):
    path = tmp_path / name
    path.write_text("\n".join([COUNTS_HEADER, *rows]) + "\n", encoding="utf-8")
    return stage_file(path, "counts", workdir=tmp_path)


def test_published_counts_and_the_counts_they_replace_arrive(servers, tmp_path):
    a, b = servers
    first = load(
        a,
        counts_file(
            tmp_path,
            [
                f"{BARNET},reablement_home,hospital,2024-01-01,40,",
                f"{BARNET},reablement_home,hospital,2024-02-01,44,",
            ],
            "counts1.csv",
        ),
    )
    # February restated: 44 becomes 46, the 44 kept in the archive for undo.
    second = load(
        a, counts_file(tmp_path, [f"{BARNET},reablement_home,hospital,2024-02-01,46,"], "c2.csv")
    )
    assert first.import_id and second.import_id, second.message
    b.refresh()
    stored = table(b, "monthly_demand")
    barnet = stored[stored["place_code"] == BARNET].sort_values("month")
    assert barnet["referrals"].tolist() == [40, 46]
    archived = table(b, "monthly_demand_archive")
    assert archived["referrals"].tolist() == [44]
    assert archived["replaced_by"].tolist() == [second.import_id]
    assert_same_data(a, b)
    undo_last(a)
    b.refresh()
    barnet = table(b, "monthly_demand")
    assert sorted(barnet.loc[barnet["place_code"] == BARNET, "referrals"]) == [40, 44]
    assert_same_data(a, b)


def test_without_a_shared_state_a_load_sends_nothing(writable_db, tmp_path, monkeypatch):
    monkeypatch.delenv(STATE_ENV, raising=False)

    def never(*args, **kwargs):
        raise AssertionError("nothing is sent without CAPACITY_STATE")

    monkeypatch.setattr("capacity.shared_state._send", never)
    monkeypatch.setattr("capacity.shared_state._bulky_changes", never)
    with Store.open(writable_db) as store:
        assert not store.state_shared
        result = load(store, referral_file(tmp_path, NEW, "may.csv"))
        assert result.rows_loaded == 20
        assert store.query("bulky_holdings").empty


def test_rows_that_cannot_be_written_are_named_and_the_rest_is_taken(servers, tmp_path):
    a, b = servers
    damaged = load(a, referral_file(tmp_path, NEW, "may.csv"))
    pg = a._shared_state()._write
    with pg.transaction():
        pg.execute("UPDATE bulky_parts SET payload = %s", (b"not parquet",))
    log = table(a, "import_log")
    assert b.refresh() is True  # no error for the reader
    # The shared tables arrived all the same; the damaged import is named, its rows absent.
    assert_frame_equal(table(b, "import_log"), log)
    missing = b.query("bulky_missing")
    assert missing["import_id"].tolist() == [damaged.import_id]
    assert "could not be written here" in missing.iloc[0]["note"]
    assert (table(b, "referrals")["import_id"] != damaged.import_id).all()
    # A later import from a still arrives.
    sitrep = write_sitrep(tmp_path / "june.xlsx", "June 2023", {"RF4": {"p1": 7}})
    later = load(a, stage_file(sitrep, "sitrep", workdir=tmp_path))
    b.refresh()
    assert_frame_equal(table(a, "sitrep_discharges"), table(b, "sitrep_discharges"))
    assert later.import_id in set(table(b, "sitrep_discharges")["import_id"])


def test_loads_at_once_on_both_servers_lose_nothing_silently(servers, tmp_path):
    a, b = servers
    start = threading.Barrier(2)
    outcome: dict[str, object] = {}
    others = [row.replace("NEW-", "OTHER-") for row in NEW]

    def run(store: Store, name: str, rows: list[str]) -> None:
        staged = referral_file(tmp_path / name, rows, f"{name}.csv")
        start.wait()
        try:
            outcome[name] = load(store, staged).import_id
        except SharedStateConflict as exc:
            outcome[name] = exc

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    threads = [
        threading.Thread(target=run, args=(a, "a", NEW)),
        threading.Thread(target=run, args=(b, "b", others)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    # Each load either landed or was refused with the reason; none half-landed.
    loaded = {name for name, got in outcome.items() if isinstance(got, int)}
    assert loaded and set(outcome) == {"a", "b"}
    a.refresh()
    b.refresh()
    assert_same_data(a, b)
    ids = set(table(a, "referrals")["referral_id"])
    for name, rows in (("a", NEW), ("b", others)):
        present = {row.split(",")[0] for row in rows} <= ids
        assert present == (name in loaded)
