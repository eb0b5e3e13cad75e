"""Sentences and tables from a flow run: rounded for reading, unrounded for CSV."""

from __future__ import annotations

import numpy as np
import pytest

from capacity.flow import FlowInputs, run
from capacity.flow_report import MONTH_COLUMNS, csv_frame, display_table, headline, places_text

START = np.datetime64("2025-04-01")


def result_for(arrivals: float, places) -> object:
    days = 365
    caseload = np.broadcast_to(np.asarray(places, float), (days,)).copy()
    inputs = FlowInputs(dates=np.arange(START, START + days),
                        arrivals_per_day=np.full(days, arrivals), caseload=caseload,
                        mean_los_days=np.full(days, 42.0), in_service_today=0)
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
    assert headline(result_for(0.0, 20)) == \
        "No arrivals are expected in winter (November to March), so nobody waits; 20 places " \
        "are planned."


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
    inputs = FlowInputs(dates=np.arange(START, START + days), arrivals_per_day=arrivals,
                        caseload=places, mean_los_days=np.full(days, 42.0))
    result = run(inputs, replications=50, seed=1)
    april = display_table(result.monthly).iloc[0]
    assert april["month"] == "Apr 2025" and april["places"] == "0"
    assert april["wait days"] == "–"
    assert april["P(wait)"] == "–"
    assert april["Erlang C"] == "0%"
    assert "nan" not in display_table(result.monthly).to_string()
    assert result.monthly["wait_days_steady"].iloc[0] == 0
