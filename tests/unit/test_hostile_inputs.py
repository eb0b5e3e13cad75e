"""Hostile files for every kind of import, loaded the way people load them.

Each case is a file someone might upload by mistake (an image, an empty export, another
encoding, a line of a million characters) or on purpose (formulas, control characters,
impossible dates and numbers). Every case goes through the Data page's own calls
(``capacity.views.data.stage_file``, ``check_file``, ``load_file`` with the database
file, as the page passes it); a sample also goes through ``python3 -m capacity import``.

Each case asserts either a clear refusal on one line naming what is wrong (or, where the
right answer is to load, a correct load checked by the stored values, then undone), no
traceback text anywhere, and the store unchanged when nothing loads (every table an import
can touch, by row count and content, import log included).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from capacity import access, config
from capacity.ingest import IMPORT_KINDS
from capacity.store import Store
from capacity.views import data
from tests.sitrep_books import write_sitrep

# -- the good row of each kind, and what a load of it stores ---------------------------------

SAMPLES: dict[str, dict[str, str]] = {
    "referrals": {
        "referral_id": "H-1",
        "place_code": "E09000016",
        "service_type": "reablement_home",
        "source": "hospital",
        "pathway": "P1",
        "referral_date": "2025-03-01",
        "start_date": "2025-03-02",
        "end_date": "2025-03-20",
        "referring_trust": "RF4",
    },
    "parameters": {
        "service_id": "red_step_down",
        "method": "caseload",
        "caseload": "9",
        "mean_los_days": "14",
        "valid_from": "2022-04-01",
        "source_note": "two more beds",
    },
    "counts": {
        "place_code": "E09000016",
        "service_type": "reablement_home",
        "source": "hospital",
        "month": "2026-04",
        "referrals": "12",
        "source_note": "count",
    },
    "shares": {
        "trust_code": "RF4",
        "place_code": "E09000016",
        "share": "0.4",
        "source_note": "local audit",
    },
    "services": {
        "service_id": "hh_beds",
        "name": "Hostile test beds",
        "provider": "Test provider",
        "service_type": "rehab_bed",
        "contract": "spot",
        "place_code": "E09000016",
        "place_share": "",
        "retired_from": "",
        "source_note": "test",
    },
    "destinations": {
        "place_code": "E09000016",
        "destination": "P1 - Domestic home with reablement support",
        "service_type": "reablement_home",
        "source_note": "mine",
    },
}

# What the good row stores, read back with STORED's query (worked from SAMPLES by hand:
# dates as the file wrote them, numbers as numbers, names turned into codes).
EXPECTED: dict[str, dict[str, object]] = {
    "referrals": {
        "referral_id": "H-1",
        "place_code": "E09000016",
        "service_type": "reablement_home",
        "referral_date": "2025-03-01",
        "referring_trust": "RF4",
    },
    "parameters": {
        "service_id": "red_step_down",
        "caseload": 9.0,
        "mean_los_days": 14.0,
        "valid_from": "2022-04-01",
        "source_note": "two more beds",
    },
    "counts": {
        "place_code": "E09000016",
        "service_type": "reablement_home",
        "month": "2026-04",
        "referrals": 12.0,
        "source_note": "count",
    },
    "shares": {
        "trust_code": "RF4",
        "place_code": "E09000016",
        "share": 0.4,
        "source_note": "local audit",
    },
    "services": {
        "service_id": "hh_beds",
        "name": "Hostile test beds",
        "service_type": "rehab_bed",
        "contract": "spot",
        "place_code": "E09000016",
        "source_note": "test",
    },
    "destinations": {
        "place_code": "E09000016",
        "destination": "P1 - Domestic home with reablement support",
        "service_type": "reablement_home",
        "source_note": "mine",
    },
    # Trust rows, P1 home with reablement, of the good workbook (RF4 12, R1H 7).
    "sitrep": {"org_code": "RF4", "discharges": 12.0},
}

# The rows an import wrote, in EXPECTED's column order (import id bound as $1).
STORED = {
    "referrals": "SELECT referral_id, place_code, service_type,"
    " strftime(referral_date, '%Y-%m-%d'), referring_trust FROM referrals"
    " WHERE import_id = $1 ORDER BY 1",
    "parameters": "SELECT service_id, caseload, mean_los_days, strftime(valid_from, '%Y-%m-%d'),"
    " source_note FROM service_parameters WHERE import_id = $1 ORDER BY 1",
    "counts": "SELECT place_code, service_type, strftime(month, '%Y-%m'), referrals, source_note"
    " FROM monthly_demand WHERE import_id = $1 ORDER BY 3",
    "shares": "SELECT trust_code, place_code, share, source_note FROM trust_place_shares"
    " WHERE import_id = $1 ORDER BY 1",
    "services": "SELECT s.service_id, s.name, s.service_type, s.contract, p.place_code,"
    " s.source_note FROM services s JOIN service_places p USING (service_id)"
    " WHERE s.import_id = $1 ORDER BY 1",
    "destinations": "SELECT place_code, destination, service_type, source_note"
    " FROM sitrep_destination_overrides WHERE import_id = $1 ORDER BY 1",
    "sitrep": "SELECT org_code, discharges FROM sitrep_discharges WHERE import_id = $1"
    " AND level = 'trust' AND destination = 'P1 - Domestic home with reablement support'"
    " ORDER BY 1 DESC",
}

# Every table an import, a refusal or an undo can touch.
WATCHED = (
    "import_log",
    "audit_log",
    "referrals",
    "referrals_archive",
    "monthly_demand",
    "monthly_demand_archive",
    "service_parameters",
    "service_parameters_archive",
    "trust_place_shares",
    "trust_place_shares_archive",
    "services",
    "services_archive",
    "service_places",
    "service_places_archive",
    "sitrep_discharges",
    "sitrep_discharges_archive",
    "sitrep_destination_overrides",
    "sitrep_destination_overrides_archive",
)
LOGS = ("import_log", "audit_log")

# Text that only a crash would show.
CRASH = re.compile(r"Traceback|Exception|[A-Z][a-z]+Error\b|duckdb|File \"|line \d+, in ")


# -- what a case expects ------------------------------------------------------------------


@dataclass(frozen=True)
class FileRefused:
    """The whole file refused with one line matching ``match``."""

    match: str


@dataclass(frozen=True)
class RowRefused:
    """A row refused: a problem at ``row`` in ``column`` (None: any) whose reason matches
    ``match``."""

    column: str | None
    match: str
    row: int = 2


@dataclass(frozen=True)
class NothingLoaded:
    """Checked, then nothing loaded, with a message matching ``match``."""

    match: str


@dataclass(frozen=True)
class Loads:
    """Loaded, storing the good row with ``change`` (column: stored value) for each row."""

    rows: tuple[dict[str, object], ...] = ({},)
    note: str | None = None


Expectation = FileRefused | RowRefused | NothingLoaded | Loads


@dataclass(frozen=True)
class Case:
    """One hostile file: its kind, the name it is uploaded under, how to make it, the answer."""

    name: str
    kind: str
    file_name: str
    make: Callable[[Path], bytes]
    expect: Expectation


# -- making files -------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
OLD_XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)
RANDOM = bytes((i * 7919 + 13) % 256 for i in range(4096))  # has NULs and every byte
DDE = "-2+3+cmd|' /C calc'!A0"


def good(kind: str, **change: str) -> dict[str, str]:
    """The good row of a kind with some cells changed."""
    return SAMPLES[kind] | change


def text(kind: str, *rows: dict[str, str], columns: list[str] | None = None, sep=",") -> str:
    """A CSV of the kind's columns (or ``columns``) and rows, as a spreadsheet writes it."""
    columns = columns or list(SAMPLES[kind])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


