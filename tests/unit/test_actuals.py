"""Plan against actual: variances and band signals worked by hand, then over a real store."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from capacity import actuals
from capacity.access import local_user
from capacity.charts import plan_actual_chart
from capacity.ingest import load, stage_file
from capacity.store import Store
from capacity.views.actuals import default_snapshot, display_table, plan_against_actual
from capacity.views.snapshots import take_snapshot
from tests.conftest import monthly_referrals

HAVERING = "E09000016"
TODAY = date(2026, 1, 20)  # January 2026 is not over yet


def plan_row(month: str, demand: float, capacity: float, **extra) -> dict:
    """One snapshot row of Havering's reablement at home from hospital (one service)."""
    return {
        "place_code": HAVERING,
        "place": "Havering",
        "service_id": "hav_reablement",
        "service_type": "reablement_home",
        "service_type_name": "Reablement at home",
        "source": "hospital",
        "month": month,
        "demand": demand,
        "capacity": capacity,
        "demand_low": np.nan,
        "demand_high": np.nan,
        "interval_level": np.nan,
        "demand_years": 1,
        "demand_spread": np.nan,
        "method": "hours",
    } | extra


BAND = {"demand_low": 31.0, "demand_high": 49.0, "interval_level": 0.8, "demand_years": 3}


def hand_made() -> pd.DataFrame:
    return pd.DataFrame(
        [
            plan_row("2025-09", 40, 45, **BAND),  # over, but no actual data loaded
            plan_row("2025-10", 40, 45, **BAND),  # actual 58: above the band
            plan_row("2025-11", 40, 45),  # one year of data: no band
            plan_row("2025-12", 40, 45, **BAND),  # actual 44: within; hours raised
            plan_row("2026-01", 40, 45, **BAND),  # data for part of it, month not over
        ]
    )


def demand(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (HAVERING, "reablement_home", "hospital", m, v, "local referral records")
            for m, v in values.items()
        ],
        columns=actuals.ACTUAL_DEMAND_COLUMNS,
    )


def capacity(values: dict[str, float], assumed: bool = False) -> pd.DataFrame:
    return pd.DataFrame(
        [(HAVERING, "reablement_home", "hospital", m, v, assumed) for m, v in values.items()],
        columns=actuals.ACTUAL_CAPACITY_COLUMNS,
    )


@pytest.fixture
def table() -> pd.DataFrame:
    actual = demand({"2025-10": 58, "2025-11": 35, "2025-12": 44, "2026-01": 20})
    now = capacity({m: 45 for m in ("2025-09", "2025-10", "2025-11", "2026-01")} | {"2025-12": 52})
    out = actuals.compare(hand_made(), actual, now, TODAY)
    return out.set_index("month")


def test_a_month_above_the_band_has_its_variances_worked_by_hand(table):
    october = table.loc["2025-10"]
    assert october["happened"]
    assert october["planned_demand"] == 40 and october["actual_demand"] == 58
    assert october["demand_variance"] == 58 - 40  # +18
    assert october["planned_gap"] == 45 - 40  # 5 to spare was planned
    assert october["actual_gap"] == 45 - 58  # 13 short in fact
    assert october["gap_variance"] == -13 - 5
    assert october["capacity_variance"] == 0
    assert october["signal"] == actuals.ABOVE
    assert october["signal_words"] == "above the band"


def test_within_the_band_and_capacity_as_it_turned_out(table):
    december = table.loc["2025-12"]
    assert december["signal"] == actuals.WITHIN
    assert december["demand_variance"] == 44 - 40
    assert december["capacity_variance"] == 52 - 45
    assert december["actual_gap"] == 52 - 44


def test_a_month_with_no_band_says_so_in_words(table):
    november = table.loc["2025-11"]
    assert november["happened"] and november["demand_variance"] == -5
    assert november["signal"] == actuals.NO_BAND
    assert november["signal_words"] == "no band: the month rested on one year of data"


def test_months_not_yet_happened_keep_the_plan_and_say_why(table):
    september, january = table.loc["2025-09"], table.loc["2026-01"]
    assert not september["happened"] and not january["happened"]
    assert september["signal_words"] == "not yet: no actual demand loaded for it"
    # January's 20 referrals so far are not a month's: it is over only from 1 February.
    assert january["signal_words"] == "not yet: the month is not over"
    assert np.isnan(january["actual_demand"]) and np.isnan(january["actual_capacity"])
    assert january["planned_demand"] == 40
    feb = actuals.compare(hand_made(), demand({"2026-01": 20}), capacity({}), date(2026, 2, 1))
    assert feb.set_index("month").loc["2026-01", "happened"]


def test_the_sentences_name_the_month_outside_the_band(table):
    lines = actuals.sentences(table.reset_index(), 2025)
    assert lines[0] == (
        "Havering, October 2025 to December 2025: 3 months have happened, 3 monthly figures "
        "of demand by service type and source; actual demand was within the plan's band in 1 "
        "of the 2 with a band, above it in 1 and below it in 0; 1 had no band (the month "
        "rested on one year of data)"
    )
    assert lines[1] == (
        "Havering reablement at home, hospital discharge: actual demand 58 in October 2025, "
        "above the plan's 80% band (31–49)"
    )
    assert lines[2] == (
        "Havering reablement at home, hospital discharge: capacity as it turned out was 7 "
        "more a month than planned (December 2025)"
    )
    assert len(lines) == 3


