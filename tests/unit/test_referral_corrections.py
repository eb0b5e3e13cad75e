"""Monthly extracts that overlap and correct: re-sent referrals update, and undo restores.

Every record here is in Essex in January 2021, before the demo's records begin (April
2022), so each figure below is worked by hand from these few rows alone.
"""

from __future__ import annotations

import io
import math
from datetime import date
from pathlib import Path

import pytest

from capacity.cli import main
from capacity.ingest import check, import_log, load, stage_file, undo_last
from capacity.observed import observed_measures
from capacity.store import Store, _Session

HEADER = (
    "referral_id,place_code,service_type,source,pathway,referral_date,start_date,end_date,"
    "service_id"
)
JANUARY = [
    # R-1 is still open at the end of January; February's extract fills in its end.
    "R-1,E10000012,reablement_home,hospital,P1,2021-01-04,2021-01-05,,esx_reablement",
    # R-2 was recorded against the wrong service; February's extract moves it.
    "R-2,E10000012,reablement_home,hospital,P1,2021-01-06,2021-01-07,2021-01-21,esx_reablement",
    "R-3,E10000012,reablement_home,hospital,P1,2021-01-08,2021-01-08,2021-01-18,esx_reablement",
    "R-4,Essex,Reablement at home,community,,11/01/2021,12/01/2021,,esx_ilor",
]
FEBRUARY = [
    "R-1,E10000012,reablement_home,hospital,P1,2021-01-04,2021-01-05,2021-01-25,esx_reablement",
    "R-2,E10000012,reablement_home,hospital,P1,2021-01-06,2021-01-07,2021-01-21,esx_ilor",
    JANUARY[2],
    # The same record as January's R-4, written with codes and ISO dates: still unchanged.
    "R-4,E10000012,reablement_home,community,,2021-01-11,2021-01-12,,esx_ilor",
    "R-5,E10000012,reablement_home,hospital,P1,2021-02-01,2021-02-02,,esx_reablement",
]
OURS = "SELECT * FROM referrals WHERE referral_id LIKE 'R-%' ORDER BY referral_id"


@pytest.fixture
def store(writable_db):
    with Store.open(writable_db) as opened:
        yield opened


def staged(tmp_path: Path, rows: list[str], name: str, header: str = HEADER):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return stage_file(path, "referrals", workdir=work)


def ours(store: Store) -> list[tuple]:
    return store._con.execute(OURS).fetchall()


