"""Real-browser fixtures: the app served on a free port, and Debian's Chromium driven by Playwright.

The server gets a fresh demo database of its own, is waited for on
/_stcore/health, and is stopped afterwards whatever happens. Chromium is the
system's /usr/bin/chromium, never a downloaded browser; without it (or
without Playwright) these tests are skipped with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from capacity import config
from tests.browser import CHROMIUM, missing_chromium

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = config.PROJECT_ROOT / "test-artifacts"

try:
    from playwright.sync_api import Page, sync_playwright
except ImportError:  # pragma: no cover - the README's test command installs it
    sync_playwright = None


@pytest.fixture(scope="session", autouse=True)
def a_browser_to_drive():
    """Skip every browser test, saying why, where there is no browser to drive.

    A fixture rather than ``pytestmark``: pytest ignores marks set in a conftest,
    and as a session fixture that every test here uses it runs before the app
    server is started.
    """
    reason = missing_chromium("browser tests")
    if reason:
        pytest.skip(reason)
    if sync_playwright is None:
        pytest.skip("browser tests need Playwright (requirements-dev.txt installs it)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app stopped on start:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(
        f"the app was not healthy within {timeout:.0f} s:\n{log.read_text()[-3000:]}"
    )


@contextmanager
def serving(
    folder: Path,
    demo_db: Path,
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
):
    """The app, served by `streamlit run app.py` on a local port (free, unless ``port`` is
    given) over a copy of the demo database in ``folder``, with ``env`` added to the
    environment and ``args`` to the command; yields its base URL once healthy, and stops it
    afterwards."""
    database = folder / "app.duckdb"
    shutil.copyfile(demo_db, database)
    port = port or free_port()
    log = folder / "server.log"
    environment = {**os.environ, config.DB_ENV: str(database), **(env or {})}
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                *args,
            ],
            cwd=config.PROJECT_ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def server(tmp_path_factory, demo_db):
    """The app, served by `streamlit run app.py` on a free local port; yields its base URL."""
    with serving(tmp_path_factory.mktemp("server"), demo_db) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@contextmanager
def checked_page(browser, server: str, width: int = 1600, height: int = 1000):
    """A fresh browser page of this size at the app; fails the test if, at the end, the page
    shows a Streamlit exception or an error box (see :func:`assert_no_errors`)."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, accept_downloads=True, base_url=server
    )
    opened = context.new_page()
    opened.set_default_timeout(60_000)
    try:
        yield opened
        assert_no_errors(opened)
    finally:
        context.close()


@pytest.fixture
def page(browser, server):
    """A fresh browser page at 1600×1000; fails the test if the app showed an error."""
    with checked_page(browser, server) as opened:
        yield opened


def settle(page: Page) -> None:
    """Wait until the script has finished running and the page is connected."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]'
        '[data-test-connection-state="CONNECTED"]',
        timeout=60_000,
    )
    page.wait_for_timeout(300)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000
    )


def open_app(page: Page, path: str = "/") -> None:
    page.goto(path)
    settle(page)


def assert_no_errors(page: Page) -> None:
    """The page shows no Streamlit exception and no error box."""
    exceptions = page.locator('[data-testid="stException"]')
    errors = page.locator('[data-testid="stAlertContentError"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert errors.count() == 0, errors.first.inner_text()


def plots(page: Page, at_least: int = 1) -> list[dict]:
    """Every Plotly chart on the page, as drawn: its traces and layout title.

    Charts are drawn after the script finishes, so wait until ``at_least`` are there.
    Traces come from Plotly's own decoded copy, since arrays may arrive base64-encoded.
    """
    page.wait_for_function(
        "n => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.data).length >= n",
        arg=at_least,
        timeout=60_000,
    )
    return page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(p => ({
        title: (p.layout && p.layout.title && p.layout.title.text || '').replace(/<[^>]+>/g, ''),
        data: (p._fullData || p.data || []).map(t => ({name: t.name, type: t.type,
                                        x: Array.from(t.x || []), y: Array.from(t.y || [])}))
    }))""")


def address(page: Page) -> str:
    """The address bar as the app last wrote it (path and query).

    The app rewrites the query without navigating, which ``page.url`` can lag behind.
    """
    return page.evaluate("() => location.pathname + location.search")


def wait_for_query(page: Page, text: str) -> None:
    """Wait until the address bar's query contains ``text``."""
    page.wait_for_function("t => location.search.includes(t)", arg=text, timeout=30_000)


def choose_place(page: Page, name: str) -> None:
    """Pick a place in the sidebar's England-wide picker by typing its name, as a lead does."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="Place or system"
    )
    box.first.click()
    page.keyboard.type(name)
    page.get_by_role("option", name=re.compile(rf"(^|· ){re.escape(name)} ·")).first.click()
    settle(page)


def choose(page: Page, label: str, option: str, sidebar: bool = True) -> None:
    """Pick an option in a selectbox found by its label."""
    scope = page.locator('[data-testid="stSidebar"]') if sidebar else page
    scope.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)
