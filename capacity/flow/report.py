"""Words and tables from a flow run, shared by the Flow page and the command line.

Figures stay unrounded in the frames; only the sentences and the display
table round them. When some people are still waiting when the run stops (no
places, or a queue the places cannot clear), their waits are counted only to
then: the words say "more than", the table "over", and the CSV's
``still_waiting_at_end`` is above zero.
"""

from __future__ import annotations

import math

import pandas as pd

from capacity.display import figure
from capacity.flow.costs import CostSummary
from capacity.flow.inputs import FlowInputs, over_places_at_start
from capacity.flow.results import FlowResult, PeriodSummary
from capacity.formulas import days_in_month
from capacity.periods import month_label

MONTH_COLUMNS = [
    "month",
    "first_day",
    "days",
    "arrivals",
    "beds_min",
    "beds_max",
    "beds_mean",
    "mean_los_days",
    "occupancy_mean",
    "occupancy_p05",
    "occupancy_p95",
    "waiting_mean",
    "waiting_p05",
    "waiting_p95",
    "wait_days_mean",
    "wait_days_p05",
    "wait_days_p95",
    "still_waiting_at_end",
    "p_wait",
    "delay_bed_days_mean",
    "delay_bed_days_p05",
    "delay_bed_days_p95",
    "hospital_delay_bed_days",
    "offered_load",
    "p_wait_erlang_c",
    "wait_days_steady",
    "queue_growth_per_day",
    "beds_needed",
    "unrestricted_p95",
]
DAY_COLUMNS = [
    "date",
    "month",
    "arrivals_expected",
    "caseload",
    "beds",
    "mean_los_days",
    "occupancy_mean",
    "occupancy_p05",
    "occupancy_p95",
    "waiting_mean",
    "waiting_p05",
    "waiting_p95",
    "wait_days_mean",
    "still_waiting_at_end",
    "p_wait",
    "offered_load",
    "p_wait_erlang_c",
    "wait_days_steady",
    "queue_growth_per_day",
    "beds_needed",
    "unrestricted_p95",
]


def places_text(period: PeriodSummary) -> str:
    """'20 places', or '57–61 places' when they change within the period."""
    if period.beds_min == period.beds_max:
        return f"{period.beds_min:,} place" + ("" if period.beds_min == 1 else "s")
    return f"{period.beds_min:,}–{period.beds_max:,} places"


def headline(result: FlowResult, period: PeriodSummary | None = None) -> str:
    """What a lead needs in one paragraph: who waits, how long, and the places that would do."""
    p = period or result.winter
    target = f"{result.target:.0%}"
    if not p.arrivals:
        return (
            f"No arrivals are expected in {p.label}, so nobody waits; {places_text(p)} are planned."
        )
    return (
        f"In {p.label}, with {places_text(p)}: on an average day {figure(p.waiting_mean)} "
        f"people wait (5–95%: {figure(p.waiting_p05)} to {figure(p.waiting_p95)}); "
        f"{wait_text(p, result.runout_days)} {p.p_wait:.0%} of arrivals wait at all. That is "
        f"{p.hospital_delay_bed_days:,.0f} bed-days of delay in hospital. Keeping the chance "
        f"of waiting under {target} needs {p.beds_needed:,} places in the busiest month "
        f"(steady state); with no limit, occupancy would stay at or under "
        f"{p.unrestricted_p95:,} on 95% of days."
    )


def wait_text(p: PeriodSummary, runout_days: int) -> str:
    """How long an arrival waits, ending with its joining word; 'more than' when cut off.

    An arrival still waiting when the run stops (``runout_days`` after the
    last day) has its wait counted only to then, so the mean is a lower bound.
    """
    if p.waits_cut_off:
        return (
            f"an arrival waits more than {p.wait_days_mean:,.1f} days on average: "
            f"{_still_waiting(p.still_waiting_at_end)} when the run stops, "
            f"{runout_days:,} days after the year ends, and their waits are counted only "
            f"to then;"
        )
    return (
        f"an arrival waits {p.wait_days_mean:,.1f} days on average "
        f"({p.wait_days_p05:,.1f} to {p.wait_days_p95:,.1f}) and"
    )


def _still_waiting(mean: float) -> str:
    if mean >= 0.05:
        return f"on average {mean:,.1f} of them are still waiting"
    return "in a few runs some of them are still waiting"


def start_text(result: FlowResult) -> str:
    """How the starting conditions play out: when the people waiting on day one are admitted.

    Never says they are all admitted when, in some runs, some were still
    waiting when the run stopped.
    """
    inputs = result.inputs
    dates = pd.to_datetime(inputs.dates)
    text = (
        f"Starting on {dates[0]:%-d %b %Y} with {inputs.in_service_today:,} in the service "
        f"and {inputs.waiting_today:,} waiting."
    )
    if not inputs.waiting_today:
        return text
    median, late = result.first_queue_admitted_p50, result.first_queue_admitted_p95
    stops = f"the run stops, {result.runout_days:,} days after the year ends"

    def day(index: float) -> str:
        if index < len(dates):
            return dates[int(index)].strftime("%-d %b %Y")
        return f"{int(index) - len(dates) + 1} days after the year ends"

    if math.isinf(median):
        return text + (
            f" Those waiting on the first day are not all admitted by the time "
            f"{stops}: {_still_waiting(result.first_queue_still_waiting_mean)} "
            f"then."
        )
    if math.isinf(late):
        return text + (
            f" Those waiting on the first day are all admitted by {day(median)} in "
            f"half the runs, but in {result.first_queue_unfinished_share:.0%} of "
            f"runs some are still waiting when {stops}."
        )
    return text + (
        f" Those waiting on the first day are all admitted by {day(median)} "
        f"(by {day(late)} in 95% of runs)."
    )


