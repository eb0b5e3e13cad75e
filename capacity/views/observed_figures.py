"""Planning with the observed figure: the one-click scenarios the Place page offers.

Where rows of the plan carry the flag that the records contradict a stated
length of stay or caseload (:mod:`capacity.observed`), the Place page offers,
per flagged service, a scenario that plans with what the records show. It is
made of the existing levers: a length of stay change of (observed ÷ stated − 1)
× 100 %, and likewise a caseload change, for that service at that place in the
months flagged. The percentages are worked from the baseline's stated figures,
so the scenario stands on its own whatever scenario the page shows; it is
saved as the Scenarios page saves (a version, its author), and a scenario of
the same name gets a new version.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from capacity.access import User
from capacity.model import PlanModel
from capacity.observed import (
    FLAG_OBSERVED_LOS,
    FLAG_OBSERVED_OCCUPANCY,
    MIN_COMPLETED_EPISODES,
    PLAN_FLAG_DIFFERENCE,
    compare_months,
    figure_text,
    stated_by_month,
    window_label,
)
from capacity.periods import month_label
from capacity.scenarios import Change, Scenario
from capacity.views._db import Database, writing
from capacity.views.scenario_choices import save_scenario

__all__ = [
    "MIN_COMPLETED_EPISODES",
    "PLAN_FLAG_DIFFERENCE",
    "ObservedOffer",
    "flagged_months",
    "observed_offers",
    "plan_with_observed",
]

MAX_NAME = 100  # the longest scenario name the store takes
# Each figure the records may contradict: its flag, the lever that moves it, the columns
# compare_months gives it under, its name in words and its unit.
FIGURES = (
    (
        FLAG_OBSERVED_LOS,
        "los_pct",
        "los_ratio",
        "stated_los_days",
        "observed_los_days",
        "length of stay",
        " days",
    ),
    (
        FLAG_OBSERVED_OCCUPANCY,
        "caseload_pct",
        "occupancy_ratio",
        "stated_places",
        "observed_occupancy",
        "caseload",
        " at once",
    ),
)
KEY = ["place_code", "service_id", "month"]


@dataclass(frozen=True)
class ObservedOffer:
    """One service's scenario that plans with the observed figures, ready to save."""

    service_id: str
    service: str
    name: str
    changes: tuple[Change, ...]
    lines: tuple[str, ...]
    description: str

    def scenario(self, author: str) -> Scenario:
        """The scenario to save, by ``author``."""
        return Scenario(self.name, self.changes, self.description, author)


def observed_offers(
    prepared: PlanModel, frame: pd.DataFrame, codes: tuple[str, ...]
) -> tuple[ObservedOffer, ...]:
    """The offers for the services of places ``codes`` whose rows of ``frame`` (the plan
    shown, under any scenario) carry an observed-figure flag; empty when none does."""
    flagged = flagged_months(frame, codes)
    if flagged.empty:
        return ()
    baseline = compare_months(stated_by_month(prepared), prepared.inputs.observed)
    found = flagged.merge(baseline, on=KEY, how="inner")
    names = prepared.service_names()
    places = prepared.inputs.all_places.set_index("place_code")["name"]
    offers = []
    for service_id, rows in found.groupby("service_id", sort=True):
        offer = _offer(str(service_id), names.get(service_id, service_id), rows, places)
        if offer is not None:
            offers.append(offer)
    return tuple(offers)


def flagged_months(frame: pd.DataFrame, codes: tuple[str, ...]) -> pd.DataFrame:
    """Per place, service and month of ``codes``, whether a row carries each observed flag."""
    rows = frame[frame["place_code"].isin(codes) & frame["service_id"].notna()]
    flags = rows["flags"].fillna("")
    marks = {flag: flags.str.contains(flag, regex=False) for flag, *_ in FIGURES}
    marked = rows[KEY].assign(**{f"has_{i}": m for i, m in enumerate(marks.values())})
    any_mark = marked[[f"has_{i}" for i in range(len(FIGURES))]].any(axis=1)
    return marked[any_mark].groupby(KEY, as_index=False).any()


def _offer(
    service_id: str, service: str, rows: pd.DataFrame, places: pd.Series
) -> ObservedOffer | None:
    changes, lines, words, where = [], [], [], []
    for index, (_, lever, ratio, stated, observed, what, unit) in enumerate(FIGURES):
        wanted = rows[rows[f"has_{index}"] & rows[ratio].notna() & (rows[ratio] != 1)]
        if wanted.empty:
            continue
        words.append(what)
        for place_code, first, last, row in _runs(wanted, ratio):
            pct = (row[ratio] - 1) * 100
            place = str(places.get(place_code, place_code))
            where += [place] if place not in where else []
            changes.append(
                Change(lever, float(pct), first, last, places=(place_code,), services=(service_id,))
            )
            lines.append(
                f"{what} {_signed(pct)} ({figure_text(row[stated])} → "
                f"{figure_text(row[observed])}{unit}) at {place}, "
                f"{month_label(first)} – {month_label(last)}"
            )
    if not changes:
        return None
    first = rows.iloc[0]
    window = window_label(
        pd.Timestamp(first["window_start"]).date(), pd.Timestamp(first["window_end"]).date()
    )
    name = f"Observed {' and '.join(words)}: {service}"
    if any(place.lower() not in service.lower() for place in where):
        name += " at " + ", ".join(where)  # a service several places share: say whose
    if len(name) > MAX_NAME:
        name = name[: MAX_NAME - 1].rstrip() + "…"
    description = (
        f"Plans {service} at {', '.join(where)} with the {' and '.join(words)} "
        f"its records show ({window}) in place of the stated figure; made on the "
        "Place page."
    )
    return ObservedOffer(service_id, service, name, tuple(changes), tuple(lines), description)


def _runs(rows: pd.DataFrame, ratio: str) -> list[tuple[str, str, str, pd.Series]]:
    """Consecutive months of one place with the same ratio, as (place, first, last, a row)."""
    runs: list[tuple[str, str, str, pd.Series]] = []
    for place_code, part in rows.sort_values(KEY).groupby("place_code", sort=True):
        for _, row in part.iterrows():
            month = row["month"]
            if (
                runs
                and runs[-1][0] == place_code
                and runs[-1][3][ratio] == row[ratio]
                and _next_month(runs[-1][2]) == month
            ):
                runs[-1] = (place_code, runs[-1][1], month, runs[-1][3])
            else:
                runs.append((str(place_code), month, month, row))
    return runs


def _next_month(key: str) -> str:
    year, month = int(key[:4]), int(key[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def _signed(pct: float) -> str:
    return f"{pct:+.1f}%".replace("-", "−")


def plan_with_observed(
    db: Database, offer: ObservedOffer, author: str, *, user: User
) -> tuple[Scenario, str]:
    """Save ``offer`` as a scenario (a new version if one of its name is in use) as ``user``;
    return it and a notice saying what changed. Raises ScenarioError when it cannot be
    saved, AccessDenied when its places (or the replaced version's) are not the user's."""
    with writing(db) as store:
        existing = store.query("scenario_by_name", name=offer.name)
        replacing = None if existing.empty else str(existing.iloc[0]["name"])
        saved = save_scenario(store, offer.scenario(author), replacing, user=user)
    what = f"as version {saved.version}" + (
        " (a scenario of that name existed)" if replacing else ""
    )
    notice = f"Saved {saved.name!r} {what}. Changed: {'; '.join(offer.lines)}."
    return saved, notice
