"""The Place page's section "What changed since last time": two snapshots, the changes in
sentences, and the plan's change by service type and month in whole people.

The page calls :func:`changes_section` with one line; everything it shows comes from
:func:`capacity.views.changes.changes_between` (the comparison reads only the two
snapshots' frozen rows, so a result for a pair of snapshots never goes stale).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import streamlit as st

from capacity.views.changes import Changes, SnapshotError, changes_between, display_table
from pages._common import View, snapshots_listed

KIND_LABELS = {
    "data": "Data",
    "scenario": "Scenario",
    "parameters": "Parameters",
    "services": "Services",
    "demand basis": "Demand basis",
    "plan": "Plan",
}


@st.cache_data(show_spinner="Comparing the two snapshots…", max_entries=16)
def _changes(path: Path, place: str, earlier: str, later: str, listing: tuple) -> Changes:
    # ``listing`` (ids and names of the place's snapshots) keys the cache: a snapshot's rows
    # never change, so only a rename or a new snapshot calls for a fresh comparison.
    return changes_between(path, place, earlier, later)


def _plain(text: str) -> str:
    """Text from the data (service and file names) shown as itself, not as markdown."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~$-])", r"\\\1", text)


def _sentences(found: Changes) -> None:
    for item in found.items:
        mark = " ⚠ *unexplained*" if not item.explained else ""
        st.markdown(f"- **{KIND_LABELS[item.kind]}**: {_plain(item.sentence)}{mark}")


def _table(found: Changes) -> None:
    shown = display_table(found)
    if shown.empty:
        st.caption("The plan's figures are the same in both snapshots.")
        return
    st.caption(
        "The plan's change where it moved: new people a month, each figure rounded to whole "
        "people (so a change may differ by one from after − before)."
    )
    st.dataframe(shown, hide_index=True, width="stretch")


def changes_section(view: View) -> None:
    """Choose two snapshots of the place (the last two by default) and show what changed."""
    st.subheader("What changed since last time")
    listed = snapshots_listed(view.path, view.place)
    if len(listed) < 2:
        st.info(
            "What changed compares two snapshots of this place; take one at each meeting "
            f"(it has {len(listed)} so far)."
        )
        return
    names = listed["name"].tolist()
    made = pd.to_datetime(listed["made_at"]).dt.strftime("%-d %b %Y %H:%M")
    when = dict(zip(names, made, strict=True))
    left, right = st.columns(2)
    earlier = left.selectbox(
        "From", names, index=1, key="changes_from", format_func=lambda n: f"{n} · {when[n]}"
    )
    later = right.selectbox(
        "To", names, index=0, key="changes_to", format_func=lambda n: f"{n} · {when[n]}"
    )
    stamp = tuple(zip(listed["snapshot_id"].tolist(), names, strict=True))
    try:
        found = _changes(view.path, view.place, earlier, later, stamp)
    except SnapshotError as exc:
        st.warning(str(exc))
        return
    if not found.items:
        st.caption("Nothing changed between the two snapshots.")
        return
    _sentences(found)
    _table(found)
