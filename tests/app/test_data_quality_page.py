"""The Data quality page: months with no data inside a place's history are reported."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from capacity import config
from pages import page_path
from tests.app.conftest import APP, figures, no_errors, trace

HAVERING = "E09000016"
WHOLE_PLACE = "no published counts at all"


def remove_month(path, place: str, first_day: date, service_type: str | None = None) -> None:
    """Delete a month's referral records and published counts, as a missed load would leave it."""
    after = date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)
    params = {"place": place, "first": first_day, "after": after, "type": service_type}
    with duckdb.connect(str(path)) as con:
        con.execute(
            "DELETE FROM referrals WHERE place_code = $place AND referral_date >= $first"
            " AND referral_date < $after AND ($type IS NULL OR service_type = $type)",
            params,
        )
        # The month's counts kept beside the records go with them (migration 019).
        con.execute(
            "DELETE FROM referral_record_months WHERE place_code = $place AND month >= $first"
            " AND month < $after AND ($type IS NULL OR service_type = $type)",
            params,
        )
        con.execute(
            "DELETE FROM monthly_demand WHERE place_code = $place AND month >= $first"
            " AND month < $after AND ($type IS NULL OR service_type = $type)",
            params,
        )


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
    assert any(
        "Every month between the first and last complete month has data" in c.value
        for c in at.caption
    )


@pytest.mark.parametrize("place", [HAVERING, "BHR"])
def test_a_month_missing_inside_a_places_history_is_warned_about(writable_db, monkeypatch, place):
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


# -- SPC: history -------------------------------------------------------------------


def spc_figure(at) -> dict:
    """The XmR chart on the page (the only figure with process limits)."""
    return next(
        f for f in figures(at) if any(t.get("name") == "Upper process limit" for t in f["data"])
    )


def spc_page(app, **params: str) -> AppTest:
    """The Data quality page at Havering, 2025-26, then a link with ``params`` followed."""
    app.query_params.update({"place": HAVERING, "year": "2025"})
    app.run()
    app.switch_page(page_path("data_quality")).run()
    app.query_params.update(params)
    app.run()
    no_errors(app)
    return app


def test_the_history_is_drawn_as_an_xmr_chart_with_its_badges(app):
    at = spc_page(app, spc_type="reablement_home")
    figure = spc_figure(at)
    title = figure["layout"]["title"]["text"]
    assert title.startswith("Referrals a month · Reablement at home<br><sup>")
    # The variation icon is in words, in the title and on its badge (not colour alone).
    icon = title.split("<sup>")[1].removesuffix("</sup>")
    assert "variation" in icon and any(icon in m.value for m in at.markdown if "badge" in m.value)
    names = {t.get("name") for t in figure["data"]}
    assert {"Mean", "Upper process limit", "Lower process limit"} <= names
    assert len(trace(figure, "Value")["x"]) == 48  # April 2022 to March 2026, every month
    assert any("Apr 2022 to Mar 2026" in c.value for c in at.caption)


def test_changing_the_measure_and_the_service_type_changes_the_chart(app):
    at = spc_page(app)
    before = spc_figure(at)
    at.radio(key="spc_measure").set_value("los").run()
    no_errors(at)
    los = spc_figure(at)
    assert los["layout"]["title"]["text"].startswith("Mean length of stay")
    assert los["layout"]["yaxis"]["title"]["text"] == "days"
    assert trace(los, "Mean")["y"] != trace(before, "Mean")["y"]
    other = next(
        t for t in at.selectbox(key="spc_type").options if t != at.selectbox(key="spc_type").value
    )
    at.selectbox(key="spc_type").select(other).run()
    assert other in spc_figure(at)["layout"]["title"]["text"]
    assert at.query_params["spc_measure"] == "los"


def test_a_rebase_month_splits_the_limits_and_is_kept_in_the_link(app):
    at = spc_page(app, spc_rebase="2024-04")
    mean = trace(spc_figure(at), "Mean")
    split = mean["y"].index(None)
    # One level for April 2022 to March 2024 (24 months), another from April 2024.
    assert len(set(mean["y"][:split])) == 1 and len(set(mean["y"][split + 1 :])) == 1
    assert split == 24 and mean["x"][split + 1].startswith("2024-04")
    assert at.query_params["spc_rebase"] == "2024-04"
    assert not at.warning


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({"spc_rebase": "2030-01"}, "spc_rebase '2030-01' is not recognised"),
        ({"spc_limits": "first", "spc_first": "-3"}, "spc_first '-3' is not recognised"),
        ({"spc_limits": "until", "spc_until": "1999-12"}, "spc_until '1999-12' is not recognised"),
        ({"spc_measure": "waiting"}, "spc_measure 'waiting' is not recognised"),
    ],
)
def test_bad_spc_link_values_fall_back_to_the_default_with_a_notice(app, params, shown):
    at = spc_page(app, **params)
    assert any(shown in w.value for w in at.warning)
    mean = trace(spc_figure(at), "Mean")
    assert None not in mean["y"] and len(set(mean["y"])) == 1  # one segment, all months
    assert "spc_rebase" not in at.query_params and "spc_first" not in at.query_params


def test_a_month_with_no_referrals_is_left_out_and_said_so(app):
    # Havering's demo short-term care home placements have no referral in October 2022.
    at = spc_page(app, spc_type="p3_short_term_care_home")
    months = trace(spc_figure(at), "Value")["x"]
    assert len(months) == 47 and not any(m.startswith("2022-10") for m in months)
    assert any("not counted as zero: Oct 2022" in c.value for c in at.caption)


def test_the_back_test_shows_how_well_last_year_was_predicted(demo_db, monkeypatch):
    # The demo's data run to March 2026: 2025-26 is the last complete year, projected from
    # the three years before it.
    at = data_quality(demo_db, monkeypatch, HAVERING)
    assert "How well the projection did last year" in [h.value for h in at.subheader]
    reading = " ".join(m.value for m in at.markdown)
    assert "2025-26 was out by" in reading and "fell inside the 80% interval" in reading
    table = tables_with(at, "in_interval")[0]
    assert len(table) >= 4 and table["mape"].between(0, 100).all()