def raw(content: bytes) -> Callable[[Path], bytes]:
    return lambda folder: content


def csv_file(kind: str, *rows: dict[str, str], encoding="utf-8", **options) -> Callable:
    return raw(text(kind, *rows, **options).encode(encoding))


def _cell(value: str) -> object:
    """A cell as a spreadsheet would hold it: numbers as numbers, the rest as text."""
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def workbook(kind: str, *rows: dict[str, str], edit: Callable | None = None) -> Callable:
    """An .xlsx of the kind's columns and rows on its first sheet."""

    def make(folder: Path) -> bytes:
        book = openpyxl.Workbook()
        sheet = book.active
        columns = list(SAMPLES[kind])
        sheet.append(columns)
        for row in rows:
            sheet.append([_cell(row.get(c, "")) or None for c in columns])
        if edit:
            edit(sheet)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    return make


def _as_text(column: int, value: str) -> Callable:
    """A sheet edit: row 2's cell in ``column`` holds ``value`` as text, never as a formula."""

    def edit(sheet) -> None:
        cell = sheet.cell(2, column)
        cell.value = value
        cell.data_type = "s"

    return edit


def _formula(column: int) -> Callable:
    """A sheet edit: row 2's cell in ``column`` is a formula never calculated (no value)."""

    def edit(sheet) -> None:
        sheet.cell(2, column).value = "=1+1"

    return edit


