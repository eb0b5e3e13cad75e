"""Opening .xlsx workbooks read-only, whatever the file is called."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook

# What a damaged, truncated or non-workbook file raises on the way in.
DAMAGED = (zipfile.BadZipFile, KeyError, OSError, ValueError, InvalidFileException)


@contextmanager
def open_workbook(path: Path) -> Iterator[Workbook]:
    """A read-only workbook with cached values, closed afterwards.

    It is opened from a file object because openpyxl refuses a file name
    without an Excel extension, and uploads are saved under names of our own.
    """
    with open(path, "rb") as handle:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        try:
            yield book
        finally:
            book.close()
