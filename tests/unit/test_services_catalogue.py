"""The services catalogue: a services file checked rule by rule (nothing stored on refusal),
loaded, re-stated, undone, attached to by parameters; and a retired service's capacity
stopping from its month, worked by hand."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from capacity.cli import main
from capacity.ingest import import_log, load, stage_file, undo_last
from capacity.plan import NO_SERVICE, build_plan, load_plan_inputs
from capacity.store import Store
from capacity.views import data
from capacity.views.places import services, services_serving
from tests.conftest import full_years, make_store, monthly_referrals, parameters

HEADER = "service_id,name,provider,service_type,contract,place_code,place_share,source_note"
# A new service shared by Havering and Redbridge with stated shares.
NEW = [
    "hav_red_beds,Havering and Redbridge step-up beds,Acme Care,rehab_bed,block,E09000016,0.75,"
    "Contract 2025/1",
    "hav_red_beds,Havering and Redbridge step-up beds,Acme Care,rehab_bed,Block,Redbridge,0.25,"
    "Contract 2025/1",
]


@pytest.fixture
def store(writable_db):
    with Store.open(writable_db) as opened:
        yield opened


def services_file(tmp_path: Path, *rows: str, header: str = HEADER, name="services.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def load_file(store: Store, path: Path, **options):
    work = path.parent / "work"
    work.mkdir(exist_ok=True)
    return load(store, stage_file(path, "services", workdir=work), **options)


def catalogue(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The services and every service–place link, as stored."""
    return (
        store.query("services").sort_values("service_id").reset_index(drop=True),
        store.query("service_links").reset_index(drop=True),
    )


@pytest.mark.parametrize(
    ("rows", "row", "column", "reason"),
    [
        (
            [NEW[0].replace("rehab_bed", "teleport_bed")],
            2,
            "service_type",
            "is not a known service type",
        ),
        (
            [NEW[0], NEW[1].replace("step-up beds", "step up beds")],
            3,
            "name",
            "differs from row 2 of hav_red_beds",
        ),
        ([NEW[0], NEW[1].replace("Block", "spot")], 3, "contract", "differs from row 2"),
        ([NEW[0], NEW[1].replace("rehab_bed", "ucr")], 3, "service_type", "differs from row 2"),
        (
            ["hav_reablement,Havering reablement,Essex Cares Limited,rehab_bed,block,Havering,,x"],
            2,
            "service_id",
            "is already Havering reablement, a reablement_home service",
        ),
        (
            ["new_one,Havering Reablement,Someone,reablement_home,block,Havering,,x"],
            2,
            "name",
            "is the name of another service (hav_reablement)",
        ),
        (
            [NEW[0], NEW[1].replace("Redbridge", "Narnia")],
            3,
            "place_code",
            "not a place in England",
        ),
        ([NEW[0], NEW[1].replace("Redbridge", "BHR")], 3, "place_code", "is a system, not a place"),
        ([NEW[0].replace("0.75", "1.5")], 2, "place_share", "must be at most 1"),
        ([NEW[0].replace("0.75", "-0.5")], 2, "place_share", "must be at least 0"),
        ([NEW[0], NEW[1].replace("0.25", "0.5")], 2, "place_share", "add up to 1.25, not 1"),
        ([NEW[0], NEW[1].replace("0.25", "")], 3, "place_share", "for every place"),
        (
            [NEW[0].replace("0.75", ""), NEW[0].replace("0.75", "")],
            3,
            "place_code",
            "is listed twice for hav_red_beds (first on row 2)",
        ),
        (
            # bhr_hsss has parameters stated for each of its three places.
            [
                "bhr_hsss,BHR HSSS,British Red Cross,social_support,block,E09000016,,x",
                "bhr_hsss,BHR HSSS,British Red Cross,social_support,block,E09000026,,x",
            ],
            2,
            "place_code",
            "has parameters stated for E09000002",
        ),
        ([NEW[0].replace("hav_red_beds", "hav red beds")], 2, "service_id", "no spaces"),
    ],
)
def test_each_refusal_names_the_row_and_reason_and_stores_nothing(
    store, tmp_path, rows, row, column, reason
):
    before, log = catalogue(store), len(import_log(store))
    result = load_file(store, services_file(tmp_path, *rows))
    assert result.import_id is None and "Nothing loaded" in result.message
    problems = result.report.problems
    hit = problems[(problems["row"] == row) & (problems["column"] == column)]
    assert not hit.empty, problems.to_string()
    assert reason in hit.iloc[0]["reason"]
    after = catalogue(store)
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])
    assert len(import_log(store)) == log


def test_a_bad_retirement_month_is_refused(store, tmp_path):
    path = services_file(
        tmp_path, NEW[0].replace("0.75", "") + ",2025-10-15", header=HEADER + ",retired_from"
    )
    problems = load_file(store, path).report.problems
    assert list(problems["column"]) == ["retired_from"]
    assert "is not a month" in problems.iloc[0]["reason"]


