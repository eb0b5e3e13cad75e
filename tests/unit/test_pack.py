"""The meeting pack: its PDF and PowerPoint opened back up and read against the plan frame.

The PDF is read with pypdf and the PowerPoint with python-pptx; the figures a
test looks for are worked from the plan frame here, never taken from the pack.
Packs with chart images need Chromium (skipped, with the reason, without it);
the rest are built without images.
"""

from __future__ import annotations

import io
import math
import re
from datetime import datetime

import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from capacity import config, snapshots
from capacity.cli import main
from capacity.export.pack import Pack, PackSection, PackTable, pack_file_name, row_chunks
from capacity.export.pack_pdf import escape, pack_pdf
from capacity.export.pack_pptx import ROWS_PER_SLIDE, pack_pptx, rows_per_slide
from capacity.plan import plan_for
from capacity.store import Store
from capacity.views import flow as flow_view
from capacity.views.pack import (
    PackError,
    SectionInputs,
    build_pack,
    flow_choice,
)
from capacity.views.plans import prepared_plan
from tests.browser import needs_chromium

needs_images = needs_chromium("meeting packs with chart images")

HAVERING = "E09000016"
MADE = datetime(2025, 11, 24, 9, 30)
FORMULA = '=HYPERLINK("x")'
SCRIPT = "<script>alert('pack')</script>"
DECISION = f"Open the winter flex beds early {FORMULA} {SCRIPT}"


def decisions_source(db, context):
    """What the decisions part of the product would give the pack."""
    table = pd.DataFrame(
        {"Decision": [DECISION], "Owner": ["<b>Chair</b> & co"], "Status": ["open"]}
    )
    return SectionInputs(
        sentences=(f"Decisions recorded for {context.place_name}.",),
        tables=(("This meeting's decisions", table),),
    )


def pdf_text(data: bytes) -> str:
    """Every page's text, with runs of white space made one space."""
    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pages)


def slide_titles(deck) -> list[str]:
    return [slide.shapes.title.text_frame.text for slide in deck.slides]


def whole(value: float) -> str:
    """A count of people as the pack writes it: whole, half away from zero, with commas."""
    return f"{math.floor(abs(value) + 0.5) * (1 if value >= 0 else -1):,}"


@pytest.fixture(scope="module")
def havering_plan(demo_store) -> pd.DataFrame:
    return plan_for(demo_store, "Havering", 2025)


@pytest.fixture(scope="module")
def havering_pack(demo_store) -> Pack:
    """Havering's pack without images, with a decision given through the hook."""
    return build_pack(
        demo_store,
        HAVERING,
        2025,
        None,
        sources={"decisions": decisions_source},
        charts=False,
        made_at=MADE,
    )


@pytest.fixture(scope="module")
def havering_text(havering_pack) -> str:
    return pdf_text(pack_pdf(havering_pack))


# -- the content ---------------------------------------------------------------------


def test_a_places_pack_has_its_sections_in_the_meetings_order(havering_pack):
    assert [s.title for s in havering_pack.sections] == [
        "Headline shortfalls",
        "Workforce: services planned by hours",
        "Gap charts",
        "Flow: queues and waits",
        "Scenario comparison",
        "What changed since last time",
        "Plan against actual",
        "Decisions and open actions",
        "Assumptions",
        "Data-quality notes",
        "Sources",
    ]
    assert havering_pack.title == "Havering · meeting pack"
    assert havering_pack.scenario_label == "Baseline"
    assert havering_pack.made_at == MADE


def test_without_snapshots_the_meeting_sections_say_what_to_do(havering_pack):
    by_title = {s.title: s for s in havering_pack.sections}
    assert "what changed compares two" in by_title["What changed since last time"].sentences[0]
    assert "take a snapshot" in by_title["Plan against actual"].sentences[0]


