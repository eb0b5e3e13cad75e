"""The first screen of a workspace with no services: Explore the demo, Set up my place."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from capacity import config
from capacity.store import Store
from capacity.workspace import build_empty_database
from tests.app.conftest import APP, no_errors

LEEDS = "E08000035"


@pytest.fixture(scope="module")
def empty_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("empty") / "empty.duckdb"
    build_empty_database(path)
    return path


@pytest.fixture
def empty_app(empty_template, demo_db, tmp_path, monkeypatch):
    """The app over a private empty workspace, its demo the shared demo database."""
    path = tmp_path / "workspace.duckdb"
    path.write_bytes(empty_template.read_bytes())
    monkeypatch.setenv(config.DB_ENV, str(path))
    monkeypatch.setenv(config.DEMO_DB_ENV, str(demo_db))
    return AppTest.from_file(APP, default_timeout=90), path


def buttons(at) -> list[str]:
    return [b.label for b in at.button]


def test_an_empty_workspace_opens_on_the_first_screen(empty_app):
    at, _ = empty_app
    at.run()
    no_errors(at)
    assert "Explore the demo" in buttons(at) and "Set up my place" in buttons(at)
    assert not at.get("plotly_chart")  # no Overview behind it
    assert [t.value for t in at.title] == ["Intermediate care: demand and capacity"]


def test_set_up_my_place_records_it_and_opens_the_data_pages_services(empty_app):
    at, path = empty_app
    at.run()
    at.button(key="welcome_set_up").click().run()  # nothing chosen yet
    assert any("Choose your authority" in w.value for w in at.warning)
    at.selectbox(key="welcome_place").set_value(LEEDS)
    at.button(key="welcome_set_up").click().run()
    no_errors(at)
    assert [t.value for t in at.title] == ["Data"]
    assert at.session_state["place"] == LEEDS
    assert at.subheader[0].value == "Services"  # first while there are none
    assert any("set up for Leeds" in s.value for s in at.success)
    steps = next(m.value for m in at.markdown if m.value.startswith("**To a first plan"))
    assert "Leeds" in steps and steps.count("⬜") == 3
    with Store.open(path, read_only=True) as store:
        assert list(store.query("workspace_places")["place_code"]) == [LEEDS]


def test_a_workspace_with_a_place_but_no_services_says_so_on_its_first_screen(empty_app):
    at, path = empty_app
    from capacity.workspace import set_places

    with Store.open(path) as store:
        set_places(store, "Leeds")
    at.run()
    no_errors(at)
    assert any("set up for **Leeds**" in m.value for m in at.markdown)
    assert at.session_state["place"] == LEEDS  # the sidebar's default


def test_explore_the_demo_opens_the_demo_and_leaves_the_workspace_alone(empty_app, demo_db):
    at, path = empty_app
    at.run()
    before = path.read_bytes()
    at.button(key="welcome_demo").click().run()
    no_errors(at)
    assert at.query_params["db"] in ("demo", ["demo"])
    assert at.title[0].value.startswith("Overview")
    assert at.get("plotly_chart")  # the demo's heat map
    assert "Back to my workspace" in buttons(at)
    assert path.read_bytes() == before
    at.button(key="welcome_leave_demo").click().run()
    no_errors(at)
    assert "Set up my place" in buttons(at)


def test_a_db_setting_not_known_is_said_and_the_workspace_shown(empty_app):
    at, _ = empty_app
    at.query_params["db"] = "elsewhere"
    at.run()
    no_errors(at)
    assert "Set up my place" in buttons(at)
    assert any("db 'elsewhere' is not recognised" in w.value for w in at.warning)


def test_every_page_opens_in_a_workspace_with_no_services(empty_app):
    from pages import PAGES

    at, _ = empty_app
    at.run()
    for spec in PAGES[1:]:
        at.switch_page(spec.path).run()
        no_errors(at)
        if spec.url_path in ("data", "methodology"):
            continue
        assert any("no services yet" in i.value for i in at.info), spec.url_path
