"""Shares of use: how much of a pooled service each of its places uses, from referral records.

A service that serves several places pools its beds or hours; the plan splits
its capacity between them by each place's share of use (see
:func:`capacity.segments.resolve_place_shares`). Both the plan and the Data
quality page's stated-against-observed check read the shares from here, so
they split a pooled service the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from capacity.demand import choose_window, coverage, monthly_history
from capacity.demand_settings import DemandSetting, setting_for
from capacity.periods import planning_year_months
from capacity.segments import SHARE_OF_USE, USE_COLUMNS
from capacity.store import Store


def service_use(
    store: Store,
    service_places: pd.DataFrame,
    services: pd.DataFrame,
    year: int,
    settings: Mapping[tuple, DemandSetting],
    *,
    known: tuple[list[str], pd.DataFrame, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Referrals a month to each service that serves several places, from each of them.

    Counted over each place's demand window for ``year`` (the planning years
    the projection averages), within the months its data cover, so places
    with windows of different lengths compare fairly. Referrals naming the
    service are counted; where no place's referrals name it, those of its
    service type that name no service. A place with no data in its window
    has no row (its service then falls back to another basis). ``known`` is
    (place codes, their history, their coverage) already read, to save
    reading them again. Columns: :data:`capacity.segments.USE_COLUMNS`.
    """
    links = service_places[
        service_places.groupby("service_id")["place_code"].transform("size").to_numpy() > 1
    ]
    if links.empty:
        return pd.DataFrame(columns=USE_COLUMNS)
    history, cover = _history_for(store, sorted(set(links["place_code"])), known)
    counted = _months_counted(cover, year, settings)
    if counted.empty:
        return pd.DataFrame(columns=USE_COLUMNS)
    in_window = history.merge(counted, on=["place_code", "month"])
    months = counted.groupby("place_code")["month"].agg(["size", "min", "max"])
    spans = {
        place: (int(size), first, last)
        for place, size, first, last in zip(
            months.index, months["size"], months["min"], months["max"], strict=True
        )
    }
    named = _totals(in_window[in_window["service_id"].notna()], "service_id")
    unnamed = _totals(in_window[in_window["service_id"].isna()], "service_type")
    types = dict(zip(services["service_id"], services["service_type"], strict=True))
    rows = []
    for service_id, group in links.groupby("service_id", sort=False):
        counted_here, what = named.get(service_id), "referrals"
        if counted_here is None:
            counted_here, what = (
                unnamed.get(types.get(service_id)),
                "referrals of the service type,",
            )
        rows += _use_of(service_id, group["place_code"], counted_here or {}, what, spans)
    return pd.DataFrame(rows, columns=USE_COLUMNS)


def _totals(referrals: pd.DataFrame, by: str) -> dict[object, dict[str, float]]:
    """Referrals summed by ``by`` (a service or a service type) and place: {key: {place: sum}}.

    Summed once for every service, rather than filtered again for each pooled service.
    """
    out: dict[object, dict[str, float]] = {}
    sums = referrals.groupby([by, "place_code"])["referrals"].sum()
    for (key, place), total in zip(sums.index, sums.to_numpy(float), strict=True):
        out.setdefault(key, {})[place] = total
    return out


def _history_for(
    store: Store, codes: list[str], known: tuple[list[str], pd.DataFrame, pd.DataFrame] | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Referral history and coverage of ``codes``, reusing what was read already."""
    have, history, cover = known if known is not None else ([], None, None)
    extra = [c for c in codes if c not in set(have)]
    parts = [] if history is None else [history[history["place_code"].isin(codes)]]
    spans = [] if cover is None else [cover[cover["place_code"].isin(codes)]]
    if extra:
        parts.append(monthly_history(store, extra))
        spans.append(coverage(store, extra))
    return (
        pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0],
        pd.concat(spans, ignore_index=True) if len(spans) > 1 else spans[0],
    )


def _months_counted(
    cover: pd.DataFrame, year: int, settings: Mapping[tuple, DemandSetting]
) -> pd.DataFrame:
    """Each place's months inside both its demand window and its data (place_code, month).

    Every place's window comes from the same demand settings as its own plan
    would use (its setting for all service types), so a place's share of a
    pooled service is the same whichever of its places the plan is for.
    """
    rows = []
    for span in cover.itertuples():
        window_years = setting_for(settings, span.place_code, None).window_years
        window = choose_window(
            span.first_month, span.last_month, year, window_years, span.place_code
        )
        for py in window.years:
            rows += [
                (span.place_code, pd.Timestamp(m.first_day))
                for m in planning_year_months(py)
                if span.first_month <= pd.Timestamp(m.first_day) <= span.last_month
            ]
    return pd.DataFrame(rows, columns=["place_code", "month"])


def _use_of(
    service_id: str,
    places: pd.Series,
    totals: dict[str, float],
    what: str,
    spans: dict[str, tuple[int, pd.Timestamp, pd.Timestamp]],
) -> list[tuple]:
    """One service's rows of :func:`service_use`: its referrals a month from each place.

    ``totals`` holds the referrals counted for it by place (none: the service has no rows);
    ``spans`` each place's months counted, first and last month.
    """
    places = [p for p in places if p in spans]
    if not places or not totals:
        return []
    first = min(spans[p][1] for p in places).strftime("%b %Y")
    last = max(spans[p][2] for p in places).strftime("%b %Y")
    basis = f"{SHARE_OF_USE} ({what} {first} – {last})"
    return [(service_id, p, float(totals.get(p, 0.0)) / spans[p][0], basis) for p in places]
