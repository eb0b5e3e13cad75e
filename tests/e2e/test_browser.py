"""What a person sees in a real browser: charts drawn, links, presentation, downloads, uploads."""

from __future__ import annotations

import io
import re

import openpyxl

from tests.e2e.conftest import (
    ARTIFACTS,
    address,
    assert_no_errors,
    checked_page,
    choose,
    choose_place,
    open_app,
    plots,
    settle,
    wait_for_query,
)


def test_the_overview_heat_map_is_drawn(page):
    open_app(page)
    page.get_by_role("heading", name=re.compile("Overview")).wait_for()
    heat = plots(page)[0]
    assert heat["data"][0]["type"] == "heatmap"
    assert page.locator(".js-plotly-plot .hm, .js-plotly-plot image").count() > 0


def test_a_place_is_two_clicks_from_the_overview(page):
    open_app(page)
    page.locator('[data-testid="stPageLink"]').filter(has_text="Havering").first.click()  # 1
    settle(page)
    assert "place=E09000016" in address(page)
    page.get_by_role("heading", name=re.compile("^Havering")).wait_for()
    charts = plots(page, at_least=4)
    assert all(c["data"] for c in charts)
    # The second click: a gap chart's figures by month.
    page.get_by_text("Figures by month").first.click()
    settle(page)
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1


def social_support_capacity(page, at_least: int) -> set[float]:
    chart = next(c for c in plots(page, at_least) if c["title"].startswith("Social support"))
    return set(next(t for t in chart["data"] if t["name"] == "Capacity")["y"])


def test_changing_the_place_changes_the_chart(page):
    open_app(page, "/place?place=E09000016&year=2025")
    assert social_support_capacity(page, 4) == {82}  # Havering's Home, Settle & Support
    choose_place(page, "Barking and Dagenham")
    page.get_by_role("heading", name=re.compile("^Barking and Dagenham")).wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].some("
        "p => p.layout && p.layout.title && p.layout.title.text && "
        "p.data && p.data.some(t => t.name === 'Capacity' && "
        "Array.from(t.y).every(v => v === 34)))"
    )
    assert social_support_capacity(page, 4) == {34}
    wait_for_query(page, "place=E09000002")


def test_a_view_opens_from_its_url(page):
    open_app(page, "/place?place=E06000034&year=2025&service_type=ucr&source=community")
    page.get_by_role("heading", name="Thurrock · 2025-26").wait_for()
    charts = plots(page)
    assert len(charts) == 1 and "Urgent community response" in charts[0]["title"]
    assert page.get_by_text("capacity assumed equal to demand").count() >= 1


def test_an_unknown_place_in_the_url_shows_a_notice(page):
    open_app(page, "/place?place=E99999999")
    assert page.get_by_text("is not recognised").count() >= 1


def test_presentation_mode_on_a_projector(browser, server):
    # Its own 1920×1080 page; each screen is checked for exceptions and error boxes as it is
    # shown, since a later screen would hide an earlier one's.
    with checked_page(browser, server, 1920, 1080) as page:
        open_app(page, "/place?place=BHR&year=2025&present=1")
        assert_no_errors(page)
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        headline = page.locator(".headline")
        assert headline.inner_text().startswith("Barking and Dagenham: ")
        assert page.get_by_text("1 of 3").count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "presentation-1.png"))
        page.get_by_role("button", name="Next place ▶").click()
        settle(page)
        wait_for_query(page, "place=E09000016")
        assert headline.inner_text().startswith("Havering: ")
        assert_no_errors(page)
        page.get_by_role("button", name="Next place ▶").click()
        settle(page)
        assert page.get_by_text("3 of 3").count() == 1
        assert page.get_by_role("button", name="Next ▶", exact=True).is_enabled()
        assert_no_errors(page)
        page.get_by_role("button", name="◀ Previous place").click()
        settle(page)
        assert page.get_by_text("2 of 3").count() == 1
        page.screenshot(path=str(ARTIFACTS / "presentation-2.png"))
        fonts = plots(page)
        assert (
            fonts
            and page.evaluate("() => document.querySelector('.js-plotly-plot').layout.font.size")
            >= 20
        )


def test_build_and_apply_a_scenario(page):
    open_app(page, "/scenarios?place=BHR&year=2025")
    page.get_by_label("Name").fill("Browser winter")
    page.get_by_label("Name").press("Tab")
    settle(page)
    choose(page, "Lever", "Demand (%)", sidebar=False)
    page.get_by_role("button", name="Add change").click()
    settle(page)
    assert page.get_by_text("10% more demand in").count() >= 1
    page.get_by_role("button", name="Save scenario").click()
    settle(page)
    page.get_by_text("Saved 'Browser winter' as version 1").wait_for()
    assert re.search(r"scenario=Browser(\+|%20)winter", address(page))
    page.locator('[data-testid="stPageLink"]').filter(has_text="Place").first.click()
    settle(page)
    assert page.get_by_text("scenario: Browser winter").count() >= 1


def test_download_an_export_and_open_it(page):
    open_app(page, "/export?place=E09000016&year=2025")
    with page.expect_download() as downloading:
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    book = openpyxl.load_workbook(io.BytesIO(downloading.value.path().read_bytes()))
    assert "Capacity & Demand" in book.sheetnames
    sheet = book["Capacity & Demand"]
    assert sheet["A1"].value.startswith("Capacity and demand: Havering")


def test_upload_a_bad_file_and_see_the_report(page, tmp_path):
    bad = tmp_path / "extract.csv"
    bad.write_text(
        "Referral ID,Place,Service Type,Source,Referral Date\n"
        "B-1,Havering,reablement_home,hospital,2025-01-03\n"
        "B-2,Narnia,reablement_home,hospital,2025-01-04\n"
    )
    open_app(page, "/data?place=E09000016")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    settle(page)
    page.get_by_text("1 problem(s) in 1 row(s)").wait_for()
    assert page.get_by_role("button", name="Load the 1 good rows").count() == 1


def drawn_places(page) -> list[float]:
    # The charts draw one by one after the script ends; wait for the occupancy chart itself.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].some(p => (p._fullData || [])"
        ".some(t => t.name === 'Places in force'))",
        timeout=60_000,
    )
    chart = next(c for c in plots(page) if any(t["name"] == "Places in force" for t in c["data"]))
    return next(t["y"] for t in chart["data"] if t["name"] == "Places in force")


def test_adding_places_on_the_flow_page_redraws_the_occupancy_chart(page):
    open_app(page, "/flow?place=BHR&year=2025&service=bhr_d2a_nursing")
    before = drawn_places(page)
    assert set(before) == {20}  # BHR's block of D2A nursing beds
    page.get_by_role("slider").first.focus()
    page.keyboard.press("ArrowRight")
    settle(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].some(p => (p._fullData || [])"
        ".some(t => t.name === 'Places in force' && Array.from(t.y).every(v => v === 21)))"
    )
    assert set(drawn_places(page)) == {21}
    wait_for_query(page, "extra=1")
