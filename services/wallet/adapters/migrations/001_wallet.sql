-- The wallet's ledger, its records and its projection of enrollment (docs/wallet.md).
-- Money is integer fen. The domain checks every rule before writing; the constraints here are the
-- backstops that make a bug fail loudly instead of losing or creating money.

-- Projection of enrollment's CoverageChanged: who is insured, where, under which scheme.
CREATE TABLE persons (
    psn_no          text PRIMARY KEY,
    version         int     NOT NULL,
    insutype        text    NOT NULL,
    insuplc_admdvs  text    NOT NULL,
    active          boolean NOT NULL,
    retired         boolean NOT NULL,
    coverage_begin  date,
    coverage_end    date,
    family_psn_nos  text[]  NOT NULL DEFAULT '{}',
    snapshot        jsonb   NOT NULL
);

-- Credits that arrived before the person's coverage (the region names the credit's source account):
-- applied, in arrival order, when the person's first CoverageChanged arrives.
CREATE TABLE credits_awaiting_person (
    credit_id    text PRIMARY KEY,
    psn_no       text        NOT NULL,
    amount       bigint      NOT NULL CHECK (amount > 0),
    kind         text        NOT NULL,
    year         int         NOT NULL,
    event_id     uuid        NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    seq          bigserial   NOT NULL
);
CREATE INDEX credits_awaiting_person_by_person ON credits_awaiting_person (psn_no, seq);

-- One row per person: the three balances the postings explain, and the China year `current_year`
-- belongs to (0: never used). Locked FOR UPDATE, ascending psn_no, before any of the person's money moves.
CREATE TABLE accounts (
    psn_no        text PRIMARY KEY,
    year          int    NOT NULL DEFAULT 0,
    prior_years   bigint NOT NULL DEFAULT 0,
    current_year  bigint NOT NULL DEFAULT 0,
    wallet        bigint NOT NULL DEFAULT 0,
    CONSTRAINT balances_never_negative CHECK (prior_years >= 0 AND current_year >= 0 AND wallet >= 0)
);

