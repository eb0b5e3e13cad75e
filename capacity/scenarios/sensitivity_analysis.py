"""Sensitivity: how far the winter shortfall moves when one assumption moves up or down."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from capacity import formulas as f
from capacity.model import PlanModel
from capacity.periods import planning_year_months
from capacity.scenarios.applying import apply
from capacity.scenarios.model import Change, Scenario
from capacity.summary import shortfall

WINTER = ("11", "12", "01", "02", "03")

SENSITIVITY = {
    "Demand": "demand_pct",
    "Length of stay": "los_pct",
    "Caseload": "caseload_pct",
    "Commissioned hours": "hours_pct",
    "Hospital share": "hospital_share",
}


def sensitivity(
    model: PlanModel,
    compute: Callable[[PlanModel], pd.DataFrame],
    place_codes: list[str],
    service_type: str,
    step: float = 10.0,
) -> pd.DataFrame:
    """How far the winter shortfall (November to March) moves when one assumption moves ±step%.

    Returns one row per assumption: the shortfall with it lowered and raised,
    the baseline shortfall, and the changes, largest swing first.
    """
    year = model.inputs.year
    months = planning_year_months(year)
    first, last = months[0].key, months[-1].key

    def winter(p: PlanModel) -> float:
        frame = compute(p)
        frame = frame[
            frame["place_code"].isin(place_codes) & (frame["service_type"] == service_type)
        ]
        return shortfall(frame, WINTER)

    base = winter(model)
    rows = []
    for label, lever in SENSITIVITY.items():
        results = []
        for sign in (-1, 1):
            if lever == "hospital_share":
                segs = model.segments
                mask = (segs["service_type"] == service_type).to_numpy() & segs["place_code"].isin(
                    place_codes
                ).to_numpy()
                share = segs["hospital_share_used"].to_numpy(float).copy()
                share[mask] = np.clip(f.scale_by_percentage(share[mask], sign * step), 0, 1)
                changed = model.with_changes(segments=segs.assign(hospital_share_used=share))
            else:
                change = Change(
                    lever, sign * step, first, last, tuple(place_codes), (service_type,)
                )
                changed = apply(model, Scenario("sensitivity", (change,)))
            results.append(winter(changed))
        rows.append(
            {
                "assumption": label,
                "lower": results[0],
                "higher": results[1],
                "baseline": base,
                "change_lower": results[0] - base,
                "change_higher": results[1] - base,
            }
        )
    table = pd.DataFrame(rows)
    table["swing"] = (table["change_higher"] - table["change_lower"]).abs()
    return table.sort_values("swing", ascending=False).reset_index(drop=True)
