"""The BCF capacity & demand tables: the template's rows and the rounded sections.

The rows of the template come from the reference data for the planning year
(:func:`template_rows`), so next year's wording is a data change. The places'
sheets and their total sheet are rounded together, in one integer programme
(:func:`capacity.rounding.round_sheets`): each figure is its unrounded value
rounded down or up, rows and sections add up, the total sheet is the sum of
the places', and each gap is the rounded capacity less the rounded demand.
:func:`assumption_rows` is the parameters behind each row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from capacity.export.scope import ExportError, ExportInfo, Scope
from capacity.periods import planning_year_label, planning_year_months
from capacity.plan import METHOD_LABELS
from capacity.rounding import Departure, Difference, Sheet, round_sheets
from capacity.summary import assumptions

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
    return chosen, (
        f"The reference data have no row labels for {wanted} yet, so this "
        f"workbook uses the {chosen} wording."
    )


def template_rows(service_types: pd.DataFrame, labels: pd.DataFrame, year: int) -> Template:
    """Every row the template has for ``year``, per source, in plan order, with its label."""
    labels_year, note = labels_year_for(labels, year)
    chosen = labels[labels["planning_year"] == labels_year]
    types = service_types.set_index("service_type")
    unknown = sorted(set(chosen["service_type"]) - set(types.index))
    if unknown:
        raise ExportError(
            f"The {labels_year} labels name unknown service types: " + ", ".join(unknown)
        )
    rows = chosen.assign(
        sort_order=chosen["service_type"].map(types["sort_order"]),
        pathway=[
            types.loc[t, "pathway"] if s == "hospital" else None
            for t, s in zip(chosen["service_type"], chosen["source"], strict=True)
        ],
        source_rank=chosen["source"].map({"hospital": 0, "community": 1}),
    ).sort_values(["source_rank", "sort_order"])
    rows = rows[["service_type", "source", "label", "pathway", "sort_order"]]
    return Template(rows.reset_index(drop=True), labels_year, note)


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
        return _title(self.measure, self.source)


def _month_matrix(
    frame: pd.DataFrame, service_types: list[str], measure: str, months: list[str]
) -> list[list[float]]:
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
        raise ExportError(
            f"The {template.labels_year} labels have no row for {listed}; "
            "add them to the service type labels so no figures are left out."
        )


@dataclass(frozen=True)
class _Layout:
    """Where each section's rows sit in the array handed to :func:`round_sheets`.

    Per source, in template order: its demand rows, its capacity rows, then its gap rows
    (capacity less demand); ``rows[(measure, source)]`` lists the array rows of a section.
    """

    template: Template
    rows: dict[tuple[str, str], list[int]]

    @property
    def size(self) -> int:
        """How many rows a sheet has."""
        return sum(len(r) for r in self.rows.values())

    def sections(self) -> list[list[int]]:
        """The row groups that have month totals, in the order of :data:`SECTIONS`."""
        return [self.rows[key] for key in SECTIONS]

    def differences(self) -> list[Difference]:
        """Each gap row as its capacity row less its demand row."""
        return [
            Difference(row=g, plus=c, minus=d)
            for source in SOURCE_TITLES
            for g, c, d in zip(
                self.rows[("gap", source)],
                self.rows[("capacity", source)],
                self.rows[("demand", source)],
                strict=True,
            )
        ]

    def where(self, row: int) -> tuple[tuple[str, str], int]:
        """The section (measure, source) of an array row, and its position in the section."""
        for key, rows in self.rows.items():
            if row in rows:
                return key, rows.index(row)
        raise KeyError(row)


def _layout(template: Template) -> _Layout:
    rows: dict[tuple[str, str], list[int]] = {}
    start = 0
    for source in SOURCE_TITLES:
        count = len(template.for_source(source))
        for measure in ("demand", "capacity", "gap"):
            rows[(measure, source)] = list(range(start, start + count))
            start += count
    return _Layout(template, rows)


def _place_values(frame: pd.DataFrame, layout: _Layout, months: list[str]) -> np.ndarray:
    """One place's unrounded figures, rows as in ``layout`` by months (zero where it has none)."""
    values = np.zeros((layout.size, len(months)))
    for source in SOURCE_TITLES:
        types = list(layout.template.for_source(source)["service_type"])
        rows = frame[frame["source"] == source]
        demand = np.array(_month_matrix(rows, types, "demand", months)).reshape(-1, len(months))
        capacity = np.array(_month_matrix(rows, types, "capacity", months)).reshape(-1, len(months))
        values[layout.rows[("demand", source)]] = demand
        values[layout.rows[("capacity", source)]] = capacity
        values[layout.rows[("gap", source)]] = capacity - demand
    return values


def _section(
    measure: str,
    source: str,
    rows: pd.DataFrame,
    cells,
    row_totals,
    column_totals,
    grand_total: int,
) -> Section:
    return Section(
        measure=measure,
        source=source,
        service_types=tuple(rows["service_type"]),
        labels=tuple(rows["label"]),
        pathways=tuple(p if isinstance(p, str) else None for p in rows["pathway"]),
        cells=tuple(tuple(int(v) for v in row) for row in cells),
        row_totals=tuple(int(v) for v in row_totals),
        column_totals=tuple(int(v) for v in column_totals),
        grand_total=int(grand_total),
    )


