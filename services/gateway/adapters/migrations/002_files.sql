-- Files exchanged with institutions (9101 upload, 9102 download): the detail files of 3202 and its
-- result files. Each belongs to the institution whose credential stored it (or whose 3202 made it)
-- and is readable by that institution only, until it expires (then it is purged).
CREATE TABLE files (
    file_qury_no    text PRIMARY KEY,
    fixmedins_code  text        NOT NULL REFERENCES institutions,
    kind            text        NOT NULL CHECK (kind IN ('upload', 'result')),
    filename        text        NOT NULL,
    content         bytea       NOT NULL,
    size            integer     NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL
);
CREATE INDEX files_expiry ON files (expires_at);

-- 3202 names each cancellation by the msgid of the 2208/2305/2601 that made it.
CREATE INDEX messages_claim ON messages (fixmedins_code, claim_id) WHERE claim_id IS NOT NULL;
