"""The BCF capacity & demand workbook as xlsx: its sheets and their layout.

The workbook, for one place or for several (a system: a sheet per place and
one for their total):

* **Cover** — the place(s), planning year, scenario and its changes, when it
  was made, the product version, the wording used for the rows, how the
  figures were rounded (and any figure that had to move more than one for
  everything to add up), and what each sheet holds.
* **Capacity & Demand** — laid out like the BCF planning template: demand,
  then capacity, for hospital discharge and for community, a row per service
  type (every row the template has for that source, in plan order, zero where
  the place has none), then the gap. Months April to March, then the year.
  Whole numbers, each within one of its unrounded figure, that add up across and
  down, the total's sheet being the sum of the places' (see
  :mod:`capacity.export.tables`).
* **Assumptions** — per place, service and source: method, caseload, length
  of stay, hours, throughput, shares, data window, source note and flags.
* **Data** — the plan frame itself, unrounded, every column.

Text from the data is always written as text, never as a formula.
:func:`workbooks_zip` puts one workbook per place in a zip file.
"""

from __future__ import annotations

import io
import math
import numbers
import re
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

import pandas as pd
import xlsxwriter

from capacity.export.naming import file_name
from capacity.export.scope import ExportInfo, Scope
from capacity.export.tables import (
    ASSUMPTION_HEADERS,
    Moved,
    Section,
    Template,
    assumption_rows,
    capacity_demand_tabs,
    template_rows,
)
from capacity.periods import planning_year_label, planning_year_months
from capacity.plan import PLAN_COLUMNS
from capacity.scenarios.model import Change, Names
from capacity.summary import demand_sources_by_place

# Workbook layout: column widths in characters, row heights in points.
LINE_POINTS = 13  # the height of one line of 10-point Arial
COVER_TEXT_WIDTH = 100
LABEL_WIDTH = 58


def workbook(frame: pd.DataFrame, scope: Scope, info: ExportInfo) -> bytes:
    """The BCF capacity & demand workbook (xlsx) for the scope's places, as bytes."""
    frame = frame[frame["place_code"].isin(scope.codes)]
    template = template_rows(info.service_types, info.labels, info.year)
    rounded = capacity_demand_tabs(frame, scope, template, info.year)
    tabs = rounded.tabs
    names = _tab_names(scope, [name for name, _ in tabs])
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    styles = _styles(book)
    book.set_properties(
        {
            "title": f"Capacity and demand: {scope.name}, {planning_year_label(info.year)}",
            "author": f"ic-capacity {info.version}",
            "created": info.made_at,
        }
    )
    _cover(
        book.add_worksheet("Cover"),
        styles,
        scope,
        info,
        template,
        names,
        frame,
        _moved_note(rounded.moved, names),
    )
    for name, (place, sections) in zip(names, tabs, strict=True):
        _capacity_demand_sheet(book.add_worksheet(name), styles, place, sections, info)
    _table_sheet(
        book.add_worksheet("Assumptions"),
        styles,
        assumption_rows(frame, template).rename(columns=ASSUMPTION_HEADERS),
        freeze_columns=3,
        widths=ASSUMPTION_WIDTHS,
        wrap=True,
    )
    _table_sheet(
        book.add_worksheet("Data"),
        styles,
        frame[PLAN_COLUMNS],
        freeze_columns=2,
        widths=DATA_WIDTHS,
        wrap=False,
    )
    book.close()
    return buffer.getvalue()


def workbooks_zip(frame: pd.DataFrame, scope: Scope, info: ExportInfo) -> bytes:
    """One workbook per place of the scope, in a zip file."""
    buffer = io.BytesIO()
    stamp = info.made_at.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for code, _ in scope.places:
            single = scope.only(code)
            entry = zipfile.ZipInfo(file_name(single, info.year, "xlsx"), date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, workbook(frame[frame["place_code"] == code], single, info))
    return buffer.getvalue()


_BAD_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")


