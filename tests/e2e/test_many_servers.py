"""Two app servers (two `streamlit run` processes on two ports) sharing one PostgreSQL.

Each server has its own copy of the demo database; CAPACITY_STATE points both at one
fresh PostgreSQL database. A scenario saved in a browser on one server is offered by the
other on its next page run, in both directions; referral records imported through one
server's command line are in the other's own file, and its plan, after its next page run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from capacity import config
from capacity.shared_state import STATE_ENV
from tests.e2e.conftest import checked_page, choose, open_app, serving, settle
from tests.postgres import postgres_cluster  # noqa: F401 - the session fixture


@pytest.fixture(scope="module")
def servers_and_files(postgres_cluster, tmp_path_factory, demo_db):  # noqa: F811
    """Each server's address and DuckDB file (serving() copies the demo to app.duckdb), and
    the shared state's address."""
    url = postgres_cluster.new_database("e2e" + uuid.uuid4().hex[:10])
    env = {STATE_ENV: url}
    folders = [tmp_path_factory.mktemp("server_a"), tmp_path_factory.mktemp("server_b")]
    with (
        serving(folders[0], demo_db, env=env) as first,
        serving(folders[1], demo_db, env=env) as second,
    ):
        yield (first, folders[0] / "app.duckdb"), (second, folders[1] / "app.duckdb"), url


@pytest.fixture(scope="module")
def two_servers(servers_and_files):
    (first, _), (second, _), _ = servers_and_files
    return first, second


def save_scenario(page, name: str) -> None:
    open_app(page, "/scenarios?place=BHR&year=2025")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Name", exact=True).press("Tab")
    settle(page)
    choose(page, "Lever", "Demand (%)", sidebar=False)
    page.get_by_role("button", name="Add change").click()
    settle(page)
    page.get_by_role("button", name="Save scenario").click()
    settle(page)
    page.get_by_text(f"Saved '{name}' as version 1").wait_for()


def offered(page, name: str) -> bool:
    open_app(page, f"/place?place=BHR&year=2025&scenario={name.replace(' ', '%20')}")
    return page.get_by_text(f"scenario: {name}").count() >= 1


def test_a_scenario_saved_on_one_server_is_seen_on_the_other(browser, two_servers):
    first, second = two_servers
    with checked_page(browser, first) as on_first, checked_page(browser, second) as on_second:
        assert not offered(on_second, "Shared winter")
        save_scenario(on_first, "Shared winter")
        assert offered(on_second, "Shared winter")
        save_scenario(on_second, "Second winter")
        assert offered(on_first, "Second winter")
        assert offered(on_first, "Shared winter")


def command(args: list[str], state: str | None) -> str:
    """Run ``python3 -m capacity`` (with the shared state, or reading the file as it is)."""
    env = {k: v for k, v in os.environ.items() if k != STATE_ENV}
    if state:
        env[STATE_ENV] = state
    done = subprocess.run(
        [sys.executable, "-m", "capacity", *args, "--wait", "60"],
        cwd=config.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_referrals_imported_through_one_server_reach_the_others_plan(
    browser, servers_and_files, tmp_path
):
    (_, file_a), (second, file_b), state = servers_and_files
    havering = ["--place", "E09000016", "--year", "2025", "--format", "csv"]
    before = command(["plan", "--db", str(file_b), *havering], None)
    extract = Path(tmp_path) / "may.csv"
    rows = [
        f"E2E-{n:02d},E09000016,reablement_home,hospital,P1,2024-05-{n:02d},2024-05-{n:02d},,"
        "hav_reablement"
        for n in range(1, 21)
    ]
    header = "referral_id,place_code,service_type,source,pathway,referral_date,start_date,"
    extract.write_text(header + "end_date,service_id\n" + "\n".join(rows) + "\n", "utf-8")
    command(["import", "--db", str(file_a), "referrals", str(extract)], state)
    with checked_page(browser, second) as on_second:
        open_app(on_second, "/place?place=E09000016&year=2025")
    # The second server's own file, read as the page run left it (no shared state).
    after = command(["plan", "--db", str(file_b), *havering], None)
    assert after != before
    assert after == command(["plan", "--db", str(file_a), *havering], None)
