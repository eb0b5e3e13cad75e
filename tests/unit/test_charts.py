"""Chart builders: the figures carry the plan's numbers, mark shortfalls and show flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from capacity.charts import (
    DEMAND,
    NHS_BLUE,
    OKABE_ITO,
    SHORTFALL,
    capacity_rate_chart,
    gap_chart,
    gap_heatmap,
    scenario_chart,
    stated_vs_observed_chart,
    tornado_chart,
    volumes_chart,
    whole,
)
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


def test_heatmap_of_people_short_runs_white_to_vermillion_from_zero():
    matrix = pd.DataFrame([[0.0, 11.0]], index=["Havering"], columns=["2025-11", "2025-12"])
    heat = gap_heatmap(matrix, "People short", "people", short=True).data[0]
    assert heat.zmin == 0 and heat.zmax == 11
    assert heat.colorscale[0][1].upper() == "#FFFFFF"
    assert heat.colorbar.title.text == "Short"
    assert "short" in heat.hovertemplate and "Gap" not in heat.hovertemplate


def test_heatmap_cells_carry_their_row_key_for_a_click():
    matrix = pd.DataFrame(
        [[-10.4, 3.0], [-0.3, np.nan]],
        index=["Havering", "Rutland"],
        columns=["2025-11", "2025-12"],
    )
    fig = gap_heatmap(matrix, "Gap", "people", keys=["E09000016", "E06000017"])
    heat, cells = fig.data
    assert heat.hoverinfo == "skip" and cells.type == "scatter"
    # One target per cell with a figure (Rutland's December has none).
    assert list(cells.x) == ["Nov 2025", "Dec 2025", "Nov 2025"]
    assert list(cells.y) == ["Havering", "Havering", "Rutland"]
    assert [c[:2] for c in cells.customdata] == [
        ["E09000016", "2025-11"],
        ["E09000016", "2025-12"],
        ["E06000017", "2025-11"],
    ]
    assert cells.marker.opacity == 0


@pytest.mark.parametrize(
    ("value", "text"), [(-0.4, "0"), (0.4, "0"), (-12.6, "-13"), (1234.5, "1,235"), (-2.5, "-3")]
)
def test_whole_numbers_for_display(value, text):
    assert whole(value) == text


# -- services, data quality and scenario charts -----------------------------------------


def test_capacity_rate_bars_carry_each_places_figure_largest_at_the_top():
    table = pd.DataFrame(
        {
            "place": ["Havering", "Rutland", "Thurrock", "Essex"],
            "capacity_per_100k": [2143.8, 512.0, np.nan, 1234.5],
        }
    )
    fig = capacity_rate_chart(
        table, "Reablement at home: capacity per 100,000 aged 85+", "per 100,000 aged 85+"
    )
    bars = fig.data[0]
    # Plotly draws the first category at the bottom, so the top bar is the last one.
    assert list(bars.y) == ["Rutland", "Essex", "Havering"]
    assert dict(zip(bars.y, bars.x, strict=True)) == {
        "Rutland": 512.0,
        "Essex": 1234.5,
        "Havering": 2143.8,
    }
    assert list(bars.text) == ["512", "1,235", "2,144"]
    assert "Thurrock" not in bars.y  # no population: left out, not drawn as zero
    assert fig.layout.title.text == "Reablement at home: capacity per 100,000 aged 85+"
    # The axis and the hover say whom the rate is of.
    assert fig.layout.xaxis.title.text == "New people a year per 100,000 aged 85+"
    assert "a year per 100,000 aged 85+<extra>" in bars.hovertemplate


def test_volumes_chart_has_a_line_per_service_type_in_month_order():
    history = pd.DataFrame(
        {
            "service_type_name": ["Reablement at home"] * 3 + ["Urgent community response"] * 2,
            "month": ["2025-05", "2025-04", "2025-06", "2025-04", "2025-05"],
            "referrals": [31.0, 28.0, 40.0, 7.0, 9.0],
        }
    )
    fig = volumes_chart(history, "Referrals a month")
    reablement = trace(fig, "Reablement at home")
    # A date axis (first day of each month), so Plotly labels as many months as fit.
    assert list(reablement.x) == ["2025-04-01", "2025-05-01", "2025-06-01"]
    assert list(reablement.y) == [28.0, 31.0, 40.0]
    ucr = trace(fig, "Urgent community response")
    assert list(ucr.x) == ["2025-04-01", "2025-05-01"] and list(ucr.y) == [7.0, 9.0]
    colours = [t.line.color for t in fig.data]
    assert len(set(colours)) == 2 and set(colours) <= set(OKABE_ITO)
    assert fig.layout.title.text == "Referrals a month"


def test_stated_and_observed_caseload_sit_side_by_side_per_service():
    table = pd.DataFrame(
        {
            "service": ["BHR D2A nursing beds", "Havering reablement", "Home, Settle & Support"],
            "stated_caseload": [20.0, 150.0, np.nan],
            "observed_occupancy": [26.4, np.nan, np.nan],
        }
    )
    fig = stated_vs_observed_chart(table, "Caseload: stated and observed")
    stated, observed = trace(fig, "Stated caseload"), trace(fig, "Observed mean occupancy")
    # A service with neither figure has nothing to compare and is left out.
    assert list(stated.y) == list(observed.y) == ["BHR D2A nursing beds", "Havering reablement"]
    assert list(stated.x) == [20.0, 150.0]
    assert observed.x[0] == 26.4 and np.isnan(observed.x[1])
    assert stated.marker.color == NHS_BLUE and observed.marker.color in OKABE_ITO
    assert fig.layout.title.text == "Caseload: stated and observed"


def test_a_system_gets_a_bar_per_place_of_a_shared_service():
    table = pd.DataFrame(
        {
            "place": ["Havering", "Redbridge", "Havering"],
            "service": ["BHR community rehabilitation beds"] * 2 + ["Havering reablement"],
            "stated_caseload": [26.1, 22.1, 150.0],
            "observed_occupancy": [23.2, 22.2, 183.9],
        }
    )
    stated = trace(stated_vs_observed_chart(table, "x"), "Stated caseload")
    assert list(stated.y) == [
        "BHR community rehabilitation beds · Havering",
        "BHR community rehabilitation beds · Redbridge",
        "Havering reablement · Havering",
    ]
    assert list(stated.x) == [26.1, 22.1, 150.0]


def test_scenario_chart_draws_each_scenarios_gap_against_the_baseline():
    months = ["2025-12", "2025-11", "2026-01"]
    lines = {
        "Baseline": pd.DataFrame({"month": months, "gap": [-4.0, 2.5, -9.0]}),
        "Winter surge": pd.DataFrame({"month": months, "gap": [-8.0, 1.0, -14.5]}),
        "Flex beds open": pd.DataFrame({"month": months, "gap": [1.0, 6.0, -3.0]}),
    }
    fig = scenario_chart(lines, "Gap by month, Havering")
    assert [t.name for t in fig.data] == ["Baseline", "Winter surge", "Flex beds open"]
    for t, (label, frame) in zip(fig.data, lines.items(), strict=True):
        assert list(t.x) == ["Nov 2025", "Dec 2025", "Jan 2026"], label
        by_month = dict(zip(frame["month"], frame["gap"], strict=True))
        assert list(t.y) == [by_month["2025-11"], by_month["2025-12"], by_month["2026-01"]]
    baseline, *others = fig.data
    # Told apart by line style as well as colour, and the zero line (below it, a shortfall)
    # is drawn in the warning colour.
    assert baseline.line.dash == "dot" and baseline.line.color == DEMAND
    assert all(t.line.dash == "solid" and t.line.color in OKABE_ITO for t in others)
    assert len({t.line.color for t in fig.data}) == 3
    assert fig.layout.yaxis.zeroline and fig.layout.yaxis.zerolinecolor == SHORTFALL
    assert fig.layout.title.text == "Gap by month, Havering"


def test_large_scenario_chart_puts_month_labels_on_two_lines():
    lines = {"Baseline": pd.DataFrame({"month": ["2025-04", "2025-05"], "gap": [1.0, -1.0]})}
    small, large = scenario_chart(lines, "x"), scenario_chart(lines, "x", large=True)
    assert list(large.data[0].x) == ["Apr<br>2025", "May<br>2025"]
    assert large.data[0].line.width > small.data[0].line.width


def test_tornado_chart_puts_the_largest_swing_at_the_top():
    # As capacity.scenarios.sensitivity_analysis.sensitivity returns it: largest swing first.
    table = pd.DataFrame(
        {
            "assumption": ["Length of stay", "Demand", "Caseload"],
            "change_lower": [-12.0, -8.5, 6.0],
            "change_higher": [13.5, 8.5, -5.0],
        }
    )
    fig = tornado_chart(table, "What moves the winter shortfall of rehab beds most", step=20)
    lower, higher = trace(fig, "Assumption −20%"), trace(fig, "Assumption +20%")
    assert list(lower.y) == ["Caseload", "Demand", "Length of stay"]  # top bar is last
    assert dict(zip(lower.y, lower.x, strict=True)) == {
        "Length of stay": -12.0,
        "Demand": -8.5,
        "Caseload": 6.0,
    }
    assert dict(zip(higher.y, higher.x, strict=True)) == {
        "Length of stay": 13.5,
        "Demand": 8.5,
        "Caseload": -5.0,
    }
    assert lower.marker.color != higher.marker.color
    assert {lower.marker.color, higher.marker.color} <= set(OKABE_ITO)
    assert "November to March" in fig.layout.xaxis.title.text
    assert fig.layout.title.text == "What moves the winter shortfall of rehab beds most"


def test_a_long_title_breaks_between_phrases_and_draws_its_later_lines_as_a_subtitle():
    from capacity.charts import title_lines

    title = (
        "Barking & Dagenham, Havering and Redbridge · Social support (incl. voluntary "
        "sector) — hospital discharge and community · 2025-26"
    )
    assert title_lines(title) == [
        "Barking & Dagenham, Havering and Redbridge",
        "· Social support (incl. voluntary sector)",
        "— hospital discharge and community · 2025-26",
    ]
    assert title_lines("Rehab beds — community") == ["Rehab beds — community"]  # fits
    fig = gap_chart(monthly([50, 60, 70, 55], [63.1, 65.4, 67.5, 67.5]), title)
    assert fig.layout.title.text == "Barking & Dagenham, Havering and Redbridge"
    assert fig.layout.title.subtitle.text == (
        "· Social support (incl. voluntary sector) <br>— hospital discharge and community · 2025-26"
    )


def test_month_labels_name_the_year_only_under_april_and_january():
    from capacity.charts import month_axis

    months = ["2025-04", "2025-05", "2025-12", "2026-01", "2026-02"]
    axis = month_axis(months, ["a", "b", "c", "d", "e"])
    assert axis["ticktext"] == ["Apr<br>2025", "May", "Dec", "Jan<br>2026", "Feb"]
    assert axis["tickvals"] == ["a", "b", "c", "d", "e"] and axis["tickangle"] == 0
