"""Sessions reading while another imports and undoes see no exception box and no error.

Three app sessions (Overview, Place, Data) rerun their pages in threads while a fourth
thread loads a referrals extract and undoes it, round after round, through the same
functions the Data page calls. Bounded: a fixed number of rounds and reruns, threads
joined with a timeout; nothing asserts how long anything took.
"""

from __future__ import annotations

import threading
from pathlib import Path

from streamlit.runtime.scriptrunner import script_cache
from streamlit.testing.v1 import AppTest

import pages
from capacity import access, config
from capacity.ingest import stage_file
from capacity.views import data
from pages import page_path
from tests.app.conftest import APP
from tests.unit.test_store_sharing import referral_file

LEAD = access.local_user("lead")  # the one user of a laptop: every right

ROUNDS = 3  # imports and undos by the writing session
RERUNS = 8  # most page runs a reading session makes
JOIN_SECONDS = 600


def session(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({"place": "E09000016", "year": "2025"})
    at.run()
    if page != "overview":
        at.switch_page(page_path(page)).run()
    return at


def shown_problems(at: AppTest, page: str) -> list[str]:
    """Exception boxes and error boxes on the page, named."""
    # The message is redacted (showErrorDetails is off): the stack's end names the error.
    # proto: the error's type; the stack's last lines say where, should this ever fail.
    found = [f"{page}: exception {e.proto} {list(e.stack_trace)[-6:]}" for e in at.exception]
    return found + [f"{page}: error {e.value}" for e in at.error]


class _NavigationApp:
    """What Streamlit's PagesManager says of this app once app.py has called st.navigation."""

    uses_pages_directory = False


def test_sessions_reading_while_another_imports_and_undoes_see_no_error(
    writable_db, tmp_path, monkeypatch
):
    monkeypatch.setenv(config.DB_ENV, str(writable_db))
    # AppTest keeps PagesManager.uses_pages_directory in a class attribute and resets it at
    # the start of every run: a session starting its run while another's page is running
    # makes that page hand over to app.py a second time (a duplicate key 'place'). A real
    # server sets it once. The page code reads it through pages.PagesManager.
    monkeypatch.setattr(pages, "PagesManager", _NavigationApp)
    # Each AppTest run compiles its page again, and CPython 3.11's parser is not safe across
    # threads ("AST constructor recursion depth mismatch"); a server compiles a page once and
    # keeps it. Compiling one page at a time keeps the test about the data, not the parser.
    real_bytecode = script_cache.ScriptCache.get_bytecode
    compiling = threading.Lock()

    def bytecode_in_turn(self, script_path):
        with compiling:
            return real_bytecode(self, script_path)

    monkeypatch.setattr(script_cache.ScriptCache, "get_bytecode", bytecode_in_turn)
    extract = referral_file(tmp_path, 200, prefix="AT")
    names = ["overview", "place", "data"]
    sessions = {page: session(page) for page in names}
    problems = [p for page, at in sessions.items() for p in shown_problems(at, page)]
    assert problems == []
    writing_done = threading.Event()
    reruns = dict.fromkeys(names, 0)

    def write() -> None:
        try:
            for round_ in range(ROUNDS):
                work = tmp_path / f"work{round_}"
                work.mkdir()
                data.load_file(
                    writable_db, stage_file(extract, "referrals", workdir=work), user=LEAD
                )
                data.undo_last_import(writable_db, user=LEAD)
        except Exception as exc:  # noqa: BLE001 - the test names whatever the writer raised
            problems.append(f"writer: {type(exc).__name__}: {exc}")
        finally:
            writing_done.set()

    def read(page: str) -> None:
        at = sessions[page]
        for _ in range(RERUNS):
            try:
                at.run()
            except Exception as exc:  # noqa: BLE001 - a run that fails outright counts too
                problems.append(f"{page}: {type(exc).__name__}: {exc}")
                return
            reruns[page] += 1
            problems.extend(shown_problems(at, page))
            if writing_done.is_set():
                return

    threads = [threading.Thread(target=read, args=(page,)) for page in names]
    threads.append(threading.Thread(target=write))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    assert problems == []
    assert all(count > 0 for count in reruns.values())
    # Every round was taken back out: the last rerun reads the data as it began.
    assert data.import_log(Path(writable_db))["undone_at"].notna().sum() >= ROUNDS
