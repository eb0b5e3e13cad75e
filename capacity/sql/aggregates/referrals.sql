-- The referral-level reduction: from referral records to what the plan, the flow
-- model and data quality read from them. ONE text, run as it stands by DuckDB and by
-- Spark SQL; the few functions the two spell differently (parse_day, rx, rx_full,
-- month_of, weekday_of, day_number, today) come from prelude_duckdb.sql and
-- prelude_spark.sql.
--
-- Inputs, made by capacity.aggregates before these run:
--   raw_referrals(row_key, referral_id, place_code, service_type, service_id, source,
--                 pathway, referral_date, start_date, end_date, referring_trust) as text;
--   ref_places(place_code, name, kind, system_code), ref_types(service_type, name,
--   hospital, community), ref_services(service_id, name, service_type),
--   ref_service_places(service_id, place_code): the reference the importer checks against.
--
-- Each statement starts with "-- name: <name>" and is one SELECT.

-- name: lookup
-- Each distinct place, service type and service as written, resolved once to its code
-- (by code, or by name in any case) as the importer resolves them
-- (capacity/sql/queries/staging.sql, referrals_clean); NULL when unknown.
SELECT 'place' AS what, r.raw, min(coalesce(p1.place_code, p2.place_code)) AS code
FROM (SELECT DISTINCT place_code AS raw FROM raw_referrals) r
LEFT JOIN ref_places p1 ON p1.place_code = trim(r.raw) AND p1.kind <> 'system'
LEFT JOIN ref_places p2 ON lower(p2.name) = lower(trim(r.raw)) AND p2.kind <> 'system'
GROUP BY r.raw
UNION ALL
SELECT 'type', r.raw, min(coalesce(t1.service_type, t2.service_type))
FROM (SELECT DISTINCT service_type AS raw FROM raw_referrals) r
LEFT JOIN ref_types t1 ON t1.service_type = lower(trim(r.raw))
LEFT JOIN ref_types t2 ON lower(t2.name) = lower(trim(r.raw))
GROUP BY r.raw
UNION ALL
SELECT 'service', r.raw, min(coalesce(v1.service_id, v2.service_id))
FROM (SELECT DISTINCT service_id AS raw FROM raw_referrals) r
LEFT JOIN ref_services v1 ON v1.service_id = trim(r.raw)
LEFT JOIN ref_services v2 ON lower(v2.name) = lower(trim(r.raw))
GROUP BY r.raw;

-- name: typed
-- Each record typed as the importer types it (staging.sql, referrals_clean): codes
-- from the lookup, sources' synonyms, dates written 2025-04-01 or 01/04/2025, and a
-- flag for each cell filled in.
SELECT n.row_key,
       nullif(trim(n.referral_id), '') AS referral_id,
       lp.code AS place_code, lt.code AS service_type, ls.code AS service_id,
       CASE lower(trim(n.source))
           WHEN 'hospital' THEN 'hospital' WHEN 'hospital discharge' THEN 'hospital'
           WHEN 'step-down' THEN 'hospital' WHEN 'step down' THEN 'hospital'
           WHEN 'community' THEN 'community' WHEN 'step-up' THEN 'community'
           WHEN 'step up' THEN 'community' END AS source,
       CASE WHEN upper(trim(n.pathway)) IN ('P0', 'P1', 'P2', 'P3')
            THEN upper(trim(n.pathway)) END AS pathway,
       parse_day(n.referral_date) AS referral_date,
       parse_day(n.start_date) AS start_date,
       parse_day(n.end_date) AS end_date,
       nullif(upper(trim(n.referring_trust)), '') AS referring_trust,
       coalesce(trim(n.place_code) <> '', false) AS has_place,
       coalesce(trim(n.service_type) <> '', false) AS has_type,
       coalesce(trim(n.service_id) <> '', false) AS has_service,
       coalesce(trim(n.source) <> '', false) AS has_source,
       coalesce(trim(n.pathway) <> '', false) AS has_pathway,
       coalesce(trim(n.referral_date) <> '', false) AS has_referral_date,
       coalesce(trim(n.start_date) <> '', false) AS has_start_date,
       coalesce(trim(n.end_date) <> '', false) AS has_end_date
FROM raw_referrals n
LEFT JOIN lookup lp ON lp.what = 'place' AND lp.raw IS NOT DISTINCT FROM n.place_code
LEFT JOIN lookup lt ON lt.what = 'type' AND lt.raw IS NOT DISTINCT FROM n.service_type
LEFT JOIN lookup ls ON ls.what = 'service' AND ls.raw IS NOT DISTINCT FROM n.service_id;

