"""Presentation mode on a 1920×1080 wall: every chart of a screen in view without scrolling,
the page it was on kept, the scenario named in the title line, and a clicker's keys step
through the places."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, address, checked_page, open_app, settle, wait_for_query

WALL = (1920, 1080)


def charts_drawn(page, count: int) -> list[dict]:
    """The bounding boxes of the page's Plotly charts, once ``count`` of them are drawn."""
    page.wait_for_function(
        "n => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p._fullLayout)"
        ".length >= n",
        arg=count,
        timeout=60_000,
    )
    return page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(p => {
        const r = p.getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};
    })""")


def assert_in_view(page, boxes: list[dict]) -> None:
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    assert page.evaluate("() => window.scrollY") == 0
    for box in boxes:
        assert box["top"] >= 0 and box["left"] >= 0, box
        assert box["bottom"] <= height and box["right"] <= width, (box, width, height)


@pytest.mark.parametrize(("code", "charts"), [("E09000026", 5), ("E09000016", 4)])
def test_every_chart_of_a_place_screen_fits_the_wall(browser, server, code, charts):
    with checked_page(browser, server, *WALL) as page:
        open_app(page, f"/place?place={code}&year=2025&present=1")
        boxes = charts_drawn(page, charts)
        assert len(boxes) == charts
        assert_in_view(page, boxes)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"present-place-{code}-1920x1080.png"))


def test_the_overview_heat_map_fits_the_wall(browser, server):
    with checked_page(browser, server, *WALL) as page:
        open_app(page, "/overview?year=2025&present=1")
        assert address(page).startswith("/overview")
        assert_in_view(page, charts_drawn(page, 1))
        page.screenshot(path=str(ARTIFACTS / "present-overview-1920x1080.png"))


@pytest.mark.parametrize("path", ["/overview", "/services", "/scenarios", "/flow"])
def test_presentation_mode_keeps_the_page_it_is_on(browser, server, path):
    with checked_page(browser, server, *WALL) as page:
        open_app(page, f"{path}?place=E09000016&year=2025&present=1")
        assert address(page).split("?")[0] == path
        assert "present=1" in address(page)
        page.locator('[data-testid="stSidebar"]').wait_for(state="hidden")
        # With the sidebar hidden, each screen still offers the way out, once.
        leave = page.get_by_role("button", name="Exit presentation")
        leave.first.wait_for(state="visible")
        settle(page)
        assert leave.count() == 1


def test_the_scenario_is_named_in_the_title_line(browser, server):
    with checked_page(browser, server, *WALL) as page:
        open_app(page, "/place?place=E09000016&year=2025&present=1&scenario=preset:winter_surge")
        charts_drawn(page, 1)
        assert "Winter surge" in page.locator(".subhead").inner_text()
        page.screenshot(path=str(ARTIFACTS / "present-scenario-1920x1080.png"))


def test_a_clicker_steps_through_the_places_with_page_down_and_page_up(browser, server):
    with checked_page(browser, server, *WALL) as page:
        open_app(page, "/place?place=E09000002&year=2025&present=1")
        charts_drawn(page, 1)
        page.keyboard.press("PageDown")
        wait_for_query(page, "place=E09000016")
        settle(page)
        page.locator(".headline").filter(has_text="Havering").wait_for()
        page.keyboard.press("ArrowRight")
        wait_for_query(page, "place=E09000026")
        settle(page)
        page.keyboard.press("PageUp")
        wait_for_query(page, "place=E09000016")


def test_a_place_screen_on_a_laptop(browser, server):
    # Not a fit test: 900 px is below the wall's height; a screenshot for the eye.
    with checked_page(browser, server, 1440, 900) as page:
        open_app(page, "/place?place=E09000026&year=2025&present=1")
        charts_drawn(page, 5)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(
            path=str(ARTIFACTS / "present-place-E09000026-1440x900.png"), full_page=True
        )
