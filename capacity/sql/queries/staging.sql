-- Imports. A file is read into TEMP tables on one connection (staging), checked
-- there, and only then written, all in one transaction. Referral records are
-- checked and loaded here in SQL; the smaller kinds are checked in Python.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: staging_drop
DROP TABLE IF EXISTS staging;
DROP TABLE IF EXISTS staging_rejects;
DROP TABLE IF EXISTS staging_reject_scans;
DROP VIEW IF EXISTS staging_numbered;
DROP TABLE IF EXISTS staging_lookup;
DROP TABLE IF EXISTS staging_clean;
DROP TABLE IF EXISTS staging_found;
DROP TABLE IF EXISTS staging_shift;
DROP TABLE IF EXISTS staging_problems;
DROP VIEW IF EXISTS staging_incoming;
DROP TABLE IF EXISTS staging_present;

-- name: staging_read
-- DuckDB's own CSV reader, every column as text, malformed lines set aside
-- with their line numbers.
CREATE TEMP TABLE staging AS
SELECT * FROM read_csv($path, header = true, auto_detect = false, columns = $columns,
                       delim = $delim, quote = '"', escape = '"', store_rejects = true,
                       rejects_table = 'staging_rejects', rejects_scan = 'staging_reject_scans',
                       max_line_size = $max_line);

-- name: staging_number
-- Each good record's line in the file: records keep their order, and every
-- malformed line set aside before a record moves it down by one. Row ids start
-- from an offset inside a transaction, so count from the first.
CREATE TEMP VIEW staging_numbered AS
WITH bad AS (SELECT DISTINCT line FROM staging_rejects),
shift AS (SELECT line - (row_number() OVER (ORDER BY line) - 1) AS t FROM bad),
base AS (SELECT coalesce(min(rowid), 0) AS first FROM staging),
indexed AS (SELECT s.*, s.rowid - base.first + 2 AS k FROM staging s, base)
SELECT i.* EXCLUDE (k),
       CAST(i.k + CASE WHEN (SELECT count(*) FROM shift) = 0 THEN 0
                       ELSE (SELECT count(*) FROM shift WHERE shift.t <= i.k) END AS BIGINT)
           AS line
FROM indexed i;

-- name: staging_rejected_lines
SELECT line, min(error_type) AS error_type, min(column_name) AS column_name
FROM staging_rejects
GROUP BY line
ORDER BY line;

-- name: staging_rows
SELECT * FROM staging_numbered ORDER BY line;

-- name: staging_preview
SELECT * FROM staging ORDER BY rowid LIMIT $limit;

-- name: referrals_clean
-- Typed values only, keyed by the record's position k (0 for the first record),
-- with a flag for each cell that was filled in: the raw text stays in staging
-- and is fetched only for rows that have a problem. Names are resolved once
-- per distinct value (a few dozen), not once per row.
CREATE TEMP TABLE staging_lookup AS
WITH places_raw AS (SELECT DISTINCT place_code AS raw FROM staging),
types_raw AS (SELECT DISTINCT service_type AS raw FROM staging),
services_raw AS (SELECT DISTINCT service_id AS raw FROM staging)
SELECT 'place' AS what, r.raw, coalesce(p1.place_code, p2.place_code) AS code
FROM places_raw r
LEFT JOIN places p1 ON p1.place_code = trim(r.raw) AND p1.kind <> 'system'
LEFT JOIN places p2 ON lower(p2.name) = lower(trim(r.raw)) AND p2.kind <> 'system'
UNION ALL
SELECT 'type', r.raw, coalesce(t1.service_type, t2.service_type)
FROM types_raw r
LEFT JOIN service_types t1 ON t1.service_type = lower(trim(r.raw))
LEFT JOIN service_types t2 ON lower(t2.name) = lower(trim(r.raw))
UNION ALL
SELECT 'service', r.raw, coalesce(v1.service_id, v2.service_id)
FROM services_raw r
LEFT JOIN services v1 ON v1.service_id = trim(r.raw)
LEFT JOIN services v2 ON lower(v2.name) = lower(trim(r.raw));
CREATE TEMP TABLE staging_clean AS
WITH base AS (SELECT coalesce(min(rowid), 0) AS first FROM staging)
SELECT n.rowid - base.first AS k,
       nullif(trim(n.referral_id), '') AS referral_id,
       lp.code AS place_code, lt.code AS service_type, ls.code AS service_id,
       CASE lower(trim(n.source))
           WHEN 'hospital' THEN 'hospital' WHEN 'hospital discharge' THEN 'hospital'
           WHEN 'step-down' THEN 'hospital' WHEN 'step down' THEN 'hospital'
           WHEN 'community' THEN 'community' WHEN 'step-up' THEN 'community'
           WHEN 'step up' THEN 'community' END AS source,
       CASE WHEN upper(trim(n.pathway)) IN ('P0', 'P1', 'P2', 'P3')
            THEN upper(trim(n.pathway)) END AS pathway,
       coalesce(TRY_CAST(trim(n.referral_date) AS DATE),
                CAST(try_strptime(trim(n.referral_date), '%d/%m/%Y') AS DATE)) AS referral_date,
       coalesce(TRY_CAST(trim(n.start_date) AS DATE),
                CAST(try_strptime(trim(n.start_date), '%d/%m/%Y') AS DATE)) AS start_date,
       coalesce(TRY_CAST(trim(n.end_date) AS DATE),
                CAST(try_strptime(trim(n.end_date), '%d/%m/%Y') AS DATE)) AS end_date,
       nullif(upper(trim(n.referring_trust)), '') AS referring_trust,
       coalesce(trim(n.place_code) <> '', false) AS has_place,
       coalesce(trim(n.service_type) <> '', false) AS has_type,
       coalesce(trim(n.service_id) <> '', false) AS has_service,
       coalesce(trim(n.source) <> '', false) AS has_source,
       coalesce(trim(n.pathway) <> '', false) AS has_pathway,
       coalesce(trim(n.referral_date) <> '', false) AS has_referral_date,
       coalesce(trim(n.start_date) <> '', false) AS has_start_date,
       coalesce(trim(n.end_date) <> '', false) AS has_end_date
