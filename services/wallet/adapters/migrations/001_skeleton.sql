-- Projection of enrollment: who is insured under which scheme.
CREATE TABLE persons (
    psn_no      text PRIMARY KEY,
    version     int     NOT NULL,
    insutype    text    NOT NULL,
    active      boolean NOT NULL,
    snapshot    jsonb   NOT NULL
);

-- Personal accounts (employee scheme); balances never negative.
CREATE TABLE accounts (
    psn_no      text PRIMARY KEY,
    balance     bigint NOT NULL DEFAULT 0 CHECK (balance >= 0)
);

-- Immutable postings; each one's lines sum to zero (checked by the domain before writing).
CREATE TABLE postings (
    id               bigserial PRIMARY KEY,
    idempotency_key  text        NOT NULL UNIQUE,
    kind             text        NOT NULL,
    lines            jsonb       NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- How each claim's personal part was paid (exactly once per claim).
CREATE TABLE claim_payments (
    claim_id         text PRIMARY KEY,
    setl_id          text   NOT NULL,
    psn_no           text   NOT NULL,
    acct_pay         bigint NOT NULL,
    acct_mulaid_pay  bigint NOT NULL,
    psn_cash_pay     bigint NOT NULL,
    refunded         boolean NOT NULL DEFAULT false
);