def _sections_of(sheet: Sheet, layout: _Layout) -> list[Section]:
    """A rounded sheet cut into the tab's sections, in the order of :data:`SECTIONS`."""
    out = []
    for index, (measure, source) in enumerate(SECTIONS):
        rows = layout.rows[(measure, source)]
        out.append(
            _section(
                measure,
                source,
                layout.template.for_source(source),
                sheet.cells[rows],
                sheet.row_totals[rows],
                sheet.column_totals[index],
                sheet.grand_totals[index],
            )
        )
    return out


@dataclass(frozen=True)
class Moved:
    """A figure that had to move more than one from its unrounded value for everything to add
    up: on which tab (index into the tabs), which row, which month ('Year' for the total)."""

    tab: int
    row: str
    month: str
    value: float
    shown: int

    @property
    def distance(self) -> float:
        """How far the figure shown is from its unrounded value."""
        return abs(self.shown - self.value)


@dataclass(frozen=True)
class Tabs:
    """The capacity & demand tabs, (name, sections) each: the total first (if any), then each
    place; and every figure that had to move more than one (empty when none did)."""

    tabs: list[tuple[str, list[Section]]]
    moved: tuple[Moved, ...]


def _moved(departure: Departure, tab: int, layout: _Layout, month_labels: list[str]) -> Moved:
    month = "Year" if departure.month is None else month_labels[departure.month]
    if departure.row is not None:
        (measure, source), position = layout.where(departure.row)
        rows = layout.template.for_source(source)
        row = f"{_title(measure, source)}: {rows['label'].iloc[position]}"
    else:
        # a figure off a row is a column or grand total, and every one of those has a section
        assert departure.section is not None, f"a {departure.kind} without a section"
        measure, source = SECTIONS[departure.section]
        row = f"Total: {_title(measure, source).lower()}"
    return Moved(tab, row, month, departure.value, departure.rounded)


def _title(measure: str, source: str) -> str:
    return f"{MEASURE_TITLES[measure]} – {SOURCE_TITLES[source]}"


def capacity_demand_tabs(frame: pd.DataFrame, scope: Scope, template: Template, year: int) -> Tabs:
    """The capacity & demand tabs of the scope, rounded together (see :func:`round_sheets`).

    Every place's sheet and the total's are rounded in one go, so that every figure is its
    unrounded value rounded down or up, every row and section adds up, the total sheet is the
    sum of the places' sheets, and each gap is the rounded capacity less the rounded demand
    (0 where capacity was assumed equal to demand).
    """
    _check_rows_exist(frame, template)
    periods = planning_year_months(year)
    months = [m.key for m in periods]
    layout = _layout(template)
    values = np.stack(
        [
            _place_values(frame[frame["place_code"] == code], layout, months)
            for code, _ in scope.places
        ]
    )
    result = round_sheets(values, layout.sections(), layout.differences())
    places = [
        (name, _sections_of(sheet, layout))
        for (_, name), sheet in zip(scope.places, result.places, strict=True)
    ]
    labels = [m.label for m in periods]
    if not scope.total:
        # One place: its sheet and the total are the same figures; name each move once.
        moved = [_moved(d, 0, layout, labels) for d in result.departures if d.place == 0]
        return Tabs(places, tuple(moved))
    moved = [
        _moved(d, 0 if d.place is None else d.place + 1, layout, labels) for d in result.departures
    ]
    return Tabs([(scope.total[1], _sections_of(result.total, layout)), *places], tuple(moved))


def sections_table(sections: Sequence[Section], year: int) -> pd.DataFrame:
    """Sections as one table, as the tab shows them: section, service type, pathway, months, total.

    Each section ends with its total row (service type 'Total').
    """
    months = [m.label for m in planning_year_months(year)]
    rows = []
    for section in sections:
        for label, pathway, cells, total in zip(
            section.labels, section.pathways, section.cells, section.row_totals, strict=True
        ):
            rows.append([section.title, label, pathway or "", *cells, total])
        rows.append([section.title, "Total", "", *section.column_totals, section.grand_total])
    return pd.DataFrame(rows, columns=["Section", "Service type", "Pathway", *months, "Total"])


def preview(frame: pd.DataFrame, scope: Scope, info: ExportInfo) -> pd.DataFrame:
    """The first capacity & demand tab of the scope's workbook (the total, for several places)."""
    template = template_rows(info.service_types, info.labels, info.year)
    rows = frame[frame["place_code"].isin(scope.codes)]
    tabs = capacity_demand_tabs(rows, scope, template, info.year).tabs
    return sections_table(tabs[0][1], info.year)


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
    "demand_source": "Demand from",
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
    labels = {
        (t, s): label
        for t, s, label in zip(
            template.rows["service_type"],
            template.rows["source"],
            template.rows["label"],
            strict=True,
        )
    }
    windows = dict(zip(frame["place"], frame["data_window"], strict=True))
    out = assumptions(frame, by=("place", "service_type", "service", "source"))
    source_of = dict(
        zip(
            zip(frame["place"], frame["service_type"], frame["source"], strict=True),
            frame["demand_source"],
            strict=True,
        )
    )
    out["demand_source"] = [
        source_of.get(key, "")
        for key in zip(out["place"], out["service_type"], out["source"], strict=True)
    ]
    out["service_type"] = [
        labels.get((t, s), t) for t, s in zip(out["service_type"], out["source"], strict=True)
    ]
    out["data_window"] = out["place"].map(windows)
    out["method"] = out["method"].map(lambda m: METHOD_LABELS.get(m, m))
    return out[list(ASSUMPTION_HEADERS)]
