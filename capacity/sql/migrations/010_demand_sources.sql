-- Where each place's demand comes from, and how a place reads the SitRep.
--
-- demand_settings.demand_source chooses, per place and service type (NULL place or type:
-- every one, as for the window and growth), which data the plan's demand is projected
-- from: 'records' (local referral records), 'counts' (published monthly counts) or
-- 'sitrep' (NHS England's discharge SitRep, each trust's discharges × the place's share).
-- NULL means the product chooses (capacity/demand_sources.py says how).
--
-- sitrep_destination_overrides lets a place read a SitRep destination as another service
-- type than data/reference/sitrep_destinations.csv says, or as none (service_type NULL):
-- whether "P3 - new admission, likely permanent" feeds the place's short-term P3 beds or
-- goes straight to long-term care, say. Loaded as an import (kind 'destinations'): a file
-- replaces the overrides of the places it names; the replaced rows wait in the archive so
-- that Undo restores them.

-- DuckDB cannot add a column with a CHECK, so the table is made again with it.
CREATE TABLE demand_settings_sourced (
    place_code    VARCHAR,
    service_type  VARCHAR,
    window_years  INTEGER NOT NULL CHECK (window_years BETWEEN 1 AND 3),
    growth_method VARCHAR NOT NULL CHECK (growth_method IN ('flat', 'ons_65', 'ons_85', 'trend')),
    growth_rate   DOUBLE CHECK (growth_rate > -1 AND growth_rate <= 1),
    demand_source VARCHAR CHECK (demand_source IN ('records', 'counts', 'sitrep')),
    saved_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
);
INSERT INTO demand_settings_sourced
SELECT place_code, service_type, window_years, growth_method, growth_rate, NULL, saved_at
FROM demand_settings;
DROP TABLE demand_settings;
ALTER TABLE demand_settings_sourced RENAME TO demand_settings;

CREATE TABLE sitrep_destination_overrides (
    place_code   VARCHAR NOT NULL,
    destination  VARCHAR NOT NULL,
    service_type VARCHAR,
    source_note  VARCHAR NOT NULL,
    import_id    BIGINT,
    PRIMARY KEY (place_code, destination)
);

CREATE TABLE sitrep_destination_overrides_archive AS
SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM sitrep_destination_overrides WHERE false;
