"""Presentation styles, notices and number formats shared by the pages."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from capacity.periods import month_label
from pages import _state, hand_over_to_app

# Presentation mode is laid out for a 1920×1080 wall screen in a full-screen browser: the
# charts of a screen share the height left under its heading, so none is below the fold.
# Sizes are in rem of the presentation type (ROOT_PX), as the CSS below sets them.
ROOT_PX = 21
WALL_HEIGHT = 1080
TOP_PAD_REM = 1.0
GAP_REM = 1.0  # Streamlit's gap between the elements of a column
HEADLINE_REM, HEADLINE_LINE = 2.1, 1.2
SUBHEAD_REM, SUBHEAD_LINE = 1.2, 1.35
BUTTON_ROW_REM = 2.6
TITLE_ROW_REM = 3.6  # a page's st.title at presentation size, with its padding
CONTROL_ROW_REM = 4.4  # a row of labelled widgets (label, box)
CAPTION_ROW_REM = 1.4
BODY_LINE_REM = 1.6  # a line of body text (a headline in bold, say)
METRIC_ROW_REM = 5.0  # a row of figures (st.metric: label over a large figure)
BOTTOM_SPARE_REM = 1.0
MAX_CHART_HEIGHT = 640

# Hides the sidebar and Streamlit's own chrome, and scales the type up for a
# projector; the charts get their own large sizes from capacity.charts.
PRESENTATION_CSS = f"""
<style>
  html {{ font-size: {ROOT_PX}px; }}
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
  [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stStatusWidget"], footer, #MainMenu {{ display: none !important; }}
  .block-container, [data-testid="stMainBlockContainer"] {{
    padding-top: {TOP_PAD_REM}rem !important; padding-bottom: {TOP_PAD_REM}rem !important;
    max-width: 100% !important;
  }}
  .headline {{ font-size: {HEADLINE_REM}rem; font-weight: 700; line-height: {HEADLINE_LINE};
               color: #212B32; }}
  .headline .short {{ color: #B34A00; }}
  .subhead {{ font-size: {SUBHEAD_REM}rem; line-height: {SUBHEAD_LINE}; color: #425563; }}
  .subhead .scenario {{ color: #003087; font-weight: 700; }}
  /* The way out on pages without step buttons, kept in a corner out of the layout */
  .st-key-present_exit_page {{ position: fixed; top: 0.6rem; right: 1.2rem; width: auto;
                               z-index: 1000; }}
  .chartkey {{ font-size: 1rem; color: #212B32; text-align: center; }}
</style>
"""


# On every screen: a page link's label wraps onto a second line rather than being cut with
# an ellipsis (an ICB's long name on the Overview's "Go to a place" links).
APP_CSS = """
<style>
  [data-testid="stMain"] [data-testid="stPageLink-NavLink"] span,
  [data-testid="stMain"] [data-testid="stPageLink-NavLink"] p {
    white-space: normal !important; overflow: visible !important;
  }
</style>
"""


@dataclass(frozen=True)
class Grid:
    """How the charts of a presentation screen are laid out: columns, rows, each chart's height."""

    columns: int
    rows: int
    chart_height: int


# A presentation screen's heading: two lines of headline and two of subhead (a long place or
# scenario name wraps), the step buttons and the gaps between, in rem.
PRESENT_HEADING_REM = (
    TOP_PAD_REM
    + 2 * HEADLINE_REM * HEADLINE_LINE
    + 2 * SUBHEAD_REM * SUBHEAD_LINE
    + BUTTON_ROW_REM
    + 2 * GAP_REM
    + BOTTOM_SPARE_REM
)


def _rem(value: float) -> float:
    return value * ROOT_PX


def _share(room: float, rows: int) -> int:
    """Each of ``rows`` rows' height in ``room`` pixels, less the gaps between them."""
    return int(min(MAX_CHART_HEIGHT, (room - _rem(GAP_REM) * rows) // rows))


def place_grid(charts: int, screen: int = WALL_HEIGHT) -> Grid:
    """The Place presentation screen's grid for ``charts`` charts under its heading.

    The heading is budgeted at two lines of headline and two of subhead (a long place
    or scenario name wraps), and the step buttons. One chart spans the screen, two
    or four share two columns, three or more than four share three.
    """
    columns = 1 if charts <= 1 else 2 if charts in (2, 4) else 3
    rows = max(1, -(-charts // columns))
    return Grid(columns, rows, _share(screen - _rem(PRESENT_HEADING_REM), rows))


def title_size(title: str, columns: int, largest: int = 24, screen_width: int = 1920) -> int:
    """A chart title's type size that keeps ``title`` on one line in a column of the wall
    (an average letter being about 0.55 of the type size wide), at most ``largest``."""
    column = (screen_width - 2 * 5 * ROOT_PX - (columns - 1) * _rem(GAP_REM)) / columns
    return max(14, min(largest, int(column / (0.55 * max(len(title), 1)))))


def overview_height(rows: int, screen: int = WALL_HEIGHT) -> int:
    """The Overview heat map's height on the wall: the room under the title, the controls
    and the caption, but no taller than its ``rows`` rows need."""
    heading = (
        TOP_PAD_REM
        + TITLE_ROW_REM
        + CONTROL_ROW_REM
        + CAPTION_ROW_REM
        + 3 * GAP_REM
        + BOTTOM_SPARE_REM
    )
    return min(_share(screen - _rem(heading), 1), 140 + 64 * rows)


def _room(heading_rem: float, screen: int) -> float:
    """The pixels left for charts under ``heading_rem`` of heading, with the page's padding."""
    return screen - _rem(TOP_PAD_REM + heading_rem + BOTTOM_SPARE_REM)


def services_height(rows: int, screen: int = WALL_HEIGHT) -> int:
    """The Services bar chart's height on the wall: the room under the title, the service
    type box, the caption and a line of flags, but no taller than its ``rows`` bars need."""
    heading = TITLE_ROW_REM + CONTROL_ROW_REM + 2 * CAPTION_ROW_REM + 4 * GAP_REM
    return min(_share(_room(heading, screen), 1), 120 + 56 * rows)


def flow_height(screen: int = WALL_HEIGHT) -> int:
    """The Flow charts' height on the wall, three side by side under the title, the service
    box, the headline (three lines at most on the wall) and the row of figures."""
    heading = TITLE_ROW_REM + CONTROL_ROW_REM + 3 * BODY_LINE_REM + METRIC_ROW_REM + 4 * GAP_REM
    return _share(_room(heading, screen), 1)


def scenarios_height(screen: int = WALL_HEIGHT) -> int:
    """The Scenarios charts' height on the wall, side by side under the title, a caption, the
    row of figures and the row holding the sensitivity's service type box."""
    heading = TITLE_ROW_REM + CAPTION_ROW_REM + METRIC_ROW_REM + CONTROL_ROW_REM + 4 * GAP_REM
    return _share(_room(heading, screen), 1)


# A presentation clicker sends PageDown/PageUp (some send the arrow keys): pressing one
# clicks the screen's next or previous button. Streamlit gives buttons no key bindings,
# so this script listens on the page; keys typed into a box or a slider are left alone.
STEP_KEYS_SCRIPT = """
<script>
(() => {
  const doc = window.parent ? window.parent.document : document;
  if (doc.presentationKeys) doc.removeEventListener("keydown", doc.presentationKeys);
  doc.presentationKeys = (event) => {
    const forward = ["PageDown", "ArrowRight"].includes(event.key);
    const back = ["PageUp", "ArrowLeft"].includes(event.key);
    const target = event.target;
    const typing = target && (target.isContentEditable ||
      ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) ||
      target.getAttribute("role") === "slider");
    if ((!forward && !back) || typing || event.altKey || event.ctrlKey || event.metaKey) return;
    const label = forward ? "Next" : "Previous place";  // "Next ▶" on the last place
    const button = [...doc.querySelectorAll("button")].find(
      (b) => b.innerText.includes(label) && !b.disabled);
    if (button) { event.preventDefault(); button.click(); }
  };
  doc.addEventListener("keydown", doc.presentationKeys);
})();
</script>
"""


def step_keys() -> None:
    """Let a clicker's PageDown/PageUp (or the arrow keys) press Next and Previous place."""
    st.html(STEP_KEYS_SCRIPT, unsafe_allow_javascript=True)


def show_notices() -> None:
    """Show, once, each notice about a URL value that was not recognised."""
    hand_over_to_app()
    for text in _state.take_notices():
        st.warning(text, icon="⚠️")


def number(value: float, decimals: int = 1) -> str:
    """A figure for display: thousands separators, fixed decimals, '–' when missing."""
    if value is None or pd.isna(value):
        return "–"
    return f"{value:,.{decimals}f}"


def months_as_labels(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy with 'YYYY-MM' columns shown as 'Apr 2025'."""
    out = frame.copy()
    for column in columns:
        out[column] = out[column].map(lambda m: month_label(m) if isinstance(m, str) else m)
    return out


def figure_column(label: str, decimals: int = 1, help: str | None = None, width=None):
    """A number column shown with thousands separators and fixed decimals."""
    return st.column_config.NumberColumn(label, format=f"%,.{decimals}f", help=help, width=width)


def percent_column(label: str, help: str | None = None, width=None):
    """A share already multiplied by 100, shown as a whole percentage."""
    return st.column_config.NumberColumn(label, format="%.0f%%", help=help, width=width)
