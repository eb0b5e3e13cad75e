"""The Place page's "What changed since last time": with two snapshots it shows the changes
and the plan's change table for the last two; with fewer it says what to do."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from capacity import config
from pages import page_path
from tests.app.conftest import APP, no_errors
from tests.unit.test_changes import history  # noqa: F401  (the constructed history fixture)

HAVERING = "E09000016"


def place(app: AppTest, code: str = HAVERING) -> AppTest:
    app.query_params.update({"place": code, "year": "2025"})
    app.run()
    app.switch_page(page_path("place")).run()
    return app


def test_the_section_shows_the_last_two_snapshots_changes(history, monkeypatch):  # noqa: F811
    monkeypatch.setenv(config.DB_ENV, str(history))
    app = place(AppTest.from_file(APP, default_timeout=90))
    no_errors(app)
    assert any(h.value == "What changed since last time" for h in app.subheader)
    assert (app.selectbox(key="changes_from").value, app.selectbox(key="changes_to").value) == (
        "A",
        "B",
    )
    text = " ".join(m.value for m in app.markdown).replace("\\", "")
    assert "hours a month raised from 6,000 to 6,500" in text
    assert "BHR Home, Settle & Support (Havering): retired" in text
    table = next(d.value for d in app.dataframe if "Capacity before" in d.value.columns)
    reablement = table[table["Service type"] == "Reablement at home"]
    # October: 6,000 ÷ 40 × 31 ÷ 28 = 166.1 before, 6,500 ÷ 40 × 31 ÷ 28 = 179.9 after (whole).
    october = reablement[reablement["Month"] == "Oct 2025"].iloc[0]
    assert (october["Capacity before"], october["Capacity after"]) == (166, 180)


def test_choosing_the_same_snapshot_twice_says_so(history, monkeypatch):  # noqa: F811
    monkeypatch.setenv(config.DB_ENV, str(history))
    app = place(AppTest.from_file(APP, default_timeout=90))
    app.selectbox(key="changes_from").set_value("B").run()
    no_errors(app)
    assert any("Choose two different snapshots" in w.value for w in app.warning)


def test_with_fewer_than_two_snapshots_it_says_what_to_do(app):
    place(app)
    no_errors(app)
    assert any("take one at each meeting (it has 0 so far)" in i.value for i in app.info)