def test_nothing_happened_yet_is_said_in_words():
    out = actuals.compare(hand_made(), demand({}), capacity({}), date(2025, 9, 15))
    assert not out["happened"].any()
    assert actuals.sentences(out, 2025) == [
        "Havering: no month of 2025-26 has happened with actual demand loaded yet; the "
        "comparison fills in as months end and their data are loaded"
    ]


def test_capacity_assumed_equal_to_demand_follows_the_actual_demand():
    out = actuals.compare(
        hand_made(), demand({"2025-10": 58}), capacity({"2025-10": 40}, assumed=True), TODAY
    )
    october = out.set_index("month").loc["2025-10"]
    assert october["actual_capacity"] == 58 and october["actual_gap"] == 0
    assert october["capacity_note"].startswith("capacity assumed equal to demand")


def test_two_services_of_a_type_add_up_with_the_band_of_the_sum():
    rows = pd.DataFrame(
        [
            plan_row("2025-10", 20, 25, demand_years=3, demand_spread=3.0, service_id="a"),
            plan_row("2025-10", 20, 15, demand_years=2, demand_spread=4.0, service_id="b"),
        ]
    ).assign(interval_level=0.8)
    out = actuals.compare(rows, demand({"2025-10": 70}), capacity({"2025-10": 40}), TODAY)
    row = out.iloc[0]
    assert row["planned_demand"] == 40 and row["planned_capacity"] == 40
    # Spreads add (3 + 4 = 7) and the fewest years count (2): t(0.9, 1 d.f.) = 3.0777, so
    # the band is 40 ± 3.0777 × 7 = 40 ± 21.54.
    assert row["demand_low"] == pytest.approx(40 - 3.0777 * 7, abs=0.01)
    assert row["demand_high"] == pytest.approx(40 + 3.0777 * 7, abs=0.01)
    assert row["signal"] == actuals.ABOVE  # 70 > 61.5


def history_rows(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "place_code": p,
                "service_type": t,
                "source": s,
                "month": pd.Timestamp(f"{m}-01"),
                "referrals": n,
                "origin": o,
            }
            for p, t, s, m, n, o in rows
        ]
    )


def test_actual_demand_reads_the_chosen_source_and_says_unknown_not_zero():
    history = history_rows(
        ("A", "reablement_home", "hospital", "2025-10", 30, "records"),
        ("A", "reablement_home", "hospital", "2025-10", 99, "counts"),  # not the source
        ("A", "reablement_home", "hospital", "2025-11", 31, "records"),  # after the last month
        ("B", "ucr", "hospital", "2025-10", 12, "counts"),
        ("C", "reablement_home", "hospital", "2025-10", 50, "sitrep"),
    )
    chosen = {
        ("A", "reablement_home"): "records",
        ("B", "ucr"): "counts",
        ("C", "reablement_home"): "sitrep",
    }
    keys = pd.DataFrame(
        [(p, t, s) for p, t in chosen for s in ("hospital", "community")],
        columns=["place_code", "service_type", "source"],
    )
    out = actuals.actual_demand(
        history, chosen, {"A": "2025-10", "B": "2025-10"}, keys, ["2025-10", "2025-11"]
    )
    got = {(r.place_code, r.source, r.month): r.actual_demand for r in out.itertuples()}
    # Referrals or counts of the type that month from one source: none from the other (zero).
    # The SitRep counts hospital discharges only: its community figure is unknown.
    assert got == {
        ("A", "hospital", "2025-10"): 30,
        ("A", "community", "2025-10"): 0,
        ("B", "hospital", "2025-10"): 12,
        ("B", "community", "2025-10"): 0,
        ("C", "hospital", "2025-10"): 50,
    }


def test_a_systems_month_is_known_only_when_every_place_has_it():
    rows = pd.DataFrame(
        [
            plan_row("2025-10", 10, 10, place_code="A"),
            plan_row("2025-10", 10, 10, place_code="B"),
            plan_row("2025-11", 10, 10, place_code="A"),
            plan_row("2025-11", 10, 10, place_code="B"),
        ]
    )
    actual = pd.DataFrame(
        [
            ("A", "reablement_home", "hospital", "2025-10", 7.0, "local referral records"),
            ("B", "reablement_home", "hospital", "2025-10", 5.0, "local referral records"),
            ("A", "reablement_home", "hospital", "2025-11", 8.0, "local referral records"),
        ],
        columns=actuals.ACTUAL_DEMAND_COLUMNS,
    )
    out = actuals.roll_up_demand(actual, rows, {"SYS": ["A", "B"]})
    system = out[out["place_code"] == "SYS"]
    assert list(zip(system["month"], system["actual_demand"], strict=True)) == [("2025-10", 12)]


# -- over a real store ---------------------------------------------------------------