def _tab_names(scope: Scope, places: list[str]) -> list[str]:
    """Sheet names for the capacity & demand tabs: at most 31 characters, unique."""
    if not scope.total:
        return ["Capacity & Demand"]
    code = scope.total[0]
    wanted = [f"C&D total ({code})" if code else "C&D total"]
    wanted += [f"C&D {place}" for place in places[1:]]
    out: list[str] = []
    for name in wanted:
        clean = _BAD_SHEET_CHARACTERS.sub("-", name)[:31].strip("' ")
        candidate, n = clean, 2
        while candidate.lower() in {o.lower() for o in out} | {"cover", "assumptions", "data"}:
            candidate = f"{clean[:26]} ({n})"
            n += 1
        out.append(candidate)
    return out


def _styles(book) -> dict:
    """The cell formats the sheets share."""
    base = {"font_name": "Arial", "font_size": 10, "valign": "top"}

    def style(**extra):
        return book.add_format(base | extra)

    return {
        "title": style(bold=True, font_size=14),
        "subtitle": style(italic=True, font_color="#425563"),
        "label": style(bold=True),
        "text": style(text_wrap=True),
        "plain": style(),
        "header": style(bold=True, bg_color="#E8EDEE", bottom=1, text_wrap=True),
        "header_number": style(bold=True, bg_color="#E8EDEE", bottom=1, align="right"),
        "section": style(bold=True, font_color="#FFFFFF", bg_color="#005EB8"),
        "whole": style(num_format="#,##0"),
        "whole_total": style(num_format="#,##0", bold=True),
        "total_label": style(bold=True, top=1),
        "total_row": style(num_format="#,##0", bold=True, top=1),
        "decimal": style(num_format="#,##0.00"),
        "share": style(num_format="0.00"),
        "percent": style(num_format="0.0%"),
        "integer": style(num_format="0"),
        "shortfall": book.add_format(
            {"bg_color": "#FBD9C6", "font_color": "#8A3B00", "bold": True}
        ),
    }


def _print_setup(sheet, repeat_row: int | None = None) -> None:
    """Landscape A4, one page wide, sheet name and page numbers in the footer."""
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_footer("&L&A&RPage &P of &N")
    if repeat_row is not None:
        sheet.repeat_rows(repeat_row)


def _change_line(change: Change, names: Names) -> str:
    """'4 more beds at BHR rehabilitation beds in Havering, Nov 2025–Mar 2026'."""
    return change.describe(names)


def _names(frame: pd.DataFrame, info: ExportInfo, scope: Scope) -> Names:
    """The names a scenario's changes read with: the places, types and services exported."""
    places = pd.DataFrame(
        [*zip(frame["place_code"], frame["place"], strict=True), *scope.places],
        columns=["place_code", "name"],
    ).drop_duplicates("place_code")
    services = (
        frame[["service_id", "service", "service_type"]]
        .dropna(subset=["service_id"])
        .drop_duplicates("service_id")
        .rename(columns={"service": "name"})
    )
    return Names.of(places, info.service_types, services)


def _flagged_services(frame: pd.DataFrame) -> str:
    """The services whose capacity was assumed equal to demand (their gap means unknown)."""
    flagged = frame[frame["method"] == "equal_to_demand"]
    names = list(
        dict.fromkeys(
            f"{p}: {s} ({src})"
            for p, s, src in zip(
                flagged["place"], flagged["service"], flagged["source"], strict=True
            )
        )
    )
    return "; ".join(names) if names else "none"


def _demand_lines(frame: pd.DataFrame) -> tuple[str, str, str]:
    """The cover's words for where each place's demand comes from, the service types with
    no service here, and those with no demand data ('none' where there are none)."""
    table = demand_sources_by_place(frame)
    sources, unserved, missing = [], [], []
    for place, type_name, source, state in table.itertuples(index=False):
        sources.append(f"{place}, {type_name}: {source or 'not named'}")
        if state.startswith("no service"):
            unserved.append(f"{place}, {type_name}")
        if "no demand data" in state:
            missing.append(f"{place}, {type_name}")

    def said(lines: list[str]) -> str:
        return "\n".join(lines) if lines else "none"

    return said(sources), said(unserved), said(missing)


