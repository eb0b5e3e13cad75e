"""England in the sidebar and on the Overview: a searchable picker grouped by region and ICB,
and the heat map for the places with plans, an ICB's places or a region's ICBs."""

from __future__ import annotations

import pytest
from streamlit.proto.SelectWidgetFilterMode_pb2 import SelectWidgetFilterMode

from pages import page_path
from tests.app.conftest import figures, no_errors

NEL = "E54000029"  # North East London ICB
# Its eight places by name (ONS names; City of London is an HWB sub-area of Hackney's group);
# the demo has services in three of them, all of BHR.
NEL_ROWS = [
    "Barking and Dagenham",
    "City of London (no services)",
    "Hackney (no services)",
    "Havering",
    "Newham (no services)",
    "Redbridge",
    "Tower Hamlets (no services)",
    "Waltham Forest (no services)",
    "North East London ICB (3 of 8 places)",
]
# London's five ICBs; the demo's places with plans are BHR's three (NEL) and Bromley (SEL).
LONDON_ROWS = [
    "North Central London ICB (no places with plans)",
    "North East London ICB (3 of 8 places)",
    "North West London ICB (no places with plans)",
    "South East London ICB (Bromley only)",
    "South West London ICB (no places with plans)",
]


def heat(app) -> dict:
    """The Overview's heat map trace."""
    return next(t for t in figures(app)[0]["data"] if t["type"] == "heatmap")


def title_of(figure: dict) -> str:
    """A figure's title as one line: its first line and the subtitle it wraps into."""
    title = figure["layout"]["title"]
    text = " ".join([title["text"], title.get("subtitle", {}).get("text", "")])
    return " ".join(text.replace("<br>", " ").split())


def rows_of(trace: dict) -> dict[str, list]:
    """Each row's cells by its label."""
    return dict(zip(trace["y"], trace["z"], strict=True))


def test_the_picker_names_each_places_icb_and_region_and_lists_places_with_services_first(app):
    app.run()
    no_errors(app)
    labels = app.sidebar.selectbox(key="place").options
    marked = [label.startswith("With services · ") for label in labels]
    # The marked group comes first, and only places with services and systems holding them.
    first_unmarked = marked.index(False)
    assert not any(marked[first_unmarked:])
    group = labels[:first_unmarked]
    havering = "With services · Havering · North East London ICB · London"
    bhr = (
        "With services · Barking & Dagenham, Havering and Redbridge (system) · "
        "North East London ICB · London"
    )
    icb = "With services · North East London ICB (system) · London"
    # Under its region, the ICB, then its local partnership, then its places by name.
    assert group.index(icb) < group.index(bhr) < group.index(havering)
    assert group.index(havering) < group.index(
        "With services · Redbridge · North East London ICB · London"
    )
    # Regions in order: East of England (Thurrock) before London before the Midlands (Rutland).
    thurrock = "With services · Thurrock · Mid and South Essex ICB · East of England"
    rutland = "With services · Rutland · Leicester, Leicestershire and Rutland ICB · East Midlands"
    assert group.index(thurrock) < group.index(havering) < group.index(rutland)
    # Newham has no services: after the group, under its ICB, with its region to search by.
    newham = "Newham · North East London ICB · London"
    leeds = "Leeds · West Yorkshire ICB · Yorkshire and The Humber"
    assert labels.index(newham) > first_unmarked and leeds in labels
    # Among the rest, London's ICBs by name, each followed by its places: North Central
    # London ICB, then Barnet (one of its places), then North East London's Newham.
    ncl = labels.index("North Central London ICB (system) · London")
    barnet = labels.index("Barnet · North Central London ICB · London")
    assert first_unmarked <= ncl < barnet < labels.index(newham)
    # The search matches words anywhere in a label: a place, its ICB or its region.
    contains = SelectWidgetFilterMode.FILTER_MODE_CONTAINS
    assert app.sidebar.selectbox(key="place").proto.filter_mode == contains


def test_a_deep_link_to_any_place_in_england_still_opens_it(app):
    app.query_params["place"] = "E08000035"  # Leeds
    app.query_params["year"] = "2025"
    app.run()
    app.switch_page(page_path("place")).run()
    no_errors(app)
    assert app.sidebar.selectbox(key="place").value == "E08000035"
    assert app.query_params["place"] == "E08000035"
    assert any("Leeds · West Yorkshire ICB" in c.value for c in app.sidebar.caption)


