"""Exports: the BCF capacity & demand workbook, CSV, chart images, and the export command.

Every export is reopened from its bytes (openpyxl for workbooks, pandas for
CSV, the PNG header and an XML parser for images) and checked against the
plan frame, the reference data and hand-worked figures from the demo.
"""

from __future__ import annotations

import csv
import io
import math
import shutil
import struct
import zipfile
from datetime import datetime
from xml.etree import ElementTree

import numpy as np
import openpyxl
import pandas as pd
import pytest

from capacity import __version__, config
from capacity.cli import main
from capacity.demo import build_demo_database
from capacity.export import (
    ExportError,
    ExportInfo,
    Scope,
    chart_image,
    export_bytes,
    file_name,
    gap_figure,
    plan_csv,
    scope_for,
    workbook,
)
from capacity.plan import PLAN_COLUMNS, plan_for, plan_for_all
from capacity.scenario_store import resolve
from capacity.store import Store
from capacity.workforce import WORKFORCE_COLUMNS
from tests.browser import needs_chromium

needs_images = needs_chromium("chart images (PNG, SVG)")

MADE = datetime(2025, 11, 24, 9, 30)
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
SECTION_TITLES = [
    "Demand – hospital discharge",
    "Demand – community",
    "Capacity – hospital discharge",
    "Capacity – community",
    "Gap (capacity − demand) – hospital discharge",
    "Gap (capacity − demand) – community",
]
SOURCE_NAMES = {"hospital": "hospital discharge", "community": "community"}
HYPERLINK = '=HYPERLINK("http://x","y")'
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# -- helpers ---------------------------------------------------------------------


def info_for(
    store: Store, year: int, scenario=None, labels: pd.DataFrame | None = None
) -> ExportInfo:
    return ExportInfo(
        year=year,
        scenario=scenario,
        made_at=MADE,
        version=__version__,
        service_types=store.query("service_types"),
        labels=store.query("service_type_labels") if labels is None else labels,
    )


def open_book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def header_row(sheet) -> int:
    return next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "Service type")


def sections(sheet) -> dict[str, dict]:
    """Each section of a capacity & demand sheet: its rows (label → 13 figures) and total row."""
    out: dict[str, dict] = {}
    row = header_row(sheet) + 1
    while row <= sheet.max_row:
        title = sheet.cell(row, 1).value
        if title is None:
            row += 1
            continue
        rows, pathways = {}, {}
        row += 1
        while not str(sheet.cell(row, 1).value).startswith("Total: "):
            label = sheet.cell(row, 1).value
            rows[label] = [sheet.cell(row, c).value for c in range(3, 16)]
            pathways[label] = sheet.cell(row, 2).value
            row += 1
        total = [sheet.cell(row, c).value for c in range(3, 16)]
        out[title] = {
            "rows": rows,
            "pathways": pathways,
            "total": total,
            "total_label": sheet.cell(row, 1).value,
        }
        row += 1
    return out


def reference_labels(year_label: str, source: str) -> list[str]:
    """The labels for a year and source, in plan order, read straight from the reference CSVs."""
    with open(config.REFERENCE_DIR / "service_types.csv", encoding="utf-8") as handle:
        order = {r["service_type"]: int(r["sort_order"]) for r in csv.DictReader(handle)}
    with open(config.REFERENCE_DIR / "service_type_labels.csv", encoding="utf-8") as handle:
        rows = [
            r
            for r in csv.DictReader(handle)
            if r["planning_year"] == year_label and r["source"] == source
        ]
    return [r["label"] for r in sorted(rows, key=lambda r: order[r["service_type"]])]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# -- fixtures --------------------------------------------------------------------


@pytest.fixture(scope="module")
def places(demo_store) -> pd.DataFrame:
    return demo_store.query("places")


@pytest.fixture(scope="module")
def havering(demo_store) -> pd.DataFrame:
    return plan_for(demo_store, "Havering", 2025)


@pytest.fixture(scope="module")
def everywhere(demo_store) -> pd.DataFrame:
    return plan_for_all(demo_store, 2025)


@pytest.fixture(scope="module")
def havering_book(demo_store, havering, places) -> openpyxl.Workbook:
    scope = scope_for(places, ["E09000016"])
    return open_book(workbook(havering, scope, info_for(demo_store, 2025)))


@pytest.fixture(scope="module")
def bhr_book(demo_store, everywhere, places) -> openpyxl.Workbook:
    scope = scope_for(places, ["BHR"])
    return open_book(export_bytes("xlsx", everywhere, scope, info_for(demo_store, 2025)))


# -- scope -----------------------------------------------------------------------


def test_a_place_is_exported_on_its_own(places):
    scope = scope_for(places, ["E09000016"])
    assert scope.places == (("E09000016", "Havering"),) and scope.total is None
    assert scope.name == "Havering"


def test_a_system_stands_for_its_places_with_a_total(places):
    scope = scope_for(places, ["BHR"])
    assert scope.codes == ["E09000002", "E09000016", "E09000026"]
    assert scope.total == ("BHR", "Barking & Dagenham, Havering and Redbridge")


def test_places_chosen_by_hand_get_a_total_named_after_them(places):
    scope = scope_for(places, ["E09000016", "E06000034", "E09000016"])
    assert scope.codes == ["E09000016", "E06000034"]
    assert scope.total == ("", "Total of Havering, Thurrock")


def test_nothing_chosen_is_an_error(places):
    with pytest.raises(ExportError, match="at least one"):
        scope_for(places, [])


