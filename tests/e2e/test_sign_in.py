"""Sign-in in a real browser: a real OpenID Connect round trip against a provider on localhost.

The test starts the small provider of tests/oidc_provider.py and the app with a
secrets file whose ``[auth]`` section points at it, a roles file of its own
(``CAPACITY_ROLES``) and a copy of the demo database. Chromium then signs in as a
viewer, an editor of Havering and an admin, through the provider's form, exactly as a
person would, and signs out again. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import re
import secrets
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS, free_port, serving, settle
from tests.oidc_provider import Running
from tests.roles import ROLES

HAVERING, THURROCK = "E09000016", "E06000034"
CLIENT_ID = "capacity-test"
CLIENT_SECRET = secrets.token_urlsafe(24)


VIEWER = ("vic@example.org", "Vic Viewer")  # not in the roles file: the default role
EDITOR = ("ed@havering.gov.uk", "Ed Editor")
ADMIN = ("ada@nelondon.nhs.uk", "Ada Admin")


@contextmanager
def signing_in_app(folder: Path, demo_db: Path, provider: Running):
    """The app with sign-in configured against ``provider``; yields its base URL."""
    roles = folder / "roles.toml"
    roles.write_text(ROLES, "utf-8")
    port = free_port()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n',
        "utf-8",
    )
    env = {"CAPACITY_ROLES": str(roles), "NO_PROXY": "127.0.0.1,localhost"}
    env["no_proxy"] = env["NO_PROXY"]
    with serving(
        folder, demo_db, port=port, env=env, args=("--secrets.files", str(secrets_file))
    ) as url:
        yield url


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


# -- each role may change only what it is given -----------------------------------------
#
# That the functions refuse a viewer (and an editor outside their places) when called
# directly, whatever a page shows, is tests/unit/test_permissions.py's
# test_a_viewer_is_refused_by_every_writer_and_the_store_is_unchanged and
# test_an_editor_of_havering_loads_havering_counts_and_is_refused_thurrock; these tests
# show the same rules as a person meets them in the browser.

# Someone the roles file does not name, and whom no test gives a role: the default, viewer.
# (Vic is made an editor by the test above.)
ANOTHER_VIEWER = ("val@example.org", "Val Viewer")
# A month no demo count or other test uses, so the load adds exactly one row.
COUNT_MONTH = "2026-03"


def app_text(page) -> str:
    return page.locator('[data-testid="stApp"]').inner_text()


def alert(page, kind: str) -> str:
    """The text of the one alert of ``kind`` (Success, Error, Info, Warning) on the page."""
    box = page.locator(f'[data-testid="stAlertContent{kind}"]')
    box.first.wait_for()
    assert box.count() == 1, box.all_inner_texts()
    return box.inner_text().strip()


def counts_csv(folder: Path, place: str, referrals: int) -> Path:
    """A one-row monthly counts file for ``place`` (docs/data.md: the counts kind)."""
    path = folder / f"counts-{place}.csv"
    path.write_text(
        "place_code,service_type,source,month,referrals\n"
        f"{place},reablement_home,hospital,{COUNT_MONTH},{referrals}\n",
        "utf-8",
    )
    return path


def upload_and_load(page, place: str, file: Path) -> None:
    """On the Data page of ``place``, upload ``file`` as counts and press Load."""
    page.goto(f"/data?place={place}&kind=counts")
    settle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(file))
    settle(page)
    page.get_by_role("button", name="Load 1 rows").click()
    settle(page)


def test_a_viewer_is_offered_no_file_upload_and_is_told_why(browser, signin_server):
    with fresh_browser(browser, signin_server) as page:
        page.goto(f"/data?place={HAVERING}")
        settle(page)
        sign_in(page, *ANOTHER_VIEWER)
        page.goto(f"/data?place={HAVERING}")
        settle(page)
        assert page.get_by_role("heading", name="Load a file").count() == 1
        assert page.locator('[data-testid="stFileUploader"]').count() == 0
        assert alert(page, "Info") == (
            "You can view every page but not change anything: Val Viewer (val@example.org) "
            "has the viewer role. An admin can grant you places to edit."
        )
        assert "Loading files needs an editor's or an admin's role." in app_text(page)
        # Nor is an undo offered.
        assert page.get_by_role("button", name="Undo the last import").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0


def test_an_editor_loads_for_their_place_not_another_and_an_admin_undoes_it(
    browser, signin_server, tmp_path
):
    havering = counts_csv(tmp_path, HAVERING, 41)
    thurrock = counts_csv(tmp_path, THURROCK, 43)
    with fresh_browser(browser, signin_server) as page:
        page.goto("/")
        settle(page)
        sign_in(page, *EDITOR)

        upload_and_load(page, HAVERING, havering)
        loaded = alert(page, "Success")
        found = re.fullmatch(r"Loaded 1 row\(s\) of .+ as import (\d+).*", loaded)
        assert found, loaded
        import_id = int(found.group(1))

        upload_and_load(page, THURROCK, thurrock)
        refused = alert(page, "Error")
        assert refused == (
            "Nothing loaded: Ed Editor (ed@havering.gov.uk) may not change "
            f"Thurrock ({THURROCK}): their role covers Havering ({HAVERING})."
        )
        assert "\n" not in refused
        assert page.locator('[data-testid="stAlertContentSuccess"]').count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0

    with fresh_browser(browser, signin_server) as page:
        page.goto("/")
        settle(page)
        sign_in(page, *ADMIN)
        page.goto(f"/data?place={HAVERING}")
        settle(page)
        undo = page.get_by_role("button", name="Undo the last import")
        assert undo.is_disabled()  # until the admin says they are sure
        page.get_by_text("I want to undo the last import").click()
        settle(page)
        undo.click()
        settle(page)
        # The last import is the editor's Havering file: the Thurrock one never loaded.
        undone = alert(page, "Success")
        assert undone.startswith(
            f"Undid import {import_id}: {havering.name} (counts, 1 rows, loaded "
        ), undone
        # The next undo asks again.
        assert not page.get_by_role("checkbox", name="I want to undo the last import").is_checked()
        assert undo.is_disabled()

        page.goto(f"/activity?place={HAVERING}")
        settle(page)
        trail = activity_rows(page)
        assert [(r["Person"], r["Change"], r["About"]) for r in trail[:2]] == [
            ("Ada Admin", "Undo", f"import {import_id}: {havering.name}"),
            ("Ed Editor", "Import", havering.name),
        ]
        assert "Loaded by Ed Editor (ed@havering.gov.uk)" in trail[0]["What changed"]

        # Nothing of the refused load is filed under Thurrock.
        page.goto(f"/activity?place={THURROCK}")
        settle(page)
        assert all(r["Person"] != "Ed Editor" for r in activity_rows(page))


def activity_rows(page) -> list[dict[str, str]]:
    """The rows the Activity page's table shows (its headings as keys), newest first: the
    grid is drawn on a canvas, and its accessible table beside it holds the same text."""
    if page.get_by_text("No change matches").count():
        return []
    grid = page.locator('[data-testid="stDataFrame"]')
    grid.locator("td").first.wait_for(state="attached")
    headings = [th.text_content() or "" for th in grid.locator("thead th").all()]
    return [
        dict(
            zip(headings, (td.text_content() or "" for td in row.locator("td").all()), strict=True)
        )
        for row in grid.locator("tbody tr").all()
    ]
