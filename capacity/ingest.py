"""Importing files safely: screened, checked row by row, then loaded all or nothing.

Four kinds of file come in as CSV or Excel (.xlsx): referral records, service
parameters, monthly demand counts and trust-to-place shares. NHS England's
discharge workbooks have their own reader in :mod:`capacity.sitrep`.

1. :func:`stage_file` screens the file before anything reads it as data: empty,
   over the size limit, binary (an image renamed .csv), a damaged workbook, an
   encoding other than UTF-8 (with or without BOM) or Windows-1252, a line far
   too long, or a header without the columns this kind needs. Each is a clear
   :class:`ImportFileError`. Headers may differ in case, spacing and a few
   common names; Windows-1252 text is converted to UTF-8 and workbooks to CSV.
2. :func:`check` reads the file with DuckDB's own CSV reader into temporary
   tables (never a row-by-row loop for referrals, which can run to millions of
   rows) and lists every bad row: its row number, column, value and reason.
   Nothing is written.
3. :func:`load` checks again and writes the good rows — or, unless partial
   loading was chosen, nothing when any row is bad — in one transaction with
   an entry in the import log. Loading the same rows twice adds nothing:
   referrals already stored (by id) are skipped, a counts or SitRep file
   already loaded (same checksum) is refused, and a parameters or shares file
   the same as the latest one of its kind is refused (an earlier one may be
   loaded again, to go back to it). A file that would write nothing is not
   logged.
4. :func:`undo_last` takes the last import back out, restoring any rows it
   replaced.
"""

from __future__ import annotations

import codecs
import csv
import getpass
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from capacity.reference import (
    MAX_PEOPLE_PER_MONTH,
    PARAMETERS,
    check_parameters,
    check_shares_match_types,
    check_trust_shares,
)
from capacity.reference import (
    TRUST_SHARES as SHARES,
)
from capacity.store import Store, _Session
from capacity.validation import Column, Problem, ValidationError, coerce, looks_like_formula
from capacity.xlsx import DAMAGED, open_workbook

MAX_LINE_BYTES = 65_536
MAX_COLUMNS = 200
PREVIEW_ROWS = 20
PROBLEM_LIMIT = 5_000
# Kinds whose file replaces what it names (a service's parameters, a trust's shares):
# loading an earlier file again is how an analyst goes back to it, so only a file the
# same as the latest load of its kind is refused as already loaded.
REPLACING = ("parameters", "shares")
CHUNK = 8 * 1024 * 1024
Progress = Callable[[float, str], None]


class ImportFileError(ValueError):
    """The whole file cannot be read as this kind of data; the message says why."""


