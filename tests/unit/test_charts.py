"""Chart builders: the figures carry the plan's numbers, mark shortfalls and show flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from capacity.charts import SHORTFALL, gap_chart, gap_heatmap, whole
from capacity.summary import by_service_type


def monthly(demand, capacity, flags="", methods="caseload") -> pd.DataFrame:
    months = ["2025-10", "2025-11", "2025-12", "2026-01"]
    return pd.DataFrame(
        {
            "month": months,
            "demand": demand,
            "capacity": capacity,
            "gap": np.array(capacity, float) - np.array(demand, float),
            "methods": methods,
            "flags": flags,
            "calculation": "57 × 31 days ÷ 28",
        }
    )


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_gap_chart_carries_the_figures_by_month():
    fig = gap_chart(monthly([50, 60, 70, 55], [63.1, 65.4, 67.5, 67.5]), "Rehab beds")
    assert list(trace(fig, "Demand").x) == ["Oct 2025", "Nov 2025", "Dec 2025", "Jan 2026"]
    assert list(trace(fig, "Capacity").y) == [63.1, 65.4, 67.5, 67.5]
    assert list(trace(fig, "Demand").y) == [50, 60, 70, 55]
    assert fig.layout.title.text == "Rehab beds"


def test_shortfall_months_are_marked_in_the_warning_colour():
    fig = gap_chart(monthly([50, 70, 70, 80], [60, 60, 75, 60]), "x")
    marks = trace(fig, "Shortfall month")
    assert list(marks.x) == ["Nov 2025", "Jan 2026"]
    assert list(marks.y) == [70, 80]
    assert marks.marker.color == SHORTFALL and marks.marker.symbol == "triangle-down"


def test_no_shortfall_no_marks():
    fig = gap_chart(monthly([10, 10, 10, 10], [20, 20, 20, 20]), "x")
    assert len(trace(fig, "Shortfall month").x) == 0


def test_hover_gives_exact_figures_and_method():
    fig = gap_chart(monthly([50.24, 60, 70, 55], [63.1, 65.4, 67.5, 67.5]), "x")
    first = trace(fig, "Demand").text[0]
    assert "Demand 50.2" in first and "Capacity 63.1" in first and "Gap +12.9" in first
    assert "Method: caseload" in first and "57 × 31 days ÷ 28" in first


def test_flags_are_written_on_the_chart():
    fig = gap_chart(
        monthly([5, 5, 5, 5], [5, 5, 5, 5], flags="capacity assumed equal to demand"), "UCR"
    )
    notes = [a.text for a in fig.layout.annotations]
    assert any("capacity assumed equal to demand" in n for n in notes)
    assert not gap_chart(monthly([5, 5, 5, 5], [6, 6, 6, 6]), "x").layout.annotations


def test_large_charts_have_bigger_type_and_lines():
    data = monthly([50, 60, 70, 55], [63, 65, 67, 67])
    small, large = gap_chart(data, "x"), gap_chart(data, "x", large=True)
    assert large.layout.font.size > small.layout.font.size
    assert trace(large, "Capacity").line.width > trace(small, "Capacity").line.width


def test_gap_chart_from_the_demo_plan(demo_store):
    from capacity.plan import plan_for

    frame = plan_for(demo_store, "Havering", 2025)
    hsss = by_service_type(frame)
    hsss = hsss[hsss["service_type"] == "social_support"]
    fig = gap_chart(hsss, "HSSS")
    assert set(trace(fig, "Capacity").y) == {82.0}
    assert len(trace(fig, "Shortfall month").x) == 12  # 147 a month against 82


def test_heatmap_holds_the_matrix_and_centres_on_zero():
    matrix = pd.DataFrame(
        [[-10.4, 3.0], [-0.3, np.nan]],
        index=["Havering", "Rutland"],
        columns=["2025-11", "2025-12"],
    )
    fig = gap_heatmap(matrix, "Gap", "people")
    heat = fig.data[0]
    assert list(heat.y) == ["Havering", "Rutland"] and list(heat.x) == ["Nov 2025", "Dec 2025"]
    assert heat.z[0][0] == -10.4 and heat.zmid == 0
    assert heat.zmin == -heat.zmax == pytest.approx(-10.4)
    assert heat.text[1][0] == "0" and heat.text[1][1] == ""  # never "-0"; blank when missing


@pytest.mark.parametrize(
    ("value", "text"), [(-0.4, "0"), (0.4, "0"), (-12.6, "-13"), (1234.5, "1,235"), (-2.5, "-3")]
)
def test_whole_numbers_for_display(value, text):
    assert whole(value) == text
