-- http-auth (#14): the audit log of every state-changing request, and who first used each idempotency key.
-- In every service's database (libs/messaging/migrations is applied by each service): libs/audit.

-- One row per state-changing request, written before the request runs (status NULL) and completed
-- with its answer; a row left NULL means the process stopped in between. No personal data in clear:
-- a holder's subject and every psn_no are keyed hashes (libs/masking.pseudonym).
CREATE TABLE IF NOT EXISTS audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    subject     text NOT NULL,            -- the account name; 'anonymous' without a valid token
    role        text,                     -- NULL without a valid token
    tenant      text,                     -- office:<region>, hospital:<code>, holder:<hash>, <role>:<subject>
    channel     text NOT NULL,            -- 'http', or 'kafka' for a command taken from a topic
    method      text NOT NULL,            -- POST..., or the command type on Kafka
    route       text NOT NULL,            -- the route's template (/v1/cycles/{scope_key}/{period_start}/close)
    action      text,                     -- the route's name or the command's type
    target      jsonb NOT NULL DEFAULT '{}'::jsonb,  -- path parameters and key ids (psn_no hashed)
    status      int,                      -- the HTTP status answered (NULL until answered)
    code        text,                     -- the refusal's reason code, when refused
    finished_at timestamptz
);
CREATE INDEX IF NOT EXISTS audit_log_subject ON audit_log (subject, id);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log USING brin (at);

-- An idempotency key (command_id, transfer_id, payment_id, entry_id...) belongs to the tenant that used
-- it first; another tenant reusing it is refused (IDEMPOTENCY_KEY_TAKEN), never answered from it.
CREATE TABLE IF NOT EXISTS idempotency_owners (
    kind       text NOT NULL,
    key        text NOT NULL,
    owner      text NOT NULL,
    first_seen timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, key)
);
