-- Decisions and actions, and the history of their status.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: decision_insert
-- A new decision, open, with its first history row (its opening) in the same statement set.
INSERT INTO decisions (place_code, snapshot_id, scenario_id, scenario_version, text, owner,
                       due_date, status, made_by, made_at)
VALUES ($place_code, $snapshot_id, $scenario_id, $scenario_version, $text, $owner, $due_date,
        'open', $made_by, now())
RETURNING decision_id;

-- name: decision_opened
INSERT INTO decision_status_changes (decision_id, change_no, status, changed_by, changed_at)
SELECT decision_id, 1, status, made_by, made_at
FROM decisions
WHERE decision_id = $decision_id;

-- name: decision_status_change
-- A status change: appended to the history, then made the decision's status.
INSERT INTO decision_status_changes (decision_id, change_no, status, changed_by, changed_at)
SELECT $decision_id, coalesce(max(change_no), 0) + 1, $status, $changed_by, now()
FROM decision_status_changes
WHERE decision_id = $decision_id;
UPDATE decisions SET status = $status WHERE decision_id = $decision_id;

-- name: decision_list
-- Decisions for some places (every place when $place_codes is NULL), newest first, with
-- what each was recorded against (a snapshot, deleted or not; or a scenario version,
-- its scenario deleted or not) and the newest change of its status. $open_only keeps
-- the open ones; $snapshot_id those recorded against one snapshot.
SELECT d.decision_id, d.place_code, p.name AS place, d.text, d.owner, d.due_date, d.status,
       d.made_by, d.made_at, d.snapshot_id, s.name AS snapshot_name,
       s.place_code AS snapshot_place_code, s.deleted_at IS NOT NULL AS snapshot_deleted,
       d.scenario_id, d.scenario_version, v.name AS scenario_name,
       c.changed_by AS status_by, c.changed_at AS status_at
FROM decisions d
LEFT JOIN places p ON p.place_code = d.place_code
LEFT JOIN snapshots s ON s.snapshot_id = d.snapshot_id
LEFT JOIN scenario_versions v
       ON v.scenario_id = d.scenario_id AND v.version = d.scenario_version
LEFT JOIN decision_status_changes c
       ON c.decision_id = d.decision_id
      AND c.change_no = (SELECT max(change_no) FROM decision_status_changes x
                         WHERE x.decision_id = d.decision_id)
WHERE ($place_codes IS NULL OR list_contains($place_codes, d.place_code))
  AND (NOT $open_only OR d.status = 'open')
  AND ($snapshot_id IS NULL OR d.snapshot_id = $snapshot_id)
  AND ($decision_id IS NULL OR d.decision_id = $decision_id)
ORDER BY d.made_at DESC, d.decision_id DESC;

-- name: decision_history
SELECT change_no, status, changed_by, changed_at
FROM decision_status_changes
WHERE decision_id = $decision_id
ORDER BY change_no;
