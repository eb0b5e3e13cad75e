"""The Streamlit app: page set-up and navigation over the pages in pages.PAGES."""

import streamlit as st

from pages import PAGES

st.set_page_config(
    page_title="Intermediate care: demand and capacity", page_icon="🏥", layout="wide"
)
navigation = st.navigation(
    [st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path) for p in PAGES]
)
navigation.run()
