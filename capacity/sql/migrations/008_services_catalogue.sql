-- The services catalogue becomes data a lead keeps: services and the places they
-- serve can be imported (and edited in the app, which saves through the same
-- import), re-stated and undone, and a service can be retired.
--
-- retired_from is the first day of the first month in which the service gives no
-- capacity; its parameters and referrals stay, so its history can still be shown.
-- The importer accepts only the first day of a month (DuckDB cannot add a CHECK to
-- an existing table). import_id marks the rows an import wrote; the archive tables
-- keep the rows an import replaced, so undoing it puts them back.

ALTER TABLE services ADD COLUMN retired_from DATE;
ALTER TABLE services ADD COLUMN import_id BIGINT;
ALTER TABLE service_places ADD COLUMN import_id BIGINT;

CREATE TABLE services_archive AS
SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM services WHERE false;

CREATE TABLE service_places_archive AS
SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM service_places WHERE false;
