"""NHS England discharge SitReps: every real workbook parses, and the figures hang together."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from capacity import config
from capacity.cli import main
from capacity.ingest import ImportFileError, check, load, stage_file, undo_last
from capacity.sitrep import (
    SitrepError,
    compare_with_records,
    destination_key,
    load_destinations,
    p3_reported_as_p3b,
    place_demand,
    read_table4,
    reporting_breaks,
)
from capacity.store import Store
from tests.conftest import SHARED_DATA
from tests.sitrep_books import write_sitrep

SITREPS = SHARED_DATA / "nhse-acute-discharge-sitrep"
WORKBOOKS = sorted(SITREPS.glob("20*.xlsx")) if SITREPS.exists() else []
needs_data = pytest.mark.skipif(
    not WORKBOOKS,
    reason=f"the NHS England SitRep workbooks are not in {SITREPS} (they are "
    "shared test data, not part of the repository)",
)


@pytest.fixture(scope="module")
def tables():
    return {path.stem: read_table4(path) for path in WORKBOOKS}


def dash_cells(path: Path) -> int:
    """An independent count of the suppressed ('-') cells in Table 4."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = book["Table 4"]
    count = sum(
        1
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str) and cell.strip() == "-"
    )
    book.close()
    return count


@needs_data
def test_every_month_parses_with_every_level(tables):
    assert len(tables) == 22  # April 2022 to January 2024
    for stem, table in tables.items():
        assert f"{table.month:%Y-%m}" == stem
        levels = table.rows.groupby("level")["org_code"].nunique()
        assert levels["england"] == 1 and levels["region"] == 7 and levels["icb"] == 42
        assert levels["trust"] >= 119
        assert table.unreadable == []
        known = set(load_destinations()["key"])
        assert {destination_key(d) for d in table.rows["destination"]} <= known


@needs_data
def test_suppressed_cells_are_missing_not_zero(tables):
    for path in WORKBOOKS:
        rows = tables[path.stem].rows
        assert rows["discharges"].isna().sum() == dash_cells(path)
    june = tables["2023-06"].rows
    hospice = june[(june["level"] == "icb") & june["destination"].str.startswith("P2 - Hospice")]
    assert hospice["discharges"].isna().all()
    zeros = june[(june["org_code"] == "QMM") & june["destination"].str.startswith("P0 - Other")]
    assert zeros["discharges"].iloc[0] == 0  # a real zero stays zero


@needs_data
def test_regions_are_the_sum_of_their_icbs_and_england_of_its_regions(tables):
    for table in tables.values():
        rows = table.rows
        icb = (
            rows[rows["level"] == "icb"]
            .groupby(["region", "destination"])["discharges"]
            .sum(min_count=1)
        )
        region = rows[rows["level"] == "region"].set_index(["org_code", "destination"])[
            "discharges"
        ]
        region.index.names = ["region", "destination"]
        joined = pd.concat([region.rename("region"), icb.rename("icbs")], axis=1).dropna()
        assert (joined["region"] == joined["icbs"]).all()
        regions = rows[rows["level"] == "region"].groupby("destination")["discharges"].sum()
        england = rows[rows["level"] == "england"].set_index("destination")["discharges"]
        assert (england == regions.reindex(england.index)).all()


@needs_data
def test_known_figures(tables):
    june = tables["2023-06"].rows.set_index(["level", "org_code", "destination"])["discharges"]
    p0 = "P0 - Domestic home without reablement support"
    assert june[("england", "ENGLAND", p0)] == 253_635
    assert june[("icb", "QH8", p0)] == 6017  # Mid and South Essex ICB
    assert june[("trust", "RAJ", p0)] == 6017  # its one acute trust


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, demo_db):
    folder = tmp_path_factory.mktemp("sitrep")
    db = folder / "sitrep.duckdb"
    db.write_bytes(Path(demo_db).read_bytes())
    with Store.open(db) as store:
        for path in WORKBOOKS:
            load(store, stage_file(path, "sitrep", workdir=folder))
        yield store


@needs_data
def test_loading_is_once_per_file_and_undoable(loaded, tmp_path):
    counts = loaded.query("sitrep_months")
    assert len(counts) == 22
    again = load(loaded, stage_file(WORKBOOKS[-1], "sitrep", workdir=tmp_path))
    assert again.import_id is None and "already loaded" in again.message


