"""The BCF capacity & demand tables: the template's rows and the rounded sections.

The rows of the template come from the reference data for the planning year
(:func:`template_rows`), so next year's wording is a data change. Demand and
capacity are each rounded as a table whose rows, months and totals add up
(:func:`capacity.rounding.round_table`); the gap is the rounded capacity less
the rounded demand, so it adds up too. A system's total adds up its places'
rounded sections. :func:`assumption_rows` is the parameters behind each row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from capacity.export.scope import ExportError, ExportInfo, Scope
from capacity.periods import planning_year_label, planning_year_months
from capacity.plan import METHOD_LABELS
from capacity.rounding import round_table
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