def test_the_overview_shows_an_icbs_places_with_the_ones_without_services_blank(app):
    app.query_params["year"] = "2025"
    app.query_params["scope"] = f"icb:{NEL}"
    app.run()
    no_errors(app)
    assert not app.warning
    trace = heat(app)
    assert trace["y"] == NEL_ROWS
    cells = rows_of(trace)
    # No services: blank cells, never zeros.
    assert all(v is None for v in cells["Newham (no services)"])
    assert all(v is not None for v in cells["Havering"])
    assert app.segmented_control(key="overview_scope_kind").value == "icb"
    assert app.selectbox(key="overview_icb").value == NEL
    assert app.query_params["scope"] == f"icb:{NEL}"
    assert "North East London ICB's places" in title_of(figures(app)[0])


def test_an_icbs_total_per_100000_is_of_its_places_with_plans(app):
    app.query_params["year"] = "2025"
    app.query_params["scope"] = "icb:E54000026"  # Mid and South Essex: Essex and Thurrock
    app.run()
    people = rows_of(heat(app))
    app.segmented_control(key="overview_measure").set_value("per100k").run()
    no_errors(app)
    assert "per 100,000 aged 65+ (ONS mid-2023 estimate)" in title_of(figures(app)[0])
    rates = rows_of(heat(app))
    label = "Mid and South Essex ICB (2 of 3 places)"
    # ONS mid-2023, aged 65+: Essex 320,277 and Thurrock 24,315; Southend-on-Sea, with no
    # plan, counts neither in the people short nor in the people they are a rate of.
    for short, rate in zip(people[label], rates[label], strict=True):
        assert rate == pytest.approx(short / (320_277 + 24_315) * 100_000)
    for short, rate in zip(people["Thurrock"], rates["Thurrock"], strict=True):
        assert rate == pytest.approx(short / 24_315 * 100_000)


def test_the_overview_shows_a_regions_icbs_saying_how_many_places_have_plans(app):
    app.query_params["year"] = "2025"
    app.query_params["scope"] = "region:London"
    app.run()
    no_errors(app)
    trace = heat(app)
    assert trace["y"] == LONDON_ROWS
    cells = rows_of(trace)
    assert all(v is None for v in cells["North West London ICB (no places with plans)"])
    assert len(trace["x"]) == 12
    assert app.selectbox(key="overview_region").value == "London"


def test_the_scope_control_writes_the_address(app):
    app.query_params["year"] = "2025"
    app.run()
    app.segmented_control(key="overview_scope_kind").set_value("icb").run()
    no_errors(app)
    # The sidebar's place is BHR, in North East London: that ICB is offered first.
    assert app.query_params["scope"] == f"icb:{NEL}"
    assert heat(app)["y"] == NEL_ROWS
    app.segmented_control(key="overview_scope_kind").set_value("region").run()
    assert app.query_params["scope"] == "region:London"
    app.selectbox(key="overview_region").set_value("Midlands").run()
    assert app.query_params["scope"] == "region:Midlands"
    assert "Leicester, Leicestershire and Rutland ICB (Rutland only)" in heat(app)["y"]
    app.segmented_control(key="overview_scope_kind").set_value("plans").run()
    assert "scope" not in app.query_params
    assert "Barking & Dagenham, Havering and Redbridge (system)" in heat(app)["y"]


def test_an_icb_named_by_its_ods_code_or_a_region_in_any_case_is_understood(app):
    app.query_params["scope"] = "icb:qmf"
    app.query_params["year"] = "2025"
    app.run()
    assert not app.warning
    assert heat(app)["y"] == NEL_ROWS
    assert app.query_params["scope"] == f"icb:{NEL}"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("icb:E99999999", "'E99999999' is not an ICB's code"),
        ("icb:E09000016", "'E09000016' is not an ICB's code"),  # a place, not an ICB
        ("region:Atlantis", "'Atlantis' is not a region"),
        ("everything", "use plans, icb:CODE or region:NAME"),
    ],
)
def test_a_bad_scope_in_the_address_says_so_and_shows_the_places_with_plans(app, value, shown):
    app.query_params["scope"] = value
    app.query_params["year"] = "2025"
    app.run()
    no_errors(app)
    notices = " ".join(w.value for w in app.warning)
    assert f"scope {value!r} is not recognised" in notices and shown in notices
    assert "Barking & Dagenham, Havering and Redbridge (system)" in heat(app)["y"]
    assert app.segmented_control(key="overview_scope_kind").value == "plans"
    assert "scope" not in app.query_params


def test_the_services_page_names_the_population_its_rates_are_of(app):
    app.query_params["year"] = "2025"
    app.run()
    app.switch_page(page_path("services")).run()
    no_errors(app)
    assert "capacity per 100,000 aged 65+ (ONS mid-2023 estimate)" in title_of(figures(app)[0])
