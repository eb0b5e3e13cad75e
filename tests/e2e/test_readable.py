"""What a lead reads on screen: words not codes, whole people, labels that neither collide nor
get cut, and controls sized for their range (issue 15, defects 7 to 10).

Text is read as a person sees it: the page's visible text, the cells of every table the grid
draws (its accessible table), and the boxes Chromium lays out for each chart's SVG text.
Screenshots of each page checked go to test-artifacts/ at 1440×900 and 1920×1080.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from capacity import config
from capacity.ingest import load, stage_file
from capacity.store import Store
from tests.e2e.conftest import (
    ARTIFACTS,
    checked_page,
    open_app,
    plots,
    serving,
    settle,
    wait_for_query,
)
from tests.unit.test_sitrep import WORKBOOKS

CODE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")  # "ons_65" as well as "reablement_home"
NONE = re.compile(r"\bNone\b")
SIZES = [(1440, 900), (1920, 1080)]

# Tables are drawn on a canvas, so what they show is recorded as it is drawn: every string
# handed to the canvas (headers and cells as formatted, "None" for a missing value).
RECORD_CANVAS_TEXT = """
window.__drawn = new Set();
const draw = CanvasRenderingContext2D.prototype.fillText;
CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
  window.__drawn.add(String(text));
  return draw.call(this, text, ...rest);
};
"""

# The visible text, less icon ligatures ('keyboard_arrow_right' draws an arrow) and <code>
# spans (a file's required column headers, shown as code on purpose), plus what the tables
# drew. A file's name or path (the import log's File column, a note naming a file) is the
# name it was loaded under, not a code, so it is left out.
SCREEN_TEXT = """() => {
  let text = document.querySelector('[data-testid="stMain"]').innerText;
  for (const e of document.querySelectorAll('[data-testid="stIconMaterial"], code')) {
    if (e.innerText.trim()) text = text.split(e.innerText).join(' ');
  }
  text += '\\n' + [...(window.__drawn || [])].join('\\n');
  return text.replace(/[\\w.-]*\\/[\\w./-]*|[\\w./-]+\\.(csv|xlsx|txt)\\b/g, ' ');
}"""

DRAWN = "() => [...(window.__drawn || [])]"


# Every chart's text boxes as Chromium lays them out, and the chart's own box.
CHART_BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => {
  const box = e => { const r = e.getBoundingClientRect();
                     return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                             text: e.textContent}; };
  const all = s => [...plot.querySelectorAll(s)].filter(e => e.textContent.trim())
                                                  .map(box);
  return {chart: box(plot.querySelector('.main-svg')),
          title: all('.g-gtitle text, .gtitle-subtitle'), legend: all('.legend .legendtext'),
          legendBox: [...plot.querySelectorAll('.legend')].map(box),
          xticks: all('.xtick text'), yticks: all('.ytick text'),
          xtitle: all('.g-xtitle text'), ytitle: all('.g-ytitle text')};
})"""


def drawn(page, *needed: str) -> list[str]:
    """The strings the page's tables have drawn, once each of ``needed`` is among them."""
    page.wait_for_function(
        "need => need.every(t => (window.__drawn || new Set()).has(t))",
        arg=list(needed),
        timeout=60_000,
    )
    return page.evaluate(DRAWN)


def screen_text(page) -> str:
    return page.evaluate(SCREEN_TEXT)


def open_expanders(page) -> None:
    for summary in page.locator('[data-testid="stExpander"] summary').all():
        summary.click()
    settle(page)


def assert_words_only(page, where: str) -> None:
    text = screen_text(page)
    assert not CODE.findall(text), f"{where} shows codes: {sorted(set(CODE.findall(text)))}"
    found = NONE.search(text)
    assert not found, f"{where} shows 'None': {text[max(0, found.start() - 120) : found.end()]!r}"
    assert "-0.0" not in text and "−0.0" not in text, f"{where} shows -0.0"
    # "-0" or "-0%" (a figure a fraction either side of zero, rounded), not a date's "-01".
    signed_zero = re.search(r"(?<![\w.])[−-]0(?![.\d])", text)
    assert not signed_zero, (
        f"{where} shows -0: {text[max(0, signed_zero.start() - 80) : signed_zero.end()]!r}"
    )
    # A fraction of a person only as an average, said as one ("on an average day 10.8 people
    # wait"); "80.0 people" is never right.
    fraction = re.search(r"\b\d[\d,]*\.0 people\b|(?<!average day )\b\d[\d,]*\.\d+ people\b", text)
    assert not fraction, f"{where} shows a fraction of a person: {fraction.group()!r}"


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(ARTIFACTS / f"{name}-{size['width']}x{size['height']}.png"))


