-- Monthly extracts overlap and correct last month's records (an end date filled in,
-- a service changed). A re-sent referral whose fields changed replaces the stored
-- one; the record it replaces is kept here with the import that replaced it, so
-- undoing that import puts back exactly the record as it was.

CREATE TABLE referrals_archive AS
SELECT *, CAST(NULL AS BIGINT) AS replaced_by FROM referrals WHERE false;