def _cover(
    sheet,
    styles: dict,
    scope: Scope,
    info: ExportInfo,
    template: Template,
    tab_names: list[str],
    frame: pd.DataFrame,
    moved: str,
) -> None:
    year = planning_year_label(info.year)
    months = planning_year_months(info.year)
    names = _names(frame, info, scope)
    changes = [_change_line(c, names) for c in (info.scenario.changes if info.scenario else ())]
    sources, unserved, missing = _demand_lines(frame)
    places = "; ".join(f"{name} ({code})" for code, name in scope.places)
    facts = [
        ("Place" if len(scope.places) == 1 else "Places", places),
        ("Total of", scope.total[1] if scope.total else "—"),
        ("Planning year", f"{year} ({months[0].label} to {months[-1].label})"),
        ("Scenario", info.scenario_name),
        ("Scenario description", info.scenario_description),
        ("Scenario changes", "\n".join(changes) if changes else "none"),
        ("Made", _when(info.made_at)),
        ("Product version", f"ic-capacity {info.version}"),
        (
            "Row labels",
            f"The {template.labels_year} wording of the BCF planning template rows"
            + (f". {template.note}" if template.note else "."),
        ),
        ("Capacity assumed equal to demand", _flagged_services(frame)),
        ("Where demand comes from", sources),
        ("No service here (demand unmet, capacity 0)", unserved),
        (
            "No demand data",
            missing
            if missing == "none"
            else f"{missing}\nTheir demand and gap are blank on the Data and Assumptions "
            "sheets; the Capacity & Demand tabs, whose figures must add up, show 0 there, "
            "which means no data, not no demand.",
        ),
        (
            "Rounding",
            _ROUNDING_NOTE
            + (_TOTAL_NOTE if scope.total else "")
            + (
                " Where no rounding could do all of this, the figures that moved further are "
                "named below."
                if moved
                else ""
            ),
        ),
        *([("Figures moved further", moved)] if moved else []),
    ]
    sheet.write_string(0, 0, f"Capacity and demand: {scope.name}, {year}", styles["title"])
    sheet.write_string(
        1,
        0,
        "Intermediate care: monthly demand and capacity by service type, "
        "for the Better Care Fund plan",
        styles["subtitle"],
    )
    row = 3
    for label, value in facts:
        sheet.write_string(row, 0, label, styles["label"])
        sheet.write_string(row, 1, value, styles["text"])
        _fit_row(sheet, row, _lines(value, COVER_TEXT_WIDTH))
        row += 1
    row += 1
    sheet.write_string(row, 0, "Sheet", styles["header"])
    sheet.write_string(row, 1, "What it holds", styles["header"])
    for name, text in _sheet_guide(scope, tab_names):
        row += 1
        sheet.write_string(row, 0, name, styles["label"])
        sheet.write_string(row, 1, text, styles["text"])
        _fit_row(sheet, row, _lines(text, COVER_TEXT_WIDTH))
    sheet.set_column(0, 0, 32)
    sheet.set_column(1, 1, COVER_TEXT_WIDTH)
    _print_setup(sheet)


_ROUNDING_NOTE = (
    "The Capacity & Demand figures are whole numbers: each is its unrounded figure rounded "
    "down or up, never further, and that holds for every figure shown — each month, each "
    "year total, each section's totals and each gap. Every row adds up to its year total, "
    "every month's service types add up to the month's total, and each gap is the rounded "
    "capacity less the rounded demand, so where capacity was assumed equal to demand the gap "
    "is 0. The Data sheet holds the unrounded figures."
)
_TOTAL_NOTE = (
    " The places' sheets and the total sheet are rounded together: the total sheet is the sum "
    "of the places' sheets, figure by figure, and is within one of the total's unrounded "
    "figures too."
)


def _moved_note(moved: Sequence[Moved], tab_names: list[str]) -> str:
    """The cover's words for figures that moved more than one, or '' when none did."""
    if not moved:
        return ""
    lines = [
        f"{tab_names[m.tab]}, {m.row}, {m.month}: {m.value:,.2f} shown as {m.shown:,} "
        f"({m.distance:,.2f} away)"
        for m in moved
    ]
    return (
        "No rounding could keep every figure within one of its unrounded value while "
        "everything adds up; these moved further: " + "; ".join(lines) + "."
    )


