"""Plotly figures drawn from the plan frame and its summaries.

The pages and the exports use these same builders. Colours: NHS Blue for
capacity, near-black for demand, and the Okabe–Ito palette (safe for the
common kinds of colour blindness) elsewhere; a shortfall is marked both by
colour (vermillion) and by shape (a downward triangle), so it never depends on
colour alone. ``large=True`` gives the type sizes and line widths for a
projector at 1920×1080.

Each figure is written out as one specification and validated once by
``go.Figure``, which is several times quicker than adding traces one by one.
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from capacity.flow.report import month_texts
from capacity.periods import month_label

NHS_BLUE = "#005EB8"
DEMAND = "#212B32"
SHORTFALL = "#D55E00"  # Okabe–Ito vermillion
SURPLUS_FILL = "rgba(0, 94, 184, 0.14)"
SHORTFALL_FILL = "rgba(213, 94, 0, 0.28)"
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
DIVERGING = [[0.0, SHORTFALL], [0.5, "#FFFFFF"], [1.0, "#0072B2"]]
MAX_FLAG_LINES = 3
NO_SERVICE_HERE = "No service here"
FONT = "Arial, Helvetica, sans-serif"


def whole(value: float) -> str:
    """A figure rounded to a whole number for display, never shown as '-0'."""
    rounded = math.copysign(math.floor(abs(value) + 0.5), value)  # half away from zero
    return f"{rounded if rounded != 0 else 0:,.0f}"


def month_ticks(months: list[str], large: bool) -> list[str]:
    """Month axis labels: 'Apr 2025', or 'Apr<br>2025' on two lines for a projector."""
    labels = [month_label(m) for m in months]
    return [label.replace(" ", "<br>") for label in labels] if large else labels


def month_axis(months: list[str], x: list[str]) -> dict:
    """A month axis whose labels fit a narrow chart: each month's name, with the year under the
    first month and under January ('Apr<br>2025', 'May', …, 'Jan<br>2026'), so twelve labels
    sit side by side in half a laptop screen without running into one another."""
    text = []
    for index, key in enumerate(months):
        name = month_label(key)
        text.append(
            name.replace(" ", "<br>") if index == 0 or key.endswith("-01") else name.split(" ")[0]
        )
    return {"tickmode": "array", "tickvals": x, "ticktext": text, "tickangle": 0}


def title_lines(title: str, large: bool = False) -> list[str]:
    """A chart title as the lines it is drawn on, since Plotly cuts a title wider than its chart.

    Lines hold at most 56 characters (40 on a projector), which fit a chart
    half the width of a laptop screen. They break before a ' — ' or ' · '
    where they can, so each line is a whole phrase ('Havering', '· Reablement
    at home', '— hospital discharge and community · 2025-26'), and between
    words only within a phrase too long for a line.
    """
    limit = 40 if large else 56
    if len(title) <= limit or "<br>" in title:
        return [title]
    lines: list[str] = []
    for phrase in re.split(r" (?=[—·] )", title):
        if lines and len(lines[-1]) + 1 + len(phrase) <= limit:
            lines[-1] += " " + phrase
        else:
            lines += textwrap.wrap(phrase, limit, break_long_words=False)
    return lines


def _sizes(large: bool) -> dict[str, float]:
    if large:
        return {"font": 22, "title": 30, "line": 5, "marker": 20, "height": 470, "flag": 20}
    return {"font": 13, "title": 17, "line": 2.5, "marker": 11, "height": 360, "flag": 12}


def _title(title: str, large: bool) -> dict:
    """The title at the top of the figure, its lines after the first as a subtitle: Plotly
    makes room for a subtitle, but draws a title of several lines above the figure's top."""
    size = _sizes(large)
    first, *rest = title_lines(title, large)
    spec = {
        "text": first,
        "font": {"size": size["title"]},
        "x": 0,
        "xanchor": "left",
        "yref": "container",
        "y": 1,
        "yanchor": "top",
        "pad": {"t": 10},
        "automargin": True,
    }
    if rest:
        spec["subtitle"] = {"text": " <br>".join(rest), "font": {"size": size["font"]}}
    return spec


def _whole_ticks(*values: Any) -> dict:
    """A tick every person where the figures are all under five: left to itself, Plotly
    ticks 0, 0.5, 1 and the whole-number format writes '0', '1', '1'."""
    arrays = [np.asarray(v, float) for v in values if v is not None]
    finite = np.concatenate([a[np.isfinite(a)] for a in arrays]) if arrays else np.array([])
    if finite.size and np.abs(finite).max() < 5:
        return {"dtick": 1, "tick0": 0}
    return {}


def _layout(title: str, large: bool, y_title: str, **extra) -> dict:
    size = _sizes(large)
    layout: dict[str, Any] = {
        # The title at the top of the figure and the legend just above the plot: Plotly makes
        # room for both, so neither lands on the other, on the tick labels or on an axis title.
        "title": _title(title, large),
        "font": {"size": size["font"], "family": FONT},
        "separators": ".,",
        "height": size["height"],
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1,
            "yanchor": "bottom",
            "yref": "paper",
        },
        "hovermode": "x",
        "plot_bgcolor": "#FFFFFF",
        "paper_bgcolor": "#FFFFFF",
        "yaxis": {
            "title": {"text": y_title},
            "tickformat": ",.0f",
            "rangemode": "tozero",
            "gridcolor": "#E8EDEE",
            "zerolinecolor": "#AEB7BD",
        },
        "xaxis": {"type": "category", "showgrid": False},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = layout[key] | value
        else:
            layout[key] = value
    return layout


def _flag_note(flags: pd.Series, said: tuple[str, ...] = ()) -> str:
    """The flags as warning lines, leaving out those starting with a text in ``said`` (the
    chart already says them in words of its own)."""
    distinct: list[str] = []
    for text in flags.dropna():
        for part in str(text).split("; "):
            if part and part not in distinct and not part.startswith(said):
                distinct.append(part)
    if not distinct:
        return ""
    shown = distinct[:MAX_FLAG_LINES]
    extra = len(distinct) - len(shown)
    lines = [f"⚠ {flag}" for flag in shown] + ([f"… and {extra} more"] if extra else [])
    return "<br>".join(lines)


def _figure(value: float, sign: str = "") -> str:
    """A hover figure to one decimal place, or 'no data' for a missing one (never 0)."""
    return "no data" if value != value else f"{value:{sign},.1f}"


# A flag the chart says in words of its own: no service here, no demand data.
NO_SERVICE_FLAG = "no service:"
NO_DEMAND_FLAG = "no demand data ("


@dataclass(frozen=True)
class ChartState:
    """What a gap chart says in words besides its figures (from the STATE_COLUMNS of
    :func:`capacity.summary.by_service_type`; all empty for a table without them)."""

    source: str = ""  # 'Demand from local referral records', 'No demand data', …
    no_service: str = ""  # "all", "some" or ""
    no_demand_reason: str = ""

    @property
    def line(self) -> str:
        """The line under the title: no service here, then where demand comes from."""
        first = {
            "all": "No service here: all demand unmet (capacity 0)",
            "some": "Part of this demand has no service here: it is unmet (capacity 0)",
        }.get(self.no_service, "")
        return " · ".join(t for t in (first, self.source) if t)

    @property
    def said(self) -> tuple[str, ...]:
        """The flags this state already says."""
        return (NO_SERVICE_FLAG,) * bool(self.no_service) + (NO_DEMAND_FLAG,) * bool(
            self.no_demand_reason
        )


def _chart_state(data: pd.DataFrame) -> ChartState:
    if "demand_from" not in data or data.empty:
        return ChartState()
    first = data.iloc[0]
    return ChartState(*(str(first[c]) if isinstance(first[c], str) else "" for c in _STATE_COLUMNS))


_STATE_COLUMNS = ("demand_from", "no_service", "no_demand_reason")


def _add_subtitle(spec: dict, line: str, font_size: float) -> None:
    """``line`` under the title's own lines, as the last line of its subtitle."""
    wrapped = " <br>".join(textwrap.wrap(line, 90, break_long_words=False))
    if "subtitle" in spec:
        spec["subtitle"]["text"] += f" <br>{wrapped}"
    else:
        spec["subtitle"] = {"text": wrapped, "font": {"size": font_size}}


def _state_notes(state: ChartState, size: dict[str, float], all_missing: bool) -> list[dict]:
    """Labels on the plot: 'No service here' on the capacity line at 0, and 'No demand
    data' (with why) where no month has demand, so neither reads as a figure of 0."""
    notes = []
    if state.no_service == "all":
        notes.append(
            {
                "text": f"<b>{NO_SERVICE_HERE}</b>: capacity 0, all demand unmet",
                "xref": "paper",
                "yref": "y",
                "x": 0.99,
                "y": 0,
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": size["flag"] * 1.1, "color": NHS_BLUE},
                "bgcolor": "rgba(255, 255, 255, 0.85)",
            }
        )
    if all_missing:
        why = "<br>".join(textwrap.wrap(state.no_demand_reason, 60))
        notes.append(
            {
                "text": "<b>No demand data</b>" + (f"<br>{why}" if why else ""),
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": size["flag"] * 1.1, "color": DEMAND},
                "bgcolor": "rgba(255, 255, 255, 0.9)",
                "bordercolor": DEMAND,
                "borderwidth": 1,
            }
        )
    return notes


def gap_chart(monthly: pd.DataFrame, title: str, *, large: bool = False) -> go.Figure:
    """Demand and capacity by month for one service type, with the gap shaded.

    ``monthly`` has one row per month (as from :func:`capacity.summary.by_service_type`
    filtered to one type): month, demand, capacity, gap, methods, flags,
    calculation. Surplus is shaded blue, shortfall vermillion, and shortfall
    months carry a vermillion triangle. Flags are written on the chart.
    """
    size = _sizes(large)
    data = monthly.sort_values("month")
    x = month_ticks(list(data["month"]), large)
    demand = data["demand"].to_numpy(float)
    capacity = data["capacity"].to_numpy(float)
    lower = np.fmin(demand, capacity).tolist()
    short = data["gap"].to_numpy(float) < 0
    state = _chart_state(data)
    hover = [
        f"<b>{month_label(month)}</b><br>Demand {_figure(d)}<br>Capacity {_figure(c)}"
        f"<br>Gap {_figure(g, '+')}<br>Method: {m or '–'}<br>{calc}"
        + (f"<br>{state.source}" if state.source else "")
        for month, d, c, g, m, calc in zip(
            data["month"],
            demand,
            capacity,
            data["gap"],
            data["methods"],
            data["calculation"],
            strict=True,
        )
    ]
    edge = {
        "type": "scatter",
        "x": x,
        "y": lower,
        "mode": "lines",
        "line": {"width": 0},
        "hoverinfo": "skip",
        "showlegend": False,
        "name": "lower",
    }
    traces = [
        edge,
        {
            "type": "scatter",
            "x": x,
            "y": capacity.tolist(),
            "mode": "lines+markers",
            "name": "Capacity",
            "line": {"color": NHS_BLUE, "width": size["line"]},
            "marker": {"size": size["marker"] * 0.6},
            "fill": "tonexty",
            "fillcolor": SURPLUS_FILL,
            # Where a month has no demand, the capacity point carries the month's hover.
            "text": hover,
            "hovertemplate": "%{text}<extra></extra>",
            "hoverinfo": ["skip" if d == d else "text" for d in demand],
        },
        edge,
        {
            "type": "scatter",
            "x": x,
            "y": demand.tolist(),
            "mode": "lines+markers",
            "name": "Demand",
            "line": {"color": DEMAND, "width": size["line"]},
            "marker": {"size": size["marker"] * 0.6},
            "fill": "tonexty",
            "fillcolor": SHORTFALL_FILL,
            "text": hover,
            "hovertemplate": "%{text}<extra></extra>",
        },
        {
            "type": "scatter",
            "x": [v for v, s in zip(x, short, strict=True) if s],
            "y": demand[short].tolist(),
            "mode": "markers",
            "name": "Shortfall month",
            "marker": {
                "symbol": "triangle-down",
                "color": SHORTFALL,
                "size": size["marker"],
                "line": {"color": "#FFFFFF", "width": 1},
            },
            "hoverinfo": "skip",
        },
    ]
    traces += _interval_traces(data, x)
    layout = _layout(
        title,
        large,
        "People a month",
        xaxis=month_axis(list(data["month"]), x),
        yaxis=_whole_ticks(demand, capacity, data.get("demand_high")),
    )
    if state.line:
        _add_subtitle(layout["title"], state.line, size["font"])
    layout["annotations"] = _state_notes(state, size, all_missing=bool(np.isnan(demand).all()))
    note = _flag_note(data["flags"], state.said)
    if note:
        layout["annotations"] += [
            {
                "text": note,
                "xref": "paper",
                "yref": "paper",
                "x": 0.01,
                "y": 0.99,
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "align": "left",
                "font": {"size": size["flag"], "color": "#8A3B00"},
                "bgcolor": "rgba(255, 244, 229, 0.92)",
                "bordercolor": SHORTFALL,
                "borderwidth": 1,
            }
        ]
    return go.Figure({"data": traces, "layout": layout})


BAND_LABEL = "80% prediction interval"
INTERVAL_FILL = "rgba(33, 43, 50, 0.12)"  # the demand line's colour, faint


MARKED_MONTH_FILL = "rgba(255, 184, 28, 0.30)"  # NHS warm yellow, under the lines


def mark_month(figure: go.Figure, month: str, large: bool = False) -> go.Figure:
    """``figure`` (a :func:`gap_chart`) with ``month`` ('YYYY-MM') marked by a yellow band
    and its name above the plot, as when the month was chosen on the Overview's heat map.

    A month the chart does not draw leaves it as it is.
    """
    tick = month_ticks([month], large)[0]
    drawn = list(figure.data[0].x) if figure.data else []
    if tick not in drawn:
        return figure
    index = drawn.index(tick)
    # A category axis places category i at i, so the band spans the month's whole slot.
    figure.add_vrect(
        x0=index - 0.5,
        x1=index + 0.5,
        fillcolor=MARKED_MONTH_FILL,
        line_width=0,
        layer="below",
        annotation_text=month_label(month),
        annotation_position="top",
        annotation_font_color=DEMAND,
    )
    return figure


def _interval_traces(data: pd.DataFrame, x: list[str]) -> list[dict]:
    """A shaded band from demand_low to demand_high (none where no month has an interval)."""
    if "demand_high" not in data or not data["demand_high"].notna().any():
        return []
    high = data["demand_high"].to_numpy(float)
    low = data["demand_low"].to_numpy(float)
    hover = [
        "" if h != h else f"{BAND_LABEL}: {lo:,.1f} to {h:,.1f}"
        for lo, h in zip(low, high, strict=True)
    ]
    clean = [None if v != v else float(v) for v in high]
    return [
        {
            "type": "scatter",
            "x": x,
            "y": clean,
            "mode": "lines",
            "line": {"width": 0},
            "hoverinfo": "skip",
            "showlegend": False,
            "name": "interval top",
        },
        {
            "type": "scatter",
            "x": x,
            "y": [None if v != v else float(v) for v in low],
            "mode": "lines",
            "line": {"width": 0, "color": DEMAND},
            "fill": "tonexty",
            "fillcolor": INTERVAL_FILL,
            "name": BAND_LABEL,
            "text": hover,
            "hovertemplate": "%{text}<extra></extra>",
        },
    ]


SHORT_SCALE = [[0.0, "#FFFFFF"], [1.0, SHORTFALL]]


def gap_heatmap(
    matrix: pd.DataFrame,
    title: str,
    unit: str,
    *,
    large: bool = False,
    short: bool = False,
    keys: list[str] | None = None,
    height: int | None = None,
    notes: pd.DataFrame | None = None,
) -> go.Figure:
    """Places × months, coloured by gap: vermillion for shortfall, blue for surplus.

    ``short=True`` draws people short instead (values of zero or more, white to
    vermillion). ``keys`` (one per row, such as place codes) adds a layer of
    invisible square markers over the cells, carrying each row's key and month:
    a heat map trace sends no click selections, markers do, so a click on a cell
    can open that row. ``height`` overrides the height worked out from the rows.
    ``notes`` (text, the matrix's shape, with ``keys``) adds a line to a cell's hover, and
    gives a cell with no figure a hover of its own saying why it is blank (never 0).
    """
    size = _sizes(large)
    z = matrix.to_numpy(float)
    finite = z[np.isfinite(z)]
    span = float(np.abs(finite).max()) if finite.size else 1.0
    span = span or 1.0
    text = [["" if not np.isfinite(v) else whole(v) for v in row] for row in z]
    months = [month_label(m) for m in matrix.columns]
    rows = list(matrix.index)
    what = "Short" if short else "Net gap"
    value = "%{z:,.0f} " + unit + " short" if short else "Gap %{z:+,.1f} " + unit
    hover = "<b>%{y}</b><br>%{x}<br>" + value + "<extra></extra>"
    heat = {
        "type": "heatmap",
        "z": [[None if not np.isfinite(v) else v for v in row] for row in z],
        "x": months,
        "y": rows,
        "colorscale": SHORT_SCALE if short else DIVERGING,
        "zmin": 0 if short else -span,
        "zmax": span,
        "text": text,
        "texttemplate": "%{text}",
        "textfont": {"size": size["font"] * 0.85},
        "hovertemplate": hover,
        "colorbar": {"title": {"text": what}, "tickformat": ",.0f"},
        "xgap": 2,
        "ygap": 2,
    }
    if not short:
        heat["zmid"] = 0
    data = [heat]
    if keys is not None:
        heat["hoverinfo"] = "skip"  # the markers carry the hover, so a click finds them
        said = notes.reindex_like(matrix).fillna("") if notes is not None else None
        data.append(
            _cell_targets(
                matrix,
                months,
                rows,
                keys,
                text,
                hover.replace("%{z", "%{customdata[2]").replace(
                    "<extra>", "%{customdata[4]}<extra>"
                ),
                said,
            )
        )
        if said is not None:
            data.append(_blank_cells(matrix, months, rows, keys, said))
    layout = {
        # The title at the top of the figure and the legend just above the plot: Plotly makes
        # room for both, so neither lands on the other, on the tick labels or on an axis title.
        "title": _title(title, large),
        "font": {"size": size["font"], "family": FONT},
        "separators": ".,",
        "height": height or max(280, 90 + (52 if large else 38) * len(matrix.index)),
        # The month ticks sit above the plot, under the title: the margin holds the title's
        # every line (a subtitle line each after the first) and the two-line ticks.
        "margin": {
            "l": 10,
            "r": 10,
            "t": int(
                size["title"] * 1.6
                + size["font"] * (3.4 + 1.4 * (len(title_lines(title, large)) - 1))
            ),
            "b": 10,
        },
        "plot_bgcolor": "#FFFFFF",
        # Ranges fixed to the cells: the click markers would otherwise pad the axes, leaving
        # rows of blank space above the first place and below the last on a long list.
        "yaxis": {"type": "category", "range": [len(rows) - 0.5, -0.5]},
        # Month and year on two lines, so twelve months fit without turning.
        "xaxis": {
            "type": "category",
            "range": [-0.5, len(months) - 0.5],
            "side": "top",
            "tickmode": "array",
            "tickvals": months,
            "ticktext": month_ticks(list(matrix.columns), True),
        },
        "showlegend": False,
        "hovermode": "closest",
        "hoverdistance": -1,  # the nearest cell's centre, wherever in the cell the pointer is
    }
    return go.Figure({"data": data, "layout": layout})


def _cell_targets(
    matrix: pd.DataFrame,
    months: list[str],
    rows: list[str],
    keys: list[str],
    text: list[list[str]],
    hovertemplate: str,
    notes: pd.DataFrame | None = None,
) -> dict:
    """Invisible markers at the centre of each cell that has a figure, for clicks and hover
    (customdata: key, month, value, text, and a note line, '' or '<br>…')."""
    xs, ys, data = [], [], []
    for i, (row, key) in enumerate(zip(rows, keys, strict=True)):
        for j, (month, label) in enumerate(zip(months, matrix.columns, strict=True)):
            value = matrix.iat[i, j]
            if np.isfinite(value):
                note = notes.iat[i, j] if notes is not None else ""
                xs.append(month)
                ys.append(row)
                data.append([key, label, float(value), text[i][j], f"<br>{note}" if note else ""])
    return _invisible_markers(xs, ys, data, hovertemplate, "cells")


def _invisible_markers(
    xs: list[str], ys: list[str], data: list[list], hovertemplate: str, name: str
) -> dict:
    """A trace of unseen square markers on heat-map cells, there for their hover and clicks."""
    return {
        "type": "scatter",
        "mode": "markers",
        "x": xs,
        "y": ys,
        "customdata": data,
        "marker": {"symbol": "square", "size": 30, "opacity": 0},
        "selected": {"marker": {"opacity": 0}},
        "unselected": {"marker": {"opacity": 0}},
        "hovertemplate": hovertemplate,
        "name": name,
    }


def _blank_cells(
    matrix: pd.DataFrame, months: list[str], rows: list[str], keys: list[str], notes: pd.DataFrame
) -> dict:
    """Invisible markers on each cell with no figure but a note: its hover says why it is
    blank ('No demand data for …'), so a blank is never read as 0."""
    xs, ys, data = [], [], []
    for i, (row, key) in enumerate(zip(rows, keys, strict=True)):
        for j, (month, label) in enumerate(zip(months, matrix.columns, strict=True)):
            note = notes.iat[i, j]
            if not np.isfinite(matrix.iat[i, j]) and note:
                xs.append(month)
                ys.append(row)
                data.append([key, label, f"No figure: {note[0].lower()}{note[1:]}"])
    hovertemplate = "<b>%{y}</b><br>%{x}<br>%{customdata[2]}<extra></extra>"
    return _invisible_markers(xs, ys, data, hovertemplate, "blank cells")


def capacity_rate_chart(
    table: pd.DataFrame, title: str, rate: str, *, large: bool = False
) -> go.Figure:
    """Capacity per 100,000 people by place, as horizontal bars; ``rate`` says of whom
    ('per 100,000 aged 85+ (ONS mid-2023 estimate)'), on the axis and in the hover
    (``large``: the type of a wall screen)."""
    data = table.dropna(subset=["capacity_per_100k"]).sort_values("capacity_per_100k")
    bar = {
        "type": "bar",
        "x": data["capacity_per_100k"].tolist(),
        "y": list(data["place"]),
        "orientation": "h",
        "marker": {"color": NHS_BLUE},
        "text": [whole(v) for v in data["capacity_per_100k"]],
        "textposition": "outside",
        "hovertemplate": f"<b>%{{y}}</b><br>%{{x:,.1f}} a year {rate}<extra></extra>",
    }
    layout = _layout(
        title,
        large,
        "",
        hovermode="closest",
        height=max(260, 80 + (56 if large else 40) * len(data)),
        xaxis={
            "type": "linear",
            "title": {"text": f"New people a year {rate}"},
            "tickformat": ",.0f",
        },
        yaxis={"type": "category", "title": {"text": ""}, "rangemode": "normal"},
    )
    return go.Figure({"data": [bar], "layout": layout})


def volumes_chart(history: pd.DataFrame, title: str) -> go.Figure:
    """Referrals per month, one line per service type (history, not projection)."""
    traces = []
    for i, (name, group) in enumerate(history.groupby("service_type_name", sort=True)):
        ordered = group.sort_values("month")
        traces.append(
            {
                "type": "scatter",
                "x": [f"{m}-01" for m in ordered["month"]],
                "y": ordered["referrals"].tolist(),
                "mode": "lines",
                "name": name,
                "line": {"color": OKABE_ITO[i % len(OKABE_ITO)], "width": 2},
                "hovertemplate": "%{x|%b %Y}: %{y:,.0f} referrals<extra>" + name + "</extra>",
            }
        )
    # A date axis rather than one category a month: Plotly then labels as many months as fit.
    layout = _layout(
        title,
        False,
        "Referrals a month",
        hovermode="closest",
        height=420,
        xaxis={"type": "date", "tickformat": "%b %Y", "showgrid": False},
    )
    return go.Figure({"data": traces, "layout": layout})


def stated_vs_observed_chart(table: pd.DataFrame, title: str) -> go.Figure:
    """Stated caseload beside observed mean occupancy, per service.

    When ``table`` has a ``place`` column naming more than one place (a
    system), each bar is labelled "service · place".
    """
    data = table.dropna(subset=["stated_caseload", "observed_occupancy"], how="all")
    services = list(data["service"])
    if "place" in data and data["place"].nunique() > 1:
        # A service shared by a system's places has a row per place; with the service
        # alone as the label, the category axis would stack their bars on one another.
        services = [f"{s} · {p}" for s, p in zip(data["service"], data["place"], strict=True)]
    traces = [
        {
            "type": "bar",
            "y": services,
            "x": data["stated_caseload"].tolist(),
            "orientation": "h",
            "name": "Stated caseload",
            "marker": {"color": NHS_BLUE},
            "hovertemplate": "%{y}<br>Stated caseload %{x:,.1f}<extra></extra>",
        },
        {
            "type": "bar",
            "y": services,
            "x": data["observed_occupancy"].tolist(),
            "orientation": "h",
            "name": "Observed mean occupancy",
            "marker": {"color": OKABE_ITO[1]},
            "hovertemplate": "%{y}<br>Observed occupancy %{x:,.1f}<extra></extra>",
        },
    ]
    layout = _layout(
        title,
        False,
        "",
        barmode="group",
        hovermode="closest",
        height=max(260, 90 + 56 * len(data)),
        xaxis={"type": "linear", "title": {"text": "People at any one time"}, "tickformat": ",.0f"},
        yaxis={"type": "category", "title": {"text": ""}, "rangemode": "normal"},
    )
    return go.Figure({"data": traces, "layout": layout})


def scenario_chart(lines: dict[str, pd.DataFrame], title: str, *, large: bool = False) -> go.Figure:
    """The monthly gap under several scenarios (the first drawn as the baseline)."""
    size = _sizes(large)
    traces = []
    for index, (label, monthly) in enumerate(lines.items()):
        data = monthly.sort_values("month")
        traces.append(
            {
                "type": "scatter",
                "x": month_ticks(list(data["month"]), large),
                "y": data["gap"].tolist(),
                "mode": "lines+markers",
                "name": label,
                "line": {
                    "color": DEMAND if index == 0 else OKABE_ITO[(index - 1) % len(OKABE_ITO)],
                    "width": size["line"],
                    "dash": "dot" if index == 0 else "solid",
                },
                "hovertemplate": "%{x}: gap %{y:+,.1f}<extra>" + label + "</extra>",
            }
        )
    months = sorted({m for monthly in lines.values() for m in monthly["month"]})
    layout = _layout(
        title,
        large,
        "Gap (capacity − demand)",
        hovermode="x unified",
        xaxis=month_axis(months, month_ticks(months, large)),
        yaxis={
            "rangemode": "normal",
            "zeroline": True,
            "zerolinewidth": 2,
            "zerolinecolor": SHORTFALL,
        },
    )
    return go.Figure({"data": traces, "layout": layout})


def tornado_chart(
    table: pd.DataFrame, title: str, step: float = 10, *, large: bool = False
) -> go.Figure:
    """How far the winter shortfall moves when each assumption moves down and up by ``step``%
    (``large``: the type of a wall screen)."""
    data = table.iloc[::-1]
    labels = list(data["assumption"])
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "y": labels,
            "x": data["change_lower"].tolist(),
            "name": f"Assumption −{step:g}%",
            "marker": {"color": OKABE_ITO[0]},
            "hovertemplate": "%{y} −" + f"{step:g}" + "%: shortfall %{x:+,.1f}<extra></extra>",
        },
        {
            "type": "bar",
            "orientation": "h",
            "y": labels,
            "x": data["change_higher"].tolist(),
            "name": f"Assumption +{step:g}%",
            "marker": {"color": OKABE_ITO[1]},
            "hovertemplate": "%{y} +" + f"{step:g}" + "%: shortfall %{x:+,.1f}<extra></extra>",
        },
    ]
    layout = _layout(
        title,
        large,
        "",
        barmode="overlay",
        hovermode="closest",
        height=max(260, 90 + (64 if large else 48) * len(data)),
        xaxis={
            "type": "linear",
            "title": {"text": "Change in winter shortfall (people, November to March)"},
            "tickformat": "+,.0f",
            "zeroline": True,
            "zerolinewidth": 2,
        },
        yaxis={"type": "category", "title": {"text": ""}, "rangemode": "normal"},
    )
    return go.Figure({"data": traces, "layout": layout})


