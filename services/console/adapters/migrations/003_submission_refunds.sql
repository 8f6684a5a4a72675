-- Whether a settled bill carries a refund line (退费: a fee line of negative count) is decided once,
-- when the submission is projected, so the supervision page's spike rule reads a flag instead of
-- every bill's lines over its 28-day baseline.
ALTER TABLE submissions ADD COLUMN refunds boolean NOT NULL DEFAULT false;
UPDATE submissions s SET refunds = true
 WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(s.items) AS line WHERE (line->>'cnt')::numeric < 0);
