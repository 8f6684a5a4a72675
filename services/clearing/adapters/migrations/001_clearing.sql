-- Clearing's store: the rows of services/clearing/domain/ports.py. Every table is insert-only
-- except a cycle's status (open -> closed, once). Amounts are integer fen.

-- One cycle per clearing scope and period; exactly one open per scope.
CREATE TABLE cycles (
    cycle_id      text        PRIMARY KEY,               -- <scope_key>/<period_start>
    scope_key     text        NOT NULL,                  -- national | provincial-NN
    period_start  date        NOT NULL,
    period_end    date        NOT NULL CHECK (period_end > period_start),
    opened_at     timestamptz NOT NULL,
    status        text        NOT NULL CHECK (status IN ('open', 'closed')),
    closed_at     timestamptz,
    close_reason  text        CHECK (close_reason IN ('command', 'schedule')),
    CHECK ((status = 'open') = (closed_at IS NULL AND close_reason IS NULL))
);
CREATE UNIQUE INDEX cycles_one_open_per_scope ON cycles (scope_key) WHERE status = 'open';

-- What the insured region owes the treatment region for one fund of one claim (signed).
CREATE TABLE obligations (
    obligation_id    text        PRIMARY KEY,            -- S1/settled/hifp, S1/returned/hifp/<origin>
    cycle_id         text        NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('settled', 'cancelled', 'returned')),
    setl_id          text        NOT NULL,
    claim_id         text        NOT NULL,
    fixmedins_code   text        NOT NULL,
    insuplc_admdvs   text        NOT NULL,
    mdtrtarea_admvs  text        NOT NULL,
    fund_pay_type    text        NOT NULL,
    amount           bigint      NOT NULL,
    occurred_at      timestamptz NOT NULL,
    arrived_at       timestamptz NOT NULL,
    origin_cycle_id  text,
    CHECK (kind = 'returned' OR (kind = 'settled') = (amount > 0)),
    CHECK (amount <> 0)
);
CREATE INDEX obligations_by_claim ON obligations (setl_id);
CREATE INDEX obligations_by_cycle_institution ON obligations (cycle_id, fixmedins_code);

-- Each region's statement for a closed cycle.
CREATE TABLE net_positions (
    cycle_id            text   NOT NULL,
    admdvs              text   NOT NULL,
    gross_payable       bigint NOT NULL CHECK (gross_payable >= 0),
    gross_receivable    bigint NOT NULL CHECK (gross_receivable >= 0),
    prepayment_applied  bigint NOT NULL CHECK (prepayment_applied >= 0),
    net                 bigint GENERATED ALWAYS AS (gross_receivable - gross_payable) STORED,
    cash_to_pay         bigint GENERATED ALWAYS AS (greatest(0, gross_payable - gross_receivable) - prepayment_applied) STORED,
    cash_to_receive     bigint GENERATED ALWAYS AS (greatest(0, gross_receivable - gross_payable)) STORED,
    PRIMARY KEY (cycle_id, admdvs)
);

-- Institutions' decisions on their items of a closed cycle (3261 confirm, 3262 roll back).
CREATE TABLE confirmations (
    cycle_id              text        NOT NULL,
    setl_id               text        NOT NULL,
    fixmedins_code        text        NOT NULL,
    decision              text        NOT NULL CHECK (decision IN ('confirmed', 'rolled_back')),
    amount                bigint      NOT NULL,
    decided_at            timestamptz NOT NULL,
    returned_to_cycle_id  text,
    PRIMARY KEY (cycle_id, setl_id, decision),
    CHECK ((decision = 'rolled_back') = (returned_to_cycle_id IS NOT NULL))
);
CREATE INDEX confirmations_by_institution ON confirmations (cycle_id, fixmedins_code);

-- Each region's prepayment (预付金) ledger per scope; a balance is the signed sum.
CREATE TABLE prepayments (
    entry_id   text        PRIMARY KEY,                  -- the command id, or <cycle>/<region>/applied
    scope_key  text        NOT NULL,
    admdvs     text        NOT NULL,
    kind       text        NOT NULL CHECK (kind IN ('advanced', 'applied', 'refunded')),
    amount     bigint      NOT NULL CHECK (amount > 0),
    at         timestamptz NOT NULL,
    cycle_id   text,
    CHECK ((kind = 'applied') = (cycle_id IS NOT NULL))
);
CREATE INDEX prepayments_by_scope ON prepayments (scope_key, admdvs);

-- Reconciliation runs (3201 totals, 3202 detail); the last run of a cycle is its answer.
CREATE TABLE reconciliations (
    reconciliation_id           bigserial   PRIMARY KEY,
    cycle_id                    text        NOT NULL,
    reconciled_at               timestamptz NOT NULL,
    clearing_fund_pay_sumamt    bigint      NOT NULL,
    settlement_fund_pay_sumamt  bigint      NOT NULL,
    clearing_setl_cnt           integer     NOT NULL,
    settlement_setl_cnt         integer     NOT NULL,
    balanced                    boolean     NOT NULL
);
CREATE INDEX reconciliations_by_cycle ON reconciliations (cycle_id, reconciliation_id);

CREATE TABLE reconciliation_mismatches (
    reconciliation_id  bigint NOT NULL REFERENCES reconciliations,
    kind               text   NOT NULL CHECK (kind IN ('missing_in_clearing', 'missing_in_settlement', 'amount_differs')),
    setl_id            text   NOT NULL,
    fact_kind          text   NOT NULL CHECK (fact_kind IN ('settled', 'cancelled')),
    fund_pay_type      text   NOT NULL,
    clearing_amount    bigint NOT NULL,
    settlement_amount  bigint NOT NULL,
    PRIMARY KEY (reconciliation_id, setl_id, fact_kind, fund_pay_type)
);
