"""The Data page: upload, see exactly which rows are refused, load the rest, see it used."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from capacity import config
from capacity.store import Store
from pages import page_path
from tests.app.conftest import APP, figures, trace
from tests.unit.test_sitrep import WORKBOOKS, needs_data

HEADER = "Referral ID,Place,Service Type,Source,Referral Date"


@pytest.fixture
def app(writable_db, monkeypatch):
    monkeypatch.setenv(config.DB_ENV, str(writable_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"place": "E09000016", "year": "2025"})
    at.run()
    return at.switch_page(page_path("data")).run()


def extract(count: int) -> bytes:
    """``count`` Havering reablement referrals in January 2025, then two bad rows."""
    rows = [
        f"UP-{n},E09000016,reablement_home,hospital,2025-01-{1 + n % 28:02d}" for n in range(count)
    ]
    rows += [
        "UP-X,Narnia,reablement_home,hospital,2025-01-05",
        "UP-Y,E09000016,reablement_home,hospital,31/02/2025",
    ]
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def january_demand(app) -> float:
    app.switch_page(page_path("place")).run()
    reablement = next(
        f for f in figures(app) if f["layout"]["title"]["text"].startswith("Reablement at home")
    )
    demand = trace(reablement, "Demand")
    return demand["y"][demand["x"].index("Jan 2026")]


def test_upload_refuses_bad_rows_loads_the_rest_and_the_place_page_uses_them(app):
    before = january_demand(app)
    app.switch_page(page_path("data")).run()
    app.get("file_uploader")[0].set_value(("january.csv", extract(300), "text/csv")).run()
    no_errors_but_report(app)
    problems = app.dataframe[0].value
    assert list(problems["row"]) == [302, 303]
    assert "is not a known place" in problems.iloc[0]["reason"]
    assert "is not a date" in problems.iloc[1]["reason"]
    app.button(key="data_load_partial").click().run()
    assert any("Loaded 300 row(s)" in s.value for s in app.success)
    # January 2025 is in the 2022-24 window behind 2025-26: 300 more over three years.
    assert january_demand(app) == pytest.approx(before + 100)


def no_errors_but_report(app) -> None:
    assert not app.exception, [e.message for e in app.exception]
    assert not app.error
    assert any("problem(s)" in w.value for w in app.warning)


def test_a_hostile_file_gets_a_message_and_loads_nothing(app):
    app.get("file_uploader")[0].set_value(
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "text/csv")
    ).run()
    assert not app.exception
    assert not app.error
    assert any("is a PNG image" in w.value for w in app.warning)
    assert not [b for b in app.button if b.key in ("data_load", "data_load_partial")]


def test_undo_takes_the_last_import_out(app):
    before = january_demand(app)
    app.switch_page(page_path("data")).run()
    app.get("file_uploader")[0].set_value(("january.csv", extract(3), "text/csv")).run()
    app.button(key="data_load_partial").click().run()
    log = app.dataframe[-1].value
    assert log.iloc[0]["file_name"] == "january.csv" and log.iloc[0]["rows_loaded"] == 3
    assert january_demand(app) == pytest.approx(before + 1)
    app.switch_page(page_path("data")).run()
    app.checkbox(key="data_undo_sure").check().run()
    app.button(key="data_undo").click().run()
    assert any("Undid import" in s.value for s in app.success)
    # Each undo is confirmed afresh: the tick does not carry over to the import before.
    assert app.checkbox(key="data_undo_sure").value is False
    assert app.button(key="data_undo").disabled
    assert january_demand(app) == pytest.approx(before)


def test_saving_edited_parameters_goes_through_the_import_checks(app, monkeypatch):
    import capacity.views.plans as common

    reads = []
    real = common.load_plan_inputs
    monkeypatch.setattr(
        common,
        "load_plan_inputs",
        lambda store, codes, year, **kw: reads.append(year) or real(store, codes, year, **kw),
    )
    # Saving the editor's rows as they stand re-imports them: same checks, logged, undoable.
    app.button(key="data_param_save").click().run()
    assert any("Saved: Loaded" in s.value and "service parameters" in s.value for s in app.success)
    log = app.dataframe[-1].value
    assert log.iloc[0]["kind"] == "Service parameters"  # the import log names kinds in words
    assert log.iloc[0]["file_name"].endswith("edited in the app.csv")
    app.switch_page(page_path("place")).run()
    assert reads == [2025]  # the plans are built again from the saved parameters


@needs_data
def test_a_sitrep_workbook_uploads(app):
    app.segmented_control(key="data_kind").set_value("sitrep").run()
    app.get("file_uploader")[0].set_value(
        (WORKBOOKS[0].name, WORKBOOKS[0].read_bytes(), "application/vnd.ms-excel")
    ).run()
    assert not app.exception
    app.button(key="data_load").click().run()
    assert any("SitRep discharge counts" in s.value for s in app.success)
    assert "SitRep against local records: Havering" in [s.value for s in app.subheader]


def test_a_resent_extract_with_a_correction_updates_the_record_and_the_plan(app):
    before = january_demand(app)
    app.switch_page(page_path("data")).run()
    first = extract(3).decode().splitlines()[:4]  # the header and UP-0..UP-2 (1, 2, 3 Jan)
    app.get("file_uploader")[0].set_value(("jan.csv", ("\n".join(first) + "\n").encode(), "")).run()
    app.button(key="data_load").click().run()
    assert january_demand(app) == pytest.approx(before + 1)  # 3 more over three years
    app.switch_page(page_path("data")).run()
    # February's extract: UP-0's referral date corrected to February, UP-1 and UP-2 as
    # before, and UP-3 new in February.
    resent = [
        first[0],
        "UP-0,E09000016,reablement_home,hospital,2025-02-01",
        first[2],
        first[3],
        "UP-3,E09000016,reablement_home,hospital,2025-02-10",
    ]
    app.get("file_uploader")[0].set_value(
        ("feb.csv", ("\n".join(resent) + "\n").encode(), "")
    ).run()
    shown = {m.label: m.value for m in app.metric}
    assert (shown["New"], shown["Updated"], shown["Unchanged"]) == ("1", "1", "2")
    app.button(key="data_load").click().run()
    assert any(
        "Loaded 2 row(s)" in s.value and "1 new, 1 updated, 2 unchanged" in s.value
        for s in app.success
    )
    assert app.dataframe[-1].value.iloc[0]["note"] == "1 new, 1 updated, 2 unchanged"
    # Two of the three January referrals are left: 2 over three years.
    assert january_demand(app) == pytest.approx(before + 2 / 3)


def test_a_lead_adds_a_service_and_retires_it(app):
    app.text_input(key="data_svc___new___name").input("Havering step-up flats")
    app.text_input(key="data_svc___new___provider").input("Acme Housing")
    app.selectbox(key="data_svc___new___type").set_value("rehab_bed")
    app.text_area(key="data_svc___new___note").input("Contract signed May 2025")
    app.button(key="data_svc_save").click().run()
    assert not app.exception, [e.message for e in app.exception]
    assert any("Saved: Loaded 1 row(s) of services" in s.value for s in app.success)
    # The new service is chosen for editing, and the parameters section lists it.
    assert app.selectbox(key="data_svc_choice").value == "havering_step_up_flats"
    assert "Havering step-up flats" in app.selectbox(key="data_param_service").options
    log = app.dataframe[-1].value
    assert log.iloc[0]["kind"] == "Services and their places"
    app.selectbox(key="data_svc_retire_month_havering_step_up_flats").set_value("2025-10")
    app.button(key="data_svc_retire").click().run()
    assert not app.exception, [e.message for e in app.exception]
    assert any("Saved: Loaded 1 row(s)" in s.value for s in app.success)
    assert "Havering step-up flats (retired from 2025-10)" in (
        app.selectbox(key="data_svc_choice").options
    )
    assert "Havering reablement" in app.selectbox(key="data_svc_choice").options  # not retired
    assert app.button(key="data_svc_unretire")  # a retired service can be brought back


def test_a_service_refused_by_the_import_checks_shows_the_row_and_reason(app):
    # The name of a service already stored: refused by the same check as a file's row.
    app.text_input(key="data_svc___new___name").input("Havering reablement")
    app.text_area(key="data_svc___new___note").input("typed in")
    app.button(key="data_svc_save").click().run()
    assert not app.exception
    warning = " ".join(w.value for w in app.warning)
    assert "Not saved: row 1, name: is the name of another service (hav_reablement)" in warning
    assert app.selectbox(key="data_svc_choice").value == "__new__"


def test_reruns_keep_one_upload_folder_and_a_loaded_upload_is_removed(
    writable_db, monkeypatch, tmp_path
):
    import tempfile

    system_tmp = tmp_path / "tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    monkeypatch.setenv(config.DB_ENV, str(writable_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"place": "E09000016", "year": "2025"})
    at.run()
    at.switch_page(page_path("data")).run()

    def folders() -> list:
        return sorted(p for p in system_tmp.rglob("*") if p.is_dir())

    first = folders()
    for _ in range(3):
        at.run()
    assert folders() == first  # before: a new imports-… folder on every rerun
    sessions = [p for p in first if p.name.startswith("session-")]
    assert [p.parent.name for p in sessions] == ["capacity-imports"]
    at.get("file_uploader")[0].set_value(("january.csv", extract(3), "text/csv")).run()
    assert any("problem(s)" in w.value for w in at.warning)
    assert list(sessions[0].iterdir()) == []  # checked: the upload is not kept meanwhile
    at.button(key="data_load_partial").click().run()
    assert any("Loaded 3 row(s)" in s.value for s in at.success)
    assert list(sessions[0].iterdir()) == []  # before: upload-… stayed until the server stopped
    assert folders() == first


def test_an_import_whose_rows_this_server_could_not_get_is_named_above_the_log(app, writable_db):
    app.get("file_uploader")[0].set_value(("january.csv", extract(3), "text/csv")).run()
    app.button(key="data_load_partial").click().run()
    assert not [w for w in app.warning if "could not get" in w.value]
    import_id = int(app.dataframe[-1].value.iloc[0]["import_id"])
    # What a server sharing its state notes when another server's import never reached it.
    note = f"Import {import_id} (january.csv, referrals): this server could not get its rows."
    with Store.open(writable_db) as store, store.transaction() as tx:
        tx.execute("bulky_hold", import_id=import_id, kind="referrals", status="missing", note=note)
    app.run()
    assert note in [w.value for w in app.warning]
