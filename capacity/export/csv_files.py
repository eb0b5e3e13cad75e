"""CSV bytes that are safe to open in a spreadsheet: any table, and the plan frame."""

from __future__ import annotations

import pandas as pd

from capacity.plan import PLAN_COLUMNS
from capacity.validation import looks_like_formula


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


def plan_csv(frame: pd.DataFrame) -> bytes:
    """The plan frame as UTF-8 CSV: every column, months as YYYY-MM, figures unrounded."""
    return csv_bytes(frame[PLAN_COLUMNS])
