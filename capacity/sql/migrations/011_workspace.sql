-- A workspace's own places: the authorities (and the ICB, when a lead chose one) a lead
-- set up the database for, with `python3 -m capacity init --empty --places …` or the
-- app's first screen. They become the sidebar's default place. `chosen` is true for what
-- the lead named (an authority, or an ICB) and false for the places an ICB brought with it.
-- Setting them is logged in import_log (kind 'workspace', not undoable), so the data
-- version moves and the app reads them again.

CREATE TABLE workspace_places (
    place_code VARCHAR PRIMARY KEY,
    chosen     BOOLEAN NOT NULL,
    chosen_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);
