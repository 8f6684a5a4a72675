-- The institutions' rate limit, shared by every gateway process: one token bucket per institution,
-- refilled and taken in one statement per request (adapters/rate_buckets.py, domain/rate_limit.py).
-- `updated_at` is the database's clock at the last token taken: the refill is measured from it by the
-- same clock, never by a gateway process's. No foreign key to institutions: it would cost a look-up on
-- every request, and a removed institution leaves one small row.
-- UNLOGGED: every request rewrites its institution's row, in a statement of its own; an unlogged table's
-- commit waits for no WAL flush, so the row's lock is held for the statement only (docs/architecture.md
-- has the measurements). After a crash, or on a promoted standby, the table is empty: every institution
-- starts again with a full bucket, which is harmless. fillfactor 50: room on the page keeps the updates HOT.
-- The gateway's role creates (and so owns) this table, as every table of its database: it needs no
-- grant, and no other role can reach it (docs/database-roles.md).
CREATE UNLOGGED TABLE rate_buckets (
    fixmedins_code  text             PRIMARY KEY,
    tokens          double precision NOT NULL,
    updated_at      timestamptz      NOT NULL
) WITH (fillfactor = 50);