# -- flow ----------------------------------------------------------------------

BAND_FILL = "rgba(0, 94, 184, 0.18)"
WAIT_FILL = "rgba(213, 94, 0, 0.22)"


def _day_labels(daily: pd.DataFrame) -> list[str]:
    return pd.to_datetime(daily["date"]).dt.strftime("%Y-%m-%d").tolist()


def _band_traces(
    x: list[str], low: np.ndarray, high: np.ndarray, fill: str, name: str
) -> list[dict]:
    """An invisible lower edge and an upper edge filled down to it: a 5th–95th band."""
    edge = {"type": "scatter", "x": x, "mode": "lines", "line": {"width": 0}, "hoverinfo": "skip"}
    return [
        edge | {"y": low, "showlegend": False, "name": f"{name} (5th percentile)"},
        edge | {"y": high, "fill": "tonexty", "fillcolor": fill, "name": name},
    ]


def _day_layout(title: str, large: bool, y_title: str) -> dict:
    return _layout(
        title,
        large,
        y_title,
        hovermode="x unified",
        # One tick a month, at its first day: Plotly's own choice can label
        # a short run's fortnights, which repeats each month's name.
        xaxis={
            "type": "date",
            "tickformat": "%b<br>%Y",
            "dtick": "M1",
            "ticklabelmode": "instant",
            "showgrid": False,
        },
    )


