-- Referral aggregates loaded from a folder that `python3 -m capacity aggregate` wrote
-- (migration 017): replacing a place's aggregates, undoing a load, and what a load
-- must not collide with.
--
-- Each statement starts with "-- name: <name>", a name used once across all the
-- files here; values are always bound as $parameters, never written into the SQL.

-- name: places_with_referral_records
-- Which of some places have referral records stored (their aggregates would count twice).
SELECT place_code, count(*) AS records
FROM referrals
WHERE list_contains(CAST($places AS VARCHAR[]), place_code)
GROUP BY place_code
ORDER BY place_code;

-- name: places_with_referral_aggregates
-- Which of some places have referral aggregates loaded.
SELECT DISTINCT place_code
FROM referral_months
WHERE list_contains(CAST($places AS VARCHAR[]), place_code)
ORDER BY place_code;

-- name: archive_referral_aggregates
-- The aggregates of the places a folder names: the folder's rows replace them.
INSERT INTO referral_months_archive
SELECT *, $import_id FROM referral_months WHERE list_contains($places, place_code);
DELETE FROM referral_months WHERE list_contains($places, place_code);
INSERT INTO episode_months_archive
SELECT *, $import_id FROM episode_months WHERE list_contains($places, place_code);
DELETE FROM episode_months WHERE list_contains($places, place_code);
INSERT INTO stay_statistics_archive
SELECT *, $import_id FROM stay_statistics WHERE list_contains($places, place_code);
DELETE FROM stay_statistics WHERE list_contains($places, place_code);
INSERT INTO referral_weekdays_archive
SELECT *, $import_id FROM referral_weekdays WHERE list_contains($places, place_code);
DELETE FROM referral_weekdays WHERE list_contains($places, place_code);

-- name: undo_referral_aggregates
DELETE FROM referral_months WHERE import_id = $import_id;
DELETE FROM episode_months WHERE import_id = $import_id;
DELETE FROM stay_statistics WHERE import_id = $import_id;
DELETE FROM referral_weekdays WHERE import_id = $import_id;
INSERT INTO referral_months SELECT * EXCLUDE (replaced_by) FROM referral_months_archive
WHERE replaced_by = $import_id;
INSERT INTO episode_months SELECT * EXCLUDE (replaced_by) FROM episode_months_archive
WHERE replaced_by = $import_id;
INSERT INTO stay_statistics SELECT * EXCLUDE (replaced_by) FROM stay_statistics_archive
WHERE replaced_by = $import_id;
INSERT INTO referral_weekdays SELECT * EXCLUDE (replaced_by) FROM referral_weekdays_archive
WHERE replaced_by = $import_id;
DELETE FROM referral_months_archive WHERE replaced_by = $import_id;
DELETE FROM episode_months_archive WHERE replaced_by = $import_id;
DELETE FROM stay_statistics_archive WHERE replaced_by = $import_id;
DELETE FROM referral_weekdays_archive WHERE replaced_by = $import_id;
