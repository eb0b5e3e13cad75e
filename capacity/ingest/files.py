"""Screening a file before anything reads it as data, and making it ready to read.

:func:`stage_file` refuses a file that is empty, over the size limit, binary
(an image renamed .csv), a damaged workbook, in an encoding other than UTF-8
(with or without BOM), UTF-16 or UTF-32 with a byte-order mark, or Windows-1252,
beyond a reading limit (a line, a cell, the rows, the columns, what a workbook
unpacks to: :mod:`capacity.config`), or with a header without the columns its kind
needs. Each is a clear :class:`ImportFileError` that names the limit it met.
Headers may differ in case, spacing and a few common names; text in another
encoding is converted to UTF-8 and workbooks to CSV. A file separated by
semicolons writes its decimals with a comma (``Staged.decimal``).

The app keeps uploads in one folder per session (:func:`session_folder`) under one
folder named for the product, and removes them once read (:func:`discard`).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

from capacity import config
from capacity.ingest.kinds import IMPORT_KINDS, KINDS, KindSpec
from capacity.xlsx import DAMAGED, EXCEL_ROWS, WorkbookRefused, open_workbook

MAX_LINE_BYTES = config.MAX_LINE_BYTES
MAX_COLUMNS = config.MAX_COLUMNS
CHUNK = 8 * 1024 * 1024
# Text that starts with a byte-order mark, as Excel's "Unicode text" does: the codec (which
# takes the mark off) and the name a note gives. UTF-32's marks come first: its little-endian
# one starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The folder, in the system's temporary folder, that holds one folder per app session for its
# uploads; a session folder untouched for a day is swept away by the next session to start.
WORK_FOLDER = "capacity-imports"
STALE_SECONDS = 86_400


class ImportFileError(ValueError):
    """The whole file cannot be read as this kind of data; the message says why."""


_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old-style Excel (.xls) or Word file; save it as .xlsx or CSV",
}


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
    # The decimal mark of the file's numbers: a comma in a file separated by semicolons (as
    # Excel saves "CSV" where the comma is the decimal mark), else a point.
    decimal: str = "."


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
            f"{found}. Column names may differ in case and spacing."
        )
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


def longest_line(path: Path) -> tuple[int, int, int]:
    """The longest line's length in bytes, its line number, and the number of lines, scanning
    with numpy."""
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
    return longest, where, line - (carry == 0)


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
        return (
            value.date().isoformat()
            if value.time() == datetime.min.time()
            else value.isoformat(sep=" ")
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r", " ").replace("\n", " ")


def _row_limit(kind: str) -> int:
    return config.MAX_REFERRAL_ROWS if kind == "referrals" else config.MAX_ROWS


def workbook_to_csv(path: Path, target: Path, *, name: str, max_rows: int) -> None:
    """The first sheet of an .xlsx workbook as UTF-8 CSV, every cell as text; refused beyond
    ``max_rows`` after the header or :data:`MAX_COLUMNS` columns with something in them.

    Empty rows between rows of data are kept, so each line is its sheet row; empty rows
    after the last (a sheet formatted further down than it is filled) are left out.
    """
    limit = min(max_rows, EXCEL_ROWS)
    try:
        with open_workbook(path) as book, open(target, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            width = rows = blank = 0
            for number, row in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
                cells = [_cell_text(v) for v in row]
                while cells and cells[-1] == "":
                    cells.pop()
                if len(cells) > MAX_COLUMNS:
                    raise ImportFileError(
                        f"Sheet row {number} of {name} has something in {len(cells):,} "
                        f"columns; the limit is {MAX_COLUMNS:,}."
                    )
                if not width:
                    width = len(cells)
                    if width:
                        writer.writerow(cells)
                    continue
                rows += 1
                if rows > limit:
                    raise ImportFileError(
                        f"{name} has more than {limit:,} rows after its header; the limit "
                        f"is {limit:,}."
                    )
                if not cells:
                    blank += 1
                    continue
                writer.writerows([[""] * width] * blank)
                blank = 0
                writer.writerow(cells + [""] * (width - len(cells)))
    except ImportFileError:
        raise
    except WorkbookRefused as exc:
        raise ImportFileError(f"{name}: {exc}") from None
    except DAMAGED as exc:
        raise ImportFileError(f"The Excel file is damaged or incomplete ({exc}).") from None


def _header_line(path: Path) -> str:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return handle.readline(MAX_LINE_BYTES + 1)


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _as_utf8(source: Path, target: Path, head: bytes, name: str) -> tuple[str, Path]:
    """The file's encoding and a UTF-8 copy to read (the file itself when it is UTF-8)."""
    codec = next((codec for bom, codec in _BOMS if head.startswith(bom)), None)
    if codec is not None:
        try:
            _transcode(source, target, codec)
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"{name} starts as {codec.upper()} text does but is not readable "
                f"{codec.upper()} text ({exc.reason} at byte {exc.start:,})."
            ) from None
        with open(target, "rb") as handle:
            if b"\x00" in handle.read(65_536):
                raise ImportFileError(f"{name} is a binary file, not a CSV or Excel file.")
        return codec, target
    binary = _sniff_binary(head)
    if binary:
        raise ImportFileError(f"{name} is {binary}, not a CSV or Excel file.")
    if _decode_all(source, "utf-8-sig"):
        return "utf-8", source
    if _decode_all(source, "cp1252"):
        _transcode(source, target, "cp1252")
        return "windows-1252", target
    raise ImportFileError(
        f"{name} is not text in UTF-8 or Windows-1252 (nor UTF-16 with its byte-order mark)."
    )


