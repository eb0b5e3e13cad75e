"""What the Data page lists and does: imports checked and loaded, parameters and shares for
the editors, SitRep against local records, the import log and undo."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from capacity import ingest
from capacity.demand_settings import (
    DEMAND_SOURCES,
    GROWTH_METHODS,
    SettingError,
    read_settings,
    settings_table,
)
from capacity.export import csv_bytes
from capacity.ingest import KINDS, ImportFileError, Report, Staged, stage_file
from capacity.reference import PARAMETERS
from capacity.sitrep import (
    compare_with_records,
    destination_map,
    p3_reported_as_p3b,
    reporting_breaks,
)
from capacity.store import StoreError
from capacity.views._db import Database, reading, writing

__all__ = [
    "DEMAND_SOURCES",
    "GROWTH_METHODS",
    "KINDS",
    "ImportFileError",
    "Report",
    "SettingError",
    "SitrepView",
    "Staged",
    "StoreError",
    "check_file",
    "csv_bytes",
    "demand_settings",
    "destination_mapping",
    "import_log",
    "load_file",
    "parameters_of",
    "save_demand_settings",
    "sitrep_view",
    "stage_file",
    "trust_shares",
    "undo_last_import",
]


def check_file(db: Database, staged: Staged) -> Report:
    """What loading a staged file would do, without loading it."""
    with reading(db) as store:
        return ingest.check(store, staged)


def load_file(db: Database, staged: Staged, **options) -> ingest.LoadResult:
    """Load a staged file (options as :func:`capacity.ingest.load` takes them)."""
    with writing(db) as store:
        return ingest.load(store, staged, **options)


def parameters_of(db: Database, service_id: str) -> pd.DataFrame:
    """A service's parameter rows as the editor shows them, dates as dates."""
    with reading(db) as store:
        rows = store.query("all_parameters")
    rows = rows[rows["service_id"] == service_id][[c.name for c in PARAMETERS]]
    rows["valid_from"] = pd.to_datetime(rows["valid_from"]).dt.date
    rows["valid_to"] = pd.to_datetime(rows["valid_to"]).dt.date
    return rows


def demand_settings(db: Database) -> pd.DataFrame:
    """The demand window, growth and source per place and service type, as the editor shows
    them (growth rate as a percentage; blank place or type means every one; blank source:
    chosen by the product)."""
    with reading(db) as store:
        rows = store.query("demand_settings")
    return rows.assign(growth_rate=rows["growth_rate"].astype(float) * 100)


def save_demand_settings(db: Database, edited: pd.DataFrame) -> int:
    """Replace the demand settings with an editor's rows (growth rate as a percentage).

    Every row is checked first (window 1–3, a known method, a rate above −100% and at most
    +100% for the flat method only, known places and types, no key twice); a bad row raises
    SettingError naming it and nothing is saved. Returns the number of rows saved.
    """
    rows = edited.dropna(how="all").copy()
    rate = pd.to_numeric(rows["growth_rate"], errors="coerce") / 100
    bad = rows["growth_rate"].notna() & rate.isna() & rows["growth_rate"].astype(str).ne("")
    if bad.any():
        raise SettingError(
            f"Demand setting row {int(bad.to_numpy().argmax()) + 1}: the growth "
            f"rate {rows['growth_rate'][bad].iloc[0]!r} is not a number"
        )
    rows["growth_rate"] = rate
    with writing(db) as store:
        places = store.query("places")
        types = store.query("service_types")
        settings = read_settings(
            rows,
            set(places.loc[places["kind"] != "system", "place_code"]),
            set(types["service_type"]),
        )
        with store.transaction() as tx:
            tx.execute("delete_demand_settings")
            tx.insert_frame("demand_settings", settings_table(settings))
    return len(settings)


def destination_mapping(db: Database, place_code: str) -> pd.DataFrame:
    """A place's SitRep destination → service type mapping as the editor shows it: every
    destination of Table 4, the service type it feeds there (blank: not demand), and whether
    that comes from the reference data or the place's own override."""
    with reading(db) as store:
        table = destination_map(store, [place_code])
    return table[["place_code", "destination", "service_type", "mapped_by"]].reset_index(drop=True)


def trust_shares(db: Database) -> pd.DataFrame:
    """Every trust's share of discharges by place of residence."""
    with reading(db) as store:
        return store.query("trust_place_shares")


@dataclass(frozen=True)
class SitrepView:
    """SitRep months loaded, their comparison with local records, and likely reporting breaks."""

    months: pd.DataFrame
    compared: pd.DataFrame
    breaks: pd.DataFrame
    # trust months with no new P3 admissions beside a large P3b (capacity.sitrep)
    p3_as_p3b: pd.DataFrame


def sitrep_view(db: Database, codes: list[str]) -> SitrepView | None:
    """SitRep against local records for some places (None when no SitRep is loaded).

    ``difference`` in the comparison is a percentage (the store keeps a fraction).
    """
    with reading(db) as store:
        months = store.query("sitrep_months")
        if months.empty:
            return None
        compared = compare_with_records(store, codes)
        breaks = reporting_breaks(store)
        p3 = p3_reported_as_p3b(store)
    compared = compared.assign(
        month=compared["month"].dt.strftime("%Y-%m"), difference=compared["difference"] * 100
    )
    return SitrepView(months, compared, breaks, p3)


def import_log(db: Database) -> pd.DataFrame:
    """Every import, newest first."""
    with reading(db) as store:
        return ingest.import_log(store)


def undo_last_import(db: Database) -> str:
    """Take the last import back out; the message says what was undone."""
    with writing(db) as store:
        return ingest.undo_last(store)


def write_edits(frame: pd.DataFrame, folder: Path, name: str) -> Path:
    """An editor's rows as a CSV file to import."""
    path = folder / name
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path
