"""NHS England's Acute Daily Discharge Situation Report: Table 4, read and turned into place demand.

Table 4 of each monthly workbook gives the month's discharges by intended
destination (pathways 0 to 3) for England, each region, each integrated care
board (ICB) and each acute trust, in blocks one under another, under a title
and notes, with header text broken over lines and "-" for suppressed cells.
:func:`read_table4` finds the parts by their content rather than by fixed
row numbers, keeps suppressed cells as missing (never zero), and returns one
row per organisation and destination.

Destinations map to service types in ``data/reference/sitrep_destinations.csv``
(reference data, so a lead can change it). Trusts serve several places, so
:func:`place_demand` shares each trust's discharges among places with the
editable trust-to-place share table; :func:`compare_with_records` sets that
beside the place's own referral records.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from capacity import config
from capacity.demand import coverage, monthly_history
from capacity.store import Store
from capacity.validation import FIRST_YEAR, LAST_YEAR, in_years, parse_number
from capacity.xlsx import DAMAGED, WorkbookRefused, open_workbook

DESTINATIONS_FILE = config.REFERENCE_DIR / "sitrep_destinations.csv"
_TITLE = re.compile(r"^\s*([A-Z][a-z]+)\s+(\d{4})\s+-\s+Total number of patients discharged")
_MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        start=1,
    )
}
SHEET = "table 4"
# Far above any trust's monthly discharges to one destination; a larger figure is a slip.
MAX_COUNT = 1_000_000
DISAGREE_MARGIN = 0.25
BREAK_FACTOR = 10.0
# P3b at or above this in a month beside no new P3 admissions looks like new admissions
# filed as P3b (a trust's median of new P3 admissions is about 25 a month).
P3B_LARGE = 20.0


class SitrepError(ValueError):
    """A workbook that is not a readable Table 4; the message says why."""


@dataclass(frozen=True)
class Table4:
    """One month of Table 4 as a tidy table, with cells that could not be read."""

    month: date
    rows: pd.DataFrame
    unreadable: list[tuple[int, str, object]]


def destination_key(text: str) -> str:
    """A destination heading with its line breaks, spacing and punctuation made plain."""
    return " ".join(re.sub(r"[^A-Za-z0-9]+", " ", str(text)).lower().split())


def load_destinations(path: Path = DESTINATIONS_FILE) -> pd.DataFrame:
    """The destination → pathway and service type mapping of the reference data."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table["key"] = table["destination"].map(destination_key)
    table["service_type"] = table["service_type"].replace("", None)
    if table["key"].duplicated().any():
        raise SitrepError(f"{path.name} lists a destination twice")
    return table


def _bounded(year: int, month: int, where: str) -> date:
    """The month's first day when it is a month of 2000 to 2100 (as every other kind's
    months are); else SitrepError naming where the month was read."""
    if not 1 <= month <= 12:
        raise SitrepError(f"{where} is not a month")
    try:
        return in_years(date(max(year, 1), month, 1))
    except ValueError as exc:
        raise SitrepError(
            f"{where} {exc}: SitRep months are of {FIRST_YEAR} to {LAST_YEAR}"
        ) from None


def _month_from(rows: list[tuple], file_name: str) -> date:
    for row in rows[:12]:
        for cell in row:
            match = _TITLE.match(str(cell)) if isinstance(cell, str) else None
            if match and match.group(1) in _MONTHS:
                title = f"Table 4's title month ({match.group(1)} {match.group(2)})"
                return _bounded(int(match.group(2)), _MONTHS[match.group(1)], title)
    found = re.search(r"(\d{4})-(\d{2})", file_name)
    if found:
        where = f"The month in the file name ({found.group(0)})"
        return _bounded(int(found.group(1)), int(found.group(2)), where)
    raise SitrepError(
        'Table 4 has no title naming its month ("<Month> <Year> - Total number '
        'of patients discharged")'
    )


def _header(rows: list[tuple]) -> tuple[int, dict[int, str]]:
    for index, row in enumerate(rows[:30]):
        columns = {
            i: " ".join(str(c).split())
            for i, c in enumerate(row)
            if isinstance(c, str) and re.match(r"^P\d", c.strip())
        }
        if len(columns) >= 3:
            twice = sorted({h for h in columns.values() if list(columns.values()).count(h) > 1})
            if twice:
                # Two columns under one heading would store one organisation's figure twice.
                raise SitrepError(f"Table 4 heads more than one column {twice[0]!r}")
            return index, columns
    raise SitrepError("Table 4 has no row of destination headings (P0 …, P1 …)")


