-- Sign-in, roles and the audit trail.
--
-- audit_log: every change anyone makes (import, undo, parameter, service or share edit,
-- demand settings, scenario save or delete, snapshot, decision, workforce setting, role
-- change), with the person as signed in (name and e-mail, never the server's account),
-- when, what kind of change, the place it was for (NULL: not one place) and what changed
-- in words. Rows are only ever added.
--
-- role_grants: the roles an admin gives in the app; they replace the roles file's entry
-- for the same e-mail. places is a comma-separated list of place or system codes ('*':
-- every place). Taking someone's rights away is a grant of the viewer role.
--
-- import_log gains the e-mail of who loaded each file, so an editor may undo their own
-- loads and only an admin another person's.

CREATE SEQUENCE audit_log_seq START 1;

CREATE TABLE audit_log (
    audit_id    BIGINT PRIMARY KEY DEFAULT nextval('audit_log_seq'),
    changed_at  TIMESTAMP NOT NULL,
    user_name   VARCHAR NOT NULL,
    user_email  VARCHAR NOT NULL DEFAULT '',
    action      VARCHAR NOT NULL,
    place_code  VARCHAR,
    subject     VARCHAR NOT NULL DEFAULT '',
    detail      VARCHAR NOT NULL DEFAULT ''
);

CREATE TABLE role_grants (
    email       VARCHAR PRIMARY KEY,
    role        VARCHAR NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    places      VARCHAR NOT NULL DEFAULT '',
    granted_by  VARCHAR NOT NULL,
    granted_at  TIMESTAMP NOT NULL
);

ALTER TABLE import_log ADD COLUMN loaded_by_email VARCHAR NOT NULL DEFAULT '';
