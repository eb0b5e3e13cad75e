"""Two app servers (two `streamlit run` processes on two ports) sharing one PostgreSQL.

Each server has its own copy of the demo database; CAPACITY_STATE points both at one
fresh PostgreSQL database. A scenario saved in a browser on one server is offered by the
other on its next page run, in both directions.
"""

from __future__ import annotations

import uuid

import pytest

from capacity.shared_state import STATE_ENV
from tests.e2e.conftest import checked_page, choose, open_app, serving, settle
from tests.postgres import postgres_cluster  # noqa: F401 - the session fixture


@pytest.fixture(scope="module")
def two_servers(postgres_cluster, tmp_path_factory, demo_db):  # noqa: F811
    url = postgres_cluster.new_database("e2e" + uuid.uuid4().hex[:10])
    env = {STATE_ENV: url}
    with (
        serving(tmp_path_factory.mktemp("server_a"), demo_db, env=env) as first,
        serving(tmp_path_factory.mktemp("server_b"), demo_db, env=env) as second,
    ):
        yield first, second


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