def hav_reablement_hours(path, tmp_path, october_hours: int) -> None:
    """State Havering reablement's hours again, with ``october_hours`` from October 2026."""
    file = tmp_path / "hours.csv"
    file.write_text(
        "service_id,method,mean_los_days,hours_per_month,hours_per_package_per_month,"
        "valid_from,valid_to,source_note\n"
        "hav_reablement,hours,28,5000,40,2022-04-01,2023-09-30,test\n"
        "hav_reablement,hours,28,6000,40,2023-10-01,2026-09-30,test\n"
        f"hav_reablement,hours,28,{october_hours},40,2026-10-01,,test: hours raised\n"
    )
    with Store.open(path) as store:
        result = load(store, stage_file(file, "parameters", workdir=tmp_path))
    assert result.import_id is not None, result.message


def import_records(path, tmp_path, per_month: dict[str, int]) -> None:
    frame = monthly_referrals(HAVERING, "reablement_home", "hav_reablement", "hospital", per_month)
    file = tmp_path / "records.csv"
    frame.assign(referral_date=frame["referral_date"].dt.strftime("%Y-%m-%d")).drop(
        columns=["start_date", "end_date", "referring_trust"]
    ).to_csv(file, index=False)
    with Store.open(path) as store:
        result = load(store, stage_file(file, "referrals", workdir=tmp_path))
    assert result.import_id is not None, result.message


def test_records_and_parameters_loaded_after_a_snapshot_come_through(writable_db, tmp_path):
    snapshot = take_snapshot(
        writable_db, name="DIWG before winter", place_code=HAVERING, year=2026,
        scenario=None, user=local_user("test"),
    )  # fmt: skip
    today = date(2026, 12, 5)
    assert default_snapshot(writable_db, HAVERING, today) is None  # nothing of 2026 yet
    import_records(writable_db, tmp_path, {"2026-09": 50, "2026-10": 58})
    hav_reablement_hours(writable_db, tmp_path, october_hours=6500)
    result = plan_against_actual(writable_db, snapshot.snapshot_id, today)
    table = result.of_place(HAVERING)
    reab = table[table["service_type"] == "reablement_home"].set_index(["source", "month"])
    october = reab.loc[("hospital", "2026-10")]
    assert october["happened"] and october["actual_demand"] == 58
    assert october["demand_variance"] == pytest.approx(58 - october["planned_demand"])
    assert reab.loc[("community", "2026-10"), "actual_demand"] == 0  # records: none came
    # Hours raised from 6,000 to 6,500 a month (40 a package, 28-day stays): 12.5 more
    # packages at once, so 12.5 × 31 ÷ 28 = 13.84 more people in October over both sources;
    # September kept 6,000 hours and its capacity.
    both = reab.groupby(level="month")["capacity_variance"].sum()
    assert both["2026-10"] == pytest.approx(12.5 * 31 / 28)
    assert both["2026-09"] == pytest.approx(0, abs=1e-9)
    # Months over without data, and the month not over, are not yet.
    assert reab.loc[("hospital", "2026-08"), "signal_words"] == (
        "not yet: no actual demand loaded for it"
    )
    assert reab.loc[("hospital", "2026-12"), "signal_words"] == "not yet: the month is not over"
    # Other service types had no records in those months: not yet either.
    others = table[(table["service_type"] != "reablement_home") & table["happened"]]
    assert others.empty
    assert any(
        line.startswith("Havering, September 2026 to October 2026: ") for line in result.sentences
    )
    assert default_snapshot(writable_db, HAVERING, today) == snapshot.snapshot_id
    shown = display_table(table)
    assert set(shown["Signal"]) >= {"not yet: the month is not over"}


def test_a_systems_snapshot_sums_its_places_actuals(writable_db):
    snapshot = take_snapshot(
        writable_db,
        name="BHR 2025",
        place_code="BHR",
        year=2025,
        scenario=None,
        user=local_user("t"),
    )
    result = plan_against_actual(writable_db, snapshot.snapshot_id, date(2026, 12, 5))
    members = result.table[result.table["place_code"] != "BHR"]
    system = result.of_place("BHR")
    assert system["happened"].all()  # the demo's records run to March 2026
    key = ["service_type", "source", "month"]
    summed = members.groupby(key)["actual_demand"].sum()
    mine = system.set_index(key)["actual_demand"]
    assert mine.to_dict() == pytest.approx(summed.loc[mine.index].to_dict())
    assert result.sentences[0].startswith("Barking & Dagenham, Havering and Redbridge, April 2025")


def test_the_chart_marks_the_month_outside_the_band_apart(table):
    figure = plan_actual_chart(table.reset_index(), "Reablement at home")
    traces = {t.name: t for t in figure.data}
    outside = list(traces["Actual, outside the band"].y)
    inside = list(traces["Actual demand"].y)
    # Sep (no data), Oct (58, above), Nov (35, no band), Dec (44, within), Jan (not over).
    assert outside == [None, 58, None, None, None]
    assert inside == [None, None, 35, 44, None]
    assert list(traces["Planned demand"].y) == [40] * 5
