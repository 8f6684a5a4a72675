-- What the insured region owes the treatment region, per settled claim and fund.
CREATE TABLE obligations (
    id               bigserial PRIMARY KEY,
    setl_id          text        NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('settle', 'cancel')),
    fund_pay_type    text        NOT NULL,
    claim_id         text        NOT NULL,
    fixmedins_code   text        NOT NULL,
    payer_admdvs     text        NOT NULL,
    payee_admdvs     text        NOT NULL,
    cross_province   boolean     NOT NULL,
    amount           bigint      NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (setl_id, kind, fund_pay_type)
);
