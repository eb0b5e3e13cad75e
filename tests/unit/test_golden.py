"""The whole plan frame for one demo place, against a file checked in on purpose.

Any change to the formulas, the demand projection or the demo data shows up
here as a difference to review. When a change is intended, regenerate with
``UPDATE_GOLDEN=1 python -m pytest tests/unit/test_golden.py`` and commit the
new file with the change that explains it.
"""

from __future__ import annotations

import os

import pandas as pd

from capacity import config
from capacity.plan import PLAN_COLUMNS, plan_for

GOLDEN = config.PROJECT_ROOT / "tests" / "golden" / "plan_havering_2025.csv"
NUMBERS = [
    "days_in_month",
    "demand",
    "capacity",
    "gap",
    "utilisation",
    "spot_capacity",
    # The interval's bounds are t × spread: t is worked in closed form (capacity.interval),
    # so a bound may differ from the file's in its last binary digit, never more than 1e-9.
    "demand_low",
    "demand_high",
    "demand_spread",
    "caseload",
    "mean_los_days",
    "hours_per_month",
    "hours_per_package_per_month",
    "throughput",
    "target_occupancy",
    "contract_share",
    "place_share",
    "hospital_share",
]


def test_havering_2025_plan_matches_the_golden_file(demo_store):
    frame = plan_for(demo_store, "Havering", 2025)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        frame.to_csv(GOLDEN, index=False, lineterminator="\n")
    golden = pd.read_csv(GOLDEN, dtype=str, keep_default_na=False)
    fresh = frame.astype(object).where(frame.notna(), "").astype(str)
    assert list(golden.columns) == PLAN_COLUMNS
    assert len(fresh) == len(golden)
    for column in PLAN_COLUMNS:
        if column in NUMBERS:
            pd.testing.assert_series_equal(
                pd.to_numeric(fresh[column].replace("", None)),
                pd.to_numeric(golden[column].replace("", None)),
                check_names=False,
                rtol=1e-9,
                atol=1e-9,
                check_dtype=False,
            )
        else:
            assert list(fresh[column]) == list(golden[column]), column
