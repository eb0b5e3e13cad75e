"""Decisions and actions on the Place page, and presentation mode's last screen.

The Place page records a decision against the newest snapshot of the place (or another
snapshot of it or of a system holding it, or the sidebar's saved scenario version) and
lists the place's open actions, with a way to mark one done or dropped. Presentation
mode ends, after its last place, on a screen of this meeting's decisions and every open
action of the places presented. Decision text is always shown as plain text: in tables
(which never render it) or escaped into HTML, never through markdown.
"""

from __future__ import annotations

import html
from datetime import date

import streamlit as st

from capacity import config
from capacity.views import decisions as decision_view
from capacity.views.decisions import Decision, DecisionError
from capacity.views.permissions import AccessDenied, refusal
from capacity.views.scenario_choices import BASELINE, PRESET_PREFIX
from pages import _state
from pages._common import View, current_user, who
from pages._state import Param
from pages._style import (
    PRESENT_HEADING_REM,
    ROOT_PX,
    WALL_HEIGHT,
    step_keys,
)

NOTICE = "decision_notice"
TEXT, OWNER, DUE, AGAINST = "decision_text", "decision_owner", "decision_due", "decision_against"
CHOSEN = "decision_chosen"
SCENARIO = "scenario"  # the "against" option standing for the sidebar's saved scenario
STATUS_WORDS = {"open": "Open", "done": "Done", "dropped": "Dropped"}


# -- the Place page's section -----------------------------------------------------------


def _saved_scenario(view: View) -> str | None:
    """The sidebar's scenario when it is a saved one (a preset or the baseline has no
    version to record a decision against)."""
    if view.scenario == BASELINE or view.scenario.startswith(PRESET_PREFIX):
        return None
    return view.scenario


def _against_options(view: View) -> dict[str, str]:
    """What a decision can be recorded against, newest snapshot first, by option key."""
    options = {
        f"snapshot:{s.snapshot_id}": f"Snapshot {s.name!r} of {s.place}, taken "
        f"{s.made_at:%-d %b %Y}"
        for s in decision_view.snapshot_choices(view.path, view.place)
    }
    if _saved_scenario(view) is not None:
        options[SCENARIO] = f"Scenario {view.scenario_label}, as saved now"
    return options


def _record(view: View) -> None:
    """Record the form's decision (the button's callback); clear the form when it is kept."""
    choice = st.session_state.get(AGAINST)
    snapshot_id = int(choice.split(":")[1]) if choice and choice.startswith("snapshot:") else None
    try:
        made = decision_view.record_decision(
            view.path,
            place_code=view.place,
            text=st.session_state.get(TEXT, ""),
            user=current_user(),
            snapshot_id=snapshot_id,
            scenario_name=_saved_scenario(view) if choice == SCENARIO else None,
            owner=st.session_state.get(OWNER, ""),
            due=st.session_state.get(DUE),
        )
    except (DecisionError, AccessDenied) as exc:
        st.session_state[NOTICE] = ("error", f"The decision was not recorded: {exc}")
        return
    st.session_state[TEXT], st.session_state[OWNER], st.session_state[DUE] = "", "", None
    st.session_state[NOTICE] = (
        "success",
        f"Recorded decision {made.decision_id} for {made.place}, against {made.against}.",
    )


def _set_status(view: View, status: str) -> None:
    """Mark the chosen open action done or dropped (the buttons' callback)."""
    chosen = st.session_state.get(CHOSEN)
    if chosen is None:
        return
    try:
        changed = decision_view.set_decision_status(view.path, chosen, status, user=current_user())
    except (DecisionError, AccessDenied) as exc:
        st.session_state[NOTICE] = ("error", str(exc))
        return
    st.session_state[NOTICE] = (
        "success",
        f"Decision {changed.decision_id} is now {changed.status}.",
    )


