"""The app's pages: one list, used by app.py to build the navigation and by the tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    """One screen of the app."""

    path: str
    title: str
    icon: str
    url_path: str


# Streamlit treats a folder called pages/ as an old-style page folder until
# st.navigation first runs in the server process. A link opened before anything
# else (a bookmark, just after the server starts) is therefore answered by that
# old-style navigation, which finds pages by file name. So each page's content
# lives in <name>_page.py, and pages/<url_path>.py is a stand-in that runs the
# whole app (see _entry.py), which then shows the page as any later visit would.
PAGES = [
    PageSpec("pages/overview_page.py", "Overview", "🗺️", "overview"),
    PageSpec("pages/place_page.py", "Place", "📈", "place"),
    PageSpec("pages/services_page.py", "Services", "🧩", "services"),
    PageSpec("pages/scenarios_page.py", "Scenarios", "🌨️", "scenarios"),
    PageSpec("pages/flow_page.py", "Flow", "🌊", "flow"),
    PageSpec("pages/data_quality_page.py", "Data quality", "🔎", "data_quality"),
    PageSpec("pages/data_page.py", "Data", "🗄️", "data"),
    PageSpec("pages/export_page.py", "Export", "📤", "export"),
    PageSpec("pages/methodology_page.py", "Methodology", "📘", "methodology"),
]


def page_path(url_path: str) -> str:
    """The file of the page with this URL path."""
    return next(p.path for p in PAGES if p.url_path == url_path)
