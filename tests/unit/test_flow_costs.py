"""Costs of delay and of places: the reference defaults, their checks, and the arithmetic."""

from __future__ import annotations

import dataclasses

import pytest

from capacity.flow.costs import (
    HOSPITAL_ITEM,
    Costs,
    CostSummary,
    cost_of,
    default_costs,
    load_cost_table,
)
from capacity.flow.results import PeriodSummary
from capacity.formulas import InvalidInput
from capacity.validation import ValidationError


def period(**figures) -> PeriodSummary:
    blank = {f.name: 0 for f in dataclasses.fields(PeriodSummary)} | {"label": "test"}
    return PeriodSummary(**(blank | figures))


def test_every_default_names_a_known_item_and_cites_its_source():
    table = load_cost_table()
    assert HOSPITAL_ITEM in table.index
    for item, row in table.iterrows():
        note = row["source_note"]
        assert (
            "seeds/" in note
            or "Assumption" in note
            or "Not costed" in note
            or "kingsfund.org.uk" in note
        ), item


def test_the_seed_documents_care_costs_per_day():
    # seeds/000_4517444129b49b72.txt:1196: nursing £1,100–1,200 and residential £900–1,000 a
    # week; home care about £24 an hour.
    assert default_costs("p3_short_term_care_home").place_per_day == pytest.approx(1150 / 7)
    assert default_costs("rehab_bed").place_per_day == pytest.approx(950 / 7)
    assert default_costs("reablement_home").place_per_day == pytest.approx(24)
    assert default_costs("ucr").place_per_day == 0  # not costed
    assert default_costs("rehab_bed").hospital_bed_per_day == pytest.approx(395)


def test_block_places_are_paid_for_full_or_empty_and_spot_only_when_used():
    days = period(place_days=3000, occupied_place_days=2800, hospital_delay_bed_days=100)
    costs = Costs(hospital_bed_per_day=400, place_per_day=150)
    block = cost_of(days, costs, "block")
    spot = cost_of(days, costs, "spot")
    assert block.place_cost == 3000 * 150 and spot.place_cost == 2800 * 150
    assert block.delay_cost == spot.delay_cost == 100 * 400
    assert block.total == 3000 * 150 + 100 * 400


def test_net_cost_is_the_what_if_less_the_baseline():
    baseline = CostSummary(3000, 500, 450_000, 200_000)
    more_beds = CostSummary(3600, 100, 540_000, 40_000)
    net = more_beds.minus(baseline)
    assert net.place_cost == 90_000 and net.delay_cost == -160_000
    assert net.total == -70_000  # a saving


def test_negative_costs_are_refused_naming_the_field():
    with pytest.raises(ValueError, match="place_per_day"):
        Costs(hospital_bed_per_day=395, place_per_day=-1)


def test_a_bad_cost_table_says_which_row_is_wrong(tmp_path):
    path = tmp_path / "flow_costs.csv"
    path.write_text(
        "item,amount,per,source_note\n"
        "delayed_hospital_bed,395,day,x\n"
        "teleportation,10,day,x\n"
        "rehab_bed,-5,week,x\n"
        "reablement_home,24,,x\n",
        "utf-8",
    )
    with pytest.raises(ValidationError) as raised:
        load_cost_table(path)
    text = str(raised.value)
    assert "row 4, amount" in text
    path.write_text(
        "item,amount,per,source_note\ndelayed_hospital_bed,395,day,x\n"
        "teleportation,10,day,x\nreablement_home,24,,x\n",
        "utf-8",
    )
    with pytest.raises(ValidationError) as raised:
        load_cost_table(path)
    text = str(raised.value)
    assert "row 3, item 'teleportation'" in text and "row 4, per" in text


@pytest.mark.parametrize(
    ("bed", "place", "field"),
    [
        (float("inf"), 10.0, "hospital_bed_per_day"),
        (395.0, float("nan"), "place_per_day"),
        (395.0, 100_001.0, "place_per_day"),
    ],
)
def test_costs_must_be_finite_amounts_within_the_limit(bed, place, field):
    with pytest.raises(InvalidInput) as raised:
        Costs(bed, place)
    assert raised.value.field == field