@dataclass(frozen=True)
class KindSpec:
    """The columns one kind of file has, and the other names people give them."""

    label: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column this kind knows, required first."""
        return self.required + self.optional


KINDS = {
    "referrals": KindSpec(
        "referral records",
        ("referral_id", "place_code", "service_type", "source", "referral_date"),
        ("service_id", "pathway", "start_date", "end_date", "referring_trust"),
        {"id": "referral_id", "referral": "referral_id", "referral_number": "referral_id",
         "place": "place_code", "place_name": "place_code", "hwb": "place_code",
         "hwb_code": "place_code", "local_authority": "place_code", "la_code": "place_code",
         "type": "service_type", "service_type_code": "service_type",
         "service": "service_id", "service_name": "service_id", "referral_source": "source",
         "date_of_referral": "referral_date", "referral_received": "referral_date",
         "received_date": "referral_date", "start": "start_date", "service_start": "start_date",
         "end": "end_date", "service_end": "end_date", "trust": "referring_trust",
         "trust_code": "referring_trust", "referring_organisation": "referring_trust"},
    ),
    "parameters": KindSpec(
        "service parameters",
        ("service_id", "method", "valid_from", "source_note"),
        tuple(c.name for c in PARAMETERS if c.name not in
              ("service_id", "method", "valid_from", "source_note")),
        {"service": "service_id", "place": "place_code", "los": "mean_los_days",
         "mean_los": "mean_los_days", "length_of_stay": "mean_los_days", "from": "valid_from",
         "to": "valid_to", "note": "source_note", "source": "source_note"},
    ),
    "counts": KindSpec(
        "monthly demand counts",
        ("place_code", "service_type", "source", "month", "referrals"),
        ("service_id", "source_note"),
        {"place": "place_code", "type": "service_type", "service": "service_id",
         "count": "referrals", "referral_count": "referrals", "demand": "referrals",
         "note": "source_note"},
    ),
    "shares": KindSpec(
        "trust-to-place shares",
        ("trust_code", "place_code", "share"),
        ("source_note",),
        {"trust": "trust_code", "place": "place_code", "note": "source_note"},
    ),
}
_MAGIC = {b"\x89PNG": "a PNG image", b"GIF8": "a GIF image", b"\xff\xd8\xff": "a JPEG image",
          b"%PDF": "a PDF document", b"\xd0\xcf\x11\xe0": "an old-style Excel (.xls) or "
          "Word file; save it as .xlsx or CSV"}


@dataclass(frozen=True)
class Staged:
    """A screened file, ready to read: always UTF-8 CSV, with its columns mapped."""

    kind: str
    path: Path
    file_name: str
    checksum: str
    size: int
    encoding: str
    delimiter: str
    columns: tuple[str, ...]
    ignored: tuple[str, ...]
    missing_optional: tuple[str, ...]


@dataclass
class Report:
    """What a check found: counts, every problem (up to a limit), and a preview."""

    kind: str
    file_name: str
    rows_read: int
    rows_rejected: int
    already_loaded: int
    problems: pd.DataFrame
    problems_total: int
    preview: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    loaded_before: str | None = None

    @property
    def rows_valid(self) -> int:
        """Rows with no problem."""
        return self.rows_read - self.rows_rejected

    @property
    def rows_new(self) -> int:
        """Good rows not in the store yet."""
        return self.rows_valid - self.already_loaded

    def text(self) -> str:
        """The report as plain text, for the command line."""
        lines = [f"{self.file_name}: {self.rows_read:,} rows read, {self.rows_valid:,} good, "
                 f"{self.rows_rejected:,} refused"
                 + (f", {self.already_loaded:,} already loaded" if self.already_loaded else "")]
        lines += [f"  note: {note}" for note in self.notes]
        for row in self.problems.itertuples(index=False):
            shown = f" {row.value!r}" if row.value else ""
            lines.append(f"  row {row.row}, {row.column}{shown}: {row.reason}")
        if self.problems_total > len(self.problems):
            lines.append(f"  ... and {self.problems_total - len(self.problems):,} more problems")
        return "\n".join(lines)


@dataclass(frozen=True)
class LoadResult:
    """What a load wrote."""

    import_id: int | None
    rows_loaded: int
    report: Report
    message: str
    up_to_date: bool = False  # nothing written because the store already holds it all


# -- screening ------------------------------------------------------------------


def _normalise_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def map_header(names: list[str], spec: KindSpec) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Canonical column names for a header, and the header names that are ignored.

    Raises ImportFileError when a required column is missing or one is named twice.
    """
    mapped, ignored, seen = [], [], set()
    for index, name in enumerate(names):
        key = _normalise_header(name)
        canonical = key if key in spec.columns else spec.aliases.get(key)
        if canonical is None or canonical in seen:
            if canonical in seen:
                raise ImportFileError(f"The column {canonical!r} appears twice in the header")
            ignored.append(str(name))
            mapped.append(f"ignored_{index + 1}")
            continue
        seen.add(canonical)
        mapped.append(canonical)
    missing = [c for c in spec.required if c not in seen]
    if missing:
        found = ", ".join(str(n) for n in names[:20]) or "nothing"
        raise ImportFileError(
            f"A file of {spec.label} needs the column(s) {', '.join(missing)}; its header has "
            f"{found}. Column names may differ in case and spacing.")
    return tuple(mapped), tuple(ignored)


def _sniff_binary(head: bytes) -> str | None:
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            return what
    if b"\x00" in head:
        return "a binary file"
    return None