def _form(view: View, options: dict[str, str]) -> None:
    with st.form("decision_form", border=True):
        st.text_area(
            "Decision",
            key=TEXT,
            max_chars=decision_view.MAX_TEXT_LENGTH,
            placeholder="What the meeting decided, e.g. 'Fund 4 winter flex beds from December'",
        )
        owner, due, against = st.columns([2, 1.2, 3])
        owner.text_input("Owner (optional)", key=OWNER, max_chars=decision_view.MAX_OWNER_LENGTH)
        due.date_input(
            "Due (optional)",
            key=DUE,
            value=None,
            min_value=decision_view.FIRST_DUE,
            max_value=decision_view.LAST_DUE,
            format="YYYY-MM-DD",
        )
        against.selectbox("Against", list(options), key=AGAINST, format_func=options.get)
        st.form_submit_button("Record the decision", on_click=_record, args=(view,), type="primary")


TABLE_COLUMNS = {
    "decision_id": st.column_config.NumberColumn("No.", format="%d", width="small"),
    "text": st.column_config.TextColumn("Decision", width="large"),
    "place": "For",
    "owner": "Owner",
    "due": st.column_config.DateColumn("Due", format="YYYY-MM-DD"),
    "overdue": "Overdue",
    "status": "Status",
    "made_by": "Made by",
    "made_at": st.column_config.DatetimeColumn("Made", format="YYYY-MM-DD HH:mm"),
    "against": "Against",
    "status_by": "Status set by",
    "status_at": st.column_config.DatetimeColumn("Status set", format="YYYY-MM-DD HH:mm"),
}


def _table(found: list[Decision], columns: list[str], key: str) -> None:
    """Decisions in a table: st.dataframe shows every text exactly as stored."""
    rows = decision_view.decision_rows(found, config.today())
    rows = rows.assign(
        overdue=rows["overdue"].map({True: "Overdue", False: ""}),
        status=rows["status"].map(STATUS_WORDS),
    )
    st.dataframe(
        rows[columns],
        hide_index=True,
        width="stretch",
        placeholder="",  # no due date, no status change yet: blank, not "None"
        key=key,
        column_config={c: TABLE_COLUMNS[c] for c in columns},
    )


def _open_actions(view: View, can_change: bool) -> None:
    actions = decision_view.open_actions(view.path, [view.place])
    st.markdown(f"**Open actions** ({len(actions)})")
    if not actions:
        st.caption("No open decision here has an owner or a due date.")
        return
    columns = ["decision_id", "text", "owner", "due", "overdue", "made_by", "against", "place"]
    _table(actions, columns, "decision_open_table")
    if not can_change:
        return
    labels = {a.decision_id: f"No. {a.decision_id}: {a.text[:80]}" for a in actions}
    choose, done, drop = st.columns([4, 1, 1], vertical_alignment="bottom")
    choose.selectbox("Open action", list(labels), key=CHOSEN, format_func=labels.get)
    done.button(
        "Mark done",
        key="decision_done",
        on_click=_set_status,
        args=(view, "done"),
        width="stretch",
    )
    drop.button(
        "Drop",
        key="decision_drop",
        on_click=_set_status,
        args=(view, "dropped"),
        width="stretch",
    )


def section(view: View) -> None:
    """The Place page's *Decisions and actions*: record one, see and close open actions."""
    st.subheader("Decisions and actions")
    st.caption(
        "Record what a meeting decided against the snapshot it looked at, or the sidebar's "
        "saved scenario. An owner or a due date makes a decision an action, listed until it "
        f"is marked done or dropped. Recorded as {who()}."
    )
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        kind, text = notice
        # As st.text would: the message may quote a typed text, shown as written.
        (st.error if kind == "error" else st.success)(_plain(text))
    refused = refusal(view.path, current_user(), [view.place])
    options = _against_options(view)
    if refused:
        st.caption(f"Decisions here cannot be recorded or closed by you: {_plain(refused)}")
    elif options:
        _form(view, options)
    else:
        st.info(
            f"There is nothing to record a decision against yet: take a snapshot of "
            f"{view.place_name} (or `python3 -m capacity snapshot save`), or choose a saved "
            "scenario in the sidebar."
        )
    _open_actions(view, refused is None)
    found = decision_view.place_decisions(view.path, view.place)
    if found:
        with st.expander(f"Every decision for {view.place_name} ({len(found)})"):
            _table(found, list(TABLE_COLUMNS), "decision_all_table")
            st.download_button(
                "Download the decisions (CSV)",
                decision_view.decisions_csv(found),
                file_name=f"decisions-{view.place}.csv",
                mime="text/csv",
                key="decision_csv",
                on_click="ignore",
            )


