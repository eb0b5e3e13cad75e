-- Named queries. Each block starts with "-- name: <name>"; values are always
-- bound as $parameters, never written into the SQL text.

-- name: places
SELECT place_code, name, kind, parent_system, population_65plus, source_note
FROM places
ORDER BY CASE kind WHEN 'system' THEN 1 ELSE 0 END, name;

-- name: service_types
SELECT service_type, name, pathway, setting, hospital, community, sort_order
FROM service_types
ORDER BY sort_order;

-- name: service_type_labels
SELECT service_type, source, planning_year, label
FROM service_type_labels
ORDER BY planning_year, source, service_type;

-- name: trusts
SELECT trust_code, name FROM trusts ORDER BY trust_code;

-- name: services
SELECT s.service_id, s.name, s.provider, s.service_type, s.contract, s.source_note,
       string_agg(sp.place_code, ',' ORDER BY sp.place_code) AS place_codes
FROM services s
LEFT JOIN service_places sp USING (service_id)
GROUP BY ALL
ORDER BY s.name;

-- name: service_places_for_places
SELECT sp.service_id, sp.place_code, sp.place_share, sp.source_note
FROM service_places sp
WHERE sp.service_id IN (
    SELECT service_id FROM service_places WHERE list_contains($places, place_code)
)
ORDER BY sp.service_id, sp.place_code;

-- name: parameters_for_places
SELECT p.param_id, p.service_id, p.place_code, p.method, p.caseload, p.mean_los_days,
       p.hours_per_month, p.hours_per_package_per_month, p.throughput, p.throughput_unit,
       p.hospital_share, p.contract_share, p.target_occupancy, p.spot_ceiling_per_month,
       p.valid_from, p.valid_to, p.source_note
FROM service_parameters p
WHERE p.service_id IN (
    SELECT service_id FROM service_places WHERE list_contains($places, place_code)
)
  AND (p.place_code IS NULL OR list_contains($places, p.place_code))
ORDER BY p.service_id, p.place_code, p.valid_from;

-- name: all_parameters
SELECT p.param_id, p.service_id, s.name AS service, p.place_code, p.method, p.caseload,
       p.mean_los_days, p.hours_per_month, p.hours_per_package_per_month, p.throughput,
       p.throughput_unit, p.hospital_share, p.contract_share, p.target_occupancy,
       p.spot_ceiling_per_month, p.valid_from, p.valid_to, p.source_note
FROM service_parameters p
JOIN services s USING (service_id)
ORDER BY s.name, p.place_code, p.valid_from;

-- name: monthly_history
-- Referral records counted by month; published counts fill only the keys and
-- months that have no records, so the two sources never add up twice.
WITH rec AS (
    SELECT place_code, service_type, service_id, source,
           CAST(date_trunc('month', referral_date) AS DATE) AS month,
           CAST(count(*) AS DOUBLE) AS referrals
    FROM referrals
    WHERE list_contains($places, place_code)
    GROUP BY ALL
), cnt AS (
    SELECT m.place_code, m.service_type, m.service_id, m.source, m.month,
           sum(m.referrals) AS referrals
    FROM monthly_demand m
    WHERE list_contains($places, m.place_code)
      AND NOT EXISTS (
          SELECT 1 FROM rec r
          WHERE r.place_code = m.place_code AND r.service_type = m.service_type
            AND r.service_id IS NOT DISTINCT FROM m.service_id
            AND r.source = m.source AND r.month = m.month
      )
    GROUP BY ALL
)
SELECT place_code, service_type, service_id, source, month, referrals, 'records' AS origin
FROM rec
UNION ALL
SELECT place_code, service_type, service_id, source, month, referrals, 'counts' AS origin
FROM cnt
ORDER BY place_code, service_type, service_id, source, month;

-- name: coverage
-- The first and last day each place has data for: referral dates, and whole
-- months of published counts.
WITH spans AS (
    SELECT place_code, min(referral_date) AS first_day, max(referral_date) AS last_day
    FROM referrals
    WHERE list_contains($places, place_code)
    GROUP BY place_code
    UNION ALL
    SELECT place_code, min(month) AS first_day, last_day(max(month)) AS last_day
    FROM monthly_demand
    WHERE list_contains($places, place_code)
    GROUP BY place_code
)
SELECT place_code, min(first_day) AS first_day, max(last_day) AS last_day
FROM spans
GROUP BY place_code
ORDER BY place_code;

