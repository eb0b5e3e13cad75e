"""The newcomer's path in a real browser: from an empty workspace made with ``init --empty`` to
a first plan for Leeds from national data, and its BCF workbook.

Set up my place → Leeds → two services added on the Data page → their parameters typed into
the parameters editor (pasted as a row, as from a spreadsheet) → a SitRep workbook in the
published layout loaded → the Place page's gap chart with demand from the SitRep → the
workbook downloaded from the Export page.
"""

from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
import pytest

from capacity.cli import main
from capacity.periods import planning_year_of
from tests.e2e.conftest import address, assert_no_errors, plots, serving, settle
from tests.sitrep_books import write_sitrep

LEEDS = "E08000035"
RR8_LEEDS = 0.776965  # OHID's pooled share of Leeds Teaching Hospitals' catchment in Leeds
YEAR = planning_year_of(date.today())
# April of the planning year before this one (April YEAR-1 to March YEAR): inside the
# three years of history this year's projection averages.
SITREP_MONTH = f"April {YEAR - 1}"
SITREP = {"RR8": {"p0": 2000, "p1": 400, "p1_other": 20, "p2_rehab": 60}}


@pytest.fixture(scope="module")
def newcomer_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("newcomer")
    empty = folder / "empty.duckdb"
    assert main(["init", "--empty", "--db", str(empty)], out=io.StringIO()) == 0
    with serving(folder, empty) as url:
        yield url


@pytest.fixture
def newcomer(browser, newcomer_server):
    context = browser.new_context(
        viewport={"width": 1600, "height": 1000}, accept_downloads=True, base_url=newcomer_server
    )
    # The parameters are pasted into the editor, as a lead pastes a row from a spreadsheet.
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=newcomer_server)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
        assert_no_errors(page)
    finally:
        context.close()


def pick(page, label: str, option: str, nth: int = 0) -> None:
    """Choose an option in the ``nth`` selectbox labelled exactly ``label``."""
    boxes = page.locator('[data-testid="stSelectbox"]').filter(
        has=page.get_by_text(label, exact=True)
    )
    boxes.nth(nth).click()
    page.keyboard.type(option)  # the list shows only its first options until filtered
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def saved(page) -> None:
    page.get_by_text(re.compile("^Saved:")).first.wait_for()


def add_service(page, name: str, type_name: str) -> None:
    pick(page, "Service", "Add a new service")
    pick(page, "Service type", type_name)  # before typing, whose rerun would close its list
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Source note (where these facts come from)").fill("typed in by the lead")
    page.get_by_role("button", name="Add the service").click()
    settle(page)
    saved(page)


def paste_parameters(page, service: str, cells: list[str]) -> None:
    """Paste one row into the parameters editor of ``service`` and save it."""
    pick(page, "Service", service, nth=1)  # the parameters section's service
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.evaluate("text => navigator.clipboard.writeText(text)", "\t".join(cells))
    page.mouse.click(box["x"] + 150, box["y"] + 55)  # the editor's empty row, first column
    page.wait_for_timeout(400)
    page.keyboard.press("Escape")  # the cell selected, not open for typing
    page.wait_for_timeout(300)
    page.keyboard.press("Control+V")
    page.wait_for_timeout(800)
    page.get_by_role("button", name="Save parameters").click()
    settle(page)
    saved(page)


def parameters_row(caseload: str, los: str) -> list[str]:
    # Place (blank: every place), method, caseload, length of stay, hours a month, hours per
    # package, throughput, its unit, hospital share, contract share, target occupancy, spot
    # ceiling, in force from, in force to, source note.
    return ["", "caseload", caseload, los, "", "", "", "", "1", "1", "", "", f"{YEAR - 1}-04-01",
            "", "typed in by the lead"]  # fmt: skip


def test_a_newcomer_gets_a_first_plan_for_leeds(newcomer, tmp_path):
    page = newcomer
    page.goto("/")
    settle(page)
    page.get_by_role("button", name="Explore the demo").wait_for()

    # Set up my place → Leeds.
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Your authority").first.click()
    page.keyboard.type("Leeds")
    page.get_by_role(
        "option", name="Leeds · West Yorkshire ICB · Yorkshire and The Humber", exact=True
    ).click()
    settle(page)
    page.get_by_role("button", name="Set up my place").click()
    page.get_by_role("heading", name="Data", exact=True).wait_for()
    settle(page)
    assert address(page).startswith("/data") and f"place={LEEDS}" in address(page)
    page.get_by_text("To a first plan for Leeds:").wait_for()

    # Two services, each with its parameters.
    add_service(page, "Leeds reablement", "Reablement at home")
    add_service(page, "Leeds rehab beds", "Rehabilitation in a bedded setting")
    paste_parameters(page, "Leeds reablement", parameters_row("60", "42"))
    paste_parameters(page, "Leeds rehab beds", parameters_row("40", "28"))

    # One SitRep, Leeds Teaching Hospitals (RR8) only.
    book = write_sitrep(tmp_path / "sitrep.xlsx", SITREP_MONTH, SITREP)
    page.locator('[data-testid="stButtonGroup"] button').filter(
        has_text="NHS England discharge SitRep"
    ).click()
    settle(page)
    page.get_by_text("NHS England discharge SitRep (Table 4) file").wait_for()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(book))
    settle(page)
    page.get_by_role("button", name=re.compile(r"^Load [\d,]+ rows$")).click()
    settle(page)
    page.get_by_text("To a first plan for Leeds:").wait_for(state="detached")  # every step done

    # The Place page: the gap chart, its demand from the SitRep.
    page.goto(f"/place?place={LEEDS}&year={YEAR}&source=hospital")
    settle(page)
    page.get_by_role("heading", name=re.compile("^Leeds")).wait_for()
    chart = next(c for c in plots(page) if c["title"].startswith("Reablement at home"))
    demand = next(t for t in chart["data"] if t["name"] == "Demand")["y"]
    # April: RR8's P1 discharges home and elsewhere with reablement × Leeds's share (no other
    # source has data, and the SitRep's other months are missing, not zero).
    assert demand[0] == pytest.approx((400 + 20) * RR8_LEEDS, abs=0.05)

    # The BCF workbook from the Export page.
    page.goto(f"/export?place={LEEDS}&year={YEAR}")
    settle(page)
    with page.expect_download() as downloading:
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    workbook = openpyxl.load_workbook(io.BytesIO(downloading.value.path().read_bytes()))
    assert "Capacity & Demand" in workbook.sheetnames
    assert workbook["Capacity & Demand"]["A1"].value.startswith("Capacity and demand: Leeds")
