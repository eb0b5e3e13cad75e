-- The shared state of several app servers (CAPACITY_STATE=postgresql://...).
-- Each shared DuckDB table's rows are kept here as JSON, one row per primary key, each
-- stamped with the shared version at which it last changed and who changed it; a
-- deleted row stays as a tombstone (row IS NULL) so a server still holding it learns
-- who deleted it. shared_state.version moves with every change any server makes.
CREATE TABLE shared_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    version      BIGINT NOT NULL,
    data_version BIGINT NOT NULL,
    changed_by   TEXT,
    changed_at   TIMESTAMPTZ
);
INSERT INTO shared_state VALUES (1, 0, 0, NULL, NULL);

CREATE TABLE shared_rows (
    table_name TEXT NOT NULL,
    row_key    TEXT NOT NULL,
    "row"      JSONB,
    version    BIGINT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (table_name, row_key)
);
CREATE INDEX shared_rows_by_version ON shared_rows (version);

-- The highest id each DuckDB sequence has handed out on any server, so that a server
-- numbers its next scenario, snapshot or audit entry after every other server's.
CREATE TABLE shared_sequences (
    name       TEXT PRIMARY KEY,
    last_value BIGINT NOT NULL
);
