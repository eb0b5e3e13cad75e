"""The Overview keeps its promises in a real browser: a click on the heat map opens the place,
the page opens at its own address, and the "all service types" total never nets a shortfall
away."""

from __future__ import annotations

import re

from tests.e2e.conftest import ARTIFACTS, address, checked_page, open_app, serving, settle

HEAT = ".js-plotly-plot"


def wait_for_heat_map(page) -> None:
    """Wait until the heat map is drawn with its rows and months."""
    page.wait_for_function(
        "s => { const p = document.querySelector(s); return p && p._fullLayout && p._fullData"
        " && p._fullData.length && p._fullLayout.yaxis._categories.length > 0; }",
        arg=HEAT,
        timeout=60_000,
    )


def cell_centre(page, row: str, month: str) -> dict:
    """Where, on the page, the heat map draws the cell of ``row`` (its label) and ``month``."""
    return page.evaluate(
        """([s, row, month]) => {
        const p = document.querySelector(s), L = p._fullLayout, box = p.getBoundingClientRect();
        const rows = L.yaxis._categories, months = L.xaxis._categories;
        const r = rows.findIndex(c => c === row || c.startsWith(row + ' ('));
        const m = months.indexOf(month);
        if (r < 0 || m < 0) throw new Error('no cell ' + row + ' / ' + month + ' in '
                                            + rows.join('|') + ' × ' + months.join('|'));
        return {x: box.left + L.xaxis._offset + L.xaxis.c2p(m),
                y: box.top + L.yaxis._offset + L.yaxis.c2p(r)};
    }""",
        [HEAT, row, month],
    )


def heat_cells(page) -> dict[tuple[str, str], str]:
    """The text drawn in each cell, by (row label, month label), from the chart's own data."""
    return (
        page.evaluate(
            """s => {
        const p = document.querySelector(s), out = {};
        for (const t of p._fullData) {
            const text = t.text;
            if (!text || t.visible === false) continue;
            const xs = Array.from(t.x || []), ys = Array.from(t.y || []);
            if (t.type === 'heatmap') {
                ys.forEach((y, i) => xs.forEach((x, j) => { out[y + '|' + x] = text[i][j]; }));
            } else {
                xs.forEach((x, i) => { out[ys[i] + '|' + x] = text[i]; });
            }
        }
        return out;
    }""",
            HEAT,
        )
        | {}
    )


def test_a_click_on_a_heat_map_cell_opens_that_place(page):
    open_app(page, "/overview?year=2025")
    wait_for_heat_map(page)
    spot = cell_centre(page, "Havering", "Jan 2026")
    page.mouse.move(spot["x"], spot["y"])
    page.mouse.click(spot["x"], spot["y"])
    page.wait_for_function("() => location.pathname === '/place'", timeout=20_000)
    settle(page)
    assert "place=E09000016" in address(page)
    page.get_by_role("heading", name=re.compile("^Havering")).wait_for()
    # The cell's month comes along: in the address, the sentence and a band on each chart.
    assert "month=2026-01" in address(page)
    page.get_by_text("Havering in January 2026").first.wait_for()
    # Each gap chart (the one with capacity); plan against actual, once a snapshot is kept,
    # charts a snapshot's own year and takes no band.
    bands = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')]"
        ".filter(p => p.data.some(t => t.name === 'Capacity')).map(p =>"
        " (p.layout.shapes || []).filter(s => s.type === 'rect').map(s => [s.x0, s.x1]))"
    )
    # January is the tenth month of 2025-26: category 9, its slot from 8.5 to 9.5.
    assert bands and all(b == [[8.5, 9.5]] for b in bands), bands
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "place-from-heat-map-cell-1600x1000.png"))


