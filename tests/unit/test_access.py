"""Roles: who may change which places, and the roles file that says so."""

from __future__ import annotations

import pytest

from capacity import access
from capacity.access import AccessDenied, RolesFileError, User

HAVERING, THURROCK, BHR = "E09000016", "E06000034", "BHR"
MEMBERS = [(BHR, "E09000002"), (BHR, HAVERING), (BHR, "E09000026")]


def editor(*places: str) -> User:
    return User("Ann Lee", "ann@havering.gov.uk", access.EDITOR, frozenset(places), True)


def test_an_editor_may_change_their_place_and_not_another():
    access.require_edit(editor(HAVERING), [HAVERING])
    with pytest.raises(AccessDenied, match=THURROCK):
        access.require_edit(editor(HAVERING), [HAVERING, THURROCK])


def test_a_system_grant_covers_each_of_its_places_and_no_other():
    access.require_edit(editor(BHR), [HAVERING, "E09000002"], MEMBERS)
    with pytest.raises(AccessDenied):
        access.require_edit(editor(BHR), [THURROCK], MEMBERS)


def test_a_change_for_every_place_needs_an_editor_of_every_place_or_an_admin():
    with pytest.raises(AccessDenied, match="every place"):
        access.require_edit(editor(HAVERING), [])
    access.require_edit(editor(access.EVERY_PLACE), [])
    access.require_edit(access.local_user("lead"), [])


def test_a_viewer_changes_nothing_and_only_an_admin_administers():
    viewer = User("Vic", "vic@x.nhs.uk", access.VIEWER, frozenset({HAVERING}), True)
    with pytest.raises(AccessDenied, match="view"):
        access.require_edit(viewer, [HAVERING])
    with pytest.raises(AccessDenied, match="Only an admin"):
        access.require_admin(editor(access.EVERY_PLACE), "change roles")
    access.require_admin(access.local_user("lead"), "change roles")


def test_a_change_records_name_and_email():
    assert editor(HAVERING).label == "Ann Lee (ann@havering.gov.uk)"
    assert access.local_user("lead").label == "lead"


def test_the_roles_file_gives_each_listed_person_their_role(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text(
        'default_role = "viewer"\n'
        '[[user]]\nemail = "Ann@Havering.gov.uk"\nrole = "editor"\nplaces = ["E09000016"]\n'
        '[[user]]\nemail = "boss@nel.nhs.uk"\nrole = "admin"\n',
        "utf-8",
    )
    roles = access.read_roles(path)
    ann = roles.user("Ann Lee", "ann@havering.gov.uk")
    assert (ann.role, ann.places, ann.signed_in) == ("editor", frozenset({HAVERING}), True)
    assert roles.user("Boss", "boss@nel.nhs.uk").is_admin
    assert roles.user("Someone", "someone@else.org").role == "viewer"


def test_an_admins_grant_in_the_app_replaces_the_files_entry(tmp_path):
    roles = access.Roles(
        grants={
            "ann@havering.gov.uk": access.check_grant(
                "ann@havering.gov.uk", "editor", [HAVERING], "file"
            )
        }
    )
    changed = roles.with_grants([access.check_grant("ANN@havering.gov.uk", "viewer", [], "app")])
    assert changed.user("Ann", "ann@havering.gov.uk").role == "viewer"


def test_no_roles_file_makes_everyone_signed_in_a_viewer(tmp_path):
    assert access.read_roles(tmp_path / "absent.toml").user("A", "a@b.org").role == "viewer"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[user]\n", "not valid TOML"),
        ('[[user]]\nemail = "not-an-address"\nrole = "editor"\nplaces = ["X"]\n', "e-mail"),
        ('[[user]]\nemail = "a@b.org"\nrole = "owner"\n', "role 'owner'"),
        ('[[user]]\nemail = "a@b.org"\nrole = "editor"\n', "needs places"),
        (
            '[[user]]\nemail = "a@b.org"\nrole = "admin"\n[[user]]\nemail = "A@b.org"\n'
            'role = "viewer"\n',
            "listed twice",
        ),
        ('default_role = "admin"\n', "default_role"),
    ],
)
def test_a_wrong_roles_file_is_refused_naming_the_entry(tmp_path, text, message):
    path = tmp_path / "roles.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(RolesFileError, match=message):
        access.read_roles(path)
