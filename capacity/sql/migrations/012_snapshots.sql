-- Snapshots: a plan frozen under a name ("BCF submission 2025-26", "DIWG 12 November") so
-- that a meeting can see again, after later imports, exactly what it saw. A snapshot is of
-- one place or system, one planning year and one scenario version; it keeps every row of
-- the plan frame it showed, unrounded, with the inputs behind each figure (the parameters,
-- demand source, data window and source notes travel in the rows), and the imports that
-- were in force when it was taken. Deleting hides a snapshot; its rows stay.

CREATE SEQUENCE snapshots_seq START 1;

CREATE TABLE snapshots (
    snapshot_id      BIGINT PRIMARY KEY DEFAULT nextval('snapshots_seq'),
    name             VARCHAR NOT NULL,
    place_code       VARCHAR NOT NULL,
    planning_year    INTEGER NOT NULL,
    -- The scenario as it was: NULL id and version for the baseline or a preset; the JSON
    -- of its changes keeps it readable after the scenario is deleted.
    scenario_id      BIGINT,
    scenario_version INTEGER,
    scenario_name    VARCHAR NOT NULL,
    scenario_json    VARCHAR,
    -- The data version: the store's data stamp and the newest import in force.
    data_version     VARCHAR NOT NULL,
    last_import_id   BIGINT,
    last_loaded_at   TIMESTAMP,
    made_by          VARCHAR NOT NULL,
    made_at          TIMESTAMP NOT NULL,
    origin           VARCHAR NOT NULL CHECK (origin IN ('app', 'command', 'export')),
    note             VARCHAR NOT NULL DEFAULT '',
    deleted_at       TIMESTAMP
);

-- The plan frame's rows of the place (and of each member, for a system), as computed.
CREATE TABLE snapshot_rows (
    snapshot_id                 BIGINT NOT NULL,
    place_code                  VARCHAR NOT NULL,
    place                       VARCHAR,
    service_id                  VARCHAR,
    service                     VARCHAR,
    service_type                VARCHAR NOT NULL,
    service_type_name           VARCHAR,
    pathway                     VARCHAR,
    setting                     VARCHAR,
    source                      VARCHAR NOT NULL,
    month                       VARCHAR NOT NULL,
    days_in_month               BIGINT,
    demand                      DOUBLE,
    capacity                    DOUBLE,
    gap                         DOUBLE,
    utilisation                 DOUBLE,
    spot_capacity               DOUBLE,
    demand_low                  DOUBLE,
    demand_high                 DOUBLE,
    interval_level              DOUBLE,
    demand_years                BIGINT,
    demand_spread               DOUBLE,
    method                      VARCHAR,
    flags                       VARCHAR,
    caseload                    DOUBLE,
    mean_los_days               DOUBLE,
    hours_per_month             DOUBLE,
    hours_per_package_per_month DOUBLE,
    throughput                  DOUBLE,
    throughput_unit             VARCHAR,
    target_occupancy            DOUBLE,
    contract_share              DOUBLE,
    place_share                 DOUBLE,
    hospital_share              DOUBLE,
    hospital_share_basis        VARCHAR,
    place_share_basis           VARCHAR,
    calculation                 VARCHAR,
    demand_note                 VARCHAR,
    demand_source               VARCHAR,
    param_ids                   VARCHAR,
    source_note                 VARCHAR,
    data_window                 VARCHAR,
    scenario                    VARCHAR
);

-- The imports in force (not undone) when the snapshot was taken: "what was loaded since".
CREATE TABLE snapshot_imports (
    snapshot_id BIGINT NOT NULL,
    import_id   BIGINT NOT NULL,
    kind        VARCHAR NOT NULL,
    file_name   VARCHAR,
    loaded_by   VARCHAR,
    loaded_at   TIMESTAMP,
    rows_loaded BIGINT,
    PRIMARY KEY (snapshot_id, import_id)
);
