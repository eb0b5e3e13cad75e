"""The timing log's hook: app.py times each of its runs here when CAPACITY_TIMING_LOG is set.

``begin()`` starts the clock at the top of app.py; ``run.page(name)`` wraps the page's own
part, so the run's line is written when the page ends, however it ends (to its end, by
st.stop or st.rerun, or by an exception, whose class name only is recorded). An exception
in app.py before the page begins reaches Streamlit's handler for uncaught exceptions, which
writes the run's line instead. With the setting unset, ``begin()`` is one look-up of the
environment and hands back a run that does nothing.

The setting is checked once per value: a bad one (a folder that does not exist, a file that
cannot be written) is said in one line on the server's console and the app runs untimed.
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from capacity.timing_log import ENV, OpenRun, TimingLogError, Writer, setting

_SESSION = "_timing_session"  # the session's random tag in st.session_state
_checked: dict[str, Writer | None] = {}  # by the setting's value
_check_lock = threading.Lock()


class _Untimed:
    """The run when the log is off: its page part is a plain block."""

    @contextmanager
    def page(self, name: str) -> Iterator[None]:
        yield


_UNTIMED = _Untimed()


class _Timed:
    """A run being logged: written when its page part ends, or by the error handler."""

    def __init__(self, run: OpenRun) -> None:
        self.run = run

    @contextmanager
    def page(self, name: str) -> Iterator[None]:
        self.run.page = name
        try:
            yield
        except BaseException as error:  # st.stop and st.rerun end a run by raising, too
            self.run.finish(type(error).__name__)
            raise
        self.run.finish()


class _OnError:
    """Streamlit's handler of a run's uncaught exception, writing the run it ended.

    It is set on the session's script-run context once and then pointed at each new run;
    whatever handler was there before is still called, and its answer kept.
    """

    def __init__(self, before: Callable[[Exception], bool | None] | None) -> None:
        self.before = before
        self.run: OpenRun | None = None

    def __call__(self, error: Exception) -> bool | None:
        if self.run is not None:
            self.run.finish(type(error).__name__)
        return self.before(error) if self.before else None


def _writer(value: str) -> Writer | None:
    """The writer for this value of the setting, checked (and any warning said) once."""
    with _check_lock:
        if value not in _checked:
            try:
                path = setting({ENV: value})
                _checked[value] = Writer(path) if path else None
            except TimingLogError as error:
                print(f"Warning: {error} The app runs without its timing log.", file=sys.stderr)
                _checked[value] = None
        return _checked[value]


def begin() -> _Timed | _Untimed:
    """This run of app.py, timed if the log is on (the first call also checks the setting)."""
    value = os.environ.get(ENV, "")
    writer = _writer(value) if value.strip() else None
    if writer is None:
        return _UNTIMED
    if writer.failure:  # said once, on the console, the first time a write fails
        print(f"Warning: {writer.failure}.", file=sys.stderr)
        writer.failure = ""
    session = st.session_state.get(_SESSION)
    if session is None:
        session = st.session_state[_SESSION] = secrets.token_hex(4)
    run = writer.begin(session)
    _watch_errors(run)
    return _Timed(run)


def _watch_errors(run: OpenRun) -> None:
    """Have an exception that ends the run before its page part write the run's line."""
    context = get_script_run_ctx()
    if context is None or not hasattr(context, "on_script_error"):
        return  # an older Streamlit: such runs go unlogged; the page part is still timed
    handler = context.on_script_error
    if not isinstance(handler, _OnError):
        handler = context.on_script_error = _OnError(handler)
    handler.run = run
