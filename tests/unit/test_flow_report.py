"""Sentences and tables from a flow run: rounded for reading, unrounded for CSV."""

from __future__ import annotations

import numpy as np
import pytest

from capacity.flow.costs import CostSummary
from capacity.flow.inputs import FlowInputs, starting
from capacity.flow.report import (
    MONTH_COLUMNS,
    cost_text,
    csv_frame,
    display_table,
    headline,
    month_text,
    over_places_warning,
    places_text,
    start_text,
)
from capacity.flow.results import run

START = np.datetime64("2025-04-01")


def result_for(arrivals: float, places) -> object:
    days = 365
    caseload = np.broadcast_to(np.asarray(places, float), (days,)).copy()
    inputs = FlowInputs(
        dates=np.arange(START, START + days),
        arrivals_per_day=np.full(days, arrivals),
        caseload=caseload,
        mean_los_days=np.full(days, 42.0),
        in_service_today=0,
    )
    return run(inputs, replications=50, seed=1)


def test_places_text_shows_a_range_when_places_change():
    flex = np.where(np.arange(365) >= 214, 61.0, 57.0)  # 61 from 1 November
    result = result_for(1.0, flex)
    assert places_text(result.year) == "57–61 places"
    assert places_text(result.winter) == "61 places"


def test_the_headline_says_who_waits_and_the_places_needed():
    text = headline(result_for(0.55, 20))
    assert text.startswith("In winter (November to March), with 20 places: on an average day")
    assert "Keeping the chance of waiting under 5% needs" in text


def test_with_no_arrivals_nobody_waits():
    assert (
        headline(result_for(0.0, 20))
        == "No arrivals are expected in winter (November to March), so nobody waits; 20 places "
        "are planned."
    )


def test_the_display_table_rounds_but_the_csv_does_not():
    result = result_for(0.55, 20)
    shown = display_table(result.monthly)
    assert list(shown["month"])[:2] == ["Apr 2025", "May 2025"]
    assert shown["arrivals"].iloc[0] == f"{0.55 * 30:,.1f}"
    assert shown["places"].iloc[0] == "20"
    frame = csv_frame(result, place_code="BHR", service_id="bhr_d2a_nursing")
    assert list(frame.columns) == ["place_code", "service_id", *MONTH_COLUMNS]
    assert frame["arrivals"].iloc[0] == pytest.approx(0.55 * 30)
    assert len(csv_frame(result, daily=True)) == 365


def test_a_closed_month_with_no_arrivals_shows_no_wait_and_dashes_not_nan():
    # April: no places and nobody referred; from May, 20 places and half an arrival a day.
    days = 365
    arrivals = np.where(np.arange(days) < 30, 0.0, 0.25)
    places = np.where(np.arange(days) < 30, 0.0, 20.0)
    inputs = FlowInputs(
        dates=np.arange(START, START + days),
        arrivals_per_day=arrivals,
        caseload=places,
        mean_los_days=np.full(days, 42.0),
    )
    result = run(inputs, replications=50, seed=1)
    april = display_table(result.monthly).iloc[0]
    assert april["month"] == "Apr 2025" and april["places"] == "0"
    assert april["wait days"] == "–"
    assert april["P(wait)"] == "–"
    assert april["Erlang C"] == "0%"
    assert "nan" not in display_table(result.monthly).to_string()
    assert result.monthly["wait_days_steady"].iloc[0] == 0


def closed_service(waiting_today: int = 0):
    """No places all year: nobody is admitted, so every wait runs to the end of the run."""
    days = 365
    inputs = FlowInputs(
        dates=np.arange(START, START + days),
        arrivals_per_day=np.full(days, 0.5),
        caseload=np.zeros(days),
        mean_los_days=np.full(days, 42.0),
        waiting_today=waiting_today,
    )
    return run(inputs, replications=50, seed=2, runout_days=60)