@needs_data
def test_the_november_2022_reporting_break_is_found(loaded):
    breaks = reporting_breaks(loaded)
    raj = breaks[
        (breaks["org_code"] == "RAJ")
        & (breaks["month"] == pd.Timestamp("2022-11-01"))
        & breaks["destination"].str.startswith("P0 - Domestic")
    ]
    assert len(raj) == 1 and raj.iloc[0]["ratio"] > 90  # 51 to 4,790


@needs_data
def test_trust_counts_become_place_demand_by_share(loaded):
    demand = place_demand(loaded, ["E09000016"])
    june = demand[(demand["month"] == "2023-06-01") & (demand["service_type"] == "rehab_bed")]
    # Every trust's June count of discharges to community rehabilitation beds, times the
    # share of its catchment living in Havering (OHID's file: no local shares are loaded).
    with (config.REFERENCE_DIR / "trust_catchment_pooled_2022release.csv").open() as handle:
        shares = {
            row["trust_code"]: float(row["share"])
            for row in csv.DictReader(handle)
            if row["la_code"] == "E09000016"
        }
    assert shares["RF4"] == pytest.approx(0.365, abs=0.001)  # BHRUT
    counts = loaded._con.execute(
        "SELECT org_code, discharges FROM sitrep_discharges WHERE level = 'trust' "
        "AND month = DATE '2023-06-01' AND destination LIKE 'P2 - Community Rehab%' "
        "AND discharges IS NOT NULL"
    ).fetchall()
    expected = sum(count * shares[trust] for trust, count in counts if trust in shares)
    assert june["discharges"].iloc[0] == pytest.approx(expected)
    compared = compare_with_records(loaded, ["E09000016"])
    assert {"sitrep", "records", "difference", "flag"} <= set(compared.columns)
    assert compared["flag"].str.startswith("differ by").any()


@needs_data
def test_undo_removes_a_month(loaded):
    before = len(loaded.query("sitrep_months"))
    assert "sitrep" in undo_last(loaded)
    assert len(loaded.query("sitrep_months")) == before - 1


