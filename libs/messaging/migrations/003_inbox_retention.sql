-- Inbox rows are purged once their messages can no longer be redelivered (libs/messaging/retention.py):
-- a BRIN index finds the old ones; rows are appended in time order, so it stays a few pages and costs
-- an insert next to nothing.
CREATE INDEX IF NOT EXISTS inbox_received_at ON inbox USING brin (received_at);
