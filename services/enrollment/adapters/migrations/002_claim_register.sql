-- The register of settled claims' fund payments (service_layer/fund_payments.py): a row a claim, and
-- each person's total a settlement year. The person's stream records only when a year's total crosses
-- zero (FundPaymentYearChanged), which is all the no-claim-year incentive needs. Written under the
-- person's row lock, as the stream is; no foreign key (the statement has just locked the person).
CREATE TABLE claim_fund_payments (
    claim_id         text PRIMARY KEY,
    psn_no           text        NOT NULL,
    settlement_year  int         NOT NULL,
    fund_paid        bigint      NOT NULL CHECK (fund_paid >= 0),  -- fen: the claim's fund_pay_sumamt
    cancel_id        text,                                          -- set once cancelled: it no longer counts
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    cancelled_at     timestamptz
) WITH (fillfactor = 90);
CREATE INDEX claim_fund_payments_person ON claim_fund_payments (psn_no, settlement_year);

CREATE TABLE fund_payment_years (
    psn_no           text        NOT NULL,
    settlement_year  int         NOT NULL,
    fund_paid        bigint      NOT NULL,  -- fen, net of cancellations; > 0: not a no-claim year
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (psn_no, settlement_year)
);

-- Streams written before the register held one ReimbursementRecorded event a claim (and
-- ReimbursementCancelled for its cancellation). Those claims enter the register, so a later
-- cancellation finds them, and a repeated cancellation is known by its cancel_id (the last part of the
-- command id "ClaimCancelled:<claim_id>:<cancel_id>"); the events stay in the streams and are still read.
INSERT INTO claim_fund_payments (claim_id, psn_no, settlement_year, fund_paid, cancel_id, cancelled_at)
SELECT r.data -> 'reimbursement' ->> 'claim_id', r.psn_no, (r.data -> 'reimbursement' ->> 'settlement_year')::int,
       (r.data -> 'reimbursement' ->> 'fund_paid')::bigint,
       substring(x.command_id FROM '[^:]*$'), x.recorded_at
  FROM person_events AS r
  LEFT JOIN LATERAL (SELECT command_id, recorded_at FROM person_events AS c
                      WHERE c.psn_no = r.psn_no AND c.event_type = 'ReimbursementCancelled' AND c.seq > r.seq
                        AND c.data ->> 'claim_id' = r.data -> 'reimbursement' ->> 'claim_id'
                      ORDER BY seq LIMIT 1) AS x ON true
 WHERE r.event_type = 'ReimbursementRecorded'
ON CONFLICT (claim_id) DO NOTHING;

INSERT INTO fund_payment_years (psn_no, settlement_year, fund_paid)
SELECT psn_no, settlement_year, sum(fund_paid) FROM claim_fund_payments WHERE cancel_id IS NULL GROUP BY 1, 2;
