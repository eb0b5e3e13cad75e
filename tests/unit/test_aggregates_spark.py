"""Spark and DuckDB reduce the same referral records to identical aggregates.

Spark runs in local mode in this process (one session for the module, quiet logs, no
network). The tests skip, saying why, only where Java or pyspark is absent; CI installs
both (.ci/run, requirements-spark.txt).
"""

from __future__ import annotations

import importlib.util
import shutil

import pandas as pd
import pytest

from capacity import aggregates as A
from tests.unit.test_aggregates import generated_extract

if shutil.which("java") is None:
    pytest.skip("Spark needs Java (Debian: openjdk-17-jre-headless)", allow_module_level=True)
if importlib.util.find_spec("pyspark") is None:
    pytest.skip(
        "pyspark is not installed (pip install -r requirements-spark.txt)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def spark_session():
    """One local Spark session for the module, stopped at its end."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("capacity-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def reference(demo_store) -> A.Reference:
    return A.reference_from_store(demo_store)


def test_spark_and_duckdb_write_identical_aggregates(spark_session, reference, tmp_path):
    # A folder of two Parquet files (CSV, globs and single files: test_aggregates.py).
    extract = generated_extract(reference, 3000)
    (tmp_path / "in").mkdir()
    extract.iloc[:1500].astype(str).to_parquet(tmp_path / "in" / "a.parquet")
    extract.iloc[1500:].astype(str).to_parquet(tmp_path / "in" / "b.parquet")
    manifests = {}
    for engine in A.ENGINES:
        with A.engine_for(engine) as chosen:
            manifests[engine] = A.aggregate(
                chosen, str(tmp_path / "in"), tmp_path / engine, reference
            )
    duck, spark = manifests["duckdb"], manifests["spark"]
    assert spark["engine"] == "spark" and duck["records_refused"] > 0
    for key in ("records_read", "records_refused", "records_counted", "rows"):
        assert spark[key] == duck[key], key
    for part in A.PARTS:
        expected = A.read_part(tmp_path / "duckdb", part)
        assert len(expected) > 0
        pd.testing.assert_frame_equal(A.read_part(tmp_path / "spark", part), expected)
    assert (tmp_path / "spark" / A.REFUSED).read_bytes() == (
        tmp_path / "duckdb" / A.REFUSED
    ).read_bytes()
