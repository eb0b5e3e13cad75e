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
       loaded_by, loaded_at, note
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

-- name: flow_weekday_referrals
-- Referrals to one service at some places by day of the week (1 = Monday) over
-- [$start, $end): the weekday pattern of arrivals for the flow model. Records
-- that name only the service type count for the services of that type.
SELECT CAST(isodow(referral_date) AS INTEGER) AS weekday, count(*) AS referrals
FROM referrals
WHERE list_contains($places, place_code)
  AND (service_id = $service_id OR (service_id IS NULL AND service_type = $service_type))
  AND referral_date >= CAST($start AS DATE) AND referral_date < CAST($end AS DATE)
GROUP BY ALL
ORDER BY weekday;

-- name: flow_stay_spread
-- Completed episodes of one service at some places that started in
-- [$start, $end): how many, and the mean and standard deviation of their
-- length of stay in days (end date − start date).
SELECT count(*) AS completed,
       avg(end_date - start_date) AS mean_los_days,
       stddev_samp(end_date - start_date) AS sd_los_days
FROM referrals
WHERE list_contains($places, place_code)
  AND (service_id = $service_id OR (service_id IS NULL AND service_type = $service_type))
  AND start_date IS NOT NULL AND end_date IS NOT NULL
  AND start_date >= CAST($start AS DATE) AND start_date < CAST($end AS DATE);
