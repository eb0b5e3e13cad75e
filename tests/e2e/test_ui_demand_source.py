"""In a real browser: a place's charts say where demand comes from, and a service type with
SitRep demand but no service there shows as unmet, labelled "No service here".

The app runs over a copy of the demo with a year of SitRep for RF4 loaded
(tests/sitrep_books.py); Havering has no reablement in a bedded setting, so RF4's P2
care home discharges × Havering's catchment share are demand no service takes.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, checked_page, open_app, plots, serving
from tests.sitrep_books import demo_with_sitrep

# Havering's OHID catchment share of RF4's patients (data/reference, trust catchment file).
RF4_HAVERING = 0.364929


@pytest.fixture(scope="module")
def sitrep_server(tmp_path_factory, demo_db):
    folder = tmp_path_factory.mktemp("sitrep_server")
    database = demo_with_sitrep(demo_db, folder)
    with serving(folder, database) as url:
        yield url


def _texts(page, title: str) -> str:
    """Every word a chart draws (title, subtitle, legend, notes on the plot), as text, once
    the chart whose title starts with ``title`` is drawn (the app's theme sets titles in
    bold tags)."""
    script = """t => { const p = [...document.querySelectorAll('.js-plotly-plot')]
          .find(p => p.layout && (p.layout.title.text || '').replace(/<[^>]+>/g, '').startsWith(t));
      const texts = p ? [...p.querySelectorAll('text')].map(e => e.textContent) : [];
      return texts.some(x => x.startsWith(t)) ? texts.join(' ') : ''; }"""
    page.wait_for_function(script, arg=title, timeout=60_000)
    return page.evaluate(script, title)


def test_place_charts_name_the_source_and_show_no_service_as_unmet(browser, sitrep_server):
    ARTIFACTS.mkdir(exist_ok=True)
    with checked_page(browser, sitrep_server, height=3400) as page:
        open_app(page, "/place?place=E09000016&year=2025")
        charts = plots(page, at_least=5)
        beds = next(c for c in charts if c["title"].startswith("Reablement in a bedded setting"))
        capacity = next(t for t in beds["data"] if t["name"] == "Capacity")
        demand = next(t for t in beds["data"] if t["name"] == "Demand")
        assert capacity["y"] == [0] * 12
        assert demand["y"] == pytest.approx([60 * RF4_HAVERING] * 12, abs=1e-9)
        drawn = _texts(page, "Reablement in a bedded setting")
        assert "No service here" in drawn
        assert "Demand from SitRep discharges (trusts ×" in drawn  # the subtitle may wrap
        assert "Demand from local referral records" in _texts(page, "Reablement at home")
        assert "No demand data" in _texts(page, "Social support")
        page.screenshot(path=str(ARTIFACTS / "place-demand-source.png"), full_page=True)
        chart = page.locator(".js-plotly-plot").nth(
            [c["title"] for c in charts].index(beds["title"])
        )
        chart.screenshot(path=str(ARTIFACTS / "place-no-service-here.png"))
