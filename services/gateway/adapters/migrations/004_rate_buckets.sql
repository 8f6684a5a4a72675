-- The institutions' rate limit, shared by every gateway process: one token bucket per institution,
-- refilled and taken in one statement per request (adapters/rate_buckets.py, domain/rate_limit.py).
-- `updated_at` is the database's clock at the last token taken: the refill is measured from it by the
-- same clock, never by a gateway process's. No foreign key to institutions: it would cost a look-up on
-- every request, and a removed institution leaves one small row.
-- fillfactor 50: every request rewrites its institution's row; room on the page keeps those updates HOT.
-- The gateway's role creates (and so owns) this table, as every table of its database: it needs no
-- grant, and no other role can reach it (docs/database-roles.md).
CREATE TABLE rate_buckets (
    fixmedins_code  text             PRIMARY KEY,
    tokens          double precision NOT NULL,
    updated_at      timestamptz      NOT NULL
) WITH (fillfactor = 50);
