-- The reference data: places, service types and their labels, trusts, services,
-- which places each service serves, and the trust-to-place shares.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: places
SELECT place_code, name, kind, parent_system, population_65plus, source_note,
       coalesce(system_type, CASE WHEN kind = 'system' THEN 'local' END) AS system_type,
       ods_code, region_name, hwb_group_code, icb_code,
       place_code IN (SELECT place_code FROM service_places) AS has_services,
       place_code IN (SELECT place_code FROM workspace_places) AS in_workspace,
       place_code IN (SELECT place_code FROM workspace_places WHERE chosen) AS workspace_chosen
FROM places
ORDER BY CASE kind WHEN 'system' THEN 1 ELSE 0 END, name;

-- name: population_estimates
-- Each authority's ONS mid-year population estimate in some age bands: what the rates
-- per 100,000 are of (never a projection: those are read only as growth ratios).
SELECT code AS place_code, age_band, population
FROM population
WHERE measure = 'estimate' AND year = $year AND list_contains($age_bands, age_band)
ORDER BY code, age_band;

-- name: places_all_columns
SELECT * FROM places ORDER BY place_code;

-- name: clear_england_reference
-- Before a release of England's reference data is loaded again (in one transaction).
DELETE FROM places;
DELETE FROM icb_splits;
DELETE FROM trusts;
DELETE FROM trust_catchment;
DELETE FROM population;

-- name: record_reference_load
INSERT OR REPLACE INTO reference_loads VALUES ($name, $checksum, $loaded_at);

-- name: reference_loads
SELECT name, checksum, loaded_at FROM reference_loads ORDER BY name;

-- name: icb_splits
SELECT place_code, icb_code, pop_share, pop65_share, source_note FROM icb_splits
ORDER BY place_code, pop_share DESC;

-- name: service_types
SELECT service_type, name, pathway, setting, hospital, community, sort_order
FROM service_types
ORDER BY sort_order;

-- name: service_type_labels
SELECT service_type, source, planning_year, label
FROM service_type_labels
ORDER BY planning_year, source, service_type;

-- name: trusts
SELECT trust_code, name, status, nhs_region, successor_codes FROM trusts ORDER BY trust_code;

-- name: services
SELECT s.service_id, s.name, s.provider, s.service_type, s.contract, s.source_note,
       s.retired_from,
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

-- name: service_links
-- Every service–place link, for checking a services file against what is stored.
SELECT service_id, place_code, place_share, source_note FROM service_places
ORDER BY service_id, place_code;

-- name: place_parameter_links
-- The services and places that have parameters stated for that place.
SELECT DISTINCT service_id, place_code FROM service_parameters
WHERE place_code IS NOT NULL
ORDER BY service_id, place_code;

-- name: trust_place_shares
SELECT trust_code, place_code, share, source_note FROM trust_place_shares
ORDER BY trust_code, place_code;

-- name: trust_shares_in_force
-- A trust's local shares where a lead loaded any, else OHID's catchment shares.
SELECT trust_code, place_code, share, source_note, basis FROM trust_shares_in_force
WHERE $places IS NULL OR list_contains($places, place_code)
ORDER BY trust_code, place_code;

-- name: add_capacity_method
-- A method the registry (capacity/methods.py) declares, if the database does not know it yet.
INSERT INTO capacity_methods (method, label) VALUES ($method, $label)
ON CONFLICT DO NOTHING;

-- name: capacity_methods
SELECT method, label FROM capacity_methods ORDER BY method;

-- name: workspace_places
-- The places a workspace was set up for, what the lead named first (then by code).
SELECT w.place_code, p.name, p.kind, w.chosen, w.chosen_at
FROM workspace_places w JOIN places p USING (place_code)
ORDER BY w.chosen DESC, w.place_code;

-- name: clear_workspace_places
DELETE FROM workspace_places;

-- name: add_workspace_place
INSERT INTO workspace_places (place_code, chosen) VALUES ($place_code, $chosen);

-- name: service_count
SELECT count(*) AS services FROM services;
