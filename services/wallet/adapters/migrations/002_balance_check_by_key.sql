-- The balance check ran `posting_lines WHERE posting_seq IN (SELECT … FROM new_lines)`: the planner
-- knows nothing of a transition table's size and chose to scan the whole journal, so every posting
-- cost more as the journal grew (1.6 ms a statement at 13,000 postings; docs/performance.md).
-- Now the statement's own lines are summed, and each posting's line count in the journal is read
-- by its primary key: a posting balances, has two lines at least, and has no line from another
-- statement (a posting is written whole, once: adding lines later, even balanced ones, is refused).
CREATE OR REPLACE FUNCTION check_postings_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unbalanced bigint;
BEGIN
    SELECT n.posting_seq INTO unbalanced
      FROM (SELECT posting_seq, sum(amount) AS total, count(*) AS lines FROM new_lines GROUP BY posting_seq) n
     WHERE n.total <> 0 OR n.lines < 2
        OR n.lines <> (SELECT count(*) FROM posting_lines l WHERE l.posting_seq = n.posting_seq)
     LIMIT 1;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'posting % does not balance, or adds lines to a posting already written', unbalanced
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
