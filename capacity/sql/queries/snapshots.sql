-- Snapshots: frozen plans, their rows and the imports in force when they were taken.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: snapshot_insert
INSERT INTO snapshots (name, place_code, planning_year, scenario_id, scenario_version,
                       scenario_name, scenario_json, data_version, last_import_id,
                       last_loaded_at, made_by, made_at, origin, note)
VALUES ($name, $place_code, $planning_year, $scenario_id, $scenario_version, $scenario_name,
        $scenario_json, $data_version, $last_import_id, $last_loaded_at, $made_by, now(),
        $origin, $note)
RETURNING snapshot_id;

-- name: snapshot_imports_insert
INSERT INTO snapshot_imports (snapshot_id, import_id, kind, file_name, loaded_by, loaded_at,
                              rows_loaded)
SELECT $snapshot_id, import_id, kind, file_name, loaded_by, loaded_at, rows_loaded
FROM import_log
WHERE undone_at IS NULL;

-- name: snapshot_list
-- Snapshots in use, newest first; all places when $place_code is NULL.
SELECT s.snapshot_id, s.name, s.place_code, p.name AS place, s.planning_year,
       s.scenario_id, s.scenario_version, s.scenario_name, s.scenario_json, s.data_version,
       s.last_import_id, s.last_loaded_at, s.made_by, s.made_at, s.origin, s.note
FROM snapshots s
LEFT JOIN places p USING (place_code)
WHERE s.deleted_at IS NULL AND ($place_code IS NULL OR s.place_code = $place_code)
ORDER BY s.made_at DESC, s.snapshot_id DESC;

-- name: snapshot_by_id
SELECT s.snapshot_id, s.name, s.place_code, p.name AS place, s.planning_year,
       s.scenario_id, s.scenario_version, s.scenario_name, s.scenario_json, s.data_version,
       s.last_import_id, s.last_loaded_at, s.made_by, s.made_at, s.origin, s.note,
       s.deleted_at
FROM snapshots s
LEFT JOIN places p USING (place_code)
WHERE s.snapshot_id = $snapshot_id;

-- name: snapshot_by_name
-- Snapshots in use with this name (any case), of one place or of every place.
SELECT s.snapshot_id, s.name, s.place_code, p.name AS place, s.planning_year
FROM snapshots s
LEFT JOIN places p USING (place_code)
WHERE s.deleted_at IS NULL AND lower(s.name) = lower($name)
  AND ($place_code IS NULL OR s.place_code = $place_code)
ORDER BY s.snapshot_id;

-- name: snapshot_rows
SELECT * EXCLUDE (snapshot_id)
FROM snapshot_rows
WHERE snapshot_id = $snapshot_id
ORDER BY place_code, service_type, service_id, source, month;

-- name: snapshot_imports
SELECT import_id, kind, file_name, loaded_by, loaded_at, rows_loaded
FROM snapshot_imports
WHERE snapshot_id = $snapshot_id
ORDER BY import_id;

-- name: snapshot_rename
UPDATE snapshots SET name = $name WHERE snapshot_id = $snapshot_id AND deleted_at IS NULL;

-- name: snapshot_delete
UPDATE snapshots SET deleted_at = now() WHERE snapshot_id = $snapshot_id AND deleted_at IS NULL;

-- name: last_import_in_force
SELECT import_id, loaded_at
FROM import_log
WHERE undone_at IS NULL
ORDER BY import_id DESC
LIMIT 1;
