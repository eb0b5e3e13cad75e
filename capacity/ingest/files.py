"""Screening a file before anything reads it as data, and making it ready to read.

:func:`stage_file` refuses a file that is empty, over the size limit, binary
(an image renamed .csv), a damaged workbook, in an encoding other than UTF-8
(with or without BOM) or Windows-1252, with a line far too long, or with a
header without the columns its kind needs. Each is a clear
:class:`ImportFileError`. Headers may differ in case, spacing and a few common
names; Windows-1252 text is converted to UTF-8 and workbooks to CSV.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

from capacity.ingest.kinds import IMPORT_KINDS, KINDS, KindSpec
from capacity.xlsx import DAMAGED, open_workbook

MAX_LINE_BYTES = 65_536
MAX_COLUMNS = 200
CHUNK = 8 * 1024 * 1024


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
            f"more than {MAX_LINE_BYTES:,}. Is this the right file?"
        )
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
        kind, target, name, checksum, size, encoding, delimiter, columns, ignored, missing
    )
