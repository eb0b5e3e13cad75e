"""What every page shares: the database at the app edge, cached reads, and formatting.

Caching lives here, never in ``capacity/``. The database is opened only for a
read that misses the cache, and closed at once, so the command line can use
the same file while the app runs. Cached results are keyed on the file's
modification time, so a change made by any program shows on the next rerun.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

from capacity import config
from capacity.demo import ensure_database
from capacity.periods import planning_year_of
from capacity.plan import places_in, plan_for
from capacity.store import Store


@st.cache_resource(show_spinner="Building the demo database (first run only)…")
def database_path() -> Path:
    """The database file, built from the demo data if there is none yet."""
    path = config.db_path()
    ensure_database(path)
    return path


def data_version(path: Path) -> int:
    """Changes whenever the database file is written."""
    return os.stat(path).st_mtime_ns


@st.cache_data(show_spinner=False, max_entries=8)
def places_table(path: Path, version: int) -> pd.DataFrame:
    """All places and systems."""
    with Store.open(path, read_only=True) as store:
        return store.query("places")


@st.cache_data(show_spinner="Building the plan…", max_entries=64)
def plan_table(path: Path, version: int, place_code: str, year: int) -> pd.DataFrame:
    """The plan frame for a place or system."""
    with Store.open(path, read_only=True) as store:
        return plan_for(store, place_code, year)


def current_planning_year() -> int:
    """The planning year today falls in."""
    return planning_year_of(pd.Timestamp.today().date())


def member_codes(places: pd.DataFrame, code: str) -> list[str]:
    """The places a place or system code stands for."""
    return places_in(places, code)
