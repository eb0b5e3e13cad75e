"""What each scenario lever does to the figure it moves: one pure function for all of them.

A lever moves one figure of a segment (the scenario levers of
:mod:`capacity.scenarios`) or one series of a service's days (the Flow page's
what-if in :func:`capacity.flow.inputs.adjust`); both call :func:`move`, so "four
more beds" or "stays 10% shorter" mean the same arithmetic wherever they are
asked for. Demand levers are not here: they move demand rows, not capacity.
"""

from __future__ import annotations

import numpy as np

from capacity import formulas as f

# The figure each capacity lever moves (a segment column of capacity.model.SEGMENT_COLUMNS).
MOVES = {
    "caseload_pct": "caseload_factor",
    "caseload_delta": "caseload_extra",
    "hours_pct": "hours_factor",
    "absence_pct": "hours_factor",
    "los_days": "mean_los_days",
    "los_pct": "mean_los_days",
    "target_occupancy": "target_occupancy",
}
_ADDS = ("caseload_delta", "los_days")
_RAISES = ("caseload_pct", "hours_pct", "los_pct")


def move(
    lever: str, value: float | np.ndarray, current: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """``current`` with ``lever`` moved by ``value`` where ``mask`` is true (a new array).

    Percentages multiply (:func:`capacity.formulas.scale_by_percentage`; staff
    absence takes its percentage off), ``caseload_delta`` and ``los_days`` add,
    ``target_occupancy`` replaces. ``value`` may be one number or one per
    element (beds shared among places).
    """
    current = np.asarray(current, float)
    if lever in _ADDS:
        return current + np.where(mask, value, 0.0)
    if lever in _RAISES:
        return np.where(mask, f.scale_by_percentage(current, np.asarray(value, float)), current)
    if lever == "absence_pct":
        return np.where(mask, f.scale_by_percentage(current, -np.asarray(value, float)), current)
    if lever == "target_occupancy":
        return np.where(mask, value, current)
    raise ValueError(f"{lever!r} is not a capacity lever (one of {', '.join(MOVES)})")
