"""Keeping the view and the URL in step, so every view can be bookmarked and shared.

Each run starts by comparing the URL with the one this session last wrote. If
they differ, the user arrived by a link, a bookmark or the browser's back and
forward buttons, and the URL's values are put into the widgets before they are
drawn. A setting the URL leaves out is at its default (defaults are never
written), so the back button returns settings to their defaults too; links to
a page therefore carry that page's own settings as the session last had them.
A value the dashboard does not know falls back to a default with a visible
notice. After the page is drawn the URL is rewritten from the widgets, which
adds a browser history entry whenever the view changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

_LAST = "_url_last_written"
_CHANGED = "_url_changed_this_run"
_VALUES = "_url_values_this_run"
_NOTICES = "_url_notices_this_run"
_CARRIED = "_url_notices_carried"
_PAGE = "_url_page_this_run"
_SIDEBAR = "_url_sidebar_names"
_BY_PAGE = "_url_own_settings_by_page"


@dataclass(frozen=True)
class Param:
    """One view setting carried in the URL.

    ``parse`` turns URL text into a value (raising ValueError for anything it
    does not know); ``dump`` turns a value back into URL text, or None when the
    value is the default and need not be shown.
    """

    name: str
    key: str
    parse: Callable[[str], Any]
    dump: Callable[[Any], str | None]
    default: Any
    describe: Callable[[Any], str] = str


def begin_run() -> None:
    """Note whether the URL changed since this session last wrote it."""
    url = st.query_params.to_dict()
    st.session_state[_CHANGED] = url != st.session_state.get(_LAST)
    st.session_state[_VALUES] = {}
    st.session_state[_NOTICES] = st.session_state.pop(_CARRIED, [])
    st.session_state[_PAGE] = None


def _plain(text: str) -> str:
    """Text from a link shown as typed: markdown's special characters escaped, so a crafted
    link cannot put its own links or formatting into the notice."""
    return re.sub(r"([\\`*_\[\]()<>~$])", r"\\\1", text)


def set_page(url_path: str) -> None:
    """Name the page about to run, so its own settings can be carried by links to it."""
    st.session_state[_PAGE] = url_path


def bind(param: Param, sidebar: bool = False) -> None:
    """Before its widget is drawn: take the URL's value if the URL changed, else keep the state.

    A changed URL that leaves the setting out puts it back to its default. Also
    gives the widget its default the first time, so widgets never need their
    own default argument. ``sidebar`` marks the settings every page shares.
    """
    if sidebar:
        st.session_state.setdefault(_SIDEBAR, set()).add(param.name)
    raw = st.query_params.get(param.name)
    changed = st.session_state.get(_CHANGED)
    if changed and raw is None:
        st.session_state[param.key] = param.default
    elif changed:
        try:
            st.session_state[param.key] = param.parse(raw)
        except ValueError as exc:
            fallback = st.session_state.get(param.key, param.default)
            st.session_state[param.key] = fallback
            st.session_state[_NOTICES].append(
                f"The link's {param.name} {_plain(repr(raw))} is not recognised "
                f"({_plain(str(exc))}); "
                f"showing {param.describe(fallback)} instead."
            )
    elif param.key not in st.session_state:
        st.session_state[param.key] = param.default


def publish(param: Param) -> None:
    """After its widget is drawn: put the widget's value in this run's URL."""
    text = param.dump(st.session_state.get(param.key, param.default))
    if text is not None:
        st.session_state[_VALUES][param.name] = text


def add_notice(text: str) -> None:
    """Show a notice at the top of this run's page (its text shown as written, not markdown)."""
    st.session_state[_NOTICES].append(_plain(text))


def take_notices() -> list[str]:
    """Notices about URL values not recognised in this run, not yet shown (and now taken)."""
    # A notice carried over a page switch may be raised again by the run it was carried to.
    pending = list(dict.fromkeys(st.session_state.get(_NOTICES, [])))
    st.session_state[_NOTICES] = []
    return pending


def carry_notices() -> None:
    """Keep this run's notices for the next run (before switching page, which starts one)."""
    st.session_state[_CARRIED] = take_notices()


def current_values() -> dict[str, str]:
    """The URL values published so far in this run."""
    return dict(st.session_state.get(_VALUES, {}))


def link_values(page: str, **overrides: str) -> dict[str, str]:
    """The URL for a link to ``page``: its own settings as last seen, then this run's values
    (so shared names such as the service types carry over), then ``overrides``."""
    own = st.session_state.get(_BY_PAGE, {}).get(page, {})
    return own | current_values() | overrides


def end_run() -> None:
    """Write the URL from this run's values, adding a history entry only if it changed."""
    values = current_values()
    if st.query_params.to_dict() != values:
        st.query_params.from_dict(values)
    st.session_state[_LAST] = values
    shared = st.session_state.get(_SIDEBAR, set())
    st.session_state.setdefault(_BY_PAGE, {})[st.session_state.get(_PAGE)] = {
        name: text for name, text in values.items() if name not in shared
    }
