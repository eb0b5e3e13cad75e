-- Service parameters (caseload, length of stay, hours ...), effective-dated.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

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
