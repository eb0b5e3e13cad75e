"""Loading a folder of referral aggregates: the plan, data quality and the flow model's
inputs from aggregates equal those from the records they came from (through the real
commands), and every bad folder is refused in one line with nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from capacity import aggregates as A
from capacity.access import EDITOR, VIEWER, AccessDenied, User
from capacity.cli import main
from capacity.demo import build_demo_database
from capacity.flow.from_plan import read_pool_records
from capacity.ingest.files import ImportFileError
from capacity.store import Store
from capacity.views import aggregates as aggregates_view
from capacity.views import data as data_view
from capacity.views import quality

HAVERING, THURROCK = "E09000016", "E06000034"
PLACES = (HAVERING, THURROCK)


@pytest.fixture(scope="module")
def records_csv(demo_db, tmp_path_factory) -> Path:
    """The demo's referral records of Havering and Thurrock, as an extract."""
    path = tmp_path_factory.mktemp("records") / "records.csv"
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        frame = con.execute(
            "SELECT * EXCLUDE (import_id) FROM referrals WHERE list_contains($p, place_code) "
            "ORDER BY referral_id",
            {"p": list(PLACES)},
        ).df()
    finally:
        con.close()
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory) -> Path:
    """The demo's places, services and parameters with no referral records."""
    folder = tmp_path_factory.mktemp("no_records")
    demo = folder / "demo"
    shutil.copytree(Path(__file__).parents[2] / "data" / "demo", demo)
    levels = demo / "referral_levels.csv"
    levels.write_text(levels.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    path = folder / "base.duckdb"
    build_demo_database(path, demo_dir=demo)
    return path


@pytest.fixture(scope="module")
def both(empty_db, records_csv, tmp_path_factory) -> tuple[Path, Path, Path]:
    """A store loaded with the records, and one loaded with their aggregates (and the
    folder), each through the commands a user runs."""
    folder = tmp_path_factory.mktemp("both")
    from_records, from_aggregates = folder / "records.duckdb", folder / "aggregates.duckdb"
    shutil.copyfile(empty_db, from_records)
    shutil.copyfile(empty_db, from_aggregates)
    assert main(["import", "--db", str(from_records), "referrals", str(records_csv)]) == 0
    out = folder / "aggregates"
    db = str(from_aggregates)
    assert main(["aggregate", "--db", db, "--input", str(records_csv), "--out", str(out)]) == 0
    assert main(["import", "--db", db, "aggregates", str(out)]) == 0
    return from_records, from_aggregates, out


def plan_csv(db: Path, place: str, capsys) -> str:
    capsys.readouterr()
    assert (
        main(["plan", "--db", str(db), "--place", place, "--year", "2025", "--format", "csv"]) == 0
    )
    return capsys.readouterr().out


@pytest.mark.parametrize("place", PLACES)
def test_the_plan_from_aggregates_is_the_plan_from_records(both, place, capsys):
    from_records, from_aggregates, _ = both
    expected = plan_csv(from_records, place, capsys)
    assert len(expected.splitlines()) > 10
    assert plan_csv(from_aggregates, place, capsys) == expected


def test_data_quality_from_aggregates_is_data_quality_from_records(both):
    from_records, from_aggregates, _ = both
    codes = PLACES
    observed = quality.stated_vs_observed(from_records, codes)
    assert observed["completed"].sum() > 100
    pd.testing.assert_frame_equal(observed, quality.stated_vs_observed(from_aggregates, codes))
    history = quality.referral_history(from_records, codes)
    assert history["referrals"].sum() > 1000
    pd.testing.assert_frame_equal(history, quality.referral_history(from_aggregates, codes))
    for source in ("both", "hospital"):
        los = quality.los_series(from_records, codes, source)
        assert len(los) > 10
        pd.testing.assert_frame_equal(los, quality.los_series(from_aggregates, codes, source))


def test_the_flow_models_inputs_from_aggregates_are_those_from_records(both):
    from_records, from_aggregates, _ = both
    with (
        Store.open(from_records, read_only=True) as a,
        Store.open(from_aggregates, read_only=True) as b,
    ):
        services = a.query("service_places_for_places", places=[HAVERING]).merge(
            a.query("services"), on="service_id"
        )
        for row in services.itertuples():
            left = read_pool_records(a, [HAVERING], [row.service_id], [row.service_type], 2025)
            right = read_pool_records(b, [HAVERING], [row.service_id], [row.service_type], 2025)
            assert left == right
        assert any(
            read_pool_records(a, [HAVERING], [r.service_id], [r.service_type], 2025).completed
            for r in services.itertuples()
        )


def test_undo_takes_the_aggregates_back_out(both, tmp_path, capsys):
    _, from_aggregates, _ = both
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(from_aggregates, copy)
    assert main(["undo-import", "--db", str(copy)]) == 0
    assert "aggregates" in capsys.readouterr().out
    with Store.open(copy, read_only=True) as store:
        assert store.query("places_with_referral_aggregates", places=list(PLACES)).empty
        assert store.query("monthly_history", places=list(PLACES)).empty


# -- refusals ----------------------------------------------------------------------------


def rewrite(folder: Path) -> None:
    """Make the manifest agree with the folder again (a tampered folder that checks out)."""
    manifest = json.loads((folder / A.MANIFEST).read_text("utf-8"))
    files = {name: A.file_sha256(folder / name) for name in A.folder_files(folder)}
    manifest["files"], manifest["checksum"] = files, A.checksum(files)
    (folder / A.MANIFEST).write_text(json.dumps(manifest), "utf-8")


def change_part(folder: Path, part: str, sql: str) -> None:
    """Replace one part's Parquet with ``sql`` run over it (as ``t``), keeping the layout."""
    con = duckdb.connect()
    try:
        files = sorted((folder / part).rglob("*.parquet"))
        frame = con.execute(
            "SELECT * FROM read_parquet($f, hive_partitioning = true)",
            {"f": [str(f) for f in files]},
        ).df()
        con.register("t", frame)
        changed = con.execute(sql).df()
        shutil.rmtree(folder / part)
        con.register("c", changed)
        con.execute(
            "COPY c TO $d (FORMAT parquet, PARTITION_BY (system_code))", {"d": str(folder / part)}
        )
    finally:
        con.close()


def _missing_part(folder: Path) -> None:
    shutil.rmtree(folder / "weekdays")


def _tampered(folder: Path) -> None:
    change_part(folder, "referrals", "SELECT * REPLACE (referrals + 1 AS referrals) FROM t")


def _wrong_columns(folder: Path) -> None:
    change_part(folder, "stays", "SELECT * EXCLUDE (cv_los) FROM t")
    rewrite(folder)


def _unknown_place(folder: Path) -> None:
    change_part(folder, "referrals", "SELECT * REPLACE ('E99999999' AS place_code) FROM t")
    rewrite(folder)


def _negative(folder: Path) -> None:
    change_part(folder, "weekdays", "SELECT * REPLACE (referrals - 1000000 AS referrals) FROM t")
    rewrite(folder)


def _formula(folder: Path) -> None:
    change_part(
        folder,
        "episodes",
        "SELECT * REPLACE (CASE WHEN service_id IS NOT NULL THEN '=cmd|x!A1' END AS service_id) "
        "FROM t",
    )
    rewrite(folder)


def _not_json(folder: Path) -> None:
    (folder / A.MANIFEST).write_text("{not json", "utf-8")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_missing_part, "lacks the part weekdays/"),
        (_tampered, "does not match its checksum in the manifest"),
        (_wrong_columns, "a stays part has"),
        (_unknown_place, "'E99999999' is not a known place here"),
        (_negative, "negative or missing referrals"),
        (_formula, "looks like a spreadsheet formula"),
        (_not_json, "cannot be read as JSON"),
    ],
)
def test_a_bad_folder_is_refused_in_one_line_and_nothing_loads(
    both, empty_db, tmp_path, damage, message, capsys
):
    _, _, out = both
    folder = tmp_path / "agg"
    shutil.copytree(out, folder)
    damage(folder)
    db = tmp_path / "db.duckdb"
    shutil.copyfile(empty_db, db)
    capsys.readouterr()
    assert main(["import", "--db", str(db), "aggregates", str(folder)]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    with Store.open(db, read_only=True) as store:
        assert store.query("places_with_referral_aggregates", places=list(PLACES)).empty
        assert not (store.query("import_log")["kind"] == "aggregates").any()


def test_a_place_with_records_stored_refuses_aggregates(both, tmp_path, capsys):
    from_records, _, out = both
    db = tmp_path / "db.duckdb"
    shutil.copyfile(from_records, db)
    assert main(["import", "--db", str(db), "aggregates", str(out)]) == 1
    assert "referral records stored" in capsys.readouterr().err


def test_records_of_a_place_with_aggregates_are_refused(both, records_csv, tmp_path, capsys):
    _, from_aggregates, _ = both
    db = tmp_path / "db.duckdb"
    shutil.copyfile(from_aggregates, db)
    assert main(["import", "--db", str(db), "referrals", str(records_csv)]) == 1
    assert "has referral aggregates loaded" in capsys.readouterr().out
    with Store.open(db, read_only=True) as store:
        assert store.query("places_with_referral_records", places=list(PLACES)).empty


def test_the_same_folder_twice_is_refused(both, tmp_path, capsys):
    _, from_aggregates, out = both
    db = tmp_path / "db.duckdb"
    shutil.copyfile(from_aggregates, db)
    assert main(["import", "--db", str(db), "aggregates", str(out)]) == 1
    assert "already loaded" in capsys.readouterr().err


def test_only_an_editor_of_the_places_or_an_admin_may_load(both, empty_db, tmp_path):
    _, _, out = both
    db = tmp_path / "db.duckdb"
    shutil.copyfile(empty_db, db)
    viewer = User(name="Vic", email="vic@example.org", role=VIEWER)
    elsewhere = User(name="Ed", email="ed@example.org", role=EDITOR, places=frozenset({THURROCK}))
    for user in (viewer, elsewhere):
        with pytest.raises(AccessDenied):
            aggregates_view.load_aggregates(db, out, user=user)
    both_places = User(name="Eve", email="eve@example.org", role=EDITOR, places=frozenset(PLACES))
    message = aggregates_view.load_aggregates(db, out, user=both_places)
    assert "for 2 place(s)" in message
    log = data_view.import_log(db)
    assert log.iloc[0]["kind"] == "aggregates"
    assert log.iloc[0]["loaded_by"] == "Eve (eve@example.org)"
    with Store.open(db, read_only=True) as store:
        trail = store.query(
            "audit_list", place_code=None, person="eve@example.org", since=None, until=None
        )
    assert list(trail["action"]) == ["import"] and "2 place(s)" in trail.iloc[0]["detail"]


def test_a_missing_folder_is_refused(empty_db, tmp_path):
    with pytest.raises(ImportFileError, match="There is no folder"):
        aggregates_view.load_aggregates(empty_db, tmp_path / "nope", user=_admin())


def _admin() -> User:
    from capacity.access import local_user

    return local_user()
