-- Which imports' bulky rows this file holds, when several app servers share one state
-- (CAPACITY_STATE). The import log is shared; the rows an import of referrals, counts, a
-- SitRep or aggregates wrote stay in each server's own file, and travel between servers as
-- Parquet through PostgreSQL (capacity/shared_state.py). A server notes here each import
-- it has applied ('held'), undone ('undone') or could not get the rows of ('missing', with
-- why), so that a refresh applies each import once, in order. Local: never shared.
CREATE TABLE bulky_holdings (
    import_id BIGINT PRIMARY KEY,
    kind      VARCHAR NOT NULL,
    status    VARCHAR NOT NULL CHECK (status IN ('held', 'undone', 'missing')),
    note      VARCHAR NOT NULL DEFAULT '',
    noted_at  TIMESTAMP NOT NULL
);