def _damaged(make: Callable[[Path], bytes]) -> Callable[[Path], bytes]:
    """The first 40% of a workbook, as a download cut short leaves it."""

    def cut(folder: Path) -> bytes:
        whole = make(folder)
        return whole[: len(whole) * 2 // 5]

    return cut


def _under_stated(make: Callable[[Path], bytes]) -> Callable[[Path], bytes]:
    """The workbook with its sheet's <dimension> tag saying only two rows (a writer's slip)."""

    def edit(folder: Path) -> bytes:
        source = zipfile.ZipFile(io.BytesIO(make(folder)))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                body = source.read(item.filename)
                if item.filename.startswith("xl/worksheets/sheet"):
                    body = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', body)
                target.writestr(item, body)
        return out.getvalue()

    return edit


def _huge_cell(make: Callable[[Path], bytes], size: int = 10_000_000) -> Callable:
    """The workbook with its cell reading HUGE made ``size`` characters long, written into
    the file's XML (openpyxl itself cuts a cell at Excel's 32,767 characters): a small file
    that unpacks to a very large cell."""

    def edit(folder: Path) -> bytes:
        source = zipfile.ZipFile(io.BytesIO(make(folder)))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                target.writestr(item, source.read(item.filename).replace(b"HUGE", b"x" * size))
        return out.getvalue()

    return edit


TRUST_ROWS = {"RF4": {"p1": 12}, "R1H": {"p1": 7}}
P1_HOME = "P1 - Domestic home with reablement support"  # Table 4's heading, made plain
P1_COLUMN = 7  # column G of the published layout


def sitrep(
    title: str = "June 2023",
    trust_rows: list[tuple[str, str]] | None = None,
    edit: Callable | None = None,
    trusts: dict | None = None,
) -> Callable[[Path], bytes]:
    """A SitRep workbook in the published layout (trust rows from row 14), edited."""

    def make(folder: Path) -> bytes:
        path = write_sitrep(
            folder / "made.xlsx", title, trusts or TRUST_ROWS, trust_rows=trust_rows
        )
        if edit:
            book = openpyxl.load_workbook(path)
            edit(book["Table 4"])
            book.save(path)
        return path.read_bytes()

    return make


def _trust_cell(row: int, column: int, value: object) -> Callable:
    def edit(sheet) -> None:
        sheet.cell(row, column).value = value

    return edit


# -- the cases ----------------------------------------------------------------------------

FORMULA_COLUMN = {
    "referrals": "referral_id",
    "parameters": "service_id",
    "counts": "place_code",
    "shares": "trust_code",
    "services": "name",
    "destinations": "destination",
}
# A text column a Windows-1252 é and £ may sit in, and its stored value.
PROSE = {kind: "source_note" for kind in SAMPLES} | {"referrals": "referral_id"}
# Two rows that say the same thing twice: the column refused on the second, and the reason.
TWICE = {
    "referrals": ("referral_id", "appears more than once in this file"),
    "parameters": ("valid_from", "overlaps an earlier period"),
    "counts": ("month", "appears more than once in this file"),
    "shares": ("place_code", "appears twice"),
    "services": ("place_code", "is listed twice"),
    "destinations": ("destination", "appears twice for this place"),
}
UNKNOWN_PLACE = {
    "referrals": ("place_code", "is not a known place"),
    "parameters": ("place_code", "is not served by red_step_down"),
    "counts": ("place_code", "is not a known place"),
    "shares": ("place_code", "is not a known place|not a place"),
    "services": ("place_code", "is not a known place|not a place"),
    "destinations": ("place_code", "is not a known place"),
}
# An unknown service, service type or trust in the column that names it.
UNKNOWN_NAME = {
    "referrals": ("service_type", "teleport", "is not a known service type"),
    "parameters": ("service_id", "ghost", "ghost|not a known service|unknown service"),
    "counts": ("service_id", "ghost", "is not a known service"),
    "shares": ("trust_code", "XX", "is not an NHS organisation code"),
    "services": ("service_type", "teleport", "service type"),
    "destinations": ("service_type", "teleport", "is not a service type that takes hospital"),
}
REQUIRED = {
    "referrals": "referral_id",
    "parameters": "source_note",
    "counts": "referrals",
    "shares": "share",
    "services": "name",
    "destinations": "destination",
}
DATES = {
    "referrals": ("referral_date", "is not a date", "is in the future", "is before 2000"),
    "parameters": ("valid_from", "is not a date", "is after 2100", "is before 2000"),
    "counts": ("month", "is not a month", "is after 2100", "is before 2000"),
    "services": ("retired_from", "is not a month", "is after 2100", "is before 2000"),
}
NUMBERS = {
    "parameters": "caseload",
    "counts": "referrals",
    "shares": "share",
    "services": "place_share",
}


def _csv_kind_cases(kind: str) -> list[Case]:
    columns = list(SAMPLES[kind])
    name = f"{kind}.csv"
    formula = FORMULA_COLUMN[kind]
    prose = PROSE[kind]
    twice_column, twice_reason = TWICE[kind]
    place_column, place_reason = UNKNOWN_PLACE[kind]
    unknown_column, unknown_value, unknown_reason = UNKNOWN_NAME[kind]
    place_columns = columns if place_column in columns else [*columns, place_column]
    line = text(kind, good(kind))
    header = line.splitlines()[0]
    cases = [
        Case("empty", kind, name, raw(b""), FileRefused("is empty")),
        Case("header only", kind, name, raw(header.encode() + b"\n"), NothingLoaded("no rows")),
        Case("binary", kind, name, raw(RANDOM), FileRefused("is a binary file")),
        Case("png as csv", kind, name, raw(PNG), FileRefused("is a PNG image")),
        Case("png as xlsx", kind, f"{kind}.xlsx", raw(PNG), FileRefused("is a PNG image")),
        Case("old xls", kind, f"{kind}.xls", raw(OLD_XLS), FileRefused("old-style Excel")),
        Case(
            "damaged workbook",
            kind,
            f"{kind}.xlsx",
            _damaged(workbook(kind, good(kind))),
            FileRefused("damaged or incomplete"),
        ),
        Case(
            "windows-1252 £ and é",
            kind,
            name,
            csv_file(kind, good(kind, **{prose: "Café £5"}), encoding="cp1252"),
            Loads(({prose: "Café £5"},), note="read as Windows-1252 text"),
        ),
        Case(
            "bytes of no known encoding",
            kind,
            name,
            raw(line.encode() + b"\x81\x8d\x8f\x90\x9d\n"),
            FileRefused("is not text in UTF-8 or Windows-1252"),
        ),
        Case(
            "nul bytes",
            kind,
            name,
            raw(line.replace(",", ",\x00", 1).encode()),
            FileRefused("is a binary file"),
        ),
        Case(
            "control character in text",
            kind,
            name,
            csv_file(kind, good(kind, **{prose: "bad\x01text"})),
            RowRefused(prose, "holds a control character"),
        ),
        Case(
            "huge line",
            kind,
            name,
            csv_file(kind, good(kind, **{prose: "x" * 100_000})),
            FileRefused(r"Line 2 of .* is 10\d,\d{3} bytes long; .* never more than 65,536"),
        ),
        Case(
            "hundreds of columns",
            kind,
            name,
            raw((header + "," + ",".join(f"c{i}" for i in range(300)) + "\n").encode()),
            FileRefused(r"has 30\d columns; a file of .* has at most"),
        ),
        Case(
            "missing column",
            kind,
            name,
            csv_file(kind, good(kind), columns=columns[1:]),
            FileRefused(f"needs the column\\(s\\) {columns[0]}"),
        ),
        Case(
            "extra column",
            kind,
            name,
            csv_file(kind, good(kind) | {"colour": "blue"}, columns=[*columns, "colour"]),
            Loads(note="columns ignored: colour"),
        ),
        Case(
            "duplicated column",
            kind,
            name,
            csv_file(kind, good(kind), columns=[*columns, columns[0]]),
            FileRefused(f"The column '{columns[0]}' appears twice in the header"),
        ),
        Case(
            "short row",
            kind,
            name,
            raw((header + "\n" + line.splitlines()[1].rsplit(",", 2)[0] + "\n").encode()),
            RowRefused("(whole line)", "has fewer columns than the header"),
        ),
        Case(
            "long row",
            kind,
            name,
            raw((header + "\n" + line.splitlines()[1] + ",x,y\n").encode()),
            RowRefused("(whole line)", "has more columns than the header"),
        ),
        Case(
            "unclosed quote",
            kind,
            name,
            raw((line.rstrip("\n") + ',"\n').encode()),
            RowRefused(None, "quote that is never closed|more columns than the header"),
        ),
        Case(
            "formula",
            kind,
            name,
            csv_file(kind, good(kind, **{formula: '=HYPERLINK("http://x","y")'})),
            RowRefused(formula, "looks like a spreadsheet formula"),
        ),
        Case(
            "dde formula",
            kind,
            name,
            csv_file(kind, good(kind, **{formula: DDE})),
            RowRefused(formula, "looks like a spreadsheet formula"),
        ),
        Case(
            "same row twice",
            kind,
            name,
            csv_file(kind, good(kind), good(kind)),
            RowRefused(twice_column, twice_reason, row=3),
        ),
        Case(
            "unknown place",
            kind,
            name,
            csv_file(kind, good(kind, place_code="Narnia"), columns=place_columns),
            RowRefused(place_column, place_reason),
        ),
        Case(
            f"unknown {unknown_column}",
            kind,
            name,
            csv_file(
                kind,
                good(kind, **{unknown_column: unknown_value}),
                columns=[*columns, unknown_column] if unknown_column not in columns else None,
            ),
            RowRefused(unknown_column, unknown_reason),
        ),
        Case(
            "blank required cell",
            kind,
            name,
            csv_file(kind, good(kind, **{REQUIRED[kind]: ""})),
            RowRefused(REQUIRED[kind], "is required"),
        ),
        Case("workbook", kind, f"{kind}.xlsx", workbook(kind, good(kind)), Loads()),
        Case(
            "workbook with a formula as text",
            kind,
            f"{kind}.xlsx",
            workbook(kind, good(kind), edit=_as_text(columns.index(formula) + 1, DDE)),
            RowRefused(formula, "looks like a spreadsheet formula"),
        ),
        Case(
            "workbook formula never calculated",
            kind,
            f"{kind}.xlsx",
            workbook(kind, good(kind), edit=_formula(columns.index(formula) + 1)),
            RowRefused(formula, "is required"),
        ),
        Case(
            "byte order mark only",
            kind,
            name,
            raw(b"\xef\xbb\xbf"),
            FileRefused("needs the column"),
        ),
        Case(
            "windows line ends and a semicolon",
            kind,
            name,
            raw(text(kind, good(kind), sep=";").replace("\n", "\r\n").encode()),
            Loads(),
        ),
    ]
    if kind in DATES:
        column, impossible, far, early = DATES[kind]
        day = column != "month" and column != "retired_from"
        cases += [
            Case(
                "2023-02-30",
                kind,
                name,
                csv_file(kind, good(kind, **{column: "2023-02-30"})),
                RowRefused(column, impossible),
            ),
            Case(
                "9999-12",
                kind,
                name,
                csv_file(kind, good(kind, **{column: "9999-12-01" if day else "9999-12"})),
                RowRefused(column, far),
            ),
            Case(
                "1900-01",
                kind,
                name,
                csv_file(kind, good(kind, **{column: "1900-01-01" if day else "1900-01"})),
                RowRefused(column, early),
            ),
        ]
    if kind in NUMBERS:
        column = NUMBERS[kind]
        below = "must be at least 0|must be greater than 0"
        cases += [
            Case(
                f"number {value}",
                kind,
                name,
                csv_file(kind, good(kind, **{column: value})),
                RowRefused(column, reason),
            )
            for value, reason in (
                ("NaN", "is not a finite number"),
                ("inf", "is not a finite number"),
                ("1e400", "is not a finite number"),
                ("-5", below),
                ("lots", "is not a number"),
            )
        ]
    return cases


def _sitrep_cases() -> list[Case]:
    name = "sitrep.xlsx"

    def count(value: object) -> Case:
        return Case(
            f"count {value!r}",
            "sitrep",
            name,
            sitrep(edit=_trust_cell(14, P1_COLUMN, value)),
            RowRefused(P1_HOME, "is not a count", row=14),
        )

    def headings_gone(sheet) -> None:
        for column in range(5, 17):
            sheet.cell(6, column).value = "destination"

    def headed_twice(sheet) -> None:
        sheet.cell(6, 6).value = sheet.cell(6, 5).value

    def no_trust_block(sheet) -> None:
        sheet.delete_rows(13, 10)

    return [
        Case("empty", "sitrep", name, raw(b""), FileRefused("is empty")),
        Case("binary", "sitrep", name, raw(RANDOM), FileRefused("is a binary file")),
        Case("png", "sitrep", name, raw(PNG), FileRefused("is a PNG image")),
        Case(
            "csv as xlsx",
            "sitrep",
            name,
            raw(b"org,count\nRF4,3\n"),
            FileRefused("not an Excel workbook"),
        ),
        Case(
            "zip but no workbook",
            "sitrep",
            name,
            raw(b"PK\x03\x04garbage" * 20),
            FileRefused("not a readable Excel workbook"),
        ),
        Case(
            "damaged",
            "sitrep",
            name,
            _damaged(sitrep()),
            FileRefused("not a readable Excel workbook"),
        ),
        Case(
            "no table 4",
            "sitrep",
            name,
            workbook("counts", good("counts")),
            FileRefused("has no sheet called Table 4"),
        ),
        Case(
            "no month",
            "sitrep",
            name,
            sitrep(title="Sometime"),
            FileRefused("Table 4 has no title naming its month"),
        ),
        Case(
            "month 9999",
            "sitrep",
            name,
            sitrep(title="June 9999"),
            FileRefused(r"\(June 9999\) is after 2100"),
        ),
        Case(
            "month 1900",
            "sitrep",
            name,
            sitrep(title="January 1900"),
            FileRefused(r"\(January 1900\) is before 2000"),
        ),
        Case(
            "month 13 in the file name",
            "sitrep",
            "2024-13.xlsx",
            sitrep(title="Sometime"),
            FileRefused(r"\(2024-13\) is not a month"),
        ),
        Case(
            "no destination headings",
            "sitrep",
            name,
            sitrep(edit=headings_gone),
            FileRefused("Table 4 has no row of destination headings"),
        ),
        Case(
            "a destination headed twice",
            "sitrep",
            name,
            sitrep(edit=headed_twice),
            FileRefused("Table 4 heads more than one column 'P0 - Domestic home"),
        ),
        Case(
            "no trust rows",
            "sitrep",
            name,
            sitrep(edit=no_trust_block),
            FileRefused("Table 4 has no trust rows"),
        ),
        Case(
            "a trust row twice",
            "sitrep",
            name,
            sitrep(trust_rows=[("RF4", "BHRUT"), ("R1H", "BARTS"), ("R1H", "BARTS")]),
            RowRefused("org_code", "repeats the trust on row 15", row=16),
        ),
        Case(
            "a formula as a trust name",
            "sitrep",
            name,
            sitrep(trust_rows=[("RF4", DDE), ("R1H", "BARTS")]),
            RowRefused("org_name", "looks like a spreadsheet formula", row=14),
        ),
        Case(
            "a formula as a trust code",
            "sitrep",
            name,
            sitrep(
                trust_rows=[("RF4", "BHRUT"), ("+R1H", "BARTS")], trusts=TRUST_ROWS | {"+R1H": {}}
            ),
            RowRefused("org_code", "looks like a spreadsheet formula", row=15),
        ),
        count(-5),
        count("-5"),
        count("lots"),
        count("NaN"),
        count("inf"),
        count("1e400"),
        count(2.5),
        count(1e12),
        count(True),
        Case("good", "sitrep", name, sitrep(), Loads(({}, {"org_code": "R1H", "discharges": 7.0}))),
        Case(
            "suppressed",
            "sitrep",
            name,
            sitrep(edit=_trust_cell(15, P1_COLUMN, "-")),
            Loads(({}, {"org_code": "R1H", "discharges": None})),
        ),
    ]


LIMIT_NAMED = r"(limit|at most|more than|over)\D*\d"
# Loads and undoes as the one local user of a laptop (every right): refusals here are the
# file's, never the person's.
LEAD = access.local_user("lead")


def _reader_cases() -> list[Case]:
    """The readers another change mends: decimal commas, UTF-16, a workbook whose <dimension>
    under-states its rows, and one huge cell (refused with its limit named)."""
    months = [good("counts", month=m) for m in ("2026-04", "2026-05", "2026-06")]

    def huge_note(sheet) -> None:
        sheet["B5"] = "HUGE"

    return [
        Case(
            "decimal comma in a semicolon file",
            "counts",
            "counts.csv",
            csv_file("counts", good("counts", referrals="12,5"), sep=";"),
            Loads(({"referrals": 12.5},)),
        ),
        Case(
            "utf-16 with a byte order mark",
            "counts",
            "counts.txt",
            csv_file("counts", good("counts", source_note="Café £5"), encoding="utf-16"),
            Loads(({"source_note": "Café £5"},)),
        ),
        Case(
            "workbook under-stating its size",
            "counts",
            "counts.xlsx",
            _under_stated(workbook("counts", *months)),
            Loads(tuple({"month": m["month"]} for m in months)),
        ),
        Case(
            "sitrep under-stating its size",
            "sitrep",
            "sitrep.xlsx",
            _under_stated(sitrep()),
            Loads(({}, {"org_code": "R1H", "discharges": 7.0})),
        ),
        Case(
            "workbook with one huge cell",
            "counts",
            "counts.xlsx",
            _huge_cell(workbook("counts", good("counts", source_note="HUGE"))),
            FileRefused(LIMIT_NAMED),
        ),
        Case(
            "sitrep with one huge cell",
            "sitrep",
            "sitrep.xlsx",
            _huge_cell(sitrep(edit=huge_note)),
            FileRefused(LIMIT_NAMED),
        ),
    ]


CASES = [case for kind in SAMPLES for case in _csv_kind_cases(kind)] + _sitrep_cases()
READER_CASES = _reader_cases()


# -- running a case as the Data page does -------------------------------------------------


@pytest.fixture(scope="module")
def database(demo_db, tmp_path_factory):
    """One private copy of the demo database for the whole suite, kept open as the command
    line keeps it (the Data page's functions take an open store or a file alike): each case
    that loads undoes its load, and each compares the store before and after itself."""
    path = tmp_path_factory.mktemp("hostile") / "store.duckdb"
    shutil.copyfile(demo_db, path)
    with Store.open(path) as store:
        yield store


def fingerprint(db: Store | Path) -> dict[str, tuple]:
    """Row count and a hash of the content of every table an import can touch."""
    if isinstance(db, Path):
        with Store.open(db, read_only=True) as store:
            return fingerprint(store)
    return {
        table: db._con.execute(
            f"SELECT count(*), sum(hash(t)) FROM {table} t"  # noqa: S608
        ).fetchone()
        for table in WATCHED
    }


def stored_rows(db: Store | Path, kind: str, import_id: int) -> list[tuple]:
    """What an import of a kind stored, in EXPECTED's column order."""
    if isinstance(db, Path):
        with Store.open(db, read_only=True) as store:
            return stored_rows(store, kind, import_id)
    return db._con.execute(STORED[kind], [import_id]).fetchall()


def clean_line(message: str) -> None:
    """One line, with nothing of a crash in it."""
    assert message.strip() and "\n" not in message.strip(), message
    assert not CRASH.search(message), message


def run(case: Case, db: Store | Path, folder: Path) -> None:
    """Upload, check and load a case as the Data page does, and judge the answer."""
    # The page saves an upload under a name of its own, without the file's extension.
    upload = folder / f"upload-{re.sub(r'[^a-z0-9]+', '-', case.name)}"
    upload.write_bytes(case.make(folder))
    before = fingerprint(db)
    expect = case.expect
    try:
        staged = data.stage_file(
            upload,
            case.kind,
            workdir=folder,
            file_name=case.file_name,
            max_bytes=config.MAX_UPLOAD_MB * 1_000_000,
        )
        report = data.check_file(db, staged)
        result = data.load_file(db, staged, user=LEAD)
    except data.ImportFileError as exc:
        assert isinstance(expect, FileRefused), f"refused as a file: {exc}"
        clean_line(str(exc))
        assert re.search(expect.match, str(exc)), str(exc)
        assert fingerprint(db) == before
        return
    assert not isinstance(expect, FileRefused), f"not refused: {report.text()}"
    assert not CRASH.search(report.text()), report.text()
    clean_line(result.message)
    if isinstance(expect, Loads):
        _judge_load(case, db, report, result, before)
        return
    assert result.import_id is None, result.message
    assert result.message.startswith("Nothing loaded"), result.message
    assert fingerprint(db) == before
    if isinstance(expect, NothingLoaded):
        assert re.search(expect.match, result.message), result.message
        return
    problems = report.problems
    for reason in problems["reason"]:
        clean_line(reason)
    hit = problems[
        (problems["row"] == expect.row)
        & problems["column"].map(lambda c: expect.column in (None, c))
        & problems["reason"].map(lambda r: bool(re.search(expect.match, r)))
    ]
    assert len(hit) >= 1, report.text()
    assert (
        report.rows_rejected >= 1 and f"{report.rows_rejected:,} row(s) refused" in result.message
    )


def _judge_load(case: Case, db: Store | Path, report, result, before: dict) -> None:
    assert report.rows_rejected == 0 and result.import_id is not None, report.text()
    if case.expect.note:
        assert case.expect.note in report.notes, report.notes
    expected = [tuple((EXPECTED[case.kind] | change).values()) for change in case.expect.rows]
    assert stored_rows(db, case.kind, result.import_id) == expected
    clean_line(data.undo_last_import(db, user=LEAD))
    after = fingerprint(db)
    assert {t: v for t, v in after.items() if t not in LOGS} == {
        t: v for t, v in before.items() if t not in LOGS
    }


@pytest.mark.parametrize("case", CASES, ids=[f"{c.kind}: {c.name}" for c in CASES])
def test_a_hostile_file_is_refused_clearly_or_loads_correctly(case, database, tmp_path):
    run(case, database, tmp_path)


# The Data page passes the database file, opened for each call: one case of each kind so.
BY_FILE = [
    ("referrals", "dde formula"),
    ("parameters", "workbook"),
    ("counts", "number 1e400"),
    ("shares", "windows-1252 £ and é"),
    ("services", "huge line"),
    ("destinations", "unknown place"),
    ("sitrep", "a trust row twice"),
    ("sitrep", "good"),
]


@pytest.mark.parametrize("key", BY_FILE, ids=[": ".join(k) for k in BY_FILE])
def test_the_data_page_path_opening_the_database_file(key, writable_db, tmp_path):
    case = next(c for c in CASES if (c.kind, c.name) == key)
    run(case, writable_db, tmp_path)


@pytest.mark.parametrize("case", READER_CASES, ids=[f"{c.kind}: {c.name}" for c in READER_CASES])
def test_the_readers_read_what_the_file_says(case, database, tmp_path):
    run(case, database, tmp_path)


def test_there_are_over_a_hundred_cases_across_every_kind():
    assert len(CASES) >= 100
    assert {c.kind for c in CASES} == set(IMPORT_KINDS)


# -- the command line, for a sample ---------------------------------------------------------

CLI_SAMPLE = [
    ("referrals", "empty"),
    ("referrals", "dde formula"),
    ("parameters", "png as csv"),
    ("counts", "9999-12"),
    ("counts", "hundreds of columns"),
    ("shares", "number NaN"),
    ("services", "same row twice"),
    ("destinations", "duplicated column"),
    ("sitrep", "a trust row twice"),
    ("sitrep", "month 9999"),
]


def test_the_command_line_refuses_as_the_data_page_does(demo_db, tmp_path):
    """A sample of the cases through ``python3 -m capacity import``, each into its own copy
    of the store (the processes run side by side): exit code 1, the refusal named, no
    traceback, the store unchanged."""
    by_id = {(c.kind, c.name): c for c in CASES}
    running = []
    for index, key in enumerate(CLI_SAMPLE):
        case = by_id[key]
        folder = tmp_path / str(index)
        folder.mkdir()
        path = folder / case.file_name
        path.write_bytes(case.make(folder))
        db = folder / "store.duckdb"
        shutil.copyfile(demo_db, db)
        before = fingerprint(db)
        command = [
            sys.executable,
            "-m",
            "capacity",
            "import",
            case.kind,
            str(path),
            "--db",
            str(db),
        ]
        process = subprocess.Popen(
            command,
            cwd=config.PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        running.append((case, db, process, before))
    for case, db, process, before in running:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 1, (case.name, out, err)
        assert "Traceback" not in out + err and not CRASH.search(out + err), out + err
        if isinstance(case.expect, FileRefused):
            assert err.startswith("error: nothing loaded: ") and err.count("\n") == 1, err
            assert re.search(case.expect.match, err), err
        else:
            assert f"row {case.expect.row}, {case.expect.column}" in out, out
            assert out.rstrip().splitlines()[-1].startswith("Nothing loaded"), out
        assert fingerprint(db) == before
