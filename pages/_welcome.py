"""The first screen of a workspace with no services: *Explore the demo* or *Set up my place*.

app.py shows it instead of the Overview while no place has a service (a database made
with ``python3 -m capacity init --empty``); every other page opens as usual. The demo
has services, so the README's first command opens straight on the Overview.
"""

from __future__ import annotations

import streamlit as st

from capacity.views import permissions, workspace
from pages import PAGES, _state, page_path
from pages._common import DEMO, View, current_user

NEXT_STEPS = (
    "Next, on the Data page: add your services, give each its parameters, then load an NHS "
    "England discharge SitRep (a first plan from national data) or your referral records."
)


# The pages that need no services: where a new workspace adds them, and the methodology.
WITHOUT_SERVICES = ("data", "methodology")


def shown_instead(view: View, page_name: str) -> bool:
    """In a workspace with no services, show the first screen (in place of the Overview) or
    a pointer to the Data page (in place of a page about plans); True if shown."""
    if not workspace.is_empty(view.places) or page_name in WITHOUT_SERVICES:
        return False
    if page_name == PAGES[0].url_path:
        first_screen(view)
        return True
    title = next(spec.title for spec in PAGES if spec.url_path == page_name)
    st.title(title)
    st.info(f"This workspace has no services yet, so there is no plan to show here. {NEXT_STEPS}")
    st.page_link(
        page_path("data"),
        label="Go to the Data page",
        icon="🗄️",
        query_params=_state.link_values("data"),
    )
    return True


def explore_demo() -> None:
    """This session looks at the demo's own database (the button's callback)."""
    st.session_state["db"] = DEMO


def leave_demo() -> None:
    """Back to the workspace (the sidebar button's callback)."""
    st.session_state["db"] = ""


def demo_note() -> None:
    """In the sidebar while this session explores the demo: say so, and the way back."""
    if st.session_state.get("db") != DEMO:
        return
    st.caption("You are exploring the demo (its own database); your workspace is unchanged.")
    st.button("Back to my workspace", key="welcome_leave_demo", on_click=leave_demo)


def first_screen(view: View) -> None:
    """Offer the demo or the lead's own place; a place chosen opens the Data page's Services."""
    st.title("Intermediate care: demand and capacity")
    mine = workspace.own_places(view.places)
    if mine.empty:
        st.write(
            "This workspace holds England's reference data (every authority and ICB, acute "
            "trusts and their catchments, populations) and no services yet."
        )
    else:
        named = mine[mine["workspace_chosen"].fillna(False).astype(bool)]
        st.write(
            f"This workspace is set up for **{', '.join(named['name'])}** and has no services "
            f"yet. {NEXT_STEPS}"
        )
        st.page_link(
            page_path("data"),
            label="Go to the Data page",
            icon="🗄️",
            query_params=_state.link_values("data"),
        )
    demo, own = st.columns(2, gap="large")
    with demo:
        st.subheader("Explore the demo")
        st.write(
            "Seven places in Essex and north-east London with their services from the Better "
            "Care Fund documents and made-up referral records. It opens in a database of its "
            "own (built the first time, in under a minute); your workspace stays as it is."
        )
        st.button("Explore the demo", key="welcome_demo", on_click=explore_demo)
    with own:
        st.subheader("Set up my place")
        set_up_form(view)


def set_up_form(view: View) -> None:
    """Choose an authority or an ICB, record it as the workspace's, open the Data page."""
    refused = permissions.refusal(view.path, current_user(), None)
    if refused:
        st.caption(f"Only an admin sets up this workspace's place: {refused}")
        return
    choices = workspace.place_choices(view.places)
    code = st.selectbox(
        "Your authority or integrated care board",
        list(choices),
        index=None,
        format_func=choices.get,
        placeholder="Type a name: Leeds, Cornwall, West Yorkshire…",
        key="welcome_place",
        help="Every upper-tier authority in England (with its ICB and region), then every ICB "
        "(which brings all its places).",
    )
    if not st.button("Set up my place", key="welcome_set_up", type="primary"):
        return
    if code is None:
        st.warning("Choose your authority or ICB first (type to search the list).")
        return
    try:
        workspace.set_up_place(view.path, code, user=current_user())
    except permissions.AccessDenied as exc:
        st.error(f"Not set up: {exc}")
        return
    except workspace.WorkspaceError as exc:
        st.warning(f"Not set up: {exc}")
        return
    # The Data page shows this once, above its sections.
    st.session_state["data_message"] = (
        "success",
        f"This workspace is set up for {choices[code].split(' · ')[0]}. {NEXT_STEPS}",
    )
    st.switch_page(page_path("data"), query_params=_state.link_values("data", place=code))