def test_file_names_say_what_is_inside(places):
    assert (
        file_name(scope_for(places, ["E09000016"]), 2025, "xlsx")
        == "havering-2025-26-capacity-demand.xlsx"
    )
    assert file_name(scope_for(places, ["BHR"]), 2024, "csv") == "bhr-2024-25-plan.csv"
    assert (
        file_name(scope_for(places, ["E09000002"]), 2025, "png", "reablement_home")
        == "barking-and-dagenham-2025-26-gap-reablement-home.png"
    )


# -- the workbook: sheets and layout ----------------------------------------------


def test_a_place_workbook_has_the_four_sheets(havering_book):
    assert havering_book.sheetnames == ["Cover", "Capacity & Demand", "Assumptions", "Data"]


def test_a_system_workbook_has_a_sheet_per_place_and_a_total(bhr_book):
    assert bhr_book.sheetnames == [
        "Cover",
        "C&D total (BHR)",
        "C&D Barking and Dagenham",
        "C&D Havering",
        "C&D Redbridge",
        "Assumptions",
        "Data",
    ]


def test_months_run_april_to_march_then_the_year(havering_book):
    sheet = havering_book["Capacity & Demand"]
    row = header_row(sheet)
    headings = [sheet.cell(row, c).value for c in range(1, 16)]
    assert headings == ["Service type", "Pathway", *MONTHS_2025, "Total"]


def test_sections_come_in_template_order_with_a_total_each(havering_book):
    found = sections(havering_book["Capacity & Demand"])
    assert list(found) == SECTION_TITLES
    assert found["Demand – community"]["total_label"] == "Total: demand – community"


@pytest.mark.parametrize("year", [2023, 2024, 2025])
def test_every_template_row_appears_with_that_years_labels(demo_store, places, year):
    frame = plan_for(demo_store, "Havering", year)
    book = open_book(workbook(frame, scope_for(places, ["E09000016"]), info_for(demo_store, year)))
    found = sections(book["Capacity & Demand"])
    label = f"{year}-{(year + 1) % 100:02d}"
    for title, section in found.items():
        source = "hospital" if title.endswith("hospital discharge") else "community"
        assert list(section["rows"]) == reference_labels(label, source), title
    assert len(found["Demand – hospital discharge"]["rows"]) == 8
    assert len(found["Demand – community"]["rows"]) == 7


def test_hospital_rows_carry_their_pathway_and_community_rows_none(havering_book):
    found = sections(havering_book["Capacity & Demand"])
    hospital = found["Capacity – hospital discharge"]["pathways"]
    assert hospital["Social support (including VCS) (pathway 0)"] == "P0"
    assert hospital["Reablement at home (pathway 1)"] == "P1"
    assert list(hospital.values()) == ["P0", "P1", "P1", "P1", "P2", "P2", "P2", "P3"]
    assert set(found["Capacity – community"]["pathways"].values()) == {None}


def test_row_labels_come_from_the_data_not_the_code(demo_store, havering, places):
    labels = demo_store.query("service_type_labels")
    edited = labels.copy()
    wanted = (
        (edited["planning_year"] == "2024-25")
        & (edited["source"] == "hospital")
        & (edited["service_type"] == "reablement_home")
    )
    edited.loc[wanted, "label"] = "Reablement at home, as worded for 2024-25 (P1)"
    scope = scope_for(places, ["E09000016"])
    frame_2024 = plan_for(demo_store, "Havering", 2024)
    book_2024 = open_book(workbook(frame_2024, scope, info_for(demo_store, 2024, labels=edited)))
    book_2025 = open_book(workbook(havering, scope, info_for(demo_store, 2025, labels=edited)))
    rows_2024 = sections(book_2024["Capacity & Demand"])["Demand – hospital discharge"]["rows"]
    rows_2025 = sections(book_2025["Capacity & Demand"])["Demand – hospital discharge"]["rows"]
    assert "Reablement at home, as worded for 2024-25 (P1)" in rows_2024
    assert "Reablement at home (pathway 1)" not in rows_2024
    assert "Reablement at home (pathway 1)" in rows_2025


def test_a_year_without_labels_uses_the_latest_and_says_so(demo_store, places):
    frame = plan_for(demo_store, "Havering", 2026)
    book = open_book(workbook(frame, scope_for(places, ["E09000016"]), info_for(demo_store, 2026)))
    found = sections(book["Capacity & Demand"])
    assert list(found["Demand – community"]["rows"]) == reference_labels("2025-26", "community")
    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(values_only=True) if row[0]}
    assert "2026-27" in cover["Row labels"] and "2025-26" in cover["Row labels"]


def test_a_service_type_with_no_label_row_fails_loudly(demo_store, havering, places):
    labels = demo_store.query("service_type_labels")
    missing = labels[
        ~((labels["service_type"] == "reablement_home") & (labels["source"] == "hospital"))
    ]
    with pytest.raises(ExportError, match=r"reablement_home \(hospital\)"):
        workbook(
            havering, scope_for(places, ["E09000016"]), info_for(demo_store, 2025, labels=missing)
        )


# -- the workbook: figures ----------------------------------------------------------


def test_havering_social_support_capacity_is_82_a_month(havering_book):
    found = sections(havering_book["Capacity & Demand"])["Capacity – hospital discharge"]
    assert found["rows"]["Social support (including VCS) (pathway 0)"] == [82] * 12 + [984]