def test_a_wait_cut_off_by_the_end_of_the_run_is_reported_as_a_lower_bound():
    result = closed_service()
    text = headline(result)
    assert "an arrival waits more than" in text
    assert "still waiting when the run stops, 60 days after the year ends" in text
    shown = display_table(result.monthly)
    assert shown["wait days"].str.startswith("over ").all()
    assert "still waiting at the end" in shown.columns
    assert float(shown["still waiting at the end"].iloc[-1]) > 0
    frame = csv_frame(result)
    assert (frame["still_waiting_at_end"] > 0).all()


def test_a_first_day_queue_never_admitted_is_not_said_to_be_admitted():
    text = start_text(closed_service(waiting_today=12))
    assert "are all admitted" not in text
    assert (
        "Those waiting on the first day are not all admitted by the time the run stops, "
        "60 days after the year ends: on average 12.0 of them are still waiting then." in text
    )


def test_a_normal_service_has_no_cut_off_column():
    shown = display_table(result_for(0.4, 24).monthly)
    assert "still waiting at the end" not in shown.columns
    assert not shown["wait days"].str.startswith("over").any()


@pytest.mark.parametrize(
    ("net", "said"),
    [
        (0.0, "; the same as the baseline"),
        (0.4, "; the same as the baseline"),
        (-1200.0, "; £1,200 less than the baseline"),
        (350.0, "; £350 more than the baseline"),
    ],
)
def test_the_cost_against_the_baseline_says_more_less_or_the_same(net, said):
    costs = CostSummary(place_days=10, hospital_delay_bed_days=2, place_cost=100, delay_cost=50)
    change = CostSummary(place_days=0, hospital_delay_bed_days=0, place_cost=net, delay_cost=0)
    assert cost_text("Winter", costs, change).endswith(said)


def test_a_run_from_a_later_day_names_its_partial_first_month_and_its_start():
    inputs = starting(
        FlowInputs(
            dates=np.arange(START, START + 365),
            arrivals_per_day=np.full(365, 0.5),
            caseload=np.full(365, 20.0),
            mean_los_days=np.full(365, 42.0),
        ),
        start="2025-11-24",
        in_service=20,
        waiting=4,
    )
    result = run(inputs, replications=50, seed=3)
    shown = display_table(result.monthly)
    assert list(shown["month"]) == [
        "24–30 Nov 2025",
        "Dec 2025",
        "Jan 2026",
        "Feb 2026",
        "Mar 2026",
    ]
    assert shown["arrivals"].iloc[0] == f"{0.5 * 7:,.1f}"
    assert headline(result).startswith("In the rest of winter, from 24 Nov 2025, with 20 places")
    assert start_text(result).startswith(
        "Starting on 24 Nov 2025 with 20 in the service and 4 waiting."
    )
    assert csv_frame(result)["first_day"].iloc[0] == "2025-11-24"


@pytest.mark.parametrize(
    ("month", "first_day", "days", "said"),
    [
        ("2025-11", "2025-11-01", 30, "Nov 2025"),
        ("2025-11", "2025-11-24", 7, "24–30 Nov 2025"),
        ("2026-02", "2026-02-02", 27, "2–28 Feb 2026"),
        ("2026-03", "2026-03-31", 1, "31 Mar 2026"),
    ],
)
def test_month_text_names_the_days_of_a_partial_month(month, first_day, days, said):
    assert month_text(month, first_day, days) == said


def test_more_in_the_service_than_its_places_is_warned_about():
    def inputs(in_service: int) -> FlowInputs:
        return FlowInputs(
            dates=np.arange(START, START + 10),
            arrivals_per_day=np.full(10, 0.5),
            caseload=np.full(10, 20.0),
            mean_los_days=np.full(10, 42.0),
            in_service_today=in_service,
        )

    assert over_places_warning(inputs(20)) == ""
    text = over_places_warning(inputs(200))
    assert text.startswith(
        "200 people are in the service on 1 Apr 2025, 180 more than its 20 places."
    )
    assert (
        "keeps them until their stays end and admits nobody new until occupancy is below the places"
    ) in text