def _plain(text: str) -> str:
    """Text in a markdown element shown as written: markdown's special characters escaped."""
    return "".join(f"\\{c}" if c in "\\`*_[]()<>~$#!|{}" else c for c in text)


# -- presentation mode's last screen ---------------------------------------------------

SCREEN_KEY = "present_screen"
SINCE, LAST = "since", "decisions"
# The closing screens, in the order Next reaches them after the last place.
CLOSING = {SINCE: "the since-last-time screen", LAST: "the decisions and actions screen"}
screen_param = Param(
    "present_screen",
    SCREEN_KEY,
    lambda text: _screen(text),
    lambda v: v or None,
    None,
    describe=lambda v: CLOSING.get(v, "the place's screen"),
)


def _screen(text: str) -> str:
    if text not in CLOSING:
        raise ValueError(f"the screens are {' and '.join(CLOSING)}")
    return text


def closing_screen() -> str | None:
    """Which closing screen presentation mode shows (the URL's ``present_screen=since`` or
    ``=decisions``, or Next from the last place), None for a place's; keeps it in the URL."""
    _state.bind(screen_param)
    _state.publish(screen_param)
    return st.session_state.get(SCREEN_KEY)


def on_last_screen() -> bool:
    """Whether presentation mode shows its last screen, the decisions and actions."""
    return closing_screen() == LAST


def go_to_since_screen() -> None:
    """Show what changed and whether the plan held (Next's callback on the last place)."""
    st.session_state[SCREEN_KEY] = SINCE


def go_to_last_screen() -> None:
    """Show the decisions and actions (Next's callback on the since-last-time screen)."""
    st.session_state[SCREEN_KEY] = LAST


def leave_last_screen() -> None:
    """Back to the places (Previous's callback, and on leaving presentation mode)."""
    st.session_state[SCREEN_KEY] = None


# Each item on the wall: up to two lines of text, a line of who, when and what, padding.
ITEM_TEXT_REM, ITEM_TEXT_LINE = 1.15, 1.3
ITEM_META_REM, ITEM_META_LINE = 0.85, 1.35
ITEM_PAD_REM = 0.6
COLUMN_TITLE_REM = 1.4 * 1.3 + 0.5
MORE_LINE_REM = 1.2


