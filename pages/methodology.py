"""Methodology: the formulas, definitions and sources, from content/methodology.md."""

import streamlit as st

from capacity import config
from pages._style import show_notices

show_notices()
st.markdown((config.CONTENT_DIR / "methodology.md").read_text("utf-8"))
