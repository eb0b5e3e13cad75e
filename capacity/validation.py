"""Row-level validation of tabular input: typed columns and readable problems.

A table arrives as text (every cell a string or missing). :func:`coerce`
turns it into typed columns and lists every problem with its row number (as a
spreadsheet shows it, counting the header as row 1), column, value and reason,
so a user can find and fix each one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

TRUE_TEXT = {"true", "yes", "y", "1"}
FALSE_TEXT = {"false", "no", "n", "0"}


# What a spreadsheet runs as a formula: text starting with =, + or @ (after spaces), or with
# a tab or carriage return, or with - and more after it; and the dynamic data exchange shape
# app|'topic'!item anywhere, which a formula hidden behind a prefix calls to run a program.
# The same rule is written for DuckDB in capacity/sql/queries/staging.sql (referrals), whose
# regular expressions know ASCII letters, digits and spaces only: so do these.
_FORMULA = re.compile(r"(?s)^[\t\r]|^\s*[=+@]|^\s*-\s*\S|\w\|.*!", re.ASCII)
# A negative number is text starting with - that is not a formula: -5, -0.25, -1,000, -2e3.
_NEGATIVE_NUMBER = re.compile(r"\s*-(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*", re.ASCII)


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would run this text as a formula: it starts (after spaces) with
    =, + or @, or with a tab or carriage return, or with - other than a plain negative number
    ('-5' is a number; '-2+3+cmd' is a formula), or it holds the dynamic data exchange shape
    ``cmd|' /C calc'!A0``. A hyphen inside text (Barking-Havering) is not a formula."""
    return bool(_FORMULA.search(text)) and not _NEGATIVE_NUMBER.fullmatch(text)


# Control characters other than tab, line feed and carriage return: not text anyone types,
# and a spreadsheet file cannot hold them (an export would fail on the cell). A NUL byte
# deep in a file, where the screening for binary files does not look, arrives as one.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CONTROL_REASON = "holds a control character (such as a NUL byte), which is not text"


def has_control_character(text: str) -> bool:
    """Whether text holds a control character other than tab, line feed or carriage return."""
    return bool(_CONTROL.search(text))


@dataclass(frozen=True)
class Column:
    """What one column must hold.

    ``kind`` is one of text, int, float, date, bool. ``choices`` restricts a
    text column; ``minimum``/``maximum`` bound numbers (``above`` makes the
    minimum exclusive).
    """

    name: str
    kind: str = "text"
    required: bool = True
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    above: bool = False


@dataclass(frozen=True)
class Problem:
    """One reason a row was refused."""

    row: int
    column: str
    value: str
    reason: str
    file: str = ""

    def __str__(self) -> str:
        where = f"{self.file} " if self.file else ""
        shown = f" {self.value!r}" if self.value != "" else ""
        return f"{where}row {self.row}, {self.column}{shown}: {self.reason}"


@dataclass
class ValidationError(ValueError):
    """Input that failed validation; ``problems`` lists every bad cell."""

    what: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.what}: {len(self.problems)} problem(s)"]
        lines += [f"  - {p}" for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"  ... and {len(self.problems) - 50} more")
        return "\n".join(lines)


def row_number(index: int) -> int:
    """The spreadsheet row of a 0-based data row (the header is row 1)."""
    return index + 2


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


# Every date and month a file brings is of these years, as referral dates are: a typing slip
# such as 9999-12 or 1900-01 would otherwise overflow the month arithmetic or offer a
# century of planning years.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def in_years(day: date) -> date:
    """The day itself when its year is 2000 to 2100; else ValueError saying which side."""
    if day.year < FIRST_YEAR:
        raise ValueError(f"is before {FIRST_YEAR}")
    if day.year > LAST_YEAR:
        raise ValueError(f"is after {LAST_YEAR}")
    return day