-- name: observed_episodes
-- Observed flow for records with start dates, over [$start, $end): arrivals,
-- mean length of stay of episodes that ended, and mean occupancy (open
-- episodes per day, counting each episode on the days [start, end)).
WITH w AS (SELECT CAST($start AS DATE) AS w_start, CAST($end AS DATE) AS w_end)
SELECT place_code, service_id, service_type,
       count(*) FILTER (WHERE start_date >= w_start AND start_date < w_end) AS arrivals,
       count(*) FILTER (WHERE end_date >= w_start AND end_date < w_end) AS completed,
       avg(end_date - start_date) FILTER (WHERE end_date >= w_start AND end_date < w_end)
           AS observed_los_days,
       CAST(sum(greatest(0, least(coalesce(end_date, w_end), w_end) - greatest(start_date, w_start)))
            AS DOUBLE) / any_value(w_end - w_start) AS observed_occupancy,
       count(*) FILTER (WHERE end_date IS NULL) AS open_episodes
FROM referrals, w
WHERE list_contains($places, place_code)
  AND start_date IS NOT NULL
  AND start_date < w_end
  AND coalesce(end_date, w_end) > w_start
GROUP BY place_code, service_id, service_type
ORDER BY place_code, service_id, service_type;

-- name: data_span
-- The first and last day of any demand data in the store.
SELECT min(first_day) AS first_day, max(last_day) AS last_day
FROM (
    SELECT min(referral_date) AS first_day, max(referral_date) AS last_day FROM referrals
    UNION ALL
    SELECT min(month), last_day(max(month)) FROM monthly_demand
);

-- name: first_data_day
-- The first day anything is known: a parameter in force, a referral or a monthly count.
SELECT min(day) AS first_day
FROM (
    SELECT min(valid_from) AS day FROM service_parameters
    UNION ALL
    SELECT min(referral_date) FROM referrals
    UNION ALL
    SELECT min(month) FROM monthly_demand
);

-- name: data_version
-- Changes whenever the data do. Every write to the data is an import (parameter and
-- share edits in the app are imports too), an undo or a migration, and each is
-- recorded with its time; a rebuilt file records new times.
SELECT (SELECT count(*) FROM import_log) AS imports,
       (SELECT max(loaded_at) FROM import_log) AS last_loaded,
       (SELECT count(undone_at) FROM import_log) AS undone,
       (SELECT max(undone_at) FROM import_log) AS last_undone,
       (SELECT max(version) FROM schema_migrations) AS schema_version,
       (SELECT max(applied_at) FROM schema_migrations) AS last_migrated;

-- name: scenarios_version
-- Changes with every scenario saved (new, a new version, a copy) or deleted.
SELECT count(*) AS scenarios, max(updated_at) AS last_saved, count(deleted_at) AS deleted,
       max(deleted_at) AS last_deleted
FROM scenarios;

-- name: table_counts
SELECT 'places' AS table_name, count(*) AS row_count FROM places
UNION ALL SELECT 'service_types', count(*) FROM service_types
UNION ALL SELECT 'services', count(*) FROM services
UNION ALL SELECT 'service_parameters', count(*) FROM service_parameters
UNION ALL SELECT 'referrals', count(*) FROM referrals
UNION ALL SELECT 'monthly_demand', count(*) FROM monthly_demand
UNION ALL SELECT 'import_log', count(*) FROM import_log;

-- name: applied_migrations
SELECT version, name, applied_at FROM schema_migrations ORDER BY version;

-- name: record_migration
INSERT INTO schema_migrations (version, name, applied_at) VALUES ($version, $name, now());

-- name: log_import
INSERT INTO import_log (kind, file_name, checksum, rows_read, rows_loaded, rows_rejected,
                        loaded_by, loaded_at, note)
VALUES ($kind, $file_name, $checksum, $rows_read, $rows_loaded, $rows_rejected,
        $loaded_by, now(), $note)
RETURNING import_id;

-- name: import_log
SELECT import_id, kind, file_name, checksum, rows_read, rows_loaded, rows_rejected,
       loaded_by, loaded_at, note, undone_at
