"""Keeping the view and the URL in step, so every view can be bookmarked and shared.

Each run starts by comparing the URL with the one this session last wrote. If
they differ, the user arrived by a link, a bookmark or the browser's back and
forward buttons, and the URL's values are put into the widgets before they are
drawn. A value the dashboard does not know falls back to a default with a
visible notice. After the page is drawn the URL is rewritten from the widgets,
which adds a browser history entry whenever the view changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

_LAST = "_url_last_written"
_CHANGED = "_url_changed_this_run"
_VALUES = "_url_values_this_run"
_NOTICES = "_url_notices_this_run"


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
    st.session_state[_NOTICES] = []


def bind(param: Param) -> None:
    """Before its widget is drawn: take the URL's value if the URL changed, else keep the state.

    Also gives the widget its default the first time, so widgets never need
    their own default argument.
    """
    raw = st.query_params.get(param.name)
    if st.session_state.get(_CHANGED) and raw is not None:
        try:
            st.session_state[param.key] = param.parse(raw)
        except ValueError as exc:
            fallback = st.session_state.get(param.key, param.default)
            st.session_state[param.key] = fallback
            st.session_state[_NOTICES].append(
                f"The link's {param.name} {raw!r} is not recognised ({exc}); "
                f"showing {param.describe(fallback)} instead."
            )
    elif param.key not in st.session_state:
        st.session_state[param.key] = param.default


def publish(param: Param) -> None:
    """After its widget is drawn: put the widget's value in this run's URL."""
    text = param.dump(st.session_state.get(param.key, param.default))
    if text is not None:
        st.session_state[_VALUES][param.name] = text


def take_notices() -> list[str]:
    """Notices about URL values not recognised in this run, not yet shown (and now taken)."""
    pending = list(st.session_state.get(_NOTICES, []))
    st.session_state[_NOTICES] = []
    return pending


def current_values() -> dict[str, str]:
    """The URL values published so far in this run (for links to other pages)."""
    return dict(st.session_state.get(_VALUES, {}))


def end_run() -> None:
    """Write the URL from this run's values, adding a history entry only if it changed."""
    values = current_values()
    if st.query_params.to_dict() != values:
        st.query_params.from_dict(values)
    st.session_state[_LAST] = values
