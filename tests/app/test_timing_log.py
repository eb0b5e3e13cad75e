"""The timing log in the app: a line for every run, naming its page, only when it is asked for."""

from __future__ import annotations

import pages._state
import pages._style
from capacity import timing_log
from capacity.timing_log import ENV
from tests.app.conftest import no_errors


def test_with_the_log_on_every_rerun_writes_a_line_naming_its_page(app, tmp_path, monkeypatch):
    log = tmp_path / "runs.jsonl"
    monkeypatch.setenv(ENV, str(log))
    app.run()
    app.switch_page("pages/place.py").run()
    app.sidebar.selectbox(key="place").set_value("E06000034").run()  # Thurrock
    no_errors(app)
    runs, unreadable = timing_log.read(log)
    assert unreadable == 0
    assert [run.page for run in runs] == ["overview", "place", "place"]
    assert [run.ended for run in runs] == ["done", "done", "done"]
    assert all(run.error is None and 0 < run.seconds < 120 for run in runs)
    # One session, one tag: eight hex digits, random, nothing about who.
    assert len({run.session for run in runs}) == 1
    assert len(runs[0].session) == 8 and int(runs[0].session, 16) >= 0


def test_with_the_log_off_nothing_is_written(app, tmp_path, monkeypatch):
    log = tmp_path / "runs.jsonl"
    monkeypatch.setenv(ENV, str(log))
    app.run()
    monkeypatch.delenv(ENV)
    app.switch_page("pages/place.py").run()
    app.sidebar.selectbox(key="place").set_value("E06000034").run()
    no_errors(app)
    runs, _ = timing_log.read(log)
    assert [run.page for run in runs] == ["overview"]  # the one run while it was on


class Broken(RuntimeError):
    """Stands for any fault of the app's code."""


def fail(*args, **kwargs):
    raise Broken("a message that must not reach the log: someone@example.org")


def test_a_run_ended_by_an_exception_records_its_class_only(app, tmp_path, monkeypatch):
    log = tmp_path / "runs.jsonl"
    monkeypatch.setenv(ENV, str(log))
    app.run()
    # In the page's part of the run (app.py shows the notices there) …
    shown = pages._style.show_notices
    monkeypatch.setattr(pages._style, "show_notices", fail)
    app.run()
    monkeypatch.setattr(pages._style, "show_notices", shown)
    # … and in app.py before the page begins, which Streamlit's error handler reports.
    monkeypatch.setattr(pages._state, "set_page", fail)
    app.run()
    runs, unreadable = timing_log.read(log)
    assert unreadable == 0
    assert [(r.page, r.ended, r.error) for r in runs] == [
        ("overview", "done", None),
        ("overview", "error", "Broken"),
        ("", "error", "Broken"),
    ]
    assert "example.org" not in log.read_text() and "message" not in log.read_text()


def test_a_bad_setting_is_said_once_and_the_app_still_runs(app, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(ENV, str(tmp_path / "no such folder" / "runs.jsonl"))
    app.run()
    app.switch_page("pages/place.py").run()
    no_errors(app)
    warnings = [line for line in capsys.readouterr().err.splitlines() if ENV in line]
    assert len(warnings) == 1
    assert "does not exist" in warnings[0] and "runs without its timing log" in warnings[0]