def _value(cell: object) -> tuple[float | None, bool]:
    """A cell's count; missing for '-' (suppressed) or blank; False when unreadable."""
    if cell is None or (isinstance(cell, str) and cell.strip() in ("", "-")):
        return None, True
    if isinstance(cell, bool):
        return None, False
    if isinstance(cell, int | float):
        number = float(cell)
    else:
        try:
            number = parse_number(str(cell))  # "1,234" is a thousand; "12,5" is not read
        except ValueError:
            return None, False
    whole = math.isfinite(number) and number == int(number)
    return (number, True) if whole and 0 <= number <= MAX_COUNT else (None, False)


def _labels(row: tuple) -> list[str]:
    return [str(c).strip() for c in row if isinstance(c, str)]


def read_table4(path: Path, file_name: str | None = None) -> Table4:
    """Read Table 4 of a discharge SitRep workbook; raise SitrepError when it is not one, or
    when it is beyond the reading limits (the workbook's, and Table 4's rows and columns)."""
    name = file_name or Path(path).name
    try:
        with open_workbook(path) as book:
            sheets = {s.strip().lower(): s for s in book.sheetnames}
            rows = _sheet_rows(book[sheets[SHEET]], name) if SHEET in sheets else None
    except SitrepError:
        raise
    except WorkbookRefused as exc:
        raise SitrepError(f"{name}: {exc}") from None
    except DAMAGED as exc:
        raise SitrepError(f"{name} is not a readable Excel workbook ({exc}).") from None
    if rows is None:
        raise SitrepError(
            f"{name} has no sheet called Table 4 (sheets: "
            f"{', '.join(book.sheetnames)}). Is it a discharge SitRep?"
        )
    return _parse(rows, name)


def _sheet_rows(sheet: Any, name: str) -> list[tuple]:
    """Table 4's rows, each without its empty cells at the end; refused beyond
    ``config.MAX_SITREP_ROWS`` rows or ``config.MAX_COLUMNS`` columns."""
    rows: list[tuple] = []
    for row in sheet.iter_rows(values_only=True):
        if len(rows) == config.MAX_SITREP_ROWS:
            raise SitrepError(
                f"{name}: Table 4 has more than {config.MAX_SITREP_ROWS:,} rows; the limit is "
                f"{config.MAX_SITREP_ROWS:,} (it has about 200)."
            )
        end = len(row)
        while end and row[end - 1] is None:
            end -= 1
        if end > config.MAX_COLUMNS:
            raise SitrepError(
                f"{name}: row {len(rows) + 1} of Table 4 has something in {end:,} columns; "
                f"the limit is {config.MAX_COLUMNS:,}."
            )
        rows.append(tuple(row[:end]))
    return rows


def _parse(rows: list[tuple], name: str) -> Table4:
    month = _month_from(rows, name)
    header_at, destinations = _header(rows)
    first_value = min(destinations)
    records, unreadable = [], []
    level, columns = "region", None
    for index in range(header_at + 1, len(rows)):
        row = rows[index] + (None,) * (len(rows[header_at]) - len(rows[index]))
        labels = row[:first_value]
        text = [str(c).strip() for c in labels if isinstance(c, str) and c.strip()]
        if "Region" in text and any("Code" in t for t in text):
            level = "icb" if any(t.startswith("ICB") for t in text) else "trust"
            columns = {t: i for i, t in enumerate(labels) if isinstance(t, str)}
            continue
        if not text:
            continue
        if columns is None:
            org = text[-1]
            kind = "england" if org.upper().startswith("ENGLAND") else "region"
            identity: tuple[str, str, str | None] = (
                "ENGLAND" if kind == "england" else org,
                org,
                None,
            )
        else:
            code_col = next(i for t, i in columns.items() if "Code" in t)
            name_col = next(i for t, i in columns.items() if "Name" in t)
            region_col = columns.get("Region")
            if not str(row[code_col] or "").strip():
                continue  # a note under the block (a source, a footnote), not an organisation
            kind = level
            identity = (
                str(row[code_col]).strip(),
                str(row[name_col]).strip(),
                str(row[region_col]).strip() if region_col is not None else None,
            )
        for col, destination in destinations.items():
            value, ok = _value(row[col])
            if not ok:
                unreadable.append((index + 1, destination, row[col]))
            records.append(
                {
                    "level": kind,
                    "org_code": identity[0],
                    "org_name": identity[1],
                    "region": identity[2],
                    "destination": destination,
                    "discharges": value,
                    "sheet_row": index + 1,
                }
            )
    frame = pd.DataFrame(
        records,
        columns=[
            "level",
            "org_code",
            "org_name",
            "region",
            "destination",
            "discharges",
            "sheet_row",
        ],
    )
    if frame.empty or not (frame["level"] == "trust").any():
        raise SitrepError(f"{name}: Table 4 has no trust rows")
    frame.insert(0, "month", pd.Timestamp(month))
    return Table4(month, frame, unreadable)


# -- turning trust counts into place demand ---------------------------------------------


