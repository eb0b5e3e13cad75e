"""The Place headline speaks of what the charts draw: the chosen service types and source.

Worked by hand on the demo plan of Havering, 2025-26. Reablement at home there is
one service, Havering reablement: 6,000 hours a month ÷ 40 hours per package =
150 packages, each staying 28 days, so it takes 150 × days ÷ 28 new people a
month, split 0.951228 hospital discharge to 0.048772 community (the share of its
referrals). February 2026 has 28 days, so 150 people: 142.684 hospital, 7.316
community. Demand, the mean of the same month over the three years before:

- hospital, February: 176.667 → gap 142.684 − 176.667 = −33.98, its worst month
  (December −25.36, January −22.69, March −16.69, April −10.79);
- community, March: 12.000 against 8.0997 (31 days: 150 × 31 ÷ 28 × 0.048772)
  → −3.90, its worst (August −3.23, November −2.49);
- both, February: 176.667 + 8.333 = 185.000 against 150.000 → −35.00, the worst
  (December 193.000 against 166.071 → −26.93).

Social support (BHR Home, Settle & Support, 82 a month, hospital only) is short
by 83 in December, which is what the unfiltered headline says.
"""

from __future__ import annotations

import re

import pytest

from capacity.plan import plan_for
from capacity.summary import Shortfall
from capacity.views.plans import monthly_by_type, place_headline

HAVERING = "E09000016"


@pytest.fixture(scope="module")
def havering(demo_store):
    return plan_for(demo_store, HAVERING, 2025)


def sentence(frame, source: str, types: list[str], from_month: str | None = None) -> str:
    names = dict(zip(frame["service_type"], frame["service_type_name"], strict=False))
    return place_headline(
        monthly_by_type(frame, HAVERING, source), "Havering", types, from_month, names
    )


CHANCE = r" \(about an? \d+% chance of being short\)$"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("hospital", "Havering: reablement at home is 34 short in February"),
        ("community", "Havering: reablement at home is 4 short in March"),
        ("both", "Havering: reablement at home is 35 short in February"),
    ],
)
def test_reablement_only_is_headed_by_reablements_worst_month(havering, source, expected):
    text = sentence(havering, source, ["reablement_home"])
    assert re.fullmatch(re.escape(expected) + CHANCE, text), text
    assert "social support" not in text.lower()


def test_with_no_type_chosen_the_headline_is_the_places_worst(havering):
    text = sentence(havering, "both", [])
    assert text.startswith(
        "Havering: social support (incl. voluntary sector) is 83 short in December"
    ), text


def test_community_referrals_never_name_a_hospital_only_service(havering):
    # Social support at Havering takes hospital discharges only, so on community
    # referrals the worst month is reablement's March (−3.90 against rehab beds' −1.63).
    assert sentence(havering, "community", []).startswith(
        "Havering: reablement at home is 4 short in March"
    )


def test_a_filter_with_no_shortfall_says_so_for_those_types(havering):
    # Rehabilitation beds in March 2026: demand 24.333 + 1.333 = 25.667 against
    # capacity 27.950 + 1.471 = 29.421, a surplus of 3.75; no month after it.
    assert sentence(havering, "both", ["rehab_bed"], "2026-03") == (
        "Havering: no shortfall expected in the months ahead for rehabilitation in a bedded setting"
    )
    assert sentence(
        havering, "hospital", ["rehab_bed", "p3_short_term_care_home"], "2026-03"
    ).startswith(
        "Havering: short-term residential or nursing care (likely long-term need) is 4 short "
        "in March"
    )  # 11.000 against 6.608: −4.39


def test_two_types_without_a_shortfall_are_both_named(havering):
    # Social support has no community referrals, and rehab beds none short from March.
    assert sentence(havering, "community", ["rehab_bed", "social_support"], "2026-03") == (
        "Havering: no shortfall expected in the months ahead for rehabilitation in a bedded "
        "setting or social support (incl. voluntary sector)"
    )


@pytest.mark.parametrize(
    ("chance", "words"),
    [
        (0.82, "an 82%"),
        (0.80, "an 80%"),
        (0.08, "an 8%"),
        (0.11, "an 11%"),
        (0.18, "an 18%"),
        (0.70, "a 70%"),
        (0.98, "a 98%"),
        (1.0, "a 100%"),
        (0.01, "a 1%"),
    ],
)
def test_the_chance_takes_the_article_it_is_spoken_with(chance, words):
    worst = Shortfall("Havering", "Reablement at home", "2026-02", -35.0, chance)
    assert worst.sentence == (
        "Havering: reablement at home is 35 short in February "
        f"(about {words} chance of being short)"
    )
