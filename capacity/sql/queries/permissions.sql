-- What a change touches, for checking who may make it, and who made an import.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: staged_referral_places
-- The places a referrals file being loaded writes to: the places of its good rows, and
-- the places that corrected records are moving away from.
SELECT DISTINCT place_code FROM staging_incoming WHERE place_code IS NOT NULL
UNION
SELECT DISTINCT r.place_code
FROM referrals r
JOIN staging_incoming s ON s.referral_id = r.referral_id
WHERE s.change = 'updated';

-- name: places_of_services
-- The places the given services serve today.
SELECT DISTINCT place_code FROM service_places
WHERE list_contains(CAST($services AS VARCHAR[]), service_id);

-- name: places_of_trust_shares
-- The places that the given trusts' stored shares name.
SELECT DISTINCT place_code FROM trust_place_shares
WHERE list_contains(CAST($trusts AS VARCHAR[]), trust_code);

-- name: import_set_loader
UPDATE import_log SET loaded_by_email = $loaded_by_email, place_codes = $place_codes
WHERE import_id = $import_id;

-- name: import_loader
SELECT import_id, kind, file_name, loaded_by, loaded_by_email, place_codes
FROM import_log WHERE import_id = $import_id;