def flow_occupancy_chart(
    daily: pd.DataFrame, title: str, *, target: float = 0.05, large: bool = False
) -> go.Figure:
    """Expected occupancy by day with its 5th–95th band, the places in force, the places
    needed to keep the chance of waiting under ``target`` (Erlang C), and the occupancy
    that 95% of days would stay under with no limit (Poisson)."""
    size = _sizes(large)
    x = _day_labels(daily)
    traces = _band_traces(
        x,
        daily["occupancy_p05"].to_numpy(float),
        daily["occupancy_p95"].to_numpy(float),
        BAND_FILL,
        "Occupancy, 5th–95th percentile",
    )
    traces += [
        {
            "type": "scatter",
            "x": x,
            "y": daily["occupancy_mean"].to_numpy(float),
            "mode": "lines",
            "name": "Expected occupancy",
            "line": {"color": NHS_BLUE, "width": size["line"]},
            "hovertemplate": "Expected occupancy %{y:,.1f}<extra></extra>",
        },
        {
            "type": "scatter",
            "x": x,
            "y": daily["beds"].to_numpy(float),
            "mode": "lines",
            "name": "Places in force",
            "line": {"color": DEMAND, "width": size["line"], "shape": "hv"},
            "hovertemplate": "Places %{y:,.0f}<extra></extra>",
        },
        {
            "type": "scatter",
            "x": x,
            "y": daily["beds_needed"].to_numpy(float),
            "mode": "lines",
            "name": f"Places needed for under {target:.0%} waiting (steady state)",
            "line": {
                "color": SHORTFALL,
                "width": size["line"] * 0.8,
                "dash": "dash",
                "shape": "hv",
            },
            "hovertemplate": "Needed %{y:,.0f}<extra></extra>",
        },
        {
            "type": "scatter",
            "x": x,
            "y": daily["unrestricted_p95"].to_numpy(float),
            "mode": "lines",
            "name": "Needed for 95% of days with no limit",
            "line": {
                "color": OKABE_ITO[2],
                "width": size["line"] * 0.8,
                "dash": "dot",
                "shape": "hv",
            },
            "hovertemplate": "With no limit, 95% of days at or under %{y:,.0f}<extra></extra>",
        },
    ]
    return go.Figure({"data": traces, "layout": _day_layout(title, large, "People in the service")})