FROM staging n
CROSS JOIN base
LEFT JOIN staging_lookup lp ON lp.what = 'place' AND lp.raw IS NOT DISTINCT FROM n.place_code
LEFT JOIN staging_lookup lt ON lt.what = 'type' AND lt.raw IS NOT DISTINCT FROM n.service_type
LEFT JOIN staging_lookup ls ON ls.what = 'service' AND ls.raw IS NOT DISTINCT FROM n.service_id;

-- name: referrals_problems
-- Every reason a row cannot be loaded, first by position (staging_found), then
-- with its line in the file, the cell as written and the reason (staging_problems).
CREATE TEMP TABLE staging_found AS
-- The formula pattern is capacity.validation.looks_like_formula's rule: text starting
-- with =, + or @ (after spaces), a tab or carriage return, or - and more that is not a
-- plain negative number, or the dynamic data exchange shape app|'topic'!item anywhere.
-- It is written out twice rather than shared through a CTE, so that DuckDB compiles it
-- once instead of once per row.
WITH c AS (SELECT * FROM staging_clean),
repeated AS (
    SELECT referral_id, min(k) AS first_k
    FROM c WHERE referral_id IS NOT NULL
    GROUP BY referral_id HAVING count(*) > 1
)
SELECT k, 'referral_id' AS "column", 'is required' AS reason, NULL::BIGINT AS first_k
FROM c WHERE referral_id IS NULL
UNION ALL
SELECT k, 'referral_id', 'looks like a spreadsheet formula', NULL
FROM c WHERE regexp_matches(referral_id, '(?s)^[\t\r]|^\s*[=+@]|^\s*-\s*\S|\w\|.*!')
  AND NOT regexp_full_match(referral_id, '\s*-(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*')
UNION ALL
SELECT k, 'referral_id', 'holds a control character (such as a NUL byte), which is not text', NULL
FROM c WHERE regexp_matches(referral_id, '[\x00-\x08\x0b\x0c\x0e-\x1f]')
UNION ALL
SELECT c.k, 'referral_id', 'appears more than once in this file', r.first_k
FROM c JOIN repeated r USING (referral_id)
WHERE c.k > r.first_k
UNION ALL
SELECT k, 'place_code',
       CASE WHEN has_place THEN 'is not a known place' ELSE 'is required' END, NULL
FROM c WHERE place_code IS NULL
UNION ALL
SELECT k, 'service_type',
       CASE WHEN has_type THEN 'is not a known service type' ELSE 'is required' END, NULL
FROM c WHERE service_type IS NULL
UNION ALL
SELECT k, 'service_id', 'is not a known service', NULL
FROM c WHERE has_service AND service_id IS NULL
UNION ALL
SELECT c.k, 'service_id', 'is a ' || s.service_type || ' service, not ' || c.service_type, NULL
FROM c JOIN services s USING (service_id)
WHERE c.service_type IS NOT NULL AND s.service_type <> c.service_type
UNION ALL
SELECT c.k, 'service_id', 'does not serve ' || c.place_code, NULL
FROM c
WHERE c.service_id IS NOT NULL AND c.place_code IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM service_places sp
                  WHERE sp.service_id = c.service_id AND sp.place_code = c.place_code)
UNION ALL
SELECT k, 'source',
       CASE WHEN has_source THEN 'must be hospital or community' ELSE 'is required' END, NULL