def test_rows_with_no_service_at_the_place_are_zero(havering_book):
    found = sections(havering_book["Capacity & Demand"])
    assert found["Capacity – community"]["rows"]["Urgent community response"] == [0] * 13


def figures_by_type(frame: pd.DataFrame, measure: str, source: str) -> pd.DataFrame:
    rows = frame[frame["source"] == source]
    return rows.groupby(["service_type", "month"])[measure].sum().unstack("month")


@pytest.mark.parametrize("measure", ["demand", "capacity"])
@pytest.mark.parametrize("source", ["hospital", "community"])
def test_whole_numbers_are_within_one_of_the_plan(
    demo_store, havering, havering_book, measure, source
):
    types = demo_store.query("service_types").set_index("name")
    labels = demo_store.query("service_type_labels")
    labels = labels[labels["planning_year"] == "2025-26"]
    by_label = dict(
        zip(
            labels.loc[labels["source"] == source, "label"],
            labels.loc[labels["source"] == source, "service_type"],
            strict=True,
        )
    )
    truth = figures_by_type(havering, measure, source)
    title = f"{measure.capitalize()} – {'hospital discharge' if source == 'hospital' else source}"
    section = sections(havering_book["Capacity & Demand"])[title]
    assert len(types)  # the store has service types
    for label, figures in section["rows"].items():
        service_type = by_label[label]
        expected = (
            truth.loc[service_type].to_numpy() if service_type in truth.index else np.zeros(12)
        )
        assert np.all(np.abs(np.array(figures[:12]) - expected) < 1), label
        assert abs(figures[12] - expected.sum()) < 1, label
    year = truth.to_numpy().sum()
    assert math.floor(year) <= section["total"][12] <= math.ceil(year)


def check_adds_up(sheet) -> None:
    found = sections(sheet)
    for title, section in found.items():
        rows = list(section["rows"].values())
        for figures in rows:
            assert all(isinstance(v, int) for v in figures), title
            assert sum(figures[:12]) == figures[12], title
        columns = [sum(r[j] for r in rows) for j in range(13)]
        assert columns == section["total"], title
        assert sum(section["total"][:12]) == section["total"][12], title
    for source in ("hospital discharge", "community"):
        demand = found[f"Demand – {source}"]
        capacity = found[f"Capacity – {source}"]
        gap = found[f"Gap (capacity − demand) – {source}"]
        for label, figures in gap["rows"].items():
            assert figures == [
                c - d for c, d in zip(capacity["rows"][label], demand["rows"][label], strict=True)
            ]
        assert gap["total"] == [
            c - d for c, d in zip(capacity["total"], demand["total"], strict=True)
        ]


def test_every_row_and_column_adds_up_on_every_sheet(bhr_book):
    for name in bhr_book.sheetnames:
        if name.startswith("C&D"):
            check_adds_up(bhr_book[name])


def test_the_system_total_is_the_sum_of_its_place_sheets(bhr_book):
    total = sections(bhr_book["C&D total (BHR)"])
    parts = [
        sections(bhr_book[n]) for n in ("C&D Barking and Dagenham", "C&D Havering", "C&D Redbridge")
    ]
    for title, section in total.items():
        for label, figures in section["rows"].items():
            assert figures == [sum(p[title]["rows"][label][j] for p in parts) for j in range(13)]


def types_by_label(year_label: str, source: str) -> dict[str, str]:
    """Label → service type for a year and source, read straight from the reference CSV."""
    with open(config.REFERENCE_DIR / "service_type_labels.csv", encoding="utf-8") as handle:
        return {
            r["label"]: r["service_type"]
            for r in csv.DictReader(handle)
            if r["planning_year"] == year_label and r["source"] == source
        }


def unrounded(data: pd.DataFrame, title: str, labels: list[str]) -> np.ndarray:
    """A section's unrounded figures (rows × April–March) worked from the Data sheet."""
    measure = {"Demand": "demand", "Capacity": "capacity"}.get(title.split(" ")[0], "gap")
    source = "hospital" if title.endswith("hospital discharge") else "community"
    by_label = types_by_label("2025-26", source)
    months = sorted(data["month"].unique())
    rows = data[data["source"] == source]
    out = np.zeros((len(labels), 12))
    for i, label in enumerate(labels):
        of_type = rows[rows["service_type"] == by_label[label]]
        for j, month in enumerate(months):
            in_month = of_type[of_type["month"] == month]
            capacity = in_month["capacity"].astype(float).sum()
            demand = in_month["demand"].astype(float).sum()
            out[i, j] = {"demand": demand, "capacity": capacity}.get(measure, capacity - demand)
    return out


def within_one(shown, truth) -> bool:
    """Every figure shown is its unrounded value rounded down or up (a whole number kept;
    float noise a hair from a whole number counts as that whole number)."""
    shown, truth = np.asarray(shown, dtype=float), np.asarray(truth, dtype=float)
    return bool(np.all((np.floor(truth + 1e-9) <= shown) & (shown <= np.ceil(truth - 1e-9))))


