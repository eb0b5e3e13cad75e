-- Workforce assumptions (migration 014): the log of every save, and the ones in force.

-- name: workforce_settings_in_force
-- The newest setting of each place, and the newest England-wide one (place_code NULL).
SELECT place_code, hours_per_week, productive_share, source_note, saved_by,
       CAST(saved_at AS VARCHAR) AS saved_at
FROM workforce_settings
QUALIFY row_number() OVER (PARTITION BY place_code ORDER BY saved_at DESC, setting_id DESC) = 1
ORDER BY place_code NULLS FIRST;

-- name: workforce_settings_log
SELECT setting_id, place_code, hours_per_week, productive_share, source_note, saved_by,
       saved_at
FROM workforce_settings
ORDER BY setting_id DESC;

-- name: save_workforce_setting
INSERT INTO workforce_settings (place_code, hours_per_week, productive_share, source_note,
                                saved_by, saved_at)
VALUES ($place_code, $hours_per_week, $productive_share, $source_note, $saved_by, now());
