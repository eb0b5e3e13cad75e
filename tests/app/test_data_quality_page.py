"""The Data quality page: months with no data inside a place's history are reported."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from capacity import config
from pages import page_path
from tests.app.conftest import APP, no_errors

HAVERING = "E09000016"
WHOLE_PLACE = "no published counts at all"


def remove_month(path, place: str, first_day: date, service_type: str | None = None) -> None:
    """Delete a month's referral records and published counts, as a missed load would leave it."""
    after = date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)
    params = {"place": place, "first": first_day, "after": after, "type": service_type}
    with duckdb.connect(str(path)) as con:
        con.execute(
            "DELETE FROM referrals WHERE place_code = $place AND referral_date >= $first"
            " AND referral_date < $after AND ($type IS NULL OR service_type = $type)", params)
        con.execute(
            "DELETE FROM monthly_demand WHERE place_code = $place AND month >= $first"
            " AND month < $after AND ($type IS NULL OR service_type = $type)", params)


def data_quality(path, monkeypatch, place: str) -> AppTest:
    monkeypatch.setenv(config.DB_ENV, str(path))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"place": place, "year": "2025"})
    at.run()
    at.switch_page(page_path("data_quality")).run()
    no_errors(at)
    return at


def tables_with(at, column: str) -> list:
    return [d.value for d in at.dataframe if column in d.value.columns]


def test_the_demo_data_have_no_month_missing_for_a_whole_place(demo_db, monkeypatch):
    at = data_quality(demo_db, monkeypatch, "BHR")
    assert not any(WHOLE_PLACE in w.value for w in at.warning)
    assert any("Every month between the first and last complete month has data" in c.value
               for c in at.caption)


@pytest.mark.parametrize("place", [HAVERING, "BHR"])
def test_a_month_missing_inside_a_places_history_is_warned_about(writable_db, monkeypatch,
                                                                   place):
    remove_month(writable_db, HAVERING, date(2024, 8, 1))
    at = data_quality(writable_db, monkeypatch, place)
    warning = next(w.value for w in at.warning if WHOLE_PLACE in w.value)
    assert "Havering: Aug 2024" in warning and "missing, not zero" in warning
    assert "Barking" not in warning and "Redbridge" not in warning
    whole = next(t for t in tables_with(at, "month") if "service_type" not in t.columns)
    assert list(zip(whole["place"], whole["month"], strict=True)) == [("Havering", "Aug 2024")]
    assert whole["referrals_a_month"].iloc[0] > 0


def test_a_month_missing_for_one_service_type_is_listed_for_that_type(writable_db, monkeypatch):
    remove_month(writable_db, HAVERING, date(2025, 1, 1), "reablement_home")
    at = data_quality(writable_db, monkeypatch, HAVERING)
    assert not any(WHOLE_PLACE in w.value for w in at.warning)
    assert any("one service type" in i.value for i in at.info)
    by_type = tables_with(at, "service_type")[0]
    reablement = by_type[by_type["service_type"] == "Reablement at home"]
    assert list(reablement["month"]) == ["Jan 2025"]


def test_the_back_test_shows_how_well_last_year_was_predicted(demo_db, monkeypatch):
    # The demo's data run to March 2026: 2025-26 is the last complete year, projected from
    # the three years before it.
    at = data_quality(demo_db, monkeypatch, HAVERING)
    assert "How well the projection did last year" in [h.value for h in at.subheader]
    reading = " ".join(m.value for m in at.markdown)
    assert "2025-26 was out by" in reading and "fell inside the 80% interval" in reading
    table = tables_with(at, "in_interval")[0]
    assert len(table) >= 4 and table["mape"].between(0, 100).all()
