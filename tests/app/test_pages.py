"""Every page runs, and the main flows work as a lead or a meeting would use them."""

from __future__ import annotations

import pandas as pd
import pytest

from pages import PAGES, page_path
from tests.app.conftest import figures, no_errors, trace


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
def test_every_page_runs_on_the_demo_data(app, spec):
    app.run()
    app.switch_page(spec.path).run()
    no_errors(app)


def test_a_new_user_lands_on_the_overview_heat_map(app):
    app.run()
    no_errors(app)
    assert app.title[0].value.startswith("Overview")
    heat = figures(app)[0]["data"][0]
    assert heat["type"] == "heatmap"
    assert "Havering" in heat["y"]
    assert "Barking & Dagenham, Havering and Redbridge (system)" in heat["y"]
    # Rutland is the one place of its ICB with services in the demo: the row says so.
    assert "Leicester, Leicestershire and Rutland ICB (Rutland only)" in heat["y"]
    assert len(heat["x"]) == 12
    assert app.query_params["place"] == "BHR"


def test_overview_lists_the_largest_shortfalls_first(app):
    app.query_params["year"] = "2025"
    app.run()
    table = app.dataframe[0].value
    assert list(table["total_shortfall"]) == sorted(table["total_shortfall"], reverse=True)
    assert table["total_shortfall"].iloc[0] > 0


def test_changing_the_place_changes_the_charts(app):
    app.query_params["year"] = "2025"
    app.run()
    app.switch_page(page_path("place")).run()
    app.sidebar.selectbox(key="place").select("E09000016").run()
    no_errors(app)
    assert app.title[0].value == "Havering · 2025-26"
    havering = figures(app)[0]
    assert set(trace(havering, "Capacity")["y"]) == {82.0}  # Havering HSSS
    app.sidebar.selectbox(key="place").select("E09000002").run()
    barking = figures(app)[0]
    assert set(trace(barking, "Capacity")["y"]) == {34.0}  # B&D HSSS
    assert app.query_params["place"] == "E09000002"


def test_a_url_parameter_selects_the_place_and_year(app):
    app.query_params["place"] = "E06000034"
    app.query_params["year"] = "2025"
    app.run()
    app.switch_page(page_path("place")).run()
    assert app.sidebar.selectbox(key="place").value == "E06000034"
    assert app.title[0].value == "Thurrock · 2025-26"
    notes = [a["text"] for f in figures(app) for a in f["layout"].get("annotations", [])]
    assert any("capacity assumed equal to demand" in n for n in notes)


@pytest.mark.parametrize(
    ("param", "value", "shown"),
    [
        ("place", "E99999999", "place 'E99999999' is not recognised"),
        ("year", "1999", "year '1999' is not recognised"),
        ("source", "hospitals", "source 'hospitals' is not recognised"),
        ("present", "maybe", "present 'maybe' is not recognised"),
    ],
)
def test_unknown_url_values_fall_back_with_a_notice(app, param, value, shown):
    app.query_params[param] = value
    app.run()
    no_errors(app)
    assert any(shown in w.value for w in app.warning)


def test_an_unknown_service_type_in_the_url_is_dropped_with_a_notice(app):
    app.query_params["service_type"] = "reablement_home,teleportation"
    app.run()
    assert any("teleportation" in w.value for w in app.warning)
    assert app.multiselect(key="overview_types").value == []


def test_a_service_type_named_twice_in_the_url_is_taken_once(app):
    """A hand-edited link repeating a code means the same as naming it once."""
    app.query_params["service_type"] = "reablement_home,reablement_home"
    app.query_params["year"] = "2025"
    app.run()
    no_errors(app)
    assert app.multiselect(key="overview_types").value == ["reablement_home"]
    assert app.query_params["service_type"] == "reablement_home"


def test_presentation_mode_hides_the_sidebar_and_steps_through_a_system(app):
    app.query_params["place"] = "BHR"
    app.query_params["present"] = "1"
    app.query_params["year"] = "2025"
    app.run()
    assert app.title[0].value.startswith("Overview")  # presentation keeps the page it is on
    app.switch_page(page_path("place")).run()
    no_errors(app)
    styles = " ".join(m.value for m in app.markdown)
    assert 'data-testid="stSidebar"' in styles and "display: none" in styles
    assert "Barking and Dagenham: " in styles and "1 of 3" in styles
    assert app.button(key="present_previous").disabled
    app.button(key="present_next").click().run()
    assert app.query_params["place"] == "E09000016"
    assert "Havering: " in " ".join(m.value for m in app.markdown)
    app.button(key="present_next").click().run()
    assert app.query_params["place"] == "E09000026"
    # From the last place, Next leads to the meeting's decisions and actions.
    assert app.button(key="present_next").label == "Next ▶"
    assert not app.button(key="present_next").disabled
    app.button(key="present_previous").click().run()
    assert app.query_params["place"] == "E09000016"
    app.button(key="present_exit").click().run()
    assert "present" not in app.query_params


def test_presentation_charts_use_large_type(app):
    app.query_params["place"] = "E09000016"
    app.run()
    app.switch_page(page_path("place")).run()
    normal = figures(app)[0]["layout"]["font"]["size"]
    app.sidebar.toggle(key="present").set_value(True).run()
    large = figures(app)[0]["layout"]["font"]["size"]
    assert large > normal


def test_services_page_compares_a_service_type_across_places(app):
    app.query_params["service_type"] = "social_support"
    app.query_params["year"] = "2025"
    app.run()
    app.switch_page(page_path("services")).run()
    no_errors(app)
    table = app.dataframe[0].value.set_index("place")
    assert table.loc["Havering", "capacity"] == pytest.approx(82 * 12)
    assert table.loc["Havering", "capacity_per_100k"] == pytest.approx(
        82 * 12 / 47_104 * 1e5
    )  # ONS mid-2023, 65+


