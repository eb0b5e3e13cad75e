-- Observed flow from referral records with start and end dates: arrivals, stays
-- and occupancy, the weekday pattern of arrivals, the spread of stays.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: observed_episodes
-- Observed flow for records with start dates, over [$start, $end): arrivals,
-- mean length of stay of episodes that ended, and mean occupancy (open
-- episodes per day, counting each episode on the days [start, end)).
-- Loaded aggregates give the same for a window of whole months: their episodes
-- by month of start and end, with whole-day sums, clipped at the window's edges.
WITH w AS (SELECT CAST($start AS DATE) AS w_start, CAST($end AS DATE) AS w_end),
from_records AS (
    SELECT place_code, service_id, service_type,
           count(*) FILTER (WHERE start_date >= w_start AND start_date < w_end) AS arrivals,
           count(*) FILTER (WHERE end_date >= w_start AND end_date < w_end) AS completed,
           avg(end_date - start_date) FILTER (WHERE end_date >= w_start AND end_date < w_end)
               AS observed_los_days,
           CAST(sum(greatest(0, least(coalesce(end_date, w_end), w_end)
                                - greatest(start_date, w_start))) AS DOUBLE)
               / any_value(w_end - w_start) AS observed_occupancy,
           count(*) FILTER (WHERE end_date IS NULL) AS open_episodes
    FROM referrals, w
    WHERE list_contains($places, place_code)
      AND start_date IS NOT NULL
      AND start_date < w_end
      AND coalesce(end_date, w_end) >= w_start  -- a stay ending on the first day completed in it
    GROUP BY place_code, service_id, service_type
),
from_aggregates AS (
    SELECT e.place_code, e.service_id, e.service_type,
           CAST(coalesce(sum(e.episodes) FILTER (WHERE e.start_month >= w_start), 0)
                AS BIGINT) AS arrivals,
           CAST(coalesce(sum(e.episodes) FILTER (WHERE e.end_month >= w_start
                                                   AND e.end_month < w_end), 0)
                AS BIGINT) AS completed,
           CAST(sum(e.stay_days) FILTER (WHERE e.end_month >= w_start AND e.end_month < w_end)
                AS DOUBLE)
               / CAST(sum(e.episodes) FILTER (WHERE e.end_month >= w_start
                                                AND e.end_month < w_end) AS DOUBLE)
               AS observed_los_days,
           CAST(sum(CASE WHEN e.end_month IS NULL OR e.end_month >= w_end
                         THEN e.episodes * (w_end - DATE '1970-01-01') ELSE e.end_day_sum END
                    - CASE WHEN e.start_month < w_start
                           THEN e.episodes * (w_start - DATE '1970-01-01')
                           ELSE e.start_day_sum END) AS DOUBLE)
               / any_value(w_end - w_start) AS observed_occupancy,
           CAST(coalesce(sum(e.episodes) FILTER (WHERE e.end_month IS NULL), 0) AS BIGINT)
               AS open_episodes
    FROM episode_months e, w
    WHERE list_contains($places, e.place_code)
      AND e.start_month < w_end
      AND (e.end_month IS NULL OR e.end_month >= CAST(date_trunc('month', w_start) AS DATE))
    GROUP BY e.place_code, e.service_id, e.service_type
)
SELECT * FROM from_records
UNION ALL
SELECT * FROM from_aggregates
ORDER BY place_code, service_id, service_type;

-- name: flow_weekday_referrals
-- Referrals to some services (one, or a pathway's pool) at some places by day
-- of the week (1 = Monday) over [$start, $end): the weekday pattern of arrivals
-- for the flow model. Records that name only the service type count for the
-- services of that type, once however many of them are in the pool. Loaded
-- aggregates give the same from their weekday profile (windows of whole months).
WITH chosen AS (
    SELECT CAST(isodow(referral_date) AS INTEGER) AS weekday, count(*) AS referrals
    FROM referrals
    WHERE list_contains($places, place_code)
      AND (list_contains($service_ids, service_id)
           OR (service_id IS NULL AND list_contains($service_types, service_type)))
      AND referral_date >= CAST($start AS DATE) AND referral_date < CAST($end AS DATE)
    GROUP BY ALL
    UNION ALL
    SELECT weekday, sum(referrals) AS referrals
    FROM referral_weekdays
    WHERE list_contains($places, place_code)
      AND (list_contains($service_ids, service_id)
           OR (service_id IS NULL AND list_contains($service_types, service_type)))
      AND month >= CAST($start AS DATE) AND month < CAST($end AS DATE)
    GROUP BY ALL
)
SELECT weekday, CAST(sum(referrals) AS BIGINT) AS referrals
FROM chosen
GROUP BY weekday
ORDER BY weekday;

-- name: flow_stay_spread
-- Completed episodes of some services (one, or a pathway's pool) at some
-- places that started in [$start, $end): how many, and the mean and standard
-- deviation of their length of stay in days (end date − start date). Worked from
-- whole-day sums (exact integers), so that loaded aggregates' episodes (windows of
-- whole months) give the very same figures as the records they came from.
WITH sums AS (
    SELECT count(*) AS n, sum(end_date - start_date) AS total,
           sum((end_date - start_date) * (end_date - start_date)) AS squares
    FROM referrals
    WHERE list_contains($places, place_code)
      AND (list_contains($service_ids, service_id)
           OR (service_id IS NULL AND list_contains($service_types, service_type)))
      AND start_date IS NOT NULL AND end_date IS NOT NULL
      AND start_date >= CAST($start AS DATE) AND start_date < CAST($end AS DATE)
    UNION ALL
    SELECT sum(episodes), sum(stay_days), sum(stay_days_squared)
    FROM episode_months
    WHERE list_contains($places, place_code)
      AND (list_contains($service_ids, service_id)
           OR (service_id IS NULL AND list_contains($service_types, service_type)))
      AND end_month IS NOT NULL
      AND start_month >= CAST($start AS DATE) AND start_month < CAST($end AS DATE)
), whole AS (
    SELECT CAST(coalesce(sum(n), 0) AS HUGEINT) AS n, CAST(sum(total) AS HUGEINT) AS total,
           CAST(sum(squares) AS HUGEINT) AS squares
    FROM sums
)
SELECT CAST(n AS BIGINT) AS completed,
       CASE WHEN n > 0 THEN CAST(total AS DOUBLE) / CAST(n AS DOUBLE) END AS mean_los_days,
       CASE WHEN n > 1
            THEN sqrt(CAST(n * squares - total * total AS DOUBLE)
                      / CAST(n * (n - 1) AS DOUBLE)) END AS sd_los_days
FROM whole;