def over_places_warning(inputs: FlowInputs) -> str:
    """What the model does with more people in the service on the first day than its places
    ('' when there are not): they stay until their stays end, and nobody new starts until
    occupancy is below the places."""
    over = over_places_at_start(inputs)
    if not over:
        return ""
    places = int(inputs.beds[0])
    day = pd.Timestamp(inputs.dates[0])
    return (
        f"{inputs.in_service_today:,} people are in the service on {day:%-d %b %Y}, "
        f"{over:,} more than its {places:,} place{'' if places == 1 else 's'}. The model "
        f"keeps them until their stays end and admits nobody new until occupancy is below "
        f"the places, so occupancy starts above the places and everyone who arrives "
        f"meanwhile waits. Check the number if that is not what you meant."
    )


def month_text(month: str, first_day: str, days: int) -> str:
    """A month's name, or the days of it a run covers when it starts part-way through:
    ('2026-11', '2026-11-24', 7) → '24–30 Nov 2026'."""
    year, number = (int(part) for part in month.split("-"))
    if days == days_in_month(year, number):
        return month_label(month)
    first = pd.Timestamp(first_day)
    if days == 1:
        return f"{first:%-d %b %Y}"
    return f"{first.day}–{first.day + days - 1} {first:%b %Y}"


def month_texts(monthly: pd.DataFrame) -> list[str]:
    """:func:`month_text` for each row of a month frame."""
    return [
        month_text(m, f, d)
        for m, f, d in zip(monthly["month"], monthly["first_day"], monthly["days"], strict=True)
    ]


def cost_text(label: str, costs: CostSummary, net: CostSummary | None = None) -> str:
    """One line of costs, with the change against the baseline when given ('the same' when it
    rounds to under £1)."""
    line = (
        f"{label}: places £{costs.place_cost:,.0f} ({costs.place_days:,.0f} place-days), "
        f"delay £{costs.delay_cost:,.0f} ({costs.hospital_delay_bed_days:,.0f} hospital "
        f"bed-days), total £{costs.total:,.0f}"
    )
    if net is not None and round(net.total) == 0:
        line += "; the same as the baseline"
    elif net is not None:
        word = "more" if net.total > 0 else "less"
        line += f"; £{abs(net.total):,.0f} {word} than the baseline"
    return line


def display_table(monthly: pd.DataFrame) -> pd.DataFrame:
    """The month frame rounded for reading (one decimal; chances as whole percentages)."""

    def band(mean: str, low: str, high: str, digits: int = 1) -> list[str]:
        return [
            _band_text(m, lo, hi, digits)
            for m, lo, hi in zip(monthly[mean], monthly[low], monthly[high], strict=True)
        ]

    def places(row) -> str:
        return (
            f"{row.beds_min:,}"
            if row.beds_min == row.beds_max
            else f"{row.beds_min:,}–{row.beds_max:,}"
        )

    cut_off = monthly["still_waiting_at_end"] > 0
    waits = [
        f"over {m:,.1f}" if cut else text
        for m, cut, text in zip(
            monthly["wait_days_mean"],
            cut_off,
            band("wait_days_mean", "wait_days_p05", "wait_days_p95"),
            strict=True,
        )
    ]
    table = pd.DataFrame(
        {
            "month": month_texts(monthly),
            "arrivals": monthly["arrivals"].map(lambda v: f"{v:,.1f}"),
            "places": [places(r) for r in monthly.itertuples()],
            "occupancy": band("occupancy_mean", "occupancy_p05", "occupancy_p95"),
            "waiting": band("waiting_mean", "waiting_p05", "waiting_p95"),
            "wait days": waits,
            "P(wait)": monthly["p_wait"].map(_percent),
            "Erlang C": monthly["p_wait_erlang_c"].map(_percent),
            "places needed": monthly["beds_needed"].map(lambda v: f"{v:,.0f}"),
            "95% unlimited": monthly["unrestricted_p95"].map(lambda v: f"{v:,.0f}"),
            "delay bed-days": monthly["delay_bed_days_mean"].map(lambda v: f"{v:,.0f}"),
        }
    )
    if cut_off.any():
        # Only when the run stopped with people still waiting: their waits are cut off there.
        table.insert(
            table.columns.get_loc("wait days") + 1,
            "still waiting at the end",
            monthly["still_waiting_at_end"].map(lambda v: f"{v:,.1f}"),
        )
    return table


def _percent(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:.0%}"


def _band_text(mean: float, low: float, high: float, digits: int = 1) -> str:
    """'4.2 (1.0–8.5)'; the mean alone when the band is missing; '–' when the mean is."""
    if pd.isna(mean):
        return "–"
    if pd.isna(low) or pd.isna(high):
        return f"{mean:,.{digits}f}"
    return f"{mean:,.{digits}f} ({low:,.{digits}f}–{high:,.{digits}f})"


def csv_frame(result: FlowResult, *, daily: bool = False, **ids: str) -> pd.DataFrame:
    """The month (or day) frame, unrounded, with identifying columns in front."""
    frame = result.daily[DAY_COLUMNS] if daily else result.monthly[MONTH_COLUMNS]
    frame = frame.copy()
    if daily:
        frame["date"] = pd.to_datetime(frame["date"]).dt.strftime("%Y-%m-%d")
    for position, (name, value) in enumerate(ids.items()):
        frame.insert(position, name, value)
    return frame
