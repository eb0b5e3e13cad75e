"""CSV bytes that are safe to open in a spreadsheet: any table, and the plan frame."""

from __future__ import annotations

import pandas as pd

from capacity.plan import PLAN_COLUMNS
from capacity.validation import looks_like_formula
from capacity.workforce import WORKFORCE_COLUMNS, Assumptions, workforce_frame

CSV_COLUMNS = [*PLAN_COLUMNS, *WORKFORCE_COLUMNS]


def defused(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which text that a spreadsheet would run as a formula (see
    :func:`capacity.validation.looks_like_formula`) starts with an apostrophe, so it opens as
    the text it is."""
    out = frame.copy()
    for column in out.select_dtypes(include=["object", "string"]).columns:
        out[column] = out[column].map(
            lambda v: "'" + v if isinstance(v, str) and looks_like_formula(v) else v
        )
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Any table as UTF-8 CSV, safe to open in a spreadsheet (see :func:`defused`)."""
    return defused(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")


def plan_csv(frame: pd.DataFrame, workforce: Assumptions | None = None) -> bytes:
    """The plan frame as UTF-8 CSV: every column, months as YYYY-MM, figures unrounded.

    After the plan's columns come the workforce columns (:mod:`capacity.workforce`):
    for rows planned by hours, the gap in care hours a month and in FTE with the
    assumptions used (``workforce``, else the England-wide defaults) and their source;
    empty for other rows.
    """
    rows = frame[PLAN_COLUMNS]
    return csv_bytes(pd.concat([rows, workforce_frame(rows, workforce)], axis=1)[CSV_COLUMNS])
