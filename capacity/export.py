"""Exports of the plan frame as bytes: the BCF capacity & demand workbook, CSV and chart images.

Every function here takes a plan frame (from :mod:`capacity.plan`) and what
the export says about itself (:class:`ExportInfo`: planning year, scenario,
when it was made, product version, the service types and their labels), and
returns bytes. The app's download buttons and the command line call the same
functions, so a workbook made from either holds the same numbers.

The workbook, for one place or for several (a system: a sheet per place and
one for their total):

* **Cover** — the place(s), planning year, scenario and its changes, when it
  was made, the product version, the wording used for the rows, how the
  figures were rounded, and what each sheet holds.
* **Capacity & Demand** — laid out like the BCF planning template: demand,
  then capacity, for hospital discharge and for community, a row per service
  type (every row the template has for that source, in plan order, zero where
  the place has none), then the gap. Months April to March, then the year.
  Whole numbers that add up across and down (:func:`capacity.rounding.round_table`);
  the gap is the rounded capacity less the rounded demand, so it adds up too.
* **Assumptions** — per place, service and source: method, caseload, length
  of stay, hours, throughput, shares, data window, source note and flags.
* **Data** — the plan frame itself, unrounded, every column.

Row labels come from the reference data for the planning year, so next
year's wording is a data change. Text from the data is always written as
text, never as a formula.
"""

from __future__ import annotations

import io
import logging
import math
import numbers
import re
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import xlsxwriter

from capacity.charts import gap_chart
from capacity.periods import month_label, planning_year_label, planning_year_months
from capacity.plan import METHOD_LABELS, PLAN_COLUMNS, places_in
from capacity.rounding import round_table
from capacity.scenarios import BASELINE_LABEL, Change, Scenario
from capacity.summary import SOURCE_LABELS, assumptions, by_service_type
from capacity.validation import looks_like_formula

FORMATS = {
    "xlsx": "the BCF capacity & demand workbook",
    "csv": "the plan frame, unrounded, as CSV",
    "png": "a gap chart as a PNG image",
    "svg": "a gap chart as an SVG image",
    "zip": "one workbook per place, in a zip file",
}
MIME_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "png": "image/png",
    "svg": "image/svg+xml",
    "zip": "application/zip",
}
IMAGE_FORMATS = ("png", "svg")
# Chart images: laid out at 1200 × 600 pixels; a PNG is drawn at twice that so slides stay sharp.
IMAGE_WIDTH = 1200
IMAGE_HEIGHT = 600
PNG_SCALE = 2
RENDER_TIMEOUT_SECONDS = 90

SECTIONS = [
    ("demand", "hospital"),
    ("demand", "community"),
    ("capacity", "hospital"),
    ("capacity", "community"),
    ("gap", "hospital"),
    ("gap", "community"),
]
MEASURE_TITLES = {"demand": "Demand", "capacity": "Capacity", "gap": "Gap (capacity − demand)"}
SOURCE_TITLES = {"hospital": "hospital discharge", "community": "community"}
# Workbook layout: column widths in characters, row heights in points.
LINE_POINTS = 13  # the height of one line of 10-point Arial
COVER_TEXT_WIDTH = 100
LABEL_WIDTH = 58
BASELINE_NAME = BASELINE_LABEL
BASELINE_DESCRIPTION = "The plan as the data stand: no changes."


class ExportError(ValueError):
    """An export that cannot be made, with a reason a lead can act on."""


@dataclass(frozen=True)
class ExportInfo:
    """What an export says about itself.

    ``service_types`` is the store's ``service_types`` table and ``labels``
    its ``service_type_labels`` table (service_type, source, planning_year,
    label); ``made_at`` is when the export was made; ``version`` the product
    version (``capacity.__version__``). ``scenario`` is None for the baseline.
    """

    year: int
    scenario: Scenario | None
    made_at: datetime
    version: str
    service_types: pd.DataFrame
    labels: pd.DataFrame

    @property
    def scenario_name(self) -> str:
        """The scenario's name, or 'Baseline'."""
        return self.scenario.name if self.scenario is not None else BASELINE_NAME

    @property
    def scenario_description(self) -> str:
        """The scenario's description (the baseline has its own)."""
        if self.scenario is None:
            return BASELINE_DESCRIPTION
        return self.scenario.description or "(no description)"


