"""What every page shares: the database at the app edge, cached reads, the view settings.

Caching lives here, never in ``capacity/``. The database is opened only for a
read that misses the cache, and closed at once, so the command line can use
the same file while the app runs. When the file has been written (by any
program), the next rerun reads the store's two versions (see
:meth:`capacity.store.Store.versions`): what is read from the data (places,
parameters, referrals, the prepared plans) is keyed on the *data* version,
which moves with imports, edits, undo and migrations; the scenario picker and
scenario lookups on the *scenarios* version. Saving a scenario therefore
refreshes the picker without reading the referrals again.

The plan is cached in two layers: the *prepared* plan for a planning year
(everything read from the store: parameters in force, demand history), and the
plan frame for that year and a scenario. Changing the place, the source or the
page reuses both; a new scenario reuses the prepared plan and only recomputes.
Cached values are shared between sessions and are never changed in place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from capacity import config, scenario_store
from capacity.charts import gap_chart
from capacity.demand import coverage, monthly_history, months_without_data
from capacity.demo import ensure_database
from capacity.flow import FlowInputs, FlowResult, adjust, run, starting
from capacity.flow_inputs import (
    FlowError,
    FlowRecords,
    build,
    flow_services,
    read_pool_records,
    read_records,
)
from capacity.flow_pathway import build_pathway, pathway_label, pathway_of_key, pathway_pools
from capacity.formulas import InvalidInput
from capacity.observed import compare_with_stated
from capacity.periods import planning_year_label, planning_year_of
from capacity.plan import (
    Prepared,
    compute,
    load_plan_inputs,
    places_in,
    prepare,
    with_systems,
)
from capacity.scenarios import (
    BASELINE,
    PRESET_PREFIX,
    Scenario,
    ScenarioError,
    apply,
    cannot_apply,
    load_presets,
)
from capacity.store import Store
from capacity.summary import SOURCE_LABELS, by_service_type
from pages import hand_over_to_app
from pages._state import Param


def database_path() -> Path:
    """The database file, built from the demo data if there is none yet."""
    return _ensured(str(config.db_path()))


@st.cache_resource(show_spinner="Building the demo database (first run only)…")
def _ensured(path: str) -> Path:
    ensure_database(Path(path))
    return Path(path)


def file_stamp(path: Path) -> int:
    """Changes whenever the database file (or its write-ahead log) is written."""
    wal = Path(f"{path}.wal")
    return os.stat(path).st_mtime_ns + (os.stat(wal).st_mtime_ns if wal.exists() else 0)


@st.cache_data(show_spinner=False, max_entries=4)
def store_versions(path: Path, stamp: int) -> tuple[str, str]:
    """The store's data and scenarios versions, read again only after the file was written."""
    with Store.open(path, read_only=True) as store:
        return store.versions()


def scenario_version_of(key: str, scenarios_version: str) -> str:
    """What a cached result for scenario ``key`` depends on besides the data.

    A saved scenario's changes move with the scenarios version; the baseline
    and the presets (reference data) never do, so their plans survive a save.
    """
    return "" if key == BASELINE or key.startswith(PRESET_PREFIX) else scenarios_version


@st.cache_data(show_spinner=False, max_entries=4)
def places_table(path: Path, version: str) -> pd.DataFrame:
    """All places and systems, with each system's population as the sum of its places'."""
    with Store.open(path, read_only=True) as store:
        places = store.query("places")
    members = places[places["kind"] != "system"].groupby("parent_system")["population_65plus"]
    totals = members.sum(min_count=1)
    is_system = places["kind"] == "system"
    places.loc[is_system, "population_65plus"] = places.loc[is_system, "place_code"].map(totals)
    return places


@st.cache_data(show_spinner=False, max_entries=4)
def service_types_table(path: Path, version: str) -> pd.DataFrame:
    """Service types in plan order."""
    with Store.open(path, read_only=True) as store:
        return store.query("service_types")


@st.cache_data(show_spinner=False, max_entries=4)
def service_type_labels_table(path: Path, version: str) -> pd.DataFrame:
    """The wording of each service type's row in the BCF plan, per source and planning year."""
    with Store.open(path, read_only=True) as store:
        return store.query("service_type_labels")


@st.cache_data(show_spinner=False, max_entries=4)
def services_table(path: Path, version: str) -> pd.DataFrame:
    """Services with the places they serve."""
    with Store.open(path, read_only=True) as store:
        return store.query("services")


