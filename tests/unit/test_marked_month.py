"""A month chosen on the Overview's heat map, on the Place page: the sentence over the charts
speaks of that month, and each gap chart marks it.

The Havering figures are those worked by hand in tests/unit/test_place_headline.py (the
demo plan, 2025-26): reablement at home, both sources, is 35.00 short in February 2026;
on hospital referrals in March 2026 it is 16.69 short and short-term care home 4.39 short
(11.000 against 6.608); rehabilitation beds, both sources, have 3.75 spare in March.
"""

from __future__ import annotations

import pandas as pd
import pytest

from capacity.charts import gap_chart, mark_month
from capacity.plan import plan_for
from capacity.views.plans import month_headline, monthly_by_type

HAVERING = "E09000016"


@pytest.fixture(scope="module")
def havering(demo_store):
    return plan_for(demo_store, HAVERING, 2025)


def sentence(frame, source: str, month: str, types: list[str]) -> str:
    names = dict(zip(frame["service_type"], frame["service_type_name"], strict=False))
    return month_headline(monthly_by_type(frame, HAVERING, source), "Havering", month, types, names)


def test_the_sentence_speaks_of_the_marked_month(havering):
    assert sentence(havering, "both", "2026-02", ["reablement_home"]) == (
        "Havering in February 2026: reablement at home is 35 short"
    )


def test_every_type_short_that_month_is_named_worst_first(havering):
    assert sentence(
        havering, "hospital", "2026-03", ["p3_short_term_care_home", "reablement_home"]
    ) == (
        "Havering in March 2026: reablement at home is 17 short, short-term residential or "
        "nursing care (likely long-term need) 4 short"
    )


def test_a_month_with_spare_capacity_says_so_for_the_types_shown(havering):
    assert sentence(havering, "both", "2026-03", ["rehab_bed"]) == (
        "Havering in March 2026: no shortfall for rehabilitation in a bedded setting"
    )


def small_place() -> pd.DataFrame:
    # Two types, two months: beds 0.4 short in May (rounds to none), home care 2 spare.
    return pd.DataFrame(
        {
            "service_type": ["beds", "beds", "home", "home"],
            "service_type_name": ["Beds", "Beds", "Home care", "Home care"],
            "month": ["2025-04", "2025-05", "2025-04", "2025-05"],
            "gap": [-3.0, -0.4, 1.0, 2.0],
        }
    )


def test_under_half_a_person_short_is_no_shortfall():
    assert month_headline(small_place(), "Testham", "2025-05") == (
        "Testham in May 2025: no service type is short"
    )
    assert month_headline(small_place(), "Testham", "2025-04") == (
        "Testham in April 2025: beds is 3 short"
    )


def chart(large: bool = False):
    months = ["2025-04", "2025-05", "2025-06", "2026-01"]
    monthly = pd.DataFrame(
        {
            "month": months,
            "demand": [10.0, 12.0, 9.0, 14.0],
            "capacity": [11.0] * 4,
            "gap": [1.0, -1.0, 2.0, -3.0],
            "methods": ["caseload"] * 4,
            "flags": [""] * 4,
            "calculation": [""] * 4,
        }
    )
    return gap_chart(monthly, "Test", large=large)


@pytest.mark.parametrize("large", [False, True])
def test_the_marked_month_is_a_band_over_its_whole_slot(large):
    figure = mark_month(chart(large), "2026-01", large)
    bands = [s for s in figure.layout.shapes if s.type == "rect"]
    # January 2026 is the fourth month drawn: category 3, its slot from 2.5 to 3.5.
    assert [(b.x0, b.x1, b.xref) for b in bands] == [(2.5, 3.5, "x")]
    assert [a.text for a in figure.layout.annotations if a.text == "Jan 2026"] == ["Jan 2026"]


def test_a_month_the_chart_does_not_draw_is_left_unmarked():
    figure = mark_month(chart(), "2025-12")
    assert not [s for s in figure.layout.shapes if s.type == "rect"]