def flow_queue_chart(
    daily: pd.DataFrame, title: str, *, baseline: pd.DataFrame | None = None, large: bool = False
) -> go.Figure:
    """Expected number waiting by day with its 5th–95th band (and the baseline's, dotted)."""
    size = _sizes(large)
    x = _day_labels(daily)
    traces = _band_traces(
        x,
        daily["waiting_p05"].to_numpy(float),
        daily["waiting_p95"].to_numpy(float),
        WAIT_FILL,
        "Waiting, 5th–95th percentile",
    )
    traces.append(
        {
            "type": "scatter",
            "x": x,
            "y": daily["waiting_mean"].to_numpy(float),
            "mode": "lines",
            "name": "Expected number waiting",
            "line": {"color": SHORTFALL, "width": size["line"]},
            "hovertemplate": "Waiting %{y:,.1f}<extra></extra>",
        }
    )
    if baseline is not None:
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": baseline["waiting_mean"].to_numpy(float),
                "mode": "lines",
                "name": "Baseline, expected waiting",
                "line": {"color": DEMAND, "width": size["line"] * 0.7, "dash": "dot"},
                "hovertemplate": "Baseline %{y:,.1f}<extra></extra>",
            }
        )
    return go.Figure({"data": traces, "layout": _day_layout(title, large, "People waiting")})