-- name: problems
-- Every reason a record cannot count, in the importer's words (staging.sql,
-- referrals_problems), one row per record, column and reason. An id seen more than
-- once in the input counts once: the copy that sorts first on its fields is kept
-- (a fixed choice, so every engine keeps the same one), the others are refused.
WITH c AS (SELECT * FROM typed),
ranked AS (
    SELECT row_key, referral_id,
           row_number() OVER (
               PARTITION BY referral_id
               ORDER BY place_code NULLS LAST, service_type NULLS LAST, service_id NULLS LAST,
                        source NULLS LAST, pathway NULLS LAST, referral_date NULLS LAST,
                        start_date NULLS LAST, end_date NULLS LAST,
                        referring_trust NULLS LAST, row_key) AS copy
    FROM c WHERE referral_id IS NOT NULL
)
SELECT row_key, 'referral_id' AS column_name, 'is required' AS reason
FROM c WHERE referral_id IS NULL
UNION ALL
SELECT row_key, 'referral_id', 'looks like a spreadsheet formula'
FROM c WHERE rx(referral_id, '(?s)^[\t\r]|^\s*[=+@]|^\s*-\s*\S|\w\|.*!')
  AND NOT rx_full(referral_id, '\s*-(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*')
UNION ALL
SELECT row_key, 'referral_id', 'holds a control character (such as a NUL byte), which is not text'
FROM c WHERE rx(referral_id, '[\x00-\x08\x0b\x0c\x0e-\x1f]')
UNION ALL
SELECT row_key, 'referral_id', 'appears more than once in the input'
FROM ranked WHERE copy > 1
UNION ALL
SELECT row_key, 'place_code',
       CASE WHEN has_place THEN 'is not a known place' ELSE 'is required' END
FROM c WHERE place_code IS NULL
UNION ALL
SELECT row_key, 'service_type',
       CASE WHEN has_type THEN 'is not a known service type' ELSE 'is required' END
FROM c WHERE service_type IS NULL
UNION ALL
SELECT row_key, 'service_id', 'is not a known service'
FROM c WHERE has_service AND service_id IS NULL
UNION ALL
SELECT c.row_key, 'service_id', 'is a ' || s.service_type || ' service, not ' || c.service_type
FROM c JOIN ref_services s ON s.service_id = c.service_id
WHERE c.service_type IS NOT NULL AND s.service_type <> c.service_type
UNION ALL
SELECT c.row_key, 'service_id', 'does not serve ' || c.place_code
FROM c LEFT JOIN ref_service_places sp
    ON sp.service_id = c.service_id AND sp.place_code = c.place_code
WHERE c.service_id IS NOT NULL AND c.place_code IS NOT NULL AND sp.service_id IS NULL
UNION ALL
SELECT row_key, 'source',
       CASE WHEN has_source THEN 'must be hospital or community' ELSE 'is required' END
FROM c WHERE source IS NULL
UNION ALL
SELECT c.row_key, 'source', c.service_type || ' does not take ' || c.source || ' referrals'
FROM c JOIN ref_types t ON t.service_type = c.service_type
WHERE (c.source = 'hospital' AND NOT t.hospital) OR (c.source = 'community' AND NOT t.community)
UNION ALL
SELECT row_key, 'pathway', 'must be P0, P1, P2 or P3'
FROM c WHERE has_pathway AND pathway IS NULL
UNION ALL
SELECT row_key, 'referral_date',
       CASE WHEN has_referral_date THEN 'is not a date (use 2025-04-01 or 01/04/2025)'
            ELSE 'is required' END
FROM c WHERE referral_date IS NULL
UNION ALL
SELECT row_key, 'referral_date', 'is in the future'
FROM c WHERE referral_date > job_day()
UNION ALL
SELECT row_key, 'referral_date', 'is before 2000'
FROM c WHERE referral_date < DATE '2000-01-01'
UNION ALL
SELECT row_key, 'start_date', 'is not a date (use 2025-04-01 or 01/04/2025)'
FROM c WHERE has_start_date AND start_date IS NULL
UNION ALL
SELECT row_key, 'end_date', 'is not a date (use 2025-04-01 or 01/04/2025)'
FROM c WHERE has_end_date AND end_date IS NULL
UNION ALL
SELECT row_key, 'end_date', 'is before the start date'
FROM c WHERE end_date < start_date
UNION ALL
SELECT row_key, 'referring_trust', 'looks like a spreadsheet formula'
FROM c WHERE rx(referring_trust, '(?s)^[\t\r]|^\s*[=+@]|^\s*-\s*\S|\w\|.*!')
  AND NOT rx_full(referring_trust, '\s*-(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*')
UNION ALL
SELECT row_key, 'referring_trust',
       'holds a control character (such as a NUL byte), which is not text'
FROM c WHERE rx(referring_trust, '[\x00-\x08\x0b\x0c\x0e-\x1f]');

-- name: good
-- The records that count, each with its place's system (the folder's partition).
SELECT c.referral_id, c.place_code, c.service_type, c.service_id, c.source,
       c.referral_date, c.start_date, c.end_date, p.system_code
