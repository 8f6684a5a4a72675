-- The relay deletes what it published (relay.py), so every row left is unsent and the primary key
-- already orders them: the partial index cost a second index insert and delete per message.
DROP INDEX IF EXISTS outbox_unsent;

-- A message lives here for milliseconds: keep rows up to a page inline and uncompressed instead of
-- compressing the larger ones (outcomes with their explanation pass 2 kB) with pglz, for nothing.
ALTER TABLE outbox SET (toast_tuple_target = 8160);
