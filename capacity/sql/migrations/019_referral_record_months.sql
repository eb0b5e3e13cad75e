-- Referral records counted by place, service type, service, source and month, with the
-- first and last referral date of each: what the plan's demand and each place's data
-- coverage read, kept beside the records so that planning every place does not scan
-- millions of rows again. Every change to the referrals (a load, a correction, an undo)
-- recounts the places it touched in the same transaction (capacity/ingest/loading.py).

CREATE TABLE referral_record_months (
    place_code   VARCHAR NOT NULL,
    service_type VARCHAR NOT NULL,
    service_id   VARCHAR,
    source       VARCHAR NOT NULL,
    month        DATE NOT NULL,
    referrals    BIGINT NOT NULL,
    first_day    DATE NOT NULL,
    last_day     DATE NOT NULL
);

INSERT INTO referral_record_months
SELECT place_code, service_type, service_id, source,
       CAST(date_trunc('month', referral_date) AS DATE), count(*),
       min(referral_date), max(referral_date)
FROM referrals
GROUP BY ALL;
