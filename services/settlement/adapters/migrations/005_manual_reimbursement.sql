-- Manual reimbursement (零星报销): an office's claim is a claim of kind 'reimbursement', under the id
-- MR-<region>-<office_ref>; its receipts are reimbursed once; its payout by bank transfer is recorded.
ALTER TABLE claims ADD COLUMN kind text NOT NULL DEFAULT 'direct' CHECK (kind IN ('direct', 'reimbursement'));
ALTER TABLE claims ADD COLUMN office_ref text;
ALTER TABLE claims ADD COLUMN payout jsonb;
ALTER TABLE claims ADD COLUMN paid_out_at timestamptz;

CREATE TABLE reimbursement_receipts (
    receipt_no  text PRIMARY KEY,
    claim_id    text NOT NULL
);
CREATE INDEX reimbursement_receipts_claim ON reimbursement_receipts (claim_id);

-- The fund ledger also records the bank transfers that pay reimbursements out.
ALTER TABLE fund_entries DROP CONSTRAINT fund_entries_kind_check;
ALTER TABLE fund_entries ADD CONSTRAINT fund_entries_kind_check CHECK (kind IN ('settle', 'reverse', 'payout'));