def overlaps(a: dict, b: dict, slack: float = 0.5) -> bool:
    return (
        min(a["right"], b["right"]) - max(a["left"], b["left"]) > slack
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > slack
    )


def collisions(chart: dict) -> list[str]:
    """Pairs of a chart's labels that overlap, and labels cut by the chart's edge."""
    found = []
    ticks = chart["xticks"]
    texts = [t["text"] for t in ticks]
    found += [f"x tick {t!r} repeated" for t in sorted(set(texts)) if texts.count(t) > 1]
    ys = [t["text"] for t in chart["yticks"]]
    found += [f"y tick {t!r} repeated" for t in sorted(set(ys)) if ys.count(t) > 1]
    found += [
        f"x ticks {a['text']!r} and {b['text']!r}"
        for i, a in enumerate(ticks)
        for b in ticks[i + 1 :]
        if overlaps(a, b)
    ]
    groups = {
        "x ticks": ticks,
        "y ticks": chart["yticks"],
        "x title": chart["xtitle"],
        "y title": chart["ytitle"],
        "title": chart["title"],
        "legend": chart["legendBox"],
    }
    names = list(groups)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            found += [
                f"{first} {a['text'][:30]!r} and {second} {b['text'][:30]!r}"
                for a in groups[first]
                for b in groups[second]
                if overlaps(a, b)
            ]
    edge = chart["chart"]
    for name in ("x ticks", "y ticks", "x title", "y title", "title"):
        found += [
            f"{name} {a['text'][:40]!r} cut by the chart's edge"
            for a in groups[name]
            if a["left"] < edge["left"] - 1
            or a["right"] > edge["right"] + 1
            or a["top"] < edge["top"] - 1
            or a["bottom"] > edge["bottom"] + 1
        ]
    found += [
        f"legend entry {a['text']!r} cut by the chart's edge"
        for a in chart["legend"]
        if a["right"] > edge["right"] + 1
    ]
    return found


def assert_charts_readable(page, where: str, at_least: int = 1) -> None:
    plots(page, at_least)
    page.wait_for_timeout(500)  # plotly lays out its legend after the traces
    problems = [
        f"chart {i + 1}: {p}"
        for i, chart in enumerate(page.evaluate(CHART_BOXES))
        for p in collisions(chart)
    ]
    assert not problems, f"{where}: " + "; ".join(problems[:8])


# -- a server whose store also holds a SitRep month, so the Data page shows its table -------


@pytest.fixture(scope="module")
def data_server(tmp_path_factory, demo_db):
    folder = tmp_path_factory.mktemp("readable")
    database = folder / "with-sitrep.duckdb"
    shutil.copyfile(demo_db, database)
    if WORKBOOKS:
        with Store.open(database) as store:
            load(store, stage_file(WORKBOOKS[-1], "sitrep", workdir=folder))
    with serving(folder, database) as url:
        yield url, folder / "app.duckdb"  # the copy the server reads and writes


# -- 7. words, not codes ------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_the_data_page_shows_words_not_codes(browser, data_server, size):
    url, _ = data_server
    with checked_page(browser, url, *size) as page:
        page.add_init_script(RECORD_CANVAS_TEXT)
        open_app(page, "/data?place=E09000002")
        page.get_by_role("heading", name="Import log").wait_for()
        if WORKBOOKS:
            page.get_by_text("month loaded").first.wait_for()
            assert "1 months" not in screen_text(page)
        open_expanders(page)
        drawn(page, "Mean length of stay (days)", "Loaded by")
        shoot(page, "data")
        assert_words_only(page, "the Data page")


@pytest.mark.parametrize("size", SIZES)
def test_the_place_page_and_methodology_show_words_not_codes(browser, server, size):
    with checked_page(browser, server, *size) as page:
        page.add_init_script(RECORD_CANVAS_TEXT)
        open_app(page, "/place?place=E09000016&year=2025")
        page.get_by_role("heading", name="Assumptions").wait_for()
        open_expanders(page)
        cells = drawn(page, "Caseload", "Months")
        shoot(page, "place")
        assert_words_only(page, "the Place page")
        # Havering's part of BHR's 61 rehabilitation beds, by its share of use (961 of the
        # 2,206 referrals over the demand window): 61 × 961 ÷ 2,206 = 26.57, shown to one place;
        # no stated figure is written with a stray ".0".
        assert "26.6" in cells
        assert not [cell for cell in cells if re.fullmatch(r"-?[\d,]+\.0", cell)], cells
        open_app(page, "/methodology")
        page.get_by_role("heading", name=re.compile("Methodology")).first.wait_for()
        text = screen_text(page)
        assert not re.search(r"capacity/\w+\.py|tests?/\w+|test_\w+", text), (
            "Methodology points at program files"
        )
        assert not CODE.findall(text), sorted(set(CODE.findall(text)))