def wall_items(screen: int = WALL_HEIGHT) -> int:
    """How many decisions each column of the last screen holds on a wall ``screen`` pixels
    high, under a heading budgeted as the Place screen's (two lines of headline, two of
    subhead, the buttons) and the column's title, with a line left to say how many more."""
    heading = PRESENT_HEADING_REM  # as the Place screen budgets its heading
    item = 2 * ITEM_TEXT_REM * ITEM_TEXT_LINE + ITEM_META_REM * ITEM_META_LINE + ITEM_PAD_REM
    room = screen / ROOT_PX - heading - COLUMN_TITLE_REM - MORE_LINE_REM
    return max(1, int(room // item))


WALL_CSS = f"""
<style>
  .decisions h3 {{ font-size: 1.4rem; line-height: 1.3; margin: 0 0 0.5rem 0; padding: 0;
                  color: #003087; }}
  .decisions .item {{ padding: {ITEM_PAD_REM / 2}rem 0; border-bottom: 1px solid #D8DDE0; }}
  .decisions .text {{ font-size: {ITEM_TEXT_REM}rem; line-height: {ITEM_TEXT_LINE};
                     color: #212B32; white-space: pre-wrap; overflow: hidden;
                     display: -webkit-box; -webkit-line-clamp: 2;
                     -webkit-box-orient: vertical; }}
  .decisions .meta {{ font-size: {ITEM_META_REM}rem; line-height: {ITEM_META_LINE};
                     color: #425563; white-space: nowrap; overflow: hidden;
                     text-overflow: ellipsis; }}
  .decisions .overdue {{ color: #B34A00; font-weight: 700; }}
  .decisions .more, .decisions .none {{ font-size: 0.9rem; color: #425563; }}
</style>
"""


def _meta(decision: Decision, today: date) -> str:
    """Who acts and by when, who made it and against what: escaped HTML."""
    parts = []
    if decision.owner:
        parts.append(f"Owner: {html.escape(decision.owner)}")
    if decision.due_date is not None:
        due = f"due {decision.due_date:%-d %b %Y}"
        parts.append(
            f'<span class="overdue">{due}, overdue</span>' if decision.overdue(today) else due
        )
    if decision.status != "open":
        parts.append(STATUS_WORDS[decision.status].lower())
    parts.append(f"{html.escape(decision.place)} · made by {html.escape(decision.made_by)}")
    parts.append(html.escape(decision.against))
    return " · ".join(parts)


def wall_column(title: str, items: list[tuple[str, str]], empty: str) -> str:
    """A column of the closing screens: a title and items of (text, line under it), the
    text escaped here and cut at two lines, as many as the wall holds."""
    shown = items[: wall_items()]
    body = "".join(
        f'<div class="item"><div class="text">{html.escape(text)}</div>'
        f'<div class="meta">{html.escape(meta)}</div></div>'
        for text, meta in shown
    )
    if not items:
        body = f'<div class="none">{html.escape(empty)}</div>'
    more = len(items) - len(shown)
    if more:
        body += f'<div class="more">and {more} more: see the Place page.</div>'
    return f'{WALL_CSS}<div class="decisions"><h3>{html.escape(title)}</h3>{body}</div>'


def _column(title: str, found: list[Decision], today: date, empty: str) -> str:
    shown = found[: wall_items()]
    items = "".join(
        f'<div class="item"><div class="text">{html.escape(d.text)}</div>'
        f'<div class="meta">{_meta(d, today)}</div></div>'
        for d in shown
    )
    if not found:
        items = f'<div class="none">{html.escape(empty)}</div>'
    more = len(found) - len(shown)
    if more:
        items += f'<div class="more">and {more} more: see the Place page.</div>'
    return f'<div class="decisions"><h3>{html.escape(title)}</h3>{items}</div>'


def last_screen(view: View, presented: str, presented_name: str) -> None:
    """Presentation mode's last screen: this meeting's decisions and every open action of
    the places presented (``presented``: the system stepped through, or the one place)."""
    meeting = decision_view.meeting_decisions(view.path, presented, today=config.today())
    st.markdown(
        '<div class="headline">Decisions and actions</div>'
        f'<div class="subhead">{html.escape(presented_name)} · this meeting: '
        f"{html.escape(meeting.meeting)}</div>",
        unsafe_allow_html=True,
    )
    step_keys()
    # The Place screen's widths, so "Exit presentation" is not cut on a laptop.
    back, _, leave = st.columns([1, 4.7, 1.3], vertical_alignment="center")
    back.button(
        "◀ Since last time", key="present_previous", on_click=go_to_since_screen, width="stretch"
    )
    leave.button("Exit presentation", key="present_exit", on_click=_exit, width="stretch")
    decided, actions = st.columns(2, gap="large")
    with decided:
        st.html(
            WALL_CSS
            + _column(
                f"Decided at this meeting ({len(meeting.decided)})",
                meeting.decided,
                meeting.today,
                "Nothing recorded yet. Record decisions on the Place page.",
            )
        )
    with actions:
        st.html(
            WALL_CSS
            + _column(
                f"Open actions ({len(meeting.open_actions)})",
                meeting.open_actions,
                meeting.today,
                "No open actions.",
            )
        )


def _exit() -> None:
    leave_last_screen()
    st.session_state["present"] = False