def test_one_bad_service_refuses_all_its_rows_and_the_file_loads_nothing(store, tmp_path):
    good = "solo_beds,Solo beds,Acme,rehab_bed,block,Havering,,x"
    result = load_file(store, services_file(tmp_path, good, NEW[0], NEW[1].replace("0.25", "0.5")))
    assert result.report.rows_rejected == 2 and result.import_id is None
    assert "solo_beds" not in set(store.query("services")["service_id"])
    # With the good rows chosen, only the whole good service loads.
    partial = load_file(
        store,
        services_file(tmp_path, good, NEW[0], NEW[1].replace("0.25", "0.5"), name="again.csv"),
        accept_partial=True,
    )
    assert partial.rows_loaded == 1
    assert {"solo_beds"} == set(store.query("services")["service_id"]) & {
        "solo_beds",
        "hav_red_beds",
    }


def test_a_good_file_loads_is_logged_and_parameters_attach_to_it(store, tmp_path):
    result = load_file(store, services_file(tmp_path, *NEW))
    assert result.import_id is not None and result.rows_loaded == 2
    assert "Loaded 2 row(s) of services and their places" in result.message
    stored = store.query("services").set_index("service_id").loc["hav_red_beds"]
    assert (stored["provider"], stored["contract"]) == ("Acme Care", "block")
    assert stored["place_codes"] == "E09000016,E09000026"  # Redbridge found by its name
    links = store.query("service_links")
    assert dict(
        links.loc[links["service_id"] == "hav_red_beds", ["place_code", "place_share"]].itertuples(
            index=False
        )
    ) == {"E09000016": 0.75, "E09000026": 0.25}
    assert import_log(store).iloc[0]["kind"] == "services"
    # The parameters editor lists the services serving the place: the new one among them.
    assert "hav_red_beds" in set(services_serving(services(store), ["E09000016"])["service_id"])
    work = tmp_path / "work"
    params = tmp_path / "params.csv"
    params.write_text(
        "service_id,method,caseload,mean_los_days,valid_from,source_note\n"
        "hav_red_beds,caseload,12,24,2025-04-01,twelve beds\n"
    )
    assert load(store, stage_file(params, "parameters", workdir=work)).import_id is not None
    plan = build_plan(load_plan_inputs(store, ["E09000016"], 2025))
    april = plan[(plan["service_id"] == "hav_red_beds") & (plan["month"] == "2025-04")]
    # 12 beds × 30 days ÷ 24 days = 15 a month; Havering's stated share 0.75 → 11.25,
    # split between hospital and community referrals.
    assert april["capacity"].sum() == pytest.approx(11.25)


def test_restating_a_service_updates_it_and_undo_puts_it_back(store, tmp_path):
    before = catalogue(store)
    restated = services_file(
        tmp_path,
        "hav_reablement,Havering reablement (Essex Cares),Essex Cares Ltd,reablement_home,spot,"
        "Havering,0.8,Renewed 2025",
        "hav_reablement,Havering reablement (Essex Cares),Essex Cares Ltd,reablement_home,spot,"
        "Barking & Dagenham,0.2,Renewed 2025",
    )
    assert load_file(store, restated).import_id is not None
    row = store.query("services").set_index("service_id").loc["hav_reablement"]
    assert (row["name"], row["provider"], row["contract"], row["source_note"]) == (
        "Havering reablement (Essex Cares)",
        "Essex Cares Ltd",
        "spot",
        "Renewed 2025",
    )
    assert row["place_codes"] == "E09000002,E09000016"
    assert "Undid import" in undo_last(store)
    after = catalogue(store)
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])


def test_undo_takes_a_new_service_out(store, tmp_path):
    before = catalogue(store)
    load_file(store, services_file(tmp_path, *NEW))
    undo_last(store)
    pd.testing.assert_frame_equal(catalogue(store)[0], before[0])
    pd.testing.assert_frame_equal(catalogue(store)[1], before[1])


def test_the_editor_rows_go_through_the_same_import(store, tmp_path):
    form = data.ServiceForm(
        "", "Havering step-up flats", "", "rehab_bed", "block", {"E09000016": None}, "typed in"
    )
    rows = data.service_file_rows(store, form, adding=True)
    assert list(rows["service_id"]) == ["havering_step_up_flats"]
    taken = form.__class__(**{**form.__dict__, "service_id": "hav_reablement"})
    with pytest.raises(data.ServiceFormError, match="already a service with the id"):
        data.service_file_rows(store, taken, adding=True)
    with pytest.raises(data.ServiceFormError, match="at least one place"):
        data.service_file_rows(
            store, form.__class__(**{**form.__dict__, "places": {}}), adding=True
        )
    stored = data.service_rows(store, "bhr_rehab_beds")
    assert list(stored["place_code"]) == ["E09000002", "E09000016", "E09000026"]
    assert stored["retired_from"].isna().all()
    # The first row carries the service's own note; the others their place's.
    assert stored["source_note"].iloc[0].startswith("Community rehab beds for step-down")
    assert stored["source_note"].iloc[1].startswith("No agreed split")
    listed = data.services_catalogue(store).set_index("service_id")["retired_from"]
    assert listed.isna().all()