def _screen_lines(path: Path, name: str, spec: KindSpec, max_rows: int) -> None:
    """Refuse a file with a line over :data:`MAX_LINE_BYTES` (so a cell over it too) or more
    lines after its header than ``max_rows``."""
    length, line, lines = longest_line(path)
    if length > MAX_LINE_BYTES:
        raise ImportFileError(
            f"Line {line} of {name} is {length:,} bytes long; a row of {spec.label} is never "
            f"more than {MAX_LINE_BYTES:,}. Is this the right file?"
        )
    if lines - 1 > max_rows:
        raise ImportFileError(
            f"{name} has {lines - 1:,} lines after its header; the limit is {max_rows:,} for "
            f"a file of {spec.label}."
        )


def stage_file(
    source: Path,
    kind: str,
    *,
    workdir: Path,
    file_name: str | None = None,
    max_bytes: int | None = None,
) -> Staged:
    """Screen a file and make it ready to read; raise ImportFileError for a bad one."""
    if kind not in IMPORT_KINDS:
        raise ImportFileError(f"Unknown kind of import {kind!r} (one of {', '.join(IMPORT_KINDS)})")
    source = Path(source)
    name = file_name or source.name
    size = source.stat().st_size
    if size == 0:
        raise ImportFileError(f"{name} is empty.")
    if max_bytes is not None and size > max_bytes:
        raise ImportFileError(
            f"{name} is {size / 1e6:,.0f} MB; the upload limit is {max_bytes / 1e6:,.0f} MB. "
            "Load larger files with the command line: python -m capacity import "
            f"{kind} FILE"
        )
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
        workbook_to_csv(source, target, name=name, max_rows=_row_limit(kind))
        encoding = "xlsx"
    else:
        encoding, target = _as_utf8(source, target, head, name)
    _screen_lines(target, name, spec, _row_limit(kind))
    header = _header_line(target)
    delimiter = _delimiter(header)
    names = next(csv.reader(io.StringIO(header), delimiter=delimiter), [])
    if len(names) > MAX_COLUMNS:
        raise ImportFileError(
            f"The header of {name} has {len(names):,} columns; a file of "
            f"{spec.label} has at most {len(spec.columns)}."
        )
    columns, ignored = map_header(names, spec)
    missing = tuple(c for c in spec.optional if c not in columns)
    return Staged(
        kind,
        target,
        name,
        checksum,
        size,
        encoding,
        delimiter,
        columns,
        ignored,
        missing,
        decimal="," if delimiter == ";" else ".",
    )


# -- the folders uploads are kept in ---------------------------------------------------------


def work_parent() -> Path:
    """The one folder, named for the product, that holds every session's upload folder."""
    return Path(tempfile.gettempdir()) / WORK_FOLDER


def sweep(parent: Path, stale_after: float = STALE_SECONDS) -> int:
    """Remove the session folders under ``parent`` untouched for ``stale_after`` seconds (a
    session that ended without tidying up); how many were removed."""
    cutoff = time.time() - stale_after
    removed = 0
    for folder in Path(parent).glob("session-*"):
        with contextlib.suppress(OSError):
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
                removed += 1
    return removed


def session_folder(parent: Path | None = None, current: str | Path | None = None) -> Path:
    """A session's folder for its uploads: ``current`` when given (made again if a sweep took
    it), else a new one under ``parent`` (default :func:`work_parent`), after sweeping stale
    ones away."""
    if current:
        folder = Path(current)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder
    parent = Path(parent) if parent else work_parent()
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    sweep(parent)
    return Path(tempfile.mkdtemp(prefix="session-", dir=parent))


def discard(*paths: Path) -> None:
    """Remove the files an upload left (the upload, its UTF-8 or CSV copy); a path that is
    gone already, or is a folder, is left alone."""
    for path in paths:
        with contextlib.suppress(OSError):
            if Path(path).is_file():
                Path(path).unlink()
