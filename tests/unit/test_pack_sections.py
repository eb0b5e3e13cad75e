"""The meeting pack's meeting parts, from the store as a chair leaves it after two meetings:
what changed between the two snapshots, the plan against what happened, the meeting's
decisions (typed text kept literal in the PDF and the PowerPoint), and the workforce
figures of services planned by hours, worked by hand."""

from __future__ import annotations

import io
import json
from datetime import date

import pandas as pd
import pytest
from pptx import Presentation
from pypdf import PdfReader

from capacity.access import local_user
from capacity.export.pack_pdf import pack_pdf
from capacity.export.pack_pptx import pack_pptx
from capacity.views import decisions as decision_view
from capacity.views import pack_sections
from capacity.views import snapshots as snapshot_view
from capacity.views.pack import build_pack
from capacity.views.pack_sections import workforce_inputs
from capacity.views.scenario_choices import save_scenario, scenario_from_json
from capacity.workforce import Assumption, Assumptions

HAVERING = "E09000016"
DECISION = '=HYPERLINK("x") <script>alert(1)</script> Open the flex beds from 1 Dec'


def _pdf_text(data: bytes) -> str:
    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pages)


def _slides_text(data: bytes) -> str:
    deck = Presentation(io.BytesIO(data))
    found = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                found.append(shape.text_frame.text)
            if shape.has_table:
                found += [cell.text for row in shape.table.rows for cell in row.cells]
    return " ".join(" ".join(found).split())


@pytest.fixture(scope="module")
def after_two_meetings(tmp_path_factory, demo_db):
    """Havering with an October snapshot (baseline), then a saved winter scenario, a November
    snapshot under it, and a decision recorded against the November one."""
    import shutil

    db = tmp_path_factory.mktemp("meetings") / "meetings.duckdb"
    shutil.copyfile(demo_db, db)
    snapshot_view.take_snapshot(
        db,
        name="DIWG 8 October",
        place_code=HAVERING,
        year=2025,
        scenario=None,
        user=local_user("chair"),
    )
    scenario_file = tmp_path_factory.mktemp("scenario") / "winter.json"
    scenario_file.write_text(
        json.dumps(
            {
                "name": "More reablement hours",
                "changes": [
                    {
                        "lever": "hours_pct",
                        "value": 10,
                        "first_month": "2025-12",
                        "last_month": "2026-03",
                        "places": [HAVERING],
                        "all_services": True,
                    }
                ],
            }
        )
    )
    winter = save_scenario(
        db,
        scenario_from_json(scenario_file).with_changes(author="chair"),
        user=local_user("chair"),
    )
    november = snapshot_view.take_snapshot(
        db,
        name="DIWG 12 November",
        place_code=HAVERING,
        year=2025,
        scenario=winter,
        user=local_user("chair"),
    )
    decision_view.record_decision(
        db,
        place_code=HAVERING,
        text=DECISION,
        user=local_user("chair"),
        owner="Head of commissioning",
        due=date(2026, 1, 10),
        snapshot_id=november.snapshot_id,
    )
    return db, november


@pytest.fixture(scope="module")
def pack(after_two_meetings):
    db, november = after_two_meetings
    return build_pack(db, HAVERING, 2025, None, snapshot=november, charts=False)


def _section(pack, title):
    return next(s for s in pack.sections if s.title == title)


def test_what_changed_names_the_scenario_moved_between_the_meetings(pack):
    changed = _section(pack, "What changed since last time")
    text = " ".join(changed.sentences)
    assert "From 'DIWG 8 October'" in text and "to 'DIWG 12 November'" in text
    assert "More reablement hours" in text
    table = changed.tables[0].frame
    # The scenario adds hours only from December: no month before it moved.
    assert set(table["Month"]) <= {"Dec 2025", "Jan 2026", "Feb 2026", "Mar 2026"}
    assert not table.empty


def test_the_decision_of_the_meeting_is_listed_with_its_owner_and_due_date(pack):
    decided = _section(pack, "Decisions and open actions")
    assert "'DIWG 12 November'" in decided.sentences[0]
    first = decided.tables[0].frame.iloc[0]
    assert first["Decision"] == DECISION
    assert first["Owner"] == "Head of commissioning"
    assert first["Due"].startswith("10 Jan 2026")


def test_the_decision_comes_out_literally_in_the_pdf_and_the_powerpoint(pack):
    for text in (_pdf_text(pack_pdf(pack)), _slides_text(pack_pptx(pack))):
        assert '=HYPERLINK("x")' in text
        assert "<script>alert(1)</script>" in text


def test_plan_against_actual_sets_the_snapshot_against_the_months_since(pack):
    held = _section(pack, "Plan against actual")
    assert held.sentences[0] == "Plan against actual: DIWG 12 November (Havering, 2025-26)"
    assert any("12 months have happened" in s for s in held.sentences)


def test_a_first_snapshot_has_nothing_to_compare_with(after_two_meetings):
    db, _ = after_two_meetings
    october = snapshot_view.find_snapshot(db, "DIWG 8 October", HAVERING)
    context = pack_sections.PackContext(HAVERING, "Havering", 2025, None, october, (HAVERING,))
    found = pack_sections.changes_source(db, context)
    assert found.tables == ()
    assert "is the first snapshot of Havering" in found.sentences[0]


TESTSHIRE = {
    "place_code": "E1",
    "place": "Testshire",
    "service": "Testshire reablement",
    "service_type_name": "Reablement at home",
    "source": "hospital",
    "month": "2025-11",
    "days_in_month": 30,
    "method": "hours",
    "hours_per_package_per_month": 12.0,
    "mean_los_days": 42.0,
    "target_occupancy": float("nan"),
}


def test_workforce_table_is_worked_from_the_package_and_the_stay():
    """12 hours a package a month for a 42-day stay in a 30-day month: 16.8 care hours a
    month per new person; 23 short → 386.4 hours; at 37.5 hours a week (× 52.143 ÷ 12 =
    162.946875 a month) and 75% with people, 386.4 ÷ 122.21015625 = 3.16 FTE."""
    row = {**TESTSHIRE, "gap": -23.0}
    assumptions = Assumptions(Assumption(37.5, 0.75, "test source"))
    found = workforce_inputs(pd.DataFrame([row]), assumptions)
    table = found.tables[0][1].iloc[0]
    assert table["People short"] == "23"
    assert table["Care hours short a month"] == "386"
    assert table["Care workers' FTE short"] == "3.2"
    assert "37.5 contracted hours a week and 75%" in " ".join(found.sentences)


def test_no_workforce_table_where_no_service_is_planned_by_hours():
    row = {**TESTSHIRE, "method": "caseload", "gap": -5.0}
    found = workforce_inputs(pd.DataFrame([row]), Assumptions())
    assert found.tables == ()
    assert found.sentences == ("No service here is planned by commissioned hours.",)