def test_an_edit_on_the_data_page_still_saves_to_its_column(browser, data_server):
    url, database = data_server
    with checked_page(browser, url) as page:
        open_app(page, "/data?place=E09000016")
        page.get_by_text("Service parameters").first.wait_for()
        # The parameters section's own service box and grid (the Services section above has
        # a "Service" box too).
        box = page.locator(".st-key-data_param_service input")
        box.wait_for()
        settle(page)
        box.click()
        page.keyboard.type("BHR discharge-to-assess nursing")
        page.keyboard.press("Enter")
        settle(page)
        grid = page.locator('.st-key-data_param_editor_bhr_d2a_nursing [data-testid="stDataFrame"]')
        header = grid.locator("th").filter(has_text="Caseload (people at once)").first
        header.wait_for(state="attached")
        column = int(header.get_attribute("aria-colindex"))
        box = grid.bounding_box()
        # The first data row's first cell, then across to the caseload column by keyboard.
        page.mouse.click(box["x"] + 60, box["y"] + 35 + 17)
        for _ in range(column - 1):  # from the first column (1) to the caseload
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")  # opens the cell's editor, drawn over the grid
        editor = page.locator("#portal input, #portal textarea").first
        editor.fill("23")
        editor.press("Enter")
        settle(page)
        page.get_by_role("button", name="Save parameters").click()
        settle(page)
        page.get_by_text("Saved: Loaded").wait_for()
    with Store.open(database, read_only=True) as store:
        rows = store.query("all_parameters")
    saved = rows[rows["service_id"] == "bhr_d2a_nursing"]
    assert list(saved["caseload"].dropna()) == [23.0]


def choose_in_main(page, label: str, option: str) -> None:
    page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
        has_text=label
    ).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


# -- 8. whole people, or clearly averages -------------------------------------------------


def test_the_flips_table_and_flow_figures_are_whole_or_averages(page):
    page.add_init_script(RECORD_CANVAS_TEXT)
    open_app(page, "/scenarios?place=BHR&year=2025")
    page.get_by_role("button", name="Add change").click()  # demand +10% across BHR
    settle(page)
    page.get_by_text("Services that flip between surplus and shortfall").wait_for()
    cells = drawn(page, "Gap, baseline", "Gap (scenario)")
    shoot(page, "scenarios-flips")
    fractions = [c for c in cells if re.fullmatch(r"[−+-]?[\d,]+\.\d", c)]
    assert not fractions, f"people shown in fractions: {fractions[:5]}"
    assert_words_only(page, "the Scenarios page")
    open_app(page, "/flow?place=BHR&year=2025&service=bhr_d2a_nursing")
    waiting = page.locator('[data-testid="stMetric"]').filter(has_text="on a winter day")
    assert "on average" in waiting.inner_text()
    value = waiting.locator('[data-testid="stMetricValue"]')
    cut = "e => [e, ...e.querySelectorAll('*')].some(d => d.scrollWidth > d.clientWidth + 1)"
    assert not value.evaluate(cut), "the figure is cut"


# -- 9. labels that neither collide nor get cut ---------------------------------------------

CHART_PAGES = [
    ("data-quality", "/data_quality?place=BHR&year=2025", 3),
    ("place-side-by-side", "/place?place=E09000016&year=2025&layout=apart", 6),
    ("scenarios", "/scenarios?place=BHR&year=2025", 2),
    ("flow", "/flow?place=BHR&year=2025&service=bhr_d2a_nursing&start=2026-01-05", 3),
    ("export-preview", "/export?place=BHR&year=2025", 1),
    ("services", "/services?place=E06000034&year=2025", 1),
]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("name", "path", "charts"), CHART_PAGES)
def test_chart_labels_neither_collide_nor_get_cut(browser, server, name, path, charts, size):
    with checked_page(browser, server, *size) as page:
        open_app(page, path)
        if name == "export-preview":
            page.get_by_text(re.compile(r"\(\.png\)")).click()
            settle(page)
        assert_charts_readable(page, name, charts)
        shoot(page, name)


def test_the_sidebar_place_name_and_the_services_flags_are_not_cut(browser, server):
    with checked_page(browser, server, 1440, 900) as page:
        open_app(page, "/services?place=BHR&year=2025")
        # The box cuts a long name, so the sidebar must also say it in full, uncut.
        name = "Barking & Dagenham, Havering and Redbridge"
        said = page.locator('[data-testid="stSidebar"] [data-testid="stCaptionContainer"]')
        said = said.filter(has_text=name).first
        said.wait_for()
        assert said.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
        grid = page.locator('[data-testid="stDataFrame"]').first
        grid.locator("th").first.wait_for(state="attached")
        # Every column of the Services table is in view: the grid does not scroll sideways.
        scroller = grid.locator(".dvn-scroller").first
        assert scroller.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), (
            "the Services table is cut off on the right (its Flags column)"
        )


