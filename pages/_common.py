"""What every page shares: the database at the app edge, cached reads, the view settings.

Caching lives here, never in ``capacity/``. The database is opened only for a
read that misses the cache, and closed at once, so the command line can use
the same file while the app runs. Cached results are keyed on the file's
modification time, so a change made by any program shows on the next rerun.
Cached frames are shared between sessions: pages never change them in place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from capacity import config
from capacity.charts import gap_chart
from capacity.demand import coverage, monthly_history
from capacity.demo import ensure_database
from capacity.observed import compare_with_stated
from capacity.periods import planning_year_label, planning_year_of
from capacity.plan import places_in, plan_for_all
from capacity.store import Store
from capacity.summary import SOURCE_LABELS, by_service_type
from pages._state import Param


@st.cache_resource(show_spinner="Building the demo database (first run only)…")
def database_path() -> Path:
    """The database file, built from the demo data if there is none yet."""
    path = config.db_path()
    ensure_database(path)
    return path


def data_version(path: Path) -> int:
    """Changes whenever the database file is written."""
    return os.stat(path).st_mtime_ns


@st.cache_data(show_spinner=False, max_entries=4)
def places_table(path: Path, version: int) -> pd.DataFrame:
    """All places and systems, with each system's population as the sum of its places'."""
    with Store.open(path, read_only=True) as store:
        places = store.query("places")
    members = places[places["kind"] != "system"].groupby("parent_system")["population_65plus"]
    totals = members.sum(min_count=1)
    is_system = places["kind"] == "system"
    places.loc[is_system, "population_65plus"] = places.loc[is_system, "place_code"].map(totals)
    return places


@st.cache_data(show_spinner=False, max_entries=4)
def service_types_table(path: Path, version: int) -> pd.DataFrame:
    """Service types in plan order."""
    with Store.open(path, read_only=True) as store:
        return store.query("service_types")


@st.cache_data(show_spinner=False, max_entries=4)
def year_range(path: Path, version: int) -> list[int]:
    """Planning years worth offering: from the first with a year of history to two ahead."""
    with Store.open(path, read_only=True) as store:
        span = store.query("data_span").iloc[0]
    this_year = planning_year_of(pd.Timestamp.today().date())
    if pd.isna(span["first_day"]):
        return list(range(this_year - 1, this_year + 3))
    first = planning_year_of(pd.Timestamp(span["first_day"]).date()) + 1
    return list(range(min(first, this_year), this_year + 3))


@st.cache_data(show_spinner="Building the plan…", max_entries=16)
def plan_everywhere(path: Path, version: int, year: int) -> pd.DataFrame:
    """The plan frame for every place and system in one planning year."""
    with Store.open(path, read_only=True) as store:
        return plan_for_all(store, year)


@st.cache_data(show_spinner=False, max_entries=64)
def monthly_by_type(path: Path, version: int, year: int, place: str, source: str) -> pd.DataFrame:
    """A place's demand, capacity and gap by service type and month, for one source."""
    frame = plan_everywhere(path, version, year)
    return by_service_type(frame[frame["place_code"] == place], source)


@st.cache_data(show_spinner=False, max_entries=256)
def gap_figure(
    path: Path,
    version: int,
    year: int,
    place: str,
    source: str,
    service_type: str,
    title: str,
    large: bool,
):
    """The gap chart of one service type at a place (None when it has no rows)."""
    monthly = monthly_by_type(path, version, year, place, source)
    monthly = monthly[monthly["service_type"] == service_type]
    return gap_chart(monthly, title, large=large) if not monthly.empty else None


@st.cache_data(show_spinner=False, max_entries=32)
def stated_vs_observed(path: Path, version: int, codes: tuple[str, ...]) -> pd.DataFrame:
    """Observed flow beside stated parameters for some places."""
    with Store.open(path, read_only=True) as store:
        return compare_with_stated(store, list(codes))


@st.cache_data(show_spinner=False, max_entries=32)
def referral_history(path: Path, version: int, codes: tuple[str, ...]) -> pd.DataFrame:
    """Monthly referrals for some places, with each place's data coverage."""
    with Store.open(path, read_only=True) as store:
        history = monthly_history(store, list(codes))
        return history.merge(coverage(store, list(codes)), on="place_code", how="left")


# -- the view settings ---------------------------------------------------------


