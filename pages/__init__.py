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


PAGES = [
    PageSpec("pages/plan_table.py", "Plan table", "📋", "plan"),
]
