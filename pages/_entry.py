"""Runs the whole app from a stand-in page file (see the note on PAGES in __init__.py)."""

import runpy

from capacity import config


def run_app() -> None:
    """Run app.py as Streamlit would, so a first-request deep link gets the full app."""
    runpy.run_path(str(config.PROJECT_ROOT / "app.py"), run_name="__main__")
