"""Snapshots on the pages: the save button (Place and Scenarios), a place's snapshots listed,
renamed and deleted (Place), and the snapshot the workbook download keeps (Export).

A snapshot freezes what the page shows: the sidebar's place or system, planning
year and scenario (a saved scenario at its current version, a preset, or the
baseline), with the data as loaded now. The names, notes and messages users type
are shown as typed: markdown's special characters are escaped.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pandas as pd
import streamlit as st

from capacity.views import permissions
from capacity.views.data import StoreError
from capacity.views.scenario_choices import ScenarioError
from capacity.views.snapshots import (
    SNAPSHOT_FORMATS,
    SnapshotError,
    delete_snapshot,
    export_snapshot_places,
    keep_export_snapshots,
    rename_snapshot,
    saved_sentence,
    snapshot_of_choice,
    snapshot_table,
    suggested_name,
)
from pages._common import View, current_user, scenario_for, snapshots_listed

SAVE_MESSAGE = "snap_message"
LIST_MESSAGE = "snap_list_message"
EXPORT_MESSAGE = "snap_export_message"
PROBLEMS = (SnapshotError, ScenarioError, StoreError, permissions.AccessDenied)


def _listing(view: View) -> pd.DataFrame:
    return snapshots_listed(view.path, view.place)


def plain(text: str) -> str:
    """Typed text shown as typed: markdown's special characters escaped (brackets, so a name
    cannot make a link; emphasis, code, HTML, maths and headings)."""
    return re.sub(r"([\\`*_\[\]<>~$#|])", r"\\\1", str(text))


def _problem(exc: Exception) -> str:
    if isinstance(exc, ScenarioError):
        return "the scenario cannot be used: " + "; ".join(exc.problems)
    return str(exc)


def _show(key: str) -> None:
    message = st.session_state.pop(key, None)
    if message:
        kind, text = message
        {"error": st.error, "warning": st.warning}.get(kind, st.success)(text)


# -- the save button -------------------------------------------------------------


def _save(view: View) -> None:
    """Save the snapshot the form describes (the form's callback)."""
    try:
        taken = snapshot_of_choice(
            view.path,
            name=st.session_state["snap_name"],
            place_code=view.place,
            year=view.year,
            scenario_key=view.scenario,
            user=current_user(),
            note=st.session_state.get("snap_note", ""),
        )
    except PROBLEMS as exc:
        st.session_state[SAVE_MESSAGE] = ("error", f"Nothing was saved: {plain(_problem(exc))}")
        return
    st.session_state[SAVE_MESSAGE] = ("success", plain(saved_sentence(taken)))
    st.session_state["snap_note"] = ""
    st.session_state["snap_for"] = None  # the next snapshot gets a fresh name


def save_button(view: View) -> None:
    """A button that saves a snapshot of what the page shows, with a name and an optional note."""
    context = (view.path, view.place, view.year, view.scenario)
    if st.session_state.get("snap_for") != context or "snap_name" not in st.session_state:
        st.session_state["snap_name"] = suggested_name(_listing(view)["name"], date.today())
        st.session_state["snap_for"] = context
    refused = permissions.refusal(view.path, current_user(), [view.place])
    if refused:
        st.caption(f"📸 No snapshot can be saved here: {plain(refused)}")
        return
    with st.popover("📸 Save a snapshot", help="Freeze these figures under a name"):
        st.caption(
            f"Freezes {view.place_name}, {view.year_label}, scenario {view.scenario_label}, "
            "with the data as loaded now: it reads the same after later imports."
        )
        with st.form("snap_form", border=False):
            st.text_input("Name", key="snap_name", help="Unique among this place's snapshots")
            st.text_area("Note (optional)", key="snap_note", height=68)
            st.form_submit_button(
                "Save snapshot", on_click=_save, args=(view,), type="primary", key="snap_save"
            )
    _show(SAVE_MESSAGE)


# -- a place's snapshots ---------------------------------------------------------


def _rename(view: View) -> None:
    chosen = st.session_state.get("snap_chosen")
    if chosen is None:
        return
    try:
        renamed = rename_snapshot(
            view.path, chosen, st.session_state.get("snap_new_name", ""), user=current_user()
        )
    except PROBLEMS as exc:
        st.session_state[LIST_MESSAGE] = ("error", f"Not renamed: {plain(_problem(exc))}")
        return
    st.session_state[LIST_MESSAGE] = ("success", f"Renamed it {plain(repr(renamed.name))}.")
    st.session_state["snap_new_name"] = ""


def _delete(view: View, name: str) -> None:
    chosen = st.session_state.get("snap_chosen")
    if chosen is None:
        return
    try:
        delete_snapshot(view.path, chosen, user=current_user())
    except PROBLEMS as exc:
        st.session_state[LIST_MESSAGE] = ("error", f"Not deleted: {plain(_problem(exc))}")
        return
    st.session_state[LIST_MESSAGE] = (
        "success",
        f"Deleted {plain(repr(name))}: it is no longer listed, and its figures are kept, so "
        "decisions made against it still read.",
    )
    st.session_state["snap_chosen"] = None


def _table(shown: pd.DataFrame) -> None:
    st.dataframe(
        shown.drop(columns=["snapshot_id", "place"]),
        hide_index=True,
        width="stretch",
        column_config={
            "name": "Name",
            "year": "Year",
            "scenario": "Scenario",
            "made_by": "Made by",
            "made_at": st.column_config.DatetimeColumn("When", format="D MMM YYYY, HH:mm"),
            "origin": "Made from",
            "note": st.column_config.TextColumn("Note", width="large"),
        },
    )


def place_snapshots(view: View) -> None:
    """The place's snapshots, newest first, with rename and delete for one chosen snapshot."""
    with st.expander(f"Snapshots of {view.place_name}"):
        _show(LIST_MESSAGE)
        shown = snapshot_table(_listing(view))
        if shown.empty:
            st.caption("No snapshots yet: the Save a snapshot button above freezes these figures.")
            return
        _table(shown)
        if permissions.refusal(view.path, current_user(), [view.place]):
            return
        names = dict(zip(shown["snapshot_id"], shown["name"], strict=True))
        if st.session_state.get("snap_chosen") not in names:
            st.session_state["snap_chosen"] = None
        pick, new_name, rename, delete = st.columns([3, 3, 1, 1], vertical_alignment="bottom")
        pick.selectbox(
            "Snapshot",
            [None, *names],
            key="snap_chosen",
            format_func=lambda i: "Choose one to rename or delete" if i is None else names[i],
        )
        chosen = st.session_state["snap_chosen"]
        new_name.text_input("New name", key="snap_new_name")
        rename.button(
            "Rename", key="snap_rename", on_click=_rename, args=(view,), disabled=chosen is None
        )
        delete.button(
            "Delete",
            key="snap_delete",
            on_click=_delete,
            args=(view, names.get(chosen, "")),
            disabled=chosen is None,
            help="Stops listing it; its figures are kept.",
        )


# -- the workbook download -------------------------------------------------------


def keeps_snapshot(fmt: str) -> bool:
    """Whether downloading this format keeps a snapshot (the workbook, and a zip of them)."""
    return fmt in SNAPSHOT_FORMATS


def keep_download_snapshot(view: View, scope, file_name: str) -> None:
    """The workbook download's callback: keep a snapshot of what was downloaded, named for
    the moment of the download."""
    kept = keep_export_snapshots(
        view.path,
        codes=export_snapshot_places(scope),
        year=view.year,
        scenario=scenario_for(view.scenarios_key, view.scenario, view.year),
        user=current_user(),
        file_name=file_name,
        made_at=datetime.now().astimezone(),
    )
    st.session_state[EXPORT_MESSAGE] = (
        "warning" if kept.problem else "success",
        plain(kept.sentence),
    )


def export_notice() -> None:
    """What the last workbook download kept, or why it kept no snapshot."""
    _show(EXPORT_MESSAGE)
