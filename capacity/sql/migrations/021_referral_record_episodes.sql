-- Referral records' episodes counted by place, named service, month of start and month of end
-- (none while open), with the sums of their start days, end days and lengths of stay: what
-- the plan's observed figures (arrivals, completed episodes, mean stay and occupancy over a
-- window of whole months) read, kept beside the records so that planning every place does
-- not scan millions of rows. Loaded aggregates keep the same in episode_months. Every change
-- to the referrals recounts the places it touched in the same transaction, with their
-- counted months (record_months_recount in capacity/sql/queries/demand.sql).

CREATE TABLE referral_record_episodes (
    place_code    VARCHAR NOT NULL,
    service_id    VARCHAR NOT NULL,
    start_month   DATE NOT NULL,
    end_month     DATE,
    episodes      BIGINT NOT NULL,
    start_day_sum BIGINT NOT NULL,
    end_day_sum   BIGINT,
    stay_days     BIGINT
);

INSERT INTO referral_record_episodes
SELECT place_code, service_id,
       CAST(date_trunc('month', start_date) AS DATE),
       CAST(date_trunc('month', end_date) AS DATE),
       count(*),
       sum(start_date - DATE '1970-01-01'),
       sum(end_date - DATE '1970-01-01'),
       sum(end_date - start_date)
FROM referrals
WHERE service_id IS NOT NULL AND start_date IS NOT NULL
GROUP BY ALL;