def test_a_workbook_without_table_4_is_refused(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Summary"
    path = tmp_path / "2024-02.xlsx"
    book.save(path)
    with pytest.raises(SitrepError, match="no sheet called Table 4") as refused:
        read_table4(path)
    assert "not a readable" not in str(refused.value)  # it is readable, just not a SitRep
    (tmp_path / "not.xlsx").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(SitrepError, match="not a readable Excel workbook"):
        read_table4(tmp_path / "not.xlsx")
    csv = tmp_path / "table4.csv"
    csv.write_text("a,b\n")
    with pytest.raises(ImportFileError, match="a discharge SitRep is an .xlsx workbook"):
        stage_file(csv, "sitrep", workdir=tmp_path)


def test_a_hand_made_table_4_with_traps(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Table 4"
    sheet["B2"] = "Table 4: discharges"
    sheet["E5"] = "March 2024 - Total number of patients discharged"
    sheet.append(
        [
            None,
            None,
            None,
            None,
            "P0 - Domestic home\nwithout reablement support",
            "P1 - Domestic home with\nreablement support",
            "P2 - Hospice \n(short term)",
        ]
    )
    sheet.append([None, None, None, "ENGLAND (Type 1 Trusts)", 100, 20, 3])
    sheet.append([])
    sheet.append([None, "Region", "Org Code", "Org Name"])
    sheet.append([None, "LONDON", "RF4", "BHRUT", 60, "12", "-"])
    sheet.append([None, "LONDON", "R1H", "BARTS", 40, "lots", "-"])
    path = tmp_path / "hand.xlsx"
    book.save(path)
    table = read_table4(path)
    assert table.month.isoformat() == "2024-03-01"
    rows = table.rows.set_index(["org_code", "destination"])["discharges"]
    assert rows[("RF4", "P1 - Domestic home with reablement support")] == 12
    assert pd.isna(rows[("RF4", "P2 - Hospice (short term)")])
    # Rows 1-5 hold the title cells, so the header is row 6 and Barts is row 11.
    assert table.unreadable == [(11, "P1 - Domestic home with reablement support", "lots")]


def test_refused_cells_and_note_rows_are_not_stored(tmp_path, demo_db):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Table 4"
    sheet["E5"] = "March 2024 - Total number of patients discharged"
    sheet.append(
        [
            None,
            None,
            None,
            None,
            "P0 - Domestic home\nwithout reablement support",
            "P1 - Domestic home with\nreablement support",
            "P2 - Hospice \n(short term)",
        ]
    )
    sheet.append([None, "Region", "Org Code", "Org Name"])
    sheet.append([None, "LONDON", "RF4", "BHRUT", 60, "-5", 1e300])
    sheet.append([None, "LONDON", "R1H", "BARTS", 40, 2.5, "abc"])
    sheet.append([None, "Source: a footnote under the trusts", None, None])
    path = tmp_path / "traps.xlsx"
    book.save(path)
    table = read_table4(path)
    assert set(table.rows["org_code"]) == {"RF4", "R1H"}  # the footnote is not a trust
    assert len(table.unreadable) == 4  # -5, 1e300, 2.5 and 'abc'
    db = tmp_path / "store.duckdb"
    db.write_bytes(Path(demo_db).read_bytes())
    with Store.open(db) as store:
        result = load(store, stage_file(path, "sitrep", workdir=tmp_path), accept_partial=True)
        assert (result.report.rows_read, result.report.rows_rejected) == (6, 4)
        assert result.rows_loaded == 2
        stored = store._con.execute(
            "SELECT org_code, discharges FROM sitrep_discharges ORDER BY org_code"
        ).fetchall()
    assert stored == [("R1H", 40.0), ("RF4", 60.0)]


# -- breaks judged against the calendar month before; P3 filed as P3b ----------------------


def _load_months(store: Store, folder: Path, months: dict[str, dict]) -> None:
    for title, trusts in months.items():
        path = write_sitrep(folder / f"{title.replace(' ', '-')}.xlsx", title, trusts)
        result = load(store, stage_file(path, "sitrep", workdir=folder))
        assert result.import_id is not None, result.message


def test_a_break_is_judged_only_against_the_calendar_month_before(tmp_path, writable_db):
    with Store.open(writable_db) as store:
        # January 100, February not loaded, March 1,500: nothing to judge March against.
        _load_months(
            store,
            tmp_path,
            {"January 2024": {"RF4": {"p1": 100}}, "March 2024": {"RF4": {"p1": 1500}}},
        )
        assert reporting_breaks(store).empty
        # April 120 against March's 1,500 is a fall to under a tenth: a break in April.
        _load_months(store, tmp_path, {"April 2024": {"RF4": {"p1": 120}}})
        found = reporting_breaks(store)
        assert list(found["month"].astype(str)) == ["2024-04-01"]
        assert found.iloc[0]["previous"] == 1500 and found.iloc[0]["discharges"] == 120
        # With February loaded at 100, March (1,500 = 15 × 100) is judged and is a break.
        _load_months(store, tmp_path, {"February 2024": {"RF4": {"p1": 100}}})
        months = sorted(reporting_breaks(store)["month"].astype(str))
        assert months == ["2024-03-01", "2024-04-01"]


def test_no_new_p3_beside_a_large_p3b_is_flagged(tmp_path, writable_db):
    with Store.open(writable_db) as store:
        _load_months(
            store,
            tmp_path,
            {
                "June 2023": {
                    "RAJ": {"p3": 0, "p3_designated": 0, "p3b": 163},  # Mid and South Essex
                    "RF4": {"p3": 30, "p3b": 40},  # new admissions reported: fine
                    "R1H": {"p3": 0, "p3b": 19},  # below 20 a month: small numbers
                    "RQW": {"p3": "-", "p3_designated": "-", "p3b": 50},  # suppressed: unknown
                }
            },
        )
        flagged = p3_reported_as_p3b(store)
    assert list(flagged["org_code"]) == ["RAJ"]
    assert flagged.iloc[0]["p3b"] == 163 and flagged.iloc[0]["p3_new"] == 0


@needs_data
def test_mid_and_south_essex_filing_new_p3_admissions_as_p3b_is_flagged(loaded):
    flagged = p3_reported_as_p3b(loaded)
    cells = loaded._con.execute(
        "SELECT month, "
        "sum(discharges) FILTER (WHERE destination LIKE 'P3 - Care Home (new admission%') AS p3, "
        "sum(discharges) FILTER (WHERE destination LIKE 'P3b%') AS p3b "
        "FROM sitrep_discharges WHERE level = 'trust' AND org_code = 'RAJ' GROUP BY month"
    ).df()
    # Every month RAJ's new-admission cell is 0 beside 20 or more back to their own care home.
    expected = set(pd.to_datetime(cells.loc[(cells["p3"] == 0) & (cells["p3b"] >= 20), "month"]))
    # All but two of the months loaded (May and August 2022 report 7 and 18 new admissions).
    assert len(expected) == len(loaded.query("sitrep_months")) - 2
    assert set(flagged.loc[flagged["org_code"] == "RAJ", "month"]) == expected


# -- holes a tester found (issue 17) --------------------------------------------------------


def test_a_repeated_trust_row_is_refused_not_a_traceback(tmp_path, writable_db):
    """A trust's row twice used to pass the check ("0 refused") and break the load with a
    ConstraintException; the repeat is now refused, its 12 figures counted as refused."""
    path = write_sitrep(
        tmp_path / "repeat.xlsx",
        "June 2023",
        {"RF4": {"p0": 5}, "R1H": {"p0": 3}},
        trust_rows=[("RF4", "BHRUT"), ("R1H", "BARTS"), ("R1H", "BARTS")],
    )
    with Store.open(writable_db) as store:
        before = store.table_counts()
        result = load(store, stage_file(path, "sitrep", workdir=tmp_path))
        assert result.import_id is None and store.table_counts() == before
        report = result.report
        # England, London, the ICB and three trust rows, 12 destinations each.
        assert (report.rows_read, report.rows_rejected) == (72, 12)
        problem = report.problems.iloc[0]
        assert (problem["column"], problem["value"]) == ("org_code", "R1H")
        assert problem["reason"] == "repeats the trust on row 15: its 12 figures are refused"
        partial = load(store, stage_file(path, "sitrep", workdir=tmp_path), accept_partial=True)
        assert partial.rows_loaded == 60
        stored = store._con.execute(
            "SELECT org_code, discharges FROM sitrep_discharges "
            "WHERE level = 'trust' AND destination LIKE 'P0 - Domestic%' ORDER BY org_code"
        ).fetchall()
    assert stored == [("R1H", 3.0), ("RF4", 5.0)]
    out, err = io.StringIO(), io.StringIO()
    code = main(["import", "sitrep", str(path), "--check", "--db", str(writable_db)], out, err)
    assert code == 1 and "72 rows read, 60 good, 12 refused" in out.getvalue()
    assert "row 16, org_code 'R1H': repeats the trust on row 15" in out.getvalue()


def test_trust_codes_and_names_that_look_like_formulas_are_refused(tmp_path, demo_store):
    path = write_sitrep(
        tmp_path / "names.xlsx",
        "June 2023",
        {"RF4": {"p0": 5}, "R1H": {"p0": 3}},
        trust_rows=[("RF4", "-2+3+cmd|' /C calc'!A0"), ("R1H", "BARTS HEALTH NHS TRUST")],
    )
    report = check(demo_store, stage_file(path, "sitrep", workdir=tmp_path))
    assert report.rows_rejected == 12
    assert list(report.problems["value"]) == ["-2+3+cmd|' /C calc'!A0"]
    assert list(report.problems["column"]) == ["org_name"]
    assert report.problems.iloc[0]["reason"].startswith("looks like a spreadsheet formula")


@pytest.mark.parametrize(
    ("title", "file_name", "message"),
    [
        ("June 9999", "book.xlsx", r"Table 4's title month \(June 9999\) is after 2100"),
        ("June 1900", "book.xlsx", r"Table 4's title month \(June 1900\) is before 2000"),
        ("June 0000", "book.xlsx", r"\(June 0000\) is before 2000"),
        ("Sometime", "1999-06.xlsx", r"The month in the file name \(1999-06\) is before 2000"),
        ("Sometime", "2024-13.xlsx", r"The month in the file name \(2024-13\) is not a month"),
    ],
)
def test_sitrep_months_are_of_2000_to_2100_as_every_kind_s(tmp_path, title, file_name, message):
    path = write_sitrep(tmp_path / file_name, title, {"RF4": {"p0": 5}})
    with pytest.raises(SitrepError, match=message):
        read_table4(path)
    with Store.open(None) as store, pytest.raises(ImportFileError, match=message):
        check(store, stage_file(path, "sitrep", workdir=tmp_path))


def test_a_destination_headed_twice_is_refused(tmp_path):
    path = write_sitrep(tmp_path / "twice.xlsx", "June 2023", {"RF4": {"p0": 5}})
    book = openpyxl.load_workbook(path)
    sheet = book["Table 4"]
    sheet.cell(6, 6).value = sheet.cell(6, 5).value
    book.save(path)
    with pytest.raises(SitrepError, match="heads more than one column 'P0 - Domestic home"):
        read_table4(path)