# -- retirement ------------------------------------------------------------------------------

BEDS = {"service_id": "beds", "name": "Step-down beds", "service_type": "rehab_bed"}


def test_a_retired_service_gives_no_capacity_from_its_month():
    refs = pd.concat(
        [
            monthly_referrals("A", "rehab_bed", "beds", "hospital", full_years(2024, 2024, 6)),
            monthly_referrals("A", "rehab_bed", "beds", "community", full_years(2024, 2024, 2)),
        ]
    )
    params = parameters(
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": 10,
            "mean_los_days": 20,
            "hospital_share": 0.8,
            "valid_from": "2020-04-01",
            "valid_to": "2025-11-30",
        },
        # a later contract that the retirement overtakes: it never comes into force
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": 20,
            "mean_los_days": 20,
            "hospital_share": 0.8,
            "valid_from": "2025-12-01",
        },
    )
    store = make_store(
        [BEDS | {"retired_from": pd.Timestamp("2025-10-01")}], [("beds", "A", None)], params, refs
    )
    frame = build_plan(load_plan_inputs(store, ["A"], 2025))
    beds = frame[(frame["service_id"] == "beds") & (frame["source"] == "hospital")]
    # 10 beds × days ÷ 20 days × 0.8 hospital share: Apr 30 days → 12, May 31 → 12.4,
    # Jun 12, Jul 12.4, Aug 12.4, Sep 12; nothing from October.
    assert list(beds["month"]) == ["2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09"]
    assert list(beds["capacity"]) == pytest.approx([12, 12.4, 12, 12.4, 12.4, 12])
    community = frame[(frame["service_id"] == "beds") & (frame["source"] == "community")]
    assert community["capacity"].sum() == pytest.approx(
        (30 + 31 + 30 + 31 + 31 + 30) * 10 / 20 * 0.2
    )
    # From October the type's demand at A (6 hospital referrals a month) is unmet: no service.
    october = frame[(frame["month"] == "2025-10") & (frame["source"] == "hospital")]
    assert list(october["service"]) == [NO_SERVICE]
    assert october.iloc[0]["capacity"] == 0 and october.iloc[0]["demand"] == pytest.approx(6)
    # The store keeps the service's parameters (its history).
    assert len(store.query("parameters_for_places", places=["A"])) == 2


def test_retiring_through_the_import_cuts_the_plan_and_undo_brings_it_back(store, tmp_path):
    def reablement_capacity() -> pd.Series:
        plan = build_plan(load_plan_inputs(store, ["E09000016"], 2025))
        mine = plan[plan["service_id"] == "hav_reablement"]
        return mine.groupby("month")["capacity"].sum()

    before = reablement_capacity()
    assert len(before) == 12
    rows = data.service_rows(store, "hav_reablement").assign(retired_from="2026-01")
    path = tmp_path / "retire.csv"
    rows.to_csv(path, index=False)
    assert load_file(store, path).import_id is not None
    after = reablement_capacity()
    # April to December 2025 as before; January to March 2026 gone.
    assert list(after.index) == list(before.index[:9])
    pd.testing.assert_series_equal(after, before.iloc[:9])
    assert (
        data.services_catalogue(store).set_index("service_id").loc["hav_reablement", "retired_from"]
        == "2026-01"
    )
    undo_last(store)
    pd.testing.assert_series_equal(reablement_capacity(), before)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_cli_imports_services_and_refuses_a_bad_file(writable_db, tmp_path):
    db = str(writable_db)
    code, out, _ = run("import", "services", str(services_file(tmp_path, *NEW)), "--db", db)
    assert code == 0 and "Loaded 2 row(s) of services and their places" in out
    code, out, _ = run("services", "--place", "Redbridge", "--db", db)
    assert code == 0 and "hav_red_beds" in out
    bad = services_file(tmp_path, NEW[0], NEW[1].replace("Redbridge", "Narnia"), name="bad.csv")
    code, out, _ = run("import", "services", str(bad), "--db", db)
    assert code == 1 and "row 3, place_code 'Narnia': is not a place in England" in out
    code, out, _ = run("undo-import", "--db", db)
    assert code == 0 and "services.csv (services" in out
    code, out, _ = run("services", "--place", "Redbridge", "--db", db)
    assert "hav_red_beds" not in out
