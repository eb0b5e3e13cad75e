"""Opening .xlsx workbooks read-only, whatever the file is called, within bounds of memory.

An .xlsx is a zip of XML parts. Before openpyxl opens one, :func:`screen_workbook` reads the
zip's directory (what each part unpacks to: the reader never unpacks more than a part says,
so a part that lies fails its checksum) and streams every part once through numpy to find the
longest run of bytes between two tags, which bounds the longest cell; openpyxl holds the
shared strings whole, so a 300 KB file with one 300 MB cell would otherwise take gigabytes.
The limits are in :mod:`capacity.config`. Sheets are read with their ``<dimension>`` tag
ignored: openpyxl's read-only mode trusts it, and a tag that under-states the sheet would
silently drop rows.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np
import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook

from capacity import config

# What a damaged, truncated or non-workbook file raises on the way in.
DAMAGED = (zipfile.BadZipFile, KeyError, OSError, ValueError, InvalidFileException)
# The most rows a sheet can have in Excel.
EXCEL_ROWS = 1_048_576
CHUNK = 8 * 1024 * 1024
_TAG = ord("<")
_SHARED_TYPE = re.compile(
    rb'PartName="/?([^"]+)"\s+ContentType="[^"]*sharedStrings\+xml"', re.IGNORECASE
)


class WorkbookRefused(ValueError):
    """A workbook beyond a reading limit; the message names the limit."""


def _longest_text_over(stream: IO[bytes], limit: int) -> bool:
    """Whether some run of bytes between two '<' in ``stream`` is longer than ``limit``."""
    carry = 0
    while chunk := stream.read(CHUNK):
        tags = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == _TAG)
        if tags.size == 0:
            carry += len(chunk)
        else:
            inner = int(np.diff(tags).max()) - 1 if tags.size > 1 else 0
            if max(carry + int(tags[0]), inner) > limit:
                return True
            carry = len(chunk) - int(tags[-1]) - 1
        if carry > limit:
            return True
    return False


def _shared_strings_parts(archive: zipfile.ZipFile) -> set[str]:
    """The parts that hold the shared strings: the usual name, and any the content types give
    that type (openpyxl finds them by type, whatever they are called)."""
    names = {"xl/sharedStrings.xml"}
    try:
        types = archive.getinfo("[Content_Types].xml")
    except KeyError:
        return names
    if types.file_size <= config.MAX_XLSX_PART_BYTES:
        names |= {m.decode("utf-8", "replace") for m in _SHARED_TYPE.findall(archive.read(types))}
    return names


def screen_workbook(path: Path) -> None:
    """Refuse a workbook whose parts unpack beyond the limits or that has a cell over the cell
    limit (:class:`WorkbookRefused`); a damaged zip raises as :data:`DAMAGED` says."""
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
        total = sum(part.file_size for part in parts)
        if total > config.MAX_XLSX_BYTES:
            raise WorkbookRefused(
                f"The workbook unpacks to {total:,} bytes; the limit is "
                f"{config.MAX_XLSX_BYTES:,} (a million-row sheet is about 400,000,000)."
            )
        shared = _shared_strings_parts(archive)
        for part in parts:
            limit = (
                config.MAX_SHARED_STRINGS_BYTES
                if part.filename in shared
                else config.MAX_XLSX_PART_BYTES
            )
            if part.file_size > limit:
                raise WorkbookRefused(
                    f"The workbook's part {part.filename} unpacks to {part.file_size:,} "
                    f"bytes; the limit is {limit:,}."
                )
        for part in parts:
            with archive.open(part) as stream:
                if _longest_text_over(stream, config.MAX_CELL_BYTES):
                    raise WorkbookRefused(
                        f"The workbook has a cell of over {config.MAX_CELL_BYTES:,} bytes (in "
                        f"{part.filename}); the limit is {config.MAX_CELL_BYTES:,} bytes a cell."
                    )


@contextmanager
def open_workbook(path: Path) -> Iterator[Workbook]:
    """A read-only workbook with cached values, screened first (:func:`screen_workbook`),
    every sheet read to its last row whatever its dimension tag says, closed afterwards.

    It is opened from a file object because openpyxl refuses a file name
    without an Excel extension, and uploads are saved under names of our own.
    """
    screen_workbook(path)
    with open(path, "rb") as handle:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        try:
            for sheet in book.worksheets:
                sheet.reset_dimensions()
            yield book
        finally:
            book.close()
