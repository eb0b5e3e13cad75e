"""Sign-in: the screen shown before anything else, and who is signed in, in the sidebar.

Sign-in is Streamlit's own (``st.login``/``st.user``, OpenID Connect), switched on by an
``[auth]`` section in ``.streamlit/secrets.toml`` (docs/deploying.md). With it, nobody sees
a page, nor the place list, before signing in; after, the sidebar names the person, their
role and places, with *Sign out*. Without it (a laptop, the demo) the app has one local
user with every right, and the sidebar says so in one line.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from capacity import access
from capacity.views import access as access_view
from pages._common import roles_file


def configured() -> bool:
    """Whether this deployment has sign-in (Streamlit sets ``is_logged_in`` in st.user
    only where secrets.toml has an ``[auth]`` section)."""
    return "is_logged_in" in st.user.to_dict()


def signed_in() -> bool:
    """Whether someone is signed in on this session."""
    return bool(st.user.to_dict().get("is_logged_in"))


def needed() -> bool:
    """Whether this session must sign in before seeing anything."""
    return configured() and not signed_in()


def screen() -> None:
    """The sign-in screen, and nothing else: the run stops here."""
    st.title("Intermediate care: demand and capacity")
    st.write(
        "Sign in with your organisation's account to see the plans. What you may change "
        "(nothing, your own places, or everything) depends on the role you have been given."
    )
    if st.button("Sign in", type="primary", key="signin_sign_in"):
        st.login()
    st.stop()


def sidebar(user: access.User, place_names: Mapping[str, str]) -> None:
    """In the sidebar: who is using the app and what they may do, and the way out.

    ``place_names`` name the codes of an editor's places.
    """
    if not configured():
        st.caption("No sign-in on this computer: one local user, with every right.")
        return
    _, problem = roles_file()
    if problem:
        st.error(f"{problem.rstrip('.')}. Everyone is a viewer until the roles file is corrected.")
    st.caption(f"Signed in: {access_view.describe(user, place_names)}")
    if st.button("Sign out", key="signin_sign_out"):
        st.logout()
        st.stop()  # the browser is on its way out: draw nothing more for this person
