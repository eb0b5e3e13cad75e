-- Demand history: referral records and published counts by month, and the
-- span of days the data cover.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: monthly_history
-- Referral records counted by month (kept counted in referral_record_months); published
-- counts fill only the keys and months that have no records, so the two sources never add
-- up twice.
-- Loaded referral aggregates (referral_months) are records counted elsewhere: the same.
WITH rec AS (
    SELECT place_code, service_type, service_id, source, month,
           CAST(referrals AS DOUBLE) AS referrals
    FROM referral_record_months
    WHERE list_contains($places, place_code)
    UNION ALL
    SELECT place_code, service_type, service_id, source, month,
           CAST(sum(referrals) AS DOUBLE) AS referrals
    FROM referral_months
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

-- name: monthly_counts
-- Every published monthly count, by place, service type, service, source and month
-- (the counts a plan reads when they are chosen as a place's demand source).
SELECT place_code, service_type, service_id, source, month,
       sum(referrals) AS referrals, 'counts' AS origin
FROM monthly_demand
WHERE list_contains($places, place_code)
GROUP BY ALL
ORDER BY place_code, service_type, service_id, source, month;

-- name: coverage
-- The first and last day each place has data for: referral dates, and whole
-- months of published counts.
WITH spans AS (
    SELECT place_code, min(first_day) AS first_day, max(last_day) AS last_day
    FROM referral_record_months
    WHERE list_contains($places, place_code)
    GROUP BY place_code
    UNION ALL
    SELECT place_code, min(first_day) AS first_day, max(last_day) AS last_day
    FROM referral_months
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

-- name: data_span
-- The first and last day of any demand data in the store.
SELECT min(first_day) AS first_day, max(last_day) AS last_day
FROM (
    SELECT min(first_day) AS first_day, max(last_day) AS last_day FROM referral_record_months
    UNION ALL
    SELECT min(first_day), max(last_day) FROM referral_months
    UNION ALL
    SELECT min(month), last_day(max(month)) FROM monthly_demand
);

-- name: first_data_day
-- The first day anything is known: a parameter in force, a referral or a monthly count.
SELECT min(day) AS first_day
FROM (
    SELECT min(valid_from) AS day FROM service_parameters
    UNION ALL
    SELECT min(first_day) FROM referral_record_months
    UNION ALL
    SELECT min(first_day) FROM referral_months
    UNION ALL
    SELECT min(month) FROM monthly_demand
);

-- name: monthly_los
-- Completed episodes (start and end dates known) by place, service type, source
-- and month of the end date: how many, and their days in the service (end date −
-- start date) summed, so a mean over several places or sources weighs each
-- episode once. long_stay_days is the 95th percentile of stays of the place's
-- service type: the records start on a day, so for about that long after it
-- only the shorter stays can have ended. Loaded aggregates give the same from their
-- episodes by month of end and their stay statistics.
WITH done AS (
    SELECT place_code, service_type, source,
           CAST(date_trunc('month', end_date) AS DATE) AS month,
           CAST(end_date - start_date AS DOUBLE) AS stay_days
    FROM referrals
    WHERE list_contains($places, place_code)
      AND start_date IS NOT NULL AND end_date IS NOT NULL
), spread AS (
    SELECT place_code, service_type, quantile_cont(stay_days, 0.95) AS long_stay_days
    FROM done
    GROUP BY ALL
), from_records AS (
    SELECT d.place_code, d.service_type, d.source, d.month,
           CAST(count(*) AS DOUBLE) AS episodes, sum(d.stay_days) AS stay_days,
           any_value(s.long_stay_days) AS long_stay_days
    FROM done d
    JOIN spread s USING (place_code, service_type)
    GROUP BY d.place_code, d.service_type, d.source, d.month
), from_aggregates AS (
    SELECT e.place_code, e.service_type, e.source, e.end_month AS month,
           CAST(sum(e.episodes) AS DOUBLE) AS episodes,
           CAST(sum(e.stay_days) AS DOUBLE) AS stay_days,
           any_value(s.long_stay_days) AS long_stay_days
    FROM episode_months e
    JOIN stay_statistics s USING (place_code, service_type)
    WHERE list_contains($places, e.place_code) AND e.end_month IS NOT NULL
    GROUP BY e.place_code, e.service_type, e.source, e.end_month
)
SELECT * FROM from_records
UNION ALL
SELECT * FROM from_aggregates
ORDER BY place_code, service_type, source, month;

-- name: demand_settings
-- The demand window, growth and source set per place and service type (NULL: every one).
SELECT place_code, service_type, window_years, growth_method, growth_rate, demand_source
FROM demand_settings
ORDER BY place_code NULLS FIRST, service_type NULLS FIRST;

-- name: delete_demand_settings
DELETE FROM demand_settings;

-- name: population_projection
-- The ONS 2018-based projections of people aged 65+ and 85+ for some places.
SELECT code, year, age_band, population, measure
FROM population
WHERE list_contains($places, code)
  AND measure = 'projection_2018based_principal'
  AND age_band IN ('65+', '85+')
ORDER BY code, age_band, year;

-- name: referral_import_places
-- The places whose referral records an import wrote or replaced (run after its load, or
-- before its undo): the places whose months need counting again.
SELECT DISTINCT place_code FROM referrals WHERE import_id = $import_id
UNION
SELECT DISTINCT place_code FROM referrals_archive WHERE replaced_by = $import_id
ORDER BY place_code;

-- name: record_months_recount
-- Count the months and the episodes of the places named again from their referral records.
DELETE FROM referral_record_months WHERE list_contains($places, place_code);
INSERT INTO referral_record_months
SELECT place_code, service_type, service_id, source,
       CAST(date_trunc('month', referral_date) AS DATE), count(*),
       min(referral_date), max(referral_date)
FROM referrals
WHERE list_contains($places, place_code)
GROUP BY ALL;
DELETE FROM referral_record_episodes WHERE list_contains($places, place_code);
INSERT INTO referral_record_episodes
SELECT place_code, service_id,
       CAST(date_trunc('month', start_date) AS DATE),
       CAST(date_trunc('month', end_date) AS DATE),
       count(*),
       sum(start_date - DATE '1970-01-01'),
       sum(end_date - DATE '1970-01-01'),
       sum(end_date - start_date)
FROM referrals
WHERE list_contains($places, place_code) AND service_id IS NOT NULL AND start_date IS NOT NULL
GROUP BY ALL;
