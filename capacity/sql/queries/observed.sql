-- Observed flow for the plan: one aggregate over every place's own window.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: observed_episodes_by_window
-- Per place and named service, over that place's window [start, end) of whole months (the
-- lists $places, $starts and $ends line up): arrivals, episodes that ended, their mean
-- length of stay, and mean occupancy (open episodes per day, counting each episode on the
-- days [start, end)). Records that name only the service type are left out: the plan
-- compares services, and they name none. Read from episodes counted by month of start and
-- end with whole-day sums: the records' own (referral_record_episodes, kept by every load)
-- and loaded aggregates' (episode_months), never from the records themselves. With whole-
-- month windows, a month of start or end says on which side of each edge a stay falls,
-- and the day sums clip each stay at the edges exactly.
WITH w AS (
    SELECT unnest($places) AS place_code,
           CAST(unnest($starts) AS DATE) AS w_start,
           CAST(unnest($ends) AS DATE) AS w_end
), episodes AS (
    SELECT place_code, service_id, start_month, end_month, episodes, start_day_sum,
           end_day_sum, stay_days
    FROM referral_record_episodes
    UNION ALL
    SELECT place_code, service_id, start_month, end_month, episodes, start_day_sum,
           end_day_sum, stay_days
    FROM episode_months
    WHERE service_id IS NOT NULL
)
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
FROM episodes AS e JOIN w ON e.place_code = w.place_code
WHERE e.start_month < w.w_end
  AND (e.end_month IS NULL OR e.end_month >= w.w_start)
GROUP BY e.place_code, e.service_id, w.w_start, w.w_end
ORDER BY place_code, service_id;
