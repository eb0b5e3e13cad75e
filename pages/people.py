"""People and roles: who may change what, and an admin's form to give someone a role.

Everyone the roles file lists and everyone an admin has given a role in the app, with
where each role comes from. A role given here replaces the file's entry for that
e-mail. Only a signed-in admin has this page; the function that saves a role refuses
anyone else as well.
"""

import streamlit as st

from capacity import access
from capacity.views import access as access_view
from capacity.views.places import picker_options
from pages._common import (
    GrantsKey,
    app_role_grants,
    current_user,
    current_view,
    file_stamp,
    roles_file,
)
from pages._style import show_notices

show_notices()
view = current_view()
st.title("People and roles")
user = current_user()
if not user.is_admin:
    st.info("Only an admin can see and change who has which role.")
    st.stop()

roles, problem = roles_file()
if problem:
    st.error(problem)
grants = app_role_grants(GrantsKey(view.path, file_stamp(view.path)))
everyone = access_view.people(roles, grants)

st.caption(
    f"Anyone who signs in and is not listed is a **{roles.default_role}**. "
    f"The roles file is {access.roles_path()}; a role given here replaces its entry."
)
st.dataframe(
    everyone,
    hide_index=True,
    width="stretch",
    column_config={
        "email": "E-mail",
        "role": "Role",
        "places": "Places or systems",
        "source": "From",
        "granted_by": "Given by",
        "granted_at": st.column_config.DatetimeColumn("Given on", format="D MMM YYYY, HH:mm"),
    },
)

options = picker_options(view.places)
labels = dict(zip(options["place_code"], options["label"], strict=True))
EVERY = access.EVERY_PLACE
labels[EVERY] = "Every place"


def _save() -> None:
    """Save the form's role (the submit button's callback); say what happened."""
    state = st.session_state
    places = state["people_places"] if state["people_role"] == access.EDITOR else []
    try:
        grant = access_view.grant_role(
            view.path, current_user(), state["people_email"], state["people_role"], places
        )
    except (access.AccessDenied, access_view.GrantError) as exc:
        state["people_outcome"] = ("error", str(exc))
        return
    state["people_outcome"] = ("success", f"{grant.email} is now {grant.role}.")


st.subheader("Give someone a role")
with st.form("people_form"):
    st.text_input("E-mail", key="people_email", max_chars=320, placeholder="name@council.gov.uk")
    st.radio(
        "Role",
        list(access.ROLES),
        key="people_role",
        format_func=access.ROLE_LABELS.get,
        horizontal=True,
    )
    st.multiselect(
        "Places or systems (for an editor)",
        [EVERY, *options["place_code"]],
        key="people_places",
        format_func=labels.get,
        help="A system covers each of its places. Type a name, an ICB or a region to search.",
    )
    st.form_submit_button("Save the role", type="primary", on_click=_save)

outcome = st.session_state.pop("people_outcome", None)
if outcome:
    kind, text = outcome
    (st.error if kind == "error" else st.success)(text)
