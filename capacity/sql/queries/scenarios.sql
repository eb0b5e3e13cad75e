-- Saved scenarios, their versions and their changes.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: scenario_list
SELECT s.scenario_id, s.name, s.description, s.author, s.created_at, s.updated_at,
       s.current_version AS version,
       (SELECT count(*) FROM scenario_changes c
        WHERE c.scenario_id = s.scenario_id AND c.version = s.current_version) AS changes
FROM scenarios s
WHERE s.deleted_at IS NULL
ORDER BY lower(s.name);

-- name: scenario_by_name
SELECT scenario_id, name, description, author, created_at, updated_at, current_version
FROM scenarios
WHERE deleted_at IS NULL AND lower(name) = lower($name);

-- name: scenario_version
SELECT v.scenario_id, v.version, v.name, v.description, v.author, v.saved_at
FROM scenario_versions v
WHERE v.scenario_id = $scenario_id AND v.version = $version;

-- name: scenario_versions
SELECT v.version, v.name, v.description, v.author, v.saved_at,
       (SELECT count(*) FROM scenario_changes c
        WHERE c.scenario_id = v.scenario_id AND c.version = v.version) AS changes
FROM scenario_versions v
WHERE v.scenario_id = $scenario_id
ORDER BY v.version DESC;

-- name: scenario_changes
SELECT position, lever, value, first_month, last_month, places, service_types, services,
       to_service_type, source
FROM scenario_changes
WHERE scenario_id = $scenario_id AND version = $version
ORDER BY position;

-- name: scenario_insert
INSERT INTO scenarios (name, description, author, created_at, updated_at, current_version)
VALUES ($name, $description, $author, now(), now(), 1)
RETURNING scenario_id;

-- name: scenario_update
UPDATE scenarios
SET name = $name, description = $description, author = $author, updated_at = now(),
    current_version = current_version + 1
WHERE scenario_id = $scenario_id AND deleted_at IS NULL
RETURNING current_version;

-- name: scenario_version_insert
INSERT INTO scenario_versions (scenario_id, version, name, description, author, saved_at)
VALUES ($scenario_id, $version, $name, $description, $author, now());

-- name: scenario_delete
UPDATE scenarios SET deleted_at = now()
WHERE scenario_id = $scenario_id AND deleted_at IS NULL;
