-- Referral aggregates: what a national job (python3 -m capacity aggregate, on DuckDB or
-- Spark) reduces referral records to, loaded for places whose records are not stored
-- here. The plan, the flow model and data quality read them beside the records (see
-- demand.sql, flow.sql, observed.sql); a place's referral data are either records or
-- aggregates, never both. Each load replaces the aggregates of the places it names; the
-- rows it replaces wait in the *_archive tables for undo. Days are whole days since
-- 1970-01-01 summed, so any window of whole months gets exact figures.

CREATE TABLE referral_months (
    place_code    VARCHAR NOT NULL,
    service_type  VARCHAR NOT NULL,
    service_id    VARCHAR,
    source        VARCHAR NOT NULL CHECK (source IN ('hospital', 'community')),
    month         DATE NOT NULL CHECK (day(month) = 1),
    referrals     BIGINT NOT NULL CHECK (referrals >= 0),
    first_day     DATE NOT NULL,
    last_day      DATE NOT NULL,
    import_id     BIGINT
);

CREATE TABLE episode_months (
    place_code         VARCHAR NOT NULL,
    service_type       VARCHAR NOT NULL,
    service_id         VARCHAR,
    source             VARCHAR NOT NULL CHECK (source IN ('hospital', 'community')),
    start_month        DATE NOT NULL CHECK (day(start_month) = 1),
    end_month          DATE CHECK (day(end_month) = 1),
    episodes           BIGINT NOT NULL CHECK (episodes >= 0),
    start_day_sum      BIGINT NOT NULL,
    end_day_sum        BIGINT,
    stay_days          BIGINT CHECK (stay_days >= 0),
    stay_days_squared  BIGINT CHECK (stay_days_squared >= 0),
    import_id          BIGINT
);

CREATE TABLE stay_statistics (
    place_code       VARCHAR NOT NULL,
    service_type     VARCHAR NOT NULL,
    completed        BIGINT NOT NULL CHECK (completed >= 0),
    mean_los_days    DOUBLE,
    cv_los           DOUBLE,
    median_los_days  DOUBLE,
    p90_los_days     DOUBLE,
    long_stay_days   DOUBLE,
    import_id        BIGINT
);

CREATE TABLE referral_weekdays (
    place_code    VARCHAR NOT NULL,
    service_type  VARCHAR NOT NULL,
    service_id    VARCHAR,
    source        VARCHAR NOT NULL CHECK (source IN ('hospital', 'community')),
    month         DATE NOT NULL CHECK (day(month) = 1),
    weekday       INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    referrals     BIGINT NOT NULL CHECK (referrals >= 0),
    import_id     BIGINT
);

CREATE TABLE referral_months_archive AS
SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM referral_months WHERE false;
CREATE TABLE episode_months_archive AS
SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM episode_months WHERE false;
CREATE TABLE stay_statistics_archive AS
SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM stay_statistics WHERE false;
CREATE TABLE referral_weekdays_archive AS
SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM referral_weekdays WHERE false;
