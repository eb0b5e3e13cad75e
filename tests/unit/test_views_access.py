"""Roles given in the app: merged over the roles file, admins only, audited, checked."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from capacity import access, audit
from capacity.access import AccessDenied, Grant, Roles, User
from capacity.cli import main
from capacity.store import Store
from capacity.views import access as view

HAVERING, THURROCK = "E09000016", "E06000034"
ADMIN = User("Raj Patel", "raj@nelondon.nhs.uk", access.ADMIN, frozenset(), True)
ANN = "ann@havering.gov.uk"


def file_roles(*grants: Grant, default: str = access.VIEWER) -> Roles:
    return Roles(default, {g.email: g for g in grants})


def no_grants() -> pd.DataFrame:
    return pd.DataFrame(columns=["email", "role", "places", "granted_by", "granted_at"])


def test_an_admin_gives_a_role_and_the_person_then_has_it(writable_db):
    view.grant_role(writable_db, ADMIN, "Ann@Havering.gov.uk", access.EDITOR, [HAVERING])
    grants = view.role_grants(writable_db)
    ann = view.signed_in_user(Roles(), grants, "Ann Lee", ANN)
    assert (ann.role, ann.places, ann.signed_in) == (access.EDITOR, frozenset({HAVERING}), True)
    assert grants.loc[0, "granted_by"] == "Raj Patel (raj@nelondon.nhs.uk)"


def test_a_role_given_in_the_app_replaces_the_files_entry(writable_db):
    roles = file_roles(Grant(ANN, access.EDITOR, frozenset({THURROCK}), "file"))
    view.grant_role(writable_db, ADMIN, ANN, access.VIEWER, [])
    ann = view.signed_in_user(roles, view.role_grants(writable_db), "Ann Lee", ANN)
    assert ann.role == access.VIEWER
    listed = view.people(roles, view.role_grants(writable_db))
    assert listed[["email", "role", "source"]].values.tolist() == [[ANN, "viewer", "the app"]]


def test_everyone_is_listed_once_with_where_their_role_comes_from():
    roles = file_roles(
        Grant("bo@thurrock.gov.uk", access.EDITOR, frozenset({THURROCK, "BHR"}), "file"),
        Grant(ANN, access.EDITOR, frozenset({HAVERING}), "file"),
    )
    grants = pd.DataFrame(
        [[ANN, "admin", "", "Raj Patel (raj@nelondon.nhs.uk)", pd.Timestamp("2026-03-02 10:00")]],
        columns=["email", "role", "places", "granted_by", "granted_at"],
    )
    listed = view.people(roles, grants)
    assert listed[["email", "role", "places", "source"]].values.tolist() == [
        [ANN, "admin", "", "the app"],
        ["bo@thurrock.gov.uk", "editor", f"BHR, {THURROCK}", "roles file"],
    ]


def test_someone_not_listed_has_the_files_default_role():
    roles = file_roles(default=access.EDITOR)
    person = view.signed_in_user(roles, no_grants(), "Cy", "cy@x.gov.uk")
    assert person.role == access.EDITOR


def test_a_provider_that_gives_no_email_makes_a_viewer_even_where_the_default_is_editor():
    person = view.signed_in_user(file_roles(default=access.EDITOR), no_grants(), "Cy", " ")
    assert person.role == access.VIEWER and not person.can_edit_something


@pytest.mark.parametrize("role", [access.VIEWER, access.EDITOR])
def test_only_an_admin_may_give_a_role_and_nothing_is_written_otherwise(writable_db, role):
    someone = User("Ann Lee", ANN, role, frozenset({"*"}), True)
    with pytest.raises(AccessDenied, match="Only an admin may change roles"):
        view.grant_role(writable_db, someone, "bo@thurrock.gov.uk", access.ADMIN, [])
    assert view.role_grants(writable_db).empty


@pytest.mark.parametrize(
    ("email", "role", "places", "reason"),
    [
        ("not an address", access.VIEWER, [], "not an e-mail address"),
        (ANN, "owner", [], "not one of viewer, editor, admin"),
        (ANN, access.EDITOR, [], "an editor needs places"),
        (ANN, access.EDITOR, ["E99999999"], "E99999999 is not a place or system code"),
        (ADMIN.email, access.VIEWER, [], "cannot change your own role"),
    ],
)
def test_a_bad_grant_is_refused_with_its_reason_and_nothing_is_written(
    writable_db, email, role, places, reason
):
    with pytest.raises(view.GrantError, match=reason):
        view.grant_role(writable_db, ADMIN, email, role, places)
    assert view.role_grants(writable_db).empty
    with Store.open(writable_db, read_only=True) as store:
        assert audit.listing(store).empty


def test_the_audit_trail_names_the_admin_and_the_grant(writable_db):
    view.grant_role(writable_db, ADMIN, ANN, access.EDITOR, [HAVERING, THURROCK])
    with Store.open(writable_db, read_only=True) as store:
        entry = audit.listing(store).iloc[0]
    assert (entry["user_email"], entry["action"], entry["subject"]) == (ADMIN.email, "role", ANN)
    assert entry["detail"] == f"editor of {THURROCK}, {HAVERING}"


def test_places_given_to_a_viewer_or_an_admin_are_not_kept(writable_db):
    grant = view.grant_role(writable_db, ADMIN, ANN, access.ADMIN, [HAVERING])
    assert grant.places == frozenset()
    assert view.role_grants(writable_db).loc[0, "places"] == ""


def test_the_sidebar_line_names_the_person_role_and_places():
    names = {HAVERING: "Havering", THURROCK: "Thurrock"}
    editor = User("Ann Lee", ANN, access.EDITOR, frozenset({THURROCK, HAVERING}), True)
    assert view.describe(editor, names) == "Ann Lee · editor of Havering, Thurrock"
    everywhere = User("Ann Lee", ANN, access.EDITOR, frozenset({"*"}), True)
    assert view.describe(everywhere, names) == "Ann Lee · editor of every place"
    assert view.describe(ADMIN, names) == "Raj Patel · admin"


def test_the_list_has_a_date_column_even_with_only_the_files_entries():
    roles = file_roles(Grant(ANN, access.ADMIN, frozenset(), "file"))
    listed = view.people(roles, no_grants())
    assert pd.api.types.is_datetime64_any_dtype(listed["granted_at"])
    assert listed["granted_at"].isna().all() and listed["granted_by"].tolist() == [""]


# -- the command line: python -m capacity role list|set ------------------------------


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_role_set_then_list_from_the_command_line(writable_db, tmp_path, monkeypatch):
    roles = tmp_path / "roles.toml"
    roles.write_text('[[user]]\nemail = "bo@thurrock.gov.uk"\nrole = "admin"\n', "utf-8")
    monkeypatch.setenv(access.ROLES_ENV, str(roles))
    code, out, err = run_cli(
        "role", "set", ANN, "editor", "--places", HAVERING, "BHR", "--db", str(writable_db)
    )
    assert (code, out) == (0, f"{ANN} is now editor of BHR, {HAVERING}.\n"), err
    code, out, _ = run_cli("role", "list", "--db", str(writable_db))
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "Anyone not listed who signs in: viewer"
    assert lines[1].startswith(f"{ANN}: editor of BHR, {HAVERING} (from the app, given by ")
    assert lines[2] == "bo@thurrock.gov.uk: admin (from roles file)"


def test_a_bad_role_from_the_command_line_is_refused_in_one_line(writable_db):
    code, out, err = run_cli("role", "set", ANN, "boss", "--db", str(writable_db))
    assert code == 1 and out == ""
    assert "role 'boss' is not one of viewer, editor, admin. Nothing saved." in err
    assert "Traceback" not in err
    assert view.role_grants(writable_db).empty
