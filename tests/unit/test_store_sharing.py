"""Readers never see a writer's error: one shared connection per file in a process, MVCC
reads, changes one at a time, and a turn for the command line (another process).

Every wait here is bounded: threads are joined with a timeout and subprocesses killed after
one; nothing asserts how long anything took.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from capacity import access, config
from capacity.cli import main
from capacity.ingest import stage_file
from capacity.store import Store, StoreError
from capacity.views import data, places
from capacity.views._db import reading, writing

LEAD = access.local_user("lead")  # the one user of a laptop: every right

HEADER = "referral_id,place_code,service_type,source,pathway,referral_date,start_date,end_date"
HAVERING = "E09000016"
JOIN_SECONDS = 240


def referral_file(folder: Path, rows: int, prefix: str = "S") -> Path:
    """A referrals extract of ``rows`` good Havering referrals with ids of their own."""
    lines = [HEADER] + [
        f"{prefix}-{i},{HAVERING},reablement_home,hospital,P1,{day},,"
        for i, day in ((i, f"2025-{1 + i % 9:02d}-{1 + i % 27:02d}") for i in range(rows))
    ]
    path = folder / f"{prefix}-{rows}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def referral_count(db: Path) -> int:
    with reading(db) as store:
        return store.table_counts()["referrals"]


def cli(db: Path, *args: str, timeout: float = JOIN_SECONDS) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "capacity", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=config.PROJECT_ROOT,
    )


def start_cli(db: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "capacity", *args, "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=config.PROJECT_ROOT,
    )


def finish(process: subprocess.Popen) -> tuple[str, str]:
    try:
        return process.communicate(timeout=JOIN_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()


def test_readers_see_the_data_before_or_after_while_the_app_imports_and_undoes(
    writable_db, tmp_path
):
    extract = referral_file(tmp_path, 40)
    before = referral_count(writable_db)
    after = before + 40  # 40 new referral ids, each one row
    stop = threading.Event()
    problems: list[str] = []
    seen: set[int] = set()
    reads = [0]

    def write() -> None:
        try:
            for round_ in range(4):
                work = tmp_path / f"work{round_}"
                work.mkdir()
                staged = stage_file(extract, "referrals", workdir=work)
                data.load_file(writable_db, staged, user=LEAD)
                data.undo_last_import(writable_db, user=LEAD)
        except Exception as exc:  # noqa: BLE001 - the test reports whatever a writer raised
            problems.append(f"writer: {type(exc).__name__}: {exc}")
        finally:
            stop.set()

    def read() -> None:
        while not stop.is_set():
            try:
                with reading(writable_db) as store:
                    count = store.table_counts()["referrals"]
                    log = store.query("import_log")
                # The import log in the same read agrees with the rows: one moment's data.
                loaded = int(((log["file_name"] == extract.name) & log["undone_at"].isna()).sum())
                places.versions(writable_db)
                data.import_log(writable_db)
            except Exception as exc:  # noqa: BLE001 - any exception is what must not happen
                problems.append(f"reader: {type(exc).__name__}: {exc}")
                return
            seen.add(count)
            reads[0] += 1
            if count != before + 40 * loaded:
                problems.append(f"reader saw {count} referrals beside {loaded} loads in the log")

    threads = [threading.Thread(target=read) for _ in range(3)] + [threading.Thread(target=write)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    assert problems == []
    assert reads[0] > 0
    assert seen <= {before, after}
    assert referral_count(writable_db) == before


def test_two_sessions_changing_at_once_take_turns(writable_db, tmp_path):
    """Two imports at the same moment both load (DuckDB alone would refuse one: a write-write
    conflict on the import log), then two undos take both back out."""
    files = [referral_file(tmp_path, 10, prefix) for prefix in ("A", "B")]
    before = referral_count(writable_db)
    problems: list[str] = []

    def load(path: Path) -> None:
        try:
            work = tmp_path / f"work-{path.stem}"
            work.mkdir()
            data.load_file(writable_db, stage_file(path, "referrals", workdir=work), user=LEAD)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=load, args=(path,)) for path in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert problems == []
    assert referral_count(writable_db) == before + 20
    data.undo_last_import(writable_db, user=LEAD)
    data.undo_last_import(writable_db, user=LEAD)
    assert referral_count(writable_db) == before


def test_a_read_only_open_shares_the_connection_the_app_holds(writable_db):
    # DuckDB alone refuses a read-only connection here (a different configuration).
    with (
        Store.shared(writable_db) as app_side,
        Store.open(writable_db, read_only=True) as command,
    ):
        assert command.table_counts() == app_side.table_counts()


def test_closing_one_user_leaves_the_connection_to_the_others(writable_db):
    first = Store.open(writable_db)
    second = Store.open(writable_db, read_only=True)
    first.close()
    first.close()  # closing twice lets go once
    assert second.table_counts()["places"] > 0
    second.close()
    # The last one let go: another program can have the file at once.
    assert cli(writable_db, "import-log", "--wait", "0").returncode == 0


def test_a_reader_waits_for_a_command_line_import_and_then_sees_it(
    writable_db, tmp_path, monkeypatch
):
    monkeypatch.setenv(config.WAIT_ENV, "200")
    before = referral_count(writable_db)
    command = start_cli(
        writable_db, "import", "referrals", str(referral_file(tmp_path, 20_000)), "--wait", "200"
    )
    try:
        # Until the command has the file for writing, a read-only look in succeeds (two
        # readers may share a file across programs); then it is refused at once.
        while command.poll() is None:
            try:
                Store.open(writable_db, read_only=True, wait_seconds=0).close()
            except StoreError as exc:
                assert "in use by another program" in str(exc)
                break
        assert command.poll() is None, "the import ended before it was seen holding the file"
        # The app's read waits for the import to finish, then reads what it loaded.
        assert referral_count(writable_db) == before + 20_000
    finally:
        out, err = finish(command)
    assert command.returncode == 0, err


def test_a_command_waits_its_turn_while_the_app_reads(writable_db, tmp_path):
    extract = referral_file(tmp_path, 5)
    with Store.shared(writable_db) as app_side:  # a long read on a page
        command = start_cli(writable_db, "import", "referrals", str(extract), "--wait", "200")
        try:
            notice = command.stderr.readline()  # blocks until the command says it waits
            assert f"Waiting for {writable_db}" in notice
            assert "another program (the app, or another command) is using it" in notice
            assert app_side.table_counts()["import_log"] >= 0
        except BaseException:
            command.kill()
            raise
    out, err = finish(command)
    assert command.returncode == 0, err
    assert "5" in out
    assert referral_count(writable_db) > 0


def test_a_command_that_will_not_wait_says_who_holds_the_file(writable_db, tmp_path):
    extract = referral_file(tmp_path, 5)
    with Store.shared(writable_db):
        done = cli(writable_db, "import", "referrals", str(extract), "--wait", "0")
    assert done.returncode == 1
    assert f"The database {writable_db} is in use by another program (the app" in done.stderr
    assert "--wait SECONDS" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "90000"])
def test_a_bad_wait_is_refused_by_name(value, capsys):
    with pytest.raises(SystemExit):
        main(["import-log", "--wait", value])
    assert "--wait: must be a number of seconds from 0 to 86400" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["-5", "ten minutes", "inf"])
def test_a_bad_app_wait_setting_is_refused_by_name(value, monkeypatch):
    monkeypatch.setenv(config.WAIT_ENV, value)
    with pytest.raises(ValueError, match="CAPACITY_WAIT_SECONDS must be a number of seconds"):
        config.wait_seconds()


def test_the_app_waits_ten_minutes_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv(config.WAIT_ENV, raising=False)
    assert config.wait_seconds() == 600
    monkeypatch.setenv(config.WAIT_ENV, "45")
    assert config.wait_seconds() == 45


def test_a_change_through_writing_holds_the_files_turn(writable_db):
    """While one session's change is being made, another thread's change waits for it."""
    order: list[str] = []
    inside, trying, release = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with writing(writable_db):
            order.append("first starts")
            inside.set()
            release.wait(JOIN_SECONDS)
            order.append("first ends")

    def second() -> None:
        inside.wait(JOIN_SECONDS)
        trying.set()
        with writing(writable_db):
            order.append("second")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    trying.wait(JOIN_SECONDS)
    time.sleep(0.2)  # gives the second change the chance to jump in, were it not held back
    # Reading is not held up by the change in progress.
    assert referral_count(writable_db) > 0
    release.set()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert order == ["first starts", "first ends", "second"]


def test_a_change_is_refused_at_once_while_the_file_is_open_read_only_here(writable_db):
    """Waiting would never end: the read-only user is this program itself."""
    with Store.open(writable_db, read_only=True):
        with pytest.raises(StoreError, match="is open read-only in this program"):
            data.undo_last_import(writable_db, user=LEAD)
        # Reading still shares the read-only connection.
        assert referral_count(writable_db) > 0