def test_the_flow_summary_runs_the_services_most_short_in_winter(demo_store, havering_plan):
    prepared = prepared_plan(demo_store, 2025)
    table = flow_view.service_table(prepared, HAVERING)
    winter = havering_plan[havering_plan["month"].str[5:].isin(["11", "12", "01", "02", "03"])]
    short = (winter["demand"] - winter["capacity"]).clip(lower=0)
    by_service = short.groupby(winter["service_id"]).sum()
    modelled = set(table.loc[table["modelled"], "service_id"])
    expected = [
        s
        for s in by_service.sort_values(ascending=False).index
        if s in modelled and by_service[s] >= 0.5
    ][:3]
    chosen, why = flow_choice(table, havering_plan, (), "Havering")
    assert [row["service_id"] for row in chosen] == expected
    assert "largest winter shortfall" in why


def test_a_service_the_flow_model_cannot_run_is_refused(demo_store, havering_plan):
    table = flow_view.service_table(prepared_plan(demo_store, 2025), HAVERING)
    unmodelled = table.loc[~table["modelled"], "service"].iloc[0]
    with pytest.raises(Exception, match="flow model needs a caseload"):
        flow_choice(table, havering_plan, (unmodelled,), "Havering")
    with pytest.raises(PackError, match="at most 3"):
        flow_choice(table, havering_plan, ("a", "b", "c", "d"), "Havering")


# -- the PDF -------------------------------------------------------------------------


def test_the_pdf_holds_the_headline_figures_worked_from_the_plan(havering_plan, havering_text):
    text = havering_text
    assert f"demand {whole(havering_plan['demand'].sum())}, capacity " in text
    assert f"capacity {whole(havering_plan['capacity'].sum())} new people" in text
    # The worst month of any service type (summed over its services and sources).
    by_type = havering_plan.groupby(["service_type_name", "month"])[["demand", "capacity"]].sum()
    gap = by_type["capacity"] - by_type["demand"]
    name, month = gap.idxmin()
    month_name = pd.Timestamp(f"{month}-01").strftime("%B")
    assert f"{name[0].lower()}{name[1:]} is {whole(-gap.min())} short in {month_name}" in text
    # December's row of the month-by-month table: demand, capacity.
    december = havering_plan[havering_plan["month"] == "2025-12"]
    assert f"Dec 2025 {whole(december['demand'].sum())} {whole(december['capacity'].sum())}" in text


def test_a_decision_comes_out_of_the_pdf_as_typed(havering_text):
    assert FORMULA in havering_text
    assert SCRIPT in havering_text
    assert "<b>Chair</b> & co" in havering_text
    assert "&lt;" not in havering_text


def test_text_is_escaped_before_reportlab_reads_it_as_markup():
    assert escape('<b>x</b> & "y"\nz') == '&lt;b&gt;x&lt;/b&gt; &amp; "y"<br/>z'


def test_a_long_table_runs_on_to_more_pages_with_its_header_repeated():
    rows = pd.DataFrame(
        {"Row heading": [f"row {i}" for i in range(200)], "Note": ["a long note " * 12] * 200}
    )
    pack = Pack(
        "Long",
        "sub",
        "Baseline",
        "data",
        MADE,
        "0",
        (PackSection("Long", tables=(PackTable("T", rows),)),),
    )
    reader = PdfReader(io.BytesIO(pack_pdf(pack)))
    table_pages = [p.extract_text() for p in reader.pages[1:]]
    assert len(table_pages) > 3
    assert all("Row heading" in page for page in table_pages)
    assert "row 199" in table_pages[-1]


# -- the PowerPoint --------------------------------------------------------------------


def test_the_powerpoint_is_16_9_with_a_slide_per_section(havering_pack):
    deck = Presentation(io.BytesIO(pack_pptx(havering_pack)))
    assert deck.slide_width * 9 == deck.slide_height * 16
    titles = slide_titles(deck)
    assert titles[0] == "Havering · meeting pack"
    for section in havering_pack.sections:
        assert any(t.startswith(section.title) for t in titles), section.title


