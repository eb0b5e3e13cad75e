-- What changed between two snapshots: when the parameters a snapshot used were loaded.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: parameters_loaded_at
-- For each parameter row asked about, in force or since replaced (the archive keeps the
-- rows an import replaced), the import that brought it and when that was loaded. Rows
-- built with the database, before any import, have no import and are left out.
SELECT DISTINCT p.param_id, p.import_id, l.loaded_at
FROM (
    SELECT param_id, import_id FROM service_parameters
    UNION ALL
    SELECT param_id, import_id FROM service_parameters_archive
) p
JOIN import_log l USING (import_id)
WHERE list_contains($param_ids, p.param_id)
ORDER BY p.param_id;
