"""Demand settings per service type: checked when typed, stored, and used by the plan; and the
ONS growth ratio worked by hand from two rows of the population file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from capacity import config
from capacity.access import local_user
from capacity.demand import project_demand
from capacity.demand_settings import (
    DemandSetting,
    SettingError,
    population_ratio,
    read_settings,
    setting_for,
)
from capacity.plan import plan_for
from capacity.views.data import demand_settings, save_demand_settings
from tests.conftest import full_years, make_store, monthly_referrals, parameters

SERVICES = [
    {"service_id": "reab", "name": "Reablement A", "service_type": "reablement_home"},
    {"service_id": "beds", "name": "Beds A", "service_type": "rehab_bed"},
]
LINKS = [("reab", "A", None), ("beds", "A", None)]
PARAMS = parameters(
    {
        "service_id": "reab",
        "method": "caseload",
        "caseload": 10,
        "mean_los_days": 20,
        "valid_from": "2020-04-01",
    },
    {
        "service_id": "beds",
        "method": "caseload",
        "caseload": 10,
        "mean_los_days": 20,
        "valid_from": "2020-04-01",
    },
)

# Havering (E09000016), people aged 65+, ONS 2018-based principal projection.
HAVERING_65 = pd.DataFrame(
    {
        "code": ["E09000016", "E09000016"],
        "year": [2024, 2025],
        "age_band": ["65+", "65+"],
        "population": [48732.0, 49362.0],
        "measure": ["projection_2018based_principal"] * 2,
    }
)


def rows(*settings: dict) -> pd.DataFrame:
    base = {
        "place_code": None,
        "service_type": None,
        "window_years": 3,
        "growth_method": "flat",
        "growth_rate": 0.0,
    }
    return pd.DataFrame([base | s for s in settings])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"window_years": 0}, "window_years"),
        ({"window_years": 4}, "window_years"),
        ({"window_years": 2.5}, "window_years"),
        ({"window_years": True}, "window_years"),
        ({"growth_method": "linear"}, "growth_method"),
        ({"growth_rate": 1.5}, "growth"),
        ({"growth_rate": -1.0}, "growth"),
        ({"growth_rate": float("inf")}, "growth"),
        ({"growth_method": "ons_65", "growth_rate": 0.02}, "only to the flat method"),
        ({"place_code": "ZZ"}, "unknown place"),
        ({"service_type": "teleporting"}, "unknown service type"),
    ],
)
def test_bad_settings_are_refused_with_the_row_named(change, message):
    with pytest.raises(SettingError, match=message) as caught:
        read_settings(rows({}, change), {"A"}, {"reablement_home"})
    assert "row 2" in str(caught.value)


def test_a_key_set_twice_is_refused():
    with pytest.raises(SettingError, match="second setting"):
        read_settings(
            rows(
                {"service_type": "reablement_home"},
                {"service_type": "reablement_home", "window_years": 1},
            )
        )


def test_the_most_specific_setting_wins():
    settings = read_settings(
        rows(
            {"window_years": 3},
            {"service_type": "rehab_bed", "window_years": 2},
            {"place_code": "A", "window_years": 1, "growth_method": "trend"},
            {
                "place_code": "A",
                "service_type": "rehab_bed",
                "window_years": 1,
                "growth_rate": 0.05,
            },
        )
    )
    assert setting_for(settings, "A", "rehab_bed") == DemandSetting(1, "flat", 0.05)
    assert setting_for(settings, "B", "rehab_bed") == DemandSetting(2, "flat", 0.0)
    assert setting_for(settings, "A", "reablement_home") == DemandSetting(1, "trend", 0.0)
    assert setting_for(settings, "B", "reablement_home") == DemandSetting(3, "flat", 0.0)
    assert setting_for({}, "B", "x") == DemandSetting(3, "flat", 0.0)


def test_ons_ratio_worked_by_hand():
    # 49,362 ÷ 48,732 = 1.012928...: a year's growth in Havering's 65+ from mid-2024 to mid-2025.
    ratio = population_ratio(HAVERING_65, "E09000016", "65+", 2025, 2024)
    assert ratio == pytest.approx(49362 / 48732)
    assert ratio == pytest.approx(1.012928, abs=1e-6)
    with pytest.raises(SettingError, match="No ONS 2018-based projection"):
        population_ratio(HAVERING_65, "E09000016", "65+", 2026, 2024)


def test_the_shipped_population_file_holds_those_two_rows():
    frame = pd.read_csv(config.REFERENCE_DIR / "population.csv")
    rows_ = frame[
        (frame["code"] == "E09000016")
        & (frame["age_band"] == "65+")
        & (frame["measure"] == "projection_2018based_principal")
        & frame["year"].isin([2024, 2025])
    ].sort_values("year")
    assert list(rows_["population"]) == [48732, 49362]


def test_ons_growth_scales_each_window_year_by_its_ratio():
    history = pd.DataFrame(
        {
            "place_code": "E09000016",
            "service_type": "reablement_home",
            "service_id": None,
            "source": "hospital",
            "month": pd.date_range("2024-04-01", periods=12, freq="MS"),
            "referrals": 100.0,
        }
    )
    cover = pd.DataFrame(
        {
            "place_code": ["E09000016"],
            "first_month": [pd.Timestamp("2024-04-01")],
            "last_month": [pd.Timestamp("2025-03-01")],
        }
    )
    settings = {(None, None): DemandSetting(1, "ons_65", 0.0)}
    projection, _ = project_demand(history, cover, 2025, settings=settings, population=HAVERING_65)
    assert projection["demand"].to_numpy() == pytest.approx(np.full(12, 100 * 49362 / 48732))
    assert "ONS 2018-based projection, people aged 65+" in projection["demand_basis"].iloc[0]


def store_with_history():
    refs = pd.concat(
        [
            monthly_referrals(
                "A",
                "reablement_home",
                "reab",
                "hospital",
                full_years(2022, 2024, 6) | {"2024-04": 12},
            ),
            monthly_referrals(
                "A", "rehab_bed", "beds", "hospital", full_years(2022, 2024, 3) | {"2024-04": 9}
            ),
        ],
        ignore_index=True,
    )
    return make_store(SERVICES, LINKS, PARAMS, refs)


def test_stored_settings_reach_the_plan_per_service_type():
    store = store_with_history()
    # Reablement at home averages one year (April 2024: 12), beds three (3, 3, 9 → 5).
    saved = save_demand_settings(
        store,
        pd.DataFrame(
            [
                {
                    "place_code": None,
                    "service_type": None,
                    "window_years": 3,
                    "growth_method": "flat",
                    "growth_rate": 0.0,
                },
                {
                    "place_code": None,
                    "service_type": "reablement_home",
                    "window_years": 1,
                    "growth_method": "flat",
                    "growth_rate": 0.0,
                },
            ]
        ),
        user=local_user(),
    )
    assert saved == 2
    shown = demand_settings(store)
    assert list(shown["window_years"]) == [3, 1]
    plan = plan_for(store, "A", 2025)
    april = plan[plan["month"] == "2025-04"].set_index("service_type")
    assert april.loc["reablement_home", "demand"] == 12
    assert april.loc["rehab_bed", "demand"] == 5
    assert "one year of data" in april.loc["reablement_home", "demand_note"]
    assert np.isnan(april.loc["reablement_home", "demand_low"])
    assert april.loc["rehab_bed", "demand_years"] == 3
    # Naming a window or growth on the command line replaces them all.
    assert (
        plan_for(store, "A", 2025, window_years=3)
        .set_index("month")
        .loc["2025-04"]
        .set_index("service_type")
        .loc["reablement_home", "demand"]
        == 8
    )


def test_a_bad_row_saves_nothing():
    store = store_with_history()
    with pytest.raises(SettingError, match="row 2"):
        save_demand_settings(
            store,
            pd.DataFrame(
                [
                    {
                        "place_code": None,
                        "service_type": None,
                        "window_years": 2,
                        "growth_method": "flat",
                        "growth_rate": 1.0,
                    },
                    {
                        "place_code": None,
                        "service_type": "rehab_bed",
                        "window_years": 5,
                        "growth_method": "flat",
                        "growth_rate": 0.0,
                    },
                ]
            ),
            user=local_user(),
        )
    assert demand_settings(store).empty
    with pytest.raises(SettingError, match="not a number"):
        save_demand_settings(
            store,
            pd.DataFrame(
                [
                    {
                        "place_code": None,
                        "service_type": None,
                        "window_years": 2,
                        "growth_method": "flat",
                        "growth_rate": "lots",
                    }
                ]
            ),
            user=local_user(),
        )


def test_growth_rate_is_typed_as_a_percentage():
    store = store_with_history()
    save_demand_settings(
        store,
        pd.DataFrame(
            [
                {
                    "place_code": "A",
                    "service_type": "rehab_bed",
                    "window_years": 1,
                    "growth_method": "flat",
                    "growth_rate": 10.0,
                }
            ]
        ),
        user=local_user(),
    )
    plan = plan_for(store, "A", 2025)
    april = plan[(plan["month"] == "2025-04") & (plan["service_type"] == "rehab_bed")]
    # April 2024's 9 grown one year at 10%.
    assert april["demand"].iloc[0] == pytest.approx(9.9)
    assert demand_settings(store)["growth_rate"].iloc[0] == pytest.approx(10.0)


def test_saving_settings_moves_the_data_version_so_the_app_reads_the_plan_again():
    store = store_with_history()
    before = store.versions()[0]
    save_demand_settings(store, rows({"window_years": 2}), user=local_user())
    assert store.versions()[0] != before
