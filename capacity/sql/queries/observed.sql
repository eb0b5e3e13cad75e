-- Observed flow for the plan: one aggregate over every place's own window.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: observed_episodes_by_window
-- Per place and named service, over that place's window [start, end) (the lists
-- $places, $starts and $ends line up): arrivals, episodes that ended, their mean
-- length of stay, and mean occupancy (open episodes per day, counting each
-- episode on the days [start, end)). Records that name only the service type
-- are left out: the plan compares services, and they name none.
-- Loaded aggregates give the same for their places (windows are whole months): their
-- episodes by month of start and end, with whole-day sums, clipped at the window's edges.
WITH w AS (
    SELECT unnest($places) AS place_code,
           CAST(unnest($starts) AS DATE) AS w_start,
           CAST(unnest($ends) AS DATE) AS w_end
), from_records AS (
    SELECT r.place_code, r.service_id, w.w_start AS window_start, w.w_end AS window_end,
           count(*) FILTER (WHERE r.start_date >= w.w_start AND r.start_date < w.w_end)
               AS arrivals,
           count(*) FILTER (WHERE r.end_date >= w.w_start AND r.end_date < w.w_end)
               AS completed,
           avg(r.end_date - r.start_date)
               FILTER (WHERE r.end_date >= w.w_start AND r.end_date < w.w_end)
               AS observed_los_days,
           CAST(sum(greatest(0, least(coalesce(r.end_date, w.w_end), w.w_end)
                                - greatest(r.start_date, w.w_start))) AS DOUBLE)
               / any_value(w.w_end - w.w_start) AS observed_occupancy
    FROM referrals AS r JOIN w ON r.place_code = w.place_code
    WHERE r.service_id IS NOT NULL
      AND r.start_date IS NOT NULL
      AND r.start_date < w.w_end
      -- >=: a stay ending on the window's first day completed in it (occupying none of its days)
      AND coalesce(r.end_date, w.w_end) >= w.w_start
    GROUP BY r.place_code, r.service_id, w.w_start, w.w_end
), from_aggregates AS (
    SELECT e.place_code, e.service_id, w.w_start AS window_start, w.w_end AS window_end,
           CAST(coalesce(sum(e.episodes) FILTER (WHERE e.start_month >= w.w_start), 0)
                AS BIGINT) AS arrivals,
           CAST(coalesce(sum(e.episodes) FILTER (WHERE e.end_month >= w.w_start
                                                   AND e.end_month < w.w_end), 0)
                AS BIGINT) AS completed,
           CAST(sum(e.stay_days) FILTER (WHERE e.end_month >= w.w_start
                                           AND e.end_month < w.w_end) AS DOUBLE)
               / CAST(sum(e.episodes) FILTER (WHERE e.end_month >= w.w_start
                                                AND e.end_month < w.w_end) AS DOUBLE)
               AS observed_los_days,
           CAST(sum(CASE WHEN e.end_month IS NULL OR e.end_month >= w.w_end
                         THEN e.episodes * (w.w_end - DATE '1970-01-01')
                         ELSE e.end_day_sum END
                    - CASE WHEN e.start_month < w.w_start
                           THEN e.episodes * (w.w_start - DATE '1970-01-01')
                           ELSE e.start_day_sum END) AS DOUBLE)
               / any_value(w.w_end - w.w_start) AS observed_occupancy
    FROM episode_months AS e JOIN w ON e.place_code = w.place_code
    WHERE e.service_id IS NOT NULL
      AND e.start_month < w.w_end
      AND (e.end_month IS NULL OR e.end_month >= w.w_start)
    GROUP BY e.place_code, e.service_id, w.w_start, w.w_end
)
SELECT * FROM from_records
UNION ALL
SELECT * FROM from_aggregates
ORDER BY place_code, service_id;
