"""Every page's own address opens that page when it is a fresh server's first request.

Until st.navigation first runs in a server process, Streamlit answers an address
from the pages/ folder by file name (see the note on PAGES), so each page is
opened right after its own server start, as a bookmark would be just after a
restart, and must look as it does on a later visit.
"""

from __future__ import annotations

import pytest

from pages import PAGES
from tests.e2e.conftest import address, checked_page, serving, settle


def opened(browser, url: str, path: str) -> str:
    """Open ``path`` in a fresh browser session; the page's heading, once checked that the
    address stayed, the sidebar is there, and no "Page not found" or error is shown."""
    with checked_page(browser, url) as page:
        page.goto(path)
        settle(page)
        page.wait_for_timeout(500)  # a "Page not found" dialog would follow the run's end
        assert "Page not found" not in page.inner_text("body")
        assert address(page).split("?")[0] == path
        assert page.locator('[data-testid="stSidebar"]').get_by_text("Planning year").count()
        return page.locator('[data-testid="stMain"] h1').first.inner_text()


@pytest.mark.parametrize("path", ["/", *(f"/{spec.url_path}" for spec in PAGES)])
def test_an_address_opened_first_shows_its_page_as_a_later_visit_does(
    path, browser, demo_db, tmp_path
):
    with serving(tmp_path, demo_db) as url:
        first = opened(browser, url, path)
        assert first == opened(browser, url, path)
    spec = next((s for s in PAGES if f"/{s.url_path}" == path), PAGES[0])
    # Headed by its title, but the Place page by the place's name.
    others = [s.title for s in PAGES if s != spec]
    assert first.startswith(spec.title) or (
        spec.url_path == "place" and not any(first.startswith(title) for title in others)
    ), first