def test_a_decision_stays_plain_text_in_the_powerpoint(havering_pack):
    deck = Presentation(io.BytesIO(pack_pptx(havering_pack)))
    cells = [
        cell.text_frame.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_table
        for row in shape.table.rows
        for cell in row.cells
    ]
    assert DECISION in cells
    assert "<b>Chair</b> & co" in cells


def test_a_long_table_is_split_across_slides_with_its_header():
    rows = pd.DataFrame({"Place": [f"place {i}" for i in range(30)]})
    pack = Pack(
        "T",
        "s",
        "Baseline",
        "d",
        MADE,
        "0",
        (PackSection("Places", tables=(PackTable("All", rows),)),),
    )
    deck = Presentation(io.BytesIO(pack_pptx(pack)))
    tables = [s for slide in deck.slides for s in slide.shapes if s.has_table]
    assert len(tables) == math.ceil(30 / ROWS_PER_SLIDE) == 3
    assert [t.table.cell(0, 0).text_frame.text for t in tables] == ["Place"] * 3
    assert tables[-1].table.cell(len(tables[-1].table.rows) - 1, 0).text_frame.text == "place 29"
    assert slide_titles(deck)[1:] == ["Places (1 of 3)", "Places (2 of 3)", "Places (3 of 3)"]


def test_a_table_of_long_notes_has_fewer_rows_a_slide():
    notes = pd.DataFrame({"Service": ["a", "b"], "Source note": ["short", "word " * 30]})
    assert rows_per_slide(notes) < ROWS_PER_SLIDE
    assert rows_per_slide(notes.iloc[:1]) == ROWS_PER_SLIDE


@needs_images
def test_the_powerpoint_has_a_chart_picture_for_each_service_type(demo_store, havering_plan):
    pack = build_pack(demo_store, HAVERING, 2025, None, services=("Havering reablement",))
    deck = Presentation(io.BytesIO(pack_pptx(pack)))
    types = list(dict.fromkeys(havering_plan["service_type_name"]))
    pictures = {
        slide.shapes.title.text_frame.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.shape_type == MSO_SHAPE_TYPE.PICTURE
    }
    assert pictures == set(types)
    pdf = pdf_text(pack_pdf(pack))
    assert "Havering reablement:" in pdf
    assert "The services chosen for the pack." in pdf


# -- a system --------------------------------------------------------------------------


def test_a_systems_pack_has_a_part_per_member_place(demo_store):
    places = demo_store.query("places")
    members = places.loc[places["parent_system"] == "BHR", "name"].tolist()
    pack = build_pack(demo_store, "BHR", 2025, None, charts=False, made_at=MADE)
    groups = list(dict.fromkeys(s.group for s in pack.sections if s.group))
    assert sorted(groups) == sorted(members) and len(members) == 3
    for name in members:
        titles = [s.title for s in pack.sections if s.group == name]
        assert titles == [
            f"{name}: headline shortfalls",
            f"{name}: gap charts",
            f"{name}: assumptions",
            f"{name}: data-quality notes",
        ]
    # The system's summary comes first, and names every member in its table of places.
    first = pack.sections[0]
    assert first.group == "" and first.title == "Headline shortfalls"
    assert sorted(first.tables[-1].frame["Place"]) == sorted(members)


# -- snapshots and the command ----------------------------------------------------------


PARAMETERS_HEADER = (
    (config.PROJECT_ROOT / "data" / "demo" / "service_parameters.csv")
    .read_text("utf-8")
    .splitlines()[0]
)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main(list(argv), out=out, err=err)
    except SystemExit as exc:
        code = int(exc.code)
    return code, out.getvalue(), err.getvalue()


