-- Reconciliation streams (docs/clearing.md, Reconciliation): the settlement engine's records are
-- staged here a page at a time, joined with the cycle's obligations in the database and read back in
-- chunks, so no process holds a whole cycle. A run deletes its batch; a batch a crashed run left
-- behind is deleted by the next run after a day. Unlogged: a batch is rebuilt by running again.
CREATE UNLOGGED TABLE settlement_records (
    batch          text        NOT NULL,
    setl_id        text        NOT NULL,
    kind           text        NOT NULL CHECK (kind IN ('settled', 'cancelled')),
    fund_pay_type  text        NOT NULL,
    amount         bigint      NOT NULL,
    staged_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX settlement_records_by_batch ON settlement_records (batch);

-- The 3202 detail is paged in codepoint order, as the comparison writes it.
CREATE INDEX reconciliation_mismatches_in_order ON reconciliation_mismatches
    (reconciliation_id, setl_id COLLATE "C", fact_kind, fund_pay_type COLLATE "C");

-- A run's mismatch counts are kept with its totals (the detail is no longer read whole to count it).
ALTER TABLE reconciliations
    ADD COLUMN missing_in_clearing    integer NOT NULL DEFAULT 0,
    ADD COLUMN missing_in_settlement  integer NOT NULL DEFAULT 0,
    ADD COLUMN amount_differs         integer NOT NULL DEFAULT 0;
UPDATE reconciliations r SET
    missing_in_clearing = (SELECT count(*) FROM reconciliation_mismatches m
                           WHERE m.reconciliation_id = r.reconciliation_id AND m.kind = 'missing_in_clearing'),
    missing_in_settlement = (SELECT count(*) FROM reconciliation_mismatches m
                             WHERE m.reconciliation_id = r.reconciliation_id AND m.kind = 'missing_in_settlement'),
    amount_differs = (SELECT count(*) FROM reconciliation_mismatches m
                      WHERE m.reconciliation_id = r.reconciliation_id AND m.kind = 'amount_differs');
