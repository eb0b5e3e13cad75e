-- Bulky data travelling between app servers that share one state (capacity/shared_state.py):
-- which imports' rows this file holds.

-- name: bulky_log
-- The imports of the kinds whose rows stay in each server's file, oldest first.
SELECT import_id, kind, file_name, checksum, undone_at
FROM import_log
WHERE list_contains($kinds, kind)
ORDER BY import_id;

-- name: bulky_holdings
SELECT import_id, kind, status, note FROM bulky_holdings ORDER BY import_id;

-- name: bulky_hold
INSERT OR REPLACE INTO bulky_holdings (import_id, kind, status, note, noted_at)
VALUES ($import_id, $kind, $status, $note, now());

-- name: bulky_missing
-- The imports whose rows this server could not get, with why, for the import log's readers.
SELECT h.import_id, l.kind, l.file_name, h.note
FROM bulky_holdings h JOIN import_log l USING (import_id)
WHERE h.status = 'missing' AND l.undone_at IS NULL
ORDER BY h.import_id;
