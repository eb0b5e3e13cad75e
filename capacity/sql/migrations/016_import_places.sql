-- The places each import changed, so an undo and the Activity view can say which.
--
-- place_codes: the place codes the loaded rows touch, comma-separated; '*' when the file
-- covers every place (a SitRep, a whole table of trust shares); NULL for imports made
-- before this column existed (not known).

ALTER TABLE import_log ADD COLUMN place_codes VARCHAR;
