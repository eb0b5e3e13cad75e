"""Words and figures for the screen: column labels, value labels and rounded numbers.

The store, the plan frame and the CSV files keep their column names
(``mean_los_days``) and unrounded figures; a person reading a page sees words,
units, blanks and whole people. This module is the one place that says how:

- :data:`COLUMN_LABELS` names every column a page shows from the store. Labels
  are unique, so an editor that shows labels still saves to the right column
  (:func:`column_of` turns a label back into its column).
- :func:`people`, :func:`signed_people` and :func:`average_people` round a
  count of people for reading and never show "-0"; a mean keeps one decimal
  and says "on average", since a fraction of a person is only meaningful there.
- :func:`rounded` rounds figures inside a table for display, turning -0.0 into 0.

Nothing here reads the store or computes a figure; it only formats.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import cast

import numpy as np
import pandas as pd

from capacity.methods import METHOD_KEYS, METHOD_LABELS

__all__ = [
    "COLUMN_LABELS",
    "IMPORT_KINDS",
    "METHOD_KEYS",
    "average_people",
    "column_labels",
    "column_of",
    "figure",
    "import_kind",
    "method_label",
    "named",
    "people",
    "plural",
    "rounded",
    "rounded_value",
    "signed_people",
]

# Each column a page shows from the store or the plan frame, in words with its unit.
COLUMN_LABELS: dict[str, str] = {
    # service parameters
    "service_id": "Service",
    "place_code": "Place",
    "method": "How capacity is worked out",
    "caseload": "Caseload (people at once)",
    "mean_los_days": "Mean length of stay (days)",
    "hours_per_month": "Hours a month",
    "hours_per_package_per_month": "Hours per package a month",
    "throughput": "Throughput (people)",
    "throughput_unit": "Throughput per",
    "hospital_share": "Hospital share",
    "contract_share": "Contract share",
    "target_occupancy": "Target occupancy",
    "spot_ceiling_per_month": "Spot purchase ceiling a month",
    "valid_from": "In force from",
    "valid_to": "In force until",
    "source_note": "Source note",
    # trust-to-place shares
    "trust_code": "Trust code",
    "share": "Share of the trust's discharges",
    # SitRep against local records
    "service_type": "Service type",
    "month": "Month",
    "sitrep": "From SitRep",
    "records": "Local records",
    "difference": "Difference",
    "flag": "Flag",
    "org_code": "Organisation code",
    "org_name": "Trust",
    "destination": "Destination",
    "previous": "Month before",
    "discharges": "Discharges",
    "ratio": "Ratio to the month before",
    "p3_new": "New P3 care home admissions",
    "p3b": "P3b: back to their own care home",
    "mapped_by": "Mapped by",
    "demand_source": "Demand from",
    # the import log
    "import_id": "Import",
    "kind": "What was loaded",
    "file_name": "File",
    "rows_read": "Rows read",
    "rows_loaded": "Rows loaded",
    "rows_rejected": "Rows refused",
    "loaded_by": "Loaded by",
    "loaded_at": "Loaded at",
    "note": "Note",
    "undone_at": "Undone at",
}

# What each kind of import is called in the import log.
IMPORT_KINDS: dict[str, str] = {
    "referrals": "Referral records",
    "parameters": "Service parameters",
    "counts": "Monthly demand counts",
    "shares": "Trust-to-place shares",
    "services": "Services and their places",
    "sitrep": "NHS England discharge SitRep",
    "destinations": "SitRep destination mapping",
    "demo": "Demo data",
    "reference": "England's reference data",
    "workspace": "The workspace's own places",
    "demo referrals": "Demo referral records",
}


def column_labels(columns: Iterable[str]) -> dict[str, str]:
    """The label of each column; an unlabelled column fails loudly rather than show its code."""
    columns = list(columns)
    missing = [c for c in columns if c not in COLUMN_LABELS]
    if missing:
        raise KeyError(
            f"no label for the column(s) {', '.join(missing)}: add them to "
            "capacity.display.COLUMN_LABELS"
        )
    return {c: COLUMN_LABELS[c] for c in columns}


def column_of(label: str) -> str:
    """The column a label names (labels are unique, so this is the inverse of the labels)."""
    found = [c for c, text in COLUMN_LABELS.items() if text == label]
    if len(found) != 1:
        raise KeyError(f"{label!r} names {len(found)} columns, not one")
    return found[0]


def method_label(method: object) -> str:
    """'Caseload × days ÷ length of stay' for 'caseload'; '' when missing."""
    if not isinstance(method, str):
        return ""
    return METHOD_LABELS.get(method, method)


def import_kind(kind: object) -> str:
    """What an import log's kind is called on screen."""
    return IMPORT_KINDS.get(kind, str(kind)) if isinstance(kind, str) else ""


def named(values: pd.Series, names: Mapping[str, str]) -> pd.Series:
    """Codes replaced by their names (a code with no name is kept; missing stays missing)."""
    return values.map(lambda v: names.get(v, v) if isinstance(v, str) else v)


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 month', '2 months' (``many`` for an irregular plural)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def _missing(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or value is pd.NA
        or value is pd.NaT
    )


def _half_away(value: float, decimals: int = 0) -> float:
    """Rounded half away from zero (as people round), with -0.0 made 0.0."""
    scale = 10.0**decimals
    rounded = math.copysign(math.floor(abs(value) * scale + 0.5) / scale, value)
    return rounded + 0.0


def rounded_value(value: float, decimals: int = 0) -> float:
    """A figure rounded half away from zero for display, with -0.0 made 0.0."""
    return _half_away(float(value), decimals)


def people(value: float | None) -> str:
    """A number of people, whole: '130' for 129.7, '0' for -0.3, '' when missing."""
    if _missing(value):
        return ""
    return f"{_half_away(float(cast(float, value))):,.0f}"


def signed_people(value: float | None) -> str:
    """A change or gap in whole people with its sign: '+4', '−56', '0' (never '-0')."""
    if _missing(value):
        return ""
    whole = _half_away(float(cast(float, value)))
    if whole == 0:
        return "0"
    return f"{'+' if whole > 0 else '−'}{abs(whole):,.0f}"


def average_people(value: float | None, decimals: int = 1) -> str:
    """A mean number of people, where a fraction means something: '23.8 on average'."""
    if _missing(value):
        return ""
    return f"{_half_away(float(cast(float, value)), decimals):,.{decimals}f} on average"


def figure(value: object, max_decimals: int = 1) -> str:
    """A stated figure as typed: '61' for 61.0, '41.7', '' when missing."""
    if _missing(value):
        return ""
    text = f"{_half_away(float(cast(float, value)), max_decimals):,.{max_decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def rounded(frame: pd.DataFrame, decimals: Mapping[str, int]) -> pd.DataFrame:
    """A copy with the named columns rounded for display and -0.0 turned into 0.

    Half away from zero, like :func:`people`; missing values stay missing.
    """
    out = frame.copy()
    for column, places in decimals.items():
        values = pd.to_numeric(out[column], errors="coerce").to_numpy(float)
        scale = 10.0**places
        whole = np.sign(values) * np.floor(np.abs(values) * scale + 0.5) / scale
        out[column] = whole + 0.0
    return out


def as_percentages(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy with shares (0–1) in ``columns`` written as percentages (0–100) for a table."""
    return frame.assign(**{c: frame[c].astype(float) * 100 for c in columns})


def as_people_short(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy with gaps (negative: short) in ``columns`` written as people short (positive)."""
    return frame.assign(**{c: -frame[c].astype(float) for c in columns})