@dataclass(frozen=True)
class Scope:
    """The places an export covers, as (code, name), and the (code, name) of their total.

    ``total`` is None for a single place; for a system it is the system, and
    for a hand-picked set of places a name for the set.
    """

    places: tuple[tuple[str, str], ...]
    total: tuple[str, str] | None = None

    @property
    def codes(self) -> list[str]:
        """The place codes, in order."""
        return [code for code, _ in self.places]

    @property
    def name(self) -> str:
        """The name of the whole export: the total's, or the one place's."""
        return self.total[1] if self.total else self.places[0][1]

    def only(self, code: str) -> Scope:
        """The scope of one of its places on its own."""
        return Scope(tuple(p for p in self.places if p[0] == code))


def scope_for(all_places: pd.DataFrame, codes: Sequence[str]) -> Scope:
    """The scope for some place or system codes: a system stands for its places.

    One place gives a single-place export; one system, its places with the
    system as their total; anything else, the places chosen with a total
    named after them.
    """
    if not codes:
        raise ExportError("Choose at least one place or system to export.")
    names = dict(zip(all_places["place_code"], all_places["name"], strict=True))
    members: list[str] = []
    for code in codes:
        for member in places_in(all_places, code):
            if member not in members:
                members.append(member)
    if not members:
        raise ExportError(f"{names.get(codes[0], codes[0])} has no places to export.")
    places = tuple((code, names[code]) for code in members)
    kinds = dict(zip(all_places["place_code"], all_places["kind"], strict=True))
    if len(codes) == 1 and kinds[codes[0]] == "system":
        return Scope(places, (codes[0], names[codes[0]]))
    if len(places) == 1:
        return Scope(places)
    return Scope(places, ("", "Total of " + ", ".join(name for _, name in places)))


# -- the rows of the template ---------------------------------------------------


@dataclass(frozen=True)
class Template:
    """The rows of the capacity & demand tab for a planning year, and whose wording they use.

    ``rows`` has service_type, source, label, pathway and sort_order, in plan
    order within each source; ``labels_year`` is the planning year whose
    labels were used ('2025-26'); ``note`` says why, when it is not the year
    asked for.
    """

    rows: pd.DataFrame
    labels_year: str
    note: str = ""

    def for_source(self, source: str) -> pd.DataFrame:
        """The rows of one source."""
        return self.rows[self.rows["source"] == source].reset_index(drop=True)


def _year_start(label: str) -> int:
    return int(str(label)[:4])


def labels_year_for(labels: pd.DataFrame, year: int) -> tuple[str, str]:
    """The planning year whose labels to use for ``year``, and a note when it is another year.

    The year's own labels if the reference data have them; else the latest
    year before it; else (a year before any labels) the earliest.
    """
    known = sorted(set(labels["planning_year"]), key=_year_start)
    if not known:
        raise ExportError("The reference data hold no service type labels.")
    wanted = planning_year_label(year)
    if wanted in known:
        return wanted, ""
    earlier = [label for label in known if _year_start(label) < year]
    chosen = earlier[-1] if earlier else known[0]
    return chosen, (f"The reference data have no row labels for {wanted} yet, so this "
                    f"workbook uses the {chosen} wording.")