def destination_map(store: Store, place_codes: list[str]) -> pd.DataFrame:
    """Each place's destination → service type mapping: the reference data, with the place's
    own overrides (table ``sitrep_destination_overrides``) in place of the reference rows
    they name.

    Columns place_code, key, destination, service_type (None: not demand at that place),
    and ``mapped_by`` ("reference data" or "this place's override").
    """
    reference = load_destinations()[["key", "destination", "service_type"]]
    places = pd.DataFrame({"place_code": list(dict.fromkeys(place_codes))})
    table = places.merge(reference, how="cross").assign(mapped_by="reference data")
    overrides = store.query("sitrep_destination_overrides")
    overrides = overrides[overrides["place_code"].isin(places["place_code"])]
    if len(overrides):
        mine = dict(
            zip(
                zip(
                    overrides["place_code"],
                    overrides["destination"].map(destination_key),
                    strict=True,
                ),
                overrides["service_type"],
                strict=True,
            )
        )
        keys = list(zip(table["place_code"], table["key"], strict=True))
        hit = [k in mine for k in keys]
        table.loc[hit, "service_type"] = [mine[k] for k, h in zip(keys, hit, strict=True) if h]
        table.loc[hit, "mapped_by"] = "this place's override"
    table["service_type"] = (
        table["service_type"]
        .astype(object)
        .where(table["service_type"].notna() & table["service_type"].ne(""), None)
    )
    return table


def place_demand(store: Store, place_codes: list[str]) -> pd.DataFrame:
    """Hospital-discharge demand per place, service type and month from the stored SitReps.

    Each trust's discharges to a destination count towards a place in
    proportion to the trust's share for that place (the one query
    ``sitrep_place_demand`` reads the shares); each destination counts as the
    service type the place maps it to (:func:`destination_map`), and destinations
    that are not intermediate care there (home without support, hospice, back
    to a care home) are left out.
    """
    mapping = destination_map(store, place_codes).dropna(subset=["service_type"])
    with store.scratch() as session:
        session.register("destination_map", mapping[["place_code", "key", "service_type"]])
        frame = session.query("sitrep_place_demand", places=list(place_codes))
    frame["month"] = pd.to_datetime(frame["month"])
    return frame


def compare_with_records(
    store: Store, place_codes: list[str], margin: float = DISAGREE_MARGIN
) -> pd.DataFrame:
    """SitRep-based and record-based hospital-discharge demand side by side, with flags."""
    sitrep = place_demand(store, place_codes)
    history = monthly_history(store, place_codes)
    records = (
        history[history["source"] == "hospital"]
        .groupby(["place_code", "service_type", "month"], as_index=False)["referrals"]
        .sum()
    )
    both = sitrep.merge(records, on=["place_code", "service_type", "month"], how="left")
    both = both.rename(columns={"referrals": "records", "discharges": "sitrep"})
    # A month the place's records cover but with no referral of this type had none.
    cover = coverage(store, list(place_codes)).set_index("place_code")
    first = both["place_code"].map(cover["first_month"])
    last = both["place_code"].map(cover["last_month"])
    covered = (both["month"] >= first) & (both["month"] <= last)
    both["records"] = both["records"].where(both["records"].notna() | ~covered, 0.0)
    both["difference"] = (both["sitrep"] - both["records"]) / both["records"].where(
        both["records"] > 0
    )
    both["flag"] = [
        _disagreement(s, r, d, margin)
        for s, r, d in zip(both["sitrep"], both["records"], both["difference"], strict=True)
    ]
    return both.sort_values(["place_code", "service_type", "month"]).reset_index(drop=True)


def _disagreement(sitrep: float, records: float, difference: float, margin: float) -> str:
    if pd.isna(records):
        return "no local records for this month"
    if pd.isna(sitrep):
        return "no SitRep figure (suppressed or missing)"
    if pd.isna(difference):
        return "local records show none" if sitrep >= 0.5 else ""
    if abs(difference) > margin:
        return f"differ by {difference:+.0%}"
    return ""


def reporting_breaks(store: Store, factor: float = BREAK_FACTOR) -> pd.DataFrame:
    """Trust months that jump or fall ``factor``-fold from the calendar month before: likely
    breaks. A month whose month before is not loaded is not judged (never against an older
    one)."""
    return store.query("sitrep_breaks", factor=factor)


def p3_reported_as_p3b(store: Store, least: float = P3B_LARGE) -> pd.DataFrame:
    """Trust months with no new P3 care home admissions beside ``least`` or more P3b.

    P3b is people going back to the care home they already lived in, not new demand, so a
    trust that files its new admissions there (Mid and South Essex's RAJ, every month of
    2022–2024) shows no demand for short-term P3 beds; the months are flagged, not mended.
    """
    frame = store.query("sitrep_p3_missing", least=least)
    frame["month"] = pd.to_datetime(frame["month"])
    return frame