def test_the_exported_image_keeps_its_axis_title_clear_of_the_tick_numbers(
    browser, demo_db, tmp_path
):
    # The command line draws the same image the Export page offers; as SVG, Chromium lays
    # out its text as the PNG shows it.
    image = tmp_path / "chart.svg"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "capacity",
            "--db",
            str(demo_db),
            "export",
            "--place",
            "BHR",
            "--year",
            "2025",
            "--out",
            str(image),
        ],
        check=True,
        cwd=config.PROJECT_ROOT,
        timeout=180,
        capture_output=True,
    )
    page = browser.new_page(viewport={"width": 1300, "height": 700})
    try:
        page.set_content(f"<div class='js-plotly-plot'>{image.read_text()}</div>")
        chart = page.evaluate(CHART_BOXES)[0]
    finally:
        page.close()
    assert chart["yticks"] and chart["ytitle"]
    assert not collisions(chart), collisions(chart)


# -- 10. controls sized for their range -------------------------------------------------------


def test_places_added_has_a_number_box_kept_in_step_with_the_slider(page):
    open_app(page, "/flow?place=BHR&year=2025&service=bhr_d2a_nursing")
    box = page.get_by_label("Places added (+) or taken away (−), exactly")
    box.fill("9")
    box.press("Enter")
    settle(page)
    wait_for_query(page, "extra=9")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].some(p => (p._fullData || [])"
        ".some(t => t.name === 'Places in force' && Array.from(t.y).every(v => v === 29)))"
    )
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text="Places added").first
    assert thumb.locator('[data-testid="stSliderThumbValue"]').inner_text() == "9"


def test_winter_and_the_rest_of_the_year_cost_one_line_when_they_are_the_same(page):
    open_app(page, "/flow?place=BHR&year=2025&service=bhr_d2a_nursing&start=2026-01-05")
    page.get_by_role("heading", name="Cost").wait_for()
    lines = page.locator('[data-testid="stMain"] li').all_inner_texts()
    costs = [line for line in lines if "total £" in line]
    assert len(costs) == 1, costs
    assert "winter" in costs[0] and "rest of the year" in costs[0]


# -- the screens the earlier look-over skipped, with a SitRep month loaded ------------------

# Each heat map's axes end at its cells: rows of blank space above the first place (the
# click markers padding the axis) push the places of a long list below the fold.
HEATMAP_PADDING = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .filter(p => (p.data || []).some(t => t.type === 'heatmap'))
  .map(p => { const y = p._fullLayout.yaxis, x = p._fullLayout.xaxis;
              return [Math.max(...y.range) - (y._categories.length - 0.5),
                      -0.5 - Math.min(...y.range),
                      Math.max(...x.range) - (x._categories.length - 0.5)]; })"""

# Labels cut with an ellipsis: page links (the Overview's "Go to a place").
CUT_LINKS = """() => [...document.querySelectorAll(
    '[data-testid="stMain"] [data-testid="stPageLink"]')]
  .filter(l => [...l.querySelectorAll('[data-testid="stMarkdownContainer"], p')]
                 .some(e => e.scrollWidth > e.clientWidth + 1))
  .map(l => l.innerText)"""

LOOKED_OVER = [
    ("overview-all", "/?year=2026", 1),
    ("overview-icb", "/?scope=icb:E54000029&year=2026", 1),
    ("overview-region", "/?scope=region:London&year=2026", 1),
    # Havering has four service types; the SitRep month (where the published workbooks are at
    # hand) brings a fifth, reablement beds, as demand with no service.
    ("place-sitrep", "/place?place=E09000016&year=2026", 5 if WORKBOOKS else 4),
    ("data-quality-sitrep", "/data_quality?place=BHR&year=2026", 3),
    ("flow-sitrep", "/flow?place=BHR&year=2026&service=bhr_d2a_nursing", 3),
]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("name", "path", "charts"), LOOKED_OVER)
def test_every_screen_reads_in_words_and_whole_people(
    browser, data_server, name, path, charts, size
):
    url, _ = data_server
    with checked_page(browser, url, *size) as page:
        page.add_init_script(RECORD_CANVAS_TEXT)
        open_app(page, path)
        open_expanders(page)
        assert_charts_readable(page, name, charts)
        padding = page.evaluate(HEATMAP_PADDING)
        assert all(abs(v) < 0.01 for p in padding for v in p), (
            f"{name}: the heat map pads its axes by {padding} rows/months of blank space"
        )
        assert not page.evaluate(CUT_LINKS), f"{name}: links cut {page.evaluate(CUT_LINKS)}"
        page.wait_for_timeout(500)  # the tables draw their cells after the charts
        shoot(page, name)
        assert_words_only(page, name)
