-- The rows each import of a bulky kind (referral records, published counts, a SitRep,
-- referral aggregates) wrote to each server's own DuckDB tables, so that every other
-- server can write the same rows into its own file. Written in the same transaction as
-- the import's entry in the shared import log: an import is in both or in neither.
-- bulky_imports says an import's rows were sent (complete, even when a table got none);
-- bulky_parts holds them, per table, as Parquet files split into parts of a few MB: the
-- rows the import added (import_id = it) and the rows it replaced (replaced_by = it, in
-- the table's archive), from which a server repeats the deletions the import made.
CREATE TABLE bulky_imports (
    import_id BIGINT PRIMARY KEY,
    kind      TEXT NOT NULL,
    sent_by   TEXT NOT NULL,
    sent_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE bulky_parts (
    import_id  BIGINT NOT NULL REFERENCES bulky_imports (import_id) ON DELETE CASCADE,
    table_name TEXT NOT NULL,
    part       INTEGER NOT NULL,
    row_count  BIGINT NOT NULL,
    payload    BYTEA NOT NULL,
    PRIMARY KEY (import_id, table_name, part)
);