FROM import_log
ORDER BY import_id DESC;

-- name: scenario_list
SELECT s.scenario_id, s.name, s.description, s.author, s.created_at, s.updated_at,
       s.current_version AS version,
       (SELECT count(*) FROM scenario_changes c
        WHERE c.scenario_id = s.scenario_id AND c.version = s.current_version) AS changes
FROM scenarios s
WHERE s.deleted_at IS NULL
ORDER BY lower(s.name);

-- name: scenario_by_name
SELECT scenario_id, name, description, author, created_at, updated_at, current_version
FROM scenarios
WHERE deleted_at IS NULL AND lower(name) = lower($name);

-- name: scenario_version
SELECT v.scenario_id, v.version, v.name, v.description, v.author, v.saved_at
FROM scenario_versions v
WHERE v.scenario_id = $scenario_id AND v.version = $version;

-- name: scenario_versions
SELECT v.version, v.name, v.description, v.author, v.saved_at,
       (SELECT count(*) FROM scenario_changes c
        WHERE c.scenario_id = v.scenario_id AND c.version = v.version) AS changes
FROM scenario_versions v
WHERE v.scenario_id = $scenario_id
ORDER BY v.version DESC;

-- name: scenario_changes
SELECT position, lever, value, first_month, last_month, places, service_types, services,
       to_service_type, source
FROM scenario_changes
WHERE scenario_id = $scenario_id AND version = $version
ORDER BY position;

-- name: scenario_insert
INSERT INTO scenarios (name, description, author, created_at, updated_at, current_version)
VALUES ($name, $description, $author, now(), now(), 1)
RETURNING scenario_id;

-- name: scenario_update
UPDATE scenarios
SET name = $name, description = $description, author = $author, updated_at = now(),
    current_version = current_version + 1
WHERE scenario_id = $scenario_id AND deleted_at IS NULL
RETURNING current_version;

-- name: scenario_version_insert
INSERT INTO scenario_versions (scenario_id, version, name, description, author, saved_at)
VALUES ($scenario_id, $version, $name, $description, $author, now());

-- name: scenario_delete
UPDATE scenarios SET deleted_at = now()
WHERE scenario_id = $scenario_id AND deleted_at IS NULL;

-- ---------------------------------------------------------------------------
-- Imports. A file is read into TEMP tables on one connection (staging), checked
-- there, and only then written, all in one transaction.

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
-- The formula pattern is written out twice rather than shared through a CTE, so
-- that DuckDB compiles it once instead of once per row.
WITH c AS (SELECT * FROM staging_clean),
repeated AS (
    SELECT referral_id, min(k) AS first_k
    FROM c WHERE referral_id IS NOT NULL
    GROUP BY referral_id HAVING count(*) > 1
)
SELECT k, 'referral_id' AS "column", 'is required' AS reason, NULL::BIGINT AS first_k
FROM c WHERE referral_id IS NULL
UNION ALL
SELECT k, 'referral_id', 'looks like a spreadsheet formula (starts with =, +, - or @)', NULL
FROM c WHERE regexp_matches(referral_id, '^\s*([=+@]|-[^0-9.])')
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
SELECT k, 'referring_trust', 'looks like a spreadsheet formula (starts with =, +, - or @)',
       NULL
FROM c WHERE regexp_matches(referring_trust, '^\s*([=+@]|-[^0-9.])');
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

-- name: referrals_summary
SELECT (SELECT count(*) FROM staging_clean)
           + (SELECT count(DISTINCT line) FROM staging_rejects) AS rows_read,
       (SELECT count(DISTINCT line) FROM staging_problems) AS rows_rejected,
       (SELECT count(*) FROM staging_clean c
        WHERE NOT EXISTS (SELECT 1 FROM staging_found f WHERE f.k = c.k)
          AND EXISTS (SELECT 1 FROM referrals r WHERE r.referral_id = c.referral_id))
           AS already_loaded,
       (SELECT count(*) FROM staging_problems) AS problems;

-- name: staging_problem_list
SELECT CAST(line AS BIGINT) AS "row", "column", value, reason
FROM staging_problems
ORDER BY line, "column"
LIMIT $limit;

