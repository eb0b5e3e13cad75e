"""The meeting pack for a place or system: what goes in it, section by section.

:func:`build_pack` reads what the pack needs (the plan, or a snapshot's rows;
flow runs; the scenario comparison; data-quality notes), closes the database,
draws the gap charts with the export's image renderer (started once, stopped
after), and returns a :class:`~capacity.export.pack.Pack` that
:func:`~capacity.export.pack_pdf.pack_pdf` and
:func:`~capacity.export.pack_pptx.pack_pptx` write. Each section is made by a
small function of its own.

With a snapshot, every figure of the plan comes from the snapshot's rows,
never computed again, and the parts that would need today's data (the flow
model, the scenario comparison, data coverage) say so instead of mixing data.

Three sections are those of the Place page's meeting parts: what changed since
last time, plan against actual, and decisions and open actions
(:mod:`capacity.views.pack_sections`). Each is read through
:data:`SECTION_SOURCES` (or the ``sources`` given to :func:`build_pack`), a
function of the database and the pack's :class:`PackContext` returning
:class:`SectionInputs`. The workforce figures of services planned by hours
follow the headline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from capacity import __version__, scenario_store, snapshots
from capacity.charts import scenario_chart
from capacity.display import method_label, people, signed_people
from capacity.export.images import (
    chart_image,
    chart_service_types,
    chart_title,
    gap_figure,
    name_scenario,
    stop_renderer,
)
from capacity.export.pack import (
    PACK_FORMATS,
    PACK_MIME_TYPES,
    Pack,
    PackFigure,
    PackSection,
    PackTable,
    Progress,
    no_progress,
    pack_file_name,
    table_of,
)
from capacity.export.pack_pdf import pack_pdf
from capacity.export.pack_pptx import pack_pptx
from capacity.export.scope import ExportError
from capacity.flow.from_plan import resolve_service
from capacity.flow.report import headline as flow_headline
from capacity.flow.report import places_text
from capacity.flow.results import WINTER_MONTHS
from capacity.model import BASELINE_LABEL, PlanModel
from capacity.periods import month_label, planning_year_label, planning_year_months
from capacity.plan import PlanError, places_in, resolve_place
from capacity.scenarios.model import Scenario, ScenarioError
from capacity.snapshots import Snapshot, SnapshotError
from capacity.store import Store
from capacity.summary import (
    SOURCE_LABELS,
    assumptions,
    by_service_type,
    largest_shortfalls,
    monthly_totals,
    shortfall,
)
from capacity.views import flow as flow_view
from capacity.views import quality
from capacity.views._db import Database, reading
from capacity.views.pack_sections import (
    PackContext,
    SectionInputs,
    actuals_source,
    changes_source,
    decisions_source,
    workforce_inputs,
)
from capacity.views.plans import compared_totals, place_headline, plan_everywhere, prepared_plan
from capacity.views.workforce import Assumptions, load_assumptions, type_workforce
from capacity.views.workforce import headline as workforce_headline

__all__ = [
    "MAX_FLOW_SERVICES",
    "PACK_ERRORS",
    "PACK_FORMATS",
    "PACK_MIME_TYPES",
    "SECTION_SOURCES",
    "PackContext",
    "PackError",
    "SectionInputs",
    "build_pack",
    "pack_bytes",
    "pack_file_name",
]

MAX_FLOW_SERVICES = 3
MAX_COMPARED_SCENARIOS = 5


class PackError(ValueError):
    """A pack that cannot be made as asked; the message says why."""


# What building a pack may raise for a person to read (no browser for the charts among them).
PACK_ERRORS = (PackError, PlanError, ScenarioError, SnapshotError, ExportError)


# -- the sections built elsewhere: the hook ---------------------------------------------


SectionSource = Callable[[Database, PackContext], SectionInputs]


SECTION_SOURCES: dict[str, SectionSource] = {
    "changes": changes_source,
    "actuals": actuals_source,
    "decisions": decisions_source,
}
"""Where the pack reads its three sections made elsewhere, by key (see
:mod:`capacity.views.pack_sections`); ``build_pack(sources=…)`` replaces one for a run."""

SECTION_TITLES = {
    "changes": "What changed since last time",
    "actuals": "Plan against actual",
    "decisions": "Decisions and open actions",
}


def hooked_section(
    key: str, inputs: SectionInputs, group: str = "", title: str | None = None
) -> PackSection:
    """The section of one of :data:`SECTION_SOURCES` (or ``title``'s) from what its source
    gave."""
    return PackSection(
        title or SECTION_TITLES[key],
        sentences=tuple(str(s) for s in inputs.sentences),
        tables=tuple(PackTable(str(c), _as_text(t)) for c, t in inputs.tables),
        # A few sentences share the page before; a table starts its own.
        new_page=bool(inputs.tables),
        group=group,
    )


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return table_of(frame, {str(c): str(c) for c in frame.columns})


# -- what is read before the charts are drawn -------------------------------------------


@dataclass
class _Gathered:
    """Everything read from the database for one pack (the database is closed after)."""

    context: PackContext
    places: pd.DataFrame
    types: pd.DataFrame
    rows: pd.DataFrame
    from_month: str | None
    flow: PackSection
    comparison: tuple[dict[str, pd.DataFrame], list[str]]
    quality: dict[str, PackSection] = field(default_factory=dict)
    hooked: dict[str, SectionInputs] = field(default_factory=dict)
    imports: pd.DataFrame | None = None
    data_label: str = ""
    workforce: Assumptions | None = None


def build_pack(
    db: Database,
    place_code: str,
    year: int,
    scenario: Scenario | None,
    snapshot: Snapshot | None = None,
    progress: Progress | None = None,
    *,
    services: Sequence[str] = (),
    sources: Mapping[str, SectionSource] | None = None,
    charts: bool = True,
    made_at: datetime | None = None,
) -> Pack:
    """The meeting pack of a place or system for a planning year under a scenario.

    With ``snapshot`` (of this place and year) its rows and scenario are used.
    ``services`` (ids or names) are those the flow summary runs; by default the
    modelled services with the largest winter shortfall, at most
    :data:`MAX_FLOW_SERVICES`. ``sources`` replace :data:`SECTION_SOURCES` by key.
    ``charts`` False leaves the chart images out (no browser needed). Raises
    PackError, PlanError, FlowError or ScenarioError with the reason.
    """
    tell = progress or no_progress
    tell(0.02, "Reading the plan…")
    gathered = _gather(db, place_code, year, scenario, snapshot, services, sources, tell)
    images = _draw_charts(gathered, tell) if charts else {}
    tell(0.95, "Laying out the pack…")
    return _assemble(gathered, images, made_at or datetime.now().astimezone())


def pack_bytes(pack: Pack, fmt: str) -> bytes:
    """The pack as a file: 'pdf' or 'pptx'."""
    if fmt == "pdf":
        return pack_pdf(pack)
    if fmt == "pptx":
        return pack_pptx(pack)
    raise PackError(f"A meeting pack is a .pdf or a .pptx, not .{fmt}.")


def _context(store: Store, place_code: str, year: int, scenario, snapshot) -> PackContext:
    places = store.query("places")
    row = resolve_place(places, place_code)
    if snapshot is not None:
        if snapshot.place_code != row["place_code"]:
            raise PackError(
                f"The snapshot {snapshot.name!r} is of {snapshot.place}, not {row['name']}."
            )
        if snapshot.planning_year != year:
            taken = planning_year_label(snapshot.planning_year)
            raise PackError(
                f"The snapshot {snapshot.name!r} is of {taken}, not {planning_year_label(year)}."
            )
        scenario = snapshot.scenario
    code = str(row["place_code"])
    members = tuple(places_in(places, code))
    return PackContext(code, str(row["name"]), year, scenario, snapshot, members)


def _gather(db, place_code, year, scenario, snapshot, services, sources, tell) -> _Gathered:
    with reading(db) as store:
        context = _context(store, place_code, year, scenario, snapshot)
        places = store.query("places")
        types = store.query("service_types")
        codes = {context.place_code, *context.members}
        if snapshot is not None:
            rows = snapshots.rows(store, snapshot.snapshot_id)
            prepared = None
        else:
            prepared = prepared_plan(store, year)
            frame = plan_everywhere(prepared, context.scenario, year)
            rows = frame[frame["place_code"].isin(codes)].reset_index(drop=True)
        tell(0.08, "Running the flow model…")
        flow = _flow_section(store, context, prepared, rows, services, tell)
        tell(0.2, "Comparing scenarios…")
        comparison = _comparison_lines(store, context)
        tell(0.25, "Checking the data…")
        quality_sections = {
            code: quality_section(store, rows, context, code, places) for code in _pages(context)
        }
        chosen = {**SECTION_SOURCES, **(sources or {})}
        hooked = {key: chosen[key](store, context) for key in SECTION_TITLES}
        imports = snapshots.imports_of(store, snapshot.snapshot_id) if snapshot else None
        label = data_label(store)
        assumptions = load_assumptions(store)
    return _Gathered(
        context,
        places,
        types,
        rows,
        _from_month(context),
        flow,
        comparison,
        quality_sections,
        hooked,
        imports,
        label,
        assumptions,
    )


def _pages(context: PackContext) -> list[str]:
    """The place codes with pages of their own: the place, or a system and each member."""
    if context.members == (context.place_code,):
        return [context.place_code]
    return [context.place_code, *context.members]


def _from_month(context: PackContext) -> str | None:
    """The month the headline looks ahead from: when the snapshot was taken, else now, if it
    falls in the planning year (else the whole year)."""
    when = context.snapshot.made_at if context.snapshot else datetime.now()
    month = f"{when:%Y-%m}"
    keys = [m.key for m in planning_year_months(context.year)]
    return month if keys[0] <= month <= keys[-1] else None


def _names(places: pd.DataFrame) -> dict[str, str]:
    return dict(zip(places["place_code"], places["name"], strict=True))


def _type_names(types: pd.DataFrame) -> dict[str, str]:
    return dict(zip(types["service_type"], types["name"], strict=True))


# -- the headline -------------------------------------------------------------------------


def headline_section(
    rows: pd.DataFrame,
    place: str,
    year: int,
    from_month: str | None,
    group: str = "",
    workforce: Assumptions | None = None,
) -> PackSection:
    """The worst shortfall of the months ahead, the year's totals by month, and each service
    type's shortfalls, worst first (``rows``: the plan frame's rows of one place or system).
    With ``workforce``, a shortfall of a type planned by hours also reads in FTE, as on the
    Place page."""
    monthly = by_service_type(rows, "both")
    totals = monthly_totals(rows, "both")
    short = float(totals["shortfall"].sum()) if not totals.empty else 0.0
    sentence = place_headline(monthly, place, (), from_month)
    if workforce is not None and not rows.empty:
        by_type = type_workforce(rows, workforce, "both")
        sentence = workforce_headline(sentence, monthly, by_type, from_month=from_month)
    sentences = (
        sentence + ".",
        f"Over {planning_year_label(year)}: demand {people(totals['demand'].sum())}, capacity "
        f"{people(totals['capacity'].sum())} new people; {people(short)} people short in all, "
        "each service and source counted on its own (one's spare capacity never covers "
        "another's shortfall). Hospital discharge and community referrals together.",
    )
    by_month = table_of(
        totals.assign(
            month=totals["month"].map(month_label),
            demand=totals["demand"].map(people),
            capacity=totals["capacity"].map(people),
            gap=totals["gap"].map(signed_people),
            shortfall=totals["shortfall"].map(people),
        ),
        {
            "month": "Month",
            "demand": "Demand",
            "capacity": "Capacity",
            "gap": "Gap",
            "shortfall": "People short",
        },
    )
    worst = largest_shortfalls(rows)
    by_type = table_of(
        worst.assign(
            starts=worst["starts"].map(month_label),
            worst_month=worst["worst_month"].map(month_label),
            worst_gap=(-worst["worst_gap"]).map(people),
            total_shortfall=(-worst["total_shortfall"]).map(people),
        ),
        {
            "service_type_name": "Service type",
            "starts": "Short from",
            "worst_month": "Worst month",
            "worst_gap": "Short in the worst month",
            "months_short": "Months short",
            "total_shortfall": "Short over the year",
        },
    )
    return PackSection(
        "Headline shortfalls" if not group else f"{place}: headline shortfalls",
        sentences=sentences,
        tables=(
            PackTable("Every service type, month by month (new people a month)", by_month),
            PackTable("Service types short in some month, worst first", by_type),
        ),
        group=group,
    )


def members_table(rows: pd.DataFrame, context: PackContext, names: dict[str, str]) -> PackTable:
    """A system's member places: each one's year totals and people short."""
    lines = []
    for code in context.members:
        totals = monthly_totals(rows[rows["place_code"] == code], "both")
        lines.append(
            {
                "Place": names.get(code, code),
                "Demand": people(totals["demand"].sum()),
                "Capacity": people(totals["capacity"].sum()),
                "People short": people(totals["shortfall"].sum()),
            }
        )
    return PackTable("The system's places over the year", pd.DataFrame(lines))


# -- the charts ---------------------------------------------------------------------------


def _chart_jobs(gathered: _Gathered) -> list[tuple[str, str, object]]:
    """(place code, service type, figure) for every chart the pack draws."""
    context, names = gathered.context, _names(gathered.places)
    type_names = _type_names(gathered.types)
    jobs = []
    for code in _pages(context):
        rows = gathered.rows[gathered.rows["place_code"] == code]
        for service_type in chart_service_types(rows, gathered.types):
            title = chart_title(names[code], type_names[service_type], "both", context.year)
            figure = gap_figure(rows, service_type, "both", title)
            jobs.append((code, service_type, name_scenario(figure, context.scenario)))
    return jobs


def _draw_charts(gathered: _Gathered, tell: Progress) -> dict[tuple[str, str], bytes]:
    """Every gap chart as PNG, and the scenario comparison's ('', 'compare'); the renderer is
    started once and stopped after, whatever happens."""
    jobs = _chart_jobs(gathered)
    lines, _ = gathered.comparison
    if len(lines) > 1:
        title = f"Gap by month, {gathered.context.place_name}"
        jobs.append(("", "compare", scenario_chart(lines, title)))
    names, type_names = _names(gathered.places), _type_names(gathered.types)
    images: dict[tuple[str, str], bytes] = {}
    try:
        for index, (code, service_type, figure) in enumerate(jobs):
            what = type_names.get(service_type, "scenario comparison").lower()
            where = names.get(code, gathered.context.place_name)
            tell(0.3 + 0.6 * index / max(len(jobs), 1), f"Drawing the {what} chart for {where}…")
            images[(code, service_type)] = chart_image(figure, "png", scale=1.5)
    finally:
        stop_renderer()
    return images


def charts_section(
    gathered: _Gathered, images: dict[tuple[str, str], bytes], code: str, group: str = ""
) -> PackSection:
    """The gap chart of each service type at a place or system, as on the Place page."""
    type_names = _type_names(gathered.types)
    rows = gathered.rows[gathered.rows["place_code"] == code]
    present = chart_service_types(rows, gathered.types)
    figures = tuple(
        PackFigure(type_names[t], images[(code, t)]) for t in present if (code, t) in images
    )
    sentences = (
        "Demand and capacity are new people a month, hospital discharge and community "
        "together; the shaded area is the gap, vermillion where demand exceeds capacity; the "
        "grey band is demand's 80% prediction interval (none where a month rests on one year).",
    )
    if not figures:
        sentences = (
            ("No charts: this pack was made without chart images.",)
            if present
            else ("No service types with figures here.",)
        )
    name = _names(gathered.places)[code]
    return PackSection(
        "Gap charts" if not group else f"{name}: gap charts",
        sentences=sentences,
        figures=figures,
        group=group,
    )


# -- flow ---------------------------------------------------------------------------------


def winter_shortfall(rows: pd.DataFrame, service_id: str) -> float:
    """People short from November to March for one service (each source and month alone)."""
    return shortfall(rows[rows["service_id"] == service_id], WINTER_MONTHS)


def flow_choice(
    table: pd.DataFrame, rows: pd.DataFrame, asked: Sequence[str], place: str
) -> tuple[list[pd.Series], str]:
    """The services the flow summary runs, and a sentence saying how they were chosen.

    ``table`` is the place's services with whether the flow model can run each
    (:func:`capacity.views.flow.service_table`). Services asked for by id or name
    are found or refused (FlowError); else the modelled ones short in winter,
    most short first, at most :data:`MAX_FLOW_SERVICES`.
    """
    if asked:
        if len(asked) > MAX_FLOW_SERVICES:
            raise PackError(f"A pack runs the flow model for at most {MAX_FLOW_SERVICES} services.")
        chosen = [resolve_service(table, text, place) for text in asked]
        return chosen, "The services chosen for the pack."
    modelled = table[table["modelled"]]
    ranked = sorted(
        (
            (winter_shortfall(rows, str(row["service_id"])), index)
            for index, row in modelled.iterrows()
        ),
        key=lambda pair: -pair[0],
    )
    chosen = [modelled.loc[index] for short, index in ranked if short >= 0.5][:MAX_FLOW_SERVICES]
    if not chosen:
        return [], "No service the flow model can run is short in winter."
    return chosen, (
        f"The {len(chosen)} service{'s' if len(chosen) > 1 else ''} with the largest winter "
        f"shortfall (November to March) of those the flow model can run (at most "
        f"{MAX_FLOW_SERVICES}); another can be chosen when the pack is made."
    )


def _flow_section(store, context, prepared, rows, services, tell) -> PackSection:
    title = "Flow: queues and waits"
    if context.snapshot is not None:
        return PackSection(
            title,
            sentences=(
                "Not run for a snapshot: the flow model works from today's data, and a "
                "snapshot keeps only the plan's figures. Run it on the Flow page.",
            ),
        )
    table = flow_view.service_table(prepared, context.place_code)
    members = rows[rows["place_code"].isin(context.members)]
    chosen, why = flow_choice(table, members, services, context.place_name)
    frame = plan_everywhere(prepared, context.scenario, context.year)
    lines, sentences = [], [why]
    for index, row in enumerate(chosen):
        tell(
            0.08 + 0.1 * index / max(len(chosen), 1),
            f"Running the flow model for {row['service']}…",
        )
        result = _flow_run(store, prepared, frame, context, str(row["service_id"]))
        winter = result.winter
        sentences.append(f"{row['service']}: {flow_headline(result)}")
        lines.append(
            {
                "Service": str(row["service"]),
                "Places in winter": places_text(winter),
                "Waiting on an average winter day": f"{winter.waiting_mean:,.1f}",
                "Mean wait of a winter arrival (days)": (
                    f"{'over ' if winter.waits_cut_off else ''}{winter.wait_days_mean:,.1f}"
                ),
                "Arrivals who wait": f"{winter.p_wait:.0%}",
                "Places needed, busiest winter month": f"{winter.beds_needed:,}",
            }
        )
    sentences.append(
        "From 1 April with the default starting numbers, as the Flow page runs with nothing "
        "changed; waits are averages over the simulation's runs."
    )
    tables = (PackTable("Winter (November to March)", pd.DataFrame(lines)),) if lines else ()
    return PackSection(title, sentences=tuple(sentences), tables=tables)


def _flow_run(store, prepared: PlanModel, frame, context: PackContext, service_id: str):
    target = flow_view.flow_target(prepared, context.place_code, service_id)
    records = flow_view.records_for(store, target, context.year)
    inputs = flow_view.flow_inputs(prepared, frame, context.scenario, target, records)
    return flow_view.flow_result(inputs, flow_view.FlowSettings())


# -- the scenario comparison ----------------------------------------------------------------


def _scenario_label(scenario: Scenario | None) -> str:
    if scenario is None:
        return BASELINE_LABEL
    return f"{scenario.name} (version {scenario.version})" if scenario.version else scenario.name


def _comparison_lines(store, context: PackContext) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Monthly totals by scenario label (the baseline first), and notes on any left out."""
    if context.snapshot is not None:
        return {}, []
    prepared = prepared_plan(store, context.year, context.members)
    others: list[Scenario] = []
    notes: list[str] = []
    if context.scenario is not None:
        others = [context.scenario]
    else:
        names = list(scenario_store.list_saved(store)["name"])
        for name in names[:MAX_COMPARED_SCENARIOS]:
            found = scenario_store.resolve(store, name, context.year)
            if found is not None:
                others.append(found)
        if len(names) > MAX_COMPARED_SCENARIOS:
            notes.append(f"The first {MAX_COMPARED_SCENARIOS} saved scenarios are compared.")
    lines = {BASELINE_LABEL: compared_totals(prepared, None, context.year, "both")}
    for scenario in others:
        try:
            lines[_scenario_label(scenario)] = compared_totals(
                prepared, scenario, context.year, "both"
            )
        except ScenarioError as exc:
            notes.append(f"{exc}. It is left out of the comparison.")
    return lines, notes


