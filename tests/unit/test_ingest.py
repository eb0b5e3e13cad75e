"""Imports: every refusal named, all or nothing, nothing twice, and hostile files handled."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from capacity import ingest
from capacity.cli import main
from capacity.ingest import ImportFileError, check, import_log, load, stage_file, undo_last
from capacity.store import Store, _Session

HEADER = "referral_id,place_code,service_type,source,pathway,referral_date,start_date,end_date"
GOOD = [
    "T-1,E09000016,reablement_home,hospital,P1,2025-03-01,2025-03-02,2025-03-20",
    "T-2,Havering,Reablement at home,Hospital,,01/03/2025,,",
]


@pytest.fixture
def store(writable_db):
    with Store.open(writable_db) as opened:
        yield opened


def write(tmp_path: Path, text: str, name: str = "extract.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def stage(tmp_path: Path, path: Path, kind: str = "referrals", **kwargs):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return stage_file(path, kind, workdir=work, **kwargs)


def referrals(store: Store) -> int:
    return store.table_counts()["referrals"]


def report_for(store, tmp_path, *rows: str, header: str = HEADER):
    path = write(tmp_path, "\n".join([header, *rows]) + "\n")
    return check(store, stage(tmp_path, path))


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (",E09000016,reablement_home,hospital,,2025-03-01,,", "referral_id", "is required"),
        ("X-1,Narnia,reablement_home,hospital,,2025-03-01,,", "place_code", "is not a known place"),
        (
            "X-1,E09000016,teleport,hospital,,2025-03-01,,",
            "service_type",
            "is not a known service type",
        ),
        ("X-1,E09000016,ucr,hospital,,2025-03-01,,", "source", "ucr does not take hospital"),
        (
            "X-1,E09000016,reablement_home,ambulance,,2025-03-01,,",
            "source",
            "must be hospital or community",
        ),
        ("X-1,E09000016,reablement_home,hospital,P7,2025-03-01,,", "pathway", "must be P0, P1"),
        ("X-1,E09000016,reablement_home,hospital,,31/02/2025,,", "referral_date", "is not a date"),
        (
            "X-1,E09000016,reablement_home,hospital,,2025-03-01,2025-03-10,2025-03-02",
            "end_date",
            "is before the start date",
        ),
        ("X-1,E09000016,reablement_home,hospital,,2025-03-01,soon,", "start_date", "is not a date"),
        ("X-1,E09000016,reablement_home,hospital,,2099-03-01,,", "referral_date", "in the future"),
        (
            '"=HYPERLINK(""http://x"",""y"")",E09000016,reablement_home,hospital,,2025-03-01,,',
            "referral_id",
            "looks like a spreadsheet formula",
        ),
        ("X-1,E09000016,reablement_home", "(whole line)", "fewer columns than the header"),
        (
            "X-1,E09000016,reablement_home,hospital,,2025-03-01,,,extra",
            "(whole line)",
            "more columns than the header",
        ),
    ],
)
def test_each_bad_row_is_named_with_its_row_column_and_reason(store, tmp_path, row, column, reason):
    report = report_for(store, tmp_path, GOOD[0], row)
    assert report.rows_read == 2 and report.rows_rejected == 1
    problem = report.problems.iloc[0]
    assert problem["row"] == 3 and problem["column"] == column
    assert reason in problem["reason"]


def test_a_duplicate_id_within_the_file_points_at_the_first(store, tmp_path):
    report = report_for(store, tmp_path, GOOD[0], GOOD[1], GOOD[0].replace("P1", "P2"))
    assert report.problems.iloc[0]["row"] == 4
    assert "first on row 2" in report.problems.iloc[0]["reason"]


def test_a_service_must_serve_the_place_and_match_the_type(store, tmp_path):
    header = HEADER + ",service_id"
    report = report_for(
        store,
        tmp_path,
        "X-1,E06000034,reablement_home,hospital,,2025-03-01,,,hav_reablement",
        "X-2,E09000016,rehab_bed,hospital,,2025-03-01,,,hav_reablement",
        "X-3,E09000016,reablement_home,hospital,,2025-03-01,,,ghost",
        header=header,
    )
    reasons = list(report.problems["reason"])
    assert "does not serve E06000034" in reasons[0]
    assert "is a reablement_home service, not rehab_bed" in reasons[1]
    assert "is not a known service" in reasons[2]


def test_nothing_loads_when_a_row_is_refused_unless_asked(store, tmp_path):
    path = write(
        tmp_path,
        "\n".join([HEADER, *GOOD, "X-3,Narnia,reablement_home,hospital,,2025-03-01,,"]) + "\n",
    )
    staged = stage(tmp_path, path)
    before = referrals(store)
    refused = load(store, staged)
    assert refused.import_id is None and referrals(store) == before
    partial = load(store, staged, accept_partial=True)
    assert partial.rows_loaded == 2 and referrals(store) == before + 2


def test_a_failure_mid_load_leaves_the_store_exactly_as_it_was(store, tmp_path, monkeypatch):
    path = write(tmp_path, "\n".join([HEADER, *GOOD]) + "\n")
    staged = stage(tmp_path, path)
    before = store.table_counts()
    real = _Session.execute

    def failing(self, name, /, **params):
        if name == "import_finish":  # after the referrals are inserted
            raise RuntimeError("disk full")
        return real(self, name, **params)

    monkeypatch.setattr(_Session, "execute", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        load(store, staged)
    monkeypatch.undo()
    assert store.table_counts() == before


def test_loading_the_same_referrals_twice_adds_nothing_and_undo_takes_them_out(store, tmp_path):
    path = write(tmp_path, "\n".join([HEADER, *GOOD]) + "\n")
    before = referrals(store)
    first = load(store, stage(tmp_path, path))
    second = load(store, stage(tmp_path, path))
    assert first.rows_loaded == 2 and second.rows_loaded == 0
    assert second.report.already_loaded == 2 and referrals(store) == before + 2
    # The second load wrote nothing and is not logged, so undo takes out the first.
    assert second.import_id is None and "already in the store" in second.message
    assert f"Undid import {first.import_id}" in undo_last(store)
    assert referrals(store) == before
    assert "no import to undo" in undo_last(store)  # the demo build cannot be undone


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings_and_uk_dates(store, tmp_path, encoding):
    text = (
        "\n".join(
            [
                HEADER,
                "O’Brien-1,Havering,reablement_home,community,,31/12/2024,,",
                "Café-2,E09000016,reablement_home,hospital,,2024-12-30,,",
            ]
        )
        + "\n"
    )
    staged = stage(tmp_path, write(tmp_path, text, encoding=encoding))
    result = load(store, staged)
    assert result.rows_loaded == 2
    ids = set(
        store._con.execute(
            "SELECT referral_id FROM referrals WHERE import_id = ?", [result.import_id]
        ).fetchall()
    )
    assert ids == {("O’Brien-1",), ("Café-2",)}
    if encoding == "cp1252":
        assert any("Windows-1252" in note for note in result.report.notes)


def test_headers_may_differ_in_case_spacing_and_common_names(store, tmp_path):
    header = " Referral ID ,PLACE,Service Type,Referral Source,Pathway,Date of referral,Notes"
    report = report_for(
        store, tmp_path, "H-1,E09000016,reablement_home,hospital,P1,2025-03-01,x", header=header
    )
    assert report.rows_rejected == 0 and report.rows_read == 1
    assert "columns ignored: Notes" in report.notes


def test_semicolon_and_tab_separated_files_load(store, tmp_path):
    for delimiter in (";", "\t"):
        text = "\n".join([HEADER.replace(",", delimiter), GOOD[0].replace(",", delimiter)]) + "\n"
        name = f"{ord(delimiter)}.csv"
        path = write(tmp_path, text.replace("T-1", f"T-{ord(delimiter)}"), name=name)
        assert load(store, stage(tmp_path, path)).rows_loaded == 1


def test_a_missing_required_column_is_named(store, tmp_path):
    path = write(tmp_path, "referral_id,place_code,source\nA,B,C\n")
    with pytest.raises(ImportFileError, match="needs the column.*service_type.*referral_date"):
        stage(tmp_path, path)


def test_workbooks_load_and_damaged_ones_are_refused(store, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(
        [
            "W-1",
            "E09000016",
            "reablement_home",
            "hospital",
            "P1",
            datetime(2025, 3, 1),
            datetime(2025, 3, 2),
            None,
        ]
    )
    path = tmp_path / "extract.xlsx"
    book.save(path)
    assert load(store, stage(tmp_path, path)).rows_loaded == 1
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(ImportFileError, match="damaged or incomplete"):
        stage(tmp_path, truncated)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "is a PNG image"),
        (b"%PDF-1.7\n" + b"x" * 100, "is a PDF document"),
        (b"referral_id\x00\x01\x02", "binary"),
        (b"\x81\x8d\x8f\x90\x9d,abc\n", "not text in UTF-8 or Windows-1252"),
    ],
)
def test_hostile_files_get_a_clear_message(store, tmp_path, content, message):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        stage(tmp_path, path)


def test_a_million_column_line_is_refused_before_parsing(store, tmp_path):
    text = HEADER + "\n" + GOOD[0] + "\n" + ",".join(["x"] * 1_000_000) + "\n"
    path = write(tmp_path, text)
    with pytest.raises(ImportFileError, match="Line 3 of extract.csv is 1,999,999 bytes long"):
        stage(tmp_path, path)


def test_a_file_over_the_upload_limit_is_refused(store, tmp_path):
    path = write(tmp_path, "\n".join([HEADER, *GOOD]) + "\n")
    with pytest.raises(ImportFileError, match="the upload limit is"):
        stage(tmp_path, path, max_bytes=100)


def test_counts_load_once_by_checksum_and_replace_earlier_counts(store, tmp_path):
    first = write(
        tmp_path,
        "place,service type,source,month,count\nHavering,reablement_home,hospital,2026-04,150\n",
        "a.csv",
    )
    assert load(store, stage(tmp_path, first, "counts")).rows_loaded == 1
    again = load(store, stage(tmp_path, first, "counts"))
    assert again.import_id is None and "already loaded" in again.message
    revised = write(
        tmp_path,
        "place,service type,source,month,count\nHavering,reablement_home,hospital,2026-04-01,175\n",
        "b.csv",
    )
    load(store, stage(tmp_path, revised, "counts"))
    stored = store._con.execute("SELECT referrals FROM monthly_demand").fetchall()
    assert stored == [(175.0,)]
    undo_last(store)
    assert store._con.execute("SELECT referrals FROM monthly_demand").fetchall() == [(150.0,)]


def test_counts_refuse_bad_months_negative_counts_and_duplicates(store, tmp_path):
    path = write(
        tmp_path,
        "place_code,service_type,source,month,referrals\n"
        "E09000016,reablement_home,hospital,2026-13,3\n"
        "E09000016,reablement_home,hospital,2026-04,-3\n"
        "E09000016,reablement_home,hospital,2026-05,3\n"
        "E09000016,reablement_home,hospital,2026-05,4\n",
    )
    problems = check(store, stage(tmp_path, path, "counts")).problems
    assert list(problems["row"]) == [2, 3, 5]
    assert "is not a month" in problems.iloc[0]["reason"]
    assert "must be at least 0" in problems.iloc[1]["reason"]
    assert "more than once" in problems.iloc[2]["reason"]


def test_months_and_dates_outside_2000_to_2100_are_refused_for_every_kind(store, tmp_path):
    """A slip such as 9999-12 used to load and break every page but Data; 1900-01 made the
    year picker offer 129 years. Months and dates are bounded as referral dates are."""
    counts = write(
        tmp_path,
        "place_code,service_type,source,month,referrals\n"
        "E09000016,reablement_home,hospital,9999-12,3\n"
        "E09000016,reablement_home,hospital,1900-01,3\n"
        "E09000016,reablement_home,hospital,2100-12,3\n",
    )
    problems = check(store, stage(tmp_path, counts, "counts")).problems
    assert list(zip(problems["row"], problems["reason"], strict=True)) == [
        (2, "is after 2100"),
        (3, "is before 2000"),
    ]
    parameters = write(
        tmp_path,
        "service_id,method,caseload,mean_los_days,valid_from,source_note\n"
        "red_step_down,caseload,10,14,9999-04-01,slip\n"
        "red_reablement,caseload,90,30,01/04/1900,slip\n",
        "p.csv",
    )
    problems = check(store, stage(tmp_path, parameters, "parameters")).problems
    assert list(zip(problems["column"], problems["reason"], strict=True)) == [
        ("valid_from", "is after 2100"),
        ("valid_from", "is before 2000"),
    ]


def test_numbers_far_beyond_any_service_are_refused(store, tmp_path):
    parameters = write(
        tmp_path,
        "service_id,method,caseload,mean_los_days,valid_from,source_note\n"
        "red_step_down,caseload,1e12,14,2022-04-01,slip\n"
        "red_reablement,caseload,90,1e-300,2022-04-01,slip\n",
        "p.csv",
    )
    problems = check(store, stage(tmp_path, parameters, "parameters")).problems
    assert list(zip(problems["column"], problems["reason"], strict=False))[:2] == [
        ("caseload", "must be at most 10000"),
        ("mean_los_days", "must be at least 0.1"),
    ]
    counts = write(
        tmp_path,
        "place,service type,source,month,count\nHavering,reablement_home,hospital,2026-04,1e29\n",
        "c.csv",
    )
    result = load(store, stage(tmp_path, counts, "counts"))
    assert result.import_id is None
    assert result.report.problems.iloc[0]["reason"] == "must be at most 100000"


def test_a_file_with_a_header_only_loads_nothing_and_is_not_logged(store, tmp_path):
    path = write(tmp_path, HEADER + "\n")
    before = len(import_log(store))
    result = load(store, stage(tmp_path, path))
    assert result.import_id is None and "no rows of data" in result.message
    assert len(import_log(store)) == before


def test_an_earlier_parameters_file_can_be_loaded_again_to_go_back(store, tmp_path):
    def caseload() -> float:
        return store._con.execute(
            "SELECT caseload FROM service_parameters WHERE service_id = 'red_step_down'"
        ).fetchone()[0]

    header = "service_id,method,caseload,mean_los_days,valid_from,source_note\n"
    a = write(tmp_path, header + "red_step_down,caseload,9,14,2022-04-01,nine\n", "a.csv")
    b = write(tmp_path, header + "red_step_down,caseload,11,14,2022-04-01,eleven\n", "b.csv")
    assert load(store, stage(tmp_path, a, "parameters")).import_id is not None
    same = load(store, stage(tmp_path, a, "parameters"))
    assert same.import_id is None and "same as the latest" in same.message
    load(store, stage(tmp_path, b, "parameters"))
    assert caseload() == 11
    assert load(store, stage(tmp_path, a, "parameters")).import_id is not None
    assert caseload() == 9


def test_saving_the_shares_table_drops_a_trust_taken_out(store, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text(
        "trust_code,place_code,share,source_note\n"
        "RF4,E09000016,0.4,local audit\nR1H,E09000026,0.08,local audit\n"
    )
    assert load(store, stage(tmp_path, first, "shares")).import_id is not None
    stored = store.query("trust_place_shares")
    assert stored["trust_code"].nunique() > 1
    gone = stored["trust_code"].iloc[0]
    kept = stored[stored["trust_code"] != gone]
    path = tmp_path / "shares.csv"
    kept.to_csv(path, index=False)
    result = load(store, stage(tmp_path, path, "shares"), whole_table=True)
    assert result.import_id is not None
    assert gone not in set(store.query("trust_place_shares")["trust_code"])
    undo_last(store)
    assert gone in set(store.query("trust_place_shares")["trust_code"])


def test_parameters_replace_a_service_and_undo_restores_it(store, tmp_path):
    def step_down() -> list[tuple]:
        return store._con.execute(
            "SELECT caseload, mean_los_days FROM service_parameters "
            "WHERE service_id = 'red_step_down'"
        ).fetchall()

    assert step_down() == [(7.0, 14.0)]
    path = write(
        tmp_path,
        "service_id,method,caseload,mean_los_days,valid_from,source_note\n"
        "red_step_down,caseload,9,14,2022-04-01,two more beds\n"
        "red_reablement,caseload,90,0,2022-04-01,bad\n"
        "red_reablement,caseload,95,28,2025-04-01,fine on its own\n",
    )
    result = load(store, stage(tmp_path, path, kind="parameters"), accept_partial=True)
    assert result.rows_loaded == 1
    reasons = list(result.report.problems["reason"])
    assert "must be at least 0.1" in reasons[0]
    assert "another row of this service was refused" in reasons[1]
    assert step_down() == [(9.0, 14.0)]
    undo_last(store)
    assert step_down() == [(7.0, 14.0)]


def test_trust_shares_must_not_add_up_to_more_than_one(store, tmp_path):
    path = write(
        tmp_path, "trust,place,share\nRF4,Havering,0.7\nRF4,Redbridge,0.6\nXX,Havering,0.1\n"
    )
    problems = check(store, stage(tmp_path, path, kind="shares")).problems
    assert "add up to more than 1" in problems.iloc[0]["reason"]
    assert "is not an NHS organisation code" in " ".join(problems["reason"])


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_cli_exit_codes(writable_db, tmp_path):
    db = str(writable_db)
    clean = write(tmp_path, "\n".join([HEADER, *GOOD]) + "\n", "clean.csv")
    mixed = write(
        tmp_path,
        "\n".join(
            [
                HEADER,
                GOOD[0].replace("T-1", "M-1"),
                "M-2,Narnia,reablement_home,hospital,,2025-03-01,,",
            ]
        )
        + "\n",
        "mixed.csv",
    )
    code, out, _ = run("import", "referrals", str(clean), "--db", db)
    assert code == 0 and "Loaded 2 row(s)" in out
    code, out, _ = run("import", "referrals", str(mixed), "--db", db)
    assert code == 1 and "Nothing loaded" in out and "row 3, place_code 'Narnia'" in out
    code, out, _ = run("import", "referrals", str(mixed), "--accept-partial", "--db", db)
    assert code == 3 and "Loaded 1 row(s)" in out
    empty = write(tmp_path, "", "empty.csv")
    code, _, err = run("import", "referrals", str(empty), "--db", db)
    assert code == 1 and "nothing loaded: empty.csv is empty" in err
    code, out, _ = run("import-log", "--db", db)
    assert code == 0 and "mixed.csv" in out
    code, out, _ = run("undo-import", "--db", db)
    assert code == 0 and "Undid import" in out and "mixed.csv" in out


def test_only_the_store_talks_to_duckdb_even_for_imports():
    package = Path(ingest.__file__).parent
    assert all("duckdb" not in module.read_text() for module in package.glob("*.py"))


# -- holes a tester found (issue 17) --------------------------------------------------------

DDE = "-2+3+cmd|' /C calc'!A0"
FORMULA_CASES = [
    # (text, a spreadsheet would run it)
    (DDE, True),
    ("=1+1", True),
    (" +44 20 7946 0000", True),
    ("@SUM(A1)", True),
    ("\tcmd", True),
    ("- x", True),
    ("cmd|' /C calc'!A0", True),  # the exchange shape alone, behind no prefix
    ("-5", False),
    ("-0.25", False),
    ("-1,000", False),
    ("-2e3", False),
    ("-", False),
    ("Barking-Havering", False),
    ("T-1", False),
    ("a | b", False),
    ("Hurrah!", False),
]


@pytest.mark.parametrize(("text", "runs"), FORMULA_CASES)
def test_the_referrals_check_and_the_row_checks_read_formulas_alike(store, tmp_path, text, runs):
    """The referrals check (in SQL) and every other kind's (validation.looks_like_formula)
    refuse the same texts; -2+3+cmd|… used to pass the referrals check."""
    from capacity.validation import looks_like_formula

    quoted = '"' + text.replace('"', '""') + '"'
    row = f"{quoted},E09000016,reablement_home,hospital,,2025-03-01,,,RF4"
    trust_row = f"X-1,E09000016,reablement_home,hospital,,2025-03-01,,,{quoted}"
    header = HEADER + ",referring_trust"
    by_id = report_for(store, tmp_path, row, header=header)
    by_trust = report_for(store, tmp_path, trust_row, header=header)
    assert looks_like_formula(text) is runs
    for report, column in ((by_id, "referral_id"), (by_trust, "referring_trust")):
        formula = report.problems[report.problems["reason"] == "looks like a spreadsheet formula"]
        assert list(formula["column"]) == ([column] if runs else [])


def test_a_count_for_a_service_that_does_not_serve_its_place_is_refused(store, tmp_path):
    """hav_reablement serves Havering only: a Thurrock count tagged with it used to load."""
    path = write(
        tmp_path,
        "place_code,service_type,source,month,referrals,service_id\n"
        "E06000034,reablement_home,hospital,2026-04,12,hav_reablement\n"
        "E09000016,reablement_home,hospital,2026-04,12,hav_reablement\n",
    )
    result = load(store, stage(tmp_path, path, "counts"))
    assert result.import_id is None and result.report.rows_rejected == 1
    problem = result.report.problems.iloc[0]
    assert (problem["row"], problem["column"], problem["value"]) == (
        2,
        "service_id",
        "hav_reablement",
    )
    assert problem["reason"] == "hav_reablement does not serve Thurrock (E06000034)"
    assert store.table_counts()["monthly_demand"] == 0
    partial = load(store, stage(tmp_path, path, "counts"), accept_partial=True)
    assert partial.rows_loaded == 1
    assert store._con.execute("SELECT place_code, referrals FROM monthly_demand").fetchall() == [
        ("E09000016", 12.0)
    ]


def test_a_nul_byte_past_the_binary_screening_is_refused_with_its_row(store, tmp_path):
    """The screening for binary files reads the first 64 KB; a NUL byte further down used to
    be stored inside a referring trust (and no spreadsheet export can hold it)."""
    header = "referral_id,place_code,service_type,source,referral_date,referring_trust\n"
    rows = "".join(
        f"N-{i},E09000016,reablement_home,hospital,2025-03-01,{'R' * 40}\n" for i in range(1_500)
    )
    nul = b"N-x,E09000016,reablement_home,hospital,2025-03-01,R\x00F4\n"
    path = tmp_path / "late-nul.csv"
    path.write_bytes((header + rows).encode() + nul)
    assert path.stat().st_size > 65_536
    before = store.table_counts()
    result = load(store, stage(tmp_path, path))
    assert result.import_id is None and store.table_counts() == before
    problem = result.report.problems.iloc[0]
    assert (problem["row"], problem["column"]) == (1_502, "referring_trust")
    assert problem["reason"].startswith("holds a control character")
    counts = tmp_path / "note.csv"
    counts.write_bytes(
        b"place_code,service_type,source,month,referrals,source_note\n"
        b"E09000016,reablement_home,hospital,2026-04,12,bad\x01note\n"
    )
    problems = check(store, stage(tmp_path, counts, "counts")).problems
    assert list(zip(problems["column"], problems["row"], strict=True)) == [("source_note", 2)]