@st.cache_data(show_spinner=False, max_entries=4)
def year_range(path: Path, version: str) -> list[int]:
    """Planning years worth offering: from the first with a year of history to two ahead."""
    with Store.open(path, read_only=True) as store:
        span = store.query("data_span").iloc[0]
    this_year = planning_year_of(pd.Timestamp.today().date())
    if pd.isna(span["first_day"]):
        return list(range(this_year - 1, this_year + 3))
    first = planning_year_of(pd.Timestamp(span["first_day"]).date()) + 1
    return list(range(min(first, this_year), this_year + 3))


# -- scenarios ----------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def scenario_choices(path: Path, scenarios_version: str) -> dict[str, str]:
    """Every scenario the sidebar offers, by key: the baseline, presets, saved ones."""
    choices = {BASELINE: "Baseline (no changes)"}
    choices |= {key: f"{p.name} (preset)" for key, p in load_presets().items()}
    with Store.open(path, read_only=True) as store:
        saved = scenario_store.list_saved(store)
    choices |= {name: f"{name} (saved, v{v})" for name, v in zip(saved["name"], saved["version"],
                                                                  strict=True)}
    return choices


@st.cache_data(show_spinner=False, max_entries=32)
def scenario_for(path: Path, scenarios_version: str, key: str, year: int) -> Scenario | None:
    """The scenario a key stands for in a planning year (None for the baseline)."""
    with Store.open(path, read_only=True) as store:
        return scenario_store.resolve(store, key, year)


# -- plans --------------------------------------------------------------------


@st.cache_resource(show_spinner="Reading the data for this planning year…", max_entries=8)
def prepared_plan(path: Path, version: str, year: int, codes: tuple[str, ...]) -> Prepared:
    """The prepared plan for some places (all places when ``codes`` is empty)."""
    with Store.open(path, read_only=True) as store:
        places = store.query("places")
        wanted = list(codes) or list(places.loc[places["kind"] != "system", "place_code"])
        return prepare(load_plan_inputs(store, wanted, year))


@st.cache_data(show_spinner="Building the plan…", max_entries=16)
def plan_everywhere(path: Path, version: str, year: int, scenario: str,
                    scenario_version: str) -> pd.DataFrame:
    """The plan frame for every place and system in one planning year and scenario.

    ``scenario_version`` is :func:`scenario_version_of` the key. Raises
    ScenarioError when the scenario does not apply to this year's data.
    """
    prepared = prepared_plan(path, version, year, ())
    chosen = scenario_for(path, scenario_version, scenario, year)
    try:
        frame = compute(apply(prepared, chosen))
    except InvalidInput as exc:
        if chosen is None:
            raise
        raise cannot_apply(chosen, year, exc) from None
    return with_systems(frame, prepared.inputs.all_places)


@st.cache_data(show_spinner="Building the plan…", max_entries=32)
def scenario_problem(path: Path, version: str, year: int, scenario: str,
                     scenario_version: str) -> str | None:
    """Why a scenario cannot be shown for a year (None when it can, or for the baseline)."""
    if scenario == BASELINE:
        return None
    try:
        plan_everywhere(path, version, year, scenario, scenario_version)
    except ScenarioError as exc:
        return str(exc)
    return None


def plan_with(path: Path, version: str, year: int, codes: tuple[str, ...],
              scenario: Scenario | None) -> pd.DataFrame:
    """The plan frame for some places under a scenario that may not be saved (not cached)."""
    return compute(apply(prepared_plan(path, version, year, codes), scenario))


@st.cache_data(show_spinner=False, max_entries=64)
def monthly_by_type(path: Path, version: str, year: int, scenario: str, scenario_version: str,
                    place: str, source: str) -> pd.DataFrame:
    """A place's demand, capacity and gap by service type and month, for one source."""
    frame = plan_everywhere(path, version, year, scenario, scenario_version)
    return by_service_type(frame[frame["place_code"] == place], source)


@st.cache_data(show_spinner=False, max_entries=256)
def gap_figure(path: Path, version: str, year: int, scenario: str, scenario_version: str,
               place: str, source: str, service_type: str, title: str, large: bool):
    """The gap chart of one service type at a place (None when it has no rows)."""
    monthly = monthly_by_type(path, version, year, scenario, scenario_version, place, source)
    monthly = monthly[monthly["service_type"] == service_type]
    return gap_chart(monthly, title, large=large) if not monthly.empty else None


@st.cache_data(show_spinner=False, max_entries=32)
def stated_vs_observed(path: Path, version: str, codes: tuple[str, ...]) -> pd.DataFrame:
    """Observed flow beside stated parameters for some places."""
    with Store.open(path, read_only=True) as store:
        return compare_with_stated(store, list(codes))