FROM c WHERE source IS NULL
UNION ALL
SELECT c.k, 'source', c.service_type || ' does not take ' || c.source || ' referrals', NULL
FROM c JOIN service_types t USING (service_type)
WHERE (c.source = 'hospital' AND NOT t.hospital) OR (c.source = 'community' AND NOT t.community)
UNION ALL
SELECT k, 'pathway', 'must be P0, P1, P2 or P3', NULL
FROM c WHERE has_pathway AND pathway IS NULL
UNION ALL
SELECT k, 'referral_date',
       CASE WHEN has_referral_date THEN 'is not a date (use 2025-04-01 or 01/04/2025)'
            ELSE 'is required' END, NULL
FROM c WHERE referral_date IS NULL
UNION ALL
SELECT k, 'referral_date', 'is in the future', NULL
FROM c WHERE referral_date > current_date
UNION ALL
SELECT k, 'referral_date', 'is before 2000', NULL
FROM c WHERE referral_date < DATE '2000-01-01'
UNION ALL
SELECT k, 'start_date', 'is not a date (use 2025-04-01 or 01/04/2025)', NULL
FROM c WHERE has_start_date AND start_date IS NULL
UNION ALL
SELECT k, 'end_date', 'is not a date (use 2025-04-01 or 01/04/2025)', NULL
FROM c WHERE has_end_date AND end_date IS NULL
UNION ALL
SELECT k, 'end_date', 'is before the start date ' || strftime(start_date, '%Y-%m-%d'), NULL
FROM c WHERE end_date < start_date
UNION ALL
SELECT k, 'referring_trust', 'looks like a spreadsheet formula',
       NULL
FROM c WHERE regexp_matches(referring_trust, '(?s)^[\t\r]|^\s*[=+@]|^\s*-\s*\S|\w\|.*!')
  AND NOT regexp_full_match(referring_trust,
                            '\s*-(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*')
UNION ALL
SELECT k, 'referring_trust',
       'holds a control character (such as a NUL byte), which is not text', NULL
FROM c WHERE regexp_matches(referring_trust, '[\x00-\x08\x0b\x0c\x0e-\x1f]');
-- A record's line in the file: records keep their order, the header is line 1,
-- and every malformed line set aside before a record moves it down by one.
CREATE TEMP TABLE staging_shift AS
WITH bad AS (SELECT DISTINCT line FROM staging_rejects)
SELECT line - (row_number() OVER (ORDER BY line) - 1) AS t FROM bad;
CREATE TEMP TABLE staging_problems AS
WITH base AS (SELECT coalesce(min(rowid), 0) AS first FROM staging),
found AS (
    SELECT f.*,
           f.k + 2 + (SELECT count(*) FROM staging_shift WHERE t <= f.k + 2) AS line,
           f.first_k + 2 + (SELECT count(*) FROM staging_shift WHERE t <= f.first_k + 2)
               AS first_line
    FROM staging_found f
)
SELECT f.line, f."column",
       coalesce(trim(CASE f."column"
           WHEN 'referral_id' THEN s.referral_id WHEN 'place_code' THEN s.place_code
           WHEN 'service_type' THEN s.service_type WHEN 'service_id' THEN s.service_id
           WHEN 'source' THEN s.source WHEN 'pathway' THEN s.pathway
           WHEN 'referral_date' THEN s.referral_date WHEN 'start_date' THEN s.start_date
           WHEN 'end_date' THEN s.end_date WHEN 'referring_trust' THEN s.referring_trust
       END), '') AS value,
       f.reason || CASE WHEN f.first_line IS NULL THEN ''
                        ELSE ' (first on row ' || f.first_line || ')' END AS reason
FROM found f
CROSS JOIN base
JOIN staging s ON s.rowid = f.k + base.first
UNION ALL
SELECT line,
       CASE WHEN error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS') OR column_name IS NULL
            THEN '(whole line)' ELSE column_name END, '',
       CASE error_type
           WHEN 'MISSING COLUMNS' THEN 'has fewer columns than the header'
           WHEN 'TOO MANY COLUMNS' THEN 'has more columns than the header'
           WHEN 'UNQUOTED VALUE' THEN 'has a quote that is never closed'
           WHEN 'LINE SIZE OVER MAXIMUM' THEN 'is too long'
           ELSE 'cannot be read (' || lower(error_type) || ')' END
FROM (SELECT line, min(error_type) AS error_type, min(column_name) AS column_name
      FROM staging_rejects GROUP BY line);