def check_every_sheet(book) -> dict[str, dict]:
    """Every capacity & demand sheet of a system workbook against its Data sheet: every figure
    within one of its unrounded value, every sum, gaps of 0 where capacity equals demand, and
    the total sheet the sum of the places' sheets. Returns the sheets' sections by name."""
    data = table(book["Data"])
    assert set(data["month"]) and len(set(data["month"])) == 12
    names = [n for n in book.sheetnames if n.startswith("C&D")]
    found = {name: sections(book[name]) for name in names}
    for name in names:
        check_adds_up(book[name])
        place = name.removeprefix("C&D ")
        rows = data if name.startswith("C&D total") else data[data["place"] == place]
        assert len(rows), name
        for title, section in found[name].items():
            labels = list(section["rows"])
            truth = unrounded(rows, title, labels)
            shown = np.array([section["rows"][label] for label in labels], dtype=float)
            where = f"{name}: {title}"
            assert within_one(shown[:, :12], truth), where
            assert within_one(shown[:, 12], truth.sum(axis=1)), where
            assert within_one(section["total"][:12], truth.sum(axis=0)), where
            assert within_one(section["total"][12], truth.sum()), where
            if title.startswith("Gap"):
                capacity = unrounded(
                    rows, title.replace("Gap (capacity − demand)", "Capacity"), labels
                )
                tied = np.all(np.abs(truth) < 1e-9, axis=1) & (capacity.sum(axis=1) > 0)
                assert (shown[tied] == 0).all(), where  # capacity equals demand: gap 0
    total = next(n for n in names if n.startswith("C&D total"))
    for title, section in found[total].items():
        for label, figures in section["rows"].items():
            assert figures == [
                sum(found[n][title]["rows"][label][j] for n in names if n != total)
                for j in range(13)
            ], (title, label)
        assert section["total"] == [
            sum(found[n][title]["total"][j] for n in names if n != total) for j in range(13)
        ], title
    return found


def test_every_figure_of_bhrs_workbook_is_within_one_and_adds_up(demo_db, tmp_path):
    # BHR's workbook as a lead makes it, from the command line.
    target = tmp_path / "bhr.xlsx"
    code, _, err = run(
        "--db", str(demo_db), "export", "--place", "BHR", "--year", "2025", "--out", str(target)
    )
    assert code == 0, err
    book = open_book(target.read_bytes())
    found = check_every_sheet(book)
    assert len(found) == 4  # the total and three places
    # Pathway 3 capacity: 31.7, 77.0 and 65.1 beds-worth a year across the three places,
    # 14.76 a month in May for the system; adding up the places' rounded sheets showed 16.
    data = table(book["Data"])
    may = data[
        (data["service_type"] == "p3_short_term_care_home")
        & (data["source"] == "hospital")
        & (data["month"] == "2025-05")
    ]
    assert may["capacity"].astype(float).sum() == pytest.approx(14.76, abs=0.01)
    label = next(
        label
        for label, t in types_by_label("2025-26", "hospital").items()
        if t == "p3_short_term_care_home"
    )
    shown = found["C&D total (BHR)"]["Capacity – hospital discharge"]["rows"][label][1]
    assert shown in (14, 15)
    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(values_only=True) if row[0]}
    assert "Figures moved further" not in cover
    assert "total sheet is the sum of the places' sheets" in cover["Rounding"]


def test_a_gap_is_0_on_every_sheet_where_capacity_was_assumed_equal_to_demand(
    demo_store, everywhere, places
):
    # Thurrock's Home from Hospital has its capacity assumed equal to demand; beside BHR's
    # three places its rows' gaps must be 0 on its own sheet, and the checks hold throughout.
    scope = scope_for(places, ["BHR", "E06000034"])
    book = open_book(export_bytes("xlsx", everywhere, scope, info_for(demo_store, 2025)))
    found = check_every_sheet(book)
    data = table(book["Data"])
    assumed = data[(data["method"] == "equal_to_demand") & (data["place"] == "Thurrock")]
    assert len(assumed)
    for service_type, source in set(zip(assumed["service_type"], assumed["source"], strict=True)):
        label = next(
            label for label, t in types_by_label("2025-26", source).items() if t == service_type
        )
        title = f"Gap (capacity − demand) – {SOURCE_NAMES[source]}"
        assert found["C&D Thurrock"][title]["rows"][label] == [0] * 13


def test_the_cover_names_figures_that_had_to_move_further(demo_store, havering, places):
    # Havering with every figure zero but four: hospital social support demand 0 in April
    # and 0.5 in May, capacity 0.75 and 0; reablement at home demand 0.5 and 0, capacity
    # 0 and 0.5. The whole-number totals (gap of reablement over the year 0, gaps in May
    # 0, demand over the year 1) leave no rounding within one of every figure.
    frame = havering.copy()
    frame[["demand", "capacity", "gap"]] = 0.0
    figures = {
        ("social_support", "2025-04"): (0.0, 0.75),
        ("social_support", "2025-05"): (0.5, 0.0),
        ("reablement_home", "2025-04"): (0.5, 0.0),
        ("reablement_home", "2025-05"): (0.0, 0.5),
    }
    for (service_type, month), (demand, capacity) in figures.items():
        at = frame.index[
            (frame["service_type"] == service_type)
            & (frame["month"] == month)
            & (frame["source"] == "hospital")
        ][0]
        frame.loc[at, ["demand", "capacity", "gap"]] = [demand, capacity, capacity - demand]
    book = open_book(workbook(frame, scope_for(places, ["E09000016"]), info_for(demo_store, 2025)))
    check_adds_up(book["Capacity & Demand"])
    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(values_only=True) if row[0]}
    moved = cover["Figures moved further"]
    assert moved.startswith(
        "No rounding could keep every figure within one of its unrounded "
        "value while everything adds up; these moved further: "
    )
    assert "Capacity & Demand, " in moved and " away)" in moved
    assert "named below" in cover["Rounding"]


