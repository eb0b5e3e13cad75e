"""Activity: who changed what and when, for the place in the sidebar, from the audit trail."""

import streamlit as st

from capacity.views import activity
from pages._common import current_view
from pages._style import show_notices

view = current_view()
show_notices()
st.title("Activity")
st.caption(
    f"Every change for {view.place_name}, and every change not tied to one place (a SitRep "
    "import, a scenario for every place), newest first: imports and undos, edits of "
    "services, parameters, shares and demand settings, scenarios, snapshots, decisions and "
    "workforce settings, each with the name and e-mail of the person who made it."
)

people = activity.people(view.path)
person, since, until = st.columns([2, 1, 1])
person.selectbox(
    "Person",
    [None, *people],
    format_func=lambda key: "Everyone" if key is None else people[key],
    key="activity_person",
)
since.date_input("From", value=None, key="activity_since", format="YYYY-MM-DD")
until.date_input("To (included)", value=None, key="activity_until", format="YYYY-MM-DD")

try:
    chosen = activity.ActivityFilter(
        place_code=view.place,
        person=st.session_state["activity_person"],
        since=st.session_state["activity_since"],
        until=st.session_state["activity_until"],
    )
except activity.ActivityError as exc:
    st.error(str(exc))
    st.stop()

found = activity.activity(view.path, chosen)
if found.empty:
    st.info("No change matches: none has been recorded here yet, or the filters leave none.")
else:
    st.dataframe(
        found,
        hide_index=True,
        width="stretch",
        placeholder="",
        column_config={
            "changed_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
            "person": "Person",
            "email": "E-mail",
            "action": "Change",
            "place": "Place",
            "subject": "About",
            "detail": st.column_config.TextColumn("What changed", width="large"),
        },
    )
    st.download_button(
        "Download CSV",
        activity.activity_csv(found),
        file_name=f"activity-{view.place}.csv",
        mime="text/csv",
        key="activity_csv",
        on_click="ignore",
    )
