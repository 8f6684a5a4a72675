-- A staged page is numbered, so staging it again (a retry after a commit whose acknowledgement was
-- lost) replaces it instead of counting the engine's records twice (docs/clearing.md, Reconciliation).
ALTER TABLE settlement_records ADD COLUMN page integer NOT NULL DEFAULT 0;
DROP INDEX settlement_records_by_batch;
CREATE INDEX settlement_records_by_batch ON settlement_records (batch, page);