def template_rows(service_types: pd.DataFrame, labels: pd.DataFrame, year: int) -> Template:
    """Every row the template has for ``year``, per source, in plan order, with its label."""
    labels_year, note = labels_year_for(labels, year)
    chosen = labels[labels["planning_year"] == labels_year]
    types = service_types.set_index("service_type")
    unknown = sorted(set(chosen["service_type"]) - set(types.index))
    if unknown:
        raise ExportError(f"The {labels_year} labels name unknown service types: "
                          + ", ".join(unknown))
    rows = chosen.assign(
        sort_order=chosen["service_type"].map(types["sort_order"]),
        pathway=[types.loc[t, "pathway"] if s == "hospital" else None
                 for t, s in zip(chosen["service_type"], chosen["source"], strict=True)],
        source_rank=chosen["source"].map({"hospital": 0, "community": 1}),
    ).sort_values(["source_rank", "sort_order"])
    rows = rows[["service_type", "source", "label", "pathway", "sort_order"]]
    return Template(rows.reset_index(drop=True), labels_year, note)


# -- the capacity & demand tables ------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One block of the capacity & demand tab: a measure for a source, rounded.

    ``cells[i][j]`` is row i (a service type) in month j; the totals add up
    across (``row_totals``, the year), down (``column_totals``, the month)
    and overall (``grand_total``).
    """

    measure: str
    source: str
    service_types: tuple[str, ...]
    labels: tuple[str, ...]
    pathways: tuple[str | None, ...]
    cells: tuple[tuple[int, ...], ...]
    row_totals: tuple[int, ...]
    column_totals: tuple[int, ...]
    grand_total: int

    @property
    def title(self) -> str:
        """'Demand – hospital discharge'."""
        return f"{MEASURE_TITLES[self.measure]} – {SOURCE_TITLES[self.source]}"


def _month_matrix(frame: pd.DataFrame, service_types: list[str], measure: str,
                  months: list[str]) -> list[list[float]]:
    """Service types × months of one measure, summed over services; missing is zero."""
    summed = frame.groupby(["service_type", "month"])[measure].sum(min_count=1)
    table = summed.unstack("month") if len(summed) else pd.DataFrame()
    table = table.reindex(index=service_types, columns=months)
    return table.fillna(0.0).astype(float).values.tolist()


def _check_rows_exist(frame: pd.DataFrame, template: Template) -> None:
    """Every service type and source with figures must have a row in the template."""
    have = set(zip(template.rows["service_type"], template.rows["source"], strict=True))
    used = set(zip(frame["service_type"], frame["source"], strict=True))
    missing = sorted(used - have)
    if missing:
        listed = ", ".join(f"{t} ({s})" for t, s in missing)
        raise ExportError(f"The {template.labels_year} labels have no row for {listed}; "
                          "add them to the service type labels so no figures are left out.")


def _rounded_section(frame: pd.DataFrame, rows: pd.DataFrame, measure: str, source: str,
                     months: list[str]) -> Section:
    types = list(rows["service_type"])
    table = round_table(_month_matrix(frame[frame["source"] == source], types, measure, months),
                        columns=len(months))
    return _section(measure, source, rows, table.cells, table.row_totals, table.column_totals,
                    table.grand_total)


def _section(measure: str, source: str, rows: pd.DataFrame, cells, row_totals, column_totals,
             grand_total: int) -> Section:
    return Section(
        measure=measure, source=source, service_types=tuple(rows["service_type"]),
        labels=tuple(rows["label"]),
        pathways=tuple(p if isinstance(p, str) else None for p in rows["pathway"]),
        cells=tuple(tuple(int(v) for v in row) for row in cells),
        row_totals=tuple(int(v) for v in row_totals),
        column_totals=tuple(int(v) for v in column_totals), grand_total=int(grand_total))


def _difference(capacity: Section, demand: Section) -> Section:
    """The gap section: rounded capacity less rounded demand, cell by cell and in every total."""
    def minus(a: tuple, b: tuple) -> tuple:
        return tuple(x - y for x, y in zip(a, b, strict=True))

    return Section(
        measure="gap", source=capacity.source, service_types=capacity.service_types,
        labels=capacity.labels, pathways=capacity.pathways,
        cells=tuple(minus(c, d) for c, d in zip(capacity.cells, demand.cells, strict=True)),
        row_totals=minus(capacity.row_totals, demand.row_totals),
        column_totals=minus(capacity.column_totals, demand.column_totals),
        grand_total=capacity.grand_total - demand.grand_total)


def capacity_demand_sections(frame: pd.DataFrame, template: Template,
                             year: int) -> list[Section]:
    """The rounded sections of the capacity & demand tab for the places in ``frame``.

    Demand and capacity are each rounded as a table (rows, months and totals
    add up); the gap is worked out from those whole numbers.
    """
    _check_rows_exist(frame, template)
    months = [m.key for m in planning_year_months(year)]
    found: dict[tuple[str, str], Section] = {}
    for measure, source in SECTIONS:
        if measure == "gap":
            found[(measure, source)] = _difference(found[("capacity", source)],
                                                   found[("demand", source)])
        else:
            found[(measure, source)] = _rounded_section(
                frame, template.for_source(source), measure, source, months)
    return [found[key] for key in SECTIONS]


def add_sections(parts: Sequence[Sequence[Section]]) -> list[Section]:
    """Sections added up cell by cell (a system total from its places' rounded sheets)."""
    def add(values: Sequence[tuple]) -> tuple:
        return tuple(sum(column) for column in zip(*values, strict=True))

    out = []
    for same in zip(*parts, strict=True):
        first = same[0]
        out.append(Section(
            measure=first.measure, source=first.source, service_types=first.service_types,
            labels=first.labels, pathways=first.pathways,
            cells=tuple(add([s.cells[i] for s in same]) for i in range(len(first.cells))),
            row_totals=add([s.row_totals for s in same]),
            column_totals=add([s.column_totals for s in same]),
            grand_total=sum(s.grand_total for s in same)))
    return out


# -- assumptions ------------------------------------------------------------------

ASSUMPTION_HEADERS = {
    "place": "Place",
    "service": "Service",
    "service_type": "Service type",
    "source": "Source",
    "months": "Months",
    "method": "Method",
    "caseload": "Caseload",
    "mean_los_days": "Mean length of stay (days)",
    "hours_per_month": "Hours a month",
    "hours_per_package_per_month": "Hours per package a month",
    "throughput": "Throughput",
    "throughput_unit": "Throughput per",
    "target_occupancy": "Target occupancy",
    "contract_share": "Contract share",
    "place_share": "Place share",
    "place_share_basis": "Place share from",
    "hospital_share": "Hospital share",
    "hospital_share_basis": "Hospital share from",
    "data_window": "Demand data window",
    "source_note": "Source note",
    "flags": "Flags",
}


def assumption_rows(frame: pd.DataFrame, template: Template) -> pd.DataFrame:
    """The parameters behind each place, service, service type and source, with their months.

    A service whose figures change during the year has a row per period. The
    service type is shown with its label for the planning year.
    """
    if frame.empty:
        return pd.DataFrame(columns=list(ASSUMPTION_HEADERS))
    labels = {(t, s): label for t, s, label in
              zip(template.rows["service_type"], template.rows["source"],
                  template.rows["label"], strict=True)}
    windows = dict(zip(frame["place"], frame["data_window"], strict=True))
    out = assumptions(frame, by=("place", "service_type", "service", "source"))
    out["service_type"] = [labels.get((t, s), t) for t, s in
                           zip(out["service_type"], out["source"], strict=True)]
    out["data_window"] = out["place"].map(windows)
    out["method"] = out["method"].map(lambda m: METHOD_LABELS.get(m, m))
    return out[list(ASSUMPTION_HEADERS)]


# -- CSV ----------------------------------------------------------------------------


def defused(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which text that a spreadsheet would run as a formula (see
    :func:`capacity.validation.looks_like_formula`) starts with an apostrophe, so it opens as
    the text it is."""
    out = frame.copy()
    for column in out.select_dtypes(include=["object", "string"]).columns:
        out[column] = out[column].map(
            lambda v: "'" + v if isinstance(v, str) and looks_like_formula(v) else v)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Any table as UTF-8 CSV, safe to open in a spreadsheet (see :func:`defused`)."""
    return defused(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")


def plan_csv(frame: pd.DataFrame) -> bytes:
    """The plan frame as UTF-8 CSV: every column, months as YYYY-MM, figures unrounded."""
    return csv_bytes(frame[PLAN_COLUMNS])


# -- chart images -----------------------------------------------------------------


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
        figure.update_layout(title_subtitle_text=f"Scenario: {scenario.name}",
                             margin={"t": 95})
    return figure


def gap_figure(frame: pd.DataFrame, service_type: str, source: str, title: str) -> go.Figure:
    """The pages' gap chart for one service type and source, summed over the places in ``frame``."""
    monthly = by_service_type(frame, source)
    monthly = monthly[monthly["service_type"] == service_type]
    if monthly.empty:
        known = ", ".join(sorted(set(frame["service_type"]))) or "none"
        raise ExportError(f"No {SOURCE_LABELS[source].lower()} figures for service type "
                          f"{service_type!r} here (service types with figures: {known}).")
    figure = gap_chart(monthly, title)
    # A little room at the edges, which a page does not need but a slide does.
    figure.update_layout(margin={"l": 40, "r": 30, "t": 70, "b": 30}, title_x=0.015)
    return figure


_RENDER_LOCK = threading.Lock()


def chart_images(figures: Sequence[go.Figure], fmt: str, *, width: int = IMAGE_WIDTH,
                 height: int = IMAGE_HEIGHT, scale: float = PNG_SCALE) -> list[bytes]:
    """Draw figures as PNG or SVG with kaleido.

    Kaleido's browser starts with the first image a process draws (about two
    seconds) and is reused by every later one, so a batch pays for it once. A
    PNG is ``width`` × ``scale`` by ``height`` × ``scale`` pixels; an SVG is
    ``width`` × ``height``. Raises ExportError if no Chromium can be found or
    an image is not drawn within the time allowed.
    """
    if fmt not in IMAGE_FORMATS:
        raise ExportError(f"Chart images are {' or '.join(IMAGE_FORMATS)}, not {fmt!r}.")
    opts = {"format": fmt, "width": width, "height": height,
            "scale": scale if fmt == "png" else 1}
    with _RENDER_LOCK:
        _start_renderer()
        return [_render(figure, opts) for figure in figures]


def chart_image(figure: go.Figure, fmt: str, *, width: int = IMAGE_WIDTH,
                height: int = IMAGE_HEIGHT, scale: float = PNG_SCALE) -> bytes:
    """One figure as PNG or SVG bytes (see :func:`chart_images`)."""
    return chart_images([figure], fmt, width=width, height=height, scale=scale)[0]


def _start_renderer() -> None:
    """Start kaleido's shared browser once per process (later calls reuse it)."""
    import kaleido
    from choreographer.browsers.chromium import Chromium

    path = Chromium.find_browser(skip_local=False)
    if not path or not Path(path).is_file():
        raise ExportError("Chart images need the Chromium browser, which was not found. "
                          "On Debian: apt-get install -y chromium")
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
        raise ExportError(f"The chart image was not drawn within {RENDER_TIMEOUT_SECONDS} s; "
                          "is Chromium working? (try: chromium --headless --version)")
    image = result["image"]
    return image if isinstance(image, bytes) else str(image).encode("utf-8")


# -- file names and the one entry point ---------------------------------------------


def slug(text: str) -> str:
    """Lower case, letters and digits, words joined by hyphens ('Barking & Dagenham' → ...)."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("&", " and "))
    return "-".join(words)[:60].strip("-") or "export"


def file_name(scope: Scope, year: int, fmt: str, service_type: str | None = None) -> str:
    """A file name that says what is inside: 'havering-2025-26-capacity-demand.xlsx'."""
    name = scope.total[0] if scope.total and scope.total[0] else scope.name
    what = f"gap-{slug(service_type)}" if fmt in IMAGE_FORMATS and service_type else \
        ("plan" if fmt == "csv" else "capacity-demand")
    return f"{slug(name)}-{planning_year_label(year)}-{what}.{fmt}"


def export_bytes(fmt: str, frame: pd.DataFrame, scope: Scope, info: ExportInfo, *,
                 service_type: str | None = None, source: str = "both") -> bytes:
    """Any export as bytes, by format: xlsx, csv, png, svg or zip.

    ``frame`` holds the plan rows of the scope's places (other rows are
    ignored). Charts are of ``service_type`` (default: the first in plan
    order with figures) and ``source``, summed over the scope's places.
    """
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    rows = frame[frame["place_code"].isin(scope.codes)]
    if fmt == "xlsx":
        return workbook(rows, scope, info)
    if fmt == "zip":
        return workbooks_zip(rows, scope, info)
    if fmt == "csv":
        return plan_csv(rows)
    chosen = service_type or next(iter(chart_service_types(rows, info.service_types)), None)
    if chosen is None:
        raise ExportError(f"{scope.name} has no figures to chart.")
    names = dict(zip(info.service_types["service_type"], info.service_types["name"],
                     strict=True))
    title = chart_title(scope.name, names.get(chosen, chosen), source, info.year)
    return chart_image(name_scenario(gap_figure(rows, chosen, source, title), info.scenario), fmt)


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


# -- the workbook -------------------------------------------------------------------


def capacity_demand_tabs(frame: pd.DataFrame, scope: Scope, template: Template,
                         year: int) -> list[tuple[str, list[Section]]]:
    """(name, sections) of each capacity & demand tab: the total first (if any), then each place."""
    per_place = [(name, capacity_demand_sections(frame[frame["place_code"] == code], template,
                                                 year)) for code, name in scope.places]
    if not scope.total:
        return per_place
    return [(scope.total[1], add_sections([s for _, s in per_place])), *per_place]


def sections_table(sections: Sequence[Section], year: int) -> pd.DataFrame:
    """Sections as one table, as the tab shows them: section, service type, pathway, months, total.

    Each section ends with its total row (service type 'Total').
    """
    months = [m.label for m in planning_year_months(year)]
    rows = []
    for section in sections:
        for label, pathway, cells, total in zip(section.labels, section.pathways, section.cells,
                                                section.row_totals, strict=True):
            rows.append([section.title, label, pathway or "", *cells, total])
        rows.append([section.title, "Total", "", *section.column_totals, section.grand_total])
    return pd.DataFrame(rows, columns=["Section", "Service type", "Pathway", *months, "Total"])


def preview(frame: pd.DataFrame, scope: Scope, info: ExportInfo) -> pd.DataFrame:
    """The first capacity & demand tab of the scope's workbook (the total, for several places)."""
    template = template_rows(info.service_types, info.labels, info.year)
    rows = frame[frame["place_code"].isin(scope.codes)]
    tabs = capacity_demand_tabs(rows, scope, template, info.year)
    return sections_table(tabs[0][1], info.year)


def workbook(frame: pd.DataFrame, scope: Scope, info: ExportInfo) -> bytes:
    """The BCF capacity & demand workbook (xlsx) for the scope's places, as bytes."""
    frame = frame[frame["place_code"].isin(scope.codes)]
    template = template_rows(info.service_types, info.labels, info.year)
    tabs = capacity_demand_tabs(frame, scope, template, info.year)
    names = _tab_names(scope, [name for name, _ in tabs])
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    styles = _styles(book)
    book.set_properties({"title": f"Capacity and demand: {scope.name}, "
                                  f"{planning_year_label(info.year)}",
                         "author": f"ic-capacity {info.version}", "created": info.made_at})
    _cover(book.add_worksheet("Cover"), styles, scope, info, template, names, frame)
    for name, (place, sections) in zip(names, tabs, strict=True):
        _capacity_demand_sheet(book.add_worksheet(name), styles, place, sections, info)
    _table_sheet(book.add_worksheet("Assumptions"), styles,
                 assumption_rows(frame, template).rename(columns=ASSUMPTION_HEADERS),
                 freeze_columns=3, widths=ASSUMPTION_WIDTHS, wrap=True)
    _table_sheet(book.add_worksheet("Data"), styles, frame[PLAN_COLUMNS], freeze_columns=2,
                 widths=DATA_WIDTHS, wrap=False)
    book.close()
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
        "shortfall": book.add_format({"bg_color": "#FBD9C6", "font_color": "#8A3B00",
                                      "bold": True}),
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


def _change_line(change: Change, type_names: dict[str, str]) -> str:
    """'demand +10% from Dec 2025 to Mar 2026 (places BHR)'."""
    scope = ", ".join(filter(None, [
        "places " + ", ".join(change.places) if change.places else "",
        "service types " + ", ".join(type_names.get(t, t) for t in change.service_types)
        if change.service_types else "",
        "services " + ", ".join(change.services) if change.services else "",
        f"{SOURCE_TITLES.get(change.source, change.source)} only" if change.source else "",
    ])) or "everywhere"
    return (f"{change.describe(type_names)} from {month_label(change.first_month)} to "
            f"{month_label(change.last_month)} ({scope})")


def _flagged_services(frame: pd.DataFrame) -> str:
    """The services whose capacity was assumed equal to demand (their gap means unknown)."""
    flagged = frame[frame["method"] == "equal_to_demand"]
    names = list(dict.fromkeys(f"{p}: {s} ({src})" for p, s, src in
                               zip(flagged["place"], flagged["service"], flagged["source"],
                                   strict=True)))
    return "; ".join(names) if names else "none"


def _cover(sheet, styles: dict, scope: Scope, info: ExportInfo, template: Template,
           tab_names: list[str], frame: pd.DataFrame) -> None:
    year = planning_year_label(info.year)
    months = planning_year_months(info.year)
    type_names = dict(zip(info.service_types["service_type"], info.service_types["name"],
                          strict=True))
    changes = [_change_line(c, type_names) for c in (info.scenario.changes if info.scenario
                                                      else ())]
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
        ("Row labels", f"The {template.labels_year} wording of the BCF planning template rows"
                       + (f". {template.note}" if template.note else ".")),
        ("Capacity assumed equal to demand", _flagged_services(frame)),
        ("Rounding", _ROUNDING_NOTE + (_TOTAL_NOTE if scope.total else "")),
    ]
    sheet.write_string(0, 0, f"Capacity and demand: {scope.name}, {year}", styles["title"])
    sheet.write_string(1, 0, "Intermediate care: monthly demand and capacity by service type, "
                             "for the Better Care Fund plan", styles["subtitle"])
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
    "The Capacity & Demand figures are whole numbers, rounded so that every row adds up to its "
    "year total and every month's service types add up to the month's total: each figure is "
    "the whole number just below or just above the unrounded one, and the total of a section "
    "is its unrounded total rounded to the nearest whole number. The gap is the rounded "
    "capacity less the rounded demand. The Data sheet holds the unrounded figures."
)
_TOTAL_NOTE = (
    " The total sheet adds up the places' sheets, so it agrees with them exactly; it may differ "
    "by a little from rounding the total's unrounded figures."
)


