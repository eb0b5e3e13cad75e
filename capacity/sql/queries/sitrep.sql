-- NHS England discharge SitRep counts: shared among places, reporting breaks,
-- the months loaded.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: sitrep_place_demand
-- Each trust's discharges, shared among places by the trust-to-place shares in force
-- (a lead's own for a trust, else OHID's catchment shares)
-- and mapped from destination to service type (destination_map is registered
-- by the caller from the reference data).
SELECT s.month, ps.place_code, m.service_type,
       sum(s.discharges * ps.share) AS discharges,
       count(*) FILTER (WHERE s.discharges IS NULL) AS suppressed_cells
FROM sitrep_discharges s
JOIN trust_shares_in_force ps ON ps.trust_code = s.org_code
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
