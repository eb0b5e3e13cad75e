"""The meeting, as a DIWG chair runs it in a browser (issue 16): a snapshot of Havering's plan
from the Place page, a decision recorded against it, presentation mode stepped through the
system to its last screen, and the meeting pack built and downloaded as a PDF.

The decision's text looks like a spreadsheet formula and an HTML script on purpose: every
screen and the pack must show it as typed, never evaluate or render it. The test has a server
of its own, over a fresh copy of the demo database, so what other tests save cannot change
which snapshot is newest or which decisions belong to this meeting.
"""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import ARTIFACTS, checked_page, open_app, serving, settle, wait_for_query
from tests.e2e.test_readable import RECORD_CANVAS_TEXT, drawn

SNAPSHOT = "DIWG e2e"
DECISION = '=HYPERLINK("x") <script>alert(1)</script> Fund 4 winter flex beds'
OWNER = "Chair of the DIWG"


@pytest.fixture(scope="module")
def meeting_server(tmp_path_factory, demo_db):
    """The app over a database of this test's own."""
    with serving(tmp_path_factory.mktemp("meeting"), demo_db) as url:
        yield url


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(ARTIFACTS / f"meeting-{name}-{size['width']}x{size['height']}.png"))


def save_snapshot(page) -> None:
    """Freeze Havering's plan through the Place page's popover, and see it confirmed."""
    page.get_by_role("button", name="📸 Save a snapshot").click()
    body = page.locator('[data-testid="stPopoverBody"]')
    body.get_by_label("Name", exact=True).fill(SNAPSHOT)
    body.get_by_role("button", name="Save snapshot").click()
    settle(page)
    page.get_by_text(f"Saved snapshot '{SNAPSHOT}' of Havering, 2025-26").wait_for()


def record_decision(page) -> None:
    """Record the decision against the snapshot just taken (the form's first choice)."""
    form = page.locator('[data-testid="stForm"]').filter(has_text="Record the decision")
    form.scroll_into_view_if_needed()
    assert SNAPSHOT in form.get_by_role("combobox", name="Against").input_value()
    form.get_by_label("Decision").fill(DECISION)
    form.get_by_label("Owner (optional)").fill(OWNER)
    form.get_by_role("button", name="Record the decision").click()
    settle(page)
    recorded = re.compile(rf"Recorded decision \d+ for Havering, against .*{SNAPSHOT}")
    page.get_by_text(recorded).wait_for()


def test_a_chair_snapshots_decides_presents_and_circulates_the_pack(browser, meeting_server):
    with checked_page(browser, meeting_server, 1440, 900) as page:
        # Tables draw on a canvas: record what they draw to read the decision as listed.
        page.add_init_script(RECORD_CANVAS_TEXT)
        open_app(page, "/place?place=E09000016&year=2025")
        page.get_by_role("heading", name="Havering · 2025-26").wait_for()
        save_snapshot(page)
        record_decision(page)
        # Listed as typed among the open actions (it has an owner), not run nor rendered;
        # its missing due date is a blank, not "None".
        page.get_by_text(re.compile(r"^Every decision for Havering")).click()
        settle(page)
        assert "None" not in drawn(page, DECISION, OWNER, "Open")
        assert page.locator("script").filter(has_text="alert(1)").count() == 0
        shoot(page, "place")

    with checked_page(browser, meeting_server, 1920, 1080) as wall:
        # Presentation mode for the system: each of BHR's places, since last time, the decisions.
        open_app(wall, "/place?place=BHR&year=2025&present=1")
        wall.get_by_text("1 of 3").wait_for()
        for _ in range(3):  # two places to step through, then the last screen
            if wall.get_by_role("button", name="Next ▶", exact=True).count():
                break
            wall.get_by_role("button", name="Next place ▶").click()
            settle(wall)
        wall.get_by_text("3 of 3").wait_for()
        wall.get_by_role("button", name="Next ▶", exact=True).click()
        settle(wall)
        wait_for_query(wall, "present_screen=since")
        wall.locator(".headline").filter(has_text="Since last time").wait_for()
        shoot(wall, "since-last-time")
        wall.get_by_role("button", name="Next ▶", exact=True).click()
        settle(wall)
        wait_for_query(wall, "present_screen=decisions")
        wall.locator(".headline").filter(has_text="Decisions and actions").wait_for()
        decided = wall.locator(".decisions").filter(has_text="Decided at this meeting")
        item = decided.locator(".item .text").filter(has_text="Fund 4 winter flex beds")
        assert item.inner_text() == DECISION  # literal: the tag is text, not an element
        assert wall.locator(".decisions script").count() == 0
        shoot(wall, "last-screen")

    with checked_page(browser, meeting_server, 1440, 900) as page:
        open_app(page, "/export?place=E09000016&year=2025")
        page.get_by_role("heading", name="Meeting pack").wait_for()
        page.get_by_role("radio", name="PDF, to circulate").check()
        page.get_by_role("button", name="Build the pack").click()
        settle(page)
        download = page.locator('[data-testid="stDownloadButton"]').filter(has_text=".pdf")
        download.wait_for()
        shoot(page, "export")
        with page.expect_download() as downloading:
            download.locator("button").click()
        data = downloading.value.path().read_bytes()

    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())
    assert "Havering" in text
    assert DECISION in text
    assert OWNER in text
