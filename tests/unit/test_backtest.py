"""The back-test: last complete year projected from the years before it, on a history whose
answer is worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from capacity.backtest import back_test, last_complete_year, reading


def series(stype: str, source: str, by_year: dict[int, list[float]]) -> pd.DataFrame:
    rows = []
    for year, values in by_year.items():
        months = pd.date_range(pd.Timestamp(year, 4, 1), periods=len(values), freq="MS")
        rows += [
            {
                "place_code": "A",
                "service_type": stype,
                "service_id": None,
                "source": source,
                "month": m,
                "referrals": float(v),
            }
            for m, v in zip(months, values, strict=True)
            if v is not None
        ]
    return pd.DataFrame(rows)


COVER = pd.DataFrame(
    {
        "place_code": ["A"],
        "first_month": [pd.Timestamp("2022-04-01")],
        "last_month": [pd.Timestamp("2025-06-01")],
    }
)


def history() -> pd.DataFrame:
    # Reablement at home, hospital: 8 a month in 2022, 12 in 2023, then 12 in 2024 but 15 in
    # December. Community: 2 a month in 2022 and 2023; in 2024 none in May (hospital had some,
    # so a real zero) and 4 otherwise. 2025 (incomplete) must not be tested.
    hospital_2024 = [12.0] * 12
    hospital_2024[8] = 15.0  # December
    community_2024 = [4.0] * 12
    community_2024[1] = None  # May: no community referral
    return pd.concat(
        [
            series(
                "reablement_home",
                "hospital",
                {2022: [8] * 12, 2023: [12] * 12, 2024: hospital_2024, 2025: [30] * 3},
            ),
            series(
                "reablement_home",
                "community",
                {2022: [2] * 12, 2023: [2] * 12, 2024: community_2024},
            ),
        ],
        ignore_index=True,
    )


def test_last_complete_year():
    assert last_complete_year(COVER) == 2024
    ends_in_february = COVER.assign(last_month=pd.Timestamp("2025-02-01"))
    assert last_complete_year(ends_in_february) == 2023
    starts_in_may = COVER.assign(first_month=pd.Timestamp("2024-05-01"))
    assert last_complete_year(starts_in_may) is None


def test_hospital_back_test_worked_by_hand():
    test = back_test(history(), COVER, source="hospital")
    assert test.year == 2024
    row = test.table.set_index("service_type").loc["reablement_home"]
    # Projection: (8 + 12) / 2 = 10 every month. Errors: 11 months of 2/12, one of 5/15.
    assert row["months_compared"] == 12 and row["months_zero_actual"] == 0
    assert row["mape"] == pytest.approx((11 * 2 / 12 + 5 / 15) / 12)
    assert row["bias"] == pytest.approx((11 * -2 + -5) / 12)
    # Interval: s = 2.828, spread 2.828 × √1.5 = 3.464, t(0.9, 1) = 3.078: 10 ± 10.66, so
    # every actual (12 and 15) is inside.
    assert row["months_in_interval"] == 12 and row["months_with_interval"] == 12
    high = test.months["high"].iloc[0]
    assert high == pytest.approx(10 + 3.0777 * np.sqrt(8) * np.sqrt(1.5), abs=1e-3)


def test_a_month_with_no_referrals_is_left_out_of_the_mape_and_counted():
    test = back_test(history(), COVER, source="community")
    row = test.table.set_index("service_type").loc["reablement_home"]
    # Projection 2 a month; actual 4 in 11 months (each 50% out) and 0 in May.
    assert row["months_compared"] == 12 and row["months_zero_actual"] == 1
    assert row["mape"] == pytest.approx(0.5)
    assert row["bias"] == pytest.approx((11 * -2 + 2) / 12)
    # Two equal years: no spread, so the interval is 2 to 2 and no month is inside it.
    assert row["months_in_interval"] == 0 and row["months_with_interval"] == 12


def test_reading_names_the_figures():
    test = back_test(history(), COVER, source="hospital")
    text = reading(test, {"reablement_home": "Reablement at home"})
    assert "2024-25" in text and "Reablement at home" in text and "12 of 12 months" in text


def test_no_complete_year_gives_no_back_test():
    test = back_test(history(), COVER.assign(first_month=pd.Timestamp("2024-05-01")))
    assert test.year is None and test.table.empty
    assert reading(test, {}).startswith("No back-test")
