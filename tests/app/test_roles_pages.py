"""The pages as a viewer or an editor sees them: no control they cannot use, and why."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from capacity import access, audit, config
from capacity.store import Store
from pages import page_path
from tests.app.conftest import APP

HAVERING, THURROCK = "E09000016", "E06000034"
ROLES = """
default_role = "viewer"

[[user]]
email = "ann@havering.gov.uk"
role = "editor"
places = ["E09000016"]
"""


def signed_in(db, tmp_path, monkeypatch, email: str, place: str, page: str) -> AppTest:
    """An AppTest session of ``email`` signed in, the roles file above, on ``page``."""
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, "utf-8")
    monkeypatch.setenv(access.ROLES_ENV, str(roles))
    monkeypatch.setenv(config.DB_ENV, str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.user = {"is_logged_in": True, "email": email, "name": email.split("@")[0].title()}
    at.query_params.update({"place": place, "year": "2025"})
    at.run()
    return at.switch_page(page_path(page)).run()


def test_a_viewer_sees_no_uploader_no_editor_and_no_undo_and_is_told_why(
    writable_db, tmp_path, monkeypatch
):
    at = signed_in(writable_db, tmp_path, monkeypatch, "vic@council.gov.uk", HAVERING, "data")
    assert not at.exception
    assert len(at.get("file_uploader")) == 0
    assert len(at.dataframe) > 0 and len(at.data_editor) == 0  # tables to read, none to edit
    keys = {b.key for b in at.button}
    assert not keys & {"data_load", "data_param_save", "data_demand_save", "data_undo"}
    notes = [i.value for i in at.info]
    assert any(n.startswith("You can view every page but not change anything") for n in notes)


def test_an_editor_sees_their_places_editors_but_not_anothers(writable_db, tmp_path, monkeypatch):
    own = signed_in(writable_db, tmp_path, monkeypatch, "ann@havering.gov.uk", HAVERING, "data")
    assert not own.exception
    assert len(own.get("file_uploader")) == 1
    assert "data_param_save" in {b.key for b in own.button} and len(own.data_editor) > 0
    other = signed_in(writable_db, tmp_path, monkeypatch, "ann@havering.gov.uk", THURROCK, "data")
    assert not other.exception
    assert len(other.get("file_uploader")) == 1  # a Havering file may still be loaded here
    assert "data_param_save" not in {b.key for b in other.button}
    assert any(THURROCK in i.value and "may not change" in i.value for i in other.info)


def test_the_activity_page_lists_the_trail_and_filters_by_person(
    writable_db, tmp_path, monkeypatch
):
    ann = access.User("Ann Lee", "ann@havering.gov.uk", access.EDITOR, frozenset({HAVERING}))
    tom = access.User("Tom Hart", "tom@thurrock.gov.uk", access.EDITOR, frozenset({THURROCK}))
    with Store.open(writable_db) as store:
        audit.record(store, ann, "import", place_code=HAVERING, subject="=cmd|' /C calc'!A0")
        audit.record(store, tom, "snapshot", place_code=THURROCK, subject="Tom's")
        audit.record(store, tom, "scenario_save", subject="Everywhere")
    at = signed_in(writable_db, tmp_path, monkeypatch, "vic@council.gov.uk", HAVERING, "activity")
    assert not at.exception and not at.error
    shown = at.dataframe[0].value
    # Havering's own entry and the one of every place, not Thurrock's snapshot.
    assert list(shown["subject"]) == ["Everywhere", "=cmd|' /C calc'!A0"]
    at.selectbox(key="activity_person").set_value("tom@thurrock.gov.uk").run()
    assert list(at.dataframe[0].value["subject"]) == ["Everywhere"]
    assert at.get("download_button")


@pytest.mark.parametrize(
    ("page", "keys"), [("scenarios", {"sb_save", "snap_save"}), ("place", {"snap_save"})]
)
def test_a_viewer_sees_no_save_button_on_the_other_pages(
    page, keys, writable_db, tmp_path, monkeypatch
):
    ann = signed_in(writable_db, tmp_path, monkeypatch, "ann@havering.gov.uk", HAVERING, page)
    assert keys <= {b.key for b in ann.button}  # an editor of the place has them
    at = signed_in(writable_db, tmp_path, monkeypatch, "vic@council.gov.uk", HAVERING, page)
    assert not at.exception
    assert not keys & {b.key for b in at.button}
    assert any("can view every page but not change" in c.value for c in at.caption)
