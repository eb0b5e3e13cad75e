-- Workforce assumptions: how a gap in care hours becomes full-time-equivalent staff.
-- hours_per_week is a full-time post's contracted hours; productive_share the share of
-- paid hours spent with people (capacity/workforce.py says how they are used). A NULL
-- place_code is the England-wide figure; a place's own row overrides it. With no row,
-- the product's defaults apply (37.5 hours, 0.75, each with its source in
-- capacity/workforce.py).
--
-- A log: every save adds a row, the newest per place is in force, and nothing is
-- overwritten, so the figures behind an old export can be found. Each save moves the
-- data version (capacity/sql/queries/store.sql), so the app reads its figures again.
-- The product checks every value before saving; the CHECKs here are a second line.

CREATE SEQUENCE workforce_settings_seq START 1;

CREATE TABLE workforce_settings (
    setting_id       BIGINT PRIMARY KEY DEFAULT nextval('workforce_settings_seq'),
    place_code       VARCHAR,
    hours_per_week   DOUBLE NOT NULL CHECK (hours_per_week > 0 AND hours_per_week <= 60),
    productive_share DOUBLE NOT NULL CHECK (productive_share > 0 AND productive_share <= 1),
    source_note      VARCHAR NOT NULL CHECK (length(trim(source_note)) > 0),
    saved_by         VARCHAR NOT NULL,
    saved_at         TIMESTAMP NOT NULL DEFAULT current_timestamp
);
