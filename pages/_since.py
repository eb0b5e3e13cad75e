"""Presentation mode's "Since last time" screen, between the last place and the decisions:
what changed between the last two snapshots of the places presented, and whether the plan
of the newest snapshot with months behind it held against what then happened.

The figures are the Place page's own (its sections' cached comparisons); this screen only
lays their sentences out for a wall, escaped, as many as fit.
"""

from __future__ import annotations

import html

import streamlit as st

from capacity import config
from capacity.views import actuals
from capacity.views.changes import SnapshotError, changes_between
from pages import _decisions
from pages._common import View, snapshots_listed
from pages._style import step_keys


def _what_changed(view: View, presented: str) -> tuple[str, list[tuple[str, str]], str]:
    """The column's title, its items (sentence, kind) and the words when there are none."""
    try:
        found = changes_between(view.path, presented)
    except SnapshotError as exc:
        return "What changed", [], str(exc)
    title = f"What changed: {found.earlier.name} → {found.later.name}"
    items = [
        (item.sentence, item.kind + ("" if item.explained else " · unexplained"))
        for item in found.items
    ]
    return title, items, "Nothing changed between the two snapshots."


def _plan_held(view: View, presented: str) -> tuple[str, list[tuple[str, str]], str]:
    today = config.today()
    snapshot_id = actuals.default_snapshot(view.path, presented, today)
    if snapshot_id is None:
        return (
            "Did the plan hold?",
            [],
            "No snapshot here has a month that has happened yet: take one at each meeting.",
        )
    found = actuals.plan_against_actual(view.path, snapshot_id, today)
    meta = f"against the snapshot {found.snapshot.name} ({found.snapshot.made_at:%-d %b %Y})"
    items = [(sentence, meta) for sentence in found.sentences]
    return f"Did the plan hold? {found.snapshot.name}", items, "No month has happened yet."


def since_screen(view: View, presented: str, presented_name: str) -> None:
    """The wall's "Since last time": what changed, and whether the plan held, side by side,
    with Previous (to the last place), Next (to the decisions) and Exit."""
    listed = snapshots_listed(view.path, presented)
    latest = f"newest snapshot {listed.iloc[0]['name']}" if not listed.empty else "no snapshot yet"
    st.markdown(
        '<div class="headline">Since last time</div>'
        f'<div class="subhead">{html.escape(presented_name)} · {html.escape(latest)}</div>',
        unsafe_allow_html=True,
    )
    step_keys()
    back, _, forward, leave = st.columns([1, 3.7, 1, 1.3], vertical_alignment="center")
    back.button(
        "◀ Previous place",
        key="present_previous",
        on_click=_decisions.leave_last_screen,
        width="stretch",
    )
    forward.button(
        "Next ▶",
        key="present_next",
        on_click=_decisions.go_to_last_screen,
        help="Decisions and actions",
        width="stretch",
        type="primary",
    )
    leave.button("Exit presentation", key="present_exit", on_click=_exit, width="stretch")
    left, right = st.columns(2, gap="large")
    with left:
        st.html(_decisions.wall_column(*_what_changed(view, presented)))
    with right:
        st.html(_decisions.wall_column(*_plan_held(view, presented)))


def _exit() -> None:
    _decisions.leave_last_screen()
    st.session_state["present"] = False
