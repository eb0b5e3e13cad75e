-- The import log: every import, its checksum, and which one can be undone.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: log_import
INSERT INTO import_log (kind, file_name, checksum, rows_read, rows_loaded, rows_rejected,
                        loaded_by, loaded_at, note)
VALUES ($kind, $file_name, $checksum, $rows_read, $rows_loaded, $rows_rejected,
        $loaded_by, now(), $note)
RETURNING import_id;

-- name: import_log
SELECT import_id, kind, file_name, checksum, rows_read, rows_loaded, rows_rejected,
       loaded_by, loaded_at, note, undone_at
FROM import_log
ORDER BY import_id DESC;

-- name: import_by_checksum
SELECT import_id, kind, file_name, loaded_at
FROM import_log
WHERE checksum = $checksum AND kind = $kind AND undone_at IS NULL
ORDER BY import_id DESC
LIMIT 1;

-- name: latest_import_of_kind
SELECT import_id, kind, file_name, loaded_at, checksum
FROM import_log
WHERE kind = $kind AND undone_at IS NULL
ORDER BY import_id DESC
LIMIT 1;

-- name: import_finish
UPDATE import_log SET rows_loaded = $rows_loaded, note = $note WHERE import_id = $import_id;

-- name: last_undoable_import
SELECT import_id, kind, file_name, loaded_at, rows_loaded
FROM import_log
WHERE undone_at IS NULL
  AND kind IN ('referrals', 'parameters', 'counts', 'sitrep', 'shares', 'services',
               'destinations', 'aggregates')
ORDER BY import_id DESC
LIMIT 1;

-- name: import_mark_undone
UPDATE import_log SET undone_at = now() WHERE import_id = $import_id;
