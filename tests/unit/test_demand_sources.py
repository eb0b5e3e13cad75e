"""Demand from national data where local records are missing: the SitRep as a place's
demand source, the default choice of source, and no demand data said in words, never zero."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from capacity.demand_settings import DemandSetting, read_settings, settings_table
from capacity.demand_sources import choose_source, enough_records
from capacity.ingest import load, stage_file
from capacity.plan import FLAG_NO_SERVICE, plan_for
from tests.conftest import full_years, make_store, monthly_referrals, parameters
from tests.sitrep_books import write_sitrep

# Each trust's share of its discharges who live in place A (and B), as a lead would set them.
SHARES = [("RF4", "A", 0.4), ("R1H", "A", 0.25), ("RF4", "B", 0.5)]
# Three months of SitRep, in the published layout. Reablement at home is P1 (domestic home,
# other and hotel); rehabilitation in a bed is P2 community rehab; P0 is not demand.
MONTHS = {
    "April 2023": {
        "RF4": {"p0": 900, "p1": 100, "p1_other": 10, "p1_hotel": 2, "p2_rehab": 50},
        "R1H": {"p0": 700, "p1": 40},
    },
    "April 2024": {
        "RF4": {"p0": 950, "p1": 120, "p2_rehab": 30},
        "R1H": {"p0": 650, "p1": 60, "p1_other": 4},
    },
    "May 2024": {"RF4": {"p1": 90}, "R1H": {"p1": 20, "p2_hospice": "-"}},
}


def _services():
    services = [
        {"service_id": "reab", "name": "A reablement", "service_type": "reablement_home"},
        {"service_id": "hsss", "name": "A home and settle", "service_type": "social_support"},
    ]
    links = [("reab", "A", None), ("hsss", "A", None)]
    params = parameters(
        {
            "service_id": "reab",
            "method": "throughput",
            "throughput": 30,
            "throughput_unit": "month",
            "hospital_share": 1.0,
            "valid_from": "2023-04-01",
        },
        {
            "service_id": "hsss",
            "method": "throughput",
            "throughput": 10,
            "throughput_unit": "month",
            "hospital_share": 1.0,
            "valid_from": "2023-04-01",
        },
    )
    return services, links, params


@pytest.fixture
def sitrep_store(tmp_path):
    services, links, params = _services()
    store = make_store(services, links, params)
    with store.transaction() as tx:
        tx.insert_frame(
            "trust_place_shares",
            pd.DataFrame(
                [
                    {"trust_code": t, "place_code": p, "share": s, "source_note": "test"}
                    for t, p, s in SHARES
                ]
            ),
        )
        settings = read_settings(
            pd.DataFrame([{"window_years": 3, "growth_method": "flat", "growth_rate": 0.10}])
        )
        tx.insert_frame("demand_settings", settings_table(settings))
    for title, trusts in MONTHS.items():
        path = write_sitrep(tmp_path / f"{title}.xlsx", title, trusts)
        assert load(store, stage_file(path, "sitrep", workdir=tmp_path)).import_id
    yield store
    store.close()


def test_sitrep_demand_is_the_projection_of_discharges_times_shares(sitrep_store):
    plan = plan_for(sitrep_store, "A", 2025)
    rows = plan.set_index(["service_id", "source", "month"], drop=False).sort_index()
    # Reablement at home at A, worked by hand: (RF4's P1 × 0.4) + (R1H's P1 × 0.25).
    april_2023 = (100 + 10 + 2) * 0.4 + 40 * 0.25  # 54.8
    april_2024 = 120 * 0.4 + (60 + 4) * 0.25  # 64.0
    may_2024 = 90 * 0.4 + 20 * 0.25  # 41.0
    # The projection: each calendar month's mean over the window years with data, each
    # year grown by 10% a year to 2025/26 (two years from 2023/24, one from 2024/25).
    april = (april_2023 * 1.1**2 + april_2024 * 1.1) / 2
    may = may_2024 * 1.1
    reab = rows.xs(("reab", "hospital"), level=["service_id", "source"])
    assert reab.loc["2025-04", "demand"] == pytest.approx(april, abs=1e-9)
    assert reab.loc["2025-05", "demand"] == pytest.approx(may, abs=1e-9)
    assert math.isnan(reab.loc["2025-06", "demand"])  # no SitRep for June: missing, not zero
    assert "no demand data for this month" in reab.loc["2025-06", "flags"]
    assert set(reab["demand_source"]) == {"NHS England discharge SitRep"}
    assert reab.loc["2025-04", "demand_note"].startswith("from NHS England discharge SitRep")
    assert reab.loc["2025-04", "gap"] == pytest.approx(30 - april, abs=1e-9)


def test_sitrep_demand_without_a_service_is_unmet_demand(sitrep_store):
    plan = plan_for(sitrep_store, "A", 2025)
    rehab = plan[(plan["service_type"] == "rehab_bed") & (plan["month"] == "2025-04")]
    assert len(rehab) == 1
    row = rehab.iloc[0]
    assert row["capacity"] == 0 and FLAG_NO_SERVICE in row["flags"]
    assert row["flags"].startswith("no service")
    # P2 community rehab: 50 × 0.4 in April 2023, 30 × 0.4 in April 2024, grown as above.
    assert row["demand"] == pytest.approx((20 * 1.1**2 + 12 * 1.1) / 2, abs=1e-9)
    assert row["gap"] == pytest.approx(-row["demand"], abs=1e-9)


def test_a_service_with_no_demand_source_says_so_never_zero(sitrep_store):
    plan = plan_for(sitrep_store, "A", 2025)
    hsss = plan[plan["service_id"] == "hsss"]
    assert len(hsss) == 12 and hsss["capacity"].eq(10).all()
    assert hsss["demand"].isna().all() and hsss["gap"].isna().all()
    assert set(hsss["demand_source"]) == {"no demand data"}
    assert hsss["flags"].str.contains("no demand data").all()
    assert hsss["demand_note"].str.startswith("no demand data").all()
    # P0 (home with no new support) is not demand, so the SitRep gives social support none;
    # reablement's community referrals are not in the SitRep either.
    reab_community = plan[(plan["service_id"] == "reab") & (plan["source"] == "community")]
    assert reab_community.empty or reab_community["demand"].isna().all()


def test_local_records_stay_the_source_where_there_are_enough(sitrep_store):
    with sitrep_store.transaction() as tx:
        tx.insert_frame(
            "referrals",
            monthly_referrals(
                "A", "reablement_home", "reab", "hospital", full_years(2022, 2024, 5)
            ),
        )
    plan = plan_for(sitrep_store, "A", 2025)
    reab = plan[(plan["service_id"] == "reab") & (plan["source"] == "hospital")]
    assert set(reab["demand_source"]) == {"local referral records"}
    # 5 referrals every month, grown 10% a year: the mean of 5 × 1.1³, 5 × 1.1², 5 × 1.1.
    expected = (5 * 1.1**3 + 5 * 1.1**2 + 5 * 1.1) / 3
    assert reab["demand"].to_numpy() == pytest.approx([expected] * 12, abs=1e-9)
    # A lead can still choose the SitRep for it.
    settings = read_settings(
        pd.DataFrame(
            [
                {"window_years": 3, "growth_method": "flat", "growth_rate": 0.10},
                {
                    "place_code": "A",
                    "service_type": "reablement_home",
                    "window_years": 3,
                    "growth_method": "flat",
                    "growth_rate": 0.10,
                    "demand_source": "sitrep",
                },
            ]
        )
    )
    with sitrep_store.transaction() as tx:
        tx.execute("delete_demand_settings")
        tx.insert_frame("demand_settings", settings_table(settings))
    plan = plan_for(sitrep_store, "A", 2025)
    april = plan[(plan["service_id"] == "reab") & (plan["month"] == "2025-04")].iloc[0]
    assert april["demand_source"] == "NHS England discharge SitRep"
    assert "chosen in the demand settings" in april["demand_note"]


MONTHS_2022_24 = pd.Series(pd.date_range("2022-04-01", "2025-03-01", freq="MS"))


@pytest.mark.parametrize(
    ("have", "setting", "expected"),
    [
        ({"records": MONTHS_2022_24, "sitrep": MONTHS_2022_24}, DemandSetting(), "records"),
        # eleven calendar months of records are not enough: counts, then the SitRep
        ({"records": MONTHS_2022_24[:11], "counts": MONTHS_2022_24[:3]}, DemandSetting(), "counts"),
        ({"records": MONTHS_2022_24[:11], "sitrep": MONTHS_2022_24}, DemandSetting(), "sitrep"),
        ({"records": MONTHS_2022_24[:11]}, DemandSetting(), "records"),
        ({}, DemandSetting(), None),
        ({"records": MONTHS_2022_24}, DemandSetting(demand_source="counts"), None),
        ({"records": MONTHS_2022_24, "counts": MONTHS_2022_24[:1]},
         DemandSetting(demand_source="counts"), "counts"),
    ],
)  # fmt: skip
def test_the_default_source_and_a_chosen_one(have, setting, expected):
    assert choose_source(have, setting, 2025).source == expected


def test_enough_records_means_every_calendar_month_of_the_window():
    assert enough_records(MONTHS_2022_24, 2025, 3)
    # one year of window: only April 2024 to March 2025 count
    assert enough_records(MONTHS_2022_24[-12:], 2025, 1)
    assert not enough_records(MONTHS_2022_24[:12], 2025, 1)  # 2022/23 is outside that window
    assert not enough_records(MONTHS_2022_24.drop(index=[7, 19, 31]), 2025, 3)  # no November


def test_a_bad_demand_source_setting_is_refused():
    from capacity.demand_settings import SettingError

    with pytest.raises(SettingError, match="demand_source must be blank"):
        read_settings(
            pd.DataFrame([{"window_years": 3, "growth_method": "flat", "demand_source": "guess"}])
        )


def test_a_place_maps_p3_new_admissions_to_none_by_file_checked_and_undoable(
    sitrep_store, tmp_path
):
    from capacity.ingest import undo_last
    from capacity.sitrep import place_demand

    extra = {"p3": 10, "p3_designated": 5, "p3b": 7}
    path = write_sitrep(tmp_path / "June 2024.xlsx", "June 2024", {"RF4": extra})
    assert load(sitrep_store, stage_file(path, "sitrep", workdir=tmp_path)).import_id

    def p3(place: str) -> float:
        frame = place_demand(sitrep_store, [place])
        rows = frame[frame["service_type"] == "p3_short_term_care_home"]
        return float(rows["discharges"].sum())

    # Reference mapping: new admissions and designated settings both feed short-term P3
    # beds; P3b (back to their own care home) does not. RF4's shares: A 0.4, B 0.5.
    assert p3("A") == pytest.approx((10 + 5) * 0.4)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "place_code,destination,service_type\n"
        "Nowhere,P3 - Care Home (new admission; likely permanent),\n"
        "A,P9 - Moon base,\n"
        "A,P3b - Care Home (existing resident discharged back),ucr\n"
    )
    refused = load(sitrep_store, stage_file(bad, "destinations", workdir=tmp_path))
    assert refused.import_id is None and refused.report.rows_rejected == 3
    reasons = set(refused.report.problems["reason"])
    assert {
        "is not a known place",
        "is not a SitRep destination of Table 4",
        "is not a service type that takes hospital discharges",
    } <= reasons
    good = tmp_path / "mapping.csv"
    good.write_text(
        "place_code,destination,service_type,source_note\n"
        '"Place A","P3 - Care Home\n(new admission, likely permanent)",,'
        "goes straight to long-term care here\n"
    )
    loaded = load(sitrep_store, stage_file(good, "destinations", workdir=tmp_path))
    assert loaded.import_id is not None, loaded.message
    assert p3("A") == pytest.approx(5 * 0.4)  # only the designated setting now
    assert p3("B") == pytest.approx((10 + 5) * 0.5)  # another place keeps the reference
    assert "destinations" in undo_last(sitrep_store)
    assert p3("A") == pytest.approx((10 + 5) * 0.4)


def test_the_overview_table_says_each_source_and_state_in_words(sitrep_store):
    from capacity.summary import demand_sources_by_place

    table = demand_sources_by_place(plan_for(sitrep_store, "A", 2025)).set_index(
        "service_type_name"
    )
    assert table.loc["Reablement at home", "demand_source"].startswith(
        "NHS England discharge SitRep"
    )
    assert table.loc["Rehabilitation in a bedded setting", "state"] == (
        "no service: all demand unmet"
    )
    assert table.loc["Social support (incl. voluntary sector)", "demand_source"] == (
        "no demand data"
    )
    assert "no demand data" in table.loc["Social support (incl. voluntary sector)", "state"]


def test_a_type_planned_from_the_sitrep_leaves_a_month_without_sitrep_missing_not_zero(
    sitrep_store,
):
    # A's social support has local records every month of 2022/23 to 2024/25, so A's local
    # data cover June. Reablement at home is planned from the SitRep, which has no June
    # loaded: its June is unknown, not a month of no demand.
    with sitrep_store.transaction() as tx:
        tx.insert_frame(
            "referrals",
            monthly_referrals("A", "social_support", "hsss", "hospital", full_years(2022, 2024, 5)),
        )
    plan = plan_for(sitrep_store, "A", 2025)
    reab = plan[(plan["service_id"] == "reab") & (plan["source"] == "hospital")]
    reab = reab.set_index("month")
    assert set(reab["demand_source"]) == {"NHS England discharge SitRep"}
    assert math.isnan(reab.loc["2025-06", "demand"]) and math.isnan(reab.loc["2025-06", "gap"])
    assert "no demand data for this month" in reab.loc["2025-06", "flags"]
    # The months the SitRep has keep their figures, worked as in the first test above.
    may = (90 * 0.4 + 20 * 0.25) * 1.1  # May 2024's 41.0, grown one year
    assert reab.loc["2025-05", "demand"] == pytest.approx(may, abs=1e-9)
    # Social support, planned from A's records, keeps every month: 5 a month grown 10% a year
    # from each of the three window years, averaged.
    hsss = plan[(plan["service_id"] == "hsss") & (plan["source"] == "hospital")]
    assert set(hsss["demand_source"]) == {"local referral records"}
    expected = (5 * 1.1**3 + 5 * 1.1**2 + 5 * 1.1) / 3
    assert hsss["demand"].to_numpy() == pytest.approx([expected] * 12, abs=1e-9)
