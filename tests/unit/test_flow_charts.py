"""Flow figures carry the run's numbers: bands, places in force and needed, waits by month."""

from __future__ import annotations

import numpy as np
import pytest

from capacity.charts import flow_occupancy_chart, flow_queue_chart, flow_wait_chart
from capacity.flow.inputs import FlowInputs
from capacity.flow.results import run

START = np.datetime64("2025-04-01")


@pytest.fixture(scope="module")
def result():
    days = 365
    places = np.where(np.arange(days) >= 214, 24.0, 20.0)  # four more from 1 November
    inputs = FlowInputs(
        dates=np.arange(START, START + days),
        arrivals_per_day=np.full(days, 0.55),
        caseload=places,
        mean_los_days=np.full(days, 42.0),
        los_cv=0.56,
        in_service_today=20,
    )
    return run(inputs, replications=100, seed=1)


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_occupancy_chart_shows_the_places_in_force_and_needed(result):
    fig = flow_occupancy_chart(result.daily, "Occupancy", target=0.05)
    places = trace(fig, "Places in force").y
    assert len(places) == 365 and places[213] == 20 and places[214] == 24
    assert trace(fig, "Places in force").x[214] == "2025-11-01"
    needed = trace(fig, "Places needed for under 5% waiting (steady state)").y
    assert list(needed) == list(result.daily["beds_needed"])
    assert list(trace(fig, "Expected occupancy").y) == list(result.daily["occupancy_mean"])
    band = trace(fig, "Occupancy, 5th–95th percentile")
    assert band.fill == "tonexty" and list(band.y) == list(result.daily["occupancy_p95"])
    assert fig.layout.xaxis.type == "date"


def test_queue_chart_can_set_the_baseline_beside(result):
    alone = flow_queue_chart(result.daily, "Waiting")
    assert [t.name for t in alone.data][-1] == "Expected number waiting"
    both = flow_queue_chart(result.daily, "Waiting", baseline=result.daily)
    assert list(trace(both, "Baseline, expected waiting").y) == list(result.daily["waiting_mean"])


def test_wait_chart_has_a_bar_per_month_with_its_band(result):
    fig = flow_wait_chart(result.monthly, "Waits")
    bars = trace(fig, "Mean wait (days)")
    assert len(bars.x) == 12 and bars.x[0] == "Apr 2025"
    monthly = result.monthly
    assert np.allclose(bars.y + bars.error_y.array, monthly["wait_days_p95"])
    assert np.allclose(bars.y - bars.error_y.arrayminus, monthly["wait_days_p05"])
    assert fig.layout.yaxis2.tickformat == ".0%"