@dataclass(frozen=True)
class View:
    """The settings every page shares, from the sidebar."""

    path: Path
    version: int
    places: pd.DataFrame
    place: str
    year: int
    source: str
    scenario: str
    present: bool

    @property
    def place_name(self) -> str:
        """The chosen place's or system's name."""
        return self.places.set_index("place_code").loc[self.place, "name"]

    @property
    def members(self) -> list[str]:
        """The places the chosen place or system stands for."""
        return places_in(self.places, self.place)

    @property
    def year_label(self) -> str:
        """'2025-26'."""
        return planning_year_label(self.year)

    def plan(self) -> pd.DataFrame:
        """The plan frame for every place and system this year."""
        return plan_everywhere(self.path, self.version, self.year)

    def place_plan(self, code: str | None = None) -> pd.DataFrame:
        """The plan frame rows of one place or system (the chosen one by default)."""
        frame = self.plan()
        return frame[frame["place_code"] == (code or self.place)]

    def monthly(self, source: str) -> pd.DataFrame:
        """The chosen place's figures by service type and month for one source."""
        return monthly_by_type(self.path, self.version, self.year, self.place, source)

    def gap_figure(self, service_type: str, source: str, title: str, large: bool = False):
        """The chosen place's gap chart for one service type and source."""
        return gap_figure(
            self.path, self.version, self.year, self.place, source, service_type, title, large
        )


def default_place(places: pd.DataFrame) -> str:
    """The first system with places in it, else the first place."""
    systems = places[places["kind"] == "system"]
    for code in systems.sort_values("name")["place_code"]:
        if places_in(places, code):
            return code
    return places["place_code"].iloc[0]


def _choice(options: dict[str, str], what: str):
    def parse(text: str) -> str:
        if text in options:
            return text
        raise ValueError(f"not a known {what}")

    return parse


def _year_parser(years: list[int]):
    def parse(text: str) -> int:
        try:
            year = int(text)
        except ValueError:
            raise ValueError("not a year") from None
        if year not in years:
            raise ValueError(
                f"only {planning_year_label(years[0])} to "
                f"{planning_year_label(years[-1])} are offered"
            )
        return year

    return parse


def _flag(text: str) -> bool:
    low = text.lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("use 1 or 0")


def global_params(places: pd.DataFrame, years: list[int]) -> dict[str, Param]:
    """The URL parameters the sidebar owns."""
    names = dict(zip(places["place_code"], places["name"], strict=True))
    this_year = planning_year_of(pd.Timestamp.today().date())
    default_year = this_year if this_year in years else years[-1]
    place_default = default_place(places)
    return {
        "place": Param(
            "place",
            "place",
            _choice(names, "place code"),
            lambda v: v,
            place_default,
            describe=lambda v: names.get(v, v),
        ),
        "year": Param(
            "year",
            "year",
            _year_parser(years),
            lambda v: str(v),
            default_year,
            describe=planning_year_label,
        ),
        "source": Param(
            "source",
            "source",
            _choice(SOURCE_LABELS, "source"),
            lambda v: None if v == "both" else v,
            "both",
            describe=lambda v: SOURCE_LABELS[v].lower(),
        ),
        "scenario": Param(
            "scenario",
            "scenario",
            _choice({"baseline": ""}, "scenario"),
            lambda v: None if v == "baseline" else v,
            "baseline",
        ),
        "present": Param(
            "present",
            "present",
            _flag,
            lambda v: "1" if v else None,
            False,
            describe=lambda v: "presentation mode" if v else "the normal view",
        ),
    }


def list_param(name: str, key: str, options: dict[str, str]) -> Param:
    """A URL parameter holding a comma-separated list of known codes (empty means all)."""

    def parse(text: str) -> list[str]:
        codes = [c for c in text.split(",") if c]
        unknown = [c for c in codes if c not in options]
        if unknown:
            raise ValueError("unknown " + ", ".join(unknown))
        return codes

    return Param(
        name,
        key,
        parse,
        lambda v: ",".join(v) if v else None,
        [],
        describe=lambda v: ", ".join(options[c] for c in v) if v else "all",
    )


def choice_param(name: str, key: str, options: dict[str, str], default: str) -> Param:
    """A URL parameter holding one of some known codes."""
    return Param(
        name,
        key,
        _choice(options, name.replace("_", " ")),
        lambda v: None if v == default else v,
        default,
        describe=lambda v: options.get(v, v),
    )


def current_view() -> View:
    """The view settings of this run (set by the sidebar in app.py)."""
    return st.session_state["_view"]