def comparison_section(gathered: _Gathered, images: dict[tuple[str, str], bytes]) -> PackSection:
    """The baseline against the pack's scenario, or against each saved scenario: the year's
    people short under each, and the gap by month."""
    title = "Scenario comparison"
    context = gathered.context
    if context.snapshot is not None:
        return PackSection(
            title,
            sentences=(
                f"The snapshot keeps the figures of its own scenario only "
                f"({context.snapshot.scenario_label}); compare scenarios on today's data on "
                "the Scenarios page.",
            ),
        )
    lines, notes = gathered.comparison
    if len(lines) == 1:
        notes = ["There are no saved scenarios to compare with the baseline.", *notes]
    base = float(lines[BASELINE_LABEL]["shortfall"].sum())
    sentences = [
        f"{context.place_name}, hospital discharge and community: people short over "
        f"{planning_year_label(context.year)}, each service and source on its own."
    ]
    for label, totals in lines.items():
        short = float(totals["shortfall"].sum())
        change = (
            "" if label == BASELINE_LABEL else f" ({signed_people(short - base)} on the baseline)"
        )
        sentences.append(f"{label}: {people(short)} short{change}.")
    months = lines[BASELINE_LABEL]["month"]
    table = pd.DataFrame({"Month": months.map(month_label)})
    for label, totals in lines.items():
        gap = totals.set_index("month")["gap"].reindex(months)
        table[f"Gap: {label}"] = gap.map(signed_people).to_numpy()
    figures = (
        (PackFigure("Gap by month, by scenario", images[("", "compare")]),)
        if ("", "compare") in images
        else ()
    )
    return PackSection(
        title,
        sentences=(*sentences, *notes),
        tables=(PackTable("Gap by month (capacity − demand; negative is short)", table),),
        figures=figures,
    )


