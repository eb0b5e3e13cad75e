"""The timing log: its setting, whole lines from many threads, and the figures read back."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from capacity import timing_log
from capacity.timing_log import ENV, Run, TimingLogError, Writer


def a_run(seconds: float, page: str = "place", ended: str = "done", error=None) -> Run:
    started = datetime(2026, 12, 5, 17, 40, 1, 123000, tzinfo=UTC)
    return Run(started, seconds, page, "3f9a01c2", ended, error)


# -- the setting ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "   "])
def test_the_log_is_off_unless_the_setting_names_a_file(value):
    environ = {} if value is None else {ENV: value}
    assert timing_log.setting(environ) is None


def test_a_file_in_an_existing_folder_is_taken_and_made(tmp_path):
    path = tmp_path / "runs.jsonl"
    assert timing_log.setting({ENV: str(path)}) == path
    assert path.exists() and path.read_text() == ""


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("{tmp}", "is a folder; name a file in it"),
        ("{tmp}/no such folder/runs.jsonl", "does not exist"),
        ("/proc/runs.jsonl", "cannot be written"),
    ],
)
def test_a_bad_setting_says_why_in_one_line_naming_the_setting(tmp_path, value, says):
    with pytest.raises(TimingLogError) as raised:
        timing_log.setting({ENV: value.format(tmp=tmp_path)})
    message = str(raised.value)
    assert message.startswith(f"{ENV}=") and says in message and "\n" not in message


# -- writing ---------------------------------------------------------------------------


def test_a_run_is_one_json_line_that_reads_back_the_same():
    run = a_run(0.1834, error="KeyError", ended="error")
    line = run.line()
    assert line.endswith("\n") and line.count("\n") == 1
    assert '"started": "2026-12-05T17:40:01.123+00:00"' in line
    assert Run.from_line(line) == run


@pytest.mark.parametrize(
    ("exception", "ended", "error"),
    [
        (None, "done", None),
        ("StopException", "stopped", None),
        ("RerunException", "rerun", None),
        ("KeyError", "error", "KeyError"),
    ],
)
def test_a_run_ended_by_streamlit_on_purpose_is_no_error(exception, ended, error):
    assert timing_log.ending(exception) == (ended, error)


def test_a_run_is_written_once_however_often_it_is_finished(tmp_path):
    writer = Writer(tmp_path / "runs.jsonl")
    run = writer.begin("abcd1234")
    run.page = "overview"
    first = run.finish("ValueError")
    assert run.finish() is None
    runs, unreadable = timing_log.read(writer.path)
    assert len(runs) == 1 and unreadable == 0
    (read_back,) = runs
    assert (read_back.page, read_back.ended, read_back.error) == ("overview", "error", "ValueError")
    # The line keeps milliseconds of the start and microseconds of the time taken.
    assert abs(read_back.started - first.started).total_seconds() < 0.001
    assert read_back.seconds == pytest.approx(first.seconds, abs=1e-6)
    assert 0 <= first.seconds < 5


def test_many_threads_writing_at_once_leave_only_whole_lines(tmp_path):
    writer = Writer(tmp_path / "runs.jsonl")
    threads, lines_each = 8, 400
    # Pages of very different lengths, so a torn or interleaved line could not parse.
    pages = [f"page-{n}-" + "x" * (n * 700) for n in range(threads)]
    start = threading.Barrier(threads)

    def write_many(n: int) -> None:
        start.wait()
        for i in range(lines_each):
            assert writer.write(a_run(i / 1000, page=pages[n]))

    workers = [threading.Thread(target=write_many, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    runs, unreadable = timing_log.read(writer.path)
    assert unreadable == 0
    assert len(runs) == threads * lines_each
    for page in pages:
        assert sorted(r.seconds for r in runs if r.page == page) == [
            i / 1000 for i in range(lines_each)
        ]


def test_a_write_that_fails_returns_false_and_keeps_the_reason(tmp_path):
    writer = Writer(tmp_path / "gone" / "runs.jsonl")
    assert writer.write(a_run(0.1)) is False
    assert writer.failure and "could not write" in writer.failure


# -- reading and the figures -------------------------------------------------------------


def test_a_cut_or_foreign_line_is_counted_not_read(tmp_path):
    path = tmp_path / "runs.jsonl"
    good = a_run(0.25).line()
    path.write_text(good + "\n" + '{"seconds": 1}\n' + good[:30])
    runs, unreadable = timing_log.read(path)
    assert [r.seconds for r in runs] == [0.25]
    assert unreadable == 2


def test_percentiles_worked_by_hand():
    values = [1.0, 0.4, 0.1, 0.3, 0.2]  # sorted: 0.1 0.2 0.3 0.4 1.0
    # p50: position 0.5 × 4 = 2, the middle value.
    assert timing_log.percentile(values, 0.5) == pytest.approx(0.3)
    # p95: position 0.95 × 4 = 3.8, so 0.4 + 0.8 × (1.0 − 0.4) = 0.88.
    assert timing_log.percentile(values, 0.95) == pytest.approx(0.88)
    one_to_twenty = list(range(1, 21))
    # Positions 9.5 and 18.05 of 0 … 19: halfway from 10 to 11, and 19 + 0.05 × (20 − 19).
    assert timing_log.percentile(one_to_twenty, 0.5) == pytest.approx(10.5)
    assert timing_log.percentile(one_to_twenty, 0.95) == pytest.approx(19.05)
    assert timing_log.percentile([7.0], 0.95) == 7.0


@pytest.mark.parametrize(("values", "share"), [([], 0.5), ([1.0], 1.5), ([1.0], -0.1)])
def test_a_percentile_of_nothing_or_past_the_ends_is_refused(values, share):
    with pytest.raises(ValueError):
        timing_log.percentile(values, share)


def test_the_summary_counts_runs_sessions_endings_and_errors():
    runs = [
        a_run(0.1, "overview"),
        a_run(0.2, "place"),
        a_run(0.3, "place", "stopped"),
        a_run(0.4, "place", "rerun"),
        a_run(1.0, "flow", "error", "KeyError"),
    ]
    summary = timing_log.summarise(runs)
    assert summary.runs == 5 and summary.sessions == 1
    assert summary.p50 == pytest.approx(0.3)
    assert summary.p95 == pytest.approx(0.88)
    assert summary.max == 1.0
    assert summary.errors == 1 and summary.error_classes == {"KeyError": 1}
    assert summary.endings == {"done": 2, "stopped": 1, "rerun": 1, "error": 1}
    assert summary.pages == {"place": 3, "overview": 1, "flow": 1}


def test_the_summary_of_no_runs_has_no_figures():
    summary = timing_log.summarise([])
    assert (summary.runs, summary.p50, summary.p95, summary.max) == (0, None, None, None)
