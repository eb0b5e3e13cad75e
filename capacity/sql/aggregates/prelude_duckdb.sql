-- The few functions whose spelling differs between DuckDB and Spark SQL, defined
-- here for DuckDB under the names the shared statements in referrals.sql call.
-- prelude_spark.sql defines the same names for Spark: keep the two side by side.
--
-- Each statement starts with "-- name: <name>".

-- name: prelude_duckdb
CREATE OR REPLACE TEMP MACRO parse_day(s) AS
    coalesce(TRY_CAST(trim(s) AS DATE), CAST(try_strptime(trim(s), '%d/%m/%Y') AS DATE));
CREATE OR REPLACE TEMP MACRO rx(s, p) AS regexp_matches(s, p);
CREATE OR REPLACE TEMP MACRO rx_full(s, p) AS regexp_full_match(s, p);
CREATE OR REPLACE TEMP MACRO month_of(d) AS CAST(date_trunc('month', d) AS DATE);
CREATE OR REPLACE TEMP MACRO weekday_of(d) AS CAST(isodow(d) AS INTEGER);
CREATE OR REPLACE TEMP MACRO day_number(d) AS CAST(d - DATE '1970-01-01' AS BIGINT);
CREATE OR REPLACE TEMP MACRO job_day() AS current_date;