def test_a_snapshots_pack_keeps_its_figures_after_a_later_import(writable_db, tmp_path):
    db = str(writable_db)
    with Store.open(writable_db, read_only=True) as store:
        before = plan_for(store, "Havering", 2025)
    assert run("snapshot", "save", "DIWG <12 Nov>", "--place", HAVERING, "--year", "2025",
               "--db", db)[0] == 0  # fmt: skip
    raised = tmp_path / "hsss.csv"
    raised.write_text(
        PARAMETERS_HEADER + "\nbhr_hsss,E09000016,throughput,,,,,200,month,1,,,,2022-04-01,,"
        "Raised to 200\n"
    )
    assert run("import", "parameters", str(raised), "--db", db)[0] == 0
    with Store.open(writable_db, read_only=True) as store:
        after = plan_for(store, "Havering", 2025)
        taken = snapshots.find(store, "DIWG <12 Nov>", HAVERING)
        from_snapshot = build_pack(store, HAVERING, 2025, None, taken, charts=False)
        today = build_pack(store, HAVERING, 2025, None, charts=False)
    old, new = whole(before["capacity"].sum()), whole(after["capacity"].sum())
    assert old != new
    frozen, now = pdf_text(pack_pdf(from_snapshot)), pdf_text(pack_pdf(today))
    assert f"capacity {old} new people" in frozen and f"capacity {new} new people" not in frozen
    assert f"capacity {new} new people" in now
    assert "snapshot “DIWG <12 Nov>”" in frozen
    assert "Not run for a snapshot" in frozen


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--place", "Havering", "--out", "pack.docx"), "end it in .pdf or .pptx"),
        (("--place", "Nowhere", "--out", "pack.pdf"), "Unknown place 'Nowhere'"),
        (("--place", "Havering", "--snapshot", "nope", "--out", "pack.pdf"), "no snapshot"),
        (("--place", "Havering", "--scenario", "nope", "--out", "pack.pdf"), "no scenario"),
        (("--place", "Havering", "--service", "Nope", "--out", "pack.pdf"), "Unknown service"),
    ],
)
def test_the_command_refuses_what_it_cannot_make_and_writes_nothing(
    demo_db, tmp_path, argv, message
):
    argv = tuple(str(tmp_path / a) if a.startswith("pack.") else a for a in argv)
    code, out, err = run("pack", "--year", "2025", *argv, "--db", str(demo_db))
    assert code == 1 and out == ""
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_a_malformed_pack_command_exits_2(demo_db, tmp_path):
    assert run("pack", "--place", "Havering", "--out", str(tmp_path / "p.pdf"))[0] == 2
    assert run("pack", "--year", "2025", "--out", str(tmp_path / "p.pdf"))[0] == 2


def test_a_snapshot_of_another_year_is_refused(writable_db, tmp_path):
    db = str(writable_db)
    assert run("snapshot", "save", "Old", "--place", HAVERING, "--year", "2024", "--db", db)[0] == 0
    code, _, err = run("pack", "--place", HAVERING, "--year", "2025", "--snapshot", "Old",
                       "--out", str(tmp_path / "p.pdf"), "--db", db)  # fmt: skip
    assert code == 1 and "is of 2024-25, not 2025-26" in err


@needs_images
@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_the_command_writes_the_pack(demo_db, tmp_path, fmt):
    out_file = tmp_path / f"thurrock.{fmt}"
    code, out, err = run("pack", "--place", "Thurrock", "--year", "2025", "--out", str(out_file),
                         "--db", str(demo_db))  # fmt: skip
    assert code == 0, err
    assert re.match(rf"Wrote {re.escape(str(out_file))} \(", out)
    data = out_file.read_bytes()
    assert data.startswith(b"%PDF") if fmt == "pdf" else data.startswith(b"PK")
    assert [p.name for p in tmp_path.iterdir()] == [out_file.name]  # no temporary file left


def test_pack_file_names_say_what_is_inside():
    assert pack_file_name("Barking & Dagenham, Havering and Redbridge", "2025-26", "pdf") == (
        "barking-dagenham-havering-and-redbridge-2025-26-meeting-pack.pdf"
    )
    assert [len(c) for c in row_chunks(pd.DataFrame({"a": range(25)}), 12)] == [12, 12, 1]
