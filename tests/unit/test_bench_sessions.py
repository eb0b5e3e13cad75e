"""The load bench's report: the server's runs in the window, the browser's changes, failures.

These drive bench/sessions.py's report functions with made-up runs and sessions: no
browser and no server.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from capacity.timing_log import Run

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import sessions  # noqa: E402 - bench/sessions.py, found on the path added above

T0 = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)


def a_run(after: float, seconds: float, ended: str = "done", error=None) -> Run:
    return Run(T0 + timedelta(seconds=after), seconds, "place", "abcd0001", ended, error)


def test_the_server_counts_only_runs_begun_in_the_window(tmp_path):
    log = tmp_path / "runs.jsonl"
    runs = [
        a_run(-10, 30.0),  # the warm-up: before the window
        a_run(1, 0.5),
        a_run(2, 1.5, "error", "KeyError"),
        a_run(200, 9.0),  # after the window's end
    ]
    log.write_text("".join(run.line() for run in runs) + '{"cut": ')
    figures = sessions.server_figures(log, (T0, T0 + timedelta(seconds=180)))
    assert figures["runs"] == 2 and figures["runs_outside_window"] == 2
    # Two runs, 0.5 and 1.5 s: p50 halfway, 1.0; p95 at 0.95 of the way, 0.5 + 0.95 = 1.45.
    assert figures["p50"] == pytest.approx(1.0)
    assert figures["p95"] == pytest.approx(1.45)
    assert figures["max"] == 1.5
    assert figures["errors"] == 1 and figures["error_classes"] == {"KeyError": 1}
    assert figures["errors_all_runs"] == 1 and figures["unreadable_lines"] == 1


def test_no_window_and_no_log_give_no_runs(tmp_path):
    figures = sessions.server_figures(tmp_path / "never written.jsonl", None)
    assert figures["runs"] == 0 and figures["p95"] is None


def made_up_sessions() -> list:
    first = sessions.SessionResult(0)
    first.actions = [
        sessions.Action("open", 10.0, in_window=False),
        sessions.Action("place", 2.0, in_window=True),
        sessions.Action("page", 1.0, in_window=True, error_boxes=1),
        sessions.Action("place", 4.0, in_window=True),
        sessions.Action("place", None, in_window=True, failed="the page did not move"),
        sessions.Action("place", 50.0, in_window=False),  # after the window: not counted
    ]
    broken = [sessions.SessionResult(n, failed="could not open the Place page") for n in (1, 2)]
    return [first, *broken]


def test_the_browser_figures_count_changes_in_the_window_and_every_failure():
    figures = sessions.browser_figures(made_up_sessions())
    # Places 2.0 and 4.0 s: p50 3.0; p95 2.0 + 0.95 × 2.0 = 3.9.
    assert figures["place"]["n"] == 2
    assert figures["place"]["p50"] == pytest.approx(3.0)
    assert figures["place"]["p95"] == pytest.approx(3.9)
    assert figures["page"] == {"n": 1, "p50": 1.0, "p95": 1.0, "max": 1.0}
    assert figures["first_open"] == 10.0
    assert figures["failed_changes"] == 1
    assert figures["failure_reasons"] == {"the page did not move": 1}
    assert figures["changes_with_error_box"] == 1 and figures["changes_with_exception_box"] == 0
    assert figures["sessions_failed"] == {
        1: "could not open the Place page",
        2: "could not open the Place page",
    }


def test_the_table_says_the_load_and_groups_failed_sessions(tmp_path):
    info = {
        "when": "2026-12-05 18:05 UTC",
        "sessions": 3,
        "seconds": 180.0,
        "ramp": 3.0,
        "database": "the demo database",
        "machine": {"cores": 2},
        "load_at_start": (1.5, 1.0, 1.0),
        "load_max": 9.25,
        "load_at_end": (4.0, 2.0, 1.0),
        "server_mb": 345.4,
        "server": sessions.server_figures(tmp_path / "none.jsonl", None),
        "browser": sessions.browser_figures(made_up_sessions()),
    }
    text = sessions.table(info)
    assert "load average (1 min) 1.5 at the start, 9.2 at most, 4.0 at the end" in text
    assert "| sessions (asked; failed) | 3; 2 | 2× could not open the Place page |" in text
    assert "| browser: change of place to its charts redrawn, p50 | 3.00 s | 2 changes |" in text
    assert "| server memory at the end | 345 MB |" in text
