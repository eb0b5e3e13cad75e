"""The referral-level reduction on DuckDB: hand-worked aggregates, the importer's rules, the
manifest, and the refused report (Spark beside DuckDB: test_aggregates_spark.py)."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from capacity import __version__, ingest
from capacity import aggregates as A
from capacity.cli import main
from capacity.ingest.files import stage_file

HAVERING, THURROCK = "E09000016", "E06000034"
HEADER = (
    "referral_id,place_code,service_type,service_id,source,pathway,referral_date,"
    "start_date,end_date,referring_trust"
)


@pytest.fixture(scope="module")
def reference(demo_store) -> A.Reference:
    return A.reference_from_store(demo_store)


def run_job(reference: A.Reference, source: Path, out: Path, engine: str = "duckdb") -> dict:
    with A.engine_for(engine) as chosen:
        return A.aggregate(chosen, str(source), out, reference)


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", "utf-8")
    return path


def a_service(reference: A.Reference, place: str) -> tuple[str, str]:
    """A service serving ``place`` and its type (from the demo's catalogue)."""
    served = reference.service_places[reference.service_places["place_code"] == place]
    first = sorted(served["service_id"])[0]
    types = reference.services.set_index("service_id")["service_type"]
    return first, str(types[first])


def test_hand_worked_aggregates(reference, tmp_path):
    service, kind = a_service(reference, HAVERING)
    # Three counted records of one service at Havering, one refused (end before start).
    src = write_lines(
        tmp_path / "r.csv",
        [
            f"A1,{HAVERING},{kind},{service},hospital,,2024-04-01,2024-04-02,2024-04-12,",
            f"A2,{HAVERING},{kind},{service},hospital,,2024-04-03,2024-04-03,2024-05-03,",
            f"A3,{HAVERING},{kind},{service},hospital,,05/04/2024,2024-04-06,,",
            f"A4,{HAVERING},{kind},{service},hospital,,2024-04-08,2024-04-09,2024-04-01,",
        ],
    )
    manifest = run_job(reference, src, tmp_path / "out")
    assert (manifest["records_read"], manifest["records_refused"]) == (4, 1)
    assert manifest["records_counted"] == 3
    referrals = A.read_part(tmp_path / "out", "referrals")
    assert len(referrals) == 1
    row = referrals.iloc[0]
    assert row["system_code"] == "BHR" and row["referrals"] == 3
    assert pd.Timestamp(row["first_day"]) == pd.Timestamp("2024-04-01")
    assert pd.Timestamp(row["last_day"]) == pd.Timestamp("2024-04-05")
    episodes = A.read_part(tmp_path / "out", "episodes").set_index("end_month", drop=False)
    # Started in April: one ended in April (10 days), one in May (30 days), one open.
    april = episodes.loc[pd.Timestamp("2024-04-01")]
    assert (april["episodes"], april["stay_days"], april["stay_days_squared"]) == (1, 10, 100)
    may = episodes.loc[pd.Timestamp("2024-05-01")]
    assert (may["episodes"], may["stay_days"], may["stay_days_squared"]) == (1, 30, 900)
    # 2024-04-03 is day 19816 since 1970-01-01; 2024-05-03 is day 19846.
    assert (may["start_day_sum"], may["end_day_sum"]) == (19816, 19846)
    still_open = episodes[episodes["end_month"].isna()].iloc[0]
    assert still_open["episodes"] == 1 and pd.isna(still_open["stay_days"])
    stays = A.read_part(tmp_path / "out", "stays").iloc[0]
    # Stays 10 and 30: mean 20, sample sd sqrt(((10-20)^2 + (30-20)^2) / 1) = 14.142…
    assert stays["completed"] == 2 and stays["mean_los_days"] == 20
    assert stays["cv_los"] == pytest.approx(math.sqrt(200) / 20, rel=1e-12)
    # Linear interpolation between the two stays: 10 + 0.95 × 20 = 29.
    assert stays["long_stay_days"] == pytest.approx(29.0)
    assert stays["median_los_days"] == pytest.approx(20.0)
    weekdays = A.read_part(tmp_path / "out", "weekdays")
    # 1 April 2024 was a Monday, 3 April a Wednesday, 5 April a Friday.
    assert sorted(weekdays["weekday"]) == [1, 3, 5]
    assert set(weekdays["referrals"]) == {1}
    refused = pd.read_csv(tmp_path / "out" / A.REFUSED)
    assert refused.to_dict("records") == [
        {
            "column_name": "end_date",
            "reason": "is before the start date",
            "records": 1,
            "example_referral_id": "A4",
            "example_value": "2024-04-01",
        }
    ]


def generated_extract(reference: A.Reference, rows: int, seed: int = 7) -> pd.DataFrame:
    """Referral records of the demo's services, with bad ones of every kind mixed in."""
    rng = np.random.default_rng(seed)
    links = reference.service_places.merge(reference.services, on="service_id")
    types = reference.types.set_index("service_type")
    links = links[[bool(types.loc[t, "hospital"]) for t in links["service_type"]]]
    picked = links.iloc[rng.integers(0, len(links), rows)].reset_index(drop=True)
    referral = pd.Timestamp("2023-04-01") + pd.to_timedelta(rng.integers(0, 730, rows), "D")
    start = referral + pd.to_timedelta(rng.integers(0, 4, rows), "D")
    end = start + pd.to_timedelta(rng.integers(0, 90, rows), "D")
    frame = pd.DataFrame(
        {
            "referral_id": [f"G{n:06d}" for n in range(rows)],
            "place_code": picked["place_code"],
            "service_type": picked["service_type"],
            "service_id": np.where(rng.random(rows) < 0.2, "", picked["service_id"]),
            "source": "hospital",
            "pathway": "",
            "referral_date": referral.strftime("%Y-%m-%d"),
            "start_date": np.where(rng.random(rows) < 0.1, "", start.strftime("%Y-%m-%d")),
            "end_date": np.where(rng.random(rows) < 0.2, "", end.strftime("%Y-%m-%d")),
            "referring_trust": "",
        }
    )
    frame.loc[frame.index % 50 == 3, "referral_date"] = referral[frame.index % 50 == 3].strftime(
        "%d/%m/%Y"
    )
    bad = {
        5: {"place_code": "Nowhere"},
        11: {"referral_id": "=HYPERLINK(1)"},
        17: {"referral_id": "G000001"},  # a second copy of an id
        23: {"end_date": "2023-01-01"},  # before its start
        29: {"referral_date": "31/02/2024"},
        31: {"source": "elsewhere"},
        37: {"referral_date": "2099-01-01"},
        41: {"referring_trust": "RA\x01J"},
        43: {"service_type": "no such type"},
        47: {"referral_id": ""},
    }
    for every, change in bad.items():
        for column, value in change.items():
            frame.loc[frame.index % 97 == every, column] = value
    return frame


def test_the_job_refuses_what_the_importer_refuses(reference, demo_store, tmp_path):
    extract = generated_extract(reference, 3000)
    src = tmp_path / "extract.csv"
    extract.to_csv(src, index=False)
    manifest = run_job(reference, src, tmp_path / "out")
    report = ingest.check(demo_store, stage_file(src, "referrals", workdir=tmp_path / "w"))
    assert manifest["records_read"] == report.rows_read == 3000
    assert manifest["records_refused"] == report.rows_rejected
    refused = pd.read_csv(tmp_path / "out" / A.REFUSED)
    job = {
        (r.column_name, r.reason.replace("in the input", "in this file")): r.records
        for r in refused.itertuples()
    }
    importer = report.problems.assign(
        reason=report.problems["reason"]
        .str.replace(r" \(first on row \d+\)", "", regex=True)
        .str.replace(r"is before the start date .*", "is before the start date", regex=True)
    )
    assert job == importer.groupby(["column", "reason"]).size().to_dict()
    assert manifest["records_counted"] == report.rows_valid


def test_manifest_lists_every_file_with_its_checksum(reference, tmp_path):
    src = tmp_path / "extract.csv"
    generated_extract(reference, 400).to_csv(src, index=False)
    manifest = run_job(reference, src, tmp_path / "out")
    written = json.loads((tmp_path / "out" / A.MANIFEST).read_text("utf-8"))
    assert written == manifest
    assert written["engine"] == "duckdb" and written["input"] == str(src)
    assert written["product_version"] == __version__
    assert set(written["files"]) == set(A.folder_files(tmp_path / "out"))
    assert any(name.startswith("referrals/system_code=") for name in written["files"])
    for name, digest in written["files"].items():
        assert A.file_sha256(tmp_path / "out" / name) == digest
    for part in A.PARTS:
        assert written["rows"][part] == len(A.read_part(tmp_path / "out", part))


def test_parquet_folder_and_glob_inputs_give_the_same_aggregates(reference, tmp_path):
    extract = generated_extract(reference, 600)
    (tmp_path / "in").mkdir()
    extract.iloc[:300].to_csv(tmp_path / "in" / "a.csv", index=False)
    extract.iloc[300:].to_csv(tmp_path / "in" / "b.csv", index=False)
    extract.astype(str).to_parquet(tmp_path / "whole.parquet")
    run_job(reference, tmp_path / "in", tmp_path / "folder")
    run_job(reference, Path(str(tmp_path / "in" / "*.csv")), tmp_path / "glob")
    run_job(reference, tmp_path / "whole.parquet", tmp_path / "parquet")
    for part in A.PARTS:
        first = A.read_part(tmp_path / "folder", part)
        pd.testing.assert_frame_equal(first, A.read_part(tmp_path / "glob", part))
        pd.testing.assert_frame_equal(first, A.read_part(tmp_path / "parquet", part))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input", "{tmp}/none.csv"], "There are no CSV files at"),
        (["--input", "{tmp}/bad.csv"], "needs the column(s)"),
        (["--input", "{tmp}/good.csv", "--out", "{tmp}/full"], "is not empty"),
    ],
)
def test_the_command_refuses_bad_inputs_in_one_line(demo_db, tmp_path, args, message, capsys):
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n", "utf-8")
    write_lines(tmp_path / "good.csv", [])
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x", "utf-8")
    argv = [a.format(tmp=tmp_path) for a in args]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "out")]
    code = main(["aggregate", "--db", str(demo_db), *argv])
    err = capsys.readouterr().err
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1


def test_the_command_reports_what_it_wrote(demo_db, reference, tmp_path, capsys):
    service, kind = a_service(reference, THURROCK)
    src = write_lines(
        tmp_path / "r.csv", [f"T1,{THURROCK},{kind},{service},hospital,,2024-06-03,,,"]
    )
    code = main(
        ["aggregate", "--db", str(demo_db), "--input", str(src), "--out", str(tmp_path / "o")]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "1 records read with duckdb: 1 counted, 0 refused" in out
    system = reference.places.set_index("place_code").loc[THURROCK, "system_code"]
    folders = [p.name for p in (tmp_path / "o" / "referrals").iterdir()]
    assert folders == [f"system_code={system}"]
    weekdays = A.read_part(tmp_path / "o", "weekdays")
    assert list(weekdays["weekday"]) == [date(2024, 6, 3).isoweekday()]
