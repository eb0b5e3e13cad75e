"""Reading files: decimal marks, workbooks that under-state their size, memory bounds on every
reader, UTF-16 text, and the import folders the app keeps."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from capacity import config, xlsx
from capacity.ingest import ImportFileError, check, files, load, stage_file
from capacity.sitrep import SitrepError, read_table4
from capacity.store import Store
from capacity.validation import parse_number
from tests.sitrep_books import write_sitrep

REFERRALS = "referral_id,place_code,service_type,source,referral_date"
COUNTS = "place_code,service_type,source,month,referrals"


@pytest.fixture
def store(writable_db):
    with Store.open(writable_db) as opened:
        yield opened


def stage(tmp_path: Path, path: Path, kind: str = "referrals"):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return stage_file(path, kind, workdir=work)


def write(tmp_path: Path, text: str, name: str = "file.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def stored_counts(store: Store) -> list[float]:
    rows = store._con.execute(
        "SELECT referrals FROM monthly_demand WHERE month = DATE '2026-04-01' ORDER BY referrals"
    ).fetchall()
    return [r[0] for r in rows]


# -- 1. decimal marks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimal", "number"),
    [
        ("12.5", ".", 12.5),
        ("1,234", ".", 1234.0),
        ("1,234,567.25", ".", 1234567.25),
        ("-0.5", ".", -0.5),
        ("1e3", ".", 1000.0),
        ("12,5", ",", 12.5),
        ("1.234,5", ",", 1234.5),
        ("1.234.567", ",", 1234567.0),  # two points can only separate thousands
        ("1.250", ",", None),  # 1250, or 1.25 written with a point: refused
        ("0,75", ",", 0.75),
        ("-3", ",", -3.0),
        # one point that cannot group thousands: the writer used a decimal point
        ("12.5", ",", 12.5),
        ("0.400", ",", 0.4),
        ("1.2345", ",", 1.2345),
    ],
)
def test_a_number_is_read_with_the_files_decimal_mark(text, decimal, number):
    if number is None:
        with pytest.raises(ValueError, match="could be read two ways"):
            parse_number(text, decimal)
    else:
        assert parse_number(text, decimal) == number


@pytest.mark.parametrize(
    ("text", "decimal", "reason"),
    [
        ("12,5", ".", "a comma may only separate thousands"),
        ("1,23", ".", "a comma may only separate thousands"),
        ("1.234,5", ".", "a comma may only separate thousands"),
        ("1.2.5", ",", "writes decimals with a comma"),
        ("1.250", ",", "could be read two ways"),
        ("1_000", ".", "is not a number"),
        ("inf", ".", "is not a finite number"),
        ("12 5", ".", "is not a number"),
    ],
)
def test_a_number_that_could_be_misread_is_refused_never_stripped(text, decimal, reason):
    with pytest.raises(ValueError, match=reason):
        parse_number(text, decimal)


def test_a_decimal_comma_in_a_semicolon_file_is_read_as_a_decimal(store, tmp_path):
    # Before: the comma was deleted and 12,5 stored as 125.
    text = COUNTS.replace(",", ";") + "\nE09000016;reablement_home;hospital;2026-04;12,5\n"
    staged = stage(tmp_path, write(tmp_path, text), "counts")
    assert staged.decimal == ","
    assert load(store, staged).rows_loaded == 1
    assert stored_counts(store) == [12.5]


def test_a_decimal_comma_in_a_comma_file_is_refused_and_nothing_loads(store, tmp_path):
    text = COUNTS + '\nE09000016,reablement_home,hospital,2026-04,"12,5"\n'
    staged = stage(tmp_path, write(tmp_path, text), "counts")
    report = check(store, staged)
    assert report.rows_rejected == 1
    assert "a comma may only separate thousands" in report.problems.iloc[0]["reason"]
    result = load(store, staged)
    assert result.import_id is None and stored_counts(store) == []


def test_thousands_still_read_in_both_conventions(store, tmp_path):
    comma = COUNTS + '\nE09000016,reablement_home,hospital,2026-04,"1,234"\n'
    semicolon = COUNTS.replace(",", ";") + "\nE09000016;reablement_home;community;2026-04;1.234,5\n"
    assert load(store, stage(tmp_path, write(tmp_path, comma, "a.csv"), "counts")).rows_loaded == 1
    assert (
        load(store, stage(tmp_path, write(tmp_path, semicolon, "b.csv"), "counts")).rows_loaded == 1
    )
    assert stored_counts(store) == [1234.0, 1234.5]


def test_a_sitrep_cell_of_text_with_a_decimal_comma_is_not_read_as_a_count(tmp_path):
    path = write_sitrep(tmp_path / "s.xlsx", "June 2023", {"RAA": {"p1": "12,5", "p2_home": 3}})
    table = read_table4(path)
    assert [(d, str(v)) for _, d, v in table.unreadable if v == "12,5"]
    trust = table.rows[
        (table.rows["org_code"] == "RAA")
        & table.rows["destination"].str.startswith("P1 - Domestic")
    ]
    assert trust["discharges"].isna().all()  # before: 125


# -- 2. a workbook whose dimension under-states its size ----------------------------------


def rewrite_member(path: Path, member: str, change) -> None:
    """Rewrite one member of an .xlsx (a zip) with ``change`` applied to its text."""
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            if info.filename == member:
                data = change(data.decode("utf-8")).encode("utf-8")
            out.writestr(info.filename, data)


def understated(path: Path, ref: str) -> Path:
    rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>', xml),
    )
    return path


def test_every_row_of_a_workbook_is_read_whatever_its_dimension_says(store, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(REFERRALS.split(","))
    for n in range(5):
        book.active.append([f"D-{n}", "E09000016", "reablement_home", "hospital", "2025-03-01"])
    path = tmp_path / "extract.xlsx"
    book.save(path)
    understated(path, "A1:C2")  # says two rows and three columns; there are six and five
    result = load(store, stage(tmp_path, path))
    assert result.report.rows_read == 5  # before: 1 row and a missing-columns refusal
    assert result.rows_loaded == 5


def test_a_sitrep_whose_dimension_under_states_its_size_keeps_every_trust(tmp_path):
    trusts = {code: {"p1": 4} for code in ("RAA", "RBB", "RCC")}
    path = write_sitrep(tmp_path / "s.xlsx", "June 2023", trusts)
    book = openpyxl.load_workbook(path)
    index = book.sheetnames.index("Table 4") + 1
    understated_sheet = f"xl/worksheets/sheet{index}.xml"
    rewrite_member(
        path,
        understated_sheet,
        lambda xml: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:E14"/>', xml),
    )
    table = read_table4(path)
    assert set(table.rows.loc[table.rows["level"] == "trust", "org_code"]) == set(trusts)


# -- 3. memory bounds ---------------------------------------------------------------------


MAIN = "http://schemas.openxmlformats.org/"
SHARED_TYPE = "openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def huge_cell_book(path: Path, cell_bytes: int) -> Path:
    """A referrals workbook whose first id is one shared string of ``cell_bytes`` letters, as
    Excel keeps text, written in chunks so the test never holds it (it compresses about
    1,000 to 1)."""
    book = openpyxl.Workbook()
    book.active.append(REFERRALS.split(","))
    book.active.append(["HUGECELL", "E09000016", "reablement_home", "hospital", "2025-03-01"])
    plain = path.with_suffix(".plain.xlsx")
    book.save(plain)
    edits = {
        "xl/worksheets/sheet1.xml": (
            b't="inlineStr"><is><t>HUGECELL</t></is>',
            b't="s"><v>0</v>',
        ),
        "[Content_Types].xml": (
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            + SHARED_TYPE.encode()
            + b'"/></Types>',
        ),
        "xl/_rels/workbook.xml.rels": (
            b"</Relationships>",
            f'<Relationship Type="{MAIN}officeDocument/2006/relationships/sharedStrings" '
            'Target="sharedStrings.xml" Id="rId99"/></Relationships>'.encode(),
        ),
    }
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename in edits:
                data = data.replace(*edits[info.filename])
            out.writestr(info.filename, data)
        with out.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            start = f'<sst xmlns="{MAIN}spreadsheetml/2006/main" count="1" uniqueCount="1">'
            member.write(start.encode() + b"<si><t>")
            chunk = b"A" * 1_000_000
            for _ in range(cell_bytes // len(chunk)):
                member.write(chunk)
            member.write(b"</t></si></sst>")
    plain.unlink()
    return path


def test_a_huge_cell_is_refused_before_the_workbook_is_opened(tmp_path, monkeypatch):
    path = huge_cell_book(tmp_path / "huge.xlsx", 3_000_000)

    def never(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(xlsx.openpyxl, "load_workbook", never)
    with pytest.raises(
        ImportFileError, match=r"huge.xlsx: The workbook has a cell of over 65,536 bytes"
    ):
        stage(tmp_path, path)
    with pytest.raises(SitrepError, match=r"over 65,536 bytes"):
        read_table4(path)


def test_a_workbook_that_unpacks_beyond_the_limits_is_refused_with_the_limit(tmp_path, monkeypatch):
    book = openpyxl.Workbook()
    book.active.append(REFERRALS.split(","))
    for n in range(200):
        book.active.append([f"Z-{n}", "E09000016", "reablement_home", "hospital", "2025-03-01"])
    path = tmp_path / "z.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as opened:
        total = sum(i.file_size for i in opened.infolist())
        sheet = opened.getinfo("xl/worksheets/sheet1.xml").file_size
    monkeypatch.setattr(config, "MAX_XLSX_BYTES", total - 1)
    with pytest.raises(
        ImportFileError, match=f"unpacks to {total:,} bytes.*limit is {total - 1:,}"
    ):
        stage(tmp_path, path)
    monkeypatch.setattr(config, "MAX_XLSX_BYTES", 10 * total)
    monkeypatch.setattr(config, "MAX_XLSX_PART_BYTES", sheet - 1)
    with pytest.raises(
        ImportFileError, match=f"sheet1.xml.*{sheet:,} bytes.*limit is {sheet - 1:,}"
    ):
        stage(tmp_path, path)


def test_rows_and_columns_beyond_the_limits_are_refused_with_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "MAX_ROWS", 3)
    monkeypatch.setattr(config, "MAX_REFERRAL_ROWS", 4)
    rows = [f"R-{n},E09000016,reablement_home,hospital,2025-03-01" for n in range(5)]
    text = REFERRALS + "\n" + "\n".join(rows) + "\n"
    with pytest.raises(ImportFileError, match="5 lines after its header; the limit is 4"):
        stage(tmp_path, write(tmp_path, text))
    counts = COUNTS + "\n" + "E09000016,reablement_home,hospital,2026-04,1\n" * 4
    with pytest.raises(ImportFileError, match="4 lines after its header; the limit is 3"):
        stage(tmp_path, write(tmp_path, counts, "c.csv"), "counts")
    book = openpyxl.Workbook()
    book.active.append(REFERRALS.split(","))
    for row in rows:
        book.active.append(row.split(","))
    path = tmp_path / "rows.xlsx"
    book.save(path)
    with pytest.raises(ImportFileError, match="more than 4 rows after its header"):
        stage(tmp_path, path)
    wide = openpyxl.Workbook()
    wide.active.append(REFERRALS.split(","))
    wide.active.append(["W-1", "E09000016", "reablement_home", "hospital", "2025-03-01"])
    wide.active.cell(row=2, column=files.MAX_COLUMNS + 5, value="x")
    path = tmp_path / "wide.xlsx"
    wide.save(path)
    with pytest.raises(ImportFileError, match=f"row 2 .* {files.MAX_COLUMNS + 5} columns.*200"):
        stage(tmp_path, path)


def test_a_sitrep_sheet_beyond_the_row_limit_is_refused(tmp_path, monkeypatch):
    path = write_sitrep(tmp_path / "s.xlsx", "June 2023", {"RAA": {"p1": 4}})
    monkeypatch.setattr(config, "MAX_SITREP_ROWS", 10)
    with pytest.raises(SitrepError, match="more than 10 rows"):
        read_table4(path)


def test_the_bomb_of_the_tester_stays_small_in_memory(tmp_path):
    """The tester's 297 KB workbook with one 300 MB cell took 2.3 GB before it was refused;
    it is now refused from the zip's directory and one streamed pass, in a fresh process
    whose peak memory is measured."""
    path = huge_cell_book(tmp_path / "bomb.xlsx", 300_000_000)
    assert path.stat().st_size < 1_000_000
    script = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from capacity.ingest import ImportFileError, stage_file\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    stage_file(Path(sys.argv[1]), 'referrals', workdir=Path(sys.argv[2]))\n"
        "except ImportFileError as exc:\n"
        "    print('refused:', exc)\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print('grew_kb', peak - base)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=config.PROJECT_ROOT,
    )
    assert "refused:" in done.stdout, done.stdout + done.stderr
    grew = int(done.stdout.split("grew_kb")[1])
    assert grew < 100_000, f"reading grew by {grew:,} KB"


# -- 4. UTF-16 ----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-8-sig"])
def test_unicode_text_from_excel_is_read(store, tmp_path, encoding):
    # Excel's "Unicode text": UTF-16 with its byte-order mark, tab-separated.
    rows = [
        "O’Brien-1\tHavering\treablement_home\tcommunity\t31/12/2024",
        "Café-2\tE09000016\treablement_home\thospital\t2024-12-30",
    ]
    text = "\r\n".join([REFERRALS.replace(",", "\t"), *rows]) + "\r\n"
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff", "utf-8-sig": b""}[encoding]
    path = tmp_path / "unicode.txt"
    path.write_bytes(bom + text.encode(encoding))
    staged = stage(tmp_path, path)
    assert staged.delimiter == "\t"
    result = load(store, staged)
    assert result.rows_loaded == 2
    ids = store._con.execute(
        "SELECT referral_id FROM referrals WHERE import_id = ? ORDER BY 1", [result.import_id]
    ).fetchall()
    assert ids == [("Café-2",), ("O’Brien-1",)]
    if encoding.startswith("utf-16"):
        assert "read as UTF-16 text" in " ".join(result.report.notes)


def test_broken_utf16_gets_a_clear_message(tmp_path):
    path = tmp_path / "broken.txt"
    path.write_bytes(b"\xff\xfe" + "referral_id\t".encode("utf-16-le") + b"\x00\xdc\x41")
    with pytest.raises(ImportFileError, match="not readable UTF-16 text"):
        stage(tmp_path, path)


# -- 5. the folders uploads are kept in ---------------------------------------------------


def test_a_session_folder_sweeps_stale_ones_under_one_parent(tmp_path):
    parent = tmp_path / "capacity-imports"
    old, recent = parent / "session-old", parent / "session-recent"
    for folder in (old, recent):
        folder.mkdir(parents=True)
        (folder / "upload-1").write_bytes(b"x" * 10)
    two_days_ago = time.time() - 2 * 86_400
    os.utime(old, (two_days_ago, two_days_ago))
    made = files.session_folder(parent)
    assert made.parent == parent and made.is_dir()
    assert not old.exists()  # over a day old: swept
    assert recent.exists()  # another session's, in use
    files.discard(made / "none", made)  # a missing file is no error; the folder is kept
    assert made.is_dir()


def test_the_default_parent_is_named_for_the_product(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    made = files.session_folder()
    assert made.parent == tmp_path / "capacity-imports"


# -- every refusal: one line, nothing written ---------------------------------------------


def test_the_command_line_refuses_in_one_line_and_loads_nothing(writable_db, tmp_path):
    from tests.unit.test_ingest import run

    db = str(writable_db)
    with Store.open(writable_db, read_only=True) as opened:
        before = opened.table_counts()
    bomb = huge_cell_book(tmp_path / "bomb.xlsx", 3_000_000)
    padded_sitrep = write_sitrep(tmp_path / "s.xlsx", "June 2023", {"RAA": {"p1": 4}})
    rewrite_member(padded_sitrep, "[Content_Types].xml", lambda xml: xml + " " * 70_000)
    for kind, path in (("referrals", bomb), ("sitrep", padded_sitrep)):
        code, out, err = run("import", kind, str(path), "--db", db)
        assert code == 1 and out == ""
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "over 65,536 bytes" in err
    with Store.open(writable_db, read_only=True) as opened:
        assert opened.table_counts() == before