-- name: referrals_load
INSERT INTO referrals (referral_id, place_code, service_type, service_id, source, pathway,
                       referral_date, start_date, end_date, referring_trust, import_id)
SELECT c.referral_id, c.place_code, c.service_type, c.service_id, c.source, c.pathway,
       c.referral_date, c.start_date, c.end_date, c.referring_trust, $import_id
FROM staging_clean c
WHERE NOT EXISTS (SELECT 1 FROM staging_found f WHERE f.k = c.k)
  AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.referral_id = c.referral_id);

-- name: import_by_checksum
SELECT import_id, kind, file_name, loaded_at
FROM import_log
WHERE checksum = $checksum AND kind = $kind AND undone_at IS NULL
ORDER BY import_id DESC
LIMIT 1;

-- name: latest_import_of_kind
SELECT import_id, kind, file_name, loaded_at, checksum
FROM import_log
WHERE kind = $kind AND undone_at IS NULL
ORDER BY import_id DESC
LIMIT 1;

-- name: import_finish
UPDATE import_log SET rows_loaded = $rows_loaded, note = $note WHERE import_id = $import_id;

-- name: last_undoable_import
SELECT import_id, kind, file_name, loaded_at, rows_loaded
FROM import_log
WHERE undone_at IS NULL AND kind IN ('referrals', 'parameters', 'counts', 'sitrep', 'shares')
ORDER BY import_id DESC
LIMIT 1;

-- name: import_mark_undone
UPDATE import_log SET undone_at = now() WHERE import_id = $import_id;

-- name: undo_referrals
DELETE FROM referrals WHERE import_id = $import_id;

-- name: undo_monthly_demand
DELETE FROM monthly_demand WHERE import_id = $import_id;
INSERT INTO monthly_demand SELECT * EXCLUDE (replaced_by) FROM monthly_demand_archive
WHERE replaced_by = $import_id;
DELETE FROM monthly_demand_archive WHERE replaced_by = $import_id;

-- name: undo_service_parameters
DELETE FROM service_parameters WHERE import_id = $import_id;
INSERT INTO service_parameters SELECT * EXCLUDE (replaced_by) FROM service_parameters_archive
WHERE replaced_by = $import_id;
DELETE FROM service_parameters_archive WHERE replaced_by = $import_id;

-- name: undo_trust_place_shares
DELETE FROM trust_place_shares WHERE import_id = $import_id;
INSERT INTO trust_place_shares SELECT * EXCLUDE (replaced_by) FROM trust_place_shares_archive
WHERE replaced_by = $import_id;
DELETE FROM trust_place_shares_archive WHERE replaced_by = $import_id;

-- name: undo_sitrep_discharges
DELETE FROM sitrep_discharges WHERE import_id = $import_id;
INSERT INTO sitrep_discharges SELECT * EXCLUDE (replaced_by) FROM sitrep_discharges_archive
WHERE replaced_by = $import_id;
DELETE FROM sitrep_discharges_archive WHERE replaced_by = $import_id;

-- name: archive_parameters_of_services
INSERT INTO service_parameters_archive
SELECT *, $import_id FROM service_parameters WHERE list_contains($services, service_id);
DELETE FROM service_parameters WHERE list_contains($services, service_id);

-- name: archive_trust_shares
INSERT INTO trust_place_shares_archive
SELECT *, $import_id FROM trust_place_shares WHERE list_contains($trusts, trust_code);
DELETE FROM trust_place_shares WHERE list_contains($trusts, trust_code);

-- name: archive_sitrep_months
INSERT INTO sitrep_discharges_archive
SELECT *, $import_id FROM sitrep_discharges WHERE list_contains($months, month);
DELETE FROM sitrep_discharges WHERE list_contains($months, month);

-- name: archive_counts_like_incoming
-- Counts already stored for the same place, service type, service, source
-- and month as the incoming rows (in the TEMP table incoming_counts).
INSERT INTO monthly_demand_archive
SELECT m.*, $import_id FROM monthly_demand m
WHERE EXISTS (SELECT 1 FROM incoming_counts i
              WHERE i.place_code = m.place_code AND i.service_type = m.service_type
                AND i.service_id IS NOT DISTINCT FROM m.service_id
                AND i.source = m.source AND i.month = m.month);
