-- Observed flow from referral records with start and end dates: arrivals, stays
-- and occupancy, the weekday pattern of arrivals, the spread of stays.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

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
  AND coalesce(end_date, w_end) >= w_start  -- a stay ending on the first day completed in it
GROUP BY place_code, service_id, service_type
ORDER BY place_code, service_id, service_type;

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