@st.cache_data(show_spinner=False, max_entries=32)
def referral_history(path: Path, version: str, codes: tuple[str, ...]) -> pd.DataFrame:
    """Monthly referrals for some places, with each place's data coverage."""
    with Store.open(path, read_only=True) as store:
        history = monthly_history(store, list(codes))
        return history.merge(coverage(store, list(codes)), on="place_code", how="left")


@st.cache_data(show_spinner=False, max_entries=32)
def data_gaps(path: Path, version: str, codes: tuple[str, ...]) -> pd.DataFrame:
    """Months inside some places' data with no referrals and no counts (see months_without_data)."""
    history = referral_history(path, version, codes)
    cover = history.drop_duplicates("place_code")[["place_code", "first_month", "last_month"]]
    return months_without_data(history, cover.dropna())


# -- flow ---------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=32)
def flow_service_table(path: Path, version: str, year: int, place: str) -> pd.DataFrame:
    """A place's or system's services, with whether the flow model can run each and why not."""
    prepared = prepared_plan(path, version, year, ())
    return flow_services(prepared, places_in(prepared.inputs.all_places, place))


@st.cache_data(show_spinner=False, max_entries=32)
def flow_records(path: Path, version: str, codes: tuple[str, ...], service_id: str,
                 service_type: str, year: int) -> FlowRecords:
    """The weekday pattern and spread of stays of a service in the referral records."""
    with Store.open(path, read_only=True) as store:
        return read_records(store, list(codes), service_id, service_type, year)


@st.cache_data(show_spinner=False, max_entries=32)
def flow_pool_records(path: Path, version: str, codes: tuple[str, ...],
                      service_ids: tuple[str, ...], service_types: tuple[str, ...],
                      year: int) -> FlowRecords:
    """The weekday pattern and spread of stays of a pathway's pooled services in the records."""
    with Store.open(path, read_only=True) as store:
        return read_pool_records(store, list(codes), list(service_ids), list(service_types),
                                 year)


def flow_pathway_pools(path: Path, version: str, year: int, place: str) -> dict[str, pd.DataFrame]:
    """The discharge pathways (P1–P3) with a modelled service at a place → those services."""
    return pathway_pools(flow_service_table(path, version, year, place))


@st.cache_data(show_spinner="Setting up the flow model…", max_entries=32)
def flow_inputs(path: Path, version: str, year: int, scenario: str, scenario_version: str,
                place: str, service_id: str) -> FlowInputs:
    """Flow inputs for one service, or a pathway's pool ('pathway:P2'), at a place or system,
    under a scenario (by key)."""
    prepared = prepared_plan(path, version, year, ())
    changed = apply(prepared, scenario_for(path, scenario_version, scenario, year))
    places = prepared.inputs.all_places
    codes = places_in(places, place)
    name = places.set_index("place_code").loc[place, "name"]
    pathway = pathway_of_key(service_id)
    if pathway is not None:
        members = flow_pathway_pools(path, version, year, place).get(pathway)
        if members is None:
            raise FlowError(f"No {pathway} service at {name} has a caseload and a length of stay")
        records = flow_pool_records(path, version, tuple(codes), tuple(members["service_id"]),
                                    tuple(members["service_type"]), year)
        return build_pathway(changed, plan_everywhere(path, version, year, scenario,
                                                      scenario_version), codes,
                             pathway, members, records,
                             label=f"{pathway_label(pathway, len(members))} · {name}",
                             place_code=place)
    table = flow_service_table(path, version, year, place).set_index("service_id")
    if service_id not in table.index:
        raise FlowError(f"Service {service_id!r} is not run at {place}")
    row = table.loc[service_id]
    records = flow_records(path, version, tuple(codes), service_id, row["service_type"], year)
    return build(changed, plan_everywhere(path, version, year, scenario, scenario_version),
                 codes, service_id,
                 records, label=f"{row['service']} · {name}", place_code=place)


@dataclass(frozen=True)
class FlowSettings:
    """The Flow page's what-if and starting conditions (hashable, so results can be cached).

    ``start`` None is 1 April; ``in_service`` None is the default start, worked
    out after the what-if from the places it leaves on the start day.
    """

    extra_places: int = 0
    first_month: str | None = None
    last_month: str | None = None
    los_pct: int = 0
    target: float = 0.05
    in_service: int | None = None
    waiting: int = 0
    start: date | None = None


def flow_run_inputs(path: Path, version: str, year: int, scenario: str, scenario_version: str,
                    place: str, service_id: str, settings: FlowSettings) -> FlowInputs:
    """The inputs a flow run uses: the what-if applied, then the start day and numbers."""
    inputs = flow_inputs(path, version, year, scenario, scenario_version, place, service_id)
    inputs = adjust(inputs, extra_places=settings.extra_places, los_pct=settings.los_pct,
                    first_month=settings.first_month, last_month=settings.last_month)
    return starting(inputs, start=settings.start, in_service=settings.in_service,
                    waiting=settings.waiting)