def test_a_scenario_changes_the_figures_and_is_named_on_the_cover(demo_store, places):
    scenario = resolve(demo_store, "preset:winter_surge", 2025)
    frame = plan_for(demo_store, "Havering", 2025, scenario=scenario)
    baseline = plan_for(demo_store, "Havering", 2025)
    scope = scope_for(places, ["E09000016"])
    book = open_book(workbook(frame, scope, info_for(demo_store, 2025, scenario)))
    plain = open_book(workbook(baseline, scope, info_for(demo_store, 2025)))
    label = "Reablement at home (pathway 1)"
    surged = sections(book["Capacity & Demand"])["Demand – hospital discharge"]["rows"][label]
    before = sections(plain["Capacity & Demand"])["Demand – hospital discharge"]["rows"][label]
    plan = figures_by_type(baseline, "demand", "hospital").loc["reablement_home"].to_numpy()
    truth = figures_by_type(frame, "demand", "hospital").loc["reablement_home"].to_numpy()
    # April to November the scenario changes nothing: either workbook shows those months
    # within one of the plan's unrounded figures (which of two equally close whole numbers
    # each shows is the rounding's choice, not the scenario's).
    assert np.allclose(truth[:8], plan[:8])
    for shown in (surged, before):
        assert all(abs(a - b) < 1 for a, b in zip(shown[:8], plan[:8], strict=True))
    # December to March demand is 10% higher, within one of the new figures, and shown higher.
    assert np.allclose(truth[8:], plan[8:] * 1.1)
    assert all(abs(a - b) < 1 for a, b in zip(surged[8:12], truth[8:12], strict=True))
    assert all(a > b for a, b in zip(surged[8:12], before[8:12], strict=True))
    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(values_only=True) if row[0]}
    assert cover["Scenario"] == scenario.name
    assert cover["Scenario description"] == scenario.description
    assert "10% more demand in every place, Dec 2025–Mar 2026" in cover["Scenario changes"]


# -- the workbook: cover, assumptions, data ---------------------------------------------


def test_the_cover_says_what_when_and_which_version(bhr_book):
    cover = {row[0]: row[1] for row in bhr_book["Cover"].iter_rows(values_only=True) if row[0]}
    assert cover["Places"] == (
        "Barking and Dagenham (E09000002); Havering (E09000016); Redbridge (E09000026)"
    )
    assert cover["Planning year"] == "2025-26 (Apr 2025 to Mar 2026)"
    assert cover["Scenario"] == "Baseline"
    assert cover["Made"] == "24 November 2025, 09:30"
    assert cover["Product version"] == f"ic-capacity {__version__}"
    assert "add up" in cover["Rounding"]


def test_the_cover_explains_every_sheet(bhr_book):
    rows = list(bhr_book["Cover"].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] == "Sheet")
    guide = {row[0]: row[1] for row in rows[start + 1 :] if row[0]}
    assert list(guide) == bhr_book.sheetnames
    assert all(text for text in guide.values())


def test_the_cover_names_rows_whose_capacity_was_assumed(demo_store, places, everywhere):
    book = open_book(
        export_bytes(
            "xlsx", everywhere, scope_for(places, ["E06000034"]), info_for(demo_store, 2025)
        )
    )
    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(values_only=True) if row[0]}
    assert "Thurrock Home from Hospital" in cover["Capacity assumed equal to demand"]


def table(sheet) -> pd.DataFrame:
    rows = list(sheet.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_the_assumptions_sheet_lists_every_service_and_source(bhr_book, everywhere):
    found = table(bhr_book["Assumptions"])
    bhr = everywhere[everywhere["place_code"].isin(["E09000002", "E09000016", "E09000026"])]
    expected = set(zip(bhr["place"], bhr["service"], bhr["source"], strict=True))
    assert set(zip(found["Place"], found["Service"], found["Source"], strict=True)) == expected
    for column in (
        "Method",
        "Caseload",
        "Mean length of stay (days)",
        "Hours a month",
        "Hospital share",
        "Place share",
        "Demand data window",
        "Source note",
        "Flags",
    ):
        assert column in found.columns


def test_assumptions_show_the_winter_flex_beds_by_period(havering_book):
    found = table(havering_book["Assumptions"])
    beds = found[
        (found["Service"] == "BHR community rehabilitation beds") & (found["Source"] == "hospital")
    ]
    # Havering's share of use of the beds: 908 + 53 of the 2,206 referral records to them
    # (424 + 20 from Barking and Dagenham, 766 + 35 from Redbridge), Apr 2022 to Mar 2025.
    share = (908 + 53) / 2206
    by_months = dict(zip(beds["Months"], beds["Caseload"], strict=True))
    assert set(by_months) == {"Apr 2025; Nov 2025 – Mar 2026", "May 2025 – Oct 2025"}
    assert by_months["Apr 2025; Nov 2025 – Mar 2026"] == pytest.approx(61 * share)
    assert by_months["May 2025 – Oct 2025"] == pytest.approx(57 * share)
    assert set(beds["Place share from"]) == {"share of use (referrals Apr 2022 – Mar 2025)"}
    assert set(beds["Method"]) == {"Caseload × days ÷ length of stay"}
    assert set(beds["Mean length of stay (days)"]) == {28}


def test_the_data_sheet_is_the_plan_unrounded(havering_book, havering):
    found = table(havering_book["Data"])
    assert list(found.columns) == PLAN_COLUMNS
    assert len(found) == len(havering)
    for column in ("demand", "capacity", "gap", "caseload"):
        expected = havering[column].to_numpy(float)
        got = found[column].astype(float).to_numpy()
        # Excel keeps about 16 significant digits: unrounded means no more lost than that.
        assert np.allclose(got, expected, rtol=1e-14, atol=0, equal_nan=True), column
    fractional = found["capacity"].astype(float) % 1
    assert (fractional > 0.001).any()  # not whole numbers
    assert list(found["month"]) == list(havering["month"])


def test_sheets_are_formatted_for_reading_and_printing(havering_book):
    sheet = havering_book["Capacity & Demand"]
    header = header_row(sheet)
    assert sheet.freeze_panes == f"C{header + 1}"
    assert sheet.cell(header + 2, 3).number_format == "#,##0"
    assert sheet.column_dimensions["A"].width >= 40
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # One page wide (1 is the file format's default, so it may be left out), any number tall.
    assert (sheet.page_setup.fitToWidth or 1) == 1 and sheet.page_setup.fitToHeight == 0
    assert havering_book["Data"].freeze_panes == "C2"
    assert havering_book["Assumptions"].freeze_panes == "D2"


def test_shortfalls_are_shaded_by_conditional_formatting(havering_book):
    sheet = havering_book["Capacity & Demand"]
    rules = [(str(r.sqref), rule) for r in sheet.conditional_formatting for rule in r.rules]
    assert rules, "no conditional formatting"
    title = "Gap (capacity − demand) – hospital discharge"
    gap_title_row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == title)
    covered = [ref for ref, rule in rules if rule.operator == "lessThan" and rule.formula == ["0"]]
    assert f"C{gap_title_row + 1}" in " ".join(covered)


