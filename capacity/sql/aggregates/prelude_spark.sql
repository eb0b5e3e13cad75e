-- The few functions whose spelling differs between DuckDB and Spark SQL, defined
-- here for Spark under the names the shared statements in referrals.sql call
-- (SQL functions, inlined by Spark's planner: no Python runs per row).
-- prelude_duckdb.sql defines the same names for DuckDB: keep the two side by side.
-- The session reads string literals as written (spark.sql.parser.escapedStringLiterals),
-- as DuckDB does, so the regular expressions are the same text in both.
--
-- Each statement starts with "-- name: <name>".

-- name: prelude_spark
CREATE OR REPLACE TEMPORARY FUNCTION parse_day(s STRING) RETURNS DATE RETURN
    coalesce(TRY_CAST(trim(s) AS DATE), to_date(try_to_timestamp(trim(s), 'dd/MM/yyyy')));
CREATE OR REPLACE TEMPORARY FUNCTION rx(s STRING, p STRING) RETURNS BOOLEAN RETURN s RLIKE p;
CREATE OR REPLACE TEMPORARY FUNCTION rx_full(s STRING, p STRING) RETURNS BOOLEAN RETURN
    s RLIKE concat('^(?:', p, ')$');
CREATE OR REPLACE TEMPORARY FUNCTION month_of(d DATE) RETURNS DATE RETURN trunc(d, 'MM');
CREATE OR REPLACE TEMPORARY FUNCTION weekday_of(d DATE) RETURNS INT RETURN weekday(d) + 1;
CREATE OR REPLACE TEMPORARY FUNCTION day_number(d DATE) RETURNS BIGINT RETURN
    CAST(unix_date(d) AS BIGINT);
CREATE OR REPLACE TEMPORARY FUNCTION job_day() RETURNS DATE RETURN current_date();
