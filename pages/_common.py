"""What every page shares: the database at the app edge, cached reads, the view settings.

Caching lives here, never in ``capacity/``: each cached read is a one-line wrapper
over a function of the application layer (:mod:`capacity.views`), keyed by a
frozen key object. The database is opened only for a read that misses the cache,
and closed at once, so the command line can use the same file while the app
runs. When the file has been written (by any program), the next rerun reads the
store's two versions (see :meth:`capacity.store.Store.versions`): what is read
from the data (places, parameters, referrals, the prepared plans) is keyed on the
*data* version (:class:`DataKey`), which moves with imports, edits, undo and
migrations; the scenario picker and scenario lookups on the *scenarios* version
(:class:`ScenarioKey`). Saving a scenario therefore refreshes the picker without
reading the referrals again.

The plan is cached in two layers: the *prepared* plan for a planning year
(everything read from the store: parameters in force, demand history), and the
plan frame for that year and a scenario (:class:`PlanKey`). Changing the place,
the source or the page reuses both; a new scenario reuses the prepared plan and
only recomputes. Cached values are shared between sessions and are never changed
in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from capacity import access, config
from capacity.periods import planning_year_label, planning_year_of
from capacity.summary import SOURCE_LABELS
from capacity.views import access as access_view
from capacity.views import flow, observed_figures, places, plans, quality, snapshots, workspace
from capacity.views import scenario_choices as choices
from capacity.views.flow import FlowSettings
from capacity.views.places import default_place
from pages import hand_over_to_app
from pages._state import Param

__all__ = ["FlowSettings"]


def current_user() -> access.User:
    """The person using this session, with their role and places.

    With sign-in configured (an ``[auth]`` section in secrets.toml) this is the signed-in
    person, their role from the roles file and the admins' grants in the store of this
    session's database; without it, the one local user of a laptop, with every right. A
    roles file that does not read makes everyone a viewer (pages/_signin.py says why).
    Before sign-in it is a viewer with no name: app.py shows nothing but the sign-in screen.
    """
    info = st.user.to_dict()
    if "is_logged_in" not in info:  # Streamlit sets it only where [auth] is configured
        return access.local_user()
    if not info.get("is_logged_in"):
        return access.User(name="", email="", role=access.VIEWER)
    name = str(info.get("name") or info.get("email") or "")
    email = str(info.get("email") or "")
    roles, problem = roles_file()
    if problem:
        return access.User(name=name, email=email, role=access.VIEWER, signed_in=True)
    path = session_database()
    grants = app_role_grants(GrantsKey(path, file_stamp(path)))
    return access_view.signed_in_user(roles, grants, name, email)


def session_database() -> Path:
    """The database this session looks at (the workspace, or the demo's with ``db=demo``)."""
    return database_path(str(st.session_state.get("db") or ""))


def roles_file() -> tuple[access.Roles, str]:
    """The roles file as it stands, and the reason it cannot be read ('' when it reads)."""
    path = access.roles_path()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0  # no file: everyone who signs in has the default role
    try:
        return _read_roles(str(path), stamp), ""
    except access.RolesFileError as exc:
        return access.Roles(), str(exc)


@st.cache_data(show_spinner=False, max_entries=4)
def _read_roles(path: str, stamp: int) -> access.Roles:
    # Keyed on the file's modification time, so an edited file is read on the next rerun.
    return access.read_roles(Path(path))


@dataclass(frozen=True)
class GrantsKey:
    """What the admins' grants depend on: the database file as last written."""

    path: Path
    stamp: int


@st.cache_data(show_spinner=False, max_entries=8)
def app_role_grants(key: GrantsKey) -> pd.DataFrame:
    """The roles admins have given in the app (see capacity.views.access.role_grants)."""
    return access_view.role_grants(key.path)


def who() -> str:
    """Who makes an entry in the app, as the entry records it: the signed-in name and e-mail
    where the deployment has sign-in, else the operating-system user (a laptop's demo)."""
    return current_user().label


@dataclass(frozen=True)
class DataKey:
    """What a read of the data depends on: the file and its data version."""

    path: Path
    version: str


@dataclass(frozen=True)
class ScenarioKey:
    """What a scenario lookup depends on: the file and the scenarios version it needs
    (see :func:`capacity.views.scenario_choices.scenario_version_of`)."""

    path: Path
    scenarios_version: str


@dataclass(frozen=True)
class PlanKey:
    """What the plan frame of a planning year under a scenario depends on."""

    path: Path
    version: str
    year: int
    scenario: str
    scenario_version: str

    @property
    def data(self) -> DataKey:
        """The data this plan is read from."""
        return DataKey(self.path, self.version)

    @property
    def scenarios(self) -> ScenarioKey:
        """The scenarios this plan's scenario is looked up in."""
        return ScenarioKey(self.path, self.scenario_version)


DEMO = "demo"


def database_param() -> Param:
    """The address's ``db=demo``: this session looks at the demo's own database instead of
    the workspace (set by the first screen's *Explore the demo*)."""
    return Param(
        "db",
        "db",
        _choice({DEMO: "the demo"}, "database (only db=demo is known)"),
        lambda v: v or None,
        "",
        describe=lambda v: "the demo" if v == DEMO else "this workspace",
    )


def database_path(choice: str = "") -> Path:
    """The database file (the demo's own for ``choice`` 'demo'), built from the demo data if
    there is none yet."""
    return _ensured(str(config.demo_db_path() if choice == DEMO else config.db_path()))


@st.cache_resource(show_spinner="Building the demo database (first run only)…")
def _ensured(path: str) -> Path:
    return places.ensured_database(Path(path))


file_stamp = places.file_stamp


@dataclass(frozen=True)
class SnapshotsKey:
    """What a place's list of snapshots depends on: the file as last written, and the place.

    Saving a snapshot moves neither store version, so the file's stamp keys the list."""

    path: Path
    stamp: int
    place: str


@st.cache_data(show_spinner=False, max_entries=16)
def snapshots_of(key: SnapshotsKey) -> pd.DataFrame:
    """A place's snapshots in use, newest first."""
    return snapshots.snapshot_list(key.path, key.place)


def snapshots_listed(path: Path, place: str) -> pd.DataFrame:
    """A place's snapshots in use, newest first, read again once the file is written."""
    return snapshots_of(SnapshotsKey(path, file_stamp(path), place))


@st.cache_data(show_spinner=False, max_entries=4)
def store_versions(path: Path, stamp: int) -> tuple[str, str]:
    """The store's data and scenarios versions, read again only after the file was written."""
    return places.versions(path)


@st.cache_data(show_spinner=False, max_entries=4)
def places_table(key: DataKey) -> pd.DataFrame:
    """All places and systems, with each system's population as the sum of its places'."""
    return places.places_with_populations(key.path)


@st.cache_data(show_spinner=False, max_entries=4)
def picker_table(key: DataKey) -> pd.DataFrame:
    """Every place and system in the picker's order with its label (worked out once per
    data version: for all of England it took a tenth of each page's run)."""
    return places.picker_options(places_table(key))


@st.cache_data(show_spinner=False, max_entries=4)
def service_types_table(key: DataKey) -> pd.DataFrame:
    """Service types in plan order."""
    return places.service_types(key.path)


@st.cache_data(show_spinner=False, max_entries=4)
def service_type_labels_table(key: DataKey) -> pd.DataFrame:
    """The wording of each service type's row in the BCF plan, per source and planning year."""
    return places.service_type_labels(key.path)


@st.cache_data(show_spinner=False, max_entries=4)
def services_table(key: DataKey) -> pd.DataFrame:
    """Services with the places they serve."""
    return places.services(key.path)


@st.cache_data(show_spinner=False, max_entries=4)
def year_range(key: DataKey) -> list[int]:
    """Planning years worth offering: from the first with a year of history to two ahead."""
    return places.planning_years(key.path, date.today())


@st.cache_data(show_spinner=False, max_entries=8)
def setup_steps(key: DataKey, codes: tuple[str, ...]) -> list:
    """The steps from a new workspace to a first plan for some places, each done or not."""
    return workspace.setup_steps(key.path, list(codes))


# -- scenarios ----------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def scenario_choices(key: ScenarioKey) -> dict[str, str]:
    """Every scenario the sidebar offers, by key: the baseline, presets, saved ones."""
    return choices.scenario_choices(key.path)


@st.cache_data(show_spinner=False, max_entries=32)
def scenario_for(key: ScenarioKey, scenario: str, year: int) -> choices.Scenario | None:
    """The scenario a key stands for in a planning year (None for the baseline)."""
    return choices.scenario_for(key.path, scenario, year)


# -- plans --------------------------------------------------------------------


@st.cache_resource(show_spinner="Reading the data for this planning year…", max_entries=8)
def prepared_plan(key: DataKey, year: int, codes: tuple[str, ...]):
    """The prepared plan for some places (all places when ``codes`` is empty)."""
    return plans.prepared_plan(key.path, year, codes)


@st.cache_resource(show_spinner="Building the plan…", max_entries=16)
def _plan_everywhere_held(key: PlanKey) -> pd.DataFrame:
    """The one plan frame every session reads (see :func:`plan_everywhere`)."""
    return plans.plan_everywhere(
        prepared_plan(key.data, key.year, ()),
        scenario_for(key.scenarios, key.scenario, key.year),
        key.year,
    )


def plan_everywhere(key: PlanKey) -> pd.DataFrame:
    """The plan frame for every place and system; ScenarioError when the scenario can't apply.

    Held once for every session rather than copied out of a cache on each read: England's
    frame is about 50 MB, and copying it took a fifth of a change of place. Each caller gets
    its own shallow copy, which pandas copies on write, so no caller can change the one held.
    """
    return _plan_everywhere_held(key).copy(deep=False)


@st.cache_resource(show_spinner=False, max_entries=16)
def _place_positions(key: PlanKey) -> dict:
    """Where each place's rows sit in the held plan of every place."""
    return plans.row_positions(_plan_everywhere_held(key))


def place_rows(key: PlanKey, code: str) -> pd.DataFrame:
    """The plan's rows of one place or system, taken by position from the held plan (a
    change of place no longer compares the code of every row in England)."""
    return plans.rows_at(_plan_everywhere_held(key), _place_positions(key).get(code))


@st.cache_data(show_spinner="Building the plan…", max_entries=32)
def scenario_problem(key: PlanKey) -> str | None:
    """Why a scenario cannot be shown for a year (None when it can, or for the baseline)."""
    return plans.scenario_problem(key.scenario, lambda: plan_everywhere(key))


def plan_with(key: DataKey, year: int, codes: tuple[str, ...], scenario) -> pd.DataFrame:
    """The plan frame for some places under a scenario that may not be saved (not cached)."""
    return plans.plan_with(prepared_plan(key, year, codes), scenario)


@st.cache_data(show_spinner=False, max_entries=64)
def monthly_by_type(key: PlanKey, place: str, source: str) -> pd.DataFrame:
    """A place's demand, capacity and gap by service type and month, for one source."""
    return plans.monthly_by_type(place_rows(key, place), place, source)


@st.cache_data(show_spinner=False, max_entries=256)
def gap_figure(key: PlanKey, place: str, source: str, service_type: str, title: str, large: bool):
    """The gap chart of one service type at a place (None when it has no rows)."""
    return plans.gap_figure(monthly_by_type(key, place, source), service_type, title, large)


@st.cache_data(show_spinner=False, max_entries=64)
def observed_offers(key: PlanKey, codes: tuple[str, ...]) -> tuple:
    """Scenarios planning with the observed figure, for services flagged at places ``codes``."""
    return observed_figures.observed_offers(
        prepared_plan(key.data, key.year, ()), plan_everywhere(key), codes
    )


# -- data quality -------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=32)
def stated_vs_observed(key: DataKey, codes: tuple[str, ...]) -> pd.DataFrame:
    """Observed flow beside stated parameters for some places."""
    return quality.stated_vs_observed(key.path, codes)


@st.cache_data(show_spinner=False, max_entries=32)
def referral_history(key: DataKey, codes: tuple[str, ...]) -> pd.DataFrame:
    """Monthly referrals for some places, with each place's data coverage."""
    return quality.referral_history(key.path, codes)


@st.cache_data(show_spinner=False, max_entries=32)
def data_gaps(key: DataKey, codes: tuple[str, ...]) -> pd.DataFrame:
    """Months inside some places' data with no referrals and no counts."""
    return quality.data_gaps(referral_history(key, codes))


@dataclass(frozen=True)
class SpcKey:
    """What a measure's SPC history depends on: the data, the places, the source, the measure."""

    data: DataKey
    codes: tuple[str, ...]
    source: str
    measure: str


@st.cache_data(show_spinner=False, max_entries=32)
def spc_history(key: SpcKey) -> quality.SpcHistory:
    """A measure's monthly series per service type at some places, for one source."""
    return quality.spc_history(key.data.path, key.codes, key.source, key.measure)


@st.cache_data(show_spinner=False, max_entries=64)
def spc_chart(
    key: SpcKey,
    service_type: str,
    title: str,
    first: int | None,
    until: str | None,
    rebase: str | None,
) -> quality.SpcChart:
    """One service type's XmR chart with the page's baseline and rebase."""
    return quality.spc_chart(
        spc_history(key), service_type, title, first=first, until=until, rebase=rebase
    )


@st.cache_data(show_spinner=False, max_entries=32)
def projection_back_test(key: DataKey, codes: tuple[str, ...], source: str):
    """The last complete year projected from the years before it, against what happened."""
    return quality.projection_back_test(key.path, codes, source)


# -- flow ---------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=32)
def flow_service_table(key: DataKey, year: int, place: str) -> pd.DataFrame:
    """A place's or system's services, with whether the flow model can run each and why not."""
    return flow.service_table(prepared_plan(key, year, ()), place)


def flow_pathway_pools(key: DataKey, year: int, place: str) -> dict[str, pd.DataFrame]:
    """The discharge pathways (P1–P3) with a modelled service at a place → those services."""
    return flow.pathway_pools(flow_service_table(key, year, place))


@st.cache_data(show_spinner=False, max_entries=32)
def flow_target(key: DataKey, year: int, place: str, service_id: str) -> flow.FlowTarget:
    """The service, or pathway pool ('pathway:P2'), a flow run at a place is of."""
    return flow.flow_target(prepared_plan(key, year, ()), place, service_id)


@st.cache_data(show_spinner=False, max_entries=32)
def flow_records(key: DataKey, target: flow.FlowTarget, year: int):
    """The weekday pattern and spread of stays of a target's services in the records."""
    return flow.records_for(key.path, target, year)


@st.cache_data(show_spinner="Setting up the flow model…", max_entries=32)
def flow_inputs(key: PlanKey, place: str, service_id: str):
    """Flow inputs for one service, or a pathway's pool, at a place under the key's scenario."""
    return flow.flow_inputs(
        prepared_plan(key.data, key.year, ()),
        plan_everywhere(key),
        scenario_for(key.scenarios, key.scenario, key.year),
        target := flow_target(key.data, key.year, place, service_id),
        flow_records(key.data, target, key.year),
    )


def flow_run_inputs(key: PlanKey, place: str, service_id: str, settings: FlowSettings):
    """The inputs a flow run uses: the what-if applied, then the start day and numbers."""
    return flow.run_inputs(flow_inputs(key, place, service_id), settings)


@st.cache_data(show_spinner="Simulating…", max_entries=64)
def flow_result(key: PlanKey, place: str, service_id: str, settings: FlowSettings):
    """A flow run for one service at a place under a scenario, with the page's what-if."""
    return flow.flow_result(flow_inputs(key, place, service_id), settings)


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
        return places.members(self.places, self.place)

    @property
    def scenario_version(self) -> str:
        """What the chosen scenario's cached results depend on besides the data."""
        return choices.scenario_version_of(self.scenario, self.scenarios_version)

    @property
    def year_label(self) -> str:
        """'2025-26'."""
        return planning_year_label(self.year)

    @property
    def data_key(self) -> DataKey:
        """The key of reads of the data."""
        return DataKey(self.path, self.version)

    @property
    def scenarios_key(self) -> ScenarioKey:
        """The key of scenario lookups that follow every save."""
        return ScenarioKey(self.path, self.scenarios_version)

    @property
    def plan_key(self) -> PlanKey:
        """The key of the plan this year under the chosen scenario."""
        return PlanKey(self.path, self.version, self.year, self.scenario, self.scenario_version)

    @property
    def baseline_key(self) -> PlanKey:
        """The key of the plan this year with no scenario."""
        return PlanKey(self.path, self.version, self.year, choices.BASELINE, "")

    def plan(self) -> pd.DataFrame:
        """The plan frame for every place and system this year, under the chosen scenario."""
        return plan_everywhere(self.plan_key)

    def place_plan(self, code: str | None = None) -> pd.DataFrame:
        """The plan frame rows of one place or system (the chosen one by default)."""
        return place_rows(self.plan_key, code or self.place)

    def monthly(self, source: str) -> pd.DataFrame:
        """The chosen place's figures by service type and month for one source."""
        return monthly_by_type(self.plan_key, self.place, source)

    def gap_figure(self, service_type: str, source: str, title: str, large: bool = False):
        """The chosen place's gap chart for one service type and source."""
        return gap_figure(self.plan_key, self.place, source, service_type, title, large)


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


def global_params(
    places: pd.DataFrame, years: list[int], scenarios: dict[str, str]
) -> dict[str, Param]:
    """The URL parameters the sidebar owns."""
    names = dict(zip(places["place_code"], places["name"], strict=True))
    this_year = planning_year_of(date.today())
    default_year = this_year if this_year in years else years[-1]
    return {
        "place": Param(
            "place",
            "place",
            _choice(names, "place code"),
            lambda v: v,
            default_place(places),
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
        "scenario": Param(
            "scenario",
            "scenario",
            _choice(scenarios, "scenario"),
            lambda v: None if v == choices.BASELINE else v,
            choices.BASELINE,
            describe=lambda v: scenarios.get(v, v),
        ),
        "source": Param(
            "source",
            "source",
            _choice(SOURCE_LABELS, "source"),
            lambda v: None if v == "both" else v,
            "both",
            describe=lambda v: SOURCE_LABELS[v].lower(),
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
        # A code named twice (a hand-edited link) means the same as once.
        codes = list(dict.fromkeys(c for c in text.split(",") if c))
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


def population_base_param(key: str) -> Param:
    """The address's ``per=18|65|85``: whom a page's rates per 100,000 are of (65+ by default)."""
    return Param(
        "per",
        key,
        places.parse_base,
        lambda v: None if v == places.DEFAULT_BASE else v,
        places.DEFAULT_BASE,
        describe=places.describe_base,
    )


def current_view() -> View:
    """The view settings of this run (set by the sidebar in app.py)."""
    hand_over_to_app()
    return st.session_state["_view"]
