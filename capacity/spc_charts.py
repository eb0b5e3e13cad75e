"""Plotly XmR charts in the Making Data Count style, from :func:`capacity.spc.xmr`.

The series is a grey line; each point is coloured by what it says: grey for
common cause variation, blue for a special cause that is an improvement,
orange for one that is a concern, and purple for one that is neither (no
direction is better). Special causes are also drawn larger and pointing the way
they lean (a triangle up for high, down for low), so the reading never depends
on colour alone. The mean is a solid line and the process limits dashed; each
segment after a rebase has its own. The title carries the variation and
assurance icons as words.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from capacity import spc

FONT = "Arial, Helvetica, sans-serif"
LINE = "#7B7D7D"
COLOURS = {  # the Making Data Count palette
    spc.COMMON: "#7B7D7D",
    spc.IMPROVEMENT: "#289DE0",
    spc.CONCERN: "#FAB428",
    spc.NEITHER: "#361475",
}
NAMES = {
    spc.COMMON: "Common cause",
    spc.IMPROVEMENT: "Special cause: improvement",
    spc.CONCERN: "Special cause: concern",
    spc.NEITHER: "Special cause: neither",
}
RULE_NAMES = {
    "outside": "outside the limits",
    "shift": "run of 7 or more on one side of the mean",
    "trend": "6 or more rising or falling",
    "two_of_three": "2 of 3 beyond two sigma",
}


def _x(index: pd.Index) -> list:
    """The x values: dates as they are, anything else as text."""
    return list(index) if isinstance(index, pd.DatetimeIndex) else [str(i) for i in index]


def _stepped(frame: pd.DataFrame, column: str) -> tuple[list, list]:
    """x and y for a line that breaks between segments, so each keeps its own level."""
    xs, ys = [], []
    for _, part in frame.groupby("segment", sort=True):
        xs += [*_x(part.index), None]
        ys += [*part[column].tolist(), None]
    return xs[:-1], ys[:-1]


def _reasons(frame: pd.DataFrame) -> list[str]:
    """The rules each point breaks, in words, for the hover text."""
    return [
        "; ".join(name for rule, name in RULE_NAMES.items() if row[rule]) or "common cause"
        for _, row in frame.iterrows()
    ]


def _point_traces(frame: pd.DataFrame, unit: str) -> list[dict]:
    """One marker trace per kind of variation present, so the legend names each colour."""
    reasons = pd.Series(_reasons(frame), index=frame.index)
    traces = []
    for kind in (spc.COMMON, spc.IMPROVEMENT, spc.CONCERN, spc.NEITHER):
        part = frame[frame["variation"] == kind]
        if part.empty:
            continue
        special = kind != spc.COMMON
        symbols = [
            "triangle-up" if side == "high" else "triangle-down" if side == "low" else "circle"
            for side in part["side"]
        ]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": NAMES[kind],
                "x": _x(part.index),
                "y": part["value"].tolist(),
                "text": reasons[part.index].tolist(),
                "marker": {
                    "color": COLOURS[kind],
                    "size": 11 if special else 7,
                    "symbol": symbols,
                    "line": {"width": 1, "color": "#FFFFFF"},
                },
                "hovertemplate": "%{x|%b %Y}: %{y:,.1f} " + unit + "<br>%{text}<extra></extra>",
            }
        )
    return traces


def _line(frame: pd.DataFrame, column: str, name: str, dash: str) -> dict:
    xs, ys = _stepped(frame, column)
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": xs,
        "y": ys,
        "line": {"color": "#212B32" if dash == "solid" else LINE, "width": 1.5, "dash": dash},
        "hovertemplate": name + " %{y:,.1f}<extra></extra>",
    }


def icon_text(chart: spc.XmR) -> str:
    """The variation icon, and the assurance icon where there is one, as one line of words."""
    return " · ".join(text for text in (chart.variation_icon, chart.assurance_icon) if text)


def xmr_chart(chart: spc.XmR, title: str, *, unit: str = "") -> go.Figure:
    """An XmR chart: the series, its mean and process limits, special causes marked.

    ``unit`` names what is counted in the hover text (e.g. 'referrals' or 'days').
    """
    frame = chart.frame
    traces = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Value",
            "showlegend": False,
            "x": _x(frame.index),
            "y": frame["value"].tolist(),
            "line": {"color": LINE, "width": 1.5},
            "hoverinfo": "skip",
        }
    ]
    traces += _point_traces(frame, unit)
    traces += [
        _line(frame, "mean", "Mean", "solid"),
        _line(frame, "upper", "Upper process limit", "dash"),
        _line(frame, "lower", "Lower process limit", "dash"),
    ]
    if chart.target is not None:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Target",
                "x": [_x(frame.index)[0], _x(frame.index)[-1]],
                "y": [chart.target, chart.target],
                "line": {"color": "#D5281B", "width": 1.5, "dash": "dot"},
                "hovertemplate": "Target %{y:,.1f}<extra></extra>",
            }
        )
    layout = {
        "title": {"text": f"{title}<br><sup>{icon_text(chart)}</sup>", "x": 0, "xanchor": "left"},
        "font": {"family": FONT, "size": 13},
        "separators": ".,",
        "height": 380,
        "margin": {"l": 60, "r": 20, "t": 80, "b": 50},
        "plot_bgcolor": "#FFFFFF",
        "yaxis": {"title": {"text": unit}, "gridcolor": "#E8EDEE", "zeroline": False},
        "xaxis": {"gridcolor": "#E8EDEE"},
        "legend": {"orientation": "h", "y": -0.15},
    }
    return go.Figure({"data": traces, "layout": layout})
