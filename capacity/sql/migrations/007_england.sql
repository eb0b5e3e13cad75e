-- England as reference data: every upper-tier authority as a place (with its region,
-- its Health and Wellbeing Board group and its integrated care board), the 42 ICBs as
-- systems, acute trusts with their successor codes, and OHID's trust catchment shares
-- as the default trust-to-place shares. The rows themselves are loaded from
-- data/reference/ by capacity/england.py (so a later release of a file reaches an
-- existing database too); this migration makes room for them.
--
-- A system is either an ICB (its members are the places whose icb_code it is) or a
-- local partnership a lead defines, such as BHR (its members name it as parent_system),
-- so one place can sit in both. A system with no system_type is a local one.

CREATE TABLE places_england (
    place_code        VARCHAR PRIMARY KEY,
    name              VARCHAR NOT NULL UNIQUE,
    kind              VARCHAR NOT NULL CHECK (kind IN ('hwb', 'sub_area', 'system')),
    parent_system     VARCHAR,
    population_65plus INTEGER CHECK (population_65plus >= 0),
    source_note       VARCHAR NOT NULL,
    system_type       VARCHAR CHECK (system_type IN ('icb', 'local')),
    ods_code          VARCHAR,
    la_type           VARCHAR,
    region_code       VARCHAR,
    region_name       VARCHAR,
    hwb_group_code    VARCHAR,
    icb_code          VARCHAR,
    icb_pop_share     DOUBLE CHECK (icb_pop_share > 0 AND icb_pop_share <= 1)
);
INSERT INTO places_england
SELECT place_code, name, kind, parent_system, population_65plus, source_note,
       CASE WHEN kind = 'system' THEN 'local' END,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM places;
DROP TABLE places;
ALTER TABLE places_england RENAME TO places;

-- Authorities whose people live in more than one ICB: each ICB's share of the
-- authority's Census 2021 population and of its people aged 65+.
CREATE TABLE icb_splits (
    place_code  VARCHAR NOT NULL,
    icb_code    VARCHAR NOT NULL,
    pop_share   DOUBLE NOT NULL CHECK (pop_share >= 0 AND pop_share <= 1),
    pop65_share DOUBLE NOT NULL CHECK (pop65_share >= 0 AND pop65_share <= 1),
    source_note VARCHAR NOT NULL,
    PRIMARY KEY (place_code, icb_code)
);

ALTER TABLE trusts ADD COLUMN status VARCHAR;
ALTER TABLE trusts ADD COLUMN nhs_region VARCHAR;
ALTER TABLE trusts ADD COLUMN successor_codes VARCHAR;

-- The share of each acute trust's catchment population living in each authority.
CREATE TABLE trust_catchment (
    trust_code  VARCHAR NOT NULL,
    place_code  VARCHAR NOT NULL,
    share       DOUBLE NOT NULL CHECK (share >= 0 AND share <= 1),
    source_note VARCHAR NOT NULL,
    PRIMARY KEY (trust_code, place_code)
);

-- The shares a plan uses: a trust's local shares where a lead has loaded any for it,
-- else OHID's catchment shares. Local shares replace a trust's catchment shares
-- whole, so the two never mix into a total above one.
CREATE VIEW trust_shares_in_force AS
SELECT trust_code, place_code, share, source_note, 'local' AS basis FROM trust_place_shares
UNION ALL
SELECT trust_code, place_code, share, source_note, 'catchment' AS basis FROM trust_catchment
WHERE trust_code NOT IN (SELECT trust_code FROM trust_place_shares);

-- Which release of each reference file a database holds (a checksum), so a newer
-- release is loaded when the product opens an older database.
CREATE TABLE reference_loads (
    name      VARCHAR PRIMARY KEY,
    checksum  VARCHAR NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);
