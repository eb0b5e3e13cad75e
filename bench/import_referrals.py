"""Time importing a large referral extract: screening, checking every row, and loading.

    python3 bench/import_referrals.py [--rows 10000000]

Writes a synthetic extract of valid referral rows for the demo places (with a
few bad rows mixed in) to a temporary folder, copies a fresh demo database,
then times :func:`capacity.ingest.stage_file`, :func:`capacity.ingest.check`
and :func:`capacity.ingest.load` (good rows only) one after another.
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
        print(f"total, screen + check + load: {time.perf_counter() - start:.1f} s")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
