"""Time importing a large referral extract: screening, checking every row, and loading.

    python3 bench/import_referrals.py [--rows 10000000]

Writes a synthetic extract of valid referral rows for the demo places (with a
few bad rows mixed in) to a temporary folder, copies a fresh demo database,
then times :func:`capacity.ingest.stage_file`, :func:`capacity.ingest.check`
and :func:`capacity.ingest.load` (good rows only) one after another. Beside
them it times the floor: DuckDB reading the same file straight into a table of
a fresh database, with no checks (:func:`duckdb_floor`, also a row of
``bench/run.py``), and says how many times the floor the import took.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb  # the benchmark writes its test file directly; the product never does

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capacity import ingest  # noqa: E402
from capacity.demo import build_demo_database  # noqa: E402
from capacity.store import Store  # noqa: E402

GENERATE = """
COPY (
    SELECT 'B-' || i AS referral_id,
           (['E09000002','E09000016','E09000026','E06000034','E06000017','E09000006',
             'E10000012'])[1 + i % 7] AS place_code,
           (['reablement_home','rehab_bed','social_support','reablement_bed'])[1 + i % 4]
               AS service_type,
           CASE WHEN i % 5 = 0 THEN 'community' ELSE 'hospital' END AS source,
           CASE WHEN i % 5 = 0 THEN '' ELSE 'P1' END AS pathway,
           strftime(DATE '2022-04-01' + CAST(i % 1400 AS INTEGER), '%Y-%m-%d') AS referral_date,
           strftime(DATE '2022-04-02' + CAST(i % 1400 AS INTEGER), '%Y-%m-%d') AS start_date,
           CASE WHEN i % 3 = 0 THEN ''
                ELSE strftime(DATE '2022-04-20' + CAST(i % 1400 AS INTEGER), '%Y-%m-%d')
           END AS end_date,
           'RF4' AS referring_trust
    FROM range($rows) t(i)
    UNION ALL SELECT 'BAD-1', 'Narnia', 'reablement_home', 'hospital', '', '2025-01-01', '', '',
                     ''
    UNION ALL SELECT 'BAD-2', 'E09000016', 'reablement_home', 'hospital', '', '2025-02-30', '',
                     '', ''
) TO '{path}' (HEADER, DELIMITER ',')
"""


def duckdb_floor(csv: Path, database: Path, *, skip_bad: bool = False) -> int:
    """Read ``csv`` straight into a table of a fresh database file, with no checks; rows read.

    The quickest any import of the file could be on this machine: DuckDB's own reader,
    its guessed types, nothing screened, checked or looked up. ``skip_bad`` lets the
    reader drop rows its guessed types cannot hold (an extract with bad rows mixed in);
    without it such a row stops the read.
    """
    for leftover in (database, database.with_name(database.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(database))
    try:
        con.execute(
            "CREATE TABLE referrals AS SELECT * FROM read_csv(?, header = true, ignore_errors = ?)",
            [str(csv), skip_bad],
        )
        return con.execute("SELECT count(*) FROM referrals").fetchone()[0]
    finally:
        con.close()


def timed(label: str, action):
    start = time.perf_counter()
    result = action()
    print(f"{label}: {time.perf_counter() - start:.1f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        extract = work / "extract.csv"
        con = duckdb.connect()
        con.execute(GENERATE.replace("{path}", str(extract)), {"rows": args.rows})
        con.close()
        print(f"extract: {args.rows:,} rows + 2 bad, {extract.stat().st_size / 1e6:,.0f} MB")
        db = work / "bench.duckdb"
        build_demo_database(db)
        start = time.perf_counter()
        staged = timed(
            "screen (encoding, line lengths, header)",
            lambda: ingest.stage_file(extract, "referrals", workdir=work),
        )
        with Store.open(db) as store:
            report = timed("check every row", lambda: ingest.check(store, staged))
            print(f"  {report.rows_read:,} read, {report.rows_rejected:,} refused")
            result = timed(
                "load the good rows (checks again, one transaction)",
                lambda: ingest.load(store, staged, accept_partial=True),
            )
            print(f"  {result.rows_loaded:,} loaded")
        total = time.perf_counter() - start
        print(f"total, screen + check + load: {total:.1f} s")
        floor_start = time.perf_counter()
        read = duckdb_floor(extract, work / "floor.duckdb", skip_bad=True)
        floor = time.perf_counter() - floor_start
        print(
            f"DuckDB floor (the file straight into a table, no checks): {floor:.1f} s for "
            f"{read:,} rows; the import took {total / floor:.1f}× the floor"
        )
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