@st.cache_data(show_spinner="Simulating…", max_entries=64)
def flow_result(path: Path, version: str, year: int, scenario: str, scenario_version: str,
                place: str, service_id: str, settings: FlowSettings) -> FlowResult:
    """A flow run for one service at a place under a scenario, with the page's what-if."""
    return run(flow_run_inputs(path, version, year, scenario, scenario_version, place,
                               service_id, settings), target=settings.target)


# -- the view settings ---------------------------------------------------------


@dataclass(frozen=True)
class View:
    """The settings every page shares, from the sidebar."""

    path: Path
    version: str
    scenarios_version: str
    places: pd.DataFrame
    place: str
    year: int
    source: str
    scenario: str
    scenario_label: str
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
    def scenario_version(self) -> str:
        """What the chosen scenario's cached results depend on besides the data."""
        return scenario_version_of(self.scenario, self.scenarios_version)

    @property
    def year_label(self) -> str:
        """'2025-26'."""
        return planning_year_label(self.year)

    def plan(self) -> pd.DataFrame:
        """The plan frame for every place and system this year, under the chosen scenario."""
        return plan_everywhere(self.path, self.version, self.year, self.scenario,
                               self.scenario_version)

    def place_plan(self, code: str | None = None) -> pd.DataFrame:
        """The plan frame rows of one place or system (the chosen one by default)."""
        frame = self.plan()
        return frame[frame["place_code"] == (code or self.place)]

    def monthly(self, source: str) -> pd.DataFrame:
        """The chosen place's figures by service type and month for one source."""
        return monthly_by_type(self.path, self.version, self.year, self.scenario,
                               self.scenario_version, self.place, source)

    def gap_figure(self, service_type: str, source: str, title: str, large: bool = False):
        """The chosen place's gap chart for one service type and source."""
        return gap_figure(self.path, self.version, self.year, self.scenario,
                          self.scenario_version, self.place, source, service_type, title, large)


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
            raise ValueError(f"only {planning_year_label(years[0])} to "
                             f"{planning_year_label(years[-1])} are offered")
        return year

    return parse


def _flag(text: str) -> bool:
    low = text.lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("use 1 or 0")


def global_params(places: pd.DataFrame, years: list[int],
                  scenarios: dict[str, str]) -> dict[str, Param]:
    """The URL parameters the sidebar owns."""
    names = dict(zip(places["place_code"], places["name"], strict=True))
    this_year = planning_year_of(pd.Timestamp.today().date())
    default_year = this_year if this_year in years else years[-1]
    return {
        "place": Param("place", "place", _choice(names, "place code"), lambda v: v,
                       default_place(places), describe=lambda v: names.get(v, v)),
        "year": Param("year", "year", _year_parser(years), lambda v: str(v), default_year,
                      describe=planning_year_label),
        "scenario": Param("scenario", "scenario", _choice(scenarios, "scenario"),
                          lambda v: None if v == BASELINE else v, BASELINE,
                          describe=lambda v: scenarios.get(v, v)),
        "source": Param("source", "source", _choice(SOURCE_LABELS, "source"),
                        lambda v: None if v == "both" else v, "both",
                        describe=lambda v: SOURCE_LABELS[v].lower()),
        "present": Param("present", "present", _flag, lambda v: "1" if v else None, False,
                         describe=lambda v: "presentation mode" if v else "the normal view"),
    }


def list_param(name: str, key: str, options: dict[str, str]) -> Param:
    """A URL parameter holding a comma-separated list of known codes (empty means all)."""

    def parse(text: str) -> list[str]:
        codes = [c for c in text.split(",") if c]
        unknown = [c for c in codes if c not in options]
        if unknown:
            raise ValueError("unknown " + ", ".join(unknown))
        return codes

    return Param(name, key, parse, lambda v: ",".join(v) if v else None, [],
                 describe=lambda v: ", ".join(options[c] for c in v) if v else "all")


def choice_param(name: str, key: str, options: dict[str, str], default: str) -> Param:
    """A URL parameter holding one of some known codes."""
    return Param(name, key, _choice(options, name.replace("_", " ")),
                 lambda v: None if v == default else v, default,
                 describe=lambda v: options.get(v, v))


def current_view() -> View:
    """The view settings of this run (set by the sidebar in app.py)."""
    hand_over_to_app()
    return st.session_state["_view"]