def test_overview_opens_at_its_own_address_at_both_sizes(browser, demo_db, tmp_path):
    # A fresh server, so the first size is the server's first request (where the box showed).
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(tmp_path, demo_db) as url:
        for width, height in ((1440, 900), (1920, 1080)):
            with checked_page(browser, url, width, height) as page:
                open_app(page, "/overview?year=2025")
                wait_for_heat_map(page)
                assert "Page not found" not in page.inner_text("body")
                assert address(page).startswith("/overview")
                page.screenshot(
                    path=str(ARTIFACTS / f"overview-{width}x{height}.png"), full_page=True
                )


def test_all_service_types_shows_people_short_not_a_netted_gap(page):
    open_app(page, "/overview?year=2025")
    wait_for_heat_map(page)
    title = page.evaluate("s => document.querySelector(s).layout.title.text", HEAT)
    bar = page.evaluate(
        """s => document.querySelector(s)._fullData
        .map(t => t.marker && t.marker.colorbar ? t.marker.colorbar.title.text
                  : (t.colorbar ? t.colorbar.title.text : '')).join(' ')""",
        HEAT,
    )
    assert "short" in (title + bar).lower(), (title, bar)
    cells = heat_cells(page)
    bhr = next(k for k in cells if k.startswith("Barking & Dagenham, Havering and Redbridge"))
    bhr_row = bhr.split("|")[0]
    # BHR in April 2025, from the plan frame by service type (capacity − demand, people):
    # social support 143 − 236.67 = −93.67; home reablement 297.14 − 316.67 = −19.52;
    # short-term care home 14.29 − 14.33 = −0.05; rehab beds +2.69; other beds +10.
    # Netted, the month is −100.5; the people short are 93.67 + 19.52 + 0.05 = 113.2.
    assert cells[f"{bhr_row}|Apr 2025"] == "113"
    # Leicester, Leicestershire and Rutland ICB has one place with a plan in the demo: its
    # row says so.
    rutland = "Leicester, Leicestershire and Rutland ICB (Rutland only)"
    assert any(k.startswith(rutland) for k in cells)
    assert "sums of their places" not in page.inner_text("body")


def heat_rows(page) -> list[str]:
    """The heat map's row labels, top to bottom."""
    return page.evaluate("s => document.querySelector(s)._fullLayout.yaxis._categories", HEAT)


def test_the_overview_shows_an_icbs_places_and_a_regions_icbs(page):
    open_app(page, "/overview?year=2025&scope=icb:E54000029")
    wait_for_heat_map(page)
    rows = heat_rows(page)
    # North East London ICB's eight places by name, then the ICB: the demo's three (BHR)
    # with figures, the five others marked as having no services, and the ICB's total
    # saying it adds up three of them.
    assert rows == [
        "Barking and Dagenham",
        "City of London (no services)",
        "Hackney (no services)",
        "Havering",
        "Newham (no services)",
        "Redbridge",
        "Tower Hamlets (no services)",
        "Waltham Forest (no services)",
        "North East London ICB (3 of 8 places)",
    ], rows
    cells = heat_cells(page)
    assert cells["Newham (no services)|Jan 2026"] == ""  # blank, never a zero
    assert cells["Havering|Jan 2026"] != ""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview-icb-north-east-london.png"), full_page=True)

    # A click on a place's cell in the ICB's view opens that place at that month.
    spot = cell_centre(page, "Redbridge", "Jan 2026")
    page.mouse.move(spot["x"], spot["y"])
    page.mouse.click(spot["x"], spot["y"])
    page.wait_for_function("() => location.pathname === '/place'", timeout=20_000)
    settle(page)
    assert "place=E09000026" in address(page) and "month=2026-01" in address(page)
    page.get_by_role("heading", name=re.compile("^Redbridge")).wait_for()

    open_app(page, "/overview?year=2025&scope=region:London")
    wait_for_heat_map(page)
    assert heat_rows(page) == [
        "North Central London ICB (no places with plans)",
        "North East London ICB (3 of 8 places)",
        "North West London ICB (no places with plans)",
        "South East London ICB (Bromley only)",
        "South West London ICB (no places with plans)",
    ]
    page.screenshot(path=str(ARTIFACTS / "overview-region-london.png"), full_page=True)
