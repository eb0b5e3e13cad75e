"""The app's pages: one list, used by app.py to build the navigation and by the tests."""

from __future__ import annotations

import runpy
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from capacity import config


@dataclass(frozen=True)
class PageSpec:
    """One screen of the app."""

    path: str
    title: str
    icon: str
    url_path: str


# Each page file is named by its address, and app.py runs it through st.navigation.
# Until st.navigation first runs in the server process, though, Streamlit takes this
# folder (pages/ beside app.py) for an old-style page folder: it answers an address
# opened before anything else (a bookmark, just after a restart) by running the file
# of that name on its own, without app.py. Such a page hands over to the whole app
# (see hand_over_to_app), which then shows it as any later visit would.
PAGES = [
    PageSpec("pages/overview.py", "Overview", "🗺️", "overview"),
    PageSpec("pages/place.py", "Place", "📈", "place"),
    PageSpec("pages/services.py", "Services", "🧩", "services"),
    PageSpec("pages/scenarios.py", "Scenarios", "🌨️", "scenarios"),
    PageSpec("pages/flow.py", "Flow", "🌊", "flow"),
    PageSpec("pages/data_quality.py", "Data quality", "🔎", "data_quality"),
    PageSpec("pages/data.py", "Data", "🗄️", "data"),
    PageSpec("pages/export.py", "Export", "📤", "export"),
    PageSpec("pages/activity.py", "Activity", "🕓", "activity"),
    PageSpec("pages/methodology.py", "Methodology", "📘", "methodology"),
]

# Shown to admins only (app.py adds it to their navigation); not one of every user's PAGES.
PEOPLE = PageSpec("pages/people.py", "People and roles", "👥", "people")


def page_path(url_path: str) -> str:
    """The file of the page with this URL path."""
    return next(p.path for p in PAGES if p.url_path == url_path)


def hand_over_to_app() -> None:
    """Run the whole app in place of a page that Streamlit ran on its own, then stop.

    Streamlit runs a page on its own while it still takes pages/ for an old-style page
    folder (see the note on PAGES), and a page that finds no view for its session was
    not run by app.py either (a second first request racing the first). app.py then
    shows this same page inside the navigation, and the page's own run stops here.
    """
    if not PagesManager.uses_pages_directory and "_view" in st.session_state:
        return
    runpy.run_path(str(config.PROJECT_ROOT / "app.py"), run_name="__main__")
    st.stop()