def _when(moment: datetime) -> str:
    text = moment.strftime("%-d %B %Y, %H:%M")
    return f"{text} {moment.tzname()}" if moment.tzinfo else text


def _sheet_guide(scope: Scope, tab_names: list[str]) -> list[tuple[str, str]]:
    guide = [("Cover", "This page: what the workbook covers and how it was made.")]
    layout = (
        "laid out like the BCF planning template: demand, capacity and the gap (capacity "
        "− demand), for hospital discharge and for community, a row per service type, "
        "months April to March and the year's total; whole numbers; shortfalls shaded."
    )
    if scope.total:
        guide.append((tab_names[0], f"Total of the places below, {layout}"))
        guide += [
            (tab, f"{name}, {layout}")
            for tab, (_, name) in zip(tab_names[1:], scope.places, strict=True)
        ]
    else:
        guide.append((tab_names[0], f"{scope.name}, {layout}"))
    guide += [
        (
            "Assumptions",
            "For each place, service and source: the method, caseload, length of "
            "stay, hours, throughput, shares, the demand data window, where each "
            "figure came from, and flags such as 'capacity assumed equal to "
            "demand'. A service whose figures change in the year has a row per "
            "period.",
        ),
        (
            "Data",
            "The plan itself, unrounded: one row per place, service, source and month, "
            "with every figure and parameter used and how capacity was worked out.",
        ),
    ]
    return guide


def _capacity_demand_sheet(
    sheet, styles: dict, place: str, sections: list[Section], info: ExportInfo
) -> None:
    months = planning_year_months(info.year)
    sheet.write_string(
        0, 0, f"Capacity and demand: {place}, {planning_year_label(info.year)}", styles["title"]
    )
    sheet.write_string(
        1,
        0,
        f"Scenario: {info.scenario_name}. New people a month, whole "
        "numbers that add up (see Cover).",
        styles["subtitle"],
    )
    header = 3
    headings = ["Service type", "Pathway", *(m.label for m in months), "Total"]
    for column, text in enumerate(headings):
        sheet.write_string(
            header, column, text, styles["header"] if column < 2 else styles["header_number"]
        )
    row = header + 1
    last = len(headings) - 1
    for section in sections:
        first = row
        row = _write_section(sheet, styles, section, row, last)
        if section.measure == "gap":
            sheet.conditional_format(
                first + 1,
                2,
                row - 1,
                last,
                {"type": "cell", "criteria": "<", "value": 0, "format": styles["shortfall"]},
            )
        row += 1
    sheet.set_column(0, 0, LABEL_WIDTH)
    sheet.set_column(1, 1, 9)
    sheet.set_column(2, last - 1, 10)
    sheet.set_column(last, last, 11)
    sheet.freeze_panes(header + 1, 2)
    _print_setup(sheet, repeat_row=header)
    sheet.print_area(0, 0, row, last)


def _write_section(sheet, styles: dict, section: Section, row: int, last: int) -> int:
    """Write one section from ``row``; return the row after its total."""
    sheet.write_string(row, 0, section.title, styles["section"])
    for column in range(1, last + 1):
        sheet.write_blank(row, column, None, styles["section"])
    row += 1
    for label, pathway, cells, total in zip(
        section.labels, section.pathways, section.cells, section.row_totals, strict=True
    ):
        sheet.write_string(row, 0, label, styles["text"])
        _fit_row(sheet, row, _lines(label, LABEL_WIDTH))
        if pathway:
            sheet.write_string(row, 1, pathway, styles["plain"])
        for column, value in enumerate(cells, start=2):
            sheet.write_number(row, column, value, styles["whole"])
        sheet.write_number(row, last, total, styles["whole_total"])
        row += 1
    sheet.write_string(row, 0, f"Total: {section.title.lower()}", styles["total_label"])
    sheet.write_blank(row, 1, None, styles["total_label"])
    for column, value in enumerate(section.column_totals, start=2):
        sheet.write_number(row, column, value, styles["total_row"])
    sheet.write_number(row, last, section.grand_total, styles["total_row"])
    return row + 1