def flow_wait_chart(monthly: pd.DataFrame, title: str, *, large: bool = False) -> go.Figure:
    """Mean wait of each month's arrivals (bars, with 5th–95th whiskers) and the share who
    wait at all, simulated and by Erlang C (right-hand axis). A first month the run starts
    part-way through is named by its days ('24–30 Nov 2026')."""
    size = _sizes(large)
    labels = month_texts(monthly)
    x = [label.replace(" ", "<br>") for label in labels] if large else labels
    mean = monthly["wait_days_mean"].to_numpy(float)
    traces = [
        {
            "type": "bar",
            "x": x,
            "y": mean,
            "name": "Mean wait (days)",
            "marker": {"color": SHORTFALL, "opacity": 0.75},
            "error_y": {
                "type": "data",
                "symmetric": False,
                "array": monthly["wait_days_p95"].to_numpy(float) - mean,
                "arrayminus": mean - monthly["wait_days_p05"].to_numpy(float),
                "color": DEMAND,
                "thickness": 1.5,
            },
            "hovertemplate": "%{x}: mean wait %{y:,.1f} days<extra></extra>",
        },
        {
            "type": "scatter",
            "x": x,
            "y": monthly["p_wait"].to_numpy(float),
            "yaxis": "y2",
            "mode": "lines+markers",
            "name": "Share who wait (simulated)",
            "line": {"color": NHS_BLUE, "width": size["line"]},
            "hovertemplate": "%{x}: %{y:.0%} wait (simulated)<extra></extra>",
        },
        {
            "type": "scatter",
            "x": x,
            "y": monthly["p_wait_erlang_c"].to_numpy(float),
            "yaxis": "y2",
            "mode": "markers",
            "name": "Share who wait (Erlang C, steady state)",
            "marker": {"color": NHS_BLUE, "symbol": "diamond-open", "size": size["marker"]},
            "hovertemplate": "%{x}: %{y:.0%} wait (Erlang C)<extra></extra>",
        },
    ]
    layout = _layout(
        title,
        large,
        "Mean wait of arrivals (days)",
        hovermode="x unified",
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "range": [0, 1.05],
            "dtick": 0.2,
            "tickformat": ".0%",
            "showgrid": False,
            "title": {"text": "Arrivals who wait"},
        },
    )
    return go.Figure({"data": traces, "layout": layout})


