"""The timing log: one line per script run of the app, for measuring a server under load.

Off unless ``CAPACITY_TIMING_LOG`` names a file. When on, each run of the app's script
(every rerun of every page, in every session) appends one JSON line to that file:

    {"started": "2026-12-05T17:40:01.123Z", "seconds": 0.1834, "page": "place",
     "session": "3f9a01c2", "ended": "done", "error": null}

``started`` is when the run began (UTC), ``seconds`` the wall-clock time the server spent on
it, ``session`` a random tag the app gives each browser session (it says nothing about
who), ``ended`` one of ``done``, ``stopped`` (the page stopped itself), ``rerun`` (cut short
to run again, by the page or by a newer change in the browser) or ``error``, and ``error``
the exception's class name only, never its message, so no user's data reaches the file.

Lines are whole however many sessions write at once: each is one ``write`` to a file
opened for appending, under a lock. The reader turns a log back into runs and works out
the percentiles a load test reports. Nothing here imports streamlit; the hook that times a
run lives at the app edge (``pages/_timing.py``).
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ENV = "CAPACITY_TIMING_LOG"

# How a run ended, from the class of the exception that ended it (none: it ran to its end).
# Streamlit ends a run with these two on purpose: st.stop() and st.rerun()/st.switch_page(),
# or a newer change from the browser that cuts the run short.
ENDED_BY = {"StopException": "stopped", "RerunException": "rerun"}
ENDINGS = ("done", "stopped", "rerun", "error")
_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT


class TimingLogError(ValueError):
    """The timing-log setting names a file the app cannot write."""


def setting(environ: Mapping[str, str] | None = None) -> Path | None:
    """The file ``CAPACITY_TIMING_LOG`` names, checked writable; None when it is unset.

    Raises :class:`TimingLogError`, with a one-line reason naming the setting, when the
    value is a folder, its folder does not exist, or the file cannot be opened to append.
    Opening creates the file, empty, if it was not there.
    """
    text = (os.environ if environ is None else environ).get(ENV, "").strip()
    if not text:
        return None
    path = Path(text).expanduser()
    if path.is_dir():
        raise TimingLogError(f"{ENV}={text} is a folder; name a file in it, such as runs.jsonl.")
    if not path.parent.is_dir():
        raise TimingLogError(f"{ENV}={text}: the folder {path.parent} does not exist.")
    try:
        os.close(os.open(path, _FLAGS, 0o640))
    except OSError as error:
        raise TimingLogError(
            f"{ENV}={text} cannot be written ({error.strerror or error})."
        ) from error
    return path


@dataclass(frozen=True)
class Run:
    """One script run as the log records it."""

    started: datetime
    seconds: float
    page: str
    session: str
    ended: str
    error: str | None = None

    def line(self) -> str:
        """The run as one JSON line, newline included."""
        record = {
            "started": self.started.astimezone(UTC).isoformat(timespec="milliseconds"),
            "seconds": round(self.seconds, 6),
            "page": self.page,
            "session": self.session,
            "ended": self.ended,
            "error": self.error,
        }
        return json.dumps(record, separators=(", ", ": ")) + "\n"

    @classmethod
    def from_line(cls, text: str) -> Run:
        """A run read back from its line; ValueError (or KeyError) if the line is not one."""
        record = json.loads(text)
        seconds = float(record["seconds"])
        if not math.isfinite(seconds) or seconds < 0 or record["ended"] not in ENDINGS:
            raise ValueError(f"not a run: {text[:80]!r}")
        return cls(
            started=datetime.fromisoformat(record["started"]),
            seconds=seconds,
            page=str(record["page"]),
            session=str(record["session"]),
            ended=record["ended"],
            error=record.get("error"),
        )


def ending(exception_class: str | None) -> tuple[str, str | None]:
    """How a run ended and the error to record, from the class name of what ended it."""
    if exception_class is None:
        return "done", None
    if exception_class in ENDED_BY:
        return ENDED_BY[exception_class], None
    return "error", exception_class


@dataclass
class OpenRun:
    """A run being timed: started by :meth:`Writer.begin`, written once by :meth:`finish`."""

    writer: Writer
    session: str
    page: str = ""
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    _clock: float = field(default_factory=time.perf_counter)
    _finished: bool = False

    def finish(self, exception_class: str | None = None) -> Run | None:
        """Stop the clock and write the run's line; a second call does nothing (None)."""
        if self._finished:
            return None
        self._finished = True
        seconds = time.perf_counter() - self._clock
        ended, error = ending(exception_class)
        run = Run(self.started, seconds, self.page, self.session, ended, error)
        self.writer.write(run)
        return run


class Writer:
    """Appends runs to one file, a whole line per write, safely from many threads at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.failure: str | None = None  # the first write that failed, said once

    def begin(self, session: str) -> OpenRun:
        """A run of ``session`` starting now."""
        return OpenRun(self, session)

    def write(self, run: Run) -> bool:
        """Append ``run``'s line; False (the reason kept in ``failure``) if the file refused it.

        The file is opened for each line, so a log moved away by a rotation is started
        again; opening costs a few microseconds against runs of tens of milliseconds.
        """
        data = run.line().encode("utf-8")
        try:
            with self._lock:
                handle = os.open(self.path, _FLAGS, 0o640)
                try:
                    os.write(handle, data)
                finally:
                    os.close(handle)
        except OSError as error:
            if self.failure is None:
                self.failure = f"{ENV}: could not write to {self.path} ({error.strerror or error})"
            return False
        return True


def read(path: Path) -> tuple[list[Run], int]:
    """The runs in a log file, and how many of its lines were not runs (a cut last line, say)."""
    runs, unreadable = [], 0
    with open(path, encoding="utf-8") as lines:
        for text in lines:
            if not text.strip():
                continue
            try:
                runs.append(Run.from_line(text))
            except (ValueError, KeyError, TypeError):
                unreadable += 1
    return runs, unreadable


def percentile(values: Iterable[float], share: float) -> float:
    """The ``share`` (0 to 1) percentile of ``values``, between the two nearest ranks.

    With the values sorted as v[0] … v[n-1], it is v at position share × (n − 1),
    interpolated linearly where that falls between two values (numpy's default).
    Raises ValueError for no values or a share outside 0 to 1.
    """
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values to take a percentile of")
    if not 0 <= share <= 1:
        raise ValueError(f"a percentile's share runs from 0 to 1, not {share}")
    position = share * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


@dataclass(frozen=True)
class Summary:
    """What a load test reports from a log: runs, their time on the server, and the errors."""

    runs: int
    sessions: int
    p50: float | None
    p95: float | None
    max: float | None
    errors: int
    error_classes: dict[str, int]
    endings: dict[str, int]
    pages: dict[str, int]


def summarise(runs: list[Run]) -> Summary:
    """The runs' count, p50, p95 and max seconds (every run, however it ended) and errors."""
    seconds = [run.seconds for run in runs]
    errors = Counter(run.error for run in runs if run.ended == "error")
    return Summary(
        runs=len(runs),
        sessions=len({run.session for run in runs}),
        p50=percentile(seconds, 0.5) if seconds else None,
        p95=percentile(seconds, 0.95) if seconds else None,
        max=max(seconds) if seconds else None,
        errors=sum(errors.values()),
        error_classes={str(name): count for name, count in errors.most_common()},
        endings=dict(Counter(run.ended for run in runs)),
        pages=dict(Counter(run.page for run in runs).most_common()),
    )