FROM typed c
JOIN ref_places p ON p.place_code = c.place_code
LEFT JOIN (SELECT DISTINCT row_key FROM problems) f ON f.row_key = c.row_key
WHERE f.row_key IS NULL;

-- name: referrals
-- Referrals by place, service type, service, source and month of referral, with the
-- first and last referral day (a place's data coverage is read from them).
SELECT system_code, place_code, service_type, service_id, source,
       month_of(referral_date) AS month,
       count(*) AS referrals,
       min(referral_date) AS first_day, max(referral_date) AS last_day
FROM good
GROUP BY system_code, place_code, service_type, service_id, source, month_of(referral_date);

-- name: episodes
-- Episodes with a start date, by place, service type, service, source, month of start
-- and month of end (NULL: still open). Sums of whole days, so any window of whole
-- months gets its arrivals, completions, mean and spread of stays, and the days
-- occupied exactly: stay_days = end − start; start_day_sum and end_day_sum are
-- days since 1970-01-01 summed (occupancy inside a window clips stays at its edges).
SELECT system_code, place_code, service_type, service_id, source,
       month_of(start_date) AS start_month, month_of(end_date) AS end_month,
       count(*) AS episodes,
       CAST(sum(day_number(start_date)) AS BIGINT) AS start_day_sum,
       CAST(sum(day_number(end_date)) AS BIGINT) AS end_day_sum,
       CAST(sum(day_number(end_date) - day_number(start_date)) AS BIGINT) AS stay_days,
       CAST(sum((day_number(end_date) - day_number(start_date))
                * (day_number(end_date) - day_number(start_date))) AS BIGINT)
           AS stay_days_squared
FROM good
WHERE start_date IS NOT NULL
GROUP BY system_code, place_code, service_type, service_id, source,
         month_of(start_date), month_of(end_date);

-- name: stays
-- Completed episodes' lengths of stay by place and service type, over all months:
-- count, mean, coefficient of variation (sample standard deviation ÷ mean, from
-- whole-day sums so every engine gets the same figure) and percentiles. The plan's
-- Little's-law check reads long_stay_days (the 95th percentile) from here.
WITH done AS (
    SELECT system_code, place_code, service_type,
           CAST(day_number(end_date) - day_number(start_date) AS DOUBLE) AS stay
    FROM good
    WHERE start_date IS NOT NULL AND end_date IS NOT NULL
), sums AS (
    SELECT system_code, place_code, service_type,
           count(*) AS completed, sum(stay) AS total, sum(stay * stay) AS squares,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY stay) AS median_los_days,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY stay) AS p90_los_days,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY stay) AS long_stay_days
    FROM done
    GROUP BY system_code, place_code, service_type
)
SELECT system_code, place_code, service_type, completed,
       total / completed AS mean_los_days,
       CASE WHEN completed > 1 AND total > 0
            THEN sqrt(greatest(0.0, (completed * squares - total * total)
                                    / (CAST(completed AS DOUBLE) * (completed - 1))))
                 / (total / completed) END AS cv_los,
       median_los_days, p90_los_days, long_stay_days
FROM sums;

-- name: weekdays
-- Referrals by day of the week (1 = Monday … 7 = Sunday) within each month: the
-- weekday profile of arrivals the flow model reads over any window of whole months.
SELECT system_code, place_code, service_type, service_id, source,
       month_of(referral_date) AS month, weekday_of(referral_date) AS weekday,
       count(*) AS referrals
FROM good
GROUP BY system_code, place_code, service_type, service_id, source,
         month_of(referral_date), weekday_of(referral_date);

-- name: refused
-- The refused records: how many for each column and reason, with an example of each
-- (the smallest id and the smallest value as written).
SELECT f.column_name, f.reason, count(*) AS records,
       min(n.referral_id) AS example_referral_id,
       min(CASE f.column_name
               WHEN 'referral_id' THEN n.referral_id WHEN 'place_code' THEN n.place_code
               WHEN 'service_type' THEN n.service_type WHEN 'service_id' THEN n.service_id
               WHEN 'source' THEN n.source WHEN 'pathway' THEN n.pathway
               WHEN 'referral_date' THEN n.referral_date WHEN 'start_date' THEN n.start_date
               WHEN 'end_date' THEN n.end_date WHEN 'referring_trust' THEN n.referring_trust
           END) AS example_value
FROM problems f
JOIN raw_referrals n ON n.row_key = f.row_key
GROUP BY f.column_name, f.reason;

-- name: counts
-- Records read, refused (one or more problems) and counted.
SELECT (SELECT count(*) FROM raw_referrals) AS records_read,
       (SELECT count(DISTINCT row_key) FROM problems) AS records_refused;
