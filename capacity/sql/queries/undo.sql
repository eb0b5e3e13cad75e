-- Undoing an import, and keeping the rows an import replaces so that undo can
-- restore them.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: undo_referrals
DELETE FROM referrals WHERE import_id = $import_id;
INSERT INTO referrals SELECT * EXCLUDE (replaced_by) FROM referrals_archive
WHERE replaced_by = $import_id;
DELETE FROM referrals_archive WHERE replaced_by = $import_id;

-- name: undo_monthly_demand
DELETE FROM monthly_demand WHERE import_id = $import_id;
INSERT INTO monthly_demand SELECT * EXCLUDE (replaced_by) FROM monthly_demand_archive
WHERE replaced_by = $import_id;
DELETE FROM monthly_demand_archive WHERE replaced_by = $import_id;

-- name: undo_service_parameters
DELETE FROM service_parameters WHERE import_id = $import_id;
INSERT INTO service_parameters SELECT * EXCLUDE (replaced_by) FROM service_parameters_archive
WHERE replaced_by = $import_id;
DELETE FROM service_parameters_archive WHERE replaced_by = $import_id;

-- name: undo_trust_place_shares
DELETE FROM trust_place_shares WHERE import_id = $import_id;
INSERT INTO trust_place_shares SELECT * EXCLUDE (replaced_by) FROM trust_place_shares_archive
WHERE replaced_by = $import_id;
DELETE FROM trust_place_shares_archive WHERE replaced_by = $import_id;

-- name: undo_sitrep_discharges
DELETE FROM sitrep_discharges WHERE import_id = $import_id;
INSERT INTO sitrep_discharges SELECT * EXCLUDE (replaced_by) FROM sitrep_discharges_archive
WHERE replaced_by = $import_id;
DELETE FROM sitrep_discharges_archive WHERE replaced_by = $import_id;

-- name: undo_services
DELETE FROM services WHERE import_id = $import_id;
DELETE FROM service_places WHERE import_id = $import_id;
INSERT INTO services SELECT * EXCLUDE (replaced_by) FROM services_archive
WHERE replaced_by = $import_id;
INSERT INTO service_places SELECT * EXCLUDE (replaced_by) FROM service_places_archive
WHERE replaced_by = $import_id;
DELETE FROM services_archive WHERE replaced_by = $import_id;
DELETE FROM service_places_archive WHERE replaced_by = $import_id;

-- name: archive_services
-- The services a file re-states, and every place each serves: the file's rows replace them.
INSERT INTO services_archive
SELECT *, $import_id FROM services WHERE list_contains($services, service_id);
DELETE FROM services WHERE list_contains($services, service_id);
INSERT INTO service_places_archive
SELECT *, $import_id FROM service_places WHERE list_contains($services, service_id);
DELETE FROM service_places WHERE list_contains($services, service_id);

-- name: archive_parameters_of_services
INSERT INTO service_parameters_archive
SELECT *, $import_id FROM service_parameters WHERE list_contains($services, service_id);
DELETE FROM service_parameters WHERE list_contains($services, service_id);

-- name: archive_trust_shares
INSERT INTO trust_place_shares_archive
SELECT *, $import_id FROM trust_place_shares WHERE list_contains($trusts, trust_code);
DELETE FROM trust_place_shares WHERE list_contains($trusts, trust_code);

-- name: archive_sitrep_months
INSERT INTO sitrep_discharges_archive
SELECT *, $import_id FROM sitrep_discharges WHERE list_contains($months, month);
DELETE FROM sitrep_discharges WHERE list_contains($months, month);

-- name: archive_counts_like_incoming
-- Counts already stored for the same place, service type, service, source
-- and month as the incoming rows (in the TEMP table incoming_counts).
INSERT INTO monthly_demand_archive
SELECT m.*, $import_id FROM monthly_demand m
WHERE EXISTS (SELECT 1 FROM incoming_counts i
              WHERE i.place_code = m.place_code AND i.service_type = m.service_type
                AND i.service_id IS NOT DISTINCT FROM m.service_id
                AND i.source = m.source AND i.month = m.month);
DELETE FROM monthly_demand m
WHERE EXISTS (SELECT 1 FROM incoming_counts i
              WHERE i.place_code = m.place_code AND i.service_type = m.service_type
                AND i.service_id IS NOT DISTINCT FROM m.service_id
                AND i.source = m.source AND i.month = m.month);

-- name: undo_sitrep_destination_overrides
DELETE FROM sitrep_destination_overrides WHERE import_id = $import_id;
INSERT INTO sitrep_destination_overrides
SELECT * EXCLUDE (replaced_by) FROM sitrep_destination_overrides_archive
WHERE replaced_by = $import_id;
DELETE FROM sitrep_destination_overrides_archive WHERE replaced_by = $import_id;

-- name: archive_destination_overrides
-- The overrides of the places an incoming file names, kept for undo.
INSERT INTO sitrep_destination_overrides_archive
SELECT *, $import_id FROM sitrep_destination_overrides WHERE list_contains($places, place_code);
DELETE FROM sitrep_destination_overrides WHERE list_contains($places, place_code);