def _when(moment: datetime) -> str:
    text = moment.strftime("%-d %B %Y, %H:%M")
    return f"{text} {moment.tzname()}" if moment.tzinfo else text


def _sheet_guide(scope: Scope, tab_names: list[str]) -> list[tuple[str, str]]:
    guide = [("Cover", "This page: what the workbook covers and how it was made.")]
    layout = ("laid out like the BCF planning template: demand, capacity and the gap (capacity "
              "− demand), for hospital discharge and for community, a row per service type, "
              "months April to March and the year's total; whole numbers; shortfalls shaded.")
    if scope.total:
        guide.append((tab_names[0], f"Total of the places below, {layout}"))
        guide += [(tab, f"{name}, {layout}") for tab, (_, name) in
                  zip(tab_names[1:], scope.places, strict=True)]
    else:
        guide.append((tab_names[0], f"{scope.name}, {layout}"))
    guide += [
        ("Assumptions", "For each place, service and source: the method, caseload, length of "
                        "stay, hours, throughput, shares, the demand data window, where each "
                        "figure came from, and flags such as 'capacity assumed equal to "
                        "demand'. A service whose figures change in the year has a row per "
                        "period."),
        ("Data", "The plan itself, unrounded: one row per place, service, source and month, "
                 "with every figure and parameter used and how capacity was worked out."),
    ]
    return guide