# -- text from the data is never a formula --------------------------------------------


@pytest.mark.parametrize("text", [HYPERLINK, "+44 20 7946 0000", "-1", "@SUM(A1:A2)"])
def test_text_that_looks_like_a_formula_stays_text(demo_store, havering, places, text):
    frame = havering.copy()
    frame.loc[frame["service"] == "Havering reablement", "service"] = text
    labels = demo_store.query("service_type_labels")
    labels.loc[
        (labels["planning_year"] == "2025-26") & (labels["service_type"] == "ucr"), "label"
    ] = text
    book = open_book(
        workbook(frame, scope_for(places, ["E09000016"]), info_for(demo_store, 2025, labels=labels))
    )
    cells = [
        cell
        for name in ("Capacity & Demand", "Assumptions", "Data")
        for row in book[name].iter_rows()
        for cell in row
        if cell.value == text
    ]
    assert len(cells) >= 3  # the label, an assumption row and the data rows
    assert all(cell.data_type == "s" for cell in cells)
    formulas = [
        cell
        for name in book.sheetnames
        for row in book[name].iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []


# -- zip of workbooks ---------------------------------------------------------------------


def test_the_bulk_zip_holds_one_workbook_per_place(demo_store, everywhere, places):
    data = export_bytes("zip", everywhere, scope_for(places, ["BHR"]), info_for(demo_store, 2025))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == [
            "barking-and-dagenham-2025-26-capacity-demand.xlsx",
            "havering-2025-26-capacity-demand.xlsx",
            "redbridge-2025-26-capacity-demand.xlsx",
        ]
        book = open_book(archive.read(names[1]))
    assert book.sheetnames == ["Cover", "Capacity & Demand", "Assumptions", "Data"]
    row = sections(book["Capacity & Demand"])["Capacity – hospital discharge"]["rows"][
        "Social support (including VCS) (pathway 0)"
    ]
    assert row == [82] * 12 + [984]


def test_an_unknown_format_is_refused(demo_store, havering, places):
    with pytest.raises(ExportError, match="Unknown export format"):
        export_bytes("pdf", havering, scope_for(places, ["E09000016"]), info_for(demo_store, 2025))


# -- CSV --------------------------------------------------------------------------------


def test_the_csv_round_trips_to_the_plan_frame(havering):
    data = plan_csv(havering)
    text = data.decode("utf-8")
    # The plan's columns, then the workforce figures derived from them (test_workforce.py).
    assert text.splitlines()[0] == ",".join([*PLAN_COLUMNS, *WORKFORCE_COLUMNS])
    texts = [c for c in PLAN_COLUMNS if not pd.api.types.is_numeric_dtype(havering[c])]
    back = pd.read_csv(
        io.BytesIO(data),
        dtype=dict.fromkeys(texts, str),
        keep_default_na=False,
        na_values={c: [""] for c in PLAN_COLUMNS},
    )[PLAN_COLUMNS]
    assert len(back) == len(havering)
    for column in PLAN_COLUMNS:
        if column in texts:
            expected = havering[column].astype(object).where(havering[column].notna(), "")
            assert list(back[column].fillna("")) == list(expected), column
        else:
            assert np.array_equal(
                back[column].to_numpy(float), havering[column].to_numpy(float), equal_nan=True
            ), column
    assert all(len(m) == 7 and m[4] == "-" for m in back["month"])


@pytest.mark.parametrize(
    ("text", "written"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("-1", "-1"),  # a plain negative number is a number, not a formula
        ("beds from 57 to 61", "beds from 57 to 61"),
    ],
)
def test_text_that_looks_like_a_formula_opens_as_text_from_the_csv(havering, text, written):
    frame = havering.copy()
    frame["source_note"] = text
    back = pd.read_csv(io.BytesIO(plan_csv(frame)), dtype={"source_note": str})
    assert set(back["source_note"]) == {written}
    assert np.array_equal(back["demand"].to_numpy(float), havering["demand"].to_numpy(float))


def test_the_csv_names_the_scenario_as_the_workbook_does(demo_store, havering, places):
    """People read both: the baseline is 'Baseline' in each, and a scenario its own name."""
    scope = scope_for(places, ["E09000016"])
    for scenario in (None, resolve(demo_store, "preset:winter_surge", 2025)):
        frame = (
            havering
            if scenario is None
            else plan_for(demo_store, "Havering", 2025, scenario=scenario)
        )
        info = info_for(demo_store, 2025, scenario)
        cover = {
            row[0]: row[1]
            for row in open_book(workbook(frame, scope, info))["Cover"].iter_rows(values_only=True)
            if row[0]
        }
        rows = pd.read_csv(io.BytesIO(export_bytes("csv", frame, scope, info)))
        assert set(rows["scenario"]) == {cover["Scenario"]} == {info.scenario_name}


def test_the_csv_is_utf8(havering):
    text = plan_csv(havering).decode("utf-8")
    assert "×" in text  # from the calculations ("61 beds × 30 days ÷ 28 days …")


# -- chart images -------------------------------------------------------------------------


def test_the_chart_is_the_pages_gap_chart(havering):
    figure = gap_figure(havering, "social_support", "hospital", "Havering · social support")
    names = [trace.name for trace in figure.data]
    assert "Capacity" in names and "Demand" in names and "Shortfall month" in names
    capacity = next(t for t in figure.data if t.name == "Capacity")
    assert list(capacity.y) == [82.0] * 12


def test_a_chart_of_a_service_type_with_no_figures_is_refused(havering):
    with pytest.raises(ExportError, match="ucr"):
        gap_figure(havering, "ucr", "both", "nothing")


@needs_images
def test_png_has_the_signature_and_the_size_asked_for(havering):
    figure = gap_figure(havering, "reablement_home", "both", "Havering · reablement")
    assert png_size(chart_image(figure, "png", width=800, height=400, scale=1)) == (800, 400)


@needs_images
def test_png_export_is_drawn_twice_the_size_for_slides(demo_store, havering, places):
    data = export_bytes(
        "png",
        havering,
        scope_for(places, ["E09000016"]),
        info_for(demo_store, 2025),
        service_type="rehab_bed",
    )
    assert png_size(data) == (2400, 1200)


@needs_images
def test_svg_is_xml_with_an_svg_root(demo_store, havering, places):
    data = export_bytes(
        "svg",
        havering,
        scope_for(places, ["E09000016"]),
        info_for(demo_store, 2025),
        service_type="social_support",
        source="hospital",
    )
    root = ElementTree.fromstring(data)
    assert root.tag.endswith("}svg") or root.tag == "svg"
    assert "Havering" in data.decode("utf-8")


def test_a_chart_image_names_its_scenario_but_not_the_baseline(demo_store, places):
    scenario = resolve(demo_store, "preset:winter_surge", 2025)
    frame = plan_for(demo_store, "Havering", 2025, scenario=scenario)
    scope = scope_for(places, ["E09000016"])
    surged = export_bytes(
        "svg", frame, scope, info_for(demo_store, 2025, scenario), service_type="reablement_home"
    ).decode("utf-8")
    assert "Winter surge (preset)" in surged
    plain = export_bytes(
        "svg",
        plan_for(demo_store, "Havering", 2025),
        scope,
        info_for(demo_store, 2025),
        service_type="reablement_home",
    )
    assert "scenario" not in plain.decode("utf-8").lower()


# -- the export command ---------------------------------------------------------------------


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_writes_the_havering_workbook(demo_db, tmp_path):
    target = tmp_path / "havering.xlsx"
    code, out, err = run(
        "--db",
        str(demo_db),
        "export",
        "--place",
        "Havering",
        "--year",
        "2025",
        "--out",
        str(target),
    )
    assert code == 0, err
    assert "havering.xlsx" in out
    book = open_book(target.read_bytes())
    assert book.sheetnames == ["Cover", "Capacity & Demand", "Assumptions", "Data"]
    row = sections(book["Capacity & Demand"])["Capacity – hospital discharge"]["rows"][
        "Social support (including VCS) (pathway 0)"
    ]
    assert row == [82] * 12 + [984]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["havering.xlsx"]


def test_cli_workbook_matches_the_apps_plan(demo_db, tmp_path, everywhere):
    target = tmp_path / "h.xlsx"
    assert (
        run(
            "--db",
            str(demo_db),
            "export",
            "--place",
            "E09000016",
            "--year",
            "2025",
            "--out",
            str(target),
        )[0]
        == 0
    )
    data = table(open_book(target.read_bytes())["Data"])
    app = everywhere[everywhere["place_code"] == "E09000016"]
    for column in ("capacity", "demand"):
        assert np.allclose(
            data[column].astype(float), app[column].to_numpy(float), rtol=1e-14, atol=0
        )


def test_cli_exports_a_system_as_a_zip_and_a_csv(demo_db, tmp_path):
    code, _, err = run(
        "--db",
        str(demo_db),
        "export",
        "--place",
        "BHR",
        "--year",
        "2025",
        "--out",
        str(tmp_path / "bhr.zip"),
    )
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "bhr.zip") as archive:
        assert len(archive.namelist()) == 3
    code, _, err = run(
        "--db",
        str(demo_db),
        "export",
        "--place",
        "BHR",
        "--year",
        "2025",
        "--out",
        str(tmp_path / "bhr.csv"),
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO((tmp_path / "bhr.csv").read_text("utf-8"))))
    assert {r["place"] for r in rows} == {"Barking and Dagenham", "Havering", "Redbridge"}


