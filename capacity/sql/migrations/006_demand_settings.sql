-- Demand assumptions become data a lead can set per service type (and place): the
-- window of history to average and how demand grows to the planning year. A NULL
-- place_code or service_type means "every". The product checks every row when it
-- is saved and when a plan reads it (capacity/demand_settings.py); the CHECKs here
-- are a second line. With no rows, every plan uses 3 years and no growth.
--
-- population holds data/reference/population.csv: ONS mid-2023 estimates and the
-- ONS 2018-based subnational population projections (principal), by upper-tier
-- authority, year and age band. The projections are read only as growth ratios.

CREATE TABLE demand_settings (
    place_code    VARCHAR,
    service_type  VARCHAR,
    window_years  INTEGER NOT NULL CHECK (window_years BETWEEN 1 AND 3),
    growth_method VARCHAR NOT NULL CHECK (growth_method IN ('flat', 'ons_65', 'ons_85', 'trend')),
    growth_rate   DOUBLE CHECK (growth_rate > -1 AND growth_rate <= 1),
    -- when saved: the data version moves with it, so the app reads the plan again
    saved_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE population (
    code       VARCHAR NOT NULL,
    name       VARCHAR NOT NULL,
    year       INTEGER NOT NULL,
    age_band   VARCHAR NOT NULL CHECK (age_band IN ('all_ages', '18+', '65+', '85+')),
    population DOUBLE NOT NULL CHECK (population >= 0),
    measure    VARCHAR NOT NULL,
    source     VARCHAR NOT NULL,
    PRIMARY KEY (code, year, age_band, measure)
);