def _capacity_demand_sheet(sheet, styles: dict, place: str, sections: list[Section],
                           info: ExportInfo) -> None:
    months = planning_year_months(info.year)
    sheet.write_string(0, 0, f"Capacity and demand: {place}, {planning_year_label(info.year)}",
                       styles["title"])
    sheet.write_string(1, 0, f"Scenario: {info.scenario_name}. New people a month, whole "
                             "numbers that add up (see Cover).", styles["subtitle"])
    header = 3
    headings = ["Service type", "Pathway", *(m.label for m in months), "Total"]
    for column, text in enumerate(headings):
        sheet.write_string(header, column, text,
                           styles["header"] if column < 2 else styles["header_number"])
    row = header + 1
    last = len(headings) - 1
    for section in sections:
        first = row
        row = _write_section(sheet, styles, section, row, last)
        if section.measure == "gap":
            sheet.conditional_format(first + 1, 2, row - 1, last, {
                "type": "cell", "criteria": "<", "value": 0, "format": styles["shortfall"]})
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
    for label, pathway, cells, total in zip(section.labels, section.pathways, section.cells,
                                            section.row_totals, strict=True):
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
ASSUMPTION_WIDTHS = {"Place": 16, "Service": 28, "Service type": 30, "Source": 10, "Months": 20,
                     "Method": 26, "Throughput per": 10, "Place share from": 18,
                     "Hospital share from": 18, "Demand data window": 18, "Source note": 50,
                     "Flags": 32}
