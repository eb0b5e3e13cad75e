-- Who last changed the rows an editor shows (capacity.edit_stamps): the imports that wrote
-- or replaced them, and the latest of those loads or of the undos of that kind.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: edit_imports_of_parameters
SELECT import_id FROM service_parameters WHERE service_id = $service_id
UNION SELECT replaced_by FROM service_parameters_archive WHERE service_id = $service_id;

-- name: edit_imports_of_service
SELECT import_id FROM services WHERE service_id = $service_id
UNION SELECT import_id FROM service_places WHERE service_id = $service_id
UNION SELECT replaced_by FROM services_archive WHERE service_id = $service_id
UNION SELECT replaced_by FROM service_places_archive WHERE service_id = $service_id;

-- name: edit_imports_of_shares
SELECT import_id FROM trust_place_shares
UNION SELECT replaced_by FROM trust_place_shares_archive;

-- name: edit_imports_of_destinations
SELECT import_id FROM sitrep_destination_overrides WHERE place_code = $place_code
UNION SELECT replaced_by FROM sitrep_destination_overrides_archive WHERE place_code = $place_code;

-- name: edit_latest_import_event
-- The newest load among $import_ids, or undo of an import of $kind (an undo leaves no trace
-- in the rows), with who did it: the loader, or the person the audit trail names for the undo.
SELECT 'saved' AS event, l.import_id, l.file_name, l.loaded_by AS who, l.loaded_at AS happened_at
FROM import_log l
WHERE list_contains($import_ids, l.import_id)
UNION ALL
SELECT 'undid', l.import_id, l.file_name, coalesce(a.user_name, 'someone'), l.undone_at
FROM import_log l
LEFT JOIN audit_log a
  ON a.action = 'undo' AND starts_with(a.subject, 'import ' || l.import_id || ':')
WHERE l.kind = $kind AND l.undone_at IS NOT NULL
ORDER BY happened_at DESC, import_id DESC
LIMIT 1;

-- name: edit_latest_audit
-- The newest audit entry of one kind of change ($kind: the trail's action).
SELECT user_name, changed_at, subject, detail FROM audit_log
WHERE action = $kind
ORDER BY changed_at DESC, audit_id DESC
LIMIT 1;