def _decode_all(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as handle:
        try:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _transcode(path: Path, target: Path, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as source, open(target, "w", encoding="utf-8", newline="") as out:
        while chunk := source.read(CHUNK):
            out.write(decoder.decode(chunk))
        out.write(decoder.decode(b"", final=True))


def longest_line(path: Path) -> tuple[int, int]:
    """The longest line's length in bytes and its line number, scanning with numpy."""
    longest, where, line, carry = 0, 0, 1, 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
            if ends.size:
                starts = np.concatenate(([-1], ends[:-1]))
                lengths = ends - starts - 1
                lengths[0] += carry
                biggest = int(lengths.argmax())
                if lengths[biggest] > longest:
                    longest, where = int(lengths[biggest]), line + biggest
                line += ends.size
                carry = len(chunk) - int(ends[-1]) - 1
            else:
                carry += len(chunk)
            if carry > longest:
                longest, where = carry, line
    return longest, where


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else \
            value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r", " ").replace("\n", " ")


def workbook_to_csv(path: Path, target: Path) -> None:
    """The first sheet of an .xlsx workbook as UTF-8 CSV, every cell as text."""
    try:
        with open_workbook(path) as book, open(target, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            width = 0
            for row in book.worksheets[0].iter_rows(values_only=True):
                cells = [_cell_text(v) for v in row]
                while len(cells) > width and cells and cells[-1] == "":
                    cells.pop()
                if not width and not cells:
                    continue
                width = width or len(cells)
                writer.writerow(cells + [""] * (width - len(cells)))
    except DAMAGED as exc:
        raise ImportFileError(f"The Excel file is damaged or incomplete ({exc}).") from None


def _header_line(path: Path) -> str:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return handle.readline(MAX_LINE_BYTES + 1)


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


IMPORT_KINDS = (*KINDS, "sitrep")


def stage_file(source: Path, kind: str, *, workdir: Path, file_name: str | None = None,
               max_bytes: int | None = None) -> Staged:
    """Screen a file and make it ready to read; raise ImportFileError for a bad one."""
    if kind not in IMPORT_KINDS:
        raise ImportFileError(f"Unknown kind of import {kind!r} (one of "
                              f"{', '.join(IMPORT_KINDS)})")
    source = Path(source)
    name = file_name or source.name
    size = source.stat().st_size
    if size == 0:
        raise ImportFileError(f"{name} is empty.")
    if max_bytes is not None and size > max_bytes:
        raise ImportFileError(
            f"{name} is {size / 1e6:,.0f} MB; the upload limit is {max_bytes / 1e6:,.0f} MB. "
            "Load larger files with the command line: python -m capacity import "
            f"{kind} FILE")
    with open(source, "rb") as handle:
        head = handle.read(65_536)
    checksum = _checksum(source)
    if kind == "sitrep":
        if not head.startswith(b"PK\x03\x04"):
            what = _sniff_binary(head) or "not an Excel workbook"
            raise ImportFileError(f"{name} is {what}; a discharge SitRep is an .xlsx workbook.")
        return Staged(kind, source, name, checksum, size, "xlsx", "", (), (), ())
    spec = KINDS[kind]
    target = Path(workdir) / f"staged-{checksum[:16]}.csv"
    if head.startswith(b"PK\x03\x04"):
        workbook_to_csv(source, target)
        encoding = "xlsx"
    else:
        binary = _sniff_binary(head)
        if binary:
            raise ImportFileError(f"{name} is {binary}, not a CSV or Excel file.")
        if _decode_all(source, "utf-8-sig"):
            encoding, target = "utf-8", source
        elif _decode_all(source, "cp1252"):
            encoding = "windows-1252"
            _transcode(source, target, "cp1252")
        else:
            raise ImportFileError(f"{name} is not text in UTF-8 or Windows-1252.")
    length, line = longest_line(target)
    if length > MAX_LINE_BYTES:
        raise ImportFileError(
            f"Line {line} of {name} is {length:,} bytes long; a row of {spec.label} is never "
            f"more than {MAX_LINE_BYTES:,}. Is this the right file?")
    header = _header_line(target)
    delimiter = _delimiter(header)
    names = next(csv.reader(io.StringIO(header), delimiter=delimiter), [])
    if len(names) > MAX_COLUMNS:
        raise ImportFileError(f"The header of {name} has {len(names):,} columns; a file of "
                              f"{spec.label} has at most {len(spec.columns)}.")
    columns, ignored = map_header(names, spec)
    missing = tuple(c for c in spec.optional if c not in columns)
    return Staged(kind, target, name, checksum, size, encoding, delimiter, columns, ignored,
                  missing)


# -- reading into the store's scratch space -------------------------------------------


def _read(session: _Session, staged: Staged) -> None:
    session.execute("staging_drop")
    session.execute("staging_read", path=str(staged.path),
                    columns={c: "VARCHAR" for c in staged.columns}, delim=staged.delimiter,
                    max_line=MAX_LINE_BYTES + 2)
    session.add_text_columns("staging", list(staged.missing_optional))
    session.execute("staging_number")


def _notes(staged: Staged) -> list[str]:
    notes = []
    if staged.ignored:
        notes.append("columns ignored: " + ", ".join(staged.ignored))
    if staged.encoding == "windows-1252":
        notes.append("read as Windows-1252 text")
    if staged.encoding == "xlsx":
        notes.append("read from the workbook's first sheet")
    return notes


def _loaded_before(session: _Session, staged: Staged) -> str | None:
    if staged.kind in REPLACING:
        found = session.query("latest_import_of_kind", kind=staged.kind)
        found = found[found["checksum"] == staged.checksum]
    else:
        found = session.query("import_by_checksum", checksum=staged.checksum, kind=staged.kind)
    if found.empty:
        return None
    row = found.iloc[0]
    return f"import {row['import_id']} on {pd.Timestamp(row['loaded_at']):%d %b %Y %H:%M}"


def _preview(session: _Session, staged: Staged) -> pd.DataFrame:
    preview = session.query("staging_preview", limit=PREVIEW_ROWS)
    keep = [c for c in preview.columns if not c.startswith("ignored_")]
    return preview[keep]


def _check_referrals(session: _Session, staged: Staged) -> Report:
    session.execute("referrals_clean")
    session.execute("referrals_problems")
    summary = session.query("referrals_summary").iloc[0]
    return Report(
        kind=staged.kind, file_name=staged.file_name, rows_read=int(summary["rows_read"]),
        rows_rejected=int(summary["rows_rejected"]),
        already_loaded=int(summary["already_loaded"]),
        problems=session.query("staging_problem_list", limit=PROBLEM_LIMIT),
        problems_total=int(summary["problems"]), preview=_preview(session, staged),
        notes=_notes(staged), loaded_before=_loaded_before(session, staged))


# -- the smaller kinds, checked in Python after DuckDB has read them -------------------


COUNTS = [
    Column("place_code"), Column("service_type"), Column("service_id", required=False),
    Column("source", choices=("hospital", "community")), Column("month"),
    Column("referrals", "float", minimum=0, maximum=MAX_PEOPLE_PER_MONTH),
    Column("source_note", required=False),
]
_MONTH = re.compile(r"^(\d{4})-(\d{2})(-01)?$|^01/(\d{2})/(\d{4})$")


def _month(text: str) -> date:
    match = _MONTH.match(text.strip())
    if not match:
        raise ValueError("is not a month (use 2025-04 or 2025-04-01)")
    year, month = (match.group(1), match.group(2)) if match.group(1) else \
        (match.group(5), match.group(4))
    if not 1 <= int(month) <= 12:
        raise ValueError("is not a month (use 2025-04 or 2025-04-01)")
    return date(int(year), int(month), 1)


def _rows(session: _Session, staged: Staged) -> tuple[pd.DataFrame, list[int], list[Problem]]:
    """The staged rows as text, their file lines, and the lines DuckDB could not read."""
    frame = session.query("staging_rows")
    lines = [int(v) for v in frame.pop("line")]
    frame = frame[[c for c in frame.columns if not c.startswith("ignored_")]]
    rejected = session.query("staging_rejected_lines")
    problems = [Problem(int(r.line), _reject_column(r.error_type, r.column_name), "",
                        _reject_reason(r.error_type)) for r in rejected.itertuples()]
    return frame, lines, problems


def _reject_column(error_type: str, column: str | None) -> str:
    whole = error_type in ("MISSING COLUMNS", "TOO MANY COLUMNS") or not column
    return "(whole line)" if whole else column


def _reject_reason(error_type: str) -> str:
    return {"MISSING COLUMNS": "has fewer columns than the header",
            "TOO MANY COLUMNS": "has more columns than the header",
            "UNQUOTED VALUE": "has a quote that is never closed"}.get(
        error_type, f"cannot be read ({str(error_type).lower()})")


def _row_problems(frame: pd.DataFrame, lines: list[int], columns: list[Column],
                  what: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Type the rows; return the typed good rows (with their lines) and the others' problems."""
    problems: list[Problem] = []
    for column in frame.columns:
        if column == "source_note":
            continue
        values = frame[column].astype(object)
        looks = values.map(lambda v: isinstance(v, str) and looks_like_formula(v))
        problems += [Problem(lines[i], column, values.iat[i], "looks like a spreadsheet formula")
                     for i in np.flatnonzero(looks.to_numpy(bool))]
    try:
        coerce(frame, columns, what)
    except ValidationError as exc:
        problems += [Problem(lines[p.row - 2], p.column, p.value, p.reason)
                     for p in exc.problems if p.row >= 2]
        if any(p.row < 2 for p in exc.problems):
            raise ImportFileError(str(exc)) from None
    bad = {p.row for p in problems}
    keep = [i for i, line in enumerate(lines) if line not in bad]
    typed = coerce(frame.iloc[keep].reset_index(drop=True), columns, what)
    return typed.assign(_line=[lines[i] for i in keep]), problems


def _known(session: _Session) -> dict[str, pd.DataFrame]:
    return {name: session.query(name) for name in
            ("places", "service_types", "services", "trusts")} | {
        "service_places": session.query("service_places_for_places",
                                        places=list(session.query("places")["place_code"]))}


def _resolve(value: str, codes: pd.Series, names: pd.Series) -> str | None:
    if value in set(codes):
        return value
    lookup = {str(n).lower(): c for c, n in zip(codes, names, strict=True)}
    return lookup.get(value.strip().lower())


def _check_counts(session: _Session, staged: Staged) -> tuple[Report, pd.DataFrame]:
    frame, lines, problems = _rows(session, staged)
    typed, found = _row_problems(frame, lines, COUNTS, staged.file_name)
    problems += found
    known = _known(session)
    places = known["places"][known["places"]["kind"] != "system"]
    types = known["service_types"].set_index("service_type")
    services = known["services"].set_index("service_id")
    keep = []
    for _, row in typed.iterrows():
        line, reasons = row["_line"], []
        place = _resolve(row["place_code"], places["place_code"], places["name"])
        stype = _resolve(row["service_type"], known["service_types"]["service_type"],
                         known["service_types"]["name"])
        service = None
        if place is None:
            reasons.append(("place_code", row["place_code"], "is not a known place"))
        if stype is None:
            reasons.append(("service_type", row["service_type"], "is not a known service type"))
        elif not bool(types.loc[stype, row["source"]]):
            reasons.append(("source", row["source"], f"{stype} does not take {row['source']} "
                            "referrals"))
        if row["service_id"] is not None:
            service = _resolve(row["service_id"], known["services"]["service_id"],
                               known["services"]["name"])
            if service is None:
                reasons.append(("service_id", row["service_id"], "is not a known service"))
            elif stype is not None and services.loc[service, "service_type"] != stype:
                reasons.append(("service_id", row["service_id"], f"is not a {stype} service"))
        try:
            month = _month(row["month"])
        except ValueError as exc:
            reasons.append(("month", row["month"], str(exc)))
            month = None
        if reasons:
            problems += [Problem(line, c, str(v), r) for c, v, r in reasons]
            continue
        keep.append({"place_code": place, "service_type": stype, "service_id": service,
                     "source": row["source"], "month": pd.Timestamp(month),
                     "referrals": row["referrals"],
                     "source_note": row["source_note"] or f"imported from {staged.file_name}",
                     "_line": line})
    good = pd.DataFrame(keep, columns=["place_code", "service_type", "service_id", "source",
                                       "month", "referrals", "source_note", "_line"])
    duplicated = good.duplicated(["place_code", "service_type", "service_id", "source", "month"],
                                 keep="first")
    problems += [Problem(int(r["_line"]), "month", f"{r['month']:%Y-%m}",
                         "appears more than once in this file for the same place, service type, "
                         "service and source") for _, r in good[duplicated].iterrows()]
    good = good[~duplicated]
    return _small_report(session, staged, len(lines), problems), good


def _check_shares(session: _Session, staged: Staged) -> tuple[Report, pd.DataFrame]:
    frame, lines, problems = _rows(session, staged)
    typed, found = _row_problems(frame, lines, SHARES, staged.file_name)
    problems += found
    places = session.query("places")
    hwb = places[places["kind"] != "system"]
    typed["place_code"] = [_resolve(v, hwb["place_code"], hwb["name"]) or v
                           for v in typed["place_code"]]
    typed["trust_code"] = typed["trust_code"].str.strip().str.upper()
    typed["source_note"] = typed["source_note"].fillna(f"imported from {staged.file_name}")
    line_of = dict(enumerate(typed["_line"]))
    try:
        check_trust_shares(typed.drop(columns="_line").reset_index(drop=True), places)
    except ValidationError as exc:
        problems += [Problem(line_of.get(p.row - 2, p.row), p.column, p.value, p.reason)
                     for p in exc.problems]
    good = typed[~typed["_line"].isin({p.row for p in problems})]
    return _small_report(session, staged, len(lines), problems), good


def _check_parameters(session: _Session, staged: Staged) -> tuple[Report, pd.DataFrame]:
    frame, lines, problems = _rows(session, staged)
    typed, found = _row_problems(frame, lines, PARAMETERS, staged.file_name)
    problems += found
    typed["contract_share"] = typed["contract_share"].fillna(1.0)
    known = _known(session)
    line_of = dict(enumerate(typed["_line"]))
    checks = (lambda t: check_parameters(t, known["services"], known["service_places"]),
              lambda t: check_shares_match_types(t, known["services"], known["service_types"]))
    for run in checks:
        try:
            run(typed.drop(columns="_line").reset_index(drop=True))
        except ValidationError as exc:
            problems += [Problem(line_of.get(p.row - 2, p.row), p.column, p.value, p.reason)
                         for p in exc.problems]
    service_of_line = dict(zip(lines, frame["service_id"], strict=True))
    bad_services = {service_of_line[p.row] for p in problems if p.row in service_of_line}
    for service in sorted(bad_services):
        for line in typed.loc[typed["service_id"] == service, "_line"]:
            if not any(p.row == line for p in problems):
                problems.append(Problem(int(line), "service_id", service,
                                        "not loaded: another row of this service was refused"))
    good = typed[~typed["service_id"].isin(bad_services)]
    return _small_report(session, staged, len(lines), problems), good


def _small_report(session: _Session, staged: Staged, rows: int,
                  problems: list[Problem]) -> Report:
    table = pd.DataFrame([{"row": p.row, "column": p.column, "value": p.value,
                           "reason": p.reason} for p in problems],
                         columns=["row", "column", "value", "reason"])
    table = table.sort_values(["row", "column"], kind="stable").reset_index(drop=True)
    rejected = table["row"].nunique()
    read = rows + len(session.query("staging_rejected_lines"))
    return Report(kind=staged.kind, file_name=staged.file_name, rows_read=read,
                  rows_rejected=rejected, already_loaded=0,
                  problems=table.head(PROBLEM_LIMIT), problems_total=len(table),
                  preview=_preview(session, staged), notes=_notes(staged),
                  loaded_before=_loaded_before(session, staged))


_SMALL = {"counts": _check_counts, "shares": _check_shares, "parameters": _check_parameters}


def _check_in(session: _Session, staged: Staged) -> tuple[Report, pd.DataFrame | None]:
    _read(session, staged)
    if staged.kind == "referrals":
        return _check_referrals(session, staged), None
    return _SMALL[staged.kind](session, staged)


def check(store: Store, staged: Staged) -> Report:
    """Every problem with a staged file; nothing is written to the store."""
    if staged.kind == "sitrep":
        with store.scratch() as session:
            return _check_sitrep(session, staged)[0]
    with store.scratch() as session:
        return _check_in(session, staged)[0]


def _check_sitrep(session: _Session, staged: Staged) -> tuple[Report, pd.DataFrame]:
    from capacity.sitrep import MAX_COUNT, SitrepError, read_table4

    try:
        table = read_table4(staged.path, staged.file_name)
    except SitrepError as exc:
        raise ImportFileError(str(exc)) from None
    problems = pd.DataFrame([{"row": row, "column": column, "value": str(value),
                              "reason": "is not a count (a whole number up to "
                              f"{MAX_COUNT:,}, or - if suppressed)"}
                             for row, column, value in table.unreadable],
                            columns=["row", "column", "value", "reason"])
    bad = set(zip(problems["row"], problems["column"], strict=True))
    refused = [(r, d) in bad for r, d in zip(table.rows["sheet_row"], table.rows["destination"],
                                             strict=True)]
    rows = table.rows.drop(columns="sheet_row")
    good = rows[~np.array(refused, dtype=bool)].reset_index(drop=True)
    notes = [f"{table.month:%B %Y}: {rows['org_code'].nunique()} organisations, "
             f"{rows['destination'].nunique()} destinations, "
             f"{int(good['discharges'].isna().sum())} suppressed cells kept as missing"]
    report = Report(kind="sitrep", file_name=staged.file_name, rows_read=len(rows),
                    rows_rejected=len(bad), already_loaded=0, problems=problems.head(
                        PROBLEM_LIMIT), problems_total=len(problems),
                    preview=rows.head(PREVIEW_ROWS), notes=notes,
                    loaded_before=_loaded_before(session, staged))
    return report, good


# -- loading --------------------------------------------------------------------------


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _log(session: _Session, staged: Staged, report: Report, loaded_by: str) -> int:
    return session.execute(
        "log_import", kind=staged.kind, file_name=staged.file_name, checksum=staged.checksum,
        rows_read=report.rows_read, rows_loaded=0, rows_rejected=report.rows_rejected,
        loaded_by=loaded_by, note="")[0][0]


def _write_small(session: _Session, kind: str, good: pd.DataFrame, import_id: int,
                 whole_table: bool) -> int:
    if kind == "sitrep":
        session.execute("archive_sitrep_months", import_id=import_id,
                        months=sorted({m.date() for m in good["month"]}))
        return session.insert_frame("sitrep_discharges", good.assign(import_id=import_id))
    rows = good.drop(columns="_line").assign(import_id=import_id)
    if kind == "counts":
        session.register("incoming_counts", rows)
        session.execute("archive_counts_like_incoming", import_id=import_id)
        return session.insert_frame("monthly_demand", rows)
    if kind == "shares":
        trusts = set(rows["trust_code"])
        if whole_table:
            trusts |= set(session.query("trust_place_shares")["trust_code"])
        session.execute("archive_trust_shares", import_id=import_id, trusts=sorted(trusts))
        return session.insert_frame("trust_place_shares", rows)
    session.execute("archive_parameters_of_services", import_id=import_id,
                    services=sorted(set(rows["service_id"])))
    return session.insert_frame("service_parameters", rows)


def _nothing_to_write(report: Report, good: pd.DataFrame | None) -> str | None:
    """Why a checked file would write nothing (no rows, or every row already stored)."""
    if report.rows_read == 0:
        return "Nothing loaded: the file has a header but no rows of data."
    if good is None and report.rows_new == 0 and report.already_loaded:
        return (f"Nothing loaded: all {report.already_loaded:,} good row(s) are already in "
                "the store.")
    if (good is None and report.rows_new == 0) or (good is not None and good.empty):
        return "Nothing loaded: there are no good rows."
    return None


def load(store: Store, staged: Staged, *, accept_partial: bool = False,
         loaded_by: str | None = None, progress: Progress | None = None,
         whole_table: bool = False) -> LoadResult:
    """Check the file again and write its good rows in one transaction.

    With any row refused and ``accept_partial`` False, nothing is written. The
    store is left exactly as it was if anything fails on the way. A file that
    would write nothing leaves no entry in the import log. ``whole_table`` (trust
    shares only, as the app's editor saves them) makes the file the whole table:
    trusts it leaves out lose their shares.
    """
    tell = progress or (lambda fraction, text: None)
    tell(0.05, "Reading the file")
    with store.transaction() as session:
        if staged.kind == "sitrep":
            report, good = _check_sitrep(session, staged)
        else:
            report, good = _check_in(session, staged)
        tell(0.5, "Checking every row")
        if report.rows_rejected and not accept_partial:
            return LoadResult(None, 0, report, f"Nothing loaded: {report.rows_rejected:,} "
                              "row(s) refused. Fix them, or choose to load the good rows.")
        if report.loaded_before and staged.kind in REPLACING:
            return LoadResult(None, 0, report, "Nothing loaded: this is the same as the latest "
                              f"{KINDS[staged.kind].label} loaded ({report.loaded_before}), so "
                              "nothing would change.", up_to_date=True)
        if report.loaded_before and staged.kind != "referrals":
            return LoadResult(None, 0, report, f"Nothing loaded: this file was already loaded "
                              f"({report.loaded_before}). Undo that import to load it again.")
        empty = _nothing_to_write(report, good)
        if empty:
            return LoadResult(None, 0, report, empty, up_to_date=report.already_loaded > 0)
        import_id = _log(session, staged, report, loaded_by or _user())
        tell(0.6, "Writing")
        if staged.kind == "referrals":
            loaded = session.execute("referrals_load", import_id=import_id)[0][0]
        else:
            loaded = _write_small(session, staged.kind, good, import_id,
                                  whole_table and staged.kind == "shares")
        note = f"{report.already_loaded:,} already loaded" if report.already_loaded else ""
        session.execute("import_finish", import_id=import_id, rows_loaded=int(loaded), note=note)
    tell(1.0, "Done")
    label = KINDS[staged.kind].label if staged.kind in KINDS else "SitRep discharge counts"
    message = f"Loaded {int(loaded):,} row(s) of {label} as import {import_id}"
    if report.rows_rejected:
        message += f"; {report.rows_rejected:,} refused"
    if report.already_loaded:
        message += f"; {report.already_loaded:,} were already in the store"
    return LoadResult(int(import_id), int(loaded), report, message + ".")


UNDO = {"referrals": ("undo_referrals",), "counts": ("undo_monthly_demand",),
        "parameters": ("undo_service_parameters",), "shares": ("undo_trust_place_shares",),
        "sitrep": ("undo_sitrep_discharges",)}


def undo_last(store: Store) -> str:
    """Take the last import back out (restoring rows it replaced); say what was undone."""
    with store.transaction() as session:
        last = session.query("last_undoable_import")
        if last.empty:
            return "There is no import to undo (the demo data cannot be undone)."
        row = last.iloc[0]
        import_id = int(row["import_id"])
        for statement in UNDO[row["kind"]]:
            session.execute(statement, import_id=import_id)
        session.execute("import_mark_undone", import_id=import_id)
    when = pd.Timestamp(row["loaded_at"]).strftime("%d %b %Y %H:%M")
    return (f"Undid import {import_id}: {row['file_name']} ({row['kind']}, "
            f"{int(row['rows_loaded']):,} rows, loaded {when}).")


def import_log(store: Store) -> pd.DataFrame:
    """Every import, newest first."""
    return store.query("import_log")
