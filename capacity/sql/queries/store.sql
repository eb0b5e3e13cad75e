-- The store's own bookkeeping: versions that move with the data and the
-- scenarios, table sizes, and the applied migrations.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: data_version
-- Changes whenever the data do. Every write to the data is an import (parameter and
-- share edits in the app are imports too), an undo or a migration, and each is
-- recorded with its time; a rebuilt file records new times. Saving the demand settings
-- (window and growth) replaces their rows, each stamped with the time; each workforce
-- assumption saved adds a row with its time.
SELECT (SELECT count(*) FROM import_log) AS imports,
       (SELECT max(loaded_at) FROM import_log) AS last_loaded,
       (SELECT count(undone_at) FROM import_log) AS undone,
       (SELECT max(undone_at) FROM import_log) AS last_undone,
       (SELECT max(version) FROM schema_migrations) AS schema_version,
       (SELECT max(applied_at) FROM schema_migrations) AS last_migrated,
       (SELECT count(*) FROM demand_settings) AS demand_settings,
       (SELECT max(saved_at) FROM demand_settings) AS settings_saved,
       (SELECT count(*) FROM workforce_settings) AS workforce_settings,
       (SELECT max(saved_at) FROM workforce_settings) AS workforce_saved;

-- name: scenarios_version
-- Changes with every scenario saved (new, a new version, a copy) or deleted.
SELECT count(*) AS scenarios, max(updated_at) AS last_saved, count(deleted_at) AS deleted,
       max(deleted_at) AS last_deleted
FROM scenarios;

-- name: table_counts
SELECT 'places' AS table_name, count(*) AS row_count FROM places
UNION ALL SELECT 'service_types', count(*) FROM service_types
UNION ALL SELECT 'services', count(*) FROM services
UNION ALL SELECT 'service_parameters', count(*) FROM service_parameters
UNION ALL SELECT 'referrals', count(*) FROM referrals
UNION ALL SELECT 'monthly_demand', count(*) FROM monthly_demand
UNION ALL SELECT 'import_log', count(*) FROM import_log;

-- name: applied_migrations
SELECT version, name, applied_at FROM schema_migrations ORDER BY version;

-- name: record_migration
INSERT INTO schema_migrations (version, name, applied_at) VALUES ($version, $name, now());
