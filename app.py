"""The Streamlit app: page set-up, the shared sidebar, and navigation over pages.PAGES.

The sidebar's settings (place or system, planning year, scenario, source,
presentation mode) are carried in the URL, and the page links carry them too,
so every view can be bookmarked and the browser's back button steps back
through views.
"""

import streamlit as st

from capacity.periods import planning_year_label
from capacity.summary import SOURCE_LABELS
from capacity.views._db import kept_open
from capacity.views.places import WITH_SERVICES
from capacity.views.places import members as places_in
from capacity.views.scenario_choices import BASELINE, scenario_version_of
from pages import PAGES, PEOPLE, PageSpec, _signin, _state, _timing, _welcome
from pages._common import (
    DataKey,
    PlanKey,
    ScenarioKey,
    View,
    current_user,
    database_param,
    database_path,
    file_stamp,
    global_params,
    picker_table,
    places_table,
    scenario_choices,
    scenario_problem,
    store_versions,
    year_range,
)
from pages._style import APP_CSS, PRESENTATION_CSS, show_notices

st.set_page_config(
    page_title="Intermediate care: demand and capacity",
    page_icon="🏥",
    layout="wide",
)
timed = _timing.begin()  # the run's line in the timing log, when CAPACITY_TIMING_LOG is set


def navigation_over(specs: list[PageSpec]) -> tuple[dict[str, st.Page], st.Page]:
    """The pages of ``specs`` by address, and the navigation over them (not yet run)."""
    by_address = {
        spec.url_path: st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path)
        for spec in specs
    }
    # Streamlit serves its default page only at "/", never at the page's own address, so
    # the first page is registered twice: under its own address, and hidden as the default.
    first = specs[0]
    root = st.Page(
        first.path,
        title=first.title,
        icon=first.icon,
        url_path="",
        default=True,
        visibility="hidden",
    )
    return by_address, st.navigation([root, *by_address.values()], position="hidden")


# With sign-in configured, nobody sees a page (nor the list of places) before signing in.
# The navigation is registered first even then, so a bookmarked address opened before
# anything else is not taken for an old-style page folder listed in the sidebar.
if _signin.needed():
    navigation_over(PAGES)
    _signin.screen()
_state.begin_run()
database = database_param()  # db=demo: this session explores the demo (see pages/_welcome.py)
_state.bind(database, sidebar=True)
path = database_path(st.session_state["db"])
user = current_user()
version, scenarios_version = store_versions(path, file_stamp(path))
places = places_table(DataKey(path, version))
years = year_range(DataKey(path, version))
scenarios = scenario_choices(ScenarioKey(path, scenarios_version))
params = global_params(places, years, scenarios)
for param in params.values():
    _state.bind(param, sidebar=True)
if st.session_state["scenario"] not in scenarios:  # deleted since it was chosen
    _state.add_notice(
        f"The scenario {st.session_state['scenario']!r} is no longer saved (it was "
        "deleted or renamed); showing the baseline."
    )
    st.session_state["scenario"] = BASELINE

kinds = dict(zip(places["place_code"], places["kind"], strict=True))
picker = picker_table(DataKey(path, version))
labels = dict(zip(picker["place_code"], picker["label"], strict=True))
# People and roles is a signed-in admin's page: for anyone else (and on a laptop without
# sign-in, where roles do not apply) it is not in the navigation at all.
shown = [*PAGES, PEOPLE] if user.is_admin and user.signed_in else PAGES
pages, navigation = navigation_over(shown)
page_name = navigation.url_path or PAGES[0].url_path
SIDEBAR_NAME_FITS = 30  # characters of a place's label the sidebar's box shows uncut

# The Place page presents one place per screen: a system opens at its first place.
if (
    st.session_state["present"]
    and page_name == "place"
    and kinds.get(st.session_state["place"]) == "system"
):
    members = places_in(places, st.session_state["place"])
    if members:
        st.session_state["place"] = members[0]


def leave_presentation() -> None:
    """Back to the normal view of the same page (the button's callback)."""
    st.session_state["present"] = False


with st.sidebar:
    links = st.container()
    st.divider()
    st.selectbox(
        "Place or system",
        list(picker["place_code"]),
        key="place",
        format_func=labels.get,
        # Typed words match anywhere in a label: a place, its ICB or its region.
        filter_mode="contains",
        help=f"Type a place, an ICB or a region to search England. *{WITH_SERVICES}* "
        "come first: the places with services and the systems holding them; then every "
        "place by region and ICB.",
    )
    chosen = st.session_state["place"]
    if len(labels[chosen]) > SIDEBAR_NAME_FITS:
        # The box cuts a long label; say it in full beneath.
        st.caption(labels[chosen].removeprefix(f"{WITH_SERVICES} · "))
    st.selectbox(
        "Planning year",
        years,
        key="year",
        format_func=planning_year_label,
        help="A planning year runs from April to March.",
    )
    st.selectbox(
        "Scenario",
        list(scenarios),
        key="scenario",
        format_func=scenarios.get,
        help="Applies to every page. Build and save scenarios on the Scenarios page.",
    )
    st.radio("Referrals from", list(SOURCE_LABELS), key="source", format_func=SOURCE_LABELS.get)
    st.toggle(
        "Presentation mode",
        key="present",
        help="Large type and every chart of a screen in view, for a wall screen; the Place "
        "page shows one place per screen, stepped with PageDown and PageUp.",
    )

    _welcome.demo_note()
    _signin.sidebar(user, dict(zip(places["place_code"], places["name"], strict=True)))

for param in [database, *params.values()]:
    _state.publish(param)
with links:
    for spec in shown:
        st.page_link(
            pages[spec.url_path],
            label=spec.title,
            icon=spec.icon,
            query_params=_state.link_values(spec.url_path),
        )

# A saved scenario can stop applying when the data change after it was saved (fewer
# beds imported, say): every page then shows the baseline and says why.
scenario = st.session_state["scenario"]
problem = scenario_problem(
    PlanKey(
        path,
        version,
        st.session_state["year"],
        scenario,
        scenario_version_of(scenario, scenarios_version),
    )
)
if problem:
    _state.add_notice(
        f"{problem}. The pages show the baseline "
        "instead; change the scenario on the Scenarios page."
    )
    scenario = BASELINE

view = View(
    path=path,
    version=version,
    scenarios_version=scenarios_version,
    places=places,
    place=st.session_state["place"],
    year=st.session_state["year"],
    source=st.session_state["source"],
    scenario=scenario,
    scenario_label=scenarios[scenario],
    present=st.session_state["present"],
)
st.session_state["_view"] = view

st.html(APP_CSS)
if view.present:
    # Every page keeps its address in presentation mode; with the sidebar hidden, each
    # offers the way out (the Place page beside its step buttons).
    st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
    if page_name != "place":
        st.button("Exit presentation", key="present_exit_page", on_click=leave_presentation)

_state.set_page(page_name)
with timed.page(page_name), kept_open(path):
    show_notices()
    if not _welcome.shown_instead(view, page_name):  # a workspace with no services yet
        navigation.run()
    _state.end_run()
