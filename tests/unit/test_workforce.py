"""Workforce: care hours and FTE from a capacity gap, worked by hand; assumptions saved and
refused; the command; the CSV's columns."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capacity import formulas as f
from capacity import workforce as w
from capacity.access import local_user
from capacity.cli import main
from capacity.export import plan_csv
from capacity.plan import PLAN_COLUMNS, compute, load_plan_inputs, prepare
from capacity.scenarios.applying import apply
from capacity.scenarios.model import Change, Scenario
from capacity.store import Store
from capacity.views import workforce as wv
from tests.conftest import full_years, make_store, monthly_referrals, parameters

# 37.5 hours a week over a year of 52.143 weeks, in 12 months: 162.946875 paid hours a month.
FTE_HOURS = 37.5 * 52.143 / 12


# -- the worked example -------------------------------------------------------------------


def test_the_worked_example_by_hand():
    # 6,000 hours a month at 12 hours a package: a caseload of 500; a 42-day stay in a
    # 30-day month: 500 × 30 ÷ 42 = 357.142857… new people a month.
    capacity = f.capacity_from_caseload(f.caseload_from_hours(6000, 12), 30, 42)
    assert capacity == pytest.approx(357.142857142857)
    # Capacity is linear in hours: each new person a month takes 6,000 ÷ 357.14… = 16.8 hours.
    per_person = w.care_hours_per_person(12, 42, 30)
    assert per_person == pytest.approx(6000 / capacity) == pytest.approx(16.8)
    # 23 short: 23 × 16.8 = 386.4 care hours a month short.
    hours = w.care_hours_gap(-23.0, per_person)
    assert hours == pytest.approx(-386.4)
    # At 37.5 hours a week (162.946875 a month) and three-quarters with people: 122.2101…
    # contact hours per FTE, so 386.4 ÷ 122.21015625 = 3.1618 FTE short.
    assert w.hours_per_fte_month(37.5) == pytest.approx(162.946875)
    assert w.fte_gap(hours, 37.5, 0.75) == pytest.approx(-386.4 / 122.21015625)
    assert w.fte_gap(hours, 37.5, 0.75) == pytest.approx(-3.16177, abs=1e-5)


def test_occupancy_below_one_needs_more_hours_per_person():
    # 90% target occupancy: 16.8 ÷ 0.9 = 18.67 hours for each person taken on.
    assert w.care_hours_per_person(12, 42, 30, 0.9) == pytest.approx(18.666666667)
    assert w.care_hours_per_person(12, 42, 30, float("nan")) == pytest.approx(16.8)


@pytest.mark.parametrize(
    ("fte", "words"),
    [
        (-3.16177, "about 3.2 care workers' FTE"),
        (-9.94, "about 9.9 care workers' FTE"),
        (-9.96, "about 10 care workers' FTE"),
        (-23.4, "about 23 care workers' FTE"),
        (-1234.5, "about 1,234 care workers' FTE"),
        (0.02, "less than 0.1 care workers' FTE"),
        (float("nan"), ""),
    ],
)
def test_fte_reads_to_one_decimal_under_ten_and_whole_above(fte, words):
    assert w.fte_words(fte) == words


# -- properties ---------------------------------------------------------------------------

gaps = st.floats(-1e4, 1e4, allow_nan=False)
positive = st.floats(0.1, 500, allow_nan=False)


@given(gaps, gaps, positive, positive, st.integers(28, 31))
def test_the_hours_gap_is_linear_in_the_gap(a, b, package, stay, days):
    per = w.care_hours_per_person(package, stay, days)
    assert w.care_hours_gap(a + b, per) == pytest.approx(
        w.care_hours_gap(a, per) + w.care_hours_gap(b, per), abs=1e-6
    )


@given(positive, positive, st.integers(28, 31), st.floats(1, 60), st.floats(0.01, 1))
def test_no_gap_means_no_hours_and_no_staff(package, stay, days, week, share):
    hours = w.care_hours_gap(0.0, w.care_hours_per_person(package, stay, days))
    assert hours == 0 and w.fte_gap(hours, week, share) == 0


@given(gaps, st.floats(1, 60), st.floats(0.01, 1))
def test_fte_has_the_sign_of_the_gap_and_halves_when_the_share_doubles(hours, week, share):
    fte = w.fte_gap(hours, week, share / 2)
    assert math.copysign(1, fte) == math.copysign(1, hours) or hours == 0
    assert w.fte_gap(hours, week, share) == pytest.approx(fte / 2, abs=1e-9)


# -- against the plan: shares below 1 and a lever on hours -----------------------------------

HOME = {"service_id": "home", "name": "Home care", "service_type": "reablement_home"}
HOURS_ROW = {
    "service_id": "home",
    "method": "hours",
    "hours_per_month": 6000,
    "hours_per_package_per_month": 12,
    "mean_los_days": 42,
    "hospital_share": 0.5,
    "contract_share": 0.6,
    "valid_from": "2020-04-01",
}


@pytest.fixture(scope="module")
def shared():
    """Home care shared half and half by places A and B; half its capacity for hospital
    referrals; 60% of the contract is this service."""
    refs = pd.concat(
        [
            monthly_referrals("A", "reablement_home", "home", src, full_years(2024, 2024, n))
            for src, n in (("hospital", 90), ("community", 10))
        ]
    )
    store = make_store(
        [HOME], [("home", "A", 0.5), ("home", "B", 0.5)], parameters(HOURS_ROW), refs
    )
    return prepare(load_plan_inputs(store, ["A", "B"], 2025))


def november(frame: pd.DataFrame, source: str = "hospital") -> pd.Series:
    hit = frame[
        (frame["place_code"] == "A") & (frame["month"] == "2025-11") & (frame["source"] == source)
    ]
    assert len(hit) == 1
    return hit.iloc[0]


def test_shares_below_one_leave_the_hours_each_person_needs_unchanged(shared):
    row = november(compute(shared))
    # 500 packages × 30 ÷ 42 × 0.6 contract × 0.5 place × 0.5 hospital = 53.571 a month.
    assert row["capacity"] == pytest.approx(500 * 30 / 42 * 0.6 * 0.5 * 0.5)
    figures = w.workforce_frame(row.to_frame().T)
    assert figures["care_hours_per_person"].iloc[0] == pytest.approx(12 * 42 / 30)  # 16.8
    # The row's hours_per_month is A's half of the contract before the contract and hospital
    # shares: dividing it by capacity would count each person 1 ÷ (0.6 × 0.5) times over.
    assert row["hours_per_month"] / row["capacity"] == pytest.approx(16.8 / (0.6 * 0.5))
    assert figures["care_hours_gap"].iloc[0] == pytest.approx(row["gap"] * 16.8)


def test_a_lever_on_hours_moves_capacity_by_the_hours_each_person_needs(shared):
    base = november(compute(shared))
    more = november(
        compute(apply(shared, Scenario("+10%", (Change("hours_pct", 10, "2025-11", "2026-03"),))))
    )
    # 600 more hours; this row's part of them: × 0.6 contract × 0.5 place × 0.5 hospital = 90.
    added_hours = 600 * 0.6 * 0.5 * 0.5
    added_people = more["capacity"] - base["capacity"]
    assert added_hours / added_people == pytest.approx(16.8)
    figures = w.workforce_frame(more.to_frame().T)
    assert figures["care_hours_per_person"].iloc[0] == pytest.approx(16.8)
    assert figures["care_hours_gap"].iloc[0] == pytest.approx(more["gap"] * 16.8)


def test_a_lever_on_the_stay_changes_the_hours_each_person_needs(shared):
    shorter = apply(shared, Scenario("short", (Change("los_days", -6, "2025-11", "2026-03"),)))
    row = november(compute(shorter))
    assert w.workforce_frame(row.to_frame().T)["care_hours_per_person"].iloc[0] == pytest.approx(
        12 * 36 / 30
    )


def test_a_row_with_no_capacity_still_gets_its_hours_and_a_row_without_demand_says_so(shared):
    row = november(compute(shared)).copy()
    zero = row.copy()
    zero["capacity"], zero["gap"] = 0.0, -7.0  # no hours commissioned, seven people referred
    missing = row.copy()
    missing["demand"], missing["gap"] = np.nan, np.nan
    figures = w.workforce_frame(pd.DataFrame([zero, missing]))
    assert figures["care_hours_gap"].iloc[0] == pytest.approx(-7 * 16.8)
    assert figures["workforce_note"].iloc[0] == ""
    assert np.isnan(figures["fte_gap"].iloc[1])
    assert figures["workforce_note"].iloc[1] == w.NO_DEMAND


def test_rows_planned_otherwise_are_left_empty(shared):
    row = november(compute(shared)).copy()
    row["method"] = "caseload"
    figures = w.workforce_frame(row.to_frame().T)
    assert figures[["care_hours_gap", "fte_gap", "hours_per_week"]].isna().all(axis=None)
    assert figures["workforce_source"].iloc[0] == "" and figures["workforce_note"].iloc[0] == ""


# -- assumptions: saved per place, refused with the reason ------------------------------------


@pytest.fixture
def store(writable_db):
    with Store.open(writable_db) as opened:
        yield opened


def test_a_place_overrides_england_and_the_data_version_moves(store):
    before, _ = store.versions()
    assert wv.load_assumptions(store).for_place("E09000016") == w.DEFAULT
    wv.save_assumption(
        store,
        place="Havering",
        hours_per_week=36,
        productive_share=0.8,
        source_note="  Provider rota  ",
        user=local_user("tester"),
    )
    after, _ = store.versions()
    assert after != before
    found = wv.load_assumptions(store)
    own = found.for_place("E09000016")
    assert (own.hours_per_week, own.productive_share, own.source_note) == (36, 0.8, "Provider rota")
    assert own.saved_by == "tester"
    assert found.for_place("E06000034") == w.DEFAULT  # Thurrock keeps England's


def test_the_newest_setting_is_in_force_and_the_old_ones_stay_in_the_log(store):
    for hours in (35, 39):
        wv.save_assumption(
            store,
            place=None,
            hours_per_week=hours,
            productive_share=0.7,
            source_note=f"contract {hours}",
            user=local_user("t"),
        )
    assert wv.load_assumptions(store).england.hours_per_week == 39
    assert list(store.query("workforce_settings_log")["hours_per_week"]) == [39, 35]


@pytest.mark.parametrize(
    ("hours", "share", "source", "reason"),
    [
        (0, 0.75, "x", "hours a week must be more than 0 and at most 60"),
        (-5, 0.75, "x", "hours a week"),
        (60.5, 0.75, "x", "at most 60"),
        (float("nan"), 0.75, "x", "hours a week"),
        (37.5, 0, "x", "productive share must be more than 0 and at most 1"),
        (37.5, 1.2, "x", "productive share"),
        (37.5, 0.75, "", "source note is empty"),
        (37.5, 0.75, "   ", "source note is empty"),
        (37.5, 0.75, None, "source note is empty"),
        ("37.5", 0.75, "x", "hours a week"),
    ],
)
def test_bad_values_are_refused_with_the_reason_and_nothing_is_stored(
    store, hours, share, source, reason
):
    before, _ = store.versions()
    with pytest.raises(w.WorkforceError, match=reason):
        wv.save_assumption(
            store,
            place="Havering",
            hours_per_week=hours,
            productive_share=share,
            source_note=source,
            user=local_user("t"),
        )
    assert store.versions()[0] == before
    assert store.query("workforce_settings_log").empty


def test_sixty_hours_and_a_share_of_one_are_allowed():
    assert w.Assumption(60, 1, "upper limits").hours_per_fte_month == pytest.approx(
        60 * 52.143 / 12
    )


# -- the command ------------------------------------------------------------------------


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_command_shows_then_sets_a_places_figures(writable_db):
    db = ("--db", str(writable_db))
    code, out, _ = cli("workforce", "--place", "Havering", *db)
    assert code == 0 and "Havering uses England's" in out and "37.5 hours a week" in out
    assert "162.9 hours a month" in out and "Agenda for Change" in out
    code, out, _ = cli(
        "workforce", "--place", "E09000016", "--hours-per-week", "36",
        "--productive-share", "0.8", "--source", "Provider rota, October 2025", *db,
    )  # fmt: skip
    assert code == 0 and "Saved for Havering" in out
    # 36 × 52.143 ÷ 12 = 156.429 hours a month
    assert "156.4 hours a month" in out and "80%" in out
    code, out, _ = cli("workforce", *db)
    assert code == 0 and "England (every place without its own)" in out
    assert "Havering (E09000016): 36 hours a week" in out and "Provider rota" in out


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("--hours-per-week", "61", "--productive-share", "0.7", "--source", "x"), "at most 60"),
        (("--hours-per-week", "37", "--productive-share", "0", "--source", "x"), "share"),
        (("--hours-per-week", "37", "--productive-share", "0.7", "--source", ""), "empty"),
        (("--hours-per-week", "37"), "--productive-share, --source too"),
        (("--place", "Narnia", "--hours-per-week", "37", "--productive-share", "0.7",
          "--source", "x"), "Unknown place"),
    ],
)  # fmt: skip
def test_the_command_refuses_bad_values_and_stores_nothing(writable_db, args, reason):
    code, out, err = cli("workforce", *args, "--db", str(writable_db))
    assert code == 1 and out == "" and reason in err
    with Store.open(writable_db, read_only=True) as opened:
        assert opened.query("workforce_settings_log").empty


def test_a_value_that_is_not_a_number_is_a_malformed_command(writable_db):
    with pytest.raises(SystemExit) as stop:
        cli("workforce", "--hours-per-week", "lots", "--db", str(writable_db))
    assert stop.value.code == 2


# -- the CSV ------------------------------------------------------------------------------


def test_the_csv_has_the_workforce_columns_for_hours_rows_only(demo_store):
    from capacity.plan import plan_for

    frame = plan_for(demo_store, "Thurrock", 2025)
    own = w.Assumptions(by_place={"E06000034": w.Assumption(36, 0.8, "Thurrock rota")})
    back = pd.read_csv(io.BytesIO(plan_csv(frame, own)), keep_default_na=False, na_values=[""])
    assert list(back.columns) == [*PLAN_COLUMNS, *w.WORKFORCE_COLUMNS]
    hours = back[back["method"] == "hours"]
    assert len(hours) and (hours["service"].str.startswith("Thurrock Bridging")).all()
    first = hours[(hours["month"] == "2025-11")].iloc[0]
    # 48 hours a package, a 21-day stay, November's 30 days: 33.6 hours a person;
    # the FTE at 36 × 52.143 ÷ 12 = 156.429 paid hours, 80% with people.
    assert first["care_hours_per_person"] == pytest.approx(48 * 21 / 30)
    assert first["care_hours_gap"] == pytest.approx(first["gap"] * 33.6)
    assert first["fte_gap"] == pytest.approx(first["gap"] * 33.6 / (36 * 52.143 / 12 * 0.8))
    assert set(hours["workforce_source"]) == {"Thurrock rota"}
    others = back[back["method"] != "hours"]
    assert others[["care_hours_gap", "fte_gap", "hours_per_week"]].isna().all(axis=None)
    assert (others["workforce_source"].isna()).all()


def test_the_csv_falls_back_to_englands_defaults(demo_store):
    from capacity.plan import plan_for

    frame = plan_for(demo_store, "Havering", 2025)
    back = pd.read_csv(io.BytesIO(plan_csv(frame)))
    hours = back[back["method"] == "hours"]
    assert set(hours["hours_per_week"]) == {37.5} and set(hours["productive_share"]) == {0.75}
    assert hours["workforce_source"].str.contains("Agenda for Change").all()


# -- the headline and the pack's table ------------------------------------------------------


def test_the_headline_adds_fte_only_where_every_row_of_the_type_is_planned_by_hours(demo_store):
    from capacity.plan import plan_for
    from capacity.views import plans

    for place, fte in (("Thurrock", True), ("BHR", False)):
        frame = plan_for(demo_store, place, 2025)
        code = frame["place_code"].iloc[0]
        monthly = plans.monthly_by_type(frame, code, "both")
        sentence = plans.place_headline(monthly, place, ["reablement_home"])
        by_type = wv.type_workforce(frame, w.Assumptions())
        said = wv.headline(sentence, monthly, by_type, service_types=["reablement_home"])
        # BHR's reablement at home includes demand from places no hours service serves.
        assert ("care workers' FTE)" in said) is fte, said
        assert (
            said.replace(said[said.find(" (about") : said.find(")") + 1], "") == sentence or not fte
        )


def test_the_packs_table_gives_each_hours_row_its_figures_and_words(demo_store):
    from capacity.plan import plan_for

    frame = plan_for(demo_store, "Thurrock", 2025)
    table = wv.workforce_table(frame, w.Assumptions(), "E06000034")
    assert set(table["service"]) == {
        "Thurrock Bridging Service (reablement share)",
        "Thurrock Bridging Service (home care share)",
    }
    row = table.iloc[0]
    assert row["fte_gap"] == pytest.approx(row["gap"] * 48 * 21 / 30 / (FTE_HOURS * 0.75))
    assert row["words"] == w.fte_words(row["fte_gap"])
