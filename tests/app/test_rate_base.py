"""Rates per 100,000 of people aged 18+, 65+ or 85+ on the Overview and the Services page:
the base is chosen on the page and carried in the address (``per=85``), and every title says
whom the rate is of and where the population comes from."""

from __future__ import annotations

import json

import numpy as np
import pytest

from capacity.views import plans
from pages import page_path
from tests.app.conftest import figures, no_errors
from tests.app.test_overview_scope import heat, rows_of, title_of
from tests.conftest import estimate

HAVERING = "E09000016"


def people_short_by_month(demo_db, code: str) -> dict[str, float]:
    """A place's people short each month of 2025-26, worked from the plan frame: per service
    type and month, demand − capacity where demand is the larger, then added over the types."""
    frame = plans.plan_everywhere(plans.prepared_plan(demo_db, 2025), None, 2025)
    rows = frame[frame["place_code"] == code]
    by_type = rows.groupby(["service_type", "month"])[["demand", "capacity"]].sum(min_count=1)
    short = (by_type["demand"] - by_type["capacity"]).clip(lower=0)
    return short.groupby(level="month").sum(min_count=1).to_dict()


def overview(app, **params: str):
    """The Overview of 2025-26 opened with these address settings."""
    app.query_params["year"] = "2025"
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    no_errors(app)
    return app


def services(app, **params: str):
    """The Services page of 2025-26 opened by a link with these address settings."""
    app.query_params["year"] = "2025"
    app.run()
    app.switch_page(page_path("services")).run()
    app.query_params["year"] = "2025"
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    no_errors(app)
    return app


def test_the_overviews_rate_for_havering_is_of_its_people_aged_85_and_over(app, demo_db):
    overview(app, measure="per100k", per="85")
    assert app.segmented_control(key="overview_per").value == "85"
    trace = heat(app)
    cells = rows_of(trace)["Havering"]  # the year's months in order, as the columns
    short = people_short_by_month(demo_db, HAVERING)
    aged_85 = estimate(HAVERING, "85+")
    assert aged_85 == 7_127
    assert len(cells) == len(short) == 12 and any(v > 0 for v in short.values())
    expected = [short[month] * 100_000 / aged_85 for month in sorted(short)]
    assert cells == pytest.approx(expected, rel=1e-9)
    assert app.query_params["per"] == "85"


def test_the_overviews_title_and_caption_name_the_base_and_its_source(app):
    overview(app, measure="per100k", per="18")
    assert "per 100,000 aged 18+ (ONS mid-2023 estimate)" in title_of(figures(app)[0])
    captions = " ".join(c.value for c in app.caption)
    assert "Rates are per 100,000 aged 18+ (ONS mid-2023 estimate)" in captions
    # Choosing another base on the page rewrites the title and the address.
    app.segmented_control(key="overview_per").set_value("85").run()
    assert "per 100,000 aged 85+ (ONS mid-2023 estimate)" in title_of(figures(app)[0])
    assert app.query_params["per"] == "85"
    app.segmented_control(key="overview_per").set_value("65").run()
    assert "per" not in app.query_params  # the default is never written


def test_a_base_not_offered_says_so_and_shows_rates_of_people_aged_65_and_over(app):
    overview(app, measure="per100k", per="42")
    notices = " ".join(w.value for w in app.warning)
    assert "per '42' is not recognised" in notices and "use per=18, per=65, per=85" in notices
    assert "showing people aged 65+ instead" in notices
    assert app.segmented_control(key="overview_per").value == "65"
    assert "per 100,000 aged 65+ (ONS mid-2023 estimate)" in title_of(figures(app)[0])
    assert "per" not in app.query_params


def test_the_services_page_rates_capacity_per_100000_aged_18_and_over(app):
    services(app, service_type="social_support", per="18")
    rate = "per 100,000 aged 18+ (ONS mid-2023 estimate)"
    assert f"capacity {rate}" in title_of(figures(app)[0])
    assert figures(app)[0]["layout"]["xaxis"]["title"]["text"] == f"New people a year {rate}"
    table = app.dataframe[0].value.set_index("place")
    # Havering's home-based short-term support: 82 a month over the year, over its 206,850
    # people aged 18+ (ONS mid-2023).
    aged_18 = estimate(HAVERING, "18+")
    assert aged_18 == 206_850
    assert table.loc["Havering", "population"] == aged_18
    assert table.loc["Havering", "capacity_per_100k"] == pytest.approx(82 * 12 / aged_18 * 1e5)
    # North East London ICB holds eight places, three with plans (BHR's): its rate is of
    # those three places' people, as the Overview's is, never of all eight.
    nel = table.loc["North East London ICB (system)"]
    bhr_18 = sum(estimate(code, "18+") for code in ("E09000002", HAVERING, "E09000026"))
    assert nel["population"] == bhr_18 == 157_967 + 206_850 + 236_227
    assert nel["capacity_per_100k"] == pytest.approx(nel["capacity"] / bhr_18 * 1e5)
    headers = json.loads(app.dataframe[0].proto.columns)
    assert headers["capacity_per_100k"]["label"] == "Per 100k aged 18+"
    captions = " ".join(c.value for c in app.caption)
    assert "people aged 18+, ONS mid-2023 estimate" in captions  # the source, under the table
    assert headers["population"]["label"] == "Aged 18+"
    assert app.query_params["per"] == "18"


def test_a_bad_base_on_the_services_page_falls_back_to_65_and_over(app):
    services(app, per="eighty")
    assert "per 'eighty' is not recognised" in " ".join(w.value for w in app.warning)
    assert "capacity per 100,000 aged 65+ (ONS mid-2023 estimate)" in title_of(figures(app)[0])
    assert np.isfinite(app.dataframe[0].value["capacity_per_100k"]).any()