DELETE FROM monthly_demand m
WHERE EXISTS (SELECT 1 FROM incoming_counts i
              WHERE i.place_code = m.place_code AND i.service_type = m.service_type
                AND i.service_id IS NOT DISTINCT FROM m.service_id
                AND i.source = m.source AND i.month = m.month);

-- name: trust_place_shares
SELECT trust_code, place_code, share, source_note FROM trust_place_shares
ORDER BY trust_code, place_code;

-- name: sitrep_place_demand
-- Each trust's discharges, shared among places by the trust-to-place shares
-- and mapped from destination to service type (destination_map is registered
-- by the caller from the reference data).
SELECT s.month, ps.place_code, m.service_type,
       sum(s.discharges * ps.share) AS discharges,
       count(*) FILTER (WHERE s.discharges IS NULL) AS suppressed_cells
FROM sitrep_discharges s
JOIN trust_place_shares ps ON ps.trust_code = s.org_code
JOIN destination_map m
  ON m.key = trim(regexp_replace(lower(regexp_replace(s.destination, '[^A-Za-z0-9]+', ' ', 'g')),
                                 '\s+', ' ', 'g'))
WHERE s.level = 'trust' AND list_contains($places, ps.place_code)
GROUP BY ALL
ORDER BY ps.place_code, m.service_type, s.month;

-- name: sitrep_breaks
-- Trust months whose count is $factor times above or below the month before,
-- at a size that is not just small-number noise: likely reporting breaks.
WITH t AS (
    SELECT org_code, org_name, destination, month, discharges,
           lag(discharges) OVER (PARTITION BY org_code, destination ORDER BY month) AS previous
    FROM sitrep_discharges
    WHERE level = 'trust'
)
SELECT org_code, org_name, destination, month, previous, discharges,
       discharges / nullif(previous, 0) AS ratio
FROM t
WHERE previous IS NOT NULL AND discharges IS NOT NULL
  AND greatest(previous, discharges) >= 50
  AND (discharges >= $factor * greatest(previous, 1) OR previous >= $factor * greatest(discharges, 1))
ORDER BY month, org_code, destination;

-- name: sitrep_months
SELECT month, count(*) FILTER (WHERE level = 'trust') AS trust_cells,
       count(*) FILTER (WHERE discharges IS NULL) AS suppressed
FROM sitrep_discharges GROUP BY month ORDER BY month;

-- name: flow_weekday_referrals
-- Referrals to some services (one, or a pathway's pool) at some places by day
-- of the week (1 = Monday) over [$start, $end): the weekday pattern of arrivals
-- for the flow model. Records that name only the service type count for the
-- services of that type, once however many of them are in the pool.
SELECT CAST(isodow(referral_date) AS INTEGER) AS weekday, count(*) AS referrals
FROM referrals
WHERE list_contains($places, place_code)
  AND (list_contains($service_ids, service_id)
       OR (service_id IS NULL AND list_contains($service_types, service_type)))
  AND referral_date >= CAST($start AS DATE) AND referral_date < CAST($end AS DATE)
GROUP BY ALL
ORDER BY weekday;

-- name: flow_stay_spread
-- Completed episodes of some services (one, or a pathway's pool) at some
-- places that started in [$start, $end): how many, and the mean and standard
-- deviation of their length of stay in days (end date − start date).
SELECT count(*) AS completed,
       avg(end_date - start_date) AS mean_los_days,
       stddev_samp(end_date - start_date) AS sd_los_days
FROM referrals
WHERE list_contains($places, place_code)
  AND (list_contains($service_ids, service_id)
       OR (service_id IS NULL AND list_contains($service_types, service_type)))
  AND start_date IS NOT NULL AND end_date IS NOT NULL
  AND start_date >= CAST($start AS DATE) AND start_date < CAST($end AS DATE);

-- ---------------------------------------------------------------------------
-- Capacity methods (the registry in capacity/methods.py kept in the database)
-- ---------------------------------------------------------------------------

-- name: add_capacity_method
-- A method the registry declares, if the database does not know it yet.
INSERT INTO capacity_methods (method, label) VALUES ($method, $label)
ON CONFLICT DO NOTHING;

-- name: capacity_methods
SELECT method, label FROM capacity_methods ORDER BY method;
