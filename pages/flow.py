"""Stand-in for the /flow link when it is the server's first request (see PAGES)."""

from pages._entry import run_app

run_app()
