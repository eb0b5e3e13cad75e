-- The first schema: reference data, local services, effective-dated parameters,
-- demand (referral records and published monthly counts) and the import log.
-- Foreign keys are checked by the loaders, not declared: DuckDB's foreign keys
-- block later updates of referenced rows and slow bulk loads of referrals.

CREATE TABLE places (
    place_code        VARCHAR PRIMARY KEY,
    name              VARCHAR NOT NULL UNIQUE,
    kind              VARCHAR NOT NULL CHECK (kind IN ('hwb', 'sub_area', 'system')),
    parent_system     VARCHAR,
    population_65plus INTEGER CHECK (population_65plus >= 0),
    source_note       VARCHAR NOT NULL
);

CREATE TABLE service_types (
    service_type VARCHAR PRIMARY KEY,
    name         VARCHAR NOT NULL,
    pathway      VARCHAR CHECK (pathway IN ('P0', 'P1', 'P2', 'P3')),
    setting      VARCHAR NOT NULL CHECK (setting IN ('bedded', 'home')),
    hospital     BOOLEAN NOT NULL,
    community    BOOLEAN NOT NULL,
    sort_order   INTEGER NOT NULL
);

CREATE TABLE service_type_labels (
    service_type  VARCHAR NOT NULL,
    source        VARCHAR NOT NULL CHECK (source IN ('hospital', 'community')),
    planning_year VARCHAR NOT NULL,
    label         VARCHAR NOT NULL,
    PRIMARY KEY (service_type, source, planning_year)
);

CREATE TABLE trusts (
    trust_code VARCHAR PRIMARY KEY,
    name       VARCHAR NOT NULL
);

CREATE TABLE services (
    service_id   VARCHAR PRIMARY KEY,
    name         VARCHAR NOT NULL UNIQUE,
    provider     VARCHAR,
    service_type VARCHAR NOT NULL,
    contract     VARCHAR NOT NULL CHECK (contract IN ('block', 'spot')),
    source_note  VARCHAR NOT NULL
);

CREATE TABLE service_places (
    service_id  VARCHAR NOT NULL,
    place_code  VARCHAR NOT NULL,
    place_share DOUBLE CHECK (place_share >= 0 AND place_share <= 1),
    source_note VARCHAR,
    PRIMARY KEY (service_id, place_code)
);

CREATE SEQUENCE service_parameters_seq START 1;

CREATE TABLE service_parameters (
    param_id                    BIGINT PRIMARY KEY DEFAULT nextval('service_parameters_seq'),
    service_id                  VARCHAR NOT NULL,
    place_code                  VARCHAR,
    method                      VARCHAR NOT NULL
        CHECK (method IN ('caseload', 'hours', 'throughput', 'equal_to_demand')),
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
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);

CREATE SEQUENCE import_log_seq START 1;

CREATE TABLE import_log (
    import_id     BIGINT PRIMARY KEY DEFAULT nextval('import_log_seq'),
    kind          VARCHAR NOT NULL,
    file_name     VARCHAR NOT NULL,
    checksum      VARCHAR NOT NULL,
    rows_read     BIGINT NOT NULL,
    rows_loaded   BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    loaded_by     VARCHAR NOT NULL,
    loaded_at     TIMESTAMP NOT NULL,
    note          VARCHAR
);

CREATE TABLE referrals (
    referral_id     VARCHAR PRIMARY KEY,
    place_code      VARCHAR NOT NULL,
    service_type    VARCHAR NOT NULL,
    service_id      VARCHAR,
    source          VARCHAR NOT NULL CHECK (source IN ('hospital', 'community')),
    pathway         VARCHAR CHECK (pathway IN ('P0', 'P1', 'P2', 'P3')),
    referral_date   DATE NOT NULL,
    start_date      DATE,
    end_date        DATE,
    referring_trust VARCHAR,
    import_id       BIGINT,
    CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);

CREATE TABLE monthly_demand (
    place_code   VARCHAR NOT NULL,
    service_type VARCHAR NOT NULL,
    service_id   VARCHAR,
    source       VARCHAR NOT NULL CHECK (source IN ('hospital', 'community')),
    month        DATE NOT NULL CHECK (day(month) = 1),
    referrals    DOUBLE NOT NULL CHECK (referrals >= 0),
    source_note  VARCHAR NOT NULL,
    import_id    BIGINT
);
