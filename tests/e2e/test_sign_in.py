"""Sign-in in a real browser: a real OpenID Connect round trip against a provider on localhost.

The test starts the small provider of tests/oidc_provider.py and the app with a
secrets file whose ``[auth]`` section points at it, a roles file of its own
(``CAPACITY_ROLES``) and a copy of the demo database. Chromium then signs in as a
viewer, an editor of Havering and an admin, through the provider's form, exactly as a
person would, and signs out again. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from capacity import config
from tests.e2e.conftest import ARTIFACTS, free_port, settle, wait_healthy
from tests.oidc_provider import Running

HAVERING, THURROCK = "E09000016", "E06000034"
CLIENT_ID = "capacity-test"
CLIENT_SECRET = secrets.token_urlsafe(24)

ROLES = f"""
default_role = "viewer"

[[user]]
email = "ed@havering.gov.uk"
role = "editor"
places = ["{HAVERING}"]

[[user]]
email = "ada@nelondon.nhs.uk"
role = "admin"
"""

VIEWER = ("vic@example.org", "Vic Viewer")  # not in the roles file: the default role
EDITOR = ("ed@havering.gov.uk", "Ed Editor")
ADMIN = ("ada@nelondon.nhs.uk", "Ada Admin")


@contextmanager
def signing_in_app(folder: Path, demo_db: Path, provider: Running):
    """The app with sign-in configured against ``provider``; yields its base URL."""
    database = folder / "app.duckdb"
    shutil.copyfile(demo_db, database)
    roles = folder / "roles.toml"
    roles.write_text(ROLES, "utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n',
        "utf-8",
    )
    log = folder / "server.log"
    env = {**os.environ, config.DB_ENV: str(database), "CAPACITY_ROLES": str(roles)}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
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
                "--secrets.files",
                str(secrets_file),
            ],
            cwd=config.PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_healthy(url, process, log)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def provider():
    running = Running(CLIENT_ID, CLIENT_SECRET)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def signin_server(tmp_path_factory, demo_db, provider):
    with signing_in_app(tmp_path_factory.mktemp("signin"), demo_db, provider) as url:
        yield url


@contextmanager
def fresh_browser(browser, server: str):
    """A new browser profile (no cookies) at the app; a screenshot is kept if a step fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=server)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "sign_in_failure.png"), full_page=True)
        raise
    finally:
        context.close()


def sidebar_text(page) -> str:
    return page.locator('[data-testid="stSidebar"]').inner_text()


def assert_sign_in_screen(page) -> None:
    """The sign-in screen, and nothing of the data: no place picker, no chart, no table."""
    page.get_by_role("button", name="Sign in").wait_for()
    # No sidebar at all: neither the place picker nor a list of the app's page files.
    assert page.locator('[data-testid="stSidebar"]').count() == 0
    assert page.locator('[data-testid="stSelectbox"]').count() == 0
    assert page.locator(".js-plotly-plot, [data-testid='stDataFrame']").count() == 0
    assert "Havering" not in page.locator('[data-testid="stApp"]').inner_text()


def sign_in(page, email: str, name: str) -> None:
    """From the sign-in screen, through the provider's form, back into the app."""
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/authorize?**")
    page.fill("#email", email)
    page.fill("#name", name)
    page.click("#continue")
    page.wait_for_selector('[data-testid="stSidebar"] [data-testid="stSelectbox"]')
    settle(page)


def sign_out(page) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()
    settle(page)


@pytest.mark.parametrize(
    ("person", "says", "people_page"),
    [
        (VIEWER, "Vic Viewer · viewer", False),
        (EDITOR, "Ed Editor · editor of Havering", False),
        (ADMIN, "Ada Admin · admin", True),
    ],
    ids=["viewer", "editor", "admin"],
)
def test_a_person_signs_in_is_named_with_their_role_and_signs_out(
    browser, signin_server, provider, person, says, people_page
):
    with fresh_browser(browser, signin_server) as page:
        # A bookmark: for the first of these tests, the fresh server's first request.
        page.goto(f"/place?place={HAVERING}")
        settle(page)
        assert_sign_in_screen(page)

        sign_in(page, *person)
        assert f"Signed in: {says}" in sidebar_text(page)
        people = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]')
        assert (people.filter(has_text="People and roles").count() == 1) is people_page
        assert page.locator('[data-testid="stException"]').count() == 0

        sign_out(page)
        assert_sign_in_screen(page)
        page.goto("/place")  # signed out means signed out, whatever the address
        settle(page)
        assert_sign_in_screen(page)
    assert provider.provider.refused == []


def test_an_admin_gives_a_role_that_the_person_has_at_their_next_sign_in(
    browser, signin_server, provider
):
    with fresh_browser(browser, signin_server) as page:
        page.goto("/")
        settle(page)
        sign_in(page, *ADMIN)
        page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').filter(
            has_text="People and roles"
        ).click()
        settle(page)
        form = page.locator('[data-testid="stForm"]')
        form.get_by_label("E-mail").fill("vic@example.org")
        form.get_by_text("Editor: changes for the places granted").click()
        form.locator('[data-testid="stMultiSelect"]').click()
        page.keyboard.type("Thurrock")
        page.get_by_role("option", name="Thurrock", exact=False).first.click()
        page.keyboard.press("Escape")
        form.get_by_role("button", name="Save the role").click()
        settle(page)
        page.get_by_text("vic@example.org is now editor.").wait_for()
    with fresh_browser(browser, signin_server) as page:
        page.goto("/")
        settle(page)
        sign_in(page, *VIEWER)
        assert "Signed in: Vic Viewer · editor of Thurrock" in sidebar_text(page)


# What these checks assume of the pages once the permissions branch is merged:
# - the Data page shows a viewer no file uploader ([data-testid="stFileUploader"]);
# - an editor of Havering can save Havering's parameters, and Thurrock's are refused
#   (no save button, or a refusal naming Thurrock) — the editor's Data page offers only
#   Havering in its place choices;
# - the Data page's list of loads offers an admin "Undo" on a load another person made;
# - the Activity page (url "activity") lists each change with the person's name.
@pytest.mark.skip(reason="needs permissions branch")
def test_each_role_may_change_only_what_it_is_given(browser, signin_server, provider):
    with fresh_browser(browser, signin_server) as page:
        page.goto("/data")
        settle(page)
        sign_in(page, *VIEWER)
        page.goto("/data")
        settle(page)
        assert page.locator('[data-testid="stFileUploader"]').count() == 0
        sign_out(page)
    with fresh_browser(browser, signin_server) as page:
        page.goto("/")
        settle(page)
        sign_in(page, *EDITOR)
        page.goto(f"/data?place={HAVERING}")
        settle(page)
        assert page.locator('[data-testid="stFileUploader"]').count() >= 1
        page.goto(f"/data?place={THURROCK}")
        settle(page)
        assert "may not change" in page.locator('[data-testid="stApp"]').inner_text()
        sign_out(page)
    with fresh_browser(browser, signin_server) as page:
        page.goto("/")
        settle(page)
        sign_in(page, *ADMIN)
        page.goto("/data")
        settle(page)
        page.get_by_role("button", name="Undo").first.click()
        settle(page)
        page.goto("/activity")
        settle(page)
        text = page.locator('[data-testid="stApp"]').inner_text()
        assert "Ada Admin" in text
