"""Sign-in in the app: the screen before any data, who is signed in, and People and roles.

AppTest stands in for Streamlit's sign-in through ``AppTest.user``: ``is_logged_in``
present means sign-in is configured (as Streamlit sets it only where secrets.toml has an
``[auth]`` section), and the name and e-mail are the provider's claims. The browser round
trip through a real provider is tests/e2e/test_sign_in.py.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from capacity import access, config
from capacity.views import access as access_view
from tests.app.conftest import APP, no_errors
from tests.roles import ROLES

HAVERING = "E09000016"


@pytest.fixture
def roles_file(tmp_path, monkeypatch):
    path = tmp_path / "roles.toml"
    path.write_text(ROLES, "utf-8")
    monkeypatch.setenv(access.ROLES_ENV, str(path))
    return path


@pytest.fixture
def signed(writable_db, monkeypatch, roles_file):
    """An app over a database of its own, with sign-in configured; call with who signs in."""
    monkeypatch.setenv(config.DB_ENV, str(writable_db))

    def make(email: str | None, name: str = "") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90)
        at.user = (
            {"is_logged_in": True, "email": email, "name": name}
            if email
            else {"is_logged_in": False}
        )
        return at

    return make


def sidebar_captions(at) -> list[str]:
    return [c.value for c in at.sidebar.caption]


def link_labels(at) -> list[str]:
    return [link.proto.label for link in at.get("page_link")]


def test_before_sign_in_there_is_only_the_sign_in_screen(signed):
    at = signed(None).run()
    no_errors(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.selectbox and not at.dataframe and not at.get("plotly_chart")
    assert not at.get("page_link")


def test_without_sign_in_configured_the_laptop_user_has_every_right_and_is_told(app):
    at = app.run()
    no_errors(at)
    assert "No sign-in on this computer: one local user, with every right." in sidebar_captions(at)
    assert "People and roles" not in link_labels(at)


def test_a_signed_in_editor_is_named_with_their_role_and_places(signed):
    at = signed("ed@havering.gov.uk", "Ed Editor").run()
    no_errors(at)
    assert "Signed in: Ed Editor · editor of Havering" in sidebar_captions(at)
    assert "Sign out" in [b.label for b in at.sidebar.button]
    assert "People and roles" not in link_labels(at)


def test_someone_not_in_the_roles_file_is_a_viewer(signed):
    at = signed("vic@example.org", "Vic Viewer").run()
    assert "Signed in: Vic Viewer · viewer" in sidebar_captions(at)


def test_signing_out_shows_the_sign_in_screen(signed):
    at = signed("ed@havering.gov.uk", "Ed Editor").run()
    at.sidebar.button(key="signin_sign_out").click().run()
    at.run()
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.selectbox


def test_a_roles_file_that_does_not_read_is_named_and_everyone_is_a_viewer(signed, roles_file):
    roles_file.write_text('default_role = "viewer"\n[[user]]\nemail = "ada@x"\nrole = "boss"\n')
    at = signed("ada@nelondon.nhs.uk", "Ada Admin").run()
    assert not at.exception
    assert len(at.error) == 1
    assert "role 'boss' is not one of viewer, editor, admin" in at.error[0].value
    assert "Everyone is a viewer" in at.error[0].value
    assert "Signed in: Ada Admin · viewer" in sidebar_captions(at)


def test_an_admin_lists_everyone_and_gives_a_role(signed, writable_db):
    at = signed("ada@nelondon.nhs.uk", "Ada Admin").run()
    assert "People and roles" in link_labels(at)
    at.switch_page("pages/people.py").run()
    no_errors(at)
    listed = at.dataframe[0].value
    assert sorted(listed["email"]) == ["ada@nelondon.nhs.uk", "ed@havering.gov.uk"]
    at.text_input(key="people_email").input("vic@example.org")
    at.radio(key="people_role").set_value(access.EDITOR)
    at.multiselect(key="people_places").set_value([HAVERING])
    at.button[0].click().run()  # the form's submit button
    no_errors(at)
    assert at.success[0].value == "vic@example.org is now editor."
    grants = access_view.role_grants(writable_db)
    assert grants[["email", "role", "places"]].values.tolist() == [
        ["vic@example.org", "editor", HAVERING]
    ]
    assert "vic@example.org" in list(at.dataframe[0].value["email"])


def test_a_refused_grant_says_why_and_saves_nothing(signed, writable_db):
    at = signed("ada@nelondon.nhs.uk", "Ada Admin").run()
    at.switch_page("pages/people.py").run()
    at.text_input(key="people_email").input("vic@example.org")
    at.radio(key="people_role").set_value(access.EDITOR)
    at.button[0].click().run()
    assert "an editor needs places" in at.error[0].value
    assert access_view.role_grants(writable_db).empty


def test_the_people_page_is_gone_for_someone_no_longer_an_admin(signed):
    at = signed("ada@nelondon.nhs.uk", "Ada Admin").run()
    at.switch_page("pages/people.py").run()
    at.user = {"is_logged_in": True, "email": "ed@havering.gov.uk", "name": "Ed Editor"}
    at.run()
    assert not at.exception
    assert "People and roles" not in [t.value for t in at.title]
    assert not at.text_input and "People and roles" not in link_labels(at)
