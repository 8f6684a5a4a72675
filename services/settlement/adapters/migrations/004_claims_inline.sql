-- A claim row is about 2 kB (its explanation, fund detail and postings as jsonb), right at the size
-- where Postgres compresses it with pglz on every insert and every status update: measured, that was
-- a good share of the settlement database's CPU (docs/performance.md). Rows up to a page now stay
-- inline and uncompressed; a row larger than that is still compressed.
ALTER TABLE claims SET (toast_tuple_target = 8160);
