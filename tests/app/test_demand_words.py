"""Where demand comes from, no service and no demand data, said in words on every screen.

The demo with a year of SitRep for RF4 (tests/sitrep_books.py): Havering has no service of
reablement in a bedded setting, so its SitRep demand there is unmet; its social support is
set to be planned from published counts it has none of, so it has no demand data.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from capacity import config
from pages import page_path
from tests.app.conftest import APP, figures, no_errors, trace
from tests.sitrep_books import demo_with_sitrep

HAVERING = "E09000016"
# Havering's OHID catchment share of RF4's patients (data/reference, trust catchment file).
RF4_HAVERING = 0.364929
SOURCE_WORDS = {
    "local referral records",
    "published monthly counts",
    "NHS England discharge SitRep",
    "no demand data",
}
# Code names that must never reach a lead's screen ('records' and 'counts' only as words of
# a phrase, such as 'local referral records', never alone).
CODE_NAMES = re.compile(r"\bsitrep\b|no_service|no_demand|demand_source|^(records|counts)$")


@pytest.fixture(scope="module")
def sitrep_db(demo_db, tmp_path_factory):
    return demo_with_sitrep(demo_db, tmp_path_factory.mktemp("sitrep_words"))


@pytest.fixture
def app(sitrep_db, monkeypatch):
    monkeypatch.setenv(config.DB_ENV, str(sitrep_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["year"] = "2025"
    at.query_params["place"] = HAVERING
    return at


def _open(at: AppTest, page: str, **params: str) -> AppTest:
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != "overview":  # the first page; switching to it again would drop its own choices
        at.switch_page(page_path(page)).run()
    no_errors(at)
    return at


def _chart_words(figure: dict) -> str:
    title = figure["layout"].get("title", {})
    texts = [title.get("text", ""), title.get("subtitle", {}).get("text", "")]
    texts += [a.get("text", "") for a in figure["layout"].get("annotations", [])]
    return " ".join(texts).replace(" <br>", " ").replace("<br>", " ")


def _chart(at: AppTest, starts: str) -> dict:
    return next(f for f in figures(at) if f["layout"]["title"]["text"].startswith(starts))


def test_place_charts_name_their_demand_source_and_say_no_service_and_no_demand_data(app):
    _open(app, "place")
    charts = figures(app)
    words = [_chart_words(f) for f in charts]
    assert all(not CODE_NAMES.search(w) for w in words), words
    beds = _chart(app, "Reablement in a bedded setting")
    said = _chart_words(beds)
    assert "Demand from SitRep discharges (trusts × catchment shares)" in said
    assert "No service here" in said
    assert set(trace(beds, "Capacity")["y"]) == {0.0}
    # RF4's 60 P2 care home discharges a month × Havering's share, the one year there is.
    assert trace(beds, "Demand")["y"] == pytest.approx([60 * RF4_HAVERING] * 12, abs=1e-9)
    support = _chart_words(_chart(app, "Social support"))
    assert "No demand data" in support and "published monthly counts chosen" in support
    assert "Demand from local referral records" in _chart_words(_chart(app, "Reablement at home"))
    # Each type's figures by month name the source in words.
    for table in app.dataframe:
        if "demand_source" in table.value:
            assert set(table.value["demand_source"]) <= SOURCE_WORDS


def test_social_support_with_no_demand_data_draws_no_demand_line(app):
    _open(app, "place")
    support = _chart(app, "Social support")
    assert all(v is None for v in trace(support, "Demand")["y"])  # never a line at 0
    assert set(trace(support, "Capacity")["y"]) == {82.0}  # Havering's HSSS, as stated


def test_overview_leaves_a_no_demand_data_cell_blank_and_says_why(app):
    _open(app, "overview", service_type="social_support")
    heat = figures(app)[0]
    cells, blank = trace(heat, "cells"), trace(heat, "blank cells")
    assert "Havering" not in cells["y"]  # no figure, so no 0
    havering = [c for c, y in zip(blank["customdata"], blank["y"], strict=True) if y == "Havering"]
    assert len(havering) == 12
    assert all("no demand data for social support" in c[2] for c in havering)
    table = next(t.value for t in app.dataframe if "state" in t.value)
    rows = table[table["place"] == "Havering"].set_index("service_type_name")
    assert rows.loc["Social support (incl. voluntary sector)", "demand_source"] == "no demand data"


def test_overview_table_says_where_demand_comes_from_and_no_service(app):
    _open(app, "overview")
    table = next(t.value for t in app.dataframe if "state" in t.value)
    rows = table[table["place"] == "Havering"].set_index("service_type_name")
    beds = rows.loc["Reablement in a bedded setting"]
    assert beds["demand_source"] == "NHS England discharge SitRep"
    assert beds["state"] == "no service: all demand unmet"
    assert not any(CODE_NAMES.search(str(v)) for v in table["state"])


def test_services_page_names_the_demand_source_and_the_missing_service(app):
    _open(app, "services")
    app.selectbox(key="services_type").set_value("reablement_bed").run()
    table = app.dataframe[0].value.set_index("place")
    havering = table.loc["Havering"]
    # Under the "Demand from" header, the words without it.
    assert havering["demand_from"] == "SitRep discharges (trusts × catchment shares)"
    assert "no service" in havering["flags"]
    assert havering["capacity"] == 0
    assert havering["demand"] == pytest.approx(12 * 60 * RF4_HAVERING, abs=1e-9)


def test_data_page_says_the_p3_flag_and_the_reporting_break_in_words(app):
    _open(app, "data")
    labels = [e.label for e in app.expander]
    p3 = next(label for label in labels if "P3" in label)
    assert p3.startswith("13 trust months with no new P3 care home admissions beside")
    assert "likely filed as P3b" in p3
    broken = next(label for label in labels if "reporting break" in label)
    assert broken.startswith("1 likely reporting break (")
    assert "judged only against the month before" in broken
    breaks = next(t.value for t in app.dataframe if "ratio" in t.value)
    row = breaks.iloc[0]
    # April 2025's P1 home discharges, 1,500, against March's 120: 12.5 times.
    assert (row["month"], row["previous"], row["discharges"]) == ("Apr 2025", 120, 1500)
    assert row["ratio"] == pytest.approx(1500 / 120)