_NUMBER_STYLES = {
    "days_in_month": "integer",
    "utilisation": "percent",
    "target_occupancy": "share",
    "contract_share": "share",
    "place_share": "share",
    "hospital_share": "share",
    "Target occupancy": "share",
    "Contract share": "share",
    "Place share": "share",
    "Hospital share": "share",
}
ASSUMPTION_WIDTHS = {
    "Place": 16,
    "Service": 28,
    "Service type": 30,
    "Source": 10,
    "Months": 20,
    "Method": 26,
    "Throughput per": 10,
    "Place share from": 18,
    "Hospital share from": 18,
    "Demand data window": 18,
    "Source note": 50,
    "Demand from": 24,
    "Flags": 32,
}
DATA_WIDTHS = {
    "place": 18,
    "service_id": 20,
    "service": 34,
    "service_type": 22,
    "service_type_name": 30,
    "method": 16,
    "flags": 40,
    "hospital_share_basis": 22,
    "place_share_basis": 22,
    "calculation": 40,
    "source_note": 40,
    "data_window": 28,
    "demand_source": 24,
    "demand_note": 40,
    "scenario": 16,
}


def _lines(text: str, width: float) -> int:
    """Roughly how many lines ``text`` needs in a wrapped column ``width`` characters wide."""
    per_line = max(1, int(width * 1.1))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))


def _fit_row(sheet, row: int, lines: int) -> None:
    """Make a row tall enough for wrapped text.

    Excel grows such rows when it opens a file, but LibreOffice (and so its
    PDF export) keeps the default height, so the height is set here.
    """
    if lines > 1:
        sheet.set_row(row, LINE_POINTS * lines + 3)


def _table_sheet(
    sheet,
    styles: dict,
    table: pd.DataFrame,
    *,
    freeze_columns: int,
    widths: Mapping[str, float],
    wrap: bool,
) -> None:
    """A plain table: a header row, then one row per record; text stays text.

    With ``wrap``, long text wraps within its column and rows are made tall
    enough; without, each record stays on one line (easier to filter and scan).
    """
    columns = list(table.columns)
    width_of = {name: widths.get(name, 11) for name in columns}
    text_style = styles["text"] if wrap else styles["plain"]
    for column, name in enumerate(columns):
        sheet.write_string(0, column, str(name), styles["header"])
        sheet.set_column(column, column, width_of[name])
    _fit_row(sheet, 0, max(_lines(name, width_of[name]) for name in columns) if columns else 1)
    for column, name in enumerate(columns):
        style = styles[_NUMBER_STYLES.get(name, "decimal")]
        for row, value in enumerate(table[name].tolist(), start=1):
            _write_value(sheet, row, column, value, style, text_style)
    if wrap:
        for row, record in enumerate(table.itertuples(index=False), start=1):
            _fit_row(
                sheet,
                row,
                max(
                    _lines(v, width_of[n])
                    for n, v in zip(columns, record, strict=True)
                    if isinstance(v, str)
                )
                if columns
                else 1,
            )
    if "gap" in columns and len(table):
        gap = columns.index("gap")
        sheet.conditional_format(
            1,
            gap,
            len(table),
            gap,
            {"type": "cell", "criteria": "<", "value": 0, "format": styles["shortfall"]},
        )
    sheet.freeze_panes(1, freeze_columns)
    if columns:
        sheet.autofilter(0, 0, max(len(table), 1), len(columns) - 1)
    _print_setup(sheet, repeat_row=0)


def _write_value(sheet, row: int, column: int, value, number_style, text_style) -> None:
    """A number as a number (blank if missing or not finite); anything else as text."""
    if value is None or value == "" or (not isinstance(value, str) and pd.isna(value)):
        return
    # real numbers of any kind (Python, numpy, Decimal from a DECIMAL column); complex never
    # occurs in a plan and has no one figure to write
    if isinstance(value, numbers.Real | Decimal) and not isinstance(value, bool):
        if math.isfinite(float(value)):
            sheet.write_number(row, column, float(value), number_style)
    else:
        sheet.write_string(row, column, str(value), text_style)
