"""Who may change what, checked in the functions the app and the command line call (not only
in what a page shows), and the one audit entry each change leaves."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from capacity import access
from capacity.access import AccessDenied, User
from capacity.ingest import stage_file
from capacity.scenarios.model import Change, Scenario
from capacity.store import Store
from capacity.views import data
from capacity.views import decisions as decision_view
from capacity.views import scenario_choices as scenario_view
from capacity.views import snapshots as snapshot_view
from capacity.views import workforce as workforce_view
from capacity.views import workspace as workspace_view

HAVERING, THURROCK = "E09000016", "E06000034"
VIEWER = User("Vic Viewer", "vic@council.gov.uk", access.VIEWER, frozenset(), True)
ANN = User("Ann Lee", "ann@havering.gov.uk", access.EDITOR, frozenset({HAVERING}), True)
TOM = User("Tom Hart", "tom@thurrock.gov.uk", access.EDITOR, frozenset({THURROCK}), True)
ADA = User("Ada Admin", "ada@icb.nhs.uk", access.ADMIN, frozenset(), True)
BHR_LEAD = User("Bea Lead", "bea@bhr.nhs.uk", access.EDITOR, frozenset({"BHR"}), True)

TABLES = (
    "monthly_demand",
    "service_parameters",
    "import_log",
    "audit_log",
    "scenarios",
    "scenario_versions",
    "snapshots",
    "decisions",
    "decision_status_changes",
    "demand_settings",
    "workforce_settings",
    "workspace_places",
)


def fingerprint(db: Path) -> dict:
    """Row counts of every table a change writes, the undone imports and the data version."""
    with Store.open(db, read_only=True) as store:
        counts = {
            t: store._con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
            for t in TABLES
        }
        undone = store._con.execute(
            "SELECT count(*) FROM import_log WHERE undone_at IS NOT NULL"
        ).fetchone()[0]
        deleted = store._con.execute(
            "SELECT count(*) FROM snapshots WHERE deleted_at IS NOT NULL"
        ).fetchone()[0]
        return counts | {"undone": undone, "deleted": deleted, "version": store.versions()}


def trail(db: Path) -> pd.DataFrame:
    with Store.open(db, read_only=True) as store:
        return store.query("audit_list", place_code=None, person=None, since=None, until=None)


def counts_file(tmp_path: Path, place: str, count: int = 150, month: str = "2026-04"):
    path = tmp_path / f"counts-{place}-{count}-{month}.csv"
    path.write_text(
        f"place_code,service_type,source,month,referrals\n"
        f"{place},reablement_home,hospital,{month},{count}\n",
        "utf-8",
    )
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return stage_file(path, "counts", workdir=work)


def parameters_file(db: Path, tmp_path: Path, service_id: str, caseload: float):
    """A service's stored parameters with a new caseload, as the Data page's editor saves."""
    rows = data.parameters_of(db, service_id).assign(service_id=service_id)
    rows.loc[rows["caseload"].notna(), "caseload"] = caseload
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    name = f"parameters of {service_id}.csv"
    return stage_file(data.write_edits(rows, work, name), "parameters", workdir=work)


def a_snapshot(db: Path, user: User = ADA, place: str = HAVERING, name: str = "DIWG"):
    return snapshot_view.take_snapshot(
        db, name=name, place_code=place, year=2025, scenario=None, user=user
    )


WINTER = Scenario(
    "Winter Havering",
    (Change("demand_pct", 10.0, "2025-11", "2026-03", places=(HAVERING,)),),
    author="Ann",
)
EVERYWHERE = Scenario("Winter everywhere", (Change("demand_pct", 10.0, "2025-11", "2026-03"),))


# -- a viewer changes nothing, whichever function is called ---------------------------


def viewer_calls(db: Path, tmp_path: Path) -> dict:
    """Every writer the app calls, as a viewer would call it."""
    settings = data.demand_settings(db)
    return {
        "load": lambda: data.load_file(db, counts_file(tmp_path, HAVERING), user=VIEWER),
        "undo": lambda: data.undo_last_import(db, user=VIEWER),
        "demand settings": lambda: data.save_demand_settings(db, settings, user=VIEWER),
        "scenario save": lambda: scenario_view.save_scenario(db, WINTER, user=VIEWER),
        "scenario delete": lambda: scenario_view.delete_scenario(db, "Winter", user=VIEWER),
        "scenario copy": lambda: scenario_view.duplicate_scenario(
            db, "Winter", "Copy", "v", user=VIEWER
        ),
        "snapshot": lambda: a_snapshot(db, VIEWER, name="V"),
        "snapshot of choice": lambda: snapshot_view.snapshot_of_choice(
            db, name="V", place_code=HAVERING, year=2025, scenario_key=None, user=VIEWER
        ),
        "snapshot rename": lambda: snapshot_view.rename_snapshot(db, 1, "New", user=VIEWER),
        "snapshot delete": lambda: snapshot_view.delete_snapshot(db, 1, user=VIEWER),
        "decision": lambda: decision_view.record_decision(
            db, place_code=HAVERING, text="Fund beds", user=VIEWER, snapshot_id=1
        ),
        "decision status": lambda: decision_view.set_decision_status(db, 1, "done", user=VIEWER),
        "workforce": lambda: workforce_view.save_assumption(
            db,
            place=HAVERING,
            hours_per_week=37.5,
            productive_share=0.7,
            source_note="rota",
            user=VIEWER,
        ),
        "workspace": lambda: workspace_view.set_up_place(db, HAVERING, user=VIEWER),
    }


WRITERS = [
    "load",
    "undo",
    "demand settings",
    "scenario save",
    "scenario delete",
    "scenario copy",
    "snapshot",
    "snapshot of choice",
    "snapshot rename",
    "snapshot delete",
    "decision",
    "decision status",
    "workforce",
    "workspace",
]


@pytest.mark.parametrize("writer", WRITERS)
def test_a_viewer_is_refused_by_every_writer_and_the_store_is_unchanged(
    writer, writable_db, tmp_path
):
    # Something to undo, rename, delete and close, made by an admin.
    data.load_file(writable_db, counts_file(tmp_path, HAVERING, 99, "2026-05"), user=ADA)
    scenario_view.save_scenario(writable_db, WINTER.with_changes(name="Winter"), user=ADA)
    snap = a_snapshot(writable_db)
    decision_view.record_decision(
        writable_db, place_code=HAVERING, text="x", user=ADA, snapshot_id=snap.snapshot_id
    )
    before = fingerprint(writable_db)
    with pytest.raises(AccessDenied, match=r"Vic Viewer \(vic@council.gov.uk\) can view but not"):
        viewer_calls(writable_db, tmp_path)[writer]()
    assert fingerprint(writable_db) == before


def test_a_viewers_export_keeps_no_snapshot_and_says_so(writable_db):
    kept = snapshot_view.keep_export_snapshots(
        writable_db,
        codes=[HAVERING],
        year=2025,
        scenario=None,
        user=VIEWER,
        file_name="bcf.xlsx",
        made_at=datetime(2026, 1, 5, 9, 0, 0),
    )
    assert kept.taken == ()
    assert kept.sentence.startswith("No snapshot was kept of this export: Vic Viewer")
    assert "can view but not change" in kept.sentence and "export itself is made" in kept.sentence


# -- an editor changes their own places only -------------------------------------------


def test_an_editor_of_havering_loads_havering_counts_and_is_refused_thurrock(writable_db, tmp_path):
    loaded = data.load_file(writable_db, counts_file(tmp_path, HAVERING), user=ANN)
    assert loaded.rows_loaded == 1
    before = fingerprint(writable_db)
    with pytest.raises(
        AccessDenied,
        match=rf"Ann Lee \(ann@havering.gov.uk\) may not change Thurrock \({THURROCK}\)",
    ):
        data.load_file(writable_db, counts_file(tmp_path, THURROCK), user=ANN)
    assert fingerprint(writable_db) == before


def test_a_file_touching_two_places_is_refused_whole_naming_the_other(writable_db, tmp_path):
    path = tmp_path / "both.csv"
    path.write_text(
        "place_code,service_type,source,month,referrals\n"
        f"{HAVERING},reablement_home,hospital,2026-04,150\n"
        f"{THURROCK},reablement_home,hospital,2026-04,80\n",
        "utf-8",
    )
    before = fingerprint(writable_db)
    with pytest.raises(AccessDenied) as refused:
        data.load_file(writable_db, stage_file(path, "counts", workdir=tmp_path), user=ANN)
    assert THURROCK in str(refused.value) and f"not change {HAVERING}" not in str(refused.value)
    assert fingerprint(writable_db) == before


def test_an_editor_edits_parameters_of_a_service_serving_their_place_only(writable_db, tmp_path):
    saved = data.load_file(
        writable_db,
        parameters_file(writable_db, tmp_path, "hav_reablement", 61),
        user=ANN,
        action="parameters",
    )
    assert saved.import_id is not None
    with pytest.raises(AccessDenied, match=THURROCK):
        data.load_file(writable_db, parameters_file(writable_db, tmp_path, "thu_ucrt", 7), user=ANN)
    # A service shared by the three BHR places changes all three: Havering's editor alone
    # may not change it; the partnership's lead (granted the system BHR) may.
    shared = parameters_file(writable_db, tmp_path, "bhr_rehab_beds", 20)
    with pytest.raises(
        AccessDenied, match=r"Barking and Dagenham \(E09000002\), Redbridge \(E09000026\)"
    ):
        data.load_file(writable_db, shared, user=ANN)
    assert data.load_file(writable_db, shared, user=BHR_LEAD).import_id is not None


def test_a_sitrep_or_a_scenario_for_every_place_needs_every_place(writable_db):
    with pytest.raises(AccessDenied, match="this change covers every place"):
        scenario_view.save_scenario(writable_db, EVERYWHERE, user=ANN)
    saved = scenario_view.save_scenario(writable_db, EVERYWHERE, user=ADA)
    assert saved.version == 1
    # Replacing a scenario for every place with a Havering one still changes every place's.
    with pytest.raises(AccessDenied, match="covers every place"):
        scenario_view.save_scenario(
            writable_db, WINTER.with_changes(name=EVERYWHERE.name), EVERYWHERE.name, user=ANN
        )


def test_an_editor_snapshots_and_records_decisions_for_their_place_only(writable_db):
    mine = a_snapshot(writable_db, ANN, HAVERING, "Ann's")
    assert mine.made_by == "Ann Lee (ann@havering.gov.uk)"
    with pytest.raises(AccessDenied, match=THURROCK):
        a_snapshot(writable_db, ANN, THURROCK, "Not Ann's")
    theirs = a_snapshot(writable_db, TOM, THURROCK, "Tom's")
    with pytest.raises(AccessDenied, match=THURROCK):
        snapshot_view.delete_snapshot(writable_db, theirs.snapshot_id, user=ANN)
    with pytest.raises(AccessDenied, match=THURROCK):
        decision_view.record_decision(
            writable_db, place_code=None, text="x", user=ANN, snapshot_id=theirs.snapshot_id
        )


# -- undo: one's own load, or an admin ---------------------------------------------------


def test_an_editor_cannot_undo_anothers_load_and_an_admin_can(writable_db, tmp_path):
    data.load_file(writable_db, counts_file(tmp_path, THURROCK), user=TOM)
    before = fingerprint(writable_db)
    with pytest.raises(AccessDenied) as refused:
        data.undo_last_import(writable_db, user=ANN)
    assert "was loaded by Tom Hart (tom@thurrock.gov.uk)" in str(refused.value)
    assert fingerprint(writable_db) == before
    assert data.undo_last_import(writable_db, user=ADA).startswith("Undid import")
    assert fingerprint(writable_db)["undone"] == before["undone"] + 1


def test_an_editor_undoes_their_own_load_matched_by_email_not_name(writable_db, tmp_path):
    data.load_file(writable_db, counts_file(tmp_path, HAVERING), user=ANN)
    namesake = User("Ann Lee", "ann.lee@elsewhere.gov.uk", access.EDITOR, ANN.places, True)
    with pytest.raises(AccessDenied, match="only they or an admin"):
        data.undo_last_import(writable_db, user=namesake)
    assert "Undid import" in data.undo_last_import(writable_db, user=ANN)


def test_the_import_log_names_the_loader_with_email_and_places(writable_db, tmp_path):
    loaded = data.load_file(writable_db, counts_file(tmp_path, HAVERING), user=ANN)
    with Store.open(writable_db, read_only=True) as store:
        row = store.query("import_loader", import_id=loaded.import_id).iloc[0]
    assert (row["loaded_by"], row["loaded_by_email"], row["place_codes"]) == (
        "Ann Lee (ann@havering.gov.uk)",
        "ann@havering.gov.uk",
        HAVERING,
    )


# -- one audit entry per change ---------------------------------------------------------


def only_new_entry(db: Path, before: int) -> pd.Series:
    entries = trail(db)
    assert len(entries) == before + 1, entries
    return entries.iloc[0]


def test_each_change_leaves_exactly_one_entry_naming_who_where_and_what(writable_db, tmp_path):
    def check(change, action: str, place: str | None, subject: str, *words: str):
        before = len(trail(writable_db))
        change()
        entry = only_new_entry(writable_db, before)
        assert (entry["user_name"], entry["user_email"]) == ("Ann Lee", "ann@havering.gov.uk")
        assert entry["action"] == action
        assert (None if pd.isna(entry["place_code"]) else entry["place_code"]) == place
        assert entry["subject"] == subject
        for word in words:
            assert word in entry["detail"], (word, entry["detail"])

    stage = counts_file(tmp_path, HAVERING)
    check(
        lambda: data.load_file(writable_db, stage, user=ANN),
        "import",
        HAVERING,
        stage.file_name,
        "Loaded 1 row(s)",
        f"Places: {HAVERING}",
    )
    check(
        lambda: data.undo_last_import(writable_db, user=ANN),
        "undo",
        HAVERING,
        f"import {int(data.import_log(writable_db)['import_id'].iloc[0])}: {stage.file_name}",
        "Undid import",
        "Loaded by Ann Lee (ann@havering.gov.uk)",
    )
    check(
        lambda: scenario_view.save_scenario(writable_db, WINTER, user=ANN),
        "scenario_save",
        HAVERING,
        "Winter Havering",
        "version 1 with 1 change(s)",
        "10",
    )
    check(
        lambda: scenario_view.delete_scenario(writable_db, "Winter Havering", user=ANN),
        "scenario_delete",
        HAVERING,
        "Winter Havering",
        "Deleted",
    )
    snap: list = []
    check(
        lambda: snap.append(a_snapshot(writable_db, ANN, HAVERING, "DIWG Jan")),
        "snapshot",
        HAVERING,
        "DIWG Jan",
        "Taken (App): 2025-26",
    )
    check(
        lambda: decision_view.record_decision(
            writable_db,
            place_code=HAVERING,
            text="Fund 4 beds",
            user=ANN,
            snapshot_id=snap[0].snapshot_id,
        ),
        "decision",
        HAVERING,
        f"decision {len(decision_view.place_decisions(writable_db, HAVERING)) + 1}",
        "Fund 4 beds",
    )
    check(
        lambda: workforce_view.save_assumption(
            writable_db,
            place=HAVERING,
            hours_per_week=36,
            productive_share=0.8,
            source_note="Provider rota",
            user=ANN,
        ),
        "workforce",
        HAVERING,
        "workforce assumption",
        "36 hours a week, 80% productive; source: Provider rota",
    )
    settings = pd.DataFrame(
        [
            {
                "place_code": HAVERING,
                "service_type": None,
                "window_years": 2,
                "growth_method": "flat",
                "growth_rate": 1.0,
                "demand_source": None,
            }
        ]
    )
    check(
        lambda: data.save_demand_settings(writable_db, settings, user=ANN),
        "demand_settings",
        HAVERING,
        "demand settings",
        f"changed for {HAVERING}",
    )


def test_demand_settings_for_every_place_or_another_place_are_refused(writable_db):
    every = pd.DataFrame(
        [
            {
                "place_code": None,
                "service_type": None,
                "window_years": 2,
                "growth_method": "flat",
                "growth_rate": 0.0,
                "demand_source": None,
            }
        ]
    )
    with pytest.raises(AccessDenied, match="covers every place"):
        data.save_demand_settings(writable_db, every, user=ANN)
    theirs = every.assign(place_code=THURROCK)
    with pytest.raises(AccessDenied, match=THURROCK):
        data.save_demand_settings(writable_db, theirs, user=ANN)
    # Saving the table leaves Thurrock's row as it was: only Havering's changes are Ann's.
    data.save_demand_settings(writable_db, theirs, user=TOM)
    both = pd.concat([theirs, every.assign(place_code=HAVERING)], ignore_index=True)
    assert data.save_demand_settings(writable_db, both, user=ANN) == 2


def test_the_command_line_runs_as_the_local_user_with_every_right(writable_db, tmp_path):
    from capacity.cli import main

    path = tmp_path / "thurrock.csv"
    path.write_text(
        f"place_code,service_type,source,month,referrals\n{THURROCK},reablement_home,"
        "hospital,2026-04,80\n",
        "utf-8",
    )
    assert main(["import", "counts", str(path), "--db", str(writable_db)]) == 0
    entry = trail(writable_db).iloc[0]
    assert (entry["user_name"], entry["user_email"]) == (access.local_user().name, "")
    assert (entry["action"], entry["place_code"]) == ("import", THURROCK)


def test_a_refusal_on_the_command_line_is_one_line(writable_db, monkeypatch, capsys):
    from capacity import cli

    monkeypatch.setattr(cli, "user", lambda: VIEWER)
    code = cli.main(["undo-import", "--db", str(writable_db)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip().splitlines() == [
        "error: Vic Viewer (vic@council.gov.uk) can view but not change anything."
    ]


def test_since_is_never_after_until_in_a_date_filter():
    from capacity.views.activity import ActivityError, ActivityFilter

    with pytest.raises(ActivityError, match="backwards"):
        ActivityFilter(since=date(2026, 2, 1), until=date(2026, 1, 1))