def parse_date(text: str) -> date:
    """Read an ISO (2025-04-01) or UK (01/04/2025) date of 2000 to 2100."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            found = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return in_years(found)
    raise ValueError("is not a date (use 2025-04-01 or 01/04/2025)")


_MONTH = re.compile(r"^(\d{4})-(\d{2})(-01)?$|^01/(\d{2})/(\d{4})$")


def parse_month(text: str) -> date:
    """Read a month of 2000 to 2100 as its first day: 2025-04, 2025-04-01 or 01/04/2025 (no
    other day)."""
    match = _MONTH.match(text.strip())
    if not match:
        raise ValueError("is not a month (use 2025-04 or 2025-04-01)")
    year, month = (
        (match.group(1), match.group(2)) if match.group(1) else (match.group(5), match.group(4))
    )
    if not 1 <= int(month) <= 12:
        raise ValueError("is not a month (use 2025-04 or 2025-04-01)")
    return in_years(date(int(year), int(month), 1))


# A number as a file may write it, by its decimal mark: digits with at most one decimal mark,
# or the other mark separating thousands in groups of three (1,234.5 or 1.234,5). A file with
# decimal points may also write an exponent (1e-05), as a workbook's cells come out.
_NUMBER = {
    ".": re.compile(r"^[+-]?(\d{1,3}(,\d{3})+(\.\d*)?|\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"),
    ",": re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+,\d*|\d{1,3}(\.\d{3}){2,}|\d+,?\d*|,\d+)$"),
}
# One point before three digits: thousands in a file with decimal commas, or a decimal written
# with a point; which one cannot be told.
_PLAIN_POINT = re.compile(r"^[+-]?(?:\d*\.(?:\d{1,2}|\d{4,})|0\.\d+)$")
_POINTS_ONLY = re.compile(r"^[+-]?\d{1,3}\.\d{3}$")
_NOT_FINITE = {"inf", "infinity", "nan"}


def parse_number(text: str, decimal: str = ".") -> float:
    """Read a number written with ``decimal`` as its decimal mark ("." or ","); the other mark
    is read only as a thousands separator in groups of three, and never deleted: a number
    that could be misread ("12,5" with decimal points, "1.250" with decimal commas) is
    refused with the reason."""
    text = text.strip()
    if _NUMBER[decimal].match(text):
        if decimal == ",":
            text = text.replace(".", "").replace(",", ".")
        return float(text.replace(",", ""))
    if text.lstrip("+-").lower() in _NOT_FINITE:
        raise ValueError("is not a finite number")
    if decimal == "." and "," in text and re.fullmatch(r"[+-]?[\d.,]+", text):
        raise ValueError(
            "is not a number as written: a comma may only separate thousands (1,234); "
            "a decimal is written with a point (12.5)"
        )
    if decimal == "," and _PLAIN_POINT.match(text):
        # One point that cannot be a thousands separator (a separator groups three digits
        # after a non-zero lead): the file's writer used a decimal point here, as tools
        # writing semicolon files often do, so 0.4 and 12.5 read as written.
        return float(text)
    if decimal == "," and _POINTS_ONLY.match(text):
        raise ValueError(
            "could be read two ways: a file separated by semicolons writes decimals with a "
            "comma (12,5), so write thousands without a point (1250)"
        )
    if decimal == "," and "." in text and re.fullmatch(r"[+-]?[\d.,]+", text):
        raise ValueError(
            "has a decimal point, but a file separated by semicolons writes decimals with a "
            "comma (12,5)"
        )
    raise ValueError("is not a number")


def _convert(column: Column, text: str, decimal: str = ".") -> object:
    if column.kind == "text":
        if column.choices and text not in column.choices:
            raise ValueError("must be one of " + ", ".join(column.choices))
        return text
    if column.kind == "bool":
        low = text.lower()
        if low in TRUE_TEXT:
            return True
        if low in FALSE_TEXT:
            return False
        raise ValueError("must be true or false")
    if column.kind == "date":
        return parse_date(text)
    number = parse_number(text, decimal)
    if not math.isfinite(number):
        raise ValueError("is not a finite number")
    if column.kind == "int":
        if number != int(number):
            raise ValueError("must be a whole number")
        number = int(number)
    _check_bounds(column, number)
    return number


def _check_bounds(column: Column, number: float) -> None:
    low, high = column.minimum, column.maximum
    if low is not None and (number <= low if column.above else number < low):
        raise ValueError(f"must be {'greater than' if column.above else 'at least'} {low:g}")
    if high is not None and number > high:
        raise ValueError(f"must be at most {high:g}")


def coerce(
    frame: pd.DataFrame, columns: list[Column], what: str, decimal: str = "."
) -> pd.DataFrame:
    """Typed copy of ``frame`` with exactly ``columns``; raise ValidationError listing all problems.

    Numbers are read with ``decimal`` as their decimal mark (:func:`parse_number`).

    Missing required columns are reported once; unknown extra columns are
    refused too, because a misspelt header would otherwise be silently ignored.
    """
    wanted = [c.name for c in columns]
    missing = [c.name for c in columns if c.required and c.name not in frame.columns]
    extra = [c for c in frame.columns if c not in wanted]
    problems = [Problem(1, name, "", "required column is missing", what) for name in missing]
    problems += [Problem(1, name, "", "unknown column", what) for name in extra]
    if problems:
        raise ValidationError(what, problems)
    out: dict[str, list[object]] = {c.name: [] for c in columns}
    for index, row in enumerate(frame.to_dict("records")):
        for column in columns:
            raw = row.get(column.name)
            if _blank(raw):
                if column.required:
                    problems.append(
                        Problem(row_number(index), column.name, "", "is required", what)
                    )
                out[column.name].append(None)
                continue
            text = str(raw).strip()
            try:
                out[column.name].append(_convert(column, text, decimal))
            except ValueError as exc:
                problems.append(Problem(row_number(index), column.name, text, str(exc), what))
                out[column.name].append(None)
    if problems:
        raise ValidationError(what, problems)
    return pd.DataFrame({c.name: _typed(c, out[c.name]) for c in columns}, columns=wanted)


def _typed(column: Column, values: list[object]) -> pd.Series:
    if column.kind == "float":
        return pd.Series(values, dtype="float64")
    if column.kind == "int":
        return pd.Series(values, dtype="Int64")
    if column.kind == "bool":
        return pd.Series(values, dtype="boolean")
    if column.kind == "date":
        return pd.Series(pd.to_datetime(pd.Series(values, dtype="object")), dtype="datetime64[s]")
    return pd.Series(values, dtype="object")
