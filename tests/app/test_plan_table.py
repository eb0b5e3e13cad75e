"""The app runs on the demo data with no set-up and shows a place's plan."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from capacity import config


@pytest.fixture
def app(demo_db, monkeypatch):
    monkeypatch.setenv(config.DB_ENV, str(demo_db))
    return AppTest.from_file(str(config.PROJECT_ROOT / "app.py"), default_timeout=60)


def test_plan_table_shows_the_chosen_place(app):
    app.run()
    assert not app.exception
    app.sidebar.selectbox[0].select("E09000016").run()
    app.sidebar.selectbox[1].select(2025).run()
    assert not app.exception
    assert app.title[0].value == "Havering · 2025-26"
    table = app.dataframe[0].value
    hsss = table[table["service"] == "BHR Home, Settle & Support"]
    assert list(hsss["capacity"]) == [82.0] * 12
