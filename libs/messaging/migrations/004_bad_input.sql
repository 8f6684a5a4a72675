-- Bad input (docs/security.md, "Bad input"; docs/architecture.md, "The dead-letter path").

-- The digest of each message's bytes: a redelivered id with other bytes is a conflict, dead-lettered
-- with its reason, not skipped as a duplicate. Nullable, so adding it rewrites nothing.
ALTER TABLE inbox ADD COLUMN IF NOT EXISTS body_hash bytea;

-- A dead letter keeps the whole record, whatever bytes it holds: the key and value as bytea, the
-- headers and the message id escaped to valid text. `quarantined`: the last resort, when even this
-- row could not be written with the record, only its position and reason are.
ALTER TABLE dead_letters
    ADD COLUMN IF NOT EXISTS message_id   text,
    ADD COLUMN IF NOT EXISTS key          bytea,
    ADD COLUMN IF NOT EXISTS value        bytea,
    ADD COLUMN IF NOT EXISTS headers      jsonb,
    ADD COLUMN IF NOT EXISTS value_size   integer,
    ADD COLUMN IF NOT EXISTS value_sha256 text,
    ADD COLUMN IF NOT EXISTS quarantined  boolean NOT NULL DEFAULT false;

-- Outbox rows Kafka will never take (too large, a name it refuses): moved here with the reason, so
-- the relay goes on with the rows behind them.
CREATE TABLE IF NOT EXISTS outbox_parked (
    id          bigint      PRIMARY KEY,
    topic       text        NOT NULL,
    key         text        NOT NULL,
    event_id    uuid        NOT NULL,
    value       bytea       NOT NULL,
    headers     jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    parked_at   timestamptz NOT NULL DEFAULT now(),
    reason      text        NOT NULL
);
