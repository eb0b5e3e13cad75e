-- Decisions and actions: what a meeting decided, recorded against what it was looking at.
-- Each decision is against one snapshot (snapshot_id) or one saved scenario version
-- (scenario_id, scenario_version), never both, and always for one place or system
-- (place_code: the snapshot's place, one of its members, or the place a scenario
-- decision is about). An owner or a due date makes it an action to follow up.
-- The text is stored as typed and never evaluated. Status changes are appended to
-- decision_status_changes (the first row is the decision being opened), so the history
-- of each decision reads; decisions.status is the newest of them.

CREATE SEQUENCE decisions_seq START 1;

CREATE TABLE decisions (
    decision_id      BIGINT PRIMARY KEY DEFAULT nextval('decisions_seq'),
    place_code       VARCHAR NOT NULL,
    snapshot_id      BIGINT,
    scenario_id      BIGINT,
    scenario_version INTEGER,
    text             VARCHAR NOT NULL,
    owner            VARCHAR NOT NULL DEFAULT '',
    due_date         DATE,
    status           VARCHAR NOT NULL CHECK (status IN ('open', 'done', 'dropped')),
    made_by          VARCHAR NOT NULL,
    made_at          TIMESTAMP NOT NULL,
    CHECK ((snapshot_id IS NOT NULL AND scenario_id IS NULL AND scenario_version IS NULL)
        OR (snapshot_id IS NULL AND scenario_id IS NOT NULL AND scenario_version IS NOT NULL))
);

CREATE TABLE decision_status_changes (
    decision_id BIGINT NOT NULL,
    change_no   INTEGER NOT NULL,
    status      VARCHAR NOT NULL CHECK (status IN ('open', 'done', 'dropped')),
    changed_by  VARCHAR NOT NULL,
    changed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (decision_id, change_no)
);
