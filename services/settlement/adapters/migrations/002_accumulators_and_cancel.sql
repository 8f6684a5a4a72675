-- Year-to-date accumulators (5206 累计信息): one flat row per person and settlement year.
CREATE TABLE accumulators (
    psn_no                          text   NOT NULL,
    year                            int    NOT NULL,
    deductible_paid                 bigint NOT NULL DEFAULT 0,
    admissions                      int    NOT NULL DEFAULT 0,
    pooling_paid                    bigint NOT NULL DEFAULT 0,
    outpatient_deductible_paid      bigint NOT NULL DEFAULT 0,
    outpatient_pooling_paid         bigint NOT NULL DEFAULT 0,
    chronic_deductible_paid         bigint NOT NULL DEFAULT 0,
    prenatal_paid                   bigint NOT NULL DEFAULT 0,
    critical_illness_base           bigint NOT NULL DEFAULT 0,
    critical_illness_paid           bigint NOT NULL DEFAULT 0,
    assistance_paid                 bigint NOT NULL DEFAULT 0,
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (psn_no, year)
);

-- Outpatient pooling paid per day of service (the per-day cap).
CREATE TABLE accumulators_daily (
    psn_no                  text   NOT NULL,
    service_date            date   NOT NULL,
    outpatient_pooling_paid bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (psn_no, service_date)
);

-- Reimbursed large-equipment exams (a repeat within 30 days is excluded).
CREATE TABLE large_exams (
    psn_no         text NOT NULL,
    med_list_codg  text NOT NULL,
    exam_date      date NOT NULL,
    setl_id        text NOT NULL,
    PRIMARY KEY (setl_id, med_list_codg, exam_date)
);
CREATE INDEX large_exams_person ON large_exams (psn_no, exam_date);

-- Drug traceability codes sold (追溯码): one code sold twice is refused.
CREATE TABLE traceability_codes (
    code     text PRIMARY KEY,
    setl_id  text NOT NULL
);

ALTER TABLE claims ADD COLUMN postings jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE claims ADD COLUMN refund jsonb;
ALTER TABLE claims ADD COLUMN begntime timestamptz;
CREATE INDEX claims_settled_at ON claims (settled_at);
CREATE INDEX claims_cancelled_at ON claims (cancelled_at);
CREATE INDEX fund_entries_account ON fund_entries (account);
