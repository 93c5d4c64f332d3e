-- Up to p_limit runs that finished before the audit cutoff go altogether: whatever history is left,
-- their audit lines, their approvals and the run row.
-- Every statement is a keyed or indexed range lookup: enable_seqscan = off keeps the cached plans
-- index plans.
CREATE OR REPLACE FUNCTION firebreak_prune_audit(p_cutoff timestamptz, p_limit int)
RETURNS TABLE (runs int, approvals int, events int, rows_other int)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
  v_ids uuid[];
  n int;
BEGIN
  PERFORM set_config('firebreak.pruning', 'on', true);
  v_ids := ARRAY(
    SELECT r.id FROM runs r
    WHERE r.finished_at < p_cutoff AND r.finished_at IS NOT NULL
    ORDER BY r.finished_at
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  );
  rows_other := 0;
  DELETE FROM steps s WHERE s.run_id = ANY(v_ids);
  GET DIAGNOSTICS n = ROW_COUNT; rows_other := rows_other + n;
  DELETE FROM step_attempts a WHERE a.run_id = ANY(v_ids);
  GET DIAGNOSTICS n = ROW_COUNT; rows_other := rows_other + n;
  DELETE FROM evidence ev WHERE ev.run_id = ANY(v_ids);
  GET DIAGNOSTICS n = ROW_COUNT; rows_other := rows_other + n;
  DELETE FROM concurrency_slots c WHERE c.run_id = ANY(v_ids);
  DELETE FROM events e WHERE e.run_id = ANY(v_ids);
  GET DIAGNOSTICS events = ROW_COUNT;
  DELETE FROM approvals a WHERE a.run_id = ANY(v_ids);
  GET DIAGNOSTICS approvals = ROW_COUNT;
  DELETE FROM runs r WHERE r.id = ANY(v_ids);
  GET DIAGNOSTICS runs = ROW_COUNT;
  RETURN NEXT;
END;
$$;