def by_id(store: Store) -> dict[str, tuple]:
    """Each of our referrals: (service_id, end_date)."""
    rows = store._con.execute(
        "SELECT referral_id, service_id, end_date FROM referrals WHERE referral_id LIKE 'R-%'"
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def archived(store: Store) -> int:
    return store._con.execute("SELECT count(*) FROM referrals_archive").fetchone()[0]


def everything(store: Store) -> tuple:
    """What a load may touch: our records, the archive and the import log."""
    log = store._con.execute("SELECT import_id, note, undone_at FROM import_log").fetchall()
    return ours(store), archived(store), store.table_counts()["referrals"], sorted(log)


def january_observed(store: Store) -> dict[str, tuple]:
    """Per Essex service over January 2021: (arrivals, completed, mean length of stay)."""
    frame = observed_measures(store, ["E10000012"], date(2021, 1, 1), date(2021, 2, 1))
    return {
        r.service_id: (
            int(r.arrivals),
            int(r.completed),
            None if math.isnan(r.observed_los_days) else r.observed_los_days,
        )
        for r in frame.itertuples()
    }


def test_a_resent_extract_counts_new_updated_and_unchanged_and_stores_the_corrections(
    store, tmp_path
):
    first = load(store, staged(tmp_path, JANUARY, "january.csv"))
    assert first.rows_loaded == 4
    # January by hand: esx_reablement has starting in the month; R-2
    # (7 to 21 Jan, 14 days) and R-3 (8 to 18 Jan, 10 days) ended in it: mean 12 days.
    # esx_ilor has R-4, still open.
    assert january_observed(store) == {"esx_reablement": (3, 2, 12.0), "esx_ilor": (1, 0, None)}
    version = store.versions()[0]

    second = load(store, staged(tmp_path, FEBRUARY, "february.csv"))
    report = second.report
    assert (report.rows_new, report.updated, report.already_loaded) == (1, 2, 2)
    assert second.rows_loaded == 3  # the new one and the two corrections; untouched
    assert "1 new, 2 updated, 2 unchanged" in second.message
    assert import_log(store).iloc[0]["note"] == "1 new, 2 updated, 2 unchanged"

    stored = by_id(store)
    assert stored["R-1"] == ("esx_reablement", date(2021, 1, 25))
    assert stored["R-2"] == ("esx_ilor", date(2021, 1, 21))
    assert stored["R-5"] == ("esx_reablement", None)
    assert len(ours(store)) == 5  # each id once: the corrections replaced, never duplicated
    # The unchanged records keep the import that first loaded them.
    imports = dict(
        store._con.execute(
            "SELECT referral_id, import_id FROM referrals WHERE referral_id LIKE 'R-%'"
        ).fetchall()
    )
    assert imports["R-3"] == imports["R-4"] == first.import_id
    assert imports["R-1"] == imports["R-2"] == imports["R-5"] == second.import_id

    # February by hand: esx_reablement keeps R-1 (5 to 25 Jan, now ended: 20 days) and R-3
    # (10 days): 2 arrivals, 2 completed, mean 15 days; R-5 starts in February. esx_ilor
    # gains R-2 (14 days) beside the open R-4: 2 arrivals, 1 completed.
    assert january_observed(store) == {"esx_reablement": (2, 2, 15.0), "esx_ilor": (2, 1, 14.0)}
    # The data version moves, so the app's caches read the plan again.
    assert store.versions()[0] != version


def test_undo_restores_exactly_the_old_records_and_removes_the_new_one(store, tmp_path):
    load(store, staged(tmp_path, JANUARY, "january.csv"))
    before = everything(store)
    january_rows = ours(store)
    load(store, staged(tmp_path, FEBRUARY, "february.csv"))
    assert archived(store) == 2  # the January versions of
    assert "february.csv" in undo_last(store)
    assert ours(store) == january_rows  # every field, the import id included
    assert "R-5" not in by_id(store)
    assert archived(store) == 0
    assert everything(store)[:3] == before[:3]
    # The January file can then be taken out too, leaving none of ours.
    assert "january.csv" in undo_last(store)
    assert ours(store) == []


def test_a_second_correction_then_two_undos_step_back_one_version_at_a_time(store, tmp_path):
    load(store, staged(tmp_path, JANUARY, "january.csv"))
    load(store, staged(tmp_path, FEBRUARY, "february.csv"))
    march = [FEBRUARY[0].replace("2021-01-25", "2021-01-26")]
    third = load(store, staged(tmp_path, march, "march.csv"))
    assert (third.report.rows_new, third.report.updated, third.report.already_loaded) == (0, 1, 0)
    assert by_id(store)["R-1"] == ("esx_reablement", date(2021, 1, 26))
    undo_last(store)
    assert by_id(store)["R-1"] == ("esx_reablement", date(2021, 1, 25))
    undo_last(store)
    assert by_id(store)["R-1"] == ("esx_reablement", None)


def test_a_file_of_unchanged_records_writes_nothing_and_is_not_logged(store, tmp_path):
    load(store, staged(tmp_path, JANUARY, "january.csv"))
    before = everything(store)
    again = load(store, staged(tmp_path, list(reversed(JANUARY)), "january-again.csv"))
    assert again.import_id is None and again.up_to_date
    assert "all 4 good row(s) are already in the store, unchanged" in again.message
    assert everything(store) == before


def test_a_file_without_an_optional_column_keeps_what_is_stored_there(store, tmp_path):
    load(store, staged(tmp_path, FEBRUARY, "february.csv"))
    # The same records from an extract that has no end_date column: it says nothing
    # about end dates, so R-1's stays; R-5's service changes, so R-5 alone is updated.
    header = HEADER.replace(",end_date", "")
    rows = [",".join(r.split(",")[:7] + r.split(",")[8:]) for r in FEBRUARY]
    rows[4] = rows[4].replace("esx_reablement", "esx_ilor")
    result = load(store, staged(tmp_path, rows, "no-end-dates.csv", header=header))
    assert (result.report.rows_new, result.report.updated, result.report.already_loaded) == (
        0,
        1,
        4,
    )
    assert by_id(store)["R-1"] == ("esx_reablement", date(2021, 1, 25))
    assert by_id(store)["R-5"] == ("esx_ilor", None)


def test_a_refused_row_changes_nothing_and_an_id_twice_is_refused(store, tmp_path):
    load(store, staged(tmp_path, JANUARY, "january.csv"))
    before = everything(store)
    twice = [*FEBRUARY, JANUARY[0]]  # R-1 again, with January's (open) end
    result = load(store, staged(tmp_path, twice, "february.csv"))
    assert result.import_id is None
    problem = result.report.problems.iloc[0]
    assert problem["row"] == 7 and "appears more than once" in problem["reason"]
    assert everything(store) == before
    # Loading the good rows takes the first R-1 (the correction) and refuses the second.
    partial = load(store, staged(tmp_path, twice, "february.csv"), accept_partial=True)
    assert (partial.report.rows_new, partial.report.updated) == (1, 2)
    assert by_id(store)["R-1"] == ("esx_reablement", date(2021, 1, 25))


@pytest.mark.parametrize(
    "step",
    ["referrals_archive_updated", "referrals_load", "referrals_drop_replaced", "import_finish"],
)
def test_a_load_stopped_at_any_step_leaves_the_store_as_it_was(store, tmp_path, monkeypatch, step):
    load(store, staged(tmp_path, JANUARY, "january.csv"))
    before = everything(store)
    real = _Session.execute

    def stopping(self, name, /, **params):
        if name == step:
            raise KeyboardInterrupt  # as if the process were stopped there
        return real(self, name, **params)

    monkeypatch.setattr(_Session, "execute", stopping)
    with pytest.raises(KeyboardInterrupt):
        load(store, staged(tmp_path, FEBRUARY, "february.csv"))
    monkeypatch.undo()
    assert everything(store) == before
    # And the same file then loads as if nothing had happened.
    assert load(store, staged(tmp_path, FEBRUARY, "february.csv")).rows_loaded == 3


def test_the_command_line_reports_new_updated_and_unchanged(writable_db, tmp_path):
    db = str(writable_db)
    january = tmp_path / "january.csv"
    january.write_text("\n".join([HEADER, *JANUARY]) + "\n", encoding="utf-8")
    february = tmp_path / "february.csv"
    february.write_text("\n".join([HEADER, *FEBRUARY]) + "\n", encoding="utf-8")

    def run(*argv: str) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        return main(list(argv), out=out, err=err), out.getvalue()

    run("import", "referrals", str(january), "--db", db)
    code, out = run("import", "referrals", str(february), "--check", "--db", db)
    assert code == 0
    assert "february.csv: 5 rows read, 5 good, 0 refused: 1 new, 2 updated, 2 unchanged" in out
    code, out = run("import", "referrals", str(february), "--db", db)
    assert code == 0
    assert "Loaded 3 row(s) of referral records as import" in out
    assert ": 1 new, 2 updated, 2 unchanged." in out
    code, out = run("import", "referrals", str(february), "--db", db)
    assert code == 0
    assert "Nothing loaded: all 5 good row(s) are already in the store, unchanged." in out


def test_checking_a_file_compares_it_without_writing(store, tmp_path):
    load(store, staged(tmp_path, JANUARY, "january.csv"))
    before = everything(store)
    report = check(store, staged(tmp_path, FEBRUARY, "february.csv"))
    assert report.changes() == "1 new, 2 updated, 2 unchanged"
    assert everything(store) == before


def january_months(store: Store) -> dict[tuple, tuple]:
    """The plan's counted months for January 2021: {(place, service, source): (count, first,
    last day)}."""
    rows = store._con.execute(
        "SELECT place_code, service_id, source, referrals, first_day, last_day "
        "FROM referral_record_months WHERE month = DATE '2021-01-01'"
    ).fetchall()
    return {(p, s, src): (n, first.day, last.day) for p, s, src, n, first, last in rows}


def months_match_the_records(store: Store) -> bool:
    """Every counted month agrees with the referral records themselves, for every place."""
    counted = store._con.execute(
        "SELECT place_code, service_type, service_id, source, month, referrals, first_day, "
        "last_day FROM referral_record_months ORDER BY ALL"
    ).fetchall()
    recounted = store._con.execute(
        "SELECT place_code, service_type, service_id, source, "
        "CAST(date_trunc('month', referral_date) AS DATE) AS month, count(*), "
        "min(referral_date), max(referral_date) FROM referrals GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return counted == recounted


def test_the_counted_months_follow_every_load_correction_and_undo(store, tmp_path):
    assert months_match_the_records(store)  # the demo build counts its months too
    load(store, staged(tmp_path, JANUARY, "january.csv"))
    # By hand: were referred to esx_reablement from hospital on the 4th,
    # 6th and 8th; R-4 to esx_ilor from the community on the 11th.
    assert january_months(store) == {
        ("E10000012", "esx_reablement", "hospital"): (3, 4, 8),
        ("E10000012", "esx_ilor", "community"): (1, 11, 11),
    }
    # R-3 was Thurrock's all along (sent again with its place and no service); R-2 moves
    # service within Essex, as in February's extract.
    moved = [FEBRUARY[1], "R-3,E06000034,reablement_home,hospital,P1,2021-01-08,,,"]
    load(store, staged(tmp_path, moved, "moved.csv"))
    assert january_months(store) == {
        ("E10000012", "esx_reablement", "hospital"): (1, 4, 4),
        ("E10000012", "esx_ilor", "hospital"): (1, 6, 6),
        ("E10000012", "esx_ilor", "community"): (1, 11, 11),
        ("E06000034", None, "hospital"): (1, 8, 8),
    }
    assert months_match_the_records(store)
    undo_last(store)
    assert january_months(store) == {
        ("E10000012", "esx_reablement", "hospital"): (3, 4, 8),
        ("E10000012", "esx_ilor", "community"): (1, 11, 11),
    }
    undo_last(store)
    assert january_months(store) == {} and months_match_the_records(store)


EPOCH = date(1970, 1, 1)


def january_episodes(store: Store) -> dict[tuple, tuple]:
    """The plan's counted episodes that started in January 2021: {(place, service, month
    ended or None): (episodes, sum of start days since 1970, sum of stays in days)}."""
    rows = store._con.execute(
        "SELECT place_code, service_id, end_month, episodes, start_day_sum, stay_days "
        "FROM referral_record_episodes WHERE start_month = DATE '2021-01-01'"
    ).fetchall()
    return {
        (p, s, None if end is None else end.month): (n, starts, stays)
        for p, s, end, n, starts, stays in rows
    }


def episodes_match_the_records(store: Store) -> bool:
    """Every counted episode agrees with the referral records themselves, for every place."""
    counted = store._con.execute(
        "SELECT place_code, service_id, start_month, end_month, episodes, start_day_sum, "
        "end_day_sum, stay_days FROM referral_record_episodes ORDER BY ALL"
    ).fetchall()
    recounted = store._con.execute(
        "SELECT place_code, service_id, CAST(date_trunc('month', start_date) AS DATE), "
        "CAST(date_trunc('month', end_date) AS DATE), count(*), "
        "sum(start_date - DATE '1970-01-01'), sum(end_date - DATE '1970-01-01'), "
        "sum(end_date - start_date) FROM referrals "
        "WHERE service_id IS NOT NULL AND start_date IS NOT NULL GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return counted == recounted


def day(month: int, dom: int) -> int:
    return (date(2021, month, dom) - EPOCH).days


def test_the_counted_episodes_follow_every_load_correction_and_undo(store, tmp_path):
    assert episodes_match_the_records(store)  # the demo's records, counted by the migration
    load(store, staged(tmp_path, JANUARY, "january.csv"))
    # By hand: R-1 (esx_reablement) started on the 5th and is open; R-2 (7th to 21st, 14
    # days) and R-3 (8th to 18th, 10 days) ended in January; R-4 (esx_ilor) started on the
    # 12th and is open.
    first = {
        ("E10000012", "esx_reablement", None): (1, day(1, 5), None),
        ("E10000012", "esx_reablement", 1): (2, day(1, 7) + day(1, 8), 24),
        ("E10000012", "esx_ilor", None): (1, day(1, 12), None),
    }
    assert january_episodes(store) == first
    # R-2 moves to esx_ilor; R-3 becomes Thurrock's with no service or start: counted nowhere.
    moved = [FEBRUARY[1], "R-3,E06000034,reablement_home,hospital,P1,2021-01-08,,,"]
    load(store, staged(tmp_path, moved, "moved.csv"))
    assert january_episodes(store) == {
        ("E10000012", "esx_reablement", None): (1, day(1, 5), None),
        ("E10000012", "esx_ilor", 1): (1, day(1, 7), 14),
        ("E10000012", "esx_ilor", None): (1, day(1, 12), None),
    }
    assert episodes_match_the_records(store)
    undo_last(store)
    assert january_episodes(store) == first
    undo_last(store)
    assert january_episodes(store) == {} and episodes_match_the_records(store)
