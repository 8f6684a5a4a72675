-- The settlement engine's own projection of enrollment (replaced whole by each CoverageChanged).
CREATE TABLE coverage (
    psn_no      text PRIMARY KEY,
    version     int         NOT NULL,
    snapshot    jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per settled claim id: the idempotency record and the settlement itself.
CREATE TABLE claims (
    claim_id          text PRIMARY KEY,
    body_hash         text        NOT NULL,
    setl_id           text        NOT NULL UNIQUE,
    psn_no            text        NOT NULL,
    fixmedins_code    text        NOT NULL,
    insutype          text        NOT NULL,
    med_type          text        NOT NULL,
    insuplc_admdvs    text        NOT NULL,
    mdtrtarea_admvs   text        NOT NULL,
    setl_year         int         NOT NULL,
    status            text        NOT NULL CHECK (status IN ('adjudicated', 'settled', 'cancelling', 'cancelled')),
    amounts           jsonb       NOT NULL,
    setldetail        jsonb       NOT NULL,
    explanation       jsonb       NOT NULL,
    accumulator_delta jsonb       NOT NULL DEFAULT '{}'::jsonb,
    wallet            jsonb,
    cancel_id         text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    settled_at        timestamptz,
    cancelled_at      timestamptz
);
CREATE INDEX claims_person ON claims (psn_no, setl_year);

-- Rejected requests, for the operator; a rejected claim id may be submitted again once corrected.
CREATE TABLE claim_rejections (
    id              bigserial PRIMARY KEY,
    claim_id        text        NOT NULL,
    fixmedins_code  text        NOT NULL,
    reason_code     text        NOT NULL,
    reason          text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Fund ledger: double entry per pooling region and fund; a reversal posts contra entries.
CREATE TABLE fund_entries (
    id          bigserial PRIMARY KEY,
    setl_id     text        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('settle', 'reverse')),
    account     text        NOT NULL,
    debit       bigint      NOT NULL DEFAULT 0 CHECK (debit >= 0),
    credit      bigint      NOT NULL DEFAULT 0 CHECK (credit >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fund_entries_settlement ON fund_entries (setl_id);
