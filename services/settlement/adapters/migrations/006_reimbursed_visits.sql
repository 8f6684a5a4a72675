-- A hospital's direct settlement looks for an office's reimbursement of the same visit (person,
-- institution, day) before the funds pay again: reimbursements are few, so a partial index by person.
CREATE INDEX claims_reimbursed_person ON claims (psn_no) WHERE kind = 'reimbursement';
