-- NHS England discharge SitRep counts: shared among places, reporting breaks,
-- the months loaded.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: sitrep_place_demand
-- Each trust's discharges, shared among places by the trust-to-place shares in force
-- (a lead's own for a trust, else OHID's catchment shares) and mapped from destination
-- to service type (destination_map, one row per place, destination key and service
-- type, is registered by the caller from the reference data and the place's own
-- overrides). Suppressed cells are left out of the sum and counted; a place and month
-- whose cells are all suppressed has no figure (NULL).
SELECT s.month, ps.place_code, m.service_type,
       sum(s.discharges * ps.share) AS discharges,
       count(*) FILTER (WHERE s.discharges IS NULL) AS suppressed_cells
FROM sitrep_discharges s
JOIN trust_shares_in_force ps ON ps.trust_code = s.org_code
JOIN destination_map m
  ON m.place_code = ps.place_code
 AND m.key = trim(regexp_replace(lower(regexp_replace(s.destination, '[^A-Za-z0-9]+', ' ', 'g')),
                                 '\s+', ' ', 'g'))
WHERE s.level = 'trust' AND list_contains($places, ps.place_code)
GROUP BY ALL
ORDER BY ps.place_code, m.service_type, s.month;

-- name: sitrep_breaks
-- Trust months whose count is $factor times above or below the calendar month
-- before, at a size that is not just small-number noise: likely reporting breaks.
-- A month is judged only against the month just before it: when that month is
-- not loaded (or its cell is suppressed) there is nothing to judge against, and
-- an older month is never used in its place.
WITH t AS (
    SELECT org_code, org_name, destination, month, discharges,
           lag(month) OVER w AS previous_month,
           lag(discharges) OVER w AS previous
    FROM sitrep_discharges
    WHERE level = 'trust'
    WINDOW w AS (PARTITION BY org_code, destination ORDER BY month)
)
SELECT org_code, org_name, destination, month, previous, discharges,
       discharges / nullif(previous, 0) AS ratio
FROM t
WHERE previous_month = CAST(month - INTERVAL 1 MONTH AS DATE)
  AND previous IS NOT NULL AND discharges IS NOT NULL
  AND greatest(previous, discharges) >= 50
  AND (discharges >= $factor * greatest(previous, 1) OR previous >= $factor * greatest(discharges, 1))
ORDER BY month, org_code, destination;

-- name: sitrep_p3_missing
-- Trust months that report no new care home admissions on pathway 3 (the "P3 - Care
-- Home (new admission, likely permanent)" cell at 0; the small designated-setting route
-- is left aside) beside at least $least people discharged back to the care home they
-- lived in (P3b): the new admissions are most likely counted as P3b, so demand for
-- short-term P3 beds read from this trust would be too low.
WITH t AS (
    SELECT org_code, org_name, month,
           trim(regexp_replace(lower(regexp_replace(destination, '[^A-Za-z0-9]+', ' ', 'g')),
                               '\s+', ' ', 'g')) AS key,
           discharges
    FROM sitrep_discharges
    WHERE level = 'trust'
), p AS (
    SELECT org_code, any_value(org_name) AS org_name, month,
           sum(discharges) FILTER (WHERE key LIKE 'p3 care home new admission%') AS p3_new,
           count(discharges) FILTER (WHERE key LIKE 'p3 care home new admission%') AS p3_cells,
           sum(discharges) FILTER (WHERE key LIKE 'p3b %') AS p3b
    FROM t
    GROUP BY org_code, month
)
SELECT org_code, org_name, month, p3_new, p3b
FROM p
WHERE p3_cells > 0 AND p3_new = 0 AND p3b >= $least
ORDER BY org_code, month;

-- name: sitrep_months
SELECT month, count(*) FILTER (WHERE level = 'trust') AS trust_cells,
       count(*) FILTER (WHERE discharges IS NULL) AS suppressed
FROM sitrep_discharges GROUP BY month ORDER BY month;

-- name: sitrep_destination_overrides
-- Each place's own reading of SitRep destinations (service_type NULL: not demand there).
SELECT place_code, destination, service_type, source_note
FROM sitrep_destination_overrides
ORDER BY place_code, destination;

