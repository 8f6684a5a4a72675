-- The hospital gateway's own state: institutions and their credentials, sign-ins, nonces, every
-- request by msgid with its reply, visits (sessions) with their fee lines, and settlements.
-- No resident ID number or name is stored in clear: the person's identity is kept masked only.

CREATE TABLE institutions (
    fixmedins_code  text PRIMARY KEY,
    fixmedins_name  text        NOT NULL,
    fixmedins_type  text        NOT NULL DEFAULT 'hospital' CHECK (fixmedins_type IN ('hospital', 'pharmacy')),
    hosp_lv         text        NOT NULL,
    region          text        NOT NULL,           -- 就医地医保区划 of the institution
    app_id          text        NOT NULL UNIQUE,
    app_secret      text        NOT NULL,           -- the HMAC key: needed in clear to verify; never in the repo
    active          boolean     NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sign_ins (
    sign_no         text PRIMARY KEY,
    fixmedins_code  text        NOT NULL REFERENCES institutions,
    opter           text        NOT NULL,
    signed_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE nonces (
    app_id   text        NOT NULL,
    nonce    text        NOT NULL,
    seen_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, nonce)
);
CREATE INDEX nonces_seen_at ON nonces (seen_at);

-- Every request of a transaction that changes something, by the institution's msgid: a repeat gets
-- the first reply; 2601 finds its target here. The request body is kept as a hash only.
CREATE TABLE messages (
    fixmedins_code  text        NOT NULL,
    msgid           text        NOT NULL,
    infno           text        NOT NULL,
    body_hash       text        NOT NULL,
    mdtrt_id        text,
    claim_id        text,
    reply           jsonb,
    received_seq    bigserial,
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (fixmedins_code, msgid)
);

CREATE SEQUENCE mdtrt_ids START 300000001;

CREATE TABLE visits (
    fixmedins_code  text        NOT NULL,
    mdtrt_id        text        NOT NULL,
    data            jsonb       NOT NULL,           -- the Visit without its lines (person masked)
    status          text        NOT NULL,
    psn_no          text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (fixmedins_code, mdtrt_id)
);

CREATE TABLE fee_lines (
    fixmedins_code  text        NOT NULL,
    mdtrt_id        text        NOT NULL,
    feedetl_sn      text        NOT NULL,
    chrg_bchno      text        NOT NULL,
    data            jsonb       NOT NULL,
    claim_id        text,
    seq             bigserial,
    PRIMARY KEY (fixmedins_code, mdtrt_id, feedetl_sn),
    FOREIGN KEY (fixmedins_code, mdtrt_id) REFERENCES visits
);

CREATE TABLE settlements (
    claim_id        text PRIMARY KEY,
    fixmedins_code  text        NOT NULL,
    mdtrt_id        text        NOT NULL,
    chrg_bchno      text,
    msgid           text        NOT NULL,           -- the 2207/2304 that asked: medins_setl_id
    infno           text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('settling', 'settled', 'cancelling', 'cancelled', 'rejected')),
    setl_id         text,
    claim           jsonb       NOT NULL,           -- the ClaimSubmitted sent, to send it again identically
    setlinfo        jsonb,                          -- the reply's split in fen, for repeats, 2208 and 3201/3202
    med_type        text,
    insutype        text,
    setl_time       timestamp,                      -- China time, as the interface states it (R12)
    cancel_time     timestamp,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX settlements_setl_id ON settlements (fixmedins_code, setl_id);
CREATE INDEX settlements_period ON settlements (fixmedins_code, setl_time);
