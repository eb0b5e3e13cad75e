-- Saved scenarios. Every save writes a new version with all its changes, so
-- what a scenario said when a decision was taken can always be shown again.
-- Deleting a scenario hides it; its versions stay.

CREATE SEQUENCE scenarios_seq START 1;

CREATE TABLE scenarios (
    scenario_id     BIGINT PRIMARY KEY DEFAULT nextval('scenarios_seq'),
    name            VARCHAR NOT NULL,
    description     VARCHAR NOT NULL,
    author          VARCHAR NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    current_version INTEGER NOT NULL,
    deleted_at      TIMESTAMP
);

CREATE TABLE scenario_versions (
    scenario_id BIGINT NOT NULL,
    version     INTEGER NOT NULL,
    name        VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    author      VARCHAR NOT NULL,
    saved_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (scenario_id, version)
);

CREATE TABLE scenario_changes (
    scenario_id     BIGINT NOT NULL,
    version         INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    lever           VARCHAR NOT NULL,
    value           DOUBLE NOT NULL,
    first_month     VARCHAR NOT NULL,
    last_month      VARCHAR NOT NULL,
    places          VARCHAR NOT NULL,
    service_types   VARCHAR NOT NULL,
    services        VARCHAR NOT NULL,
    to_service_type VARCHAR,
    source          VARCHAR CHECK (source IN ('hospital', 'community')),
    PRIMARY KEY (scenario_id, version, position)
);