-- name: referrals_compare
-- Each good row beside the stored referral with the same id, if any: "new" (no
-- such id), "unchanged" (every field the same) or "updated". A column the file
-- does not have says nothing about it, so the stored value is kept (an extract
-- without end dates must not wipe them). A view, so that the comparison is one
-- join on referral_id each time it is read, never a copy of the file.
CREATE TEMP TABLE staging_present AS
SELECT NOT list_contains(CAST($absent AS VARCHAR[]), 'service_id') AS service_id,
       NOT list_contains(CAST($absent AS VARCHAR[]), 'pathway') AS pathway,
       NOT list_contains(CAST($absent AS VARCHAR[]), 'start_date') AS start_date,
       NOT list_contains(CAST($absent AS VARCHAR[]), 'end_date') AS end_date,
       NOT list_contains(CAST($absent AS VARCHAR[]), 'referring_trust') AS referring_trust;
CREATE TEMP VIEW staging_incoming AS
WITH merged AS (
    SELECT c.referral_id, c.place_code, c.service_type,
           CASE WHEN p.service_id THEN c.service_id ELSE r.service_id END AS service_id,
           c.source,
           CASE WHEN p.pathway THEN c.pathway ELSE r.pathway END AS pathway,
           c.referral_date,
           CASE WHEN p.start_date THEN c.start_date ELSE r.start_date END AS start_date,
           CASE WHEN p.end_date THEN c.end_date ELSE r.end_date END AS end_date,
           CASE WHEN p.referring_trust THEN c.referring_trust
                ELSE r.referring_trust END AS referring_trust,
           r.referral_id IS NOT NULL AS stored,
           r.place_code AS old_place_code, r.service_type AS old_service_type,
           r.service_id AS old_service_id, r.source AS old_source, r.pathway AS old_pathway,
           r.referral_date AS old_referral_date, r.start_date AS old_start_date,
           r.end_date AS old_end_date, r.referring_trust AS old_referring_trust
    FROM staging_clean c
    CROSS JOIN staging_present p
    LEFT JOIN referrals r ON r.referral_id = c.referral_id
    WHERE NOT EXISTS (SELECT 1 FROM staging_found f WHERE f.k = c.k)
)
SELECT referral_id, place_code, service_type, service_id, source, pathway, referral_date,
       start_date, end_date, referring_trust,
       CASE WHEN NOT stored THEN 'new'
            WHEN place_code IS DISTINCT FROM old_place_code
              OR service_type IS DISTINCT FROM old_service_type
              OR service_id IS DISTINCT FROM old_service_id
              OR source IS DISTINCT FROM old_source
              OR pathway IS DISTINCT FROM old_pathway
              OR referral_date IS DISTINCT FROM old_referral_date
              OR start_date IS DISTINCT FROM old_start_date
              OR end_date IS DISTINCT FROM old_end_date
              OR referring_trust IS DISTINCT FROM old_referring_trust THEN 'updated'
            ELSE 'unchanged' END AS change
FROM merged;

-- name: referrals_summary
-- One pass over the comparison counts both the unchanged and the updated rows.
WITH changes AS (
    SELECT count(*) FILTER (WHERE change = 'unchanged') AS unchanged,
           count(*) FILTER (WHERE change = 'updated') AS updated
    FROM staging_incoming
)
SELECT (SELECT count(*) FROM staging_clean)
           + (SELECT count(DISTINCT line) FROM staging_rejects) AS rows_read,
       (SELECT count(DISTINCT line) FROM staging_problems) AS rows_rejected,
       changes.unchanged AS already_loaded,
       changes.updated AS updated,
       (SELECT count(*) FROM staging_problems) AS problems
FROM changes;

-- name: staging_problem_list
SELECT CAST(line AS BIGINT) AS "row", "column", value, reason
FROM staging_problems
ORDER BY line, "column"
LIMIT $limit;

-- name: referrals_archive_updated
-- The stored records a load is about to replace, kept for undo (run before the
-- load, which reads the comparison with the records still in place).
INSERT INTO referrals_archive
SELECT r.*, $import_id FROM referrals r
WHERE r.referral_id IN (SELECT referral_id FROM staging_incoming WHERE change = 'updated');

-- name: referrals_load
-- New referrals and the new versions of updated ones; unchanged ones are not rewritten.
INSERT INTO referrals (referral_id, place_code, service_type, service_id, source, pathway,
                       referral_date, start_date, end_date, referring_trust, import_id)
SELECT referral_id, place_code, service_type, service_id, source, pathway,
       referral_date, start_date, end_date, referring_trust, $import_id
FROM staging_incoming
WHERE change <> 'unchanged';

-- name: referrals_drop_replaced
-- The old versions of the records this load replaced (they are in the archive).
DELETE FROM referrals
WHERE import_id IS DISTINCT FROM $import_id
  AND referral_id IN (SELECT referral_id FROM referrals_archive WHERE replaced_by = $import_id);
