"""Presentation styles, notices and number formats shared by the pages."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from capacity.periods import month_label
from pages import _state, hand_over_to_app

# Hides the sidebar and Streamlit's own chrome, and scales the type up for a
# projector; the charts get their own large sizes from capacity.charts.
PRESENTATION_CSS = """
<style>
  html { font-size: 21px; }
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
  [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stStatusWidget"], footer, #MainMenu { display: none !important; }
  .block-container, [data-testid="stMainBlockContainer"] {
    padding-top: 1.2rem !important; max-width: 100% !important;
  }
  .headline { font-size: 2.3rem; font-weight: 700; line-height: 1.2; color: #212B32; }
  .headline .short { color: #B34A00; }
  .subhead { font-size: 1.2rem; color: #425563; }
</style>
"""


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


def figure_column(label: str, decimals: int = 1, help: str | None = None):
    """A number column shown with thousands separators and fixed decimals."""
    return st.column_config.NumberColumn(label, format=f"%,.{decimals}f", help=help)


def percent_column(label: str, help: str | None = None):
    """A share already multiplied by 100, shown as a whole percentage."""
    return st.column_config.NumberColumn(label, format="%.0f%%", help=help)
