-- The console's projection of the claims' flow (claims.submitted, claims.outcomes): what the
-- Overview, Refusals, Funds and Supervision pages read. The console never reads another service's
-- database; this is its own copy of what the topics carry.

-- One row per outcome message (a claim has one outcome, or a settlement then a cancellation).
CREATE TABLE outcomes (
    event_id          uuid        PRIMARY KEY,
    claim_id          text        NOT NULL,
    kind              text        NOT NULL CHECK (kind IN ('settled', 'presettled', 'rejected', 'cancelled')),
    fixmedins_code    text        NOT NULL,
    psn_no            text        NOT NULL,
    reason_code       text,
    reason            text,
    setl_id           text,
    med_type          text,
    insuplc_admdvs    text,
    mdtrtarea_admvs   text,
    medfee_sumamt     bigint      NOT NULL DEFAULT 0,
    fund_pay_sumamt   bigint      NOT NULL DEFAULT 0,
    hifp_pay          bigint      NOT NULL DEFAULT 0,
    hifmi_pay         bigint      NOT NULL DEFAULT 0,
    hifob_pay         bigint      NOT NULL DEFAULT 0,
    maf_pay           bigint      NOT NULL DEFAULT 0,
    acct_pay          bigint      NOT NULL DEFAULT 0,
    acct_mulaid_pay   bigint      NOT NULL DEFAULT 0,
    psn_cash_pay      bigint      NOT NULL DEFAULT 0,
    explanation       jsonb,
    occurred_at       timestamptz NOT NULL
);
CREATE INDEX outcomes_occurred_at ON outcomes (occurred_at);
CREATE INDEX outcomes_claim_id ON outcomes (claim_id);

-- What a hospital submitted for settlement: when (for submit→reply latency) and its fee lines'
-- catalogue codes and traceability codes (for supervision).
CREATE TABLE submissions (
    claim_id          text        PRIMARY KEY,
    fixmedins_code    text        NOT NULL,
    psn_no            text        NOT NULL,
    med_type          text        NOT NULL,
    submitted_at      timestamptz NOT NULL,
    items             jsonb       NOT NULL,
    trace_codes       text[]      NOT NULL DEFAULT '{}'
);
CREATE INDEX submissions_submitted_at ON submissions (submitted_at);
CREATE INDEX submissions_trace_codes ON submissions USING gin (trace_codes);

-- Every action an operator took through the console, who and with what answer.
CREATE TABLE operator_actions (
    id                bigserial   PRIMARY KEY,
    actor             text        NOT NULL,
    actor_role        text        NOT NULL,
    action            text        NOT NULL,
    target            text        NOT NULL,
    note              text        NOT NULL DEFAULT '',
    status            int         NOT NULL,
    answer            jsonb,
    at                timestamptz NOT NULL DEFAULT now()
);