-- The journal: immutable, balanced postings, each under a unique idempotency key, in append order (seq).
CREATE TABLE postings (
    seq          bigserial PRIMARY KEY,
    key          text        NOT NULL UNIQUE,
    kind         text        NOT NULL CHECK (kind IN ('credit', 'year_rollover', 'claim_payment', 'claim_refund',
                                                      'premium_payment', 'wallet_transfer')),
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- A posting's entries: positive money flows into the account. `psn_no` and `bucket` name the owner of a
-- person's account (`personal:<psn_no>:<bucket>`), NULL for a fund-side account.
CREATE TABLE posting_lines (
    posting_seq  bigint   NOT NULL REFERENCES postings (seq),
    line_no      smallint NOT NULL,
    account      text     NOT NULL,
    psn_no       text,
    bucket       text     CHECK (bucket IN ('prior_years', 'current_year', 'wallet')),
    amount       bigint   NOT NULL CHECK (amount <> 0),
    PRIMARY KEY (posting_seq, line_no),
    UNIQUE (posting_seq, account),
    CHECK ((psn_no IS NULL) = (bucket IS NULL))
);
CREATE INDEX posting_lines_by_person ON posting_lines (psn_no, posting_seq) WHERE psn_no IS NOT NULL;
CREATE INDEX posting_lines_by_account ON posting_lines (account, posting_seq);

-- Every posting whose lines a statement inserts must balance and have two lines at least
-- (the adapter inserts a decision's lines in one statement).
CREATE FUNCTION check_postings_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unbalanced bigint;
BEGIN
    SELECT l.posting_seq INTO unbalanced
      FROM posting_lines l
     WHERE l.posting_seq IN (SELECT DISTINCT posting_seq FROM new_lines)
     GROUP BY l.posting_seq
    HAVING sum(l.amount) <> 0 OR count(*) < 2
     LIMIT 1;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'posting % does not balance', unbalanced USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER posting_lines_balance AFTER INSERT ON posting_lines
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION check_postings_balance();

-- Nothing written to the journal or to a money record is ever changed or deleted: a correction is new.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END $$;

-- Mutual-aid bindings (家庭共济): holder's money, member's costs. Revoking sets revoked_at; at most one
-- active binding per pair; binding again later is a new row.
CREATE TABLE bindings (
    holder      text        NOT NULL,
    member      text        NOT NULL,
    relation    text        NOT NULL CHECK (relation IN ('spouse', 'parent', 'child', 'near_relative')),
    uses        text[]      NOT NULL CHECK (cardinality(uses) > 0 AND uses <@ ARRAY['medical', 'premium']),
    bound_at    timestamptz NOT NULL,
    revoked_at  timestamptz,
    PRIMARY KEY (holder, member, bound_at),
    CHECK (holder <> member)
);
CREATE UNIQUE INDEX bindings_one_active_per_pair ON bindings (holder, member) WHERE revoked_at IS NULL;
CREATE INDEX bindings_active_by_member ON bindings (member) WHERE revoked_at IS NULL;

-- The money records, one table each, keyed by the operation's idempotency key. `draws` (JSON list of
-- {psn_no, bucket, amount, year}) says which balances paid, so a refund returns each draw exactly.
CREATE TABLE credits (
    credit_id    text PRIMARY KEY,
    psn_no       text        NOT NULL,
    amount       bigint      NOT NULL CHECK (amount > 0),
    kind         text        NOT NULL CHECK (kind IN ('contribution', 'retiree_fixed')),
    region       text        NOT NULL,
    year         int         NOT NULL,
    bucket       text        NOT NULL,
    balc         bigint      NOT NULL CHECK (balc >= 0),
    credited_at  timestamptz NOT NULL
);

CREATE TABLE claim_payments (
    setl_id          text PRIMARY KEY,
    claim_id         text        NOT NULL,
    psn_no           text        NOT NULL,
    fixmedins_code   text        NOT NULL,
    psn_part_amt     bigint      NOT NULL,
    acct_used_flag   boolean     NOT NULL,
    acct_pay         bigint      NOT NULL CHECK (acct_pay >= 0),
    acct_mulaid_pay  bigint      NOT NULL CHECK (acct_mulaid_pay >= 0),
    psn_cash_pay     bigint      NOT NULL CHECK (psn_cash_pay >= 0),
    balc             bigint      NOT NULL CHECK (balc >= 0),
    draws            jsonb       NOT NULL,
    paid_at          timestamptz NOT NULL,
    -- A claim re-adjudicated under a new setl_id fails loudly instead of paying twice.
    UNIQUE (fixmedins_code, claim_id),
    CHECK (acct_pay + acct_mulaid_pay + psn_cash_pay = psn_part_amt)
);

CREATE TABLE claim_refunds (
    setl_id          text PRIMARY KEY REFERENCES claim_payments (setl_id),
    claim_id         text        NOT NULL,
    cancel_id        text        NOT NULL,
    psn_no           text        NOT NULL,
    fixmedins_code   text        NOT NULL,
    acct_pay         bigint      NOT NULL,
    acct_mulaid_pay  bigint      NOT NULL,
    psn_cash_pay     bigint      NOT NULL,
    balc             bigint      NOT NULL CHECK (balc >= 0),
    returns          jsonb       NOT NULL,
    refunded_at      timestamptz NOT NULL
);

CREATE TABLE transfers (
    transfer_id     text PRIMARY KEY,
    holder          text        NOT NULL,
    recipient       text        NOT NULL,
    amount          bigint      NOT NULL CHECK (amount > 0),
    china_day       date        NOT NULL,
    draws           jsonb       NOT NULL,
    holder_balc     bigint      NOT NULL CHECK (holder_balc >= 0),
    transferred_at  timestamptz NOT NULL
);
CREATE INDEX transfers_by_holder_and_day ON transfers (holder, china_day);

CREATE TABLE premium_payments (
    payment_id     text PRIMARY KEY,
    holder         text        NOT NULL,
    member         text        NOT NULL,
    amount         bigint      NOT NULL CHECK (amount > 0),
    coverage_year  int         NOT NULL,
    region         text        NOT NULL,
    draws          jsonb       NOT NULL,
    holder_balc    bigint      NOT NULL CHECK (holder_balc >= 0),
    paid_at        timestamptz NOT NULL
);

CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER posting_lines_append_only BEFORE UPDATE OR DELETE ON posting_lines
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER credits_append_only BEFORE UPDATE OR DELETE ON credits
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER claim_payments_append_only BEFORE UPDATE OR DELETE ON claim_payments
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER claim_refunds_append_only BEFORE UPDATE OR DELETE ON claim_refunds
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE ON transfers
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER premium_payments_append_only BEFORE UPDATE OR DELETE ON premium_payments
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