@needs_images
def test_cli_draws_a_chart_of_the_service_type_asked_for(demo_db, tmp_path):
    target = tmp_path / "chart.svg"
    code, _, err = run(
        "--db",
        str(demo_db),
        "export",
        "--place",
        "Havering",
        "--year",
        "2025",
        "--service-type",
        "reablement_home",
        "--source",
        "hospital",
        "--out",
        str(target),
    )
    assert code == 0, err
    text = target.read_text("utf-8")
    assert ElementTree.fromstring(text).tag.endswith("svg")
    assert "Reablement at home" in text and "hospital discharge" in text


def test_cli_refuses_an_unknown_extension_and_writes_nothing(demo_db, tmp_path):
    code, out, err = run(
        "--db",
        str(demo_db),
        "export",
        "--place",
        "Havering",
        "--year",
        "2025",
        "--out",
        str(tmp_path / "havering.pdf"),
    )
    assert code == 1
    assert ".xlsx" in err and ".zip" in err and "Nothing was written" in err
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_an_unknown_place(demo_db, tmp_path):
    code, _, err = run(
        "--db",
        str(demo_db),
        "export",
        "--place",
        "Atlantis",
        "--year",
        "2025",
        "--out",
        str(tmp_path / "a.xlsx"),
    )
    assert code == 1
    assert "Unknown place 'Atlantis'" in err and "ONS code" in err
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_an_unknown_scenario_and_keeps_an_existing_file(demo_db, tmp_path):
    target = tmp_path / "havering.xlsx"
    target.write_bytes(b"an earlier export")
    code, _, err = run(
        "--db",
        str(demo_db),
        "export",
        "--place",
        "Havering",
        "--year",
        "2025",
        "--scenario",
        "No such scenario",
        "--out",
        str(target),
    )
    assert code == 1
    assert "no scenario called 'No such scenario'" in err
    assert target.read_bytes() == b"an earlier export"
    assert [p.name for p in tmp_path.iterdir()] == ["havering.xlsx"]