def plan_actual_chart(table: pd.DataFrame, title: str, *, large: bool = False) -> go.Figure:
    """A snapshot's planned demand and 80% band against actual demand, month by month.

    ``table`` is the plan against actual table of one place, service type and source
    (:func:`capacity.actuals.compare`). Actual demand is a point per month that has
    happened: a blue circle, or a vermillion triangle outside the band (shape as well as
    colour). Months not yet happened have the plan only.
    """
    size = _sizes(large)
    data = table.sort_values("month")
    x = month_ticks(list(data["month"]), large)
    outside = data["signal"].isin(["above", "below"]).to_numpy(bool)
    values = data["actual_demand"].to_numpy(float)

    def actual(keep: np.ndarray, name: str, colour: str, symbol: str) -> dict:
        return {
            "type": "scatter",
            "x": x,
            "y": [float(v) if k and v == v else None for v, k in zip(values, keep, strict=True)],
            "mode": "markers",
            "name": name,
            "marker": {"size": size["line"] * 4, "color": colour, "symbol": symbol},
            "text": data["signal_words"].tolist(),
            "hovertemplate": "%{x}: actual %{y:,.0f} (%{text})<extra></extra>",
        }

    traces = _interval_traces(data, x) + [
        {
            "type": "scatter",
            "x": x,
            "y": data["planned_demand"].tolist(),
            "mode": "lines",
            "name": "Planned demand",
            "line": {"color": DEMAND, "width": size["line"], "dash": "dash"},
            "hovertemplate": "%{x}: planned %{y:,.1f}<extra></extra>",
        },
        actual(~outside, "Actual demand", NHS_BLUE, "circle"),
        actual(outside, "Actual, outside the band", SHORTFALL, "triangle-down"),
    ]
    months = list(data["month"])
    layout = _layout(
        title, large, "New people a month", xaxis=month_axis(months, x), hovermode="closest"
    )
    return go.Figure({"data": traces, "layout": layout})
