-- The audit trail and the roles given in the app.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: audit_insert
INSERT INTO audit_log (changed_at, user_name, user_email, action, place_code, subject, detail)
VALUES (now(), $user_name, $user_email, $action, $place_code, $subject, $detail)
RETURNING audit_id;

-- name: audit_list
-- The trail, newest first: for one place (and changes not tied to one place) when
-- $place_code is set, for one person (name or e-mail, any case) when $person is set,
-- from $since and before $until (dates) when set.
SELECT audit_id, changed_at, user_name, user_email, action, place_code, subject, detail
FROM audit_log
WHERE ($place_code IS NULL OR place_code = $place_code OR place_code IS NULL)
  AND ($person IS NULL OR lower(user_name) = lower($person) OR lower(user_email) = lower($person))
  AND ($since IS NULL OR changed_at >= CAST($since AS DATE))
  AND ($until IS NULL OR changed_at < CAST($until AS DATE) + INTERVAL 1 DAY)
ORDER BY audit_id DESC;

-- name: audit_people
SELECT DISTINCT user_name, user_email FROM audit_log ORDER BY user_name, user_email;

-- name: role_grants
SELECT email, role, places, granted_by, granted_at FROM role_grants ORDER BY email;

-- name: role_grant_set
INSERT OR REPLACE INTO role_grants (email, role, places, granted_by, granted_at)
VALUES ($email, $role, $places, $granted_by, now());
