"""The Export page: it offers the workbook, CSV, chart images and a zip, with the app's figures."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

import openpyxl
import pandas as pd
import pytest

import capacity.export
from pages import page_path
from tests.app.conftest import figures, no_errors, trace
from tests.browser import needs_chromium

HSSS = "Social support (including VCS) (pathway 0)"


@pytest.fixture
def made(monkeypatch) -> list[tuple[str, bytes]]:
    """Every file the page makes in a run, as (format, bytes), from the same export function."""
    made: list[tuple[str, bytes]] = []
    real = capacity.export.export_bytes

    def recording(fmt, *args, **kwargs):
        data = real(fmt, *args, **kwargs)
        made.append((fmt, data))
        return data

    monkeypatch.setattr(capacity.export, "export_bytes", recording)
    return made


def open_export(app, place: str | None = None):
    app.query_params["year"] = "2025"
    if place:
        app.query_params["place"] = place
    app.run()
    app.switch_page(page_path("export")).run()
    no_errors(app)
    return app


def download_labels(app) -> list[str]:
    return [button.label for button in app.get("download_button")]


def test_the_page_defaults_to_the_sidebars_system_and_a_workbook(app, made):
    open_export(app)
    assert app.title[0].value == "Export · 2025-26"
    assert app.multiselect(key="export_places").value == ["BHR"]
    assert download_labels(app) == ["Download bhr-2025-26-capacity-demand.xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(made[-1][1]))
    assert book.sheetnames[:3] == ["Cover", "C&D total (BHR)", "C&D Barking and Dagenham"]


def test_havering_workbook_holds_the_figures_the_app_shows(app, made):
    open_export(app, "E09000016")
    assert app.multiselect(key="export_places").value == ["E09000016"]
    table = app.dataframe[0].value
    row = table[
        (table["Section"] == "Capacity – hospital discharge") & (table["Service type"] == HSSS)
    ]
    assert row.iloc[0, 3:].tolist() == [82] * 12 + [984]
    book = openpyxl.load_workbook(io.BytesIO(made[-1][1]))
    sheet = book["Capacity & Demand"]
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    capacity_rows = [r for r in cells if r[0] == HSSS]
    assert capacity_rows[1][2:] == [82] * 12 + [984]  # demand comes first, then capacity
    app.switch_page(page_path("place")).run()
    shown = figures(app)[0]
    assert set(trace(shown, "Capacity")["y"]) == {82.0}


def test_the_choice_follows_the_sidebar_place(app):
    open_export(app)
    app.sidebar.selectbox(key="place").select("E06000034").run()
    no_errors(app)
    assert app.multiselect(key="export_places").value == ["E06000034"]
    assert download_labels(app) == ["Download thurrock-2025-26-capacity-demand.xlsx"]


def test_the_plan_as_csv(app, made):
    open_export(app, "E09000016")
    app.radio(key="export_format").set_value("csv").run()
    no_errors(app)
    assert download_labels(app) == ["Download havering-2025-26-plan.csv"]
    fmt, data = made[-1]
    frame = pd.read_csv(io.BytesIO(data))
    assert fmt == "csv" and set(frame["place"]) == {"Havering"}
    assert set(frame.loc[frame["service"] == "BHR Home, Settle & Support", "capacity"]) == {82.0}


@needs_chromium("chart images (PNG, SVG)")
def test_a_chart_image_of_the_chosen_service_type(app, made):
    open_export(app, "E09000016")
    app.radio(key="export_format").set_value("svg").run()
    no_errors(app)
    assert app.selectbox(key="export_service_type").value == "social_support"
    app.selectbox(key="export_service_type").select("reablement_home").run()
    no_errors(app)
    assert download_labels(app) == ["Download havering-2025-26-gap-reablement-home.svg"]
    fmt, data = made[-1]
    assert fmt == "svg" and ElementTree.fromstring(data).tag.endswith("svg")
    chart = figures(app)[0]
    assert "Reablement at home" in chart["layout"]["title"]["text"]


def test_bulk_gives_one_workbook_per_place_of_the_system(app, made):
    open_export(app)
    app.radio(key="export_format").set_value("zip").run()
    no_errors(app)
    assert download_labels(app) == ["Download bhr-2025-26-capacity-demand.zip"]
    with zipfile.ZipFile(io.BytesIO(made[-1][1])) as archive:
        assert archive.namelist() == [
            "barking-and-dagenham-2025-26-capacity-demand.xlsx",
            "havering-2025-26-capacity-demand.xlsx",
            "redbridge-2025-26-capacity-demand.xlsx",
        ]


def test_the_sidebars_scenario_is_exported(app, made):
    app.query_params["scenario"] = "preset:winter_surge"
    open_export(app, "E09000016")
    book = openpyxl.load_workbook(io.BytesIO(made[-1][1]))
    cover = {r[0]: r[1] for r in book["Cover"].iter_rows(values_only=True) if r[0]}
    assert cover["Scenario"] == "Winter surge (preset)"


def test_several_places_chosen_by_hand(app, made):
    open_export(app, "E09000016")
    app.multiselect(key="export_places").set_value(["E09000016", "E06000034"]).run()
    no_errors(app)
    book = openpyxl.load_workbook(io.BytesIO(made[-1][1]))
    assert book.sheetnames == [
        "Cover",
        "C&D total",
        "C&D Havering",
        "C&D Thurrock",
        "Assumptions",
        "Data",
    ]


def test_nothing_chosen_offers_nothing(app):
    open_export(app, "E09000016")
    app.multiselect(key="export_places").set_value([]).run()
    no_errors(app)
    assert download_labels(app) == []
    assert any("Choose a place" in info.value for info in app.info)
