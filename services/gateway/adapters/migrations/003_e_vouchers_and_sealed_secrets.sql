-- E-vouchers (医保电子凭证, mdtrt_cert_type 01): the short-lived tokens a holder's app shows as a QR code.
-- Only the token's SHA-256 is kept: a dump of this table cannot be replayed at a counter. The first
-- institution that presents a token keeps it; another institution presenting it is refused.
CREATE TABLE e_vouchers (
    token_hash      text        PRIMARY KEY,            -- hex SHA-256 of the token (256 random bits)
    psn_no          text        NOT NULL,
    issued_at       timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    fixmedins_code  text                                -- the institution that first presented it
);
CREATE INDEX e_vouchers_expires_at ON e_vouchers (expires_at);

-- institutions.app_secret now holds the secret sealed (AES-256-GCM, GATEWAY_SECRET_KEY, libs/pii.Sealer).
-- Rows written in clear by earlier versions are sealed by the gateway at start (adapters/credentials.py):
-- it needs the key, which SQL does not have.
COMMENT ON COLUMN institutions.app_secret IS 'sealed: gwsecret:1:<key id>:<base64>; never in clear';