DATA_WIDTHS = {"place": 18, "service_id": 20, "service": 34, "service_type": 22,
               "service_type_name": 30, "method": 16, "flags": 40, "hospital_share_basis": 22,
               "place_share_basis": 22, "calculation": 40, "source_note": 40, "data_window": 28,
               "scenario": 16}


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


def _table_sheet(sheet, styles: dict, table: pd.DataFrame, *, freeze_columns: int,
                 widths: dict[str, float], wrap: bool) -> None:
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
            _fit_row(sheet, row, max(_lines(v, width_of[n]) for n, v in zip(columns, record,
                                                                             strict=True)
                                     if isinstance(v, str)) if columns else 1)
    if "gap" in columns and len(table):
        gap = columns.index("gap")
        sheet.conditional_format(1, gap, len(table), gap, {
            "type": "cell", "criteria": "<", "value": 0, "format": styles["shortfall"]})
    sheet.freeze_panes(1, freeze_columns)
    if columns:
        sheet.autofilter(0, 0, max(len(table), 1), len(columns) - 1)
    _print_setup(sheet, repeat_row=0)


def _write_value(sheet, row: int, column: int, value, number_style, text_style) -> None:
    """A number as a number (blank if missing or not finite); anything else as text."""
    if value is None or value == "" or (not isinstance(value, str) and pd.isna(value)):
        return
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        if math.isfinite(float(value)):
            sheet.write_number(row, column, float(value), number_style)
    else:
        sheet.write_string(row, column, str(value), text_style)
