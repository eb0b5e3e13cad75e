"""The XmR chart figure: series, mean, limits, special causes coloured, icons in the title."""

from __future__ import annotations

import pandas as pd
import pytest

from capacity import spc
from capacity.spc_charts import COLOURS, xmr_chart


def series(values) -> pd.Series:
    return pd.Series(
        values, index=pd.date_range("2023-04", periods=len(values), freq="MS"), dtype=float
    )


def test_the_figure_has_the_series_mean_limits_and_coloured_special_causes():
    # Baseline mean 10, limits 4.68 to 15.32; 20 is outside: a concern when lower is better.
    chart = spc.xmr(
        series([11, 9, 11, 9, 11, 9, 10, 20]), baseline=6, improvement="decrease", target=12
    )
    figure = xmr_chart(chart, "Referrals to Home First", unit="referrals")
    names = [trace.name for trace in figure.data]
    assert names == [
        "Value",
        "Common cause",
        "Special cause: concern",
        "Mean",
        "Upper process limit",
        "Lower process limit",
        "Target",
    ]
    concern = figure.data[2]
    assert list(concern.y) == [20]
    assert concern.marker.color == COLOURS[spc.CONCERN] == "#FAB428"
    assert list(concern.marker.symbol) == ["triangle-up"]
    assert "outside the limits" in concern.text[0]
    assert figure.data[1].marker.color == "#7B7D7D"
    assert list(figure.data[4].y) == pytest.approx([15.32] * 8)
    title = figure.layout.title.text
    assert title.startswith("Referrals to Home First")
    assert "concerning (high)" in title and "hit and miss" in title


def test_improvements_are_blue_and_each_segment_has_its_own_limits():
    values = [10, 12] * 5 + [20, 22] * 4 + [30]
    data = series(values)
    chart = spc.xmr(data, rebase=[data.index[10]], improvement="increase")
    figure = xmr_chart(chart, "Discharges on time")
    by_name = {trace.name: trace for trace in figure.data}
    assert by_name["Special cause: improvement"].marker.color == "#289DE0"
    mean = by_name["Mean"]
    # The two segments' means, with a break (None) between them so no line joins them.
    assert None in list(mean.y)
    levels = {round(y, 6) for y in mean.y if y is not None}
    assert len(levels) == 2
    assert "Target" not in by_name