def test_data_quality_flags_the_step_down_flats(app):
    app.query_params["place"] = "E09000006"
    app.run()
    app.switch_page(page_path("data_quality")).run()
    no_errors(app)
    table = app.dataframe[0].value
    flats = table[table["service"].str.contains("step-down flats")].iloc[0]
    assert "observed length of stay" in flats["flags"]


def test_methodology_page_shows_the_shared_markdown(app):
    app.run()
    app.switch_page(page_path("methodology")).run()
    text = " ".join(m.value for m in app.markdown)
    assert "capacity = caseload × days in the month ÷ mean length of stay (days)" in text


def follow(app, path: str, query_string: str) -> None:
    """Open ``path`` with exactly this query, as a link, a bookmark or the back button does."""
    for name in list(app.query_params):
        del app.query_params[name]
    for pair in filter(None, query_string.split("&")):
        name, _, value = pair.partition("=")
        app.query_params[name] = value
    app.switch_page(page_path(path)).run()


def link_query(app, label: str) -> str:
    return next(
        link.proto.query_string for link in app.get("page_link") if link.proto.label == label
    )


def test_the_back_button_returns_settings_to_their_defaults(app):
    app.run()
    follow(app, "place", "place=E09000016&year=2025")
    app.sidebar.radio(key="source").set_value("hospital").run()
    app.multiselect(key="place_types").set_value(["reablement_home"]).run()
    assert app.query_params["source"] == "hospital"
    assert app.query_params["service_type"] == "reablement_home"
    follow(app, "place", "place=E09000016&year=2025")  # back to the first view
    no_errors(app)
    assert app.sidebar.radio(key="source").value == "both"
    assert app.multiselect(key="place_types").value == []
    assert dict(app.query_params) == {"place": "E09000016", "year": "2025"}
    assert len(figures(app)) > 1  # every service type drawn again


def test_a_link_to_a_page_carries_the_settings_it_was_left_with(app):
    app.run()
    follow(app, "place", "place=E09000016&year=2025")
    app.multiselect(key="place_types").set_value(["reablement_home"]).run()
    follow(app, "overview", link_query(app, "Overview"))
    back_to_place = link_query(app, "Place")
    assert "service_type=reablement_home" in back_to_place
    follow(app, "place", back_to_place)
    no_errors(app)
    assert app.multiselect(key="place_types").value == ["reablement_home"]


def test_a_presentation_link_with_an_unknown_value_still_says_so(app):
    app.query_params["present"] = "1"
    app.query_params["year"] = "1999"
    app.run()
    no_errors(app)
    assert any("year '1999' is not recognised" in w.value for w in app.warning)


def test_a_crafted_link_value_is_shown_as_typed_not_as_a_link(app):
    app.query_params["place"] = "[Click here](https://example.org)"
    app.run()
    notice = next(w.value for w in app.warning if "is not recognised" in w.value)
    assert "](" not in notice and r"\[Click here\]" in notice


MONTHS_2025 = [
    "Apr 2025",
    "May 2025",
    "Jun 2025",
    "Jul 2025",
    "Aug 2025",
    "Sep 2025",
    "Oct 2025",
    "Nov 2025",
    "Dec 2025",
    "Jan 2026",
    "Feb 2026",
    "Mar 2026",
]


def test_place_tables_show_months_and_sources_as_people_read_them(app):
    app.query_params.update({"place": "E09000016", "year": "2025"})
    app.run()
    app.switch_page(page_path("place")).run()
    no_errors(app)
    *month_tables, assumptions = [d.value for d in app.dataframe]
    assert month_tables
    for table in month_tables:
        for _, rows in table.groupby(["service", "source"]):
            assert list(rows["month"]) == MONTHS_2025
        assert set(table["source"]) <= {"Hospital discharge", "Community"}
    everything = pd.concat(month_tables)
    hsss = everything[everything["service"] == "BHR Home, Settle & Support"]
    assert set(hsss["source"]) == {"Hospital discharge"} and set(hsss["capacity"]) == {82.0}
    rehab = everything[everything["service"] == "BHR community rehabilitation beds"]
    assert set(rehab["source"]) == {"Hospital discharge", "Community"}
    assert set(assumptions["source"]) == {"Hospital discharge", "Community"}


def test_place_charts_show_the_band_around_demand_and_the_headline_its_chance(app):
    app.query_params.update({"place": "E09000016", "year": "2025"})
    app.run()
    app.switch_page(page_path("place")).run()
    no_errors(app)
    chart = figures(app)[0]
    band = trace(chart, "80% prediction interval")
    demand = trace(chart, "Demand")
    top = next(t for t in chart["data"] if t.get("name") == "interval top")
    # The band surrounds demand in every month (three years of demo history behind each).
    for low, mid, high in zip(band["y"], demand["y"], top["y"], strict=True):
        assert low <= mid <= high and high > low
    headline = app.markdown[0].value
    if " short in " in headline:
        assert "chance of being short" in headline
    table = next(d.value for d in app.dataframe if "demand_low" in d.value.columns)
    assert (table["demand_low"] <= table["demand"]).all()
    assert table["demand_note"].str.contains("80% prediction interval").all()


def test_the_data_page_offers_the_demand_settings(app):
    app.run()
    app.switch_page(page_path("data")).run()
    no_errors(app)
    assert "Demand assumptions: window and growth" in [h.value for h in app.subheader]