# -- assumptions, data quality and sources --------------------------------------------------


def assumptions_section(rows: pd.DataFrame, place: str, group: str = "") -> PackSection:
    """The parameters behind every figure, as the Place page's Assumptions table."""
    several = rows["place"].nunique() > 1
    table = assumptions(
        rows, "both", ("place", "service", "source") if several else ("service", "source")
    )
    shown = table.assign(
        source=table["source"].map(SOURCE_LABELS),
        method=table["method"].map(method_label),
        hospital_share=table["hospital_share"].map(_percent),
        place_share=table["place_share"].map(_percent),
        **{c: table[c].map(_stated) for c in ("caseload", "mean_los_days", "hours_per_month",
                                              "hours_per_package_per_month", "throughput",
                                              "target_occupancy", "contract_share")},
    )  # fmt: skip
    columns = {
        **({"place": "Place"} if several else {}),
        "service": "Service",
        "source": "Source",
        "months": "Months",
        "method": "How capacity is worked out",
        "caseload": "Caseload",
        "mean_los_days": "Mean LoS (days)",
        "hours_per_month": "Hours a month",
        "hours_per_package_per_month": "Hours per package a month",
        "throughput": "Throughput",
        "throughput_unit": "per",
        "contract_share": "Contract share",
        "place_share": "Place share",
        "hospital_share": "Hospital share",
        "source_note": "Source note",
    }
    return PackSection(
        "Assumptions" if not group else f"{place}: assumptions",
        sentences=("The parameters behind every figure, with their sources.",),
        tables=(PackTable(f"{place}: parameters by service and source", table_of(shown, columns)),),
        group=group,
    )


