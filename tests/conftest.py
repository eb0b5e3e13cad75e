"""Shared fixtures: the demo database (built once per run) and small hand-made stores."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from capacity import config
from capacity.demo import build_demo_database
from capacity.formulas import days_in_month
from capacity.reference import REFERENCE_FILES, read_tables
from capacity.store import Store

SHARED_DATA = config.PROJECT_ROOT.parent / "shared" / "data"

# No property test may fail for being slow: a loaded machine (CI, two cores) can take a
# single example past Hypothesis's 200 ms default, and tests must not depend on timing.
settings.register_profile("untimed", deadline=None)
settings.load_profile("untimed")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A freshly built demo database file, shared by the whole test run (read it only)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo_database(path)
    return path


@pytest.fixture
def writable_db(demo_db, tmp_path) -> Path:
    """A private copy of the demo database that a test may change."""
    copy = tmp_path / "writable.duckdb"
    shutil.copyfile(demo_db, copy)
    return copy


@pytest.fixture(scope="session")
def demo_store(demo_db):
    """The demo database, opened read-only."""
    with Store.open(demo_db, read_only=True) as store:
        yield store


PLACES = pd.DataFrame(
    [
        {
            "place_code": "SYS",
            "name": "Test System",
            "kind": "system",
            "parent_system": None,
            "population_65plus": None,
            "source_note": "test",
        },
        {
            "place_code": "A",
            "name": "Place A",
            "kind": "hwb",
            "parent_system": "SYS",
            "population_65plus": 30000,
            "source_note": "test",
        },
        {
            "place_code": "B",
            "name": "Place B",
            "kind": "hwb",
            "parent_system": "SYS",
            "population_65plus": 10000,
            "source_note": "test",
        },
    ]
)

PARAMETER_DEFAULTS = {
    "place_code": None,
    "caseload": None,
    "mean_los_days": None,
    "hours_per_month": None,
    "hours_per_package_per_month": None,
    "throughput": None,
    "throughput_unit": None,
    "hospital_share": None,
    "contract_share": 1.0,
    "target_occupancy": None,
    "spot_ceiling_per_month": None,
    "valid_to": None,
    "source_note": "test",
}


def estimate(code: str, band: str) -> float:
    """A place's ONS mid-2023 estimate for an age band, read straight from the shipped file."""
    table = pd.read_csv(config.REFERENCE_DIR / "population.csv")
    row = table[
        (table["code"] == code)
        & (table["age_band"] == band)
        & (table["measure"] == "estimate")
        & (table["year"] == 2023)
    ]
    return float(row["population"].item())


def parameters(*rows: dict) -> pd.DataFrame:
    """Parameter rows with the unstated columns filled in."""
    full = [PARAMETER_DEFAULTS | row for row in rows]
    frame = pd.DataFrame(full)
    for column in ("valid_from", "valid_to"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def referrals(rows: list[tuple]) -> pd.DataFrame:
    """Referral rows from tuples.

    Each is (id, place, service_type, service_id, source, referral_date[, start, end]).
    """
    out = []
    for row in rows:
        rid, place, stype, sid, source, ref, *episode = row
        start, end = (episode + [None, None])[:2]
        out.append(
            {
                "referral_id": rid,
                "place_code": place,
                "service_type": stype,
                "service_id": sid,
                "source": source,
                "pathway": None,
                "referral_date": pd.Timestamp(ref),
                "start_date": pd.Timestamp(start) if start else pd.NaT,
                "end_date": pd.Timestamp(end) if end else pd.NaT,
                "referring_trust": None,
            }
        )
    return pd.DataFrame(out)


def make_store(
    services: list[dict],
    links: list[tuple],
    params: pd.DataFrame,
    refs: pd.DataFrame | None = None,
    counts: pd.DataFrame | None = None,
    places: pd.DataFrame = PLACES,
) -> Store:
    """An in-memory store with the real reference data, places A and B in system SYS (or the
    given ``places``), and the given services, service–place links (service_id, place_code,
    share), parameters, referrals and monthly counts."""
    store = Store.open(None)
    reference = read_tables(store.read_csv, config.REFERENCE_DIR, REFERENCE_FILES)
    with store.transaction() as tx:
        tx.insert_frame("service_types", reference["service_types"])
        tx.insert_frame("service_type_labels", reference["service_type_labels"])
        tx.insert_frame("places", places)
        tx.insert_frame(
            "services",
            pd.DataFrame(
                [
                    {"provider": "test", "contract": "block", "source_note": "test"} | s
                    for s in services
                ]
            ),
        )
        tx.insert_frame(
            "service_places",
            pd.DataFrame(
                [{"service_id": s, "place_code": p, "place_share": share} for s, p, share in links]
            ),
        )
        tx.insert_frame("service_parameters", params)
        if refs is not None:
            tx.insert_frame("referrals", refs)
        if counts is not None:
            tx.insert_frame("monthly_demand", counts)
    return store


def monthly_referrals(
    place: str,
    stype: str,
    sid: str | None,
    source: str,
    per_month: dict[str, int],
    prefix: str = "R",
) -> pd.DataFrame:
    """Referral records: ``per_month`` maps 'YYYY-MM' to a count, spread from the 1st to the
    last day of the month (so a month with two or more counts is fully covered)."""
    rows = []
    for key, count in per_month.items():
        year, month = (int(p) for p in key.split("-"))
        last = days_in_month(year, month)
        for n in range(count):
            day = 1 + round(n * (last - 1) / (count - 1)) if count > 1 else 1
            rows.append(
                (
                    f"{prefix}-{place}-{stype}-{sid}-{source}-{key}-{n}",
                    place,
                    stype,
                    sid,
                    source,
                    date(year, month, day),
                )
            )
    return referrals(rows)


def full_years(first_year: int, last_year: int, level: int) -> dict[str, int]:
    """``level`` referrals in every month of planning years first_year..last_year."""
    out = {}
    for py in range(first_year, last_year + 1):
        for month in [*range(4, 13), 1, 2, 3]:
            year = py + (month < 4)
            out[f"{year}-{month:02d}"] = level
    return out