def test_cli_refuses_a_chart_of_a_service_type_the_place_lacks(demo_db, tmp_path):
    code, _, err = run(
        "--db",
        str(demo_db),
        "export",
        "--place",
        "Havering",
        "--year",
        "2025",
        "--service-type",
        "ucr",
        "--out",
        str(tmp_path / "ucr.png"),
    )
    assert code == 1 and "ucr" in err
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_chart_options_for_a_workbook(demo_db, tmp_path):
    code, _, err = run(
        "--db",
        str(demo_db),
        "export",
        "--place",
        "Havering",
        "--year",
        "2025",
        "--service-type",
        "ucr",
        "--out",
        str(tmp_path / "h.xlsx"),
    )
    assert code == 1 and "--service-type" in err
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_a_folder_that_does_not_exist(demo_db, tmp_path):
    code, _, err = run(
        "--db",
        str(demo_db),
        "export",
        "--place",
        "Havering",
        "--year",
        "2025",
        "--out",
        str(tmp_path / "missing" / "h.xlsx"),
    )
    assert code == 1 and "does not exist" in err


def test_cli_labels_and_names_come_from_the_database(tmp_path):
    """A database built from edited reference and demo files: the workbook shows the edits."""
    reference = tmp_path / "reference"
    demo = tmp_path / "demo"
    shutil.copytree(config.REFERENCE_DIR, reference)
    shutil.copytree(config.DEMO_DIR, demo)
    labels = pd.read_csv(reference / "service_type_labels.csv", dtype=str)
    wanted = (
        (labels["planning_year"] == "2025-26")
        & (labels["service_type"] == "rehab_bed")
        & (labels["source"] == "hospital")
    )
    labels.loc[wanted, "label"] = "Bedded rehabilitation (P2), new wording"
    labels.to_csv(reference / "service_type_labels.csv", index=False)
    services = pd.read_csv(demo / "services.csv", dtype=str, keep_default_na=False)
    services.loc[services["service_id"] == "hav_reablement", "name"] = HYPERLINK
    services.to_csv(demo / "services.csv", index=False)
    db = tmp_path / "edited.duckdb"
    build_demo_database(db, reference_dir=reference, demo_dir=demo)
    target = tmp_path / "havering.xlsx"
    code, _, err = run(
        "--db", str(db), "export", "--place", "Havering", "--year", "2025", "--out", str(target)
    )
    assert code == 0, err
    book = open_book(target.read_bytes())
    rows = sections(book["Capacity & Demand"])["Capacity – hospital discharge"]["rows"]
    assert "Bedded rehabilitation (P2), new wording" in rows
    assert "Rehabilitation in a bedded setting (pathway 2)" not in rows
    services_listed = [c for c in book["Assumptions"]["B"] if c.value == HYPERLINK]
    assert services_listed and all(c.data_type == "s" for c in services_listed)


def test_an_export_made_for_a_scope_ignores_other_places(demo_store, everywhere):
    scope = Scope((("E09000016", "Havering"),))
    data = export_bytes("csv", everywhere, scope, info_for(demo_store, 2025))
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert {r["place_code"] for r in rows} == {"E09000016"}