def _stated(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, int | float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def _percent(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return f"{float(value):.0%}"


def quality_section(
    store: Store, rows: pd.DataFrame, context: PackContext, code: str, places: pd.DataFrame
) -> PackSection:
    """What a reader should know about the data behind a place's figures: months with no
    demand data, services with months lacking parameters, and (on today's data) coverage and
    the services whose records disagree with what is stated."""
    name = _names(places)[code]
    codes = tuple(places_in(places, code))
    own = rows[rows["place_code"].isin(codes)]
    no_demand = quality.flagged(own, "no demand data")
    no_params = quality.months_missing_parameters(own)
    sentences = [
        f"{len(no_demand):,} service-months have no demand data."
        if len(no_demand)
        else f"Every month of {planning_year_label(context.year)} has demand data behind it.",
        f"{len(no_params):,} services have months with no parameters in force (capacity "
        "counts as zero there)."
        if len(no_params)
        else "Every service has parameters in force in every month.",
    ]
    tables = []
    if len(no_params):
        tables.append(
            PackTable(
                "Months with no parameters in force",
                table_of(
                    no_params.assign(source=no_params["source"].map(SOURCE_LABELS)),
                    {"place": "Place", "service": "Service", "source": "Source", "month": "Months"},
                ),
            )
        )
    if context.snapshot is None:
        sentences_now, tables_now = _quality_now(store, codes, places)
        sentences.extend(sentences_now)
        tables.extend(tables_now)
    else:
        sentences.append(
            "Coverage and the check of records against stated figures are of today's data, "
            "so they are left out of a snapshot's pack."
        )
    group = "" if code == context.place_code else name
    return PackSection(
        "Data-quality notes" if not group else f"{name}: data-quality notes",
        sentences=tuple(sentences),
        tables=tuple(tables),
        group=group,
    )


def _quality_now(store, codes, places) -> tuple[list[str], list[PackTable]]:
    names = _names(places)
    history = quality.referral_history(store, codes)
    cover = quality.coverage_of(history).dropna()
    sentences = [
        f"{names.get(r.place_code, r.place_code)}: records or counts from "
        f"{r.first_month:%b %Y} to {r.last_month:%b %Y}."
        for r in cover.itertuples()
    ] or ["There are no referral records or monthly counts here."]
    gaps = quality.data_gaps(history) if not cover.empty else pd.DataFrame()
    if len(gaps):
        sentences.append(
            f"{len(gaps):,} months inside that span have no data for a place or a service "
            "type; the projection leaves them out (missing, not zero)."
        )
    compared = quality.stated_vs_observed(store, codes)
    flagged = compared[compared["flags"].fillna("").astype(str) != ""]
    tables = []
    if len(flagged):
        tables.append(
            PackTable(
                "Records against stated figures (Little's law), where they disagree",
                table_of(
                    flagged.assign(place=flagged["place_code"].map(names)),
                    {"place": "Place", "service": "Service", "flags": "What disagrees"},
                ),
            )
        )
    return sentences, tables


def sources_section(rows: pd.DataFrame, imports: pd.DataFrame | None) -> PackSection:
    """Where the figures come from: each service's demand source, data window and source
    note, and for a snapshot the imports in force when it was taken."""
    own = rows[rows["service"].astype(str) != ""]
    table = own.drop_duplicates(["place", "service", "source"]).assign(
        source=lambda f: f["source"].map(SOURCE_LABELS)
    )
    tables = [
        PackTable(
            "Demand and capacity sources by service",
            table_of(
                table,
                {
                    "place": "Place",
                    "service": "Service",
                    "source": "Source",
                    "demand_source": "Demand from",
                    "data_window": "Demand window",
                    "source_note": "Source note",
                },
            ),
        )
    ]
    if imports is not None:
        tables.append(PackTable("Imports in force when the snapshot was taken", _as_text(imports)))
    return PackSection(
        "Sources",
        sentences=(
            "Every figure traces to its inputs: the method and parameters (Assumptions), the "
            "demand source and window, and the note saying where each parameter came from.",
        ),
        tables=tuple(tables),
    )


# -- putting it together ---------------------------------------------------------------------


def _assemble(gathered: _Gathered, images, made_at: datetime) -> Pack:
    context, names = gathered.context, _names(gathered.places)
    rows, code = gathered.rows, context.place_code
    system = _pages(context) != [code]
    own = rows[rows["place_code"] == code]
    members = rows[rows["place_code"].isin(context.members)]
    headline = headline_section(
        own, context.place_name, context.year, gathered.from_month, workforce=gathered.workforce
    )
    if system:
        headline = PackSection(
            headline.title,
            headline.sentences,
            (*headline.tables, members_table(rows, context, names)),
        )
    workforce = hooked_section(
        "workforce",
        workforce_inputs(members if system else own, gathered.workforce or Assumptions()),
        title="Workforce: services planned by hours",
    )
    sections = [
        headline,
        workforce,
        charts_section(gathered, images, code),
        gathered.flow,
        comparison_section(gathered, images),
        *[hooked_section(key, gathered.hooked[key]) for key in SECTION_TITLES],
    ]
    if not system:
        sections += [assumptions_section(own, context.place_name), gathered.quality[code]]
    else:
        sections.append(gathered.quality[code])
        for member in context.members:
            sections.extend(_member_sections(gathered, images, member, names[member]))
    sections.append(sources_section(members if system else own, gathered.imports))
    return Pack(
        title=f"{context.place_name} · meeting pack",
        subtitle=f"Planning year {planning_year_label(context.year)}"
        + (f" · snapshot “{context.snapshot.name}”" if context.snapshot else ""),
        scenario_label=(
            context.snapshot.scenario_label
            if context.snapshot
            else _scenario_label(context.scenario)
        ),
        data_label=context.snapshot.data_label if context.snapshot else gathered.data_label,
        made_at=made_at,
        version=__version__,
        sections=tuple(sections),
    )


def _member_sections(gathered: _Gathered, images, code: str, name: str) -> list[PackSection]:
    """A system's page for one member place: its headline, charts, assumptions and data."""
    own = gathered.rows[gathered.rows["place_code"] == code]
    opening = headline_section(
        own,
        name,
        gathered.context.year,
        gathered.from_month,
        group=name,
        workforce=gathered.workforce,
    )
    return [
        opening,
        charts_section(gathered, images, code, group=name),
        assumptions_section(own, name, group=name),
        gathered.quality[code],
    ]


def data_label(store: Store) -> str:
    """Today's data version in words, as a snapshot names its own: 'data as loaded by import
    42 on 3 Oct 2026 14:02'."""
    latest = store.query("last_import_in_force")
    if latest.empty:
        return "data as built, before any import"
    return f"data as loaded by import {int(latest.iloc[0]['import_id'])} on " + (
        f"{pd.Timestamp(latest.iloc[0]['loaded_at']):%-d %b %Y %H:%M}"
    )
