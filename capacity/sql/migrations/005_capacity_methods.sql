-- The capacity methods become data: a table of them, kept in step with the registry
-- in capacity/methods.py (the store adds any method the registry declares when it
-- opens the database), and service_parameters.method checked against it by a
-- foreign key instead of a CHECK that spelt the list out. The four rows below are
-- the methods there were when this migration was written, so the rows already
-- stored pass the new check. DuckDB cannot drop a CHECK, so service_parameters is
-- rebuilt with its rows, param_ids and sequence as they were.

CREATE TABLE capacity_methods (
    method VARCHAR PRIMARY KEY,
    label  VARCHAR NOT NULL
);
INSERT INTO capacity_methods VALUES
    ('caseload', 'Caseload × days ÷ length of stay'),
    ('hours', 'Hours ÷ hours per package, then caseload × days ÷ length of stay'),
    ('throughput', 'Stated throughput'),
    ('equal_to_demand', 'Capacity assumed equal to demand');

CREATE TABLE service_parameters_checked (
    param_id                    BIGINT PRIMARY KEY DEFAULT nextval('service_parameters_seq'),
    service_id                  VARCHAR NOT NULL,
    place_code                  VARCHAR,
    method                      VARCHAR NOT NULL REFERENCES capacity_methods (method),
    caseload                    DOUBLE CHECK (caseload >= 0),
    mean_los_days               DOUBLE CHECK (mean_los_days > 0),
    hours_per_month             DOUBLE CHECK (hours_per_month >= 0),
    hours_per_package_per_month DOUBLE CHECK (hours_per_package_per_month > 0),
    throughput                  DOUBLE CHECK (throughput >= 0),
    throughput_unit             VARCHAR CHECK (throughput_unit IN ('month', 'week', 'weekday')),
    hospital_share              DOUBLE CHECK (hospital_share >= 0 AND hospital_share <= 1),
    contract_share              DOUBLE NOT NULL DEFAULT 1
        CHECK (contract_share >= 0 AND contract_share <= 1),
    target_occupancy            DOUBLE CHECK (target_occupancy > 0 AND target_occupancy <= 1),
    spot_ceiling_per_month      DOUBLE CHECK (spot_ceiling_per_month >= 0),
    valid_from                  DATE NOT NULL,
    valid_to                    DATE,
    source_note                 VARCHAR NOT NULL,
    import_id                   BIGINT,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
INSERT INTO service_parameters_checked SELECT * FROM service_parameters;
DROP TABLE service_parameters;
ALTER TABLE service_parameters_checked RENAME TO service_parameters;
