"""Chart images: the pages' gap chart made ready for a slide, drawn as PNG or SVG.

Images are drawn by kaleido, which drives a headless Chromium. Its browser
starts with the first image a process draws and is reused by later ones;
:func:`stop_renderer` closes it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from capacity.charts import gap_chart
from capacity.export.scope import ExportError
from capacity.periods import planning_year_label
from capacity.scenarios.model import Scenario
from capacity.summary import SOURCE_LABELS, by_service_type

IMAGE_FORMATS = ("png", "svg")
# Chart images: laid out at 1200 × 600 pixels; a PNG is drawn at twice that so slides stay sharp.
IMAGE_WIDTH = 1200
IMAGE_HEIGHT = 600
PNG_SCALE = 2
RENDER_TIMEOUT_SECONDS = 90


def chart_service_types(frame: pd.DataFrame, service_types: pd.DataFrame) -> list[str]:
    """The service types with rows in ``frame``, in plan order (the charts there are)."""
    present = set(frame["service_type"])
    ordered = service_types.sort_values("sort_order")["service_type"]
    return [t for t in ordered if t in present]


def chart_title(place: str, type_name: str, source: str, year: int) -> str:
    """'Havering · Reablement at home — hospital discharge and community · 2025-26'."""
    return f"{place} · {type_name} — {SOURCE_LABELS[source].lower()} · {planning_year_label(year)}"


def name_scenario(figure: go.Figure, scenario: Scenario | None) -> go.Figure:
    """Under a scenario, name it in the chart's subtitle, so a slide says what it shows.

    A subtitle, not the title, since a scenario's name may be long (up to 100
    characters). The baseline gets none.
    """
    if scenario is not None:
        # After any lines of a long title, which the chart already draws as its subtitle.
        before = figure.layout.title.subtitle.text
        named = f"Scenario: {scenario.name}"
        figure.update_layout(title_subtitle_text=f"{before} <br>{named}" if before else named)
    return figure


def gap_figure(frame: pd.DataFrame, service_type: str, source: str, title: str) -> go.Figure:
    """The pages' gap chart for one service type and source, summed over the places in ``frame``."""
    monthly = by_service_type(frame, source)
    monthly = monthly[monthly["service_type"] == service_type]
    if monthly.empty:
        known = ", ".join(sorted(set(frame["service_type"]))) or "none"
        raise ExportError(
            f"No {SOURCE_LABELS[source].lower()} figures for service type "
            f"{service_type!r} here (service types with figures: {known})."
        )
    figure = gap_chart(monthly, title)
    # A little room at the edges, which a page does not need but a slide does. The margins
    # are the least room: the axes and the title still widen them to fit their labels, and
    # the axis title stands clear of the tick numbers whatever their width.
    figure.update_layout(
        margin={"l": 40, "r": 30, "t": 30, "b": 30},
        title_x=0.015,
        yaxis_automargin=True,
        yaxis_title_standoff=14,
        xaxis_automargin=True,
    )
    return figure


_RENDER_LOCK = threading.Lock()


def chart_images(
    figures: Sequence[go.Figure],
    fmt: str,
    *,
    width: int = IMAGE_WIDTH,
    height: int = IMAGE_HEIGHT,
    scale: float = PNG_SCALE,
) -> list[bytes]:
    """Draw figures as PNG or SVG with kaleido.

    Kaleido's browser starts with the first image a process draws (about two
    seconds) and is reused by every later one, so a batch pays for it once. A
    PNG is ``width`` × ``scale`` by ``height`` × ``scale`` pixels; an SVG is
    ``width`` × ``height``. Raises ExportError if no Chromium can be found or
    an image is not drawn within the time allowed.
    """
    if fmt not in IMAGE_FORMATS:
        raise ExportError(f"Chart images are {' or '.join(IMAGE_FORMATS)}, not {fmt!r}.")
    opts = {"format": fmt, "width": width, "height": height, "scale": scale if fmt == "png" else 1}
    with _RENDER_LOCK:
        _start_renderer()
        return [_render(figure, opts) for figure in figures]


def chart_image(
    figure: go.Figure,
    fmt: str,
    *,
    width: int = IMAGE_WIDTH,
    height: int = IMAGE_HEIGHT,
    scale: float = PNG_SCALE,
) -> bytes:
    """One figure as PNG or SVG bytes (see :func:`chart_images`)."""
    return chart_images([figure], fmt, width=width, height=height, scale=scale)[0]


def _start_renderer() -> None:
    """Start kaleido's shared browser once per process (later calls reuse it)."""
    import kaleido
    from choreographer.browsers.chromium import Chromium

    path = Chromium.find_browser(skip_local=False)
    if not path or not Path(path).is_file():
        raise ExportError(
            "Chart images need the Chromium browser, which was not found. "
            "On Debian: apt-get install -y chromium"
        )
    # MathJax comes from the web by default; the charts have no formulas, so leave it out.
    kaleido.start_sync_server(mathjax=False, silence_warnings=True)


def stop_renderer() -> None:
    """Close kaleido's browser if it is open (the command line does so before it exits).

    As the browser closes it sends a last word down its pipe that is not
    JSON, and choreographer logs that as an error with a traceback although
    nothing is wrong; that one message is dropped while the browser closes.
    """
    import kaleido

    pipe_log = logging.getLogger("choreographer.channels.pipe")
    quiet = _DropMessage("JSONError decoding message")
    pipe_log.addFilter(quiet)
    try:
        kaleido.stop_sync_server(silence_warnings=True)
    finally:
        pipe_log.removeFilter(quiet)


class _DropMessage(logging.Filter):
    """Drops log records whose message starts with some text."""

    def __init__(self, start: str) -> None:
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        """False (drop) for the message this filter is for."""
        return not str(record.msg).startswith(self.start)


def _render(figure: go.Figure, opts: dict) -> bytes:
    """One image, waiting at most RENDER_TIMEOUT_SECONDS (kaleido would wait for ever)."""
    import kaleido

    result: dict[str, object] = {}

    def work() -> None:
        try:
            result["image"] = kaleido.calc_fig_sync(figure, opts=opts)
        except Exception as exc:  # noqa: BLE001 - handed to the caller below
            result["error"] = exc

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(RENDER_TIMEOUT_SECONDS)
    if "error" in result:
        raise ExportError(f"The chart image could not be drawn: {result['error']}")
    if "image" not in result:
        raise ExportError(
            f"The chart image was not drawn within {RENDER_TIMEOUT_SECONDS} s; "
            "is Chromium working? (try: chromium --headless --version)"
        )
    image = result["image"]
    return image if isinstance(image, bytes) else str(image).encode("utf-8")
