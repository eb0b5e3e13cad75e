-- Imports that can be undone: every row a load adds carries its import_id, and
-- rows a load replaces are kept in an archive table with the import that
-- replaced them, so undoing the import puts them back.

ALTER TABLE import_log ADD COLUMN undone_at TIMESTAMP;
ALTER TABLE service_parameters ADD COLUMN import_id BIGINT;

CREATE TABLE service_parameters_archive AS
SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM service_parameters WHERE false;

CREATE TABLE trust_place_shares (
    trust_code  VARCHAR NOT NULL,
    place_code  VARCHAR NOT NULL,
    share       DOUBLE NOT NULL CHECK (share >= 0 AND share <= 1),
    source_note VARCHAR NOT NULL,
    import_id   BIGINT,
    PRIMARY KEY (trust_code, place_code)
);

CREATE TABLE trust_place_shares_archive AS
SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM trust_place_shares WHERE false;

CREATE TABLE sitrep_discharges (
    month       DATE NOT NULL CHECK (day(month) = 1),
    level       VARCHAR NOT NULL CHECK (level IN ('england', 'region', 'icb', 'trust')),
    org_code    VARCHAR NOT NULL,
    org_name    VARCHAR NOT NULL,
    region      VARCHAR,
    destination VARCHAR NOT NULL,
    discharges  DOUBLE CHECK (discharges >= 0),
    import_id   BIGINT,
    PRIMARY KEY (month, level, org_code, destination)
);

CREATE TABLE sitrep_discharges_archive AS
SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM sitrep_discharges WHERE false;

CREATE TABLE monthly_demand_archive AS
SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM monthly_demand WHERE false;
